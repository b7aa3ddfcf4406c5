"""Mean and standard deviation over the draws of each star's Galactocentric phase space.

One scalar numba loop per star over its draws (``_summary_kernel``), so the output is bit-for-bit the same
for any partitioning, chunking or order. Standard deviations are population standard deviations of the draws
(``ddof = 0``); the azimuth ``phi`` is averaged as deviations from the star's point-estimate azimuth wrapped
into (-pi, pi] (stars near the Sun sit at phi ~ pi, where a plain mean of the draws would be wrong).
"""

from __future__ import annotations

import numba
import numpy as np

from mwdisk.frame import GalacticFrame

from .columns import _QUANTITIES
from .draws import _chunk_draws, _observe
from .inputs import _prepare
from .transform import _cyl, _frame_constants, _galcen, _wrap, icrs_to_galactocentric

__all__ = ["phasespace_summary"]


@numba.njit(cache=True)
def _summary_kernel(L, z, r, ra, dec, pmra, pmdec, rv, rverr, med, ok, has_rv, M, off, voff, out, buf):
    """Mean and std over draws of the 9 quantities, one scalar loop per star; out is (m, 18)."""
    m, n = r.shape
    for i in range(m):
        if not ok[i]:
            for q in range(18):
                out[i, q] = np.nan
            continue
        # point-estimate azimuth, the reference for averaging phi
        X0, Y0, _, _, _, _ = _galcen(ra[i], dec[i], med[i], 0.0, 0.0, 0.0, M, off, voff)
        phi0 = np.arctan2(Y0, X0)
        for j in range(n):
            ra_j, dec_j, _, pmra_j, pmdec_j, rv_j = _observe(i, j, L, z, ra, dec, pmra, pmdec, rv, rverr)
            X, Y, Z, VX, VY, VZ = _galcen(ra_j, dec_j, r[i, j], pmra_j, pmdec_j, rv_j, M, off, voff)
            R, phi, vR, vphi, Lz = _cyl(X, Y, VX, VY)
            buf[j, 0] = X
            buf[j, 1] = Y
            buf[j, 2] = Z
            buf[j, 3] = R
            buf[j, 4] = _wrap(phi - phi0)
            buf[j, 5] = vR
            buf[j, 6] = vphi
            buf[j, 7] = VZ
            buf[j, 8] = Lz
        nq = 9 if has_rv[i] else 5
        for q in range(9):
            if q >= nq:
                out[i, 2 * q] = np.nan
                out[i, 2 * q + 1] = np.nan
                continue
            s = 0.0
            for j in range(n):
                s += buf[j, q]
            mean = s / n
            ss = 0.0
            for j in range(n):
                dlt = buf[j, q] - mean
                ss += dlt * dlt
            out[i, 2 * q] = mean
            out[i, 2 * q + 1] = np.sqrt(ss / n)
        out[i, 8] = _wrap(phi0 + out[i, 8])


def phasespace_summary(
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
    chunk_stars: int = 2000,
    distance_z_from_parallax: bool = True,
) -> dict[str, np.ndarray]:
    """Mean and standard deviation over Monte-Carlo draws of each star's Galactocentric phase space.

    Parameters
    ----------
    source_id : array of int, shape (n,)
        The stars' keys (Gaia ``source_id``; the mock's index): with ``seed``, they fix every random number.
    ra_deg, dec_deg : array, shape (n,)
        Catalogue ICRS position (deg).
    pmra_masyr, pmdec_masyr : array, shape (n,)
        Catalogue proper motions (mas/yr; pmra includes cos dec).
    cov_gaia : array, shape (n, 5, 5)
        Gaia covariance of (ra*, dec, parallax, pmra, pmdec) in mas and mas/yr
        (:func:`mwdisk.schema.gaia_covariance`). Only its parallax row enters the distance, through the
        parallax draw's standard normal; the parallax value itself is not used (distances are Bailer-Jones).
    dist_med_pc, dist_lo_pc, dist_hi_pc : array, shape (n,)
        Bailer-Jones median, 16th and 84th percentile distances (pc).
    rv_kms, rv_error_kms : array, shape (n,)
        Line-of-sight velocity and its error (km/s); NaN where there is none.
    frame : GalacticFrame
        The run's Galactocentric frame.
    seed : int
        The run's global seed.
    n_draws : int, default 100
        Draws per star (paper: 100).
    chunk_stars : int, default 2000
        Stars processed together; only ``chunk_stars x n_draws`` draws are held at once. Does not change the
        result.
    distance_z_from_parallax : bool, default True
        Drive the two-piece distance with the parallax draw's standard normal (sign flipped); False draws it
        from an independent normal.

    Returns
    -------
    dict of str to ndarray
        Keys :data:`SUMMARY_COLUMNS`: ``X_kpc``, ``X_kpc_std``, ..., ``Lz_kpckms_std`` (float64),
        ``R_present_kpc`` (R of the point estimate: catalogue position at the Bailer-Jones median distance, no
        draws) and ``ps_flags`` (int32, :class:`PhaseSpaceFlag`). Stars with unusable astrometry, distance or
        covariance get NaN everywhere except ``R_present_kpc`` where position and median distance exist;
        stars without RV get positions and NaN velocities / ``Lz``.

    Raises
    ------
    ValueError
        When the arrays do not have one value per star, ``cov_gaia`` is not (n, 5, 5), or ``n_draws`` /
        ``chunk_stars`` is not positive. Bad *stars* never raise: they are flagged.
    """
    ids, arrs, cov, flags, has_rv, keys = _prepare(
        source_id, ra_deg, dec_deg, pmra_masyr, pmdec_masyr, cov_gaia, dist_med_pc, dist_lo_pc, dist_hi_pc,
        rv_kms, rv_error_kms, seed, n_draws, chunk_stars)
    n = ids.size
    n_draws = int(n_draws)
    M, off, voff = _frame_constants(frame)
    out = np.full((n, 18), np.nan)
    buf = np.empty((n_draws, 9))
    for start in range(0, n, int(chunk_stars)):
        sl = slice(start, min(n, start + int(chunk_stars)))
        L, z, r, med, ok, cflags = _chunk_draws(keys, arrs, cov, sl, n_draws, distance_z_from_parallax)
        flags[sl] |= cflags
        _summary_kernel(L, z, r, arrs["ra_deg"][sl], arrs["dec_deg"][sl], arrs["pmra_masyr"][sl],
                        arrs["pmdec_masyr"][sl], arrs["_rv"][sl], arrs["_rverr"][sl], med, ok, has_rv[sl],
                        M, off, voff, out[sl], buf)
    result = {}
    for q_i, q in enumerate(_QUANTITIES):
        result[q] = out[:, 2 * q_i].copy()
        result[q + "_std"] = out[:, 2 * q_i + 1].copy()
    with np.errstate(invalid="ignore"):
        med_ok = np.isfinite(arrs["dist_med_pc"]) & (arrs["dist_med_pc"] > 0)
    X, Y, _, _, _, _ = icrs_to_galactocentric(arrs["ra_deg"], arrs["dec_deg"], arrs["dist_med_pc"] / 1000.0,
                                              0.0, 0.0, 0.0, frame)
    result["R_present_kpc"] = np.where(med_ok, np.hypot(X, Y), np.nan)
    result["ps_flags"] = flags
    return result
