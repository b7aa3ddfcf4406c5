"""Monte-Carlo Galactocentric phase space of every star (METHOD.md section 3).

For each star, ``n_draws`` (paper: 100) mock observations are drawn: (ra*, dec, parallax, pmra, pmdec) from
the full Gaia 5x5 covariance, the distance from the paper's two-piece Gaussian on the Bailer-Jones
16th/50th/84th percentiles, the radial velocity from its error. Each draw is transformed to the
Galactocentric frame of a :class:`~mwdisk.frame.GalacticFrame` and the stars' summaries are the mean and
standard deviation over the draws.

Choices (the defaults of the keyword arguments; the ``phasespace`` section of the configuration):

- ``n_draws = 100`` draws per star (paper).
- ``distance_z_from_parallax = True``: the two-piece distance draw is driven by the standard normal of the
  star's own parallax draw with its sign flipped (a larger parallax means a smaller distance). This keeps the
  Bailer-Jones percentiles exactly and carries Gaia's parallax / proper-motion and parallax / position
  correlations into the distance. ``False`` draws the distance from an independent normal.
- Non-positive distance draws are redrawn from fresh normals of the star's stream (independent of its
  parallax draw) and the star is flagged with :attr:`PhaseSpaceFlag.DISTANCE_REDRAWN`; this shifts the
  lower percentiles slightly (METHOD.md section 3).
- ``chunk_stars = 2000``: stars whose draws are held in memory at once (memory ~ chunk_stars x n_draws x
  64 B).
- Standard deviations are population standard deviations of the draws (``ddof = 0``, numpy's default).
- The azimuth ``phi`` is averaged as deviations from the star's point-estimate azimuth wrapped into
  (-pi, pi] (stars near the Sun sit at phi ~ pi, where a plain mean of the draws would be wrong).

Frame and units: right-handed Galactocentric Cartesian (X, Y, Z) in kpc with the Sun at X < 0 and disk
rotation towards -Y at the Sun (``v_phi < 0`` for disk stars); ``phi = atan2(Y, X)``; velocities in km/s;
``Lz = X vY - Y vX = R vphi`` in kpc km/s (negative for disk stars). The ICRS -> Galactocentric rotation and
the solar offset are taken from astropy once per frame (:meth:`GalacticFrame.icrs_to_galcen_matrix`), so the
vectorised transform agrees with astropy's ``Galactocentric`` to rounding.

Reproducibility: every random number of a star is a function of (seed, source_id) only
(:mod:`mwdisk.rng`, stream :data:`~mwdisk.rng.STREAM_PHASESPACE`), and every per-star computation runs in a
scalar numba loop over that star's draws, so the output is bit-for-bit the same for any partitioning, chunking
or order. Draw j of a star uses normals ``6 j .. 6 j + 5`` of its stream (parallax, ra*, dec, pmra, pmdec,
rv), so the first k draws do not depend on ``n_draws``.

Examples
--------
>>> import numpy as np
>>> from mwdisk.frame import GalacticFrame
>>> cov = np.diag([0.02, 0.02, 0.03, 0.03, 0.03]) ** 2 * np.ones((1, 5, 5))
>>> out = phasespace_summary(
...     np.array([1]), np.array([266.4]), np.array([-28.9]), np.array([-3.0]), np.array([-5.5]), cov,
...     np.array([1000.0]), np.array([950.0]), np.array([1060.0]), np.array([10.0]), np.array([1.0]),
...     frame=GalacticFrame(), seed=1, n_draws=100)
>>> round(float(out["X_kpc"][0]), 1), int(out["ps_flags"][0])
(-7.3, 0)
"""

from __future__ import annotations

import enum
import functools
import logging

import numba
import numpy as np

from mwdisk.frame import K_KMS_PER_MASYR_KPC, GalacticFrame
from mwdisk.rng import STREAM_PHASESPACE, normals, star_keys

__all__ = [
    "PhaseSpaceFlag",
    "SUMMARY_COLUMNS",
    "DRAW_COLUMNS",
    "icrs_to_galactocentric",
    "cartesian_to_cylindrical",
    "two_piece_distance",
    "draw_observables",
    "phasespace_summary",
    "regenerate_draws",
]

logger = logging.getLogger(__name__)


class PhaseSpaceFlag(enum.IntFlag):
    """Bits of the ``ps_flags`` column. A flagged star keeps its row."""

    NO_RV = 1 << 0  #: rv or its error missing/negative: NaN velocities, L_z (positions are still drawn)
    BAD_ASTROMETRY = 1 << 1  #: ra, dec, proper motion or a covariance element not finite, or an error < 0
    BAD_DISTANCE = 1 << 2  #: Bailer-Jones percentiles missing, non-positive median or not lo <= med <= hi
    NON_PD_COVARIANCE = 1 << 3  #: the 5x5 Gaia covariance is not positive (semi-)definite
    DISTANCE_REDRAWN = 1 << 4  #: at least one non-positive distance draw was redrawn


#: Quantities summarised per star; each gives ``<name>`` (mean) and ``<name>_std`` columns.
_QUANTITIES = ("X_kpc", "Y_kpc", "Z_kpc", "R_kpc", "phi_rad", "vR_kms", "vphi_kms", "vz_kms", "Lz_kpckms")
#: Output columns of :func:`phasespace_summary`, in order.
SUMMARY_COLUMNS = tuple(c for q in _QUANTITIES for c in (q, q + "_std")) + ("R_present_kpc", "ps_flags")
#: Per-draw arrays returned by :func:`regenerate_draws`.
DRAW_COLUMNS = _QUANTITIES

#: Normals per draw in the star's stream: parallax, ra*, dec, pmra, pmdec, rv.
_NORMALS_PER_DRAW = 6
#: Stream offsets (in pairs of normals, see mwdisk.rng.normals) of the independent distance normals and of
#: the redraws of non-positive distances; far beyond any draw index.
_OFFSET_DISTANCE = 1 << 40
_OFFSET_REDRAW = 1 << 41
_REDRAW_STRIDE = 1 << 28
_MAX_REDRAWS = 64
#: Gaia order (ra*, dec, parallax, pmra, pmdec) -> internal order (parallax first: its Cholesky row is then
#: sigma_plx * z_0, so the parallax draw's own standard normal is z_0 exactly).
_PERM = np.array([2, 0, 1, 3, 4])
_MAS_PER_DEG = 3.6e6
_DEG = np.pi / 180.0

# status codes of the per-star Cholesky
_OK, _NON_PD, _NOT_FINITE = 0, 1, 2


# --------------------------------------------------------------------------------------------------------
# frame constants
# --------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _frame_constants(frame: GalacticFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(M, offset_kpc, v_offset_kms): x_gc = M x_icrs + offset, v_gc = M v_icrs + v_offset, from astropy."""
    import astropy.coordinates as coord
    import astropy.units as u

    mat = np.ascontiguousarray(frame.icrs_to_galcen_matrix(), dtype=np.float64)
    origin = coord.ICRS(
        coord.CartesianRepresentation(
            np.zeros((3, 1)) * u.kpc,
            differentials=coord.CartesianDifferential(np.zeros((3, 1)) * (u.km / u.s)),
        )
    ).transform_to(frame.to_astropy())
    off = origin.cartesian.xyz.to_value(u.kpc)[:, 0].astype(np.float64)
    voff = origin.velocity.d_xyz.to_value(u.km / u.s)[:, 0].astype(np.float64)
    return mat, off, voff


# --------------------------------------------------------------------------------------------------------
# scalar numba building blocks (one star, one draw)
# --------------------------------------------------------------------------------------------------------


@numba.njit(cache=True, inline="always")
def _galcen(ra_deg, dec_deg, d_kpc, pmra, pmdec, rv, M, off, voff):
    """One ICRS point (deg, kpc, mas/yr, km/s) -> Galactocentric (X, Y, Z, vX, vY, vZ)."""
    a = ra_deg * _DEG
    d = dec_deg * _DEG
    ca = np.cos(a)
    sa = np.sin(a)
    cd = np.cos(d)
    sd = np.sin(d)
    # unit vectors: line of sight n, east e_a, north e_d
    nx, ny, nz = cd * ca, cd * sa, sd
    ex, ey = -sa, ca
    dx, dy, dz = -sd * ca, -sd * sa, cd
    kd = K_KMS_PER_MASYR_KPC * d_kpc
    va = kd * pmra
    vd = kd * pmdec
    px, py, pz = d_kpc * nx, d_kpc * ny, d_kpc * nz
    vx = rv * nx + va * ex + vd * dx
    vy = rv * ny + va * ey + vd * dy
    vz = rv * nz + vd * dz
    X = M[0, 0] * px + M[0, 1] * py + M[0, 2] * pz + off[0]
    Y = M[1, 0] * px + M[1, 1] * py + M[1, 2] * pz + off[1]
    Z = M[2, 0] * px + M[2, 1] * py + M[2, 2] * pz + off[2]
    VX = M[0, 0] * vx + M[0, 1] * vy + M[0, 2] * vz + voff[0]
    VY = M[1, 0] * vx + M[1, 1] * vy + M[1, 2] * vz + voff[1]
    VZ = M[2, 0] * vx + M[2, 1] * vy + M[2, 2] * vz + voff[2]
    return X, Y, Z, VX, VY, VZ


@numba.njit(cache=True, inline="always")
def _cyl(X, Y, VX, VY):
    """(R, phi, vR, vphi, Lz) of one point."""
    R = np.sqrt(X * X + Y * Y)
    phi = np.arctan2(Y, X)
    Lz = X * VY - Y * VX
    vR = (X * VX + Y * VY) / R
    vphi = Lz / R
    return R, phi, vR, vphi, Lz


@numba.njit(cache=True, inline="always")
def _wrap(x):
    """Wrap an angle difference into (-pi, pi]; values already inside are returned unchanged."""
    if x > np.pi:
        return x - 2.0 * np.pi
    if x <= -np.pi:
        return x + 2.0 * np.pi
    return x


@numba.njit(cache=True, inline="always")
def _two_piece(s, med, lo, hi):
    """Two-piece Gaussian on (lo, med, hi): s >= 0 uses the upper half-width, s < 0 the lower one."""
    if s >= 0.0:
        return med + s * (hi - med)
    return med + s * (med - lo)


@numba.njit(cache=True)
def _cholesky_batch(cov, L, status):
    """Lower Cholesky factors of (m, 5, 5) covariances, tolerating exactly/near-zero pivots (PSD)."""
    m = cov.shape[0]
    for i in range(m):
        st = _OK
        for a in range(5):
            for b in range(5):
                L[i, a, b] = 0.0
                if not np.isfinite(cov[i, a, b]):
                    st = _NOT_FINITE
            if cov[i, a, a] < 0.0:
                st = _NOT_FINITE
        if st != _OK:
            status[i] = st
            continue
        for j in range(5):
            s = cov[i, j, j]
            for k in range(j):
                s -= L[i, j, k] * L[i, j, k]
            tol = 1e-12 * cov[i, j, j]
            if s > tol:
                piv = np.sqrt(s)
                L[i, j, j] = piv
                for r in range(j + 1, 5):
                    t = cov[i, r, j]
                    for k in range(j):
                        t -= L[i, r, k] * L[i, j, k]
                    L[i, r, j] = t / piv
            elif s >= -tol:
                # zero pivot: the column must vanish too, else the matrix is not PSD
                for r in range(j + 1, 5):
                    t = cov[i, r, j]
                    for k in range(j):
                        t -= L[i, r, k] * L[i, j, k]
                    if abs(t) > 1e-6 * np.sqrt(abs(cov[i, r, r] * cov[i, j, j])):
                        st = _NON_PD
            else:
                st = _NON_PD
        status[i] = st


@numba.njit(cache=True)
def _distance_draws(z, zd, use_zd, med, lo, hi, ok, out):
    """(m, n_draws) two-piece distances; driven by -z_parallax or by the independent normals zd."""
    m, n = out.shape
    for i in range(m):
        if not ok[i]:
            for j in range(n):
                out[i, j] = np.nan
            continue
        for j in range(n):
            s = zd[i, j] if use_zd else -z[i, _NORMALS_PER_DRAW * j]
            out[i, j] = _two_piece(s, med[i], lo[i], hi[i])


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


@numba.njit(cache=True)
def _galcen_array(ra, dec, d, pmra, pmdec, rv, M, off, voff, out):
    for i in range(ra.shape[0]):
        X, Y, Z, VX, VY, VZ = _galcen(ra[i], dec[i], d[i], pmra[i], pmdec[i], rv[i], M, off, voff)
        out[0, i] = X
        out[1, i] = Y
        out[2, i] = Z
        out[3, i] = VX
        out[4, i] = VY
        out[5, i] = VZ


# --------------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------------


def icrs_to_galactocentric(
    ra_deg, dec_deg, dist_kpc, pmra_masyr, pmdec_masyr, rv_kms, frame: GalacticFrame
) -> tuple[np.ndarray, ...]:
    """Vectorised ICRS -> Galactocentric transform of positions and velocities.

    Parameters
    ----------
    ra_deg, dec_deg : array_like
        ICRS position (deg).
    dist_kpc : array_like
        Distance (kpc).
    pmra_masyr, pmdec_masyr : array_like
        Proper motions (mas/yr; pmra includes cos dec).
    rv_kms : array_like
        Line-of-sight velocity (km/s).
    frame : GalacticFrame
        The run's frame; rotation and solar offset are taken from its astropy frame.

    Returns
    -------
    X_kpc, Y_kpc, Z_kpc, vX_kms, vY_kms, vZ_kms : ndarray
        Galactocentric Cartesian coordinates, of the broadcast shape of the inputs.
    """
    arrs = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in
                                 (ra_deg, dec_deg, dist_kpc, pmra_masyr, pmdec_masyr, rv_kms)))
    shape = arrs[0].shape
    flat = [np.array(a.ravel(), dtype=np.float64) for a in arrs]  # copies: broadcast views are read-only
    M, off, voff = _frame_constants(frame)
    out = np.empty((6, flat[0].size))
    _galcen_array(*flat, M, off, voff, out)
    return tuple(out[k].reshape(shape) for k in range(6))


def cartesian_to_cylindrical(X_kpc, Y_kpc, vX_kms, vY_kms) -> tuple[np.ndarray, ...]:
    """(R_kpc, phi_rad, vR_kms, vphi_kms, Lz_kpckms) from Galactocentric Cartesian coordinates.

    ``phi = atan2(Y, X)``, ``Lz = X vY - Y vX``, ``vphi = Lz / R``: right-handed, so disk stars have
    ``vphi < 0`` and ``Lz < 0`` in the paper's frame.
    """
    X, Y, VX, VY = (np.asarray(a, dtype=np.float64) for a in (X_kpc, Y_kpc, vX_kms, vY_kms))
    R = np.hypot(X, Y)
    Lz = X * VY - Y * VX
    with np.errstate(invalid="ignore", divide="ignore"):
        return R, np.arctan2(Y, X), (X * VX + Y * VY) / R, Lz / R, Lz


def two_piece_distance(s, med, lo, hi) -> np.ndarray:
    """The paper's two-piece Gaussian distance for standard normal(s) ``s``.

    ``r = med + |s| (hi - med)`` for ``s >= 0`` and ``r = med - |s| (med - lo)`` otherwise, so that ``lo``,
    ``med`` and ``hi`` are exactly the 16th, 50th and 84th percentiles when ``s ~ N(0, 1)``.
    """
    s, med, lo, hi = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (s, med, lo, hi)))
    return np.where(s >= 0.0, med + s * (hi - med), med + s * (med - lo))


def _as1d(name: str, a, n: int | None) -> np.ndarray:
    out = np.ascontiguousarray(np.asarray(a, dtype=np.float64).reshape(-1))
    if n is not None and out.size != n:
        raise ValueError(f"{name} has {out.size} values but source_id has {n}; pass one value per star")
    return out


def _validate_inputs(source_id, ra_deg, dec_deg, pmra_masyr, pmdec_masyr, cov_gaia, dist_med_pc, dist_lo_pc,
                     dist_hi_pc, rv_kms, rv_error_kms, n_draws, chunk_stars):
    ids = np.ascontiguousarray(np.asarray(source_id).reshape(-1))
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"source_id has dtype {ids.dtype}; pass the integer Gaia source_id (or mock index)")
    n = ids.size
    names = ("ra_deg", "dec_deg", "pmra_masyr", "pmdec_masyr", "dist_med_pc", "dist_lo_pc", "dist_hi_pc",
             "rv_kms", "rv_error_kms")
    vals = (ra_deg, dec_deg, pmra_masyr, pmdec_masyr, dist_med_pc, dist_lo_pc, dist_hi_pc, rv_kms,
            rv_error_kms)
    arrs = {k: _as1d(k, v, n) for k, v in zip(names, vals)}
    cov = np.asarray(cov_gaia, dtype=np.float64)
    if cov.shape != (n, 5, 5):
        raise ValueError(
            f"cov_gaia has shape {cov.shape}, expected ({n}, 5, 5) in Gaia order (ra*, dec, parallax, pmra, "
            f"pmdec); build it with mwdisk.schema.gaia_covariance(df)"
        )
    if int(n_draws) < 1 or int(n_draws) > (1 << 24):
        raise ValueError(f"n_draws = {n_draws}; use a positive number of draws per star (paper: 100)")
    if int(chunk_stars) < 1:
        raise ValueError(f"chunk_stars = {chunk_stars}; use a positive number of stars per chunk (e.g. 2000)")
    return ids, arrs, cov


def _star_status(arrs, cov):
    """Per-star flags and the (ok, has_rv) masks of stars that get draws."""
    n = cov.shape[0]
    flags = np.zeros(n, np.int32)
    with np.errstate(invalid="ignore"):
        ast_bad = ~(np.isfinite(arrs["ra_deg"]) & np.isfinite(arrs["dec_deg"])
                    & np.isfinite(arrs["pmra_masyr"]) & np.isfinite(arrs["pmdec_masyr"])
                    & (np.abs(arrs["dec_deg"]) < 90.0))
        ast_bad |= ~np.all(np.isfinite(cov.reshape(n, 25)), axis=1)
        ast_bad |= np.any(np.diagonal(cov, axis1=1, axis2=2) < 0, axis=1)
        lo, med, hi = arrs["dist_lo_pc"], arrs["dist_med_pc"], arrs["dist_hi_pc"]
        dist_bad = ~(np.isfinite(lo) & np.isfinite(med) & np.isfinite(hi) & (lo >= 0) & (lo <= med)
                     & (med <= hi) & (med > 0))
        rv, rverr = arrs["rv_kms"], arrs["rv_error_kms"]
        no_rv = ~(np.isfinite(rv) & np.isfinite(rverr) & (rverr >= 0))
    flags[no_rv] |= PhaseSpaceFlag.NO_RV
    flags[ast_bad] |= PhaseSpaceFlag.BAD_ASTROMETRY
    flags[dist_bad] |= PhaseSpaceFlag.BAD_DISTANCE
    return flags, ~(ast_bad | dist_bad), ~no_rv


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


def _prepare(source_id, ra_deg, dec_deg, pmra_masyr, pmdec_masyr, cov_gaia, dist_med_pc, dist_lo_pc,
             dist_hi_pc, rv_kms, rv_error_kms, seed, n_draws, chunk_stars):
    ids, arrs, cov = _validate_inputs(source_id, ra_deg, dec_deg, pmra_masyr, pmdec_masyr, cov_gaia,
                                      dist_med_pc, dist_lo_pc, dist_hi_pc, rv_kms, rv_error_kms, n_draws,
                                      chunk_stars)
    flags, ok, has_rv = _star_status(arrs, cov)
    arrs["_ok"] = ok
    # a star without RV still gets position draws; its velocities are NaN
    arrs["_rv"] = np.where(has_rv, arrs["rv_kms"], 0.0)
    arrs["_rverr"] = np.where(has_rv, arrs["rv_error_kms"], 0.0)
    keys = star_keys(seed, ids)
    return ids, arrs, cov, flags, has_rv, keys


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
