"""Partition adapter of the age stage: ages, 68 % intervals, phase posteriors, flags and the compact G
function.

M_G = G - 5 log10(d / 10 pc) - A_G, with d the Bailer-Jones median (default) or 1 / (parallax - zero-point)
(``ages.distance_source: parallax``, Lindegren et al. 2021 zero-point) and A_G from the extinction stage. Its
error carries the distance percentiles (``ages.distance_error``) or the parallax error, and the extinction
error: the catalogue's own A_G error where the extinction came from the catalogue, else ``ages.a_g_err_frac``
times A_G (mwdust maps and the analytic model give none). A star without G or a distance is fitted on Teff
and log g and flagged PARTIAL_OBS.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..ages import AgeFlag, AgeOptions, absolute_mag, encode_G, estimate_ages
from ..ages.zeropoint import absolute_mag_from_parallax, parallax_zeropoint_mas
from ..isochrones import load_grid

__all__ = ["ages_partition", "AGE_COLUMNS", "star_absolute_mag"]

logger = logging.getLogger(__name__)

AGE_COLUMNS = ("age_mode_gyr", "age_median_gyr", "age_lo_gyr", "age_hi_gyr", "age_err_frac", "age_flags",
               "p_cheb", "evo_phase", "mh_eff", "age_G_u16")


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return df[name].to_numpy(dtype=float, na_value=np.nan)


def star_absolute_mag(df: pd.DataFrame, opts: AgeOptions) -> tuple[np.ndarray, np.ndarray]:
    """M_G and its error of each star of a partition (extinction columns joined), as the age stage uses
    them."""
    a_g = _col(df, "A_G_mag")
    a_g_err = opts.a_g_err_frac * np.abs(a_g)
    if "A_G_cat_err_mag" in df.columns and "ext_source" in df.columns:
        from_cat = (df["ext_source"] == "catalog").to_numpy(bool)
        a_g_err[from_cat] = _col(df, "A_G_cat_err_mag")[from_cat]
    a_g_err = np.where(np.isfinite(a_g_err), a_g_err, 0.0)
    if opts.distance_source == "parallax":
        if opts.parallax_zeropoint == "lindegren21":
            zp, _ = parallax_zeropoint_mas(_col(df, "g_mag"), _col(df, "nu_eff_used_in_astrometry"),
                                           _col(df, "pseudocolour"), _col(df, "ra_deg"), _col(df, "dec_deg"),
                                           _col(df, "astrometric_params_solved"),
                                           opts.parallax_zeropoint_fallback_mas)
        else:
            zp = np.zeros(len(df))
        return absolute_mag_from_parallax(_col(df, "g_mag"), _col(df, "parallax_mas"),
                                          _col(df, "parallax_error_mas"), zp, a_g, a_g_err)
    return absolute_mag(_col(df, "g_mag"), _col(df, "dist_med_pc"), _col(df, "dist_lo_pc"),
                        _col(df, "dist_hi_pc"), a_g, a_g_err, 0.0, 0.0, distance_error=opts.distance_error)


def ages_partition(df: pd.DataFrame, ctx) -> pd.DataFrame:
    opts = AgeOptions.from_config(ctx.cfg["ages"])
    grid = load_grid(ctx.cfg["run"]["isochrones"], opts.comp_axis)
    f = lambda c: _col(df, c)  # noqa: E731
    mg, mg_err = star_absolute_mag(df, opts)
    bprp0 = bprp0_err = None
    if "bprp0" in opts.observables:
        bprp0 = f("bp_mag") - f("rp_mag") - (f("A_BP_mag") - f("A_RP_mag"))
        bprp0_err = np.full(len(df), 0.01)
    res = estimate_ages(grid, f("teff_k"), f("teff_err_k"), f("logg"), f("logg_err"), mg, mg_err, f("feh"),
                        f("feh_err"), f("afe"), f("afe_err"), bprp0_mag=bprp0, bprp0_err_mag=bprp0_err,
                        **opts.estimate_kwargs())
    out = {"source_id": df["source_id"].to_numpy(np.int64)}
    for k, v in res.columns().items():
        out[k] = np.asarray(v).astype(np.int32 if k == "age_flags" else np.float64)
    out["evo_phase"] = pd.array(res.evo_phase.astype(str), dtype="string")
    out["mh_eff"] = np.asarray(res.mh_eff, dtype=np.float64)
    out["age_G_u16"] = pd.Series(encode_G(res.G), dtype=object) if len(df) else pd.Series([], dtype=object)
    n = len(df)
    none = int(np.count_nonzero(res.age_flags & (AgeFlag.BAD_INPUT | AgeFlag.NO_ISOCHRONE)))
    if n and none > n / 2:
        logger.warning("ages: %d of %d stars of this partition got no age (bad input or no isochrone within "
                       "the window); check the catalogue's Teff, log g, [Fe/H] and their errors", none, n)
    return pd.DataFrame(out)
