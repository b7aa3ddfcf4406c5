"""Grid preparation for the age kernel: points per observable, IMF segment weights and bounding boxes.

Per segment the kernel reads its IMF weight ``w_j`` (the Kroupa integral over its initial-mass interval), the
relative slope ``beta_j`` of the IMF density along it (the density is taken linear in the segment parameter
``t``: ``w_j (1 + beta_j (t - 1/2))``, matching ``xi(m)`` at both ends) and its evolutionary phase (the phase
of its first point; :mod:`mwdisk.isochrones.phases`), so that the likelihood can be split by phase.

Prepared once per (grid, observables, block_size) and cached. The isochrones must be sorted
composition-major so that the kernel finds the run of isochrones inside a star's composition window by
bisection; each isochrone, and each block of ``block_size`` consecutive segments inside it, gets a bounding
box per observable (:func:`_block_boxes`), which the kernel uses to skip whole isochrones and blocks.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numba
import numpy as np

from ..imf import kroupa_segment_weight, kroupa_xi
from .observables import _KMAX, DEFAULT_OBSERVABLES, OBSERVABLES, _check_observables

__all__ = ["prepare_grid", "grid_has_cheb", "PHASE_NAMES", "N_PHASES"]

#: Phase columns of the kernel's per-star phase posterior: the grid's phase codes, then "unknown" (a grid
#: without phases, e.g. an old file); kept in step with :mod:`mwdisk.isochrones.phases`.
PHASE_NAMES = ("ms", "subgiant", "rgb", "cheb", "agb", "unknown")
N_PHASES = len(PHASE_NAMES)


@dataclass(frozen=True)
class _Prepared:
    observables: tuple[str, ...]
    comp_axis: str
    ages_gyr: np.ndarray
    P: np.ndarray  # (n_pts, _KMAX) observables per point, unused columns 0
    seg_w: np.ndarray  # (n_pts,) IMF weight of the segment starting at each point (0 at an isochrone's end)
    seg_beta: np.ndarray  # (n_pts,) relative IMF density slope along the segment, in [-2, 2]
    seg_phase: np.ndarray  # (n_pts,) int64 phase code of the segment (N_PHASES - 1 where the grid has none)
    has_phases: bool  # the grid carries evolutionary phases (else every segment is "unknown")
    has_cheb: bool  # some segment is core-helium burning (else p_cheb is undefined)
    iso_key: np.ndarray  # (n_iso,) primary composition (sort key): [M/H] or [Fe/H]
    iso_c2: np.ndarray  # (n_iso,) secondary composition: [alpha/Fe] on "feh_afe", else 0
    iso_age_idx: np.ndarray
    iso_wstep: np.ndarray  # (n_iso,) composition cell size
    iso_lo: np.ndarray  # (n_iso, _KMAX)
    iso_hi: np.ndarray
    blk_start: np.ndarray  # (n_iso + 1,) CSR over blocks
    blk_p0: np.ndarray  # (n_blk,) first segment of block
    blk_p1: np.ndarray  # (n_blk,) one past the last segment
    blk_lo: np.ndarray  # (n_blk, _KMAX)
    blk_hi: np.ndarray
    c1_range: tuple[float, float]
    c2_range: tuple[float, float]


_PREPARED: dict[tuple, tuple[weakref.ref, _Prepared]] = {}


def _grid_column(grid, name: str) -> np.ndarray:
    if name == "bprp0":
        return np.asarray(grid.bp_mag, float) - np.asarray(grid.rp_mag, float)
    return np.asarray(getattr(grid, OBSERVABLES[name]), float)


def prepare_grid(grid, observables=DEFAULT_OBSERVABLES, block_size: int = 8) -> _Prepared:
    """Arrays the kernel reads: points per observable, IMF segment weights, boxes of isochrones and blocks.

    Cached per (grid object, observables, block_size), so a worker prepares a grid once.

    Parameters
    ----------
    grid : IsochroneGrid
        Isochrones sorted composition-major ([M/H] on "mh", [Fe/H] then [alpha/Fe] on "feh_afe").
    observables : sequence of str
        Names from :data:`OBSERVABLES`.
    block_size : int
        Segments per bounding-box block inside each isochrone (a speed knob; results do not depend on it).

    Raises
    ------
    ValueError
        If the grid is not sorted by its composition key, or an observable is unknown.
    """
    obs = _check_observables(observables)
    if block_size < 1:
        raise ValueError(f"block_size = {block_size}; give a positive number of segments per block")
    key = (id(grid), obs, int(block_size))
    hit = _PREPARED.get(key)
    if hit is not None and hit[0]() is grid:
        return hit[1]
    prep = _prepare(grid, obs, int(block_size))
    try:
        ref = weakref.ref(grid, lambda _r, k=key: _PREPARED.pop(k, None))
    except TypeError:  # objects without weakref support: keep a strong reference
        ref = (lambda g: (lambda: g))(grid)
    _PREPARED[key] = (ref, prep)
    return prep


def _prepare(grid, obs: tuple[str, ...], block_size: int) -> _Prepared:
    comp_axis = grid.comp_axis
    iso_start = np.asarray(grid.iso_start, np.int64)
    n_iso = iso_start.size - 1
    n_pts = int(iso_start[-1])
    if comp_axis == "mh":
        c1 = np.asarray(grid.iso_mh, float)
        c2 = np.zeros(n_iso)
    elif comp_axis == "feh_afe":
        c1 = np.asarray(grid.iso_feh, float)
        c2 = np.asarray(grid.iso_afe, float)
    else:
        raise ValueError(f"grid.comp_axis = {comp_axis!r}; the age kernel knows 'mh' and 'feh_afe'")
    if np.any(np.diff(c1) < 0):
        raise ValueError(
            "isochrones are not sorted by composition ([M/H] or [Fe/H]); build the grid composition-major "
            "(.dev/GRID_CONTRACT.md)"
        )
    P = np.zeros((n_pts, _KMAX))
    for k, name in enumerate(obs):
        P[:, k] = _grid_column(grid, name)
    mass = np.asarray(grid.mass_init_msun, float)
    seg_w = np.zeros(n_pts)
    inner = np.ones(n_pts - 1, bool)
    inner[iso_start[1:-1] - 1] = False
    seg_w[:-1][inner] = kroupa_segment_weight(mass[:-1][inner], mass[1:][inner])
    seg_beta = np.zeros(n_pts)
    xi0, xi1 = kroupa_xi(mass[:-1][inner]), kroupa_xi(mass[1:][inner])
    seg_beta[:-1][inner] = 2.0 * (xi1 - xi0) / (xi1 + xi0)
    seg_phase, has_phases = _segment_phases(grid, n_pts)
    iso_lo = np.stack([np.minimum.reduceat(P[:, k], iso_start[:-1]) for k in range(_KMAX)], axis=1)
    iso_hi = np.stack([np.maximum.reduceat(P[:, k], iso_start[:-1]) for k in range(_KMAX)], axis=1)
    # blocks of block_size segments inside each isochrone
    n_seg = np.diff(iso_start) - 1
    n_blk = (n_seg + block_size - 1) // block_size
    blk_start = np.concatenate([[0], np.cumsum(n_blk)]).astype(np.int64)
    iso_of_blk = np.repeat(np.arange(n_iso), n_blk)
    rank = np.arange(blk_start[-1]) - blk_start[iso_of_blk]
    blk_p0 = iso_start[iso_of_blk] + rank * block_size
    blk_p1 = np.minimum(blk_p0 + block_size, iso_start[iso_of_blk + 1] - 1)
    blk_lo = np.empty((blk_p0.size, _KMAX))
    blk_hi = np.empty((blk_p0.size, _KMAX))
    _block_boxes(P, blk_p0, blk_p1, blk_lo, blk_hi)
    if hasattr(grid, "comp_step"):
        wstep = np.asarray(grid.comp_step, float)
    else:
        wstep = np.ones(n_iso)
    return _Prepared(
        observables=obs,
        comp_axis=comp_axis,
        ages_gyr=np.asarray(grid.ages_gyr, float),
        P=P,
        seg_w=seg_w,
        seg_beta=seg_beta,
        seg_phase=seg_phase,
        has_phases=has_phases,
        has_cheb=bool(np.any((seg_phase == PHASE_NAMES.index("cheb")) & (seg_w > 0))),
        iso_key=np.ascontiguousarray(c1),
        iso_c2=np.ascontiguousarray(c2),
        iso_age_idx=np.asarray(grid.iso_age_idx, np.int64),
        iso_wstep=wstep,
        iso_lo=np.ascontiguousarray(iso_lo),
        iso_hi=np.ascontiguousarray(iso_hi),
        blk_start=blk_start,
        blk_p0=blk_p0.astype(np.int64),
        blk_p1=blk_p1.astype(np.int64),
        blk_lo=blk_lo,
        blk_hi=blk_hi,
        c1_range=(float(c1.min()), float(c1.max())),
        c2_range=(float(c2.min()), float(c2.max())),
    )


def grid_has_cheb(name_or_grid) -> bool:
    """Whether a grid (or a grid name for :func:`mwdisk.isochrones.load_grid`) has core-helium burning, i.e.
    whether its stars' ``p_cheb`` is defined."""
    grid = name_or_grid
    if isinstance(name_or_grid, str):
        from ..isochrones import load_grid

        grid = load_grid(name_or_grid)
    phase = getattr(grid, "phase", None)
    return phase is not None and bool(np.any(np.asarray(phase) == PHASE_NAMES.index("cheb")))


def _segment_phases(grid, n_pts: int) -> tuple[np.ndarray, bool]:
    """Phase code of each segment (that of its first point) and whether the grid has phases at all."""
    phase = getattr(grid, "phase", None)
    if phase is None:
        return np.full(n_pts, N_PHASES - 1, np.int64), False
    ph = np.asarray(phase).astype(np.int64)
    known = (ph >= 0) & (ph < N_PHASES - 1)
    return np.where(known, ph, N_PHASES - 1), bool(known.any())


@numba.njit(cache=True)
def _block_boxes(P, p0, p1, lo, hi):  # pragma: no cover - numba
    for b in range(p0.size):
        for k in range(P.shape[1]):
            mn = P[p0[b], k]
            mx = mn
            for j in range(p0[b] + 1, p1[b] + 1):  # points p0 .. p1 (segment p1-1 ends at p1)
                v = P[j, k]
                if v < mn:
                    mn = v
                if v > mx:
                    mx = v
            lo[b, k] = mn
            hi[b, k] = mx
