"""The injected chemistry of the mock: the metallicity-gradient law the pipeline must recover.

Thin disk: ``[Fe/H] = f(tau) + g(tau) (R_g - R0) + N(0, s_thin)`` with ``f(tau) = thin_feh0 + thin_amr_slope
(tau - 1 Gyr)`` and ``g(tau) = thin_gradient + thin_flattening (tau - 1 Gyr)`` (defaults -0.075 dex/kpc and
+0.003 dex/kpc/Gyr: the paper's findings). Thick disk: ``f(tau) = thick_feh0 + thick_amr_slope (tau - 10
Gyr)`` and ``g = thick_gradient`` (+0.02 dex/kpc) at all ages.

[alpha/Fe] tracks: thin ``afe0 + afe_age tau + afe_feh [Fe/H] + N(0, s)``; thick ``afe0 + afe_feh ([Fe/H] +
0.5) + N(0, s)`` (a high-alpha sequence declining with [Fe/H], as in Bensby et al. 2014 and Hayden et al.
2015). ``tau`` here is the star's *chemical* age: equal to its true age except for the optional young
alpha-rich stars, which carry old thick-disk chemistry at a young true age (Chiappini et al. 2015; Martig et
al. 2015).
"""

from __future__ import annotations

import logging

import numba
import numpy as np

__all__ = ["CHEM_PARAM_NAMES", "chemistry_params", "injected_gradient", "mean_feh", "mean_afe"]

logger = logging.getLogger(__name__)

#: Columns of the (2, 7) chemistry parameter array (row 0 thin, row 1 thick).
CHEM_PARAM_NAMES = (
    "feh0",  # 0 [Fe/H] at R_g = R0 and the reference age (thin 1 Gyr, thick 10 Gyr)
    "amr_slope",  # 1 d[Fe/H]/dtau at R0 (dex/Gyr)
    "gradient",  # 2 d[Fe/H]/dR_g at the reference age (dex/kpc)
    "flattening",  # 3 d(gradient)/dtau (dex/kpc/Gyr; thick 0)
    "feh_scatter",  # 4 intrinsic [Fe/H] scatter (dex)
    "afe0",  # 5 [alpha/Fe] zero point
    "afe_scatter",  # 6 intrinsic [alpha/Fe] scatter (dex)
)
_REF_AGE = (1.0, 10.0)


def chemistry_params(opts) -> np.ndarray:
    """The (2, 7) chemistry parameter array from a :class:`MockOptions` (see CHEM_PARAM_NAMES)."""
    return np.array(
        [
            [opts.thin_feh0, opts.thin_amr_slope, opts.thin_gradient, opts.thin_flattening,
             opts.thin_feh_scatter, opts.thin_afe0, opts.thin_afe_scatter],
            [opts.thick_feh0, opts.thick_amr_slope, opts.thick_gradient, 0.0,
             opts.thick_feh_scatter, opts.thick_afe0, opts.thick_afe_scatter],
        ],
        dtype=np.float64,
    )


def injected_gradient(age_gyr, population, opts):
    """The injected d[Fe/H]/dR_g (dex/kpc) at (chemical) age for "thin" or "thick" stars.

    Examples
    --------
    >>> from mwdisk.mock.options import MockOptions
    >>> round(float(injected_gradient(6.0, "thin", MockOptions())), 6)
    -0.06
    """
    age = np.asarray(age_gyr, dtype=float)
    if population == "thin":
        return opts.thin_gradient + opts.thin_flattening * (age - _REF_AGE[0])
    if population == "thick":
        return np.full_like(age, opts.thick_gradient)
    raise ValueError(f"population = {population!r}; use 'thin' or 'thick'")


@numba.njit(cache=True)
def mean_feh(chem_par, pop, age_gyr, rg_kpc, R0_kpc):
    """Mean [Fe/H] of population ``pop`` (0 thin, 1 thick) at chemical age and guiding radius."""
    ref = 1.0 if pop == 0 else 10.0
    dt = age_gyr - ref
    g = chem_par[pop, 2] + chem_par[pop, 3] * dt
    return chem_par[pop, 0] + chem_par[pop, 1] * dt + g * (rg_kpc - R0_kpc)


@numba.njit(cache=True)
def mean_afe(chem_par, afe_age, afe_feh, pop, age_gyr, feh):
    """Mean [alpha/Fe] on the population's track (thin: age and [Fe/H] terms; thick: [Fe/H] term)."""
    if pop == 0:
        return chem_par[0, 5] + afe_age * age_gyr + afe_feh[0] * feh
    return chem_par[1, 5] + afe_feh[1] * (feh + 0.5)
