"""The in-memory isochrone grid (``.dev/GRID_CONTRACT.md``) and its HDF5 storage.

Layout for the age kernel: isochrones are sorted composition-major, then age ascending, and their points are
stored back to back (CSR offsets ``iso_start``), each isochrone in EEP order with strictly increasing initial mass.
A star's composition window is therefore one contiguous run of isochrones (:meth:`IsochroneGrid.iso_slice`), which
is one contiguous run of points; per-isochrone bounding boxes in Teff, log g and M_G let the kernel skip whole
isochrones outside its 10-sigma window before touching points.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .composition import salaris_mh
from .interpolate import axis_weights, interpolate_between

__all__ = [
    "POINT_COLUMNS",
    "ISO_COLUMNS",
    "FILE_FORMAT",
    "IsochroneGrid",
    "load_grid",
    "read_grid_h5",
    "write_grid_h5",
    "shipped_grid_path",
    "derive_feh_afe_grid",
    "quantize",
    "QUANTA",
]

logger = logging.getLogger(__name__)

#: Per-point columns, in storage order.
POINT_COLUMNS = (
    "eep",
    "mass_init_msun",
    "teff_k",
    "logg",
    "logl",
    "mbol_mag",
    "g_mag",
    "bp_mag",
    "rp_mag",
    "ag_per_av",
    "abp_per_av",
    "arp_per_av",
)
#: Per-isochrone columns.
ISO_COLUMNS = ("iso_age_idx", "iso_mh", "iso_feh", "iso_afe")
#: Value of the ``format`` attribute of files written by :func:`write_grid_h5`.
FILE_FORMAT = "mwdisk-isochrones-v1"
#: Storage quantum of each point column: values are stored as integers round(x / quantum), delta-coded along the
#: point axis (exact in integers), then shuffled and gzipped. Far below any observational error.
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


@dataclass(frozen=True)
class IsochroneGrid:
    """A grid of isochrones in the layout of ``.dev/GRID_CONTRACT.md``.

    Bounding boxes ``iso_teff_k_min/max``, ``iso_logg_min/max``, ``iso_g_mag_min/max`` (n_iso,) are computed at
    construction. All arrays are read-only (the grid is shared through the load cache).
    """

    family: str
    comp_axis: str
    ages_gyr: np.ndarray
    iso_age_idx: np.ndarray
    iso_mh: np.ndarray
    iso_feh: np.ndarray
    iso_afe: np.ndarray
    iso_start: np.ndarray
    eep: np.ndarray
    mass_init_msun: np.ndarray
    teff_k: np.ndarray
    logg: np.ndarray
    logl: np.ndarray
    mbol_mag: np.ndarray
    g_mag: np.ndarray
    bp_mag: np.ndarray
    rp_mag: np.ndarray
    ag_per_av: np.ndarray
    abp_per_av: np.ndarray
    arp_per_av: np.ndarray
    provenance: dict = field(default_factory=dict)
    iso_teff_k_min: np.ndarray = field(init=False, repr=False)
    iso_teff_k_max: np.ndarray = field(init=False, repr=False)
    iso_logg_min: np.ndarray = field(init=False, repr=False)
    iso_logg_max: np.ndarray = field(init=False, repr=False)
    iso_g_mag_min: np.ndarray = field(init=False, repr=False)
    iso_g_mag_max: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        conv = {"iso_age_idx": np.int32, "iso_start": np.int64}
        for name in ("ages_gyr", *ISO_COLUMNS, "iso_start", *POINT_COLUMNS):
            arr = np.ascontiguousarray(getattr(self, name), dtype=conv.get(name, np.float64))
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        if self.comp_axis not in ("mh", "feh_afe"):
            raise ValueError(f"comp_axis = {self.comp_axis!r}; use 'mh' or 'feh_afe'")
        n_iso = self.iso_age_idx.size
        for name in ISO_COLUMNS:
            if getattr(self, name).shape != (n_iso,):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected ({n_iso},)")
        if self.iso_start.shape != (n_iso + 1,) or self.iso_start[0] != 0:
            raise ValueError("iso_start must be (n_iso + 1,) CSR offsets starting at 0")
        n_pts = int(self.iso_start[-1])
        for name in POINT_COLUMNS:
            if getattr(self, name).shape != (n_pts,):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected ({n_pts},)")
        if np.any(np.diff(self.iso_start) < 2):
            raise ValueError("every isochrone needs at least 2 points (one segment)")
        for col, lo_name, hi_name in (
            (self.teff_k, "iso_teff_k_min", "iso_teff_k_max"),
            (self.logg, "iso_logg_min", "iso_logg_max"),
            (self.g_mag, "iso_g_mag_min", "iso_g_mag_max"),
        ):
            lo = np.minimum.reduceat(col, self.iso_start[:-1])
            hi = np.maximum.reduceat(col, self.iso_start[:-1])
            lo.flags.writeable = False
            hi.flags.writeable = False
            object.__setattr__(self, lo_name, lo)
            object.__setattr__(self, hi_name, hi)

    @property
    def n_iso(self) -> int:
        """Number of isochrones."""
        return int(self.iso_age_idx.size)

    @property
    def n_pts(self) -> int:
        """Number of points over all isochrones."""
        return int(self.iso_start[-1])

    @property
    def iso_age_gyr(self) -> np.ndarray:
        """(n_iso,) age of each isochrone in Gyr."""
        return self.ages_gyr[self.iso_age_idx]

    def isochrone(self, i: int) -> dict[str, np.ndarray]:
        """Columns of isochrone ``i`` (views) plus its ``age_gyr``, ``mh``, ``feh``, ``afe`` scalars."""
        if not 0 <= i < self.n_iso:
            raise IndexError(f"isochrone index {i} outside 0..{self.n_iso - 1}")
        s = slice(int(self.iso_start[i]), int(self.iso_start[i + 1]))
        out = {name: getattr(self, name)[s] for name in POINT_COLUMNS}
        out.update(
            age_gyr=np.float64(self.ages_gyr[self.iso_age_idx[i]]),
            mh=np.float64(self.iso_mh[i]),
            feh=np.float64(self.iso_feh[i]),
            afe=np.float64(self.iso_afe[i]),
        )
        return out

    @property
    def comp_nodes(self) -> np.ndarray:
        """Unique composition nodes: (n,) [M/H] on the "mh" axis, (n, 2) ([Fe/H], [alpha/Fe]) on "feh_afe"."""
        if self.comp_axis == "mh":
            return np.unique(self.iso_mh)
        return np.unique(np.column_stack([self.iso_feh, self.iso_afe]), axis=0)

    @property
    def comp_step(self) -> np.ndarray:
        """(n_iso,) composition cell size of each isochrone's node (dex, or dex^2 on "feh_afe").

        The width of the node's cell along each axis (half the distance to each neighbour; edge nodes get the
        step to their one neighbour). Constant on a uniform grid: weight G by it only where it varies.
        """
        if self.comp_axis == "mh":
            return _cell_width(self.iso_mh)
        out = np.empty(self.n_iso)
        w_feh = _cell_width(self.iso_feh)
        for feh in np.unique(self.iso_feh):
            sel = self.iso_feh == feh
            out[sel] = w_feh[sel] * _cell_width(self.iso_afe[sel])
        return out

    def iso_slice(self, lo: float, hi: float) -> slice:
        """Isochrones whose primary composition coordinate lies in [lo, hi], as one slice.

        The primary coordinate is [M/H] on the "mh" axis and [Fe/H] on "feh_afe" (the sort key). The points of
        those isochrones are ``iso_start[s.start]:iso_start[s.stop]``.
        """
        key = self.iso_mh if self.comp_axis == "mh" else self.iso_feh
        i0 = int(np.searchsorted(key, lo - 1e-9, side="left"))
        i1 = int(np.searchsorted(key, hi + 1e-9, side="right"))
        return slice(i0, i1)


def _cell_width(x: np.ndarray) -> np.ndarray:
    nodes = np.unique(x)
    if nodes.size == 1:
        return np.ones_like(x, dtype=float)
    d = np.diff(nodes)
    lo = np.concatenate([[d[0]], d])
    hi = np.concatenate([d, [d[-1]]])
    width = 0.5 * (lo + hi)
    return width[np.searchsorted(nodes, x)]


def shipped_grid_path(family: str) -> Path:
    """Path of the grid file shipped in ``mwdisk/data`` for ``family`` ("dsep" or "parsec")."""
    if family not in FAMILIES:
        raise ValueError(f"unknown isochrone family {family!r}; use one of {FAMILIES} or a file/folder path")
    return Path(str(resources.files("mwdisk.data").joinpath(f"isochrones_{family}.h5")))


def write_grid_h5(
    grid: IsochroneGrid, path: str | Path, bc_table=None, compression_level: int = 9
) -> Path:
    """Write a grid to HDF5: point columns quantized (:data:`QUANTA`), delta-coded, gzipped; provenance as JSON.

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
                raise ValueError(f"{name}: values too large for the int32 delta encoding at quantum {QUANTA[name]}")
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
        raise ValueError("initial mass not strictly increasing after quantization; lower QUANTA['mass_init_msun']")
    kw = {name: getattr(grid, name) for name in ("ages_gyr", "iso_start", *ISO_COLUMNS)}
    return IsochroneGrid(family=grid.family, comp_axis=grid.comp_axis, provenance=grid.provenance, **kw, **cols)


def read_bc_table_h5(path: str | Path):
    """The BC subset stored in a grid file (group ``bc_gaia``), or None if absent."""
    import h5py

    from .bolometric import BCTable

    with h5py.File(path, "r") as f:
        if "bc_gaia" not in f:
            return None
        g = f["bc_gaia"]
        return BCTable(**{k: g[k][...].astype(np.float64) for k in ("feh", "av", "teff_k", "logg", "bc_mag")})


def derive_feh_afe_grid(grid: IsochroneGrid, feh=None, afe=None) -> IsochroneGrid:
    """The paper's ([Fe/H], [alpha/Fe]) node grid from an [M/H]_eff grid, through the Salaris formula.

    Each node's isochrone is the [M/H]_eff isochrone at ``salaris_mh(feh, afe)``, interpolated at fixed EEP
    between the two bracketing [M/H] nodes. Nodes outside the [M/H] range are dropped (listed in provenance).

    Parameters
    ----------
    grid : IsochroneGrid
        A grid on the "mh" axis.
    feh, afe : array_like, optional
        Node coordinates; default :func:`~mwdisk.isochrones.composition.paper_feh_afe_nodes`.
    """
    from .composition import paper_feh_afe_nodes

    if grid.comp_axis != "mh":
        raise ValueError(f"derive_feh_afe_grid needs an 'mh' grid, got comp_axis={grid.comp_axis!r}")
    if feh is None or afe is None:
        feh, afe = paper_feh_afe_nodes()
    feh = np.asarray(feh, float)
    afe = np.asarray(afe, float)
    mh_nodes = np.unique(grid.iso_mh)
    n_age = grid.ages_gyr.size
    # index of isochrone (mh node k, age j) on the sorted mh grid
    lookup = {}
    for i in range(grid.n_iso):
        lookup[(int(np.searchsorted(mh_nodes, grid.iso_mh[i])), int(grid.iso_age_idx[i]))] = i
    cols: dict[str, list] = {name: [] for name in POINT_COLUMNS}
    iso_rows: dict[str, list] = {name: [] for name in ISO_COLUMNS}
    lengths, dropped = [], []
    for fe, af in zip(feh, afe, strict=True):
        mh = float(salaris_mh(fe, af))
        if mh < mh_nodes[0] - 1e-4 or mh > mh_nodes[-1] + 1e-4:
            dropped.append([float(fe), float(af), round(mh, 4)])
            continue
        k0, k1, w = axis_weights(mh_nodes, min(max(mh, mh_nodes[0]), mh_nodes[-1]), "[M/H]_eff")
        for j in range(n_age):
            if (k0, j) not in lookup or (k1, j) not in lookup:
                continue
            a = grid.isochrone(lookup[(k0, j)])
            b = grid.isochrone(lookup[(k1, j)])
            iso = interpolate_between(
                {c: a[c] for c in POINT_COLUMNS}, {c: b[c] for c in POINT_COLUMNS}, w
            )
            if iso["eep"].size < 2:
                continue
            for c in POINT_COLUMNS:
                cols[c].append(iso[c])
            lengths.append(iso["eep"].size)
            iso_rows["iso_age_idx"].append(j)
            iso_rows["iso_mh"].append(mh)
            iso_rows["iso_feh"].append(fe)
            iso_rows["iso_afe"].append(af)
    if dropped:
        logger.info("feh_afe axis: dropped %d nodes outside [M/H]_eff %.2f..%.2f", len(dropped), *mh_nodes[[0, -1]])
    prov = dict(grid.provenance)
    prov["comp_axis_feh_afe"] = {
        "method": "node isochrone = [M/H]_eff isochrone at salaris_mh(feh, afe), linear at fixed EEP in [M/H]",
        "dropped_nodes_feh_afe_mh": dropped,
    }
    return IsochroneGrid(
        family=grid.family,
        comp_axis="feh_afe",
        ages_gyr=grid.ages_gyr,
        iso_start=np.concatenate([[0], np.cumsum(lengths)]),
        provenance=prov,
        **{k: np.asarray(v) for k, v in iso_rows.items()},
        **{c: np.concatenate(v) for c, v in cols.items()},
    )


@functools.lru_cache(maxsize=8)
def load_grid(name_or_path: str | Path = "dsep", comp_axis: str = "mh") -> IsochroneGrid:
    """Load an isochrone grid by family name or path (cached: each process loads a grid once).

    Parameters
    ----------
    name_or_path : str or Path
        "dsep" or "parsec" for the grids shipped in ``mwdisk/data``; a path to a grid file written by
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
            raise FileNotFoundError(f"isochrone grid {path} not found; give 'dsep', 'parsec' or an existing path")
    if path.is_dir() or path.suffix == ".Gaia":
        from .dsep_reader import read_dsep_native

        return read_dsep_native(path)
    grid = read_grid_h5(path)
    if comp_axis == "feh_afe" and grid.comp_axis == "mh":
        grid = derive_feh_afe_grid(grid)
    return grid
