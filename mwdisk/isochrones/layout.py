"""The in-memory isochrone grid, :class:`IsochroneGrid`, in the layout of ``.dev/GRID_CONTRACT.md``.

Layout for the age kernel: isochrones are sorted composition-major, then age ascending, and their points are
stored back to back (CSR offsets ``iso_start``), each isochrone in EEP order with strictly increasing initial
mass, and each point carries an evolutionary phase code (``phase``, int8, codes of
:mod:`mwdisk.isochrones.phases`). A star's composition window is therefore one contiguous run of isochrones
(:meth:`IsochroneGrid.iso_slice`), which is one contiguous run of points; per-isochrone bounding boxes in
Teff, log g and M_G let the kernel skip whole isochrones outside its 10-sigma window before touching points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "POINT_COLUMNS",
    "PHASE_COLUMN",
    "ISO_COLUMNS",
    "IsochroneGrid",
]

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
#: The per-point evolutionary phase column (int8 codes of :mod:`mwdisk.isochrones.phases`), kept apart from
#: the
#: float :data:`POINT_COLUMNS` (it is never interpolated: grids derived from a grid re-derive it).
PHASE_COLUMN = "phase"
#: Per-isochrone columns.
ISO_COLUMNS = ("iso_age_idx", "iso_mh", "iso_feh", "iso_afe")


@dataclass(frozen=True)
class IsochroneGrid:
    """A grid of isochrones in the layout of ``.dev/GRID_CONTRACT.md``.

    Bounding boxes ``iso_teff_k_min/max``, ``iso_logg_min/max``, ``iso_g_mag_min/max`` (n_iso,) are computed
    at construction. All arrays are read-only (the grid is shared through the load cache).

    ``phase`` (n_pts,) int8 holds the evolutionary phase of each point (:mod:`mwdisk.isochrones.phases`:
    0 ms, 1 subgiant, 2 rgb, 3 cheb, 4 agb, -1 unknown), non-decreasing along each isochrone. When not given
    (files written before the phase column, native DSEP files, grids built in tests) it is derived by
    :func:`mwdisk.isochrones.phases.derive_phases` from the family, EEP, log g and Teff.
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
    phase: np.ndarray | None = None
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
        self._set_phase(n_pts)
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

    def _set_phase(self, n_pts: int) -> None:
        from .phases import PHASE_NAMES, derive_phases

        if self.phase is None:
            phase = derive_phases(self.family, self.eep, self.logg, self.teff_k, self.iso_start)
        else:
            raw = np.asarray(self.phase)
            if raw.shape != (n_pts,):
                raise ValueError(f"phase has shape {raw.shape}, expected ({n_pts},)")
            phase = raw.astype(np.int8)
            if not np.array_equal(phase, raw):
                raise ValueError("phase must hold integer codes of mwdisk.isochrones.phases")
            bad = ~np.isin(phase, list(PHASE_NAMES))
            if bad.any():
                raise ValueError(
                    f"phase code {int(phase[bad][0])} is not one of {sorted(PHASE_NAMES)} "
                    "(mwdisk.isochrones.phases)"
                )
            step = np.diff(phase.astype(np.int16))
            inner = np.ones(step.size, bool)
            inner[self.iso_start[1:-1] - 1] = False
            if np.any(step[inner] < 0):
                raise ValueError("phase must not decrease along an isochrone (ms -> ... -> agb)")
        phase = np.ascontiguousarray(phase, dtype=np.int8)
        phase.flags.writeable = False
        object.__setattr__(self, "phase", phase)

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
        """Columns of isochrone ``i`` (views: :data:`POINT_COLUMNS` and ``phase``) plus its ``age_gyr``,
        ``mh``, ``feh``, ``afe`` scalars."""
        if not 0 <= i < self.n_iso:
            raise IndexError(f"isochrone index {i} outside 0..{self.n_iso - 1}")
        s = slice(int(self.iso_start[i]), int(self.iso_start[i + 1]))
        out = {name: getattr(self, name)[s] for name in POINT_COLUMNS}
        out[PHASE_COLUMN] = self.phase[s]
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
