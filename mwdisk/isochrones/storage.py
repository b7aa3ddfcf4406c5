"""Grid files: the HDF5 storage of an :class:`~mwdisk.isochrones.layout.IsochroneGrid` (quantized,
delta-coded, gzipped columns; an optional bolometric-correction subset) and the grid files shipped in
``mwdisk/data``.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

import numpy as np

from .layout import ISO_COLUMNS, POINT_COLUMNS, IsochroneGrid

__all__ = [
    "FILE_FORMAT",
    "QUANTA",
    "FAMILIES",
    "shipped_grid_path",
    "write_grid_h5",
    "read_grid_h5",
    "quantize",
    "read_bc_table_h5",
]

logger = logging.getLogger(__name__)

#: Value of the ``format`` attribute of files written by :func:`write_grid_h5`.
FILE_FORMAT = "mwdisk-isochrones-v1"
#: Storage quantum of each point column: values are stored as integers round(x / quantum), delta-coded along
#: the point axis (exact in integers), then shuffled and gzipped. Far below any observational error.
QUANTA = {
    "eep": 1e-3,
    "mass_init_msun": 1e-8,
    "teff_k": 0.1,
    "logg": 1e-4,
    "logl": 1e-5,
    "mbol_mag": 1e-4,
    "g_mag": 1e-4,
    "bp_mag": 1e-4,
    "rp_mag": 1e-4,
    "ag_per_av": 1e-4,
    "abp_per_av": 1e-4,
    "arp_per_av": 1e-4,
}
FAMILIES = ("dsep", "parsec")


def shipped_grid_path(family: str) -> Path:
    """Path of the grid file shipped in ``mwdisk/data`` for ``family`` ("dsep" or "parsec")."""
    if family not in FAMILIES:
        raise ValueError(f"unknown isochrone family {family!r}; use one of {FAMILIES} or a file/folder path")
    return Path(str(resources.files("mwdisk.data").joinpath(f"isochrones_{family}.h5")))


def write_grid_h5(
    grid: IsochroneGrid, path: str | Path, bc_table=None, compression_level: int = 9
) -> Path:
    """Write a grid to HDF5: point columns quantized (:data:`QUANTA`), delta-coded, gzipped; provenance as
    JSON.

    Parameters
    ----------
    grid : IsochroneGrid
        The grid (normally on the "mh" axis).
    path : str or Path
        Output file (overwritten).
    bc_table : BCTable, optional
        Bolometric-correction subset stored alongside (group ``bc_gaia``), so that native grids without
        extinction coefficients can be completed without the full table.
    """
    import h5py

    path = Path(path)
    kw = {"compression": "gzip", "compression_opts": compression_level, "shuffle": True}
    with h5py.File(path, "w") as f:
        f.attrs["format"] = FILE_FORMAT
        f.attrs["family"] = grid.family
        f.attrs["comp_axis"] = grid.comp_axis
        f.attrs["provenance"] = json.dumps(grid.provenance, sort_keys=True)
        f.create_dataset("ages_gyr", data=grid.ages_gyr)
        f.create_dataset("iso_start", data=grid.iso_start, **kw)
        f.create_dataset("iso_age_idx", data=grid.iso_age_idx.astype(np.int16), **kw)
        for name in ("iso_mh", "iso_feh", "iso_afe"):
            f.create_dataset(name, data=getattr(grid, name), **kw)
        pts = f.create_group("points")
        pts.attrs["encoding"] = "int32 delta of round(x / quantum); x = cumsum(stored) * quantum"
        for name in POINT_COLUMNS:
            q = np.round(getattr(grid, name) / QUANTA[name]).astype(np.int64)
            d = np.diff(q, prepend=0)
            if np.abs(d).max() >= 2**31:
                raise ValueError(
                    f"{name}: values too large for the int32 delta encoding at quantum {QUANTA[name]}"
                )
            ds = pts.create_dataset(name, data=d.astype(np.int32), chunks=True, **kw)
            ds.attrs["quantum"] = QUANTA[name]
        if bc_table is not None:
            g = f.create_group("bc_gaia")
            g.attrs["bands"] = "Gaia_G_EDR3,Gaia_BP_EDR3,Gaia_RP_EDR3"
            g.attrs["convention"] = "M_band = Mbol - BC_band; MIST v1.2 (Choi+2016), Rv=3.1"
            for name in ("feh", "av", "teff_k", "logg"):
                g.create_dataset(name, data=getattr(bc_table, name))
            g.create_dataset("bc_mag", data=bc_table.bc_mag.astype(np.float32), **kw)
    logger.info("wrote %s (%d isochrones, %d points)", path, grid.n_iso, grid.n_pts)
    return path


def read_grid_h5(path: str | Path) -> IsochroneGrid:
    """Read a grid file written by :func:`write_grid_h5` (all columns as float64 in memory)."""
    import h5py

    path = Path(path)
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != FILE_FORMAT:
            raise ValueError(
                f"{path} is not an mwdisk isochrone grid (format={f.attrs.get('format')!r}, "
                f"expected {FILE_FORMAT!r}); rebuild it with scripts/build_grids.py"
            )
        kw = {name: f[name][...] for name in ("ages_gyr", "iso_start", *ISO_COLUMNS)}
        for name in POINT_COLUMNS:
            ds = f["points"][name]
            kw[name] = np.cumsum(ds[...].astype(np.int64)) * float(ds.attrs["quantum"])
        return IsochroneGrid(
            family=str(f.attrs["family"]),
            comp_axis=str(f.attrs["comp_axis"]),
            provenance=json.loads(f.attrs["provenance"]),
            **kw,
        )


def quantize(grid: IsochroneGrid) -> IsochroneGrid:
    """The grid with every point column rounded to its storage quantum (:data:`QUANTA`), as it reads back.

    Raises
    ------
    ValueError
        If rounding breaks the strict increase of initial mass within an isochrone.
    """
    cols = {name: np.round(getattr(grid, name) / QUANTA[name]) * QUANTA[name] for name in POINT_COLUMNS}
    dm = np.diff(cols["mass_init_msun"])
    inner = np.ones(dm.size, bool)
    inner[grid.iso_start[1:-1] - 1] = False
    if np.any(dm[inner] <= 0):
        raise ValueError(
            "initial mass not strictly increasing after quantization; lower QUANTA['mass_init_msun']"
        )
    kw = {name: getattr(grid, name) for name in ("ages_gyr", "iso_start", *ISO_COLUMNS)}
    return IsochroneGrid(
        family=grid.family, comp_axis=grid.comp_axis, provenance=grid.provenance, **kw, **cols
    )


def read_bc_table_h5(path: str | Path):
    """The BC subset stored in a grid file (group ``bc_gaia``), or None if absent."""
    import h5py

    from .bolometric import BCTable

    with h5py.File(path, "r") as f:
        if "bc_gaia" not in f:
            return None
        g = f["bc_gaia"]
        return BCTable(**{k: g[k][...].astype(np.float64) for k in ("feh", "av", "teff_k", "logg", "bc_mag")})

