"""Isochrone ages: the G function of each star on the age grid, its mode, median, 68 % interval and flags.

METHOD.md section 1 (Jorgensen & Lindegren 2005; Vickers & Smith 2018). For a star with observables ``O_k``
(default Teff, log g, M_G; optionally (BP-RP)_0) and errors ``s_k``, every isochrone segment ``P_j -> P_j+1``
(EEP order) is compared in error-scaled units::

    a = (P_j - O) / s,   b = (P_j+1 - P_j) / s,   t* = clip(-(a.b) / (b.b), 0, 1)
    chi2_j = |a + t* b|^2 + composition term
    L(iso) = sum_j w_j exp(-chi2_j / 2),   w_j = integral of the Kroupa IMF over [m_j, m_j+1]
    G(tau) = sum over composition nodes of comp_step * L(iso at tau),   normalised to max G = 1

The composition term is ``((mh - mh_i) / s_mh)^2`` on the default [M/H]_eff axis (the star's [M/H]_eff from
[Fe/H] and [alpha/Fe] by the Salaris formula, :func:`star_mh`), or ``((feh - feh_i)/s_feh)^2 +
((afe - afe_i)/s_afe)^2`` on the paper's ``"feh_afe"`` node axis. G is never multiplied by the age step.

The 10-sigma window (the speed lever) works on three nested levels: a contiguous run of isochrones whose
primary composition lies within ``n_sigma`` errors (the grid is sorted composition-major), then
per-isochrone bounding boxes, then bounding boxes of blocks of ``block_size`` consecutive segments. With
``window="box"`` (the paper's words) an isochrone or block is skipped when all its points lie farther than
``n_sigma * s_k`` from the star in some observable (or composition coordinate). With ``window="ellipsoid"``
(default) it is skipped when a lower bound of the total chi2 (the box distance summed over observables, plus
the composition term) exceeds ``n_sigma**2``. Either way every skipped segment has ``chi2 > n_sigma**2``,
i.e. a term below ``exp(-50)`` of its IMF weight at the default 10: the window removes nothing a brute-force
sum over every segment would keep above that level (the box keeps strictly more of these negligible terms
and is ~1.5x slower).

Summaries (:func:`summarize_G`): the mode (grid age of max G), the median of the linearly interpolated G, and
the 68 % interval as the widest extent in age where the interpolated G >= ``interval_level`` (exp(-1/2) =
0.6065; the paper's "0.61"). ``age_err_frac = (hi - lo) / (2 mode)`` feeds the 25 % cut.

Bad stars never raise: a NaN input or a non-positive error, or no isochrone inside the window, gives NaN ages,
a zero G row and an :class:`AgeFlag` bit.
"""

from __future__ import annotations

import enum
import logging
import math
import weakref
from dataclasses import dataclass

import numba
import numpy as np

from .imf import kroupa_segment_weight
from .isochrones.composition import SALARIS_A, SALARIS_B

__all__ = [
    "AgeFlag",
    "AgeResult",
    "RCBox",
    "OBSERVABLES",
    "DEFAULT_OBSERVABLES",
    "DEFAULT_RC_BOX",
    "INTERVAL_LEVEL",
    "N_SIGMA_WINDOW",
    "star_mh",
    "absolute_mag",
    "prepare_grid",
    "g_function",
    "summarize_G",
    "estimate_ages",
    "encode_G",
    "decode_G",
]

logger = logging.getLogger(__name__)

#: Observables the kernel understands, and the grid column (or expression) each is compared with.
OBSERVABLES = {
    "teff": "teff_k",
    "logg": "logg",
    "mg": "g_mag",
    "bprp0": "bp_mag - rp_mag",
}
#: METHOD.md section 1 [CHOICE]: Teff, log g, M_G.
DEFAULT_OBSERVABLES = ("teff", "logg", "mg")
#: G >= exp(-1/2) bounds the 68 % interval (Jorgensen & Lindegren 2005; the paper quotes 0.61).
INTERVAL_LEVEL = math.exp(-0.5)
#: Paper: only isochrone points within ten times the error of each parameter.
N_SIGMA_WINDOW = 10.0
_KMAX = 4  # at most 4 observables; unused slots have zero inverse error


class AgeFlag(enum.IntFlag):
    """Bits of the ``age_flags`` column."""

    EDGE_LO = 1 << 0  #: the 68 % interval reaches the youngest grid age (an upper limit on youth: a limit)
    EDGE_HI = 1 << 1  #: the 68 % interval reaches the oldest grid age
    NO_ISOCHRONE = 1 << 2  #: no isochrone segment inside the star's window: G = 0, ages NaN
    BAD_INPUT = 1 << 3  #: a NaN input or a non-positive/NaN error: G = 0, ages NaN
    COMP_CLIPPED = 1 << 4  #: composition outside the grid's range, clipped to its edge before fitting
    LIKELY_RC = 1 << 5  #: in the red-clump / HB box (:class:`RCBox`): DSEP stops at the RGB tip
    MULTIMODAL = 1 << 6  #: G dips below the interval level inside the 68 % interval (several peaks)


@dataclass(frozen=True)
class RCBox:
    """Where core-helium-burning stars (red clump, metal-rich horizontal branch) sit; DSEP has no such phase.

    A star with ``teff_min_k <= Teff <= teff_max_k``, ``logg_min <= log g <= logg_max`` and ``[Fe/H] >
    feh_min`` is flagged :attr:`AgeFlag.LIKELY_RC` (its age is still computed, from the RGB it is confused
    with). The default box encloses the observed red clump (Teff ~ 4600-5100 K, log g ~ 2.3-2.7) with
    margin; it also holds some genuine RGB stars, hence "likely".
    """

    teff_min_k: float = 4500.0
    teff_max_k: float = 5200.0
    logg_min: float = 2.2
    logg_max: float = 2.8
    feh_min: float = -1.0


#: Default red-clump box [CHOICE].
DEFAULT_RC_BOX = RCBox()


@dataclass(frozen=True)
class AgeResult:
    """Per-star outputs of :func:`estimate_ages` (all arrays of length n, ``G`` is (n, n_age))."""

    ages_gyr: np.ndarray
    G: np.ndarray
    age_mode_gyr: np.ndarray
    age_median_gyr: np.ndarray
    age_lo_gyr: np.ndarray
    age_hi_gyr: np.ndarray
    age_err_frac: np.ndarray
    age_flags: np.ndarray
    mh_eff: np.ndarray
    mh_eff_err: np.ndarray

    def columns(self) -> dict[str, np.ndarray]:
        """The output columns by name (without G; store it with :func:`encode_G`)."""
        return {
            "age_mode_gyr": self.age_mode_gyr,
            "age_median_gyr": self.age_median_gyr,
            "age_lo_gyr": self.age_lo_gyr,
            "age_hi_gyr": self.age_hi_gyr,
            "age_err_frac": self.age_err_frac,
            "age_flags": self.age_flags,
        }


# -----------------------------------------------------------------------------------------------------------
# star-side inputs
# -----------------------------------------------------------------------------------------------------------


def star_mh(feh, feh_err, afe, afe_err):
    """A star's Salaris effective metallicity and its error.

    ``[M/H] = [Fe/H] + log10(0.638 f + 0.362)``, ``f = 10**[alpha/Fe]``; the error is propagated linearly with
    independent [Fe/H] and [alpha/Fe] errors: ``s_mh^2 = s_feh^2 + (c s_afe)^2``, ``c = 0.638 f / (0.638 f +
    0.362)``.

    Parameters
    ----------
    feh, feh_err, afe, afe_err : array_like
        [Fe/H], [alpha/Fe] and their errors in dex.

    Returns
    -------
    mh, mh_err : numpy.ndarray

    Examples
    --------
    >>> mh, err = star_mh(0.0, 0.03, 0.0, 0.02)
    >>> round(float(mh), 6), round(float(err), 4)
    (0.0, 0.0326)
    """
    feh, feh_err, afe, afe_err = (np.asarray(x, dtype=float) for x in (feh, feh_err, afe, afe_err))
    f = SALARIS_A * 10.0**afe
    mh = feh + np.log10(f + SALARIS_B)
    c = f / (f + SALARIS_B)
    return mh, np.hypot(feh_err, c * afe_err)


def absolute_mag(
    g_mag,
    dist_pc,
    dist_lo_pc,
    dist_hi_pc,
    a_g_mag,
    a_g_err_mag=0.0,
    g_err_mag=0.0,
    err_floor_mag=0.0,
    distance_error: str = "log",
):
    """Absolute G magnitude ``M_G = G - 5 log10(d / 10 pc) - A_G`` and its error, distance error included.

    The distance enters through the Bailer-Jones (2021) 16th/84th percentiles. ``distance_error="log"``
    (default) maps them to distance-modulus percentiles (the map is monotonic, so percentiles carry over
    exactly) and takes the half-width: ``s_mu = 2.5 (log10 d_hi - log10 d_lo)``. ``"linear"`` uses ``s_d =
    (d_hi - d_lo) / 2`` and ``s_mu = 5 / ln 10 * s_d / d``; both agree to first order in ``s_d / d``. The
    total is ``s_M = sqrt(s_mu^2 + s_AG^2 + s_G^2 + floor^2)``.

    Parameters
    ----------
    g_mag : array_like
        Apparent Gaia G.
    dist_pc, dist_lo_pc, dist_hi_pc : array_like
        Median, 16th and 84th percentile distances in pc (a reversed pair is accepted).
    a_g_mag : array_like
        Extinction A_G in mag (catalogue or extinction stage; never a truth column).
    a_g_err_mag, g_err_mag, err_floor_mag : array_like or float, optional
        Extinction error, photometric error, and a floor added in quadrature (all 0 by default).
    distance_error : {"log", "linear"}
        How the distance percentiles become an M_G error.

    Returns
    -------
    mg_mag, mg_err_mag : numpy.ndarray
        NaN where an input is NaN or a distance is non-positive (the kernel then flags the star BAD_INPUT).

    Examples
    --------
    >>> mg, err = absolute_mag(10.0, 100.0, 90.0, 110.0, 0.1)
    >>> round(float(mg), 3), round(float(err), 3)
    (4.9, 0.218)
    """
    if distance_error not in ("log", "linear"):
        raise ValueError(f"distance_error = {distance_error!r}; use 'log' (default) or 'linear'")
    g, d, lo, hi, ag = (np.asarray(x, dtype=float) for x in (g_mag, dist_pc, dist_lo_pc, dist_hi_pc, a_g_mag))
    bad = ~((d > 0) & (lo > 0) & (hi > 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        d_s = np.where(bad, np.nan, d)
        lo_s = np.where(bad, np.nan, np.minimum(lo, hi))
        hi_s = np.where(bad, np.nan, np.maximum(lo, hi))
        mg = g - 5.0 * np.log10(d_s / 10.0) - ag
        if distance_error == "log":
            s_mu = 2.5 * (np.log10(hi_s) - np.log10(lo_s))
        else:
            s_mu = 5.0 / np.log(10.0) * 0.5 * (hi_s - lo_s) / d_s
    err = np.sqrt(s_mu**2 + np.asarray(a_g_err_mag, float) ** 2 + np.asarray(g_err_mag, float) ** 2
                  + np.asarray(err_floor_mag, float) ** 2)
    err = np.where(np.isnan(mg), np.nan, err)
    return mg, err


# -----------------------------------------------------------------------------------------------------------
# grid preparation (once per grid and observable set; cached)
# -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    observables: tuple[str, ...]
    comp_axis: str
    ages_gyr: np.ndarray
    P: np.ndarray  # (n_pts, _KMAX) observables per point, unused columns 0
    seg_w: np.ndarray  # (n_pts,) IMF weight of the segment starting at each point (0 at an isochrone's end)
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


def _check_observables(observables) -> tuple[str, ...]:
    obs = tuple(observables)
    unknown = [o for o in obs if o not in OBSERVABLES]
    if unknown or not obs or len(obs) > _KMAX or len(set(obs)) != len(obs):
        raise ValueError(
            f"observables = {obs!r}; give 1-{_KMAX} distinct names from {tuple(OBSERVABLES)} "
            f"(default {DEFAULT_OBSERVABLES})"
        )
    return obs


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


# -----------------------------------------------------------------------------------------------------------
# the kernel
# -----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True, inline="always")
def _box_lower_chi2(lo, hi, i, o0, o1, o2, o3, e0, e1, e2, e3):  # pragma: no cover - numba
    """Lower bound of sum_k ((x_k - o_k) e_k)^2 over box ``i`` of ``lo``/``hi``, and its largest term."""
    d0 = max(lo[i, 0] - o0, o0 - hi[i, 0], 0.0) * e0
    d1 = max(lo[i, 1] - o1, o1 - hi[i, 1], 0.0) * e1
    d2 = max(lo[i, 2] - o2, o2 - hi[i, 2], 0.0) * e2
    d3 = max(lo[i, 3] - o3, o3 - hi[i, 3], 0.0) * e3
    return d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3, max(d0, d1, d2, d3)


@numba.njit(cache=True)
def _g_kernel(order, obs, inv_err, c1, inv_c1, c2, inv_c2, use_c2, valid, n_sigma, ellipsoid,
              P, seg_w, iso_key, iso_c2, iso_age_idx, iso_wstep, iso_lo, iso_hi,
              blk_start, blk_p0, blk_p1, blk_lo, blk_hi, G):  # pragma: no cover - numba
    """Accumulate G[s, age] for every valid star (see the module docstring for the window)."""
    lim2 = n_sigma * n_sigma
    for s_ in range(order.size):
        s = order[s_]
        if not valid[s]:
            continue
        # scalars, not arrays: keeps them in registers (no aliasing with the output)
        o0 = obs[s, 0]
        o1 = obs[s, 1]
        o2 = obs[s, 2]
        o3 = obs[s, 3]
        e0 = inv_err[s, 0]
        e1 = inv_err[s, 1]
        e2 = inv_err[s, 2]
        e3 = inv_err[s, 3]
        cs = c1[s]
        ec = inv_c1[s]
        half_c = n_sigma / ec
        i0 = np.searchsorted(iso_key, cs - half_c, side="left")
        i1 = np.searchsorted(iso_key, cs + half_c, side="right")
        for i in range(i0, i1):
            d1 = (iso_key[i] - cs) * ec
            cchi2 = d1 * d1
            dmax = abs(d1)
            if use_c2:
                d2 = (iso_c2[i] - c2[s]) * inv_c2[s]
                cchi2 += d2 * d2
                dmax = max(dmax, abs(d2))
            if (cchi2 > lim2) if ellipsoid else (dmax > n_sigma):
                continue
            q, qmax = _box_lower_chi2(iso_lo, iso_hi, i, o0, o1, o2, o3, e0, e1, e2, e3)
            if (q + cchi2 > lim2) if ellipsoid else (qmax > n_sigma):
                continue
            rest = lim2 - cchi2 if ellipsoid else np.inf
            L = 0.0
            for b in range(blk_start[i], blk_start[i + 1]):
                q, qmax = _box_lower_chi2(blk_lo, blk_hi, b, o0, o1, o2, o3, e0, e1, e2, e3)
                if (q > rest) if ellipsoid else (qmax > n_sigma):
                    continue
                for j in range(blk_p0[b], blk_p1[b]):
                    a0 = (P[j, 0] - o0) * e0
                    a1 = (P[j, 1] - o1) * e1
                    a2 = (P[j, 2] - o2) * e2
                    a3 = (P[j, 3] - o3) * e3
                    b0 = (P[j + 1, 0] - P[j, 0]) * e0
                    b1 = (P[j + 1, 1] - P[j, 1]) * e1
                    b2 = (P[j + 1, 2] - P[j, 2]) * e2
                    b3 = (P[j + 1, 3] - P[j, 3]) * e3
                    aa = a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3
                    ab = a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3
                    bb = b0 * b0 + b1 * b1 + b2 * b2 + b3 * b3
                    t = -ab / bb if bb > 0.0 else 0.0
                    t = min(max(t, 0.0), 1.0)
                    chi2 = aa + t * (2.0 * ab + t * bb)
                    if chi2 <= rest:
                        L += seg_w[j] * math.exp(-0.5 * chi2)
            if L > 0.0:
                G[s, iso_age_idx[i]] += iso_wstep[i] * math.exp(-0.5 * cchi2) * L


def _as_float(x, n: int, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise ValueError(f"{name} has shape {a.shape}; expected ({n},) like teff_k")
    return a


def g_function(
    grid,
    teff_k,
    teff_err_k,
    logg,
    logg_err,
    mg_mag,
    mg_err_mag,
    feh,
    feh_err,
    afe,
    afe_err,
    *,
    bprp0_mag=None,
    bprp0_err_mag=None,
    observables=DEFAULT_OBSERVABLES,
    n_sigma: float = N_SIGMA_WINDOW,
    window: str = "ellipsoid",
    clip_composition: bool = True,
    block_size: int = 8,
    normalise: bool = True,
):
    """The G function of each star on ``grid.ages_gyr``, normalised to max 1 (see the module docstring).

    Parameters
    ----------
    grid : IsochroneGrid
        The isochrone grid; its ``comp_axis`` ("mh" or "feh_afe") selects the composition term.
    teff_k, teff_err_k, logg, logg_err, mg_mag, mg_err_mag : array_like, shape (n,)
        Observables and errors (only those named in ``observables`` are used).
    feh, feh_err, afe, afe_err : array_like, shape (n,)
        [Fe/H], [alpha/Fe] and errors (dex). On the "mh" axis they become [M/H]_eff (:func:`star_mh`).
    bprp0_mag, bprp0_err_mag : array_like, optional
        Dereddened BP-RP and error, needed when ``"bprp0"`` is an observable.
    observables : sequence of str
        Default ("teff", "logg", "mg").
    n_sigma : float
        Window half-width in errors (paper: 10). Keep <= ~25: chi2 beyond ~1400 underflows to 0.
    window : {"ellipsoid", "box"}
        "box" (the paper's words): skip isochrones/blocks farther than ``n_sigma`` errors in some observable
        or composition coordinate. "ellipsoid" (default, faster): skip them when a lower bound of their total
        chi2 (observables from the bounding box, plus the composition term) exceeds ``n_sigma**2``. Both skip
        only terms below ``exp(-n_sigma**2 / 2)`` of their IMF weight; the box skips a subset of those.
    clip_composition : bool
        Clip a composition beyond the grid's range to its edge (and flag it). False keeps it (the fit then
        sees only the edge nodes within the window, or no isochrone).
    block_size : int
        Segments per bounding-box block (speed only).
    normalise : bool
        True (default): each row scaled to max 1. False: the raw sums (IMF with ``k_0 = 1``, times the
        composition cell size), for tests and diagnostics.

    Returns
    -------
    G : numpy.ndarray, shape (n, n_age)
        Max 1 per star; a zero row for stars with bad inputs or no isochrone in the window.
    flags : numpy.ndarray of int64
        :class:`AgeFlag` bits BAD_INPUT, NO_ISOCHRONE, COMP_CLIPPED.
    mh, mh_err : numpy.ndarray
        The star's composition on the primary axis ([M/H]_eff on "mh", [Fe/H] on "feh_afe") after clipping.
    """
    if window not in ("ellipsoid", "box"):
        raise ValueError(f"window = {window!r}; use 'ellipsoid' (default) or 'box' (the paper's literal one)")
    if not n_sigma > 0:
        raise ValueError(f"n_sigma = {n_sigma}; give a positive window half-width in errors (paper: 10)")
    prep = prepare_grid(grid, observables, block_size)
    teff_k = np.asarray(teff_k, dtype=float)
    n = teff_k.size
    star = {
        "teff": (teff_k, teff_err_k),
        "logg": (logg, logg_err),
        "mg": (mg_mag, mg_err_mag),
        "bprp0": (bprp0_mag, bprp0_err_mag),
    }
    obs = np.zeros((n, _KMAX))
    inv_err = np.zeros((n, _KMAX))
    valid = np.ones(n, bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, name in enumerate(prep.observables):
            v, e = star[name]
            if v is None or e is None:
                raise ValueError(f"observable {name!r} requested but its value or error was not given")
            v = _as_float(v, n, name)
            e = _as_float(e, n, name + " error")
            ok = np.isfinite(v) & np.isfinite(e) & (e > 0)
            valid &= ok
            obs[:, k] = np.where(ok, v, 0.0)
            inv_err[:, k] = np.where(ok, 1.0 / e, 1.0)
        feh, feh_err, afe, afe_err = (
            _as_float(x, n, nm)
            for x, nm in ((feh, "feh"), (feh_err, "feh_err"), (afe, "afe"), (afe_err, "afe_err"))
        )
        flags = np.zeros(n, np.int64)
        if prep.comp_axis == "mh":
            c1, s1 = star_mh(feh, feh_err, afe, afe_err)
            c2 = np.zeros(n)
            s2 = np.ones(n)
        else:
            c1, s1, c2, s2 = feh.copy(), feh_err.copy(), afe.copy(), afe_err.copy()
        ok = np.isfinite(c1) & np.isfinite(s1) & (s1 > 0) & np.isfinite(c2) & np.isfinite(s2) & (s2 > 0)
        valid &= ok
        if clip_composition:
            off = np.zeros(n, bool)
            for c, (lo, hi) in ((c1, prep.c1_range), (c2, prep.c2_range)):
                if prep.comp_axis == "mh" and c is c2:
                    continue
                out = ok & ((c < lo - 1e-9) | (c > hi + 1e-9))
                off |= out
                np.clip(c, lo, hi, out=c)
            flags[off] |= AgeFlag.COMP_CLIPPED
        c1 = np.where(valid, c1, 0.0)
        c2 = np.where(valid, c2, 0.0)
        inv1 = np.where(valid, 1.0 / s1, 1.0)
        inv2 = np.where(valid, 1.0 / s2, 1.0)
    flags[~valid] |= AgeFlag.BAD_INPUT
    G = np.zeros((n, prep.ages_gyr.size))
    # stars in composition then M_G order: neighbours touch the same isochrone points (cache reuse)
    order = np.lexsort((obs[:, 0], c1)).astype(np.int64)
    _g_kernel(order, obs, inv_err, c1, inv1, c2, inv2, prep.comp_axis == "feh_afe", valid, float(n_sigma),
              window == "ellipsoid", prep.P, prep.seg_w, prep.iso_key, prep.iso_c2, prep.iso_age_idx,
              prep.iso_wstep,
              prep.iso_lo, prep.iso_hi, prep.blk_start, prep.blk_p0, prep.blk_p1, prep.blk_lo, prep.blk_hi, G)
    gmax = G.max(axis=1) if G.shape[1] else np.zeros(n)
    none = valid & ~(gmax > 0)
    flags[none] |= AgeFlag.NO_ISOCHRONE
    pos = gmax > 0
    if normalise:
        G[pos] /= gmax[pos, None]
    mh = np.where(ok, c1, np.nan)
    mh_err = np.where(ok, s1, np.nan)
    return G, flags, mh, mh_err


# -----------------------------------------------------------------------------------------------------------
# summaries
# -----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _summarize(G, ages, level, mode, median, lo, hi, flags):  # pragma: no cover - numba
    n, m = G.shape
    cum = np.empty(m)
    for s in range(n):
        mode[s] = np.nan
        median[s] = np.nan
        lo[s] = np.nan
        hi[s] = np.nan
        gmax = 0.0
        imax = -1
        for i in range(m):
            if G[s, i] > gmax:
                gmax = G[s, i]
                imax = i
        if imax < 0 or not np.isfinite(gmax):
            continue
        mode[s] = ages[imax]
        if m == 1:
            median[s] = ages[0]
            lo[s] = ages[0]
            hi[s] = ages[0]
            flags[s] |= 3
            continue
        thr = level * gmax
        first = -1
        last = -1
        for i in range(m):
            if G[s, i] >= thr:
                if first < 0:
                    first = i
                last = i
        if first == 0:
            lo[s] = ages[0]
            flags[s] |= 1
        else:
            g0 = G[s, first - 1]
            g1 = G[s, first]
            lo[s] = ages[first - 1] + (thr - g0) / (g1 - g0) * (ages[first] - ages[first - 1])
        if last == m - 1:
            hi[s] = ages[m - 1]
            flags[s] |= 2
        else:
            g0 = G[s, last]
            g1 = G[s, last + 1]
            hi[s] = ages[last] + (g0 - thr) / (g0 - g1) * (ages[last + 1] - ages[last])
        for i in range(first + 1, last):
            if G[s, i] < thr:
                flags[s] |= 64
                break
        # median of the linearly interpolated G (trapezoid cumulative, exact quadratic inside the segment)
        cum[0] = 0.0
        for i in range(1, m):
            cum[i] = cum[i - 1] + 0.5 * (G[s, i - 1] + G[s, i]) * (ages[i] - ages[i - 1])
        half = 0.5 * cum[m - 1]
        i = 0
        while i < m - 2 and cum[i + 1] < half:
            i += 1
        r = half - cum[i]
        h = ages[i + 1] - ages[i]
        g0 = G[s, i]
        slope = (G[s, i + 1] - g0) / h
        disc = g0 * g0 + 2.0 * slope * r
        if disc < 0.0:
            disc = 0.0
        den = g0 + math.sqrt(disc)
        x = 2.0 * r / den if den > 0.0 else 0.0
        if x > h:
            x = h
        median[s] = ages[i] + x


def summarize_G(G, ages_gyr, interval_level: float = INTERVAL_LEVEL):
    """Mode, median, interval and edge flags of G functions on an age grid.

    Parameters
    ----------
    G : array_like, shape (n, n_age) or (n_age,)
        G functions (any positive scale; a row of zeros or NaNs gives NaN summaries).
    ages_gyr : array_like, shape (n_age,)
        Increasing grid ages.
    interval_level : float
        Fraction of max G bounding the interval (exp(-1/2) for 68 %, exp(-2) = 0.135 for 95 %).

    Returns
    -------
    dict of numpy.ndarray
        ``age_mode_gyr`` (grid age of the maximum, the first if tied), ``age_median_gyr`` (half the area of
        the linearly interpolated G), ``age_lo_gyr`` / ``age_hi_gyr`` (widest extent where the interpolated
        G >= level; a bound at the grid's end is that end), ``age_err_frac = (hi - lo) / (2 mode)``, and
        ``age_flags`` with EDGE_LO, EDGE_HI, MULTIMODAL bits.

    Examples
    --------
    >>> out = summarize_G([0.0, 1.0, 0.0], [1.0, 2.0, 3.0])
    >>> float(out["age_mode_gyr"][0]), float(out["age_median_gyr"][0])
    (2.0, 2.0)
    >>> round(float(out["age_lo_gyr"][0]), 4), round(float(out["age_hi_gyr"][0]), 4)
    (1.6065, 2.3935)
    """
    G = np.atleast_2d(np.asarray(G, dtype=float))
    ages = np.asarray(ages_gyr, dtype=float)
    if G.shape[1] != ages.size:
        raise ValueError(f"G has {G.shape[1]} ages per star but ages_gyr has {ages.size}")
    if ages.size > 1 and np.any(np.diff(ages) <= 0):
        raise ValueError("ages_gyr must be strictly increasing")
    if not 0.0 < interval_level <= 1.0:
        raise ValueError(f"interval_level = {interval_level}; give a fraction in (0, 1] (default exp(-1/2))")
    n = G.shape[0]
    Gc = np.where(np.isfinite(G), G, 0.0)
    out = {k: np.empty(n) for k in ("age_mode_gyr", "age_median_gyr", "age_lo_gyr", "age_hi_gyr")}
    flags = np.zeros(n, np.int64)
    _summarize(np.ascontiguousarray(Gc), ages, float(interval_level), out["age_mode_gyr"],
               out["age_median_gyr"], out["age_lo_gyr"], out["age_hi_gyr"], flags)
    out["age_err_frac"] = (out["age_hi_gyr"] - out["age_lo_gyr"]) / (2.0 * out["age_mode_gyr"])
    out["age_flags"] = flags
    return out


def _rc_mask(teff_k, logg, feh, box: RCBox | None) -> np.ndarray:
    t = np.asarray(teff_k, float)
    if box is None:
        return np.zeros(t.shape, bool)
    g = np.asarray(logg, float)
    f = np.asarray(feh, float)
    with np.errstate(invalid="ignore"):
        return ((t >= box.teff_min_k) & (t <= box.teff_max_k) & (g >= box.logg_min) & (g <= box.logg_max)
                & (f > box.feh_min))


def estimate_ages(
    grid,
    teff_k,
    teff_err_k,
    logg,
    logg_err,
    mg_mag,
    mg_err_mag,
    feh,
    feh_err,
    afe,
    afe_err,
    *,
    bprp0_mag=None,
    bprp0_err_mag=None,
    observables=DEFAULT_OBSERVABLES,
    n_sigma: float = N_SIGMA_WINDOW,
    window: str = "ellipsoid",
    interval_level: float = INTERVAL_LEVEL,
    rc_box: RCBox | None = DEFAULT_RC_BOX,
    clip_composition: bool = True,
    block_size: int = 8,
) -> AgeResult:
    """Isochrone ages of many stars: G functions and their summaries (METHOD.md section 1).

    Parameters are those of :func:`g_function` plus ``interval_level`` (:func:`summarize_G`) and ``rc_box``
    (:class:`RCBox`, None to disable the red-clump flag). Never raises for a bad star: it gets NaN ages,
    a zero G row and flags.

    Returns
    -------
    AgeResult

    Examples
    --------
    >>> from mwdisk.isochrones import load_grid
    >>> res = estimate_ages(load_grid("dsep"), [5800.0], [80.0], [4.2], [0.1], [3.9], [0.1],
    ...                     [0.0], [0.05], [0.05], [0.03])
    >>> bool(1.0 <= res.age_mode_gyr[0] <= 14.5), res.G.shape
    (True, (1, 36))
    """
    G, flags, mh, mh_err = g_function(
        grid, teff_k, teff_err_k, logg, logg_err, mg_mag, mg_err_mag, feh, feh_err, afe, afe_err,
        bprp0_mag=bprp0_mag, bprp0_err_mag=bprp0_err_mag, observables=observables, n_sigma=n_sigma,
        window=window, clip_composition=clip_composition, block_size=block_size,
    )
    ages = prepare_grid(grid, observables, block_size).ages_gyr
    summ = summarize_G(G, ages, interval_level)
    flags |= summ["age_flags"]
    flags[_rc_mask(teff_k, logg, feh, rc_box)] |= AgeFlag.LIKELY_RC
    n_bad = int(np.count_nonzero(flags & (AgeFlag.BAD_INPUT | AgeFlag.NO_ISOCHRONE)))
    if n_bad:
        logger.debug("%d of %d stars without an age (bad input or no isochrone in window)", n_bad, G.shape[0])
    return AgeResult(
        ages_gyr=ages,
        G=G,
        age_mode_gyr=summ["age_mode_gyr"],
        age_median_gyr=summ["age_median_gyr"],
        age_lo_gyr=summ["age_lo_gyr"],
        age_hi_gyr=summ["age_hi_gyr"],
        age_err_frac=summ["age_err_frac"],
        age_flags=flags,
        mh_eff=mh,
        mh_eff_err=mh_err,
    )


# -----------------------------------------------------------------------------------------------------------
# compact storage of G
# -----------------------------------------------------------------------------------------------------------


def encode_G(G) -> list[bytes]:
    """G functions as bytes per star: uint16 little-endian, each row scaled so its max is 65535.

    Parameters
    ----------
    G : array_like, shape (n, n_age)
        Non-negative G functions; rows of zeros (stars without an age) encode as zeros.

    Returns
    -------
    list of bytes
        ``2 * n_age`` bytes per star (the parquet column ``age_G_u16``).

    Examples
    --------
    >>> encode_G([[0.0, 0.5, 1.0]])[0].hex()
    '00000080ffff'
    """
    G = np.atleast_2d(np.asarray(G, dtype=float))
    G = np.where(np.isfinite(G) & (G > 0), G, 0.0)
    gmax = G.max(axis=1, keepdims=True) if G.shape[1] else np.zeros((G.shape[0], 1))
    scale = np.divide(65535.0, gmax, out=np.zeros_like(gmax), where=gmax > 0)
    q = np.rint(G * scale).astype("<u2")
    return [row.tobytes() for row in q]


def decode_G(blobs, n_age: int | None = None) -> np.ndarray:
    """Inverse of :func:`encode_G`: (n, n_age) float64 with max 1 per star (zeros stay zeros).

    Parameters
    ----------
    blobs : sequence of bytes
        One value per star (``None`` decodes to a NaN row).
    n_age : int, optional
        Ages per star; inferred from the first non-null value when omitted.
    """
    blobs = list(blobs)
    if n_age is None:
        first = next((b for b in blobs if b is not None), None)
        n_age = 0 if first is None else len(first) // 2
    out = np.full((len(blobs), n_age), np.nan)
    for i, b in enumerate(blobs):
        if b is None:
            continue
        if len(b) != 2 * n_age:
            raise ValueError(f"G value {i} has {len(b)} bytes; expected {2 * n_age} (uint16 x {n_age} ages)")
        out[i] = np.frombuffer(b, dtype="<u2") / 65535.0
    return out
