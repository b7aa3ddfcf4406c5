"""Loading an isochrone grid by family or path (:func:`load_grid`, cached per process), the entry point of the
grid modules, whose names it re-exports:

- :mod:`mwdisk.isochrones.layout`: :class:`IsochroneGrid`, the in-memory grid of ``.dev/GRID_CONTRACT.md``,
  and its column names :data:`POINT_COLUMNS`, :data:`ISO_COLUMNS`, :data:`PHASE_COLUMN`.
- :mod:`mwdisk.isochrones.phases`: the evolutionary phase codes of ``IsochroneGrid.phase``.
- :mod:`mwdisk.isochrones.storage`: the HDF5 grid files (:func:`write_grid_h5`, :func:`read_grid_h5`,
  :func:`quantize`, :data:`QUANTA`, :data:`FILE_FORMAT`) and the files shipped in ``mwdisk/data``
  (:func:`shipped_grid_path`).
- :mod:`mwdisk.isochrones.comp_axis`: :func:`derive_feh_afe_grid`, the paper's ([Fe/H], [alpha/Fe]) nodes.
"""

from __future__ import annotations

import functools
from pathlib import Path

from .comp_axis import derive_feh_afe_grid
from .layout import ISO_COLUMNS, PHASE_COLUMN, POINT_COLUMNS, IsochroneGrid
from .storage import (
    FAMILIES,
    FILE_FORMAT,
    MASS_QUANTUM_FINE_MSUN,
    QUANTA,
    quantize,
    read_bc_table_h5,  # noqa: F401  (re-exported for callers of mwdisk.isochrones.grid)
    read_grid_h5,
    shipped_grid_path,
    write_grid_h5,
)

__all__ = [
    "POINT_COLUMNS",
    "ISO_COLUMNS",
    "PHASE_COLUMN",
    "FAMILIES",
    "FILE_FORMAT",
    "IsochroneGrid",
    "load_grid",
    "read_grid_h5",
    "write_grid_h5",
    "shipped_grid_path",
    "derive_feh_afe_grid",
    "quantize",
    "QUANTA",
    "MASS_QUANTUM_FINE_MSUN",
]


@functools.lru_cache(maxsize=8)
def load_grid(name_or_path: str | Path = "dsep", comp_axis: str = "mh") -> IsochroneGrid:
    """Load an isochrone grid by family name or path (cached: each process loads a grid once).

    Parameters
    ----------
    name_or_path : str or Path
        "dsep", "parsec" or "mist" for the grids shipped in ``mwdisk/data`` (:data:`FAMILIES`); a path to a
        grid file written by
        ``scripts/build_grids.py``; or a folder of (or single) native DSEP ``*.Gaia`` files.
    comp_axis : {"mh", "feh_afe"}
        "mh": one [M/H]_eff axis (default). "feh_afe": the paper's [Fe/H] x [alpha/Fe] nodes derived through
        the Salaris formula. A native DSEP grid always keeps its own nodes (labelled "feh_afe" when it has
        more than one [alpha/Fe]).

    Returns
    -------
    IsochroneGrid
        Read-only arrays; do not modify.

    Examples
    --------
    >>> g = load_grid("dsep")
    >>> g.family, g.comp_axis, g.ages_gyr.size
    ('dsep', 'mh', 36)
    """
    if comp_axis not in ("mh", "feh_afe"):
        raise ValueError(f"comp_axis = {comp_axis!r}; use 'mh' (default) or 'feh_afe' (paper nodes)")
    key = str(name_or_path)
    if key in FAMILIES:
        path = shipped_grid_path(key)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; rebuild it with scripts/build_grids.py")
    else:
        path = Path(name_or_path).expanduser()
        if not path.exists():
            raise FileNotFoundError(
                f"isochrone grid {path} not found; give one of {FAMILIES} or an existing path"
            )
    if path.is_dir() or path.suffix == ".Gaia":
        from .dsep_reader import read_dsep_native

        return read_dsep_native(path)
    grid = read_grid_h5(path)
    if comp_axis == "feh_afe" and grid.comp_axis == "mh":
        grid = derive_feh_afe_grid(grid)
    return grid
