"""Star-side inputs of the age kernel: the observables it compares, [M/H]_eff and the absolute magnitude.

The default observables are Teff, log g and M_G, optionally (BP-RP)_0 (METHOD.md section 1). A star's
composition on the default [M/H]_eff axis comes from [Fe/H] and [alpha/Fe] by the Salaris formula
(:func:`star_mh`); its M_G and error from G, the Bailer-Jones distance percentiles and A_G
(:func:`absolute_mag`).
"""

from __future__ import annotations

import numpy as np

from ..isochrones.composition import SALARIS_A, SALARIS_B

__all__ = ["OBSERVABLES", "DEFAULT_OBSERVABLES", "star_mh", "absolute_mag"]

#: Observables the kernel understands, and the grid column (or expression) each is compared with.
OBSERVABLES = {
    "teff": "teff_k",
    "logg": "logg",
    "mg": "g_mag",
    "bprp0": "bp_mag - rp_mag",
}
#: METHOD.md section 1 [CHOICE]: Teff, log g, M_G.
DEFAULT_OBSERVABLES = ("teff", "logg", "mg")
_KMAX = 4  # at most 4 observables; unused slots have zero inverse error


def _check_observables(observables) -> tuple[str, ...]:
    obs = tuple(observables)
    unknown = [o for o in obs if o not in OBSERVABLES]
    if unknown or not obs or len(obs) > _KMAX or len(set(obs)) != len(obs):
        raise ValueError(
            f"observables = {obs!r}; give 1-{_KMAX} distinct names from {tuple(OBSERVABLES)} "
            f"(default {DEFAULT_OBSERVABLES})"
        )
    return obs


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
