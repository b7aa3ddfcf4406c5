"""The G function of each star on the age grid: the numba kernel and :func:`g_function` around it.

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

Bad stars never raise: a NaN input or a non-positive error, or no isochrone inside the window, gives a zero
G row and an :class:`AgeFlag` bit.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .flags import AgeFlag
from .grid import prepare_grid
from .observables import _KMAX, DEFAULT_OBSERVABLES, star_mh

__all__ = ["N_SIGMA_WINDOW", "g_function"]

#: Paper: only isochrone points within ten times the error of each parameter.
N_SIGMA_WINDOW = 10.0


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
