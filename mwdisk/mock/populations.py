"""Thin and thick disk of the mock: ages, density profiles and velocity distributions.

Every function is a scalar ``numba`` kernel (also callable from Python) used inside the per-star rejection
loop of :mod:`mwdisk.mock.sample`. Parameters come from :class:`~mwdisk.mock.options.MockOptions`; the
literature values of the defaults are listed there.

Model (each piece a documented choice):

- Density of each disk: ``rho(R, z) ~ exp(-R / h_R) exp(-|z| / h_z)`` (double exponential; Bland-Hawthorn &
  Gerhard 2016, hereafter BHG16: thin h_R = 2.6 kpc, h_z = 300 pc; thick h_R = 2.0 kpc, h_z = 900 pc). The
  thin-disk scale height grows with age as its vertical dispersion does, ``h_z(tau) = h_z10 ((tau + 0.1) /
  10.1) ** beta_z`` (so h_z = 300 pc at 10 Gyr, ~100 pc at 1 Gyr).
- Thin-disk age-velocity-dispersion relation ``sigma(tau, R) = sigma_10 ((tau + 0.1) / 10.1) ** beta
  exp(-(R - R0) / R_sigma)`` (the form of Sharma et al. 2021, MNRAS 506, 1761, with their solar-circle values
  sigma_R,10 = 39 km/s, beta_R = 0.25, sigma_z,10 = 21 km/s, beta_z = 0.44, rounded; R_sigma = 2 h_R, i.e.
  sigma^2 proportional to the surface density). Thick disk: isothermal, (sigma_R, sigma_z) = (63, 39) km/s
  (Soubiran et al. 2003), no radial gradient.
- Azimuthal dispersion from the epicyclic ratio of the potential, ``sigma_phi^2 / sigma_R^2 = kappa^2 /
  (4 Omega^2) = (1 + dln v_c / dln R) / 2``; mean rotation from the asymmetric-drift (Jeans) equation
  ``v_c^2 - <v_phi>^2 = sigma_R^2 (sigma_phi^2 / sigma_R^2 - 1 + R / h_R + 2 R / R_sigma)`` (Binney &
  Tremaine 2008, eq. 4.228, no tilt term), with ``v_c(R)`` of the run's potential. Disk stars rotate with
  ``v_phi < 0`` in the frame of :mod:`mwdisk.frame`.
"""

from __future__ import annotations

import logging
import math

import numba
import numpy as np

__all__ = [
    "THIN",
    "THICK",
    "POP_PARAM_NAMES",
    "population_params",
    "thin_scale_height_kpc",
    "dispersions_kms",
    "mean_vphi_kms",
    "vcirc_and_slope",
]

logger = logging.getLogger(__name__)

THIN = 0
THICK = 1

#: Columns of the (2, n) population parameter array (row THIN, row THICK).
POP_PARAM_NAMES = (
    "h_R_kpc",  # 0 radial scale length of the density
    "h_z_kpc",  # 1 scale height (thin: at 10 Gyr)
    "sigma_R_kms",  # 2 radial dispersion at R0 (thin: at 10 Gyr)
    "beta_R",  # 3 age exponent of sigma_R (thick: 0)
    "sigma_z_kms",  # 4 vertical dispersion at R0 (thin: at 10 Gyr)
    "beta_z",  # 5 age exponent of sigma_z and of h_z (thick: 0)
    "R_sigma_kpc",  # 6 scale length of the dispersions (inf: none)
)


def population_params(opts) -> np.ndarray:
    """The (2, 7) parameter array of the two disks from a :class:`MockOptions` (see POP_PARAM_NAMES)."""
    thin = [opts.thin_h_R_kpc, opts.thin_h_z10_kpc, opts.thin_sigma_R10_kms, opts.thin_beta_R,
            opts.thin_sigma_z10_kms, opts.thin_beta_z, opts.thin_R_sigma_kpc]
    thick = [opts.thick_h_R_kpc, opts.thick_h_z_kpc, opts.thick_sigma_R_kms, 0.0,
             opts.thick_sigma_z_kms, 0.0, opts.thick_R_sigma_kpc]
    p = np.array([thin, thick], dtype=np.float64)
    if np.any(p[:, [0, 1, 2, 4, 6]] <= 0) or not np.all(np.isfinite(p[:, :6])):
        raise ValueError(f"mock population parameters must be positive and finite (got {p.tolist()}); "
                         "check the thin_*/thick_* scale lengths, heights and dispersions")
    return p


@numba.njit(cache=True)
def thin_scale_height_kpc(age_gyr, h_z10_kpc, beta_z):
    """Thin-disk scale height at age ``age_gyr``: ``h_z10 ((tau + 0.1) / 10.1) ** beta_z``."""
    return h_z10_kpc * ((max(age_gyr, 0.0) + 0.1) / 10.1) ** beta_z


@numba.njit(cache=True)
def dispersions_kms(pop_par, pop, age_gyr, R_kpc, R0_kpc):
    """(sigma_R, sigma_z) in km/s of population ``pop`` at age and radius (see the module docstring)."""
    a = (max(age_gyr, 0.0) + 0.1) / 10.1
    fR = math.exp(-(R_kpc - R0_kpc) / pop_par[pop, 6])
    sR = pop_par[pop, 2] * a ** pop_par[pop, 3] * fR
    sz = pop_par[pop, 4] * a ** pop_par[pop, 5] * fR
    return sR, sz


@numba.njit(cache=True)
def vcirc_and_slope(R_kpc, rg_grid_kpc, lc_kpckms):
    """(v_c, dln v_c / dln R) at R from the tabulated L_c(R) = R v_c(R) (log-spaced radii)."""
    n = rg_grid_kpc.shape[0]
    lnr0 = math.log(rg_grid_kpc[0])
    dln = math.log(rg_grid_kpc[n - 1] / rg_grid_kpc[0]) / (n - 1)
    f = (math.log(R_kpc) - lnr0) / dln
    i = int(f)
    if i < 0:
        i = 0
    if i > n - 2:
        i = n - 2
    t = f - i
    lnl0 = math.log(lc_kpckms[i])
    lnl1 = math.log(lc_kpckms[i + 1])
    lnl = lnl0 + t * (lnl1 - lnl0)
    vc = math.exp(lnl) / R_kpc
    slope = (lnl1 - lnl0) / dln - 1.0  # dln(R v_c)/dlnR - 1
    return vc, slope


@numba.njit(cache=True)
def mean_vphi_kms(vc_kms, dlnvc_dlnR, sigma_R_kms, R_kpc, h_R_kpc, R_sigma_kpc):
    """Mean rotation speed |<v_phi>| from the asymmetric-drift equation; returns (|<v_phi>|, sigma_phi)."""
    gamma2 = 0.5 * (1.0 + dlnvc_dlnR)
    drift = sigma_R_kms**2 * (gamma2 - 1.0 + R_kpc / h_R_kpc + 2.0 * R_kpc / R_sigma_kpc)
    v2 = vc_kms**2 - drift
    vbar = math.sqrt(v2) if v2 > 0.0 else 0.0
    return vbar, math.sqrt(max(gamma2, 0.0)) * sigma_R_kms
