"""Absolute magnitudes from Gaia parallaxes, with the Lindegren et al. (2021) parallax zero-point.

The age stage takes M_G from the Bailer-Jones distance by default (:func:`~.observables.absolute_mag`). With
``ages.distance_source: parallax`` it uses ``d = 1 / (parallax - Z)``, where ``Z`` is the eDR3 zero-point of
Lindegren et al. (2021, A&A 649, A4): a function of G, the effective wavenumber (5-parameter solutions) or
pseudocolour (6-parameter solutions) and ecliptic latitude, evaluated with the ``gaiadr3-zeropoint`` package
of its authors. Stars lacking those inputs, or outside the function's calibrated range (G 6-21, nu_eff
1.1-1.9 / um), get the fallback (default -0.017 mas, the median parallax of quasars in the same paper).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

__all__ = ["parallax_zeropoint_mas", "absolute_mag_from_parallax", "ecliptic_latitude_deg"]

logger = logging.getLogger(__name__)

#: eDR3 parallax zero-point of quasars (Lindegren et al. 2021): the fallback.
QSO_ZEROPOINT_MAS = -0.017
_OBLIQUITY_DEG = 23.4392794444  # IAU 2006 mean obliquity at J2000, as Gaia's ecliptic frame


def ecliptic_latitude_deg(ra_deg, dec_deg) -> np.ndarray:
    """Ecliptic latitude (J2000 mean obliquity) from ICRS ra, dec in degrees.

    Examples
    --------
    >>> round(float(ecliptic_latitude_deg(270.0, 90.0 - 23.4392794444)), 6)
    90.0
    """
    ra, dec = np.radians(np.asarray(ra_deg, float)), np.radians(np.asarray(dec_deg, float))
    eps = np.radians(_OBLIQUITY_DEG)
    s = np.sin(dec) * np.cos(eps) - np.cos(dec) * np.sin(eps) * np.sin(ra)
    return np.degrees(np.arcsin(np.clip(s, -1.0, 1.0)))


def parallax_zeropoint_mas(g_mag, nu_eff, pseudocolour, ra_deg, dec_deg, params_solved,
                           fallback_mas: float = QSO_ZEROPOINT_MAS) -> tuple[np.ndarray, np.ndarray]:
    """Lindegren et al. (2021) zero-point per star, and where the fallback was used.

    Parameters
    ----------
    g_mag, nu_eff, pseudocolour, ra_deg, dec_deg, params_solved : array_like
        Gaia ``phot_g_mean_mag``, ``nu_eff_used_in_astrometry``, ``pseudocolour``, position and
        ``astrometric_params_solved`` (31 or 95). NaN where unknown.
    fallback_mas : float
        Zero-point of stars the function cannot be evaluated for.

    Returns
    -------
    zp_mas : numpy.ndarray
        The zero-point to subtract from the parallax.
    fallback : numpy.ndarray of bool
        True where ``fallback_mas`` was used.
    """
    from zero_point import zpt

    g = np.asarray(g_mag, float)
    nu = np.asarray(nu_eff, float)
    pc = np.asarray(pseudocolour, float)
    sol = np.asarray(params_solved, float)
    beta = ecliptic_latitude_deg(ra_deg, dec_deg)
    five = (sol == 31) & np.isfinite(nu) & (nu >= 1.1) & (nu <= 1.9)
    six = (sol == 95) & np.isfinite(pc) & (pc >= 1.24) & (pc <= 1.72)
    ok = (five | six) & np.isfinite(g) & (g >= 6.0) & (g <= 21.0) & np.isfinite(beta)
    zp = np.full(g.shape, float(fallback_mas))
    if ok.any():
        zpt.load_tables()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zp[ok] = zpt.get_zpt(g[ok], np.where(five[ok], nu[ok], np.nan), np.where(six[ok], pc[ok], np.nan),
                                 beta[ok], sol[ok].astype(int), _warnings=False) * 1.0
    return zp, ~ok


def absolute_mag_from_parallax(g_mag, parallax_mas, parallax_error_mas, zeropoint_mas, a_g_mag,
                               a_g_err_mag=0.0, min_parallax_over_error: float = 0.0):
    """``M_G = G + 5 log10(p / 100)`` with ``p = parallax - zero-point`` in mas, and its error.

    The distance-modulus error is ``5 / ln 10 * parallax_error / p`` (first order), combined in quadrature
    with the extinction error. A non-positive corrected parallax, or one below ``min_parallax_over_error``
    errors, gives NaN (the age kernel then fits the star on its other observables and flags it).

    Examples
    --------
    >>> mg, err = absolute_mag_from_parallax(10.0, 10.017, 0.1, -0.017, 0.0)
    >>> round(float(mg), 5), round(float(err), 4)
    (5.00737, 0.0216)
    """
    g, plx, e, zp, ag = (np.asarray(x, float) for x in (g_mag, parallax_mas, parallax_error_mas,
                                                       zeropoint_mas, a_g_mag))
    p = plx - zp
    with np.errstate(invalid="ignore", divide="ignore"):
        good = (p > 0) & (p >= min_parallax_over_error * e)
        mg = np.where(good, g + 5.0 * np.log10(p / 100.0) - ag, np.nan)
        s_mu = 5.0 / np.log(10.0) * e / p
    err = np.sqrt(s_mu**2 + np.asarray(a_g_err_mag, float) ** 2)
    return mg, np.where(np.isnan(mg), np.nan, err)
