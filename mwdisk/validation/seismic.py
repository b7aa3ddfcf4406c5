"""Fig. 4 analogue: our isochrone ages of the APOKASC-3 x Miglio+2021 red giants against asteroseismic ages.

Inputs per star (:func:`seismic_age_inputs`): APOKASC-3 ``Teff`` (APOGEE DR17, error ``S_Teff``), seismic
``Logg_Seis`` (error ``S_Logg_Seis``, ~0.004 dex), ``[Fe/H]``, ``[Alp/Fe]`` and their errors; M_G from
Miglio's 2MASS ``Ksmag``, distance ``Dist`` (bounds ``b_Dist``, ``b_dist_lc``) and ``Av`` (bounds) through
the MIST bolometric corrections (:func:`mwdisk.validation.magnitudes.mg_from_ks`). The evolutionary state is
APOKASC-3 ``Evol_State`` (RGB / RC). The reference age is Miglio's ``Age`` with 68 % bounds ``b_Age``,
``b_age_lc``.

Red-clump and RGB stars are reported separately. On a grid with core-helium burning (PARSEC, MIST) a clump
star is fitted on the clump; the Dartmouth grid stops at the RGB tip, so there a clump star is fitted by the
RGB star of the same Teff and log g (younger and more massive at fixed luminosity) and comes out too young.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..ages import AgeOptions, estimate_ages
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
        mg, mg_err = mg_from_ks(bc, f("ks_mag"), f("dist_kpc"), f("dist_lo_kpc"), f("dist_hi_kpc"),
                                f("av_mag"),
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


def seismic_ages(inputs: pd.DataFrame, grid, observables=("teff", "logg", "mg"), *,
                 options: AgeOptions | None = None, logg_err_floor: float = 0.0) -> pd.DataFrame:
    """Our ages of the join stars with one observable set (stars lacking M_G get NaN when "mg" is used).

    Parameters
    ----------
    inputs : DataFrame
        From :func:`seismic_age_inputs`.
    grid : IsochroneGrid
        The isochrone grid (the pipeline's: ``load_grid(run.isochrones)``).
    observables : sequence of str
        Age-kernel observables.
    options : AgeOptions, optional
        The age stage's options (likelihood, interval, error floors, ...); default: the configuration's
        defaults. ``observables`` replaces theirs.
    logg_err_floor : float
        Added in quadrature to the seismic log g error (default 0: the published ~0.004 dex), on top of the
        options' own floor.

    Returns
    -------
    pandas.DataFrame
        ``kic, evstate, age_mode_gyr, age_median_gyr, age_lo_gyr, age_hi_gyr, age_err_frac, age_flags,
        p_cheb, evo_phase``.
    """
    if options is None:
        from ..config import load_config

        options = AgeOptions.from_config(load_config()["ages"])
    f = lambda c: inputs[c].to_numpy(float)  # noqa: E731
    logg_err = np.hypot(f("logg_err"), logg_err_floor)
    kw = options.estimate_kwargs()
    kw["observables"] = tuple(observables)
    kw["min_observables"] = min(kw["min_observables"], len(kw["observables"]))
    res = estimate_ages(grid, f("teff_k"), f("teff_err_k"), f("logg"), logg_err, f("mg_mag"), f("mg_err_mag"),
                        f("feh"), f("feh_err"), f("afe"), f("afe_err"), **kw)
    out = pd.DataFrame({"kic": inputs["kic"].to_numpy(np.int64), "evstate": inputs["evstate"].to_numpy(str)})
    for k, v in res.columns().items():
        out[k] = v
    out["evo_phase"] = res.evo_phase.astype(str)
    return out


def seismic_age_table(ours: pd.DataFrame, join: pd.DataFrame, grid_range_gyr=(1.0, 14.5)) -> pd.DataFrame:
    """Offset, robust scatter and 68 % coverage of ``ours`` (:func:`seismic_ages`) against Miglio's ages,
    per APOKASC-3 evolutionary state and for all stars (:func:`~.stats.age_comparison_table`)."""
    ref = join.set_index("kic").loc[ours["kic"], "age_seis_gyr"].to_numpy(float)
    return age_comparison_table(ours["age_median_gyr"], ours["age_lo_gyr"], ours["age_hi_gyr"], ref,
                                ours["evstate"], grid_range_gyr=grid_range_gyr, flags=ours["age_flags"])
