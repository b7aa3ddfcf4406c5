"""Isochrone grids: the in-memory grid, loading by family ("dsep", "parsec", "mist") or path, evolutionary
phase codes (:mod:`mwdisk.isochrones.phases`), composition axes, native DSEP files."""

from .composition import salaris_mh
from .grid import FAMILIES, IsochroneGrid, load_grid
from .phases import PHASE_CODES, PHASE_NAMES

__all__ = ["FAMILIES", "IsochroneGrid", "load_grid", "salaris_mh", "PHASE_CODES", "PHASE_NAMES"]
