"""Fig. 4 analogue: our isochrone ages of the APOKASC-3 x Miglio+2021 red giants against asteroseismic ages.

Inputs per star (:func:`seismic_age_inputs`): APOKASC-3 ``Teff`` (APOGEE DR17, error ``S_Teff``), seismic
``Logg_Seis`` (error ``S_Logg_Seis``, ~0.004 dex), ``[Fe/H]``, ``[Alp/Fe]`` and their errors; M_G from
Miglio's 2MASS ``Ksmag``, distance ``Dist`` (bounds ``b_Dist``, ``b_dist_lc``) and ``Av`` (bounds) through
the MIST bolometric corrections (:func:`mwdisk.validation.magnitudes.mg_from_ks`). The evolutionary state is
APOKASC-3 ``Evol_State`` (RGB / RC). The reference age is Miglio's ``Age`` with 68 % bounds ``b_Age``,
``b_age_lc``.

The Dartmouth grid stops at the RGB tip, so a red-clump star is fitted by the RGB star of the same Teff and
log g (younger and more massive at fixed luminosity): its age is expected to be biased, and it is reported
separately.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..ages import DEFAULT_RC_BOX, INTERVAL_LEVEL, N_SIGMA_WINDOW, estimate_ages
from .magnitudes import BandBC, mg_from_ks
from .stats import age_comparison_table

__all__ = ["OBSERVABLE_SETS", "seismic_age_inputs", "seismic_ages", "seismic_age_table"]

logger = logging.getLogger(__name__)

#: The observable sets compared: the pipeline's default (Teff, log g, M_G) and spectroscopy only.
OBSERVABLE_SETS = {"teff_logg_mg": ("teff", "logg", "mg"), "teff_logg": ("teff", "logg")}


def seismic_age_inputs(join: pd.DataFrame, bc: BandBC | None, teff_term: bool = True) -> pd.DataFrame:
    """The age-kernel inputs of the join (``load_seismic_join``): Teff, log g, [Fe/H], [alpha/Fe], M_G.

    ``mg_mag`` / ``mg_err_mag`` are NaN without a BC table or a distance (then only Teff and log g are used).
    """
    f = lambda c: join[c].to_numpy(float)  # noqa: E731
    if bc is not None:
        mg, mg_err = mg_from_ks(bc, f("ks_mag"), f("dist_kpc"), f("dist_lo_kpc"), f("dist_hi_kpc"), f("av_mag"),
                                f("av_lo_mag"), f("av_hi_mag"), f("teff_k"), f("teff_err_k"), f("logg_seis"),
                                f("feh"), teff_term=teff_term)
    else:
        mg = mg_err = np.full(len(join), np.nan)
    return pd.DataFrame({
        "kic": join["kic"].to_numpy(np.int64), "evstate": join["evstate"].to_numpy(str),
        "teff_k": f("teff_k"), "teff_err_k": f("teff_err_k"), "logg": f("logg_seis"),
        "logg_err": f("logg_seis_err"), "feh": f("feh"), "feh_err": f("feh_err"), "afe": f("afe"),
        "afe_err": f("afe_err"), "mg_mag": mg, "mg_err_mag": mg_err,
    })


def seismic_ages(inputs: pd.DataFrame, grid, observables=("teff", "logg", "mg"), *, n_sigma=N_SIGMA_WINDOW,
                 interval_level=INTERVAL_LEVEL, rc_box=DEFAULT_RC_BOX, logg_err_floor: float = 0.0) -> pd.DataFrame:
    """Our ages of the join stars with one observable set (stars lacking M_G get NaN when "mg" is used).

    Parameters
    ----------
    inputs : DataFrame
        From :func:`seismic_age_inputs`.
    grid : IsochroneGrid
        The isochrone grid (the pipeline default: ``load_grid("dsep")``).
    observables : sequence of str
        Age-kernel observables.
    n_sigma, interval_level, rc_box
        As :func:`mwdisk.ages.estimate_ages`.
    logg_err_floor : float
        Added in quadrature to the seismic log g error (default 0: the published ~0.004 dex).

    Returns
    -------
    pandas.DataFrame
        ``kic, evstate, age_mode_gyr, age_median_gyr, age_lo_gyr, age_hi_gyr, age_err_frac, age_flags``.
    """
    f = lambda c: inputs[c].to_numpy(float)  # noqa: E731
    logg_err = np.hypot(f("logg_err"), logg_err_floor)
    res = estimate_ages(grid, f("teff_k"), f("teff_err_k"), f("logg"), logg_err, f("mg_mag"), f("mg_err_mag"),
                        f("feh"), f("feh_err"), f("afe"), f("afe_err"), observables=tuple(observables),
                        n_sigma=n_sigma, interval_level=interval_level, rc_box=rc_box)
    out = pd.DataFrame({"kic": inputs["kic"].to_numpy(np.int64), "evstate": inputs["evstate"].to_numpy(str)})
    for k, v in res.columns().items():
        out[k] = v
    return out


def seismic_age_table(ours: pd.DataFrame, join: pd.DataFrame, grid_range_gyr=(1.0, 14.5)) -> pd.DataFrame:
    """Offset, robust scatter and 68 % coverage of ``ours`` (:func:`seismic_ages`) against Miglio's ages,
    per APOKASC-3 evolutionary state and for all stars (:func:`~.stats.age_comparison_table`)."""
    ref = join.set_index("kic").loc[ours["kic"], "age_seis_gyr"].to_numpy(float)
    return age_comparison_table(ours["age_median_gyr"], ours["age_lo_gyr"], ours["age_hi_gyr"], ref,
                                ours["evstate"], grid_range_gyr=grid_range_gyr, flags=ours["age_flags"])
