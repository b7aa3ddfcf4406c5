"""Small synthetic catalogues in the canonical schema, for tests of the spine (not science: see the mock)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mwdisk.schema import CORRELATION_COLUMNS


def make_catalog(n: int, seed: int = 1, dup_fraction: float = 0.0, start_id: int = 1000) -> pd.DataFrame:
    """``n`` stars in a LAMOST-like footprint; ``dup_fraction`` of them observed twice within 1 arcsec."""
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(-10)), np.sin(np.radians(60)), n)))
    d = rng.uniform(200, 3000, n)
    df = pd.DataFrame({
        "source_id": np.arange(start_id, start_id + n, dtype=np.int64) * 7919,
        "ra_deg": ra, "dec_deg": dec,
        "ra_error_mas": rng.uniform(0.01, 0.05, n), "dec_error_mas": rng.uniform(0.01, 0.05, n),
        "parallax_mas": 1000 / d + rng.normal(0, 0.02, n), "parallax_error_mas": np.full(n, 0.02),
        "pmra_masyr": rng.normal(0, 10, n), "pmra_error_masyr": np.full(n, 0.03),
        "pmdec_masyr": rng.normal(0, 10, n), "pmdec_error_masyr": np.full(n, 0.03),
        **{c: rng.uniform(-0.3, 0.3, n) for c in CORRELATION_COLUMNS},
        "g_mag": rng.uniform(10, 16, n), "bp_mag": rng.uniform(10, 16, n), "rp_mag": rng.uniform(10, 16, n),
        "dist_med_pc": d, "dist_lo_pc": d * 0.95, "dist_hi_pc": d * 1.05,
        "rv_kms": rng.normal(0, 40, n), "rv_error_kms": np.full(n, 5.0),
        "teff_k": rng.uniform(4500, 6500, n), "teff_err_k": np.full(n, 50.0),
        "logg": rng.uniform(2, 4.5, n), "logg_err": np.full(n, 0.05),
        "feh": rng.normal(-0.1, 0.2, n), "feh_err": np.full(n, 0.03),
        "afe": rng.normal(0.05, 0.05, n), "afe_err": np.full(n, 0.02),
        "snr_g": rng.uniform(20, 200, n), "snr_r": rng.uniform(20, 200, n), "snr_i": rng.uniform(20, 200, n),
    })
    # the 10 correlations above are small enough that every covariance is positive definite
    n_dup = int(round(dup_fraction * n))
    if n_dup:
        rep = df.iloc[rng.choice(n, n_dup, replace=False)].copy()
        off = rng.uniform(0.1, 1.0, n_dup) / 3600.0
        rep["dec_deg"] = np.clip(rep["dec_deg"] + off, -90, 90)
        for c in ("snr_g", "snr_r", "snr_i"):
            rep[c] = rng.uniform(20, 200, n_dup)
        df = pd.concat([df, rep], ignore_index=True)
    df.insert(0, "obs_id", np.arange(len(df), dtype=np.int64) + 1)
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def write_partitioned(df: pd.DataFrame, path, n_parts: int) -> None:
    """Write ``df`` as ``n_parts`` parquet files in folder ``path``."""
    from pathlib import Path

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for k, idx in enumerate(np.array_split(np.arange(len(df)), n_parts)):
        df.iloc[idx].to_parquet(path / f"part-{k:05d}.parquet", index=False)
