"""Partition adapter of the phase-space stage: means and spreads of the Monte-Carlo draws, and ps_flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..phasespace import SUMMARY_COLUMNS, phasespace_summary
from ..schema import gaia_covariance

__all__ = ["phasespace_partition", "phasespace_inputs"]


def phasespace_inputs(df: pd.DataFrame) -> tuple:
    """The kernel's positional array arguments, from canonical columns (also used by the orbit stage)."""
    f = lambda c: df[c].to_numpy(dtype=float, na_value=np.nan)  # noqa: E731
    return (df["source_id"].to_numpy(np.int64), f("ra_deg"), f("dec_deg"), f("pmra_masyr"), f("pmdec_masyr"),
            gaia_covariance(df), f("dist_med_pc"), f("dist_lo_pc"), f("dist_hi_pc"), f("rv_kms"),
            f("rv_error_kms"))


def phasespace_partition(df: pd.DataFrame, ctx) -> pd.DataFrame:
    p = ctx.cfg["phasespace"]
    out = phasespace_summary(*phasespace_inputs(df), frame=ctx.frame, seed=ctx.seed,
                             n_draws=int(p["n_draws"]),
                             chunk_stars=int(p["chunk_stars"]),
                             distance_z_from_parallax=bool(p["distance_z_from_parallax"]))
    cols = {"source_id": df["source_id"].to_numpy(np.int64)}
    for c in SUMMARY_COLUMNS:
        cols[c] = np.asarray(out[c]).astype(np.int32 if c == "ps_flags" else np.float64)
    return pd.DataFrame(cols)
