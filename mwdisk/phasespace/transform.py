"""Vectorised ICRS -> Galactocentric transform and Galactocentric cylindrical coordinates.

Frame and units: right-handed Galactocentric Cartesian (X, Y, Z) in kpc with the Sun at X < 0 and disk
rotation towards -Y at the Sun (``v_phi < 0`` for disk stars); ``phi = atan2(Y, X)``; velocities in km/s;
``Lz = X vY - Y vX = R vphi`` in kpc km/s (negative for disk stars). The ICRS -> Galactocentric rotation and
the solar offset are taken from astropy once per frame (:meth:`GalacticFrame.icrs_to_galcen_matrix`), so the
vectorised transform agrees with astropy's ``Galactocentric`` to rounding.

Holds the scalar numba building blocks of one point (``_galcen``, ``_cyl``, ``_wrap``) that the draw and
summary kernels inline, and the numpy-facing :func:`icrs_to_galactocentric` and
:func:`cartesian_to_cylindrical`.
"""

from __future__ import annotations

import functools

import numba
import numpy as np

from mwdisk.frame import K_KMS_PER_MASYR_KPC, GalacticFrame

__all__ = ["icrs_to_galactocentric", "cartesian_to_cylindrical"]

_DEG = np.pi / 180.0


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
