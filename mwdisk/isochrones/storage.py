"""Grid files: the HDF5 storage of an :class:`~mwdisk.isochrones.layout.IsochroneGrid` (quantized,
delta-coded, gzipped columns; the int8 phase column; an optional bolometric-correction subset) and the grid
files shipped in ``mwdisk/data``.

Files written before the phase column (no ``points/phase`` dataset) still load: their phases are derived from
the family, EEP, log g and Teff (:func:`mwdisk.isochrones.phases.derive_phases`).
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

import numpy as np

from .layout import ISO_COLUMNS, PHASE_COLUMN, POINT_COLUMNS, IsochroneGrid

__all__ = [
    "FILE_FORMAT",
    "QUANTA",
    "MASS_QUANTUM_FINE_MSUN",
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
#: Finer initial-mass quantum for grids that go past the RGB tip (PARSEC, MIST): along the core-helium burning
#: the initial mass changes by 1e-4..1e-9 Msun per point, and 1e-8 would tie neighbours. The quantum used is
#: stored with each column (attribute ``quantum``), so files of either quantum read back alike.
MASS_QUANTUM_FINE_MSUN = 1e-10
#: Families shipped in ``mwdisk/data`` as ``isochrones_<family>.h5``.
FAMILIES = ("dsep", "parsec", "mist")


def shipped_grid_path(family: str) -> Path:
    """Path of the grid file shipped in ``mwdisk/data`` for ``family`` ("dsep", "parsec" or "mist")."""
    if family not in FAMILIES:
        raise ValueError(f"unknown isochrone family {family!r}; use one of {FAMILIES} or a file/folder path")
    return Path(str(resources.files("mwdisk.data").joinpath(f"isochrones_{family}.h5")))


def write_grid_h5(
    grid: IsochroneGrid,
    path: str | Path,
    bc_table=None,
    compression_level: int = 9,
    quanta: dict | None = None,
) -> Path:
    """Write a grid to HDF5: point columns quantized (:data:`QUANTA`), delta-coded, gzipped; the phase codes
    as int8 (``points/phase``); provenance as JSON.

    Parameters
    ----------
    grid : IsochroneGrid
        The grid (normally on the "mh" axis).
    path : str or Path
        Output file (overwritten).
    bc_table : BCTable, optional
        Bolometric-correction subset stored alongside (group ``bc_gaia``), so that native grids without
        extinction coefficients can be completed without the full table.
    quanta : dict, optional
        Storage quantum per point column; default :data:`QUANTA`. Deltas are stored as int32 where they fit,
        else int64.
    """
    import h5py

    path = Path(path)
    quanta = QUANTA if quanta is None else {**QUANTA, **quanta}
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
        pts.attrs["encoding"] = (
            "int32 (int64 where needed) delta of round(x / quantum); x = cumsum(stored) * quantum; "
            "phase: int8 codes of mwdisk.isochrones.phases"
        )
        for name in POINT_COLUMNS:
            q = np.round(getattr(grid, name) / quanta[name]).astype(np.int64)
            d = np.diff(q, prepend=0)
            dtype = np.int32 if np.abs(d).max() < 2**31 else np.int64
            ds = pts.create_dataset(name, data=d.astype(dtype), chunks=True, **kw)
            ds.attrs["quantum"] = quanta[name]
        ds = pts.create_dataset(PHASE_COLUMN, data=grid.phase.astype(np.int8), chunks=True, **kw)
        ds.attrs["codes"] = "-1 unknown, 0 ms, 1 subgiant, 2 rgb, 3 cheb, 4 agb (mwdisk.isochrones.phases)"
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
    """Read a grid file written by :func:`write_grid_h5` (point columns as float64, phase as int8 in memory).

    Files without a phase column (written before it existed) get phases derived from their family, EEP, log g
    and Teff (:func:`mwdisk.isochrones.phases.derive_phases`).
    """
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
        if PHASE_COLUMN in f["points"]:
            kw[PHASE_COLUMN] = f["points"][PHASE_COLUMN][...].astype(np.int8)
        else:
            logger.info("%s has no phase column (written before it existed): phases derived", path)
        return IsochroneGrid(
            family=str(f.attrs["family"]),
            comp_axis=str(f.attrs["comp_axis"]),
            provenance=json.loads(f.attrs["provenance"]),
            **kw,
        )


def quantize(grid: IsochroneGrid, quanta: dict | None = None) -> IsochroneGrid:
    """The grid with every point column rounded to its storage quantum (:data:`QUANTA`, or ``quanta``
    overriding some of them), as it reads back. The phase column is kept.

    Raises
    ------
    ValueError
        If rounding breaks the strict increase of initial mass within an isochrone.
    """
    quanta = QUANTA if quanta is None else {**QUANTA, **quanta}
    cols = {name: np.round(getattr(grid, name) / quanta[name]) * quanta[name] for name in POINT_COLUMNS}
    dm = np.diff(cols["mass_init_msun"])
    inner = np.ones(dm.size, bool)
    inner[grid.iso_start[1:-1] - 1] = False
    if np.any(dm[inner] <= 0):
        raise ValueError(
            f"initial mass not strictly increasing after quantization at {quanta['mass_init_msun']} Msun; "
            "pass a smaller quanta={'mass_init_msun': ...} (e.g. MASS_QUANTUM_FINE_MSUN)"
        )
    kw = {name: getattr(grid, name) for name in ("ages_gyr", "iso_start", *ISO_COLUMNS)}
    return IsochroneGrid(
        family=grid.family,
        comp_axis=grid.comp_axis,
        provenance=grid.provenance,
        phase=grid.phase,
        **kw,
        **cols,
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

