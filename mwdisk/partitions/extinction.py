"""Partition adapter of the extinction stage: columns A_G_mag, A_BP_mag, A_RP_mag, ext_source."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..extinction import extinction, radec_to_lb

__all__ = ["extinction_partition", "EXTINCTION_COLUMNS"]

EXTINCTION_COLUMNS = ("A_G_mag", "A_BP_mag", "A_RP_mag", "ext_source")


def extinction_partition(df: pd.DataFrame, ctx) -> pd.DataFrame:
    """A_G, A_BP, A_RP at each star's Bailer-Jones median distance, and which source gave them.

    Reads ``extinction`` and ``frame.R0_kpc`` (the analytic dust model is centred on the Galactic centre).
    """
    e = ctx.cfg["extinction"]
    l_deg, b_deg = radec_to_lb(df["ra_deg"].to_numpy(float), df["dec_deg"].to_numpy(float))
    a_cat = df["A_G_cat_mag"].to_numpy(float) if "A_G_cat_mag" in df.columns else None
    ag, abp, arp, src = extinction(
        l_deg, b_deg, df["dist_med_pc"].to_numpy(float) / 1000.0, a_cat,
        dust_map=e["dust_map"], dust_dir=e["dust_dir"],
        coeffs=(e["coeff_G"], e["coeff_BP"], e["coeff_RP"]), ebv_sfd_to_sf11=e["ebv_sfd_to_sf11"],
        fallback=tuple(e["fallback"]), R0_kpc=float(ctx.cfg["frame"]["R0_kpc"]),
        analytic={"av_per_kpc": e["analytic_av_per_kpc"], "rv": e["analytic_rv"],
                  "h_R_kpc": e["analytic_h_R_kpc"], "h_z_kpc": e["analytic_h_z_kpc"]},
    )
    return pd.DataFrame({
        "source_id": df["source_id"].to_numpy(np.int64),
        "A_G_mag": ag, "A_BP_mag": abp, "A_RP_mag": arp,
        "ext_source": pd.array(np.asarray(src, dtype=object).astype(str), dtype="string")
        if len(df) else pd.array([], dtype="string"),
    })
