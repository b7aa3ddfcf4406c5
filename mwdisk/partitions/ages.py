"""Partition adapter of the age stage: ages, 68 % intervals, flags and the compact G function.

M_G = G - 5 log10(d / 10 pc) - A_G with d the Bailer-Jones median and A_G from the extinction stage; its
error carries the distance percentiles (``ages.distance_error``) and, where the extinction came from the
catalogue, the catalogue's A_G error (mwdust maps and the analytic model give none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ages import RCBox, absolute_mag, encode_G, estimate_ages
from ..isochrones import load_grid

__all__ = ["ages_partition", "AGE_COLUMNS"]

AGE_COLUMNS = ("age_mode_gyr", "age_median_gyr", "age_lo_gyr", "age_hi_gyr", "age_err_frac", "age_flags",
               "mh_eff", "age_G_u16")


def ages_partition(df: pd.DataFrame, ctx) -> pd.DataFrame:
    a = ctx.cfg["ages"]
    grid = load_grid(ctx.cfg["run"]["isochrones"], a["comp_axis"])
    f = lambda c: df[c].to_numpy(dtype=float, na_value=np.nan)  # noqa: E731
    a_g_err = np.zeros(len(df))
    if "A_G_cat_err_mag" in df.columns:
        from_cat = (df["ext_source"] == "catalog").to_numpy(bool)
        a_g_err[from_cat] = f("A_G_cat_err_mag")[from_cat]
    mg, mg_err = absolute_mag(f("g_mag"), f("dist_med_pc"), f("dist_lo_pc"), f("dist_hi_pc"), f("A_G_mag"),
                              a_g_err, 0.0, a["mg_err_floor"], distance_error=a["distance_error"])
    obs = tuple(a["observables"])
    bprp0 = bprp0_err = None
    if "bprp0" in obs:
        bprp0 = f("bp_mag") - f("rp_mag") - (f("A_BP_mag") - f("A_RP_mag"))
        bprp0_err = np.full(len(df), 0.01)
    box = RCBox(a["rc_teff_min_k"], a["rc_teff_max_k"], a["rc_logg_min"], a["rc_logg_max"], a["rc_feh_min"])
    res = estimate_ages(grid, f("teff_k"), f("teff_err_k"), f("logg"), f("logg_err"), mg, mg_err, f("feh"),
                        f("feh_err"), f("afe"), f("afe_err"), bprp0_mag=bprp0, bprp0_err_mag=bprp0_err,
                        observables=obs, n_sigma=a["n_sigma_window"], window=a["window"],
                        interval_level=a["interval_level"], rc_box=box,
                        clip_composition=a["clip_composition"])
    out = {"source_id": df["source_id"].to_numpy(np.int64)}
    for k, v in res.columns().items():
        out[k] = np.asarray(v).astype(np.int32 if k == "age_flags" else np.float64)
    out["mh_eff"] = np.asarray(res.mh_eff, dtype=np.float64)
    out["age_G_u16"] = pd.Series(encode_G(res.G), dtype=object) if len(df) else pd.Series([], dtype=object)
    return pd.DataFrame(out)
