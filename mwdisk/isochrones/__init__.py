"""Isochrone grids: the in-memory grid, loading by family or path, composition axes, native DSEP files."""

from .composition import salaris_mh
from .grid import IsochroneGrid, load_grid

__all__ = ["IsochroneGrid", "load_grid", "salaris_mh"]
