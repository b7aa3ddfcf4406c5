"""Monte-Carlo draws of each star and the per-draw APIs :func:`regenerate_draws`, :func:`draw_observables`.

For each star, ``n_draws`` mock observations are drawn: (ra*, dec, parallax, pmra, pmdec) from the full Gaia
5x5 covariance (:mod:`.covariance`), the distance from the two-piece Gaussian on the Bailer-Jones percentiles
(:mod:`.distance`), the radial velocity from its error. Non-positive distance draws are redrawn from fresh
normals of the star's stream (independent of its parallax draw) and the star is flagged with
:attr:`PhaseSpaceFlag.DISTANCE_REDRAWN`. Every random number of a star is a function of (seed, source_id)
only (:mod:`mwdisk.rng`).
"""

from __future__ import annotations

import logging

import numba
import numpy as np

from mwdisk.frame import GalacticFrame
from mwdisk.rng import STREAM_PHASESPACE, normals

from .columns import DRAW_COLUMNS
from .covariance import _NON_PD, _OK, _PERM, _cholesky_batch
from .distance import _distance_draws, two_piece_distance
from .flags import PhaseSpaceFlag
from .inputs import _prepare
from .streams import _MAX_REDRAWS, _NORMALS_PER_DRAW, _OFFSET_DISTANCE, _OFFSET_REDRAW, _REDRAW_STRIDE
from .transform import _DEG, _cyl, _frame_constants, _galcen

__all__ = ["regenerate_draws", "draw_observables"]

logger = logging.getLogger(__name__)

_MAS_PER_DEG = 3.6e6


def _chunk_draws(keys, arrs, cov, sl, n_draws, distance_z_from_parallax):
    """Cholesky factors, normals, distances (with redraws) and updated ok / flag bits of one chunk."""
    k = keys[sl]
    m = k.size
    ok = arrs["_ok"][sl].copy()
    flags = np.zeros(m, np.int32)
    covp = np.ascontiguousarray(cov[sl][:, _PERM][:, :, _PERM])
    L = np.empty((m, 5, 5))
    status = np.zeros(m, np.int64)
    _cholesky_batch(covp, L, status)
    nonpd = ok & (status == _NON_PD)
    flags[nonpd] |= PhaseSpaceFlag.NON_PD_COVARIANCE
    ok &= status == _OK
    z = normals(k, STREAM_PHASESPACE, _NORMALS_PER_DRAW * n_draws)
    if distance_z_from_parallax:
        zd = np.empty((0, 0))
    else:
        zd = normals(k, STREAM_PHASESPACE, n_draws, offset=_OFFSET_DISTANCE)
    med = arrs["dist_med_pc"][sl] / 1000.0
    lo = arrs["dist_lo_pc"][sl] / 1000.0
    hi = arrs["dist_hi_pc"][sl] / 1000.0
    r = np.empty((m, n_draws))
    _distance_draws(z, zd, not distance_z_from_parallax, med, lo, hi, ok, r)
    bad = ok[:, None] & ~(r > 0.0)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        flags[rows] |= PhaseSpaceFlag.DISTANCE_REDRAWN
        for attempt in range(1, _MAX_REDRAWS + 1):
            rows = np.flatnonzero(bad.any(axis=1))
            if rows.size == 0:
                break
            offset = _OFFSET_REDRAW + attempt * _REDRAW_STRIDE
            zz = normals(k[rows], STREAM_PHASESPACE, n_draws, offset=offset)
            new = two_piece_distance(zz, med[rows, None], lo[rows, None], hi[rows, None])
            sub = bad[rows]
            r[rows] = np.where(sub, new, r[rows])
            bad[rows] = sub & ~(new > 0.0)
        if bad.any():  # practically impossible: P(non-positive) <= 0.16 per attempt when lo >= 0
            r[bad] = np.nan
            logger.debug("%d distance draws still non-positive after %d redraws", int(bad.sum()),
                         _MAX_REDRAWS)
    return L, z, r, med, ok, flags


@numba.njit(cache=True, inline="always")
def _observe(i, j, L, z, ra, dec, pmra, pmdec, rv, rverr):
    """Draw j of star i: (ra_deg, dec_deg, dplx_mas, pmra, pmdec, rv) from L and the normals."""
    b = _NORMALS_PER_DRAW * j
    z0 = z[i, b]
    z1 = z[i, b + 1]
    z2 = z[i, b + 2]
    z3 = z[i, b + 3]
    z4 = z[i, b + 4]
    # internal order: parallax, ra*, dec, pmra, pmdec
    dplx = L[i, 0, 0] * z0
    dra = L[i, 1, 0] * z0 + L[i, 1, 1] * z1
    ddec = L[i, 2, 0] * z0 + L[i, 2, 1] * z1 + L[i, 2, 2] * z2
    dpmra = L[i, 3, 0] * z0 + L[i, 3, 1] * z1 + L[i, 3, 2] * z2 + L[i, 3, 3] * z3
    dpmdec = L[i, 4, 0] * z0 + L[i, 4, 1] * z1 + L[i, 4, 2] * z2 + L[i, 4, 3] * z3 + L[i, 4, 4] * z4
    dec_j = dec[i] + ddec / _MAS_PER_DEG
    ra_j = ra[i] + dra / (_MAS_PER_DEG * np.cos(dec[i] * _DEG))
    rv_j = rv[i] + rverr[i] * z[i, b + 5]
    return ra_j, dec_j, dplx, pmra[i] + dpmra, pmdec[i] + dpmdec, rv_j


@numba.njit(cache=True)
def _draws_kernel(L, z, r, ra, dec, pmra, pmdec, rv, rverr, ok, has_rv, M, off, voff, out):
    """Per-draw quantities; out is (9, m, n_draws) in the order of DRAW_COLUMNS."""
    m, n = r.shape
    for i in range(m):
        for j in range(n):
            if not ok[i]:
                for q in range(9):
                    out[q, i, j] = np.nan
                continue
            ra_j, dec_j, _, pmra_j, pmdec_j, rv_j = _observe(i, j, L, z, ra, dec, pmra, pmdec, rv, rverr)
            X, Y, Z, VX, VY, VZ = _galcen(ra_j, dec_j, r[i, j], pmra_j, pmdec_j, rv_j, M, off, voff)
            R, phi, vR, vphi, Lz = _cyl(X, Y, VX, VY)
            out[0, i, j] = X
            out[1, i, j] = Y
            out[2, i, j] = Z
            out[3, i, j] = R
            out[4, i, j] = phi
            if has_rv[i]:
                out[5, i, j] = vR
                out[6, i, j] = vphi
                out[7, i, j] = VZ
                out[8, i, j] = Lz
            else:
                for q in range(5, 9):
                    out[q, i, j] = np.nan


@numba.njit(cache=True)
def _observables_kernel(L, z, r, ra, dec, pmra, pmdec, rv, rverr, ok, delta, dist, rvs):
    """Per-draw observables: delta (m, n, 5) offsets in Gaia order (mas, mas/yr), dist (kpc), rv (km/s)."""
    m, n = r.shape
    for i in range(m):
        for j in range(n):
            b = _NORMALS_PER_DRAW * j
            z0, z1, z2, z3, z4 = z[i, b], z[i, b + 1], z[i, b + 2], z[i, b + 3], z[i, b + 4]
            delta[i, j, 2] = L[i, 0, 0] * z0
            delta[i, j, 0] = L[i, 1, 0] * z0 + L[i, 1, 1] * z1
            delta[i, j, 1] = L[i, 2, 0] * z0 + L[i, 2, 1] * z1 + L[i, 2, 2] * z2
            delta[i, j, 3] = L[i, 3, 0] * z0 + L[i, 3, 1] * z1 + L[i, 3, 2] * z2 + L[i, 3, 3] * z3
            delta[i, j, 4] = (L[i, 4, 0] * z0 + L[i, 4, 1] * z1 + L[i, 4, 2] * z2 + L[i, 4, 3] * z3
                              + L[i, 4, 4] * z4)
            dist[i, j] = r[i, j]
            rvs[i, j] = rv[i] + rverr[i] * z[i, b + 5]
            if not ok[i]:
                for q in range(5):
                    delta[i, j, q] = np.nan
                dist[i, j] = np.nan
                rvs[i, j] = np.nan


def regenerate_draws(
    source_id,
    ra_deg,
    dec_deg,
    pmra_masyr,
    pmdec_masyr,
    cov_gaia,
    dist_med_pc,
    dist_lo_pc,
    dist_hi_pc,
    rv_kms,
    rv_error_kms,
    *,
    frame: GalacticFrame,
    seed: int,
    n_draws: int = 100,
    distance_z_from_parallax: bool = True,
) -> dict[str, np.ndarray]:
    """The same draws :func:`phasespace_summary` averages, per draw, for the stars given.

    Takes the arguments of :func:`phasespace_summary` (call it on a chunk of stars: the result holds
    ``n x n_draws`` values per quantity). The orbit stage uses it to compute R_g for every draw without the
    draws ever being stored.

    Returns
    -------
    dict of str to ndarray
        ``X_kpc, Y_kpc, Z_kpc, R_kpc, phi_rad, vR_kms, vphi_kms, vz_kms, Lz_kpckms`` of shape
        ``(n, n_draws)`` (:data:`DRAW_COLUMNS`; NaN rows for unusable stars, NaN velocities without RV) and
        ``ps_flags`` of shape ``(n,)``.
    """
    ids, arrs, cov, flags, has_rv, keys = _prepare(
        source_id, ra_deg, dec_deg, pmra_masyr, pmdec_masyr, cov_gaia, dist_med_pc, dist_lo_pc, dist_hi_pc,
        rv_kms, rv_error_kms, seed, n_draws, 1)
    n, n_draws = ids.size, int(n_draws)
    M, off, voff = _frame_constants(frame)
    L, z, r, _, ok, cflags = _chunk_draws(keys, arrs, cov, slice(0, n), n_draws, distance_z_from_parallax)
    out = np.empty((9, n, n_draws))
    _draws_kernel(L, z, r, arrs["ra_deg"], arrs["dec_deg"], arrs["pmra_masyr"], arrs["pmdec_masyr"],
                  arrs["_rv"], arrs["_rverr"], ok, has_rv, M, off, voff, out)
    result = {q: out[k] for k, q in enumerate(DRAW_COLUMNS)}
    result["ps_flags"] = flags | cflags
    return result


def draw_observables(
    source_id,
    ra_deg,
    dec_deg,
    pmra_masyr,
    pmdec_masyr,
    cov_gaia,
    dist_med_pc,
    dist_lo_pc,
    dist_hi_pc,
    rv_kms,
    rv_error_kms,
    *,
    seed: int,
    n_draws: int = 100,
    distance_z_from_parallax: bool = True,
) -> dict[str, np.ndarray]:
    """The observable-space draws behind :func:`phasespace_summary` (for checks and diagnostics).

    Returns
    -------
    dict of str to ndarray
        ``delta`` (n, n_draws, 5): offsets of (ra*, dec, parallax, pmra, pmdec) from the catalogue values in
        mas and mas/yr (Gaia order); ``dist_kpc`` (n, n_draws); ``rv_kms`` (n, n_draws); ``ps_flags`` (n,).
    """
    ids, arrs, cov, flags, has_rv, keys = _prepare(
        source_id, ra_deg, dec_deg, pmra_masyr, pmdec_masyr, cov_gaia, dist_med_pc, dist_lo_pc, dist_hi_pc,
        rv_kms, rv_error_kms, seed, n_draws, 1)
    n, n_draws = ids.size, int(n_draws)
    L, z, r, _, ok, cflags = _chunk_draws(keys, arrs, cov, slice(0, n), n_draws, distance_z_from_parallax)
    delta = np.empty((n, n_draws, 5))
    dist = np.empty((n, n_draws))
    rvs = np.empty((n, n_draws))
    _observables_kernel(L, z, r, arrs["ra_deg"], arrs["dec_deg"], arrs["pmra_masyr"], arrs["pmdec_masyr"],
                        arrs["_rv"], arrs["_rverr"], ok, delta, dist, rvs)
    rvs[~has_rv] = np.nan
    return {"delta": delta, "dist_kpc": dist, "rv_kms": rvs, "ps_flags": flags | cflags}
