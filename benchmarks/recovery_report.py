"""Injection-recovery numbers on a mock, for the closing notes and for users checking a configuration.

    python benchmarks/recovery_report.py --n 40000 [--isochrones parsec] [--true-zmax] [--out /tmp/recovery]

Generates a mock (stars made with ``--isochrones``; the ages are always fitted with the run's grid, DSEP by
default), runs the pipeline to the gradients in-process, and prints: age recovery among stars passing the 25 %
error cut and in the high-quality sample (median relative offset, share of true ages inside the 68 % interval,
robust scatter), phase-space pulls, R_g pulls, and with ``--true-zmax`` the distribution of recovered
(Staeckel) against true (integrated) Z_max.
"""

from __future__ import annotations

import argparse
import shutil

import numpy as np
import pandas as pd


def _rstd(x):
    x = np.asarray(x)[np.isfinite(x)]
    return 1.4826 * np.median(np.abs(x - np.median(x)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40_000)
    ap.add_argument("--isochrones", default="dsep", help="family that MAKES the mock stars")
    ap.add_argument("--true-zmax", action="store_true")
    ap.add_argument("--out", default="/tmp/mwdisk-recovery")
    args = ap.parse_args()

    from mwdisk.config import load_config
    from mwdisk.pipelines.run import run_pipeline

    shutil.rmtree(args.out, ignore_errors=True)
    cfg = load_config(overrides=[f"run.out={args.out}", f"mock.n={args.n}", "mock.partitions=4",
                                 f"mock.isochrones={args.isochrones}",
                                 f"mock.with_true_zmax={'true' if args.true_zmax else 'false'}"])
    run_pipeline(cfg, until="gradients", client=False)
    out = cfg["run"]["out"]
    truth = pd.read_parquet(f"{out}/mock")
    s = pd.read_parquet(f"{out}/ingest")
    for st in ("ages", "phasespace", "orbits"):
        s = s.merge(pd.read_parquet(f"{out}/{st}"), on="source_id")
    s = s.merge(truth[["obs_id"] + [c for c in truth.columns if c.startswith("true_")]], on="obs_id")
    snr = (s[["snr_g", "snr_r", "snr_i"]].min(axis=1) > 50).to_numpy()
    print(
        f"mock of {args.n:,} stars made with {args.isochrones}, ages fitted with {cfg['run']['isochrones']}"
    )
    for name, m in (("25 % cut", snr & (s.age_err_frac < 0.25).to_numpy()),
                    ("high quality", snr & (s.age_err_frac < 0.10).to_numpy()
                     & ((s.teff_k > 5750) | ((s.logg < 4) & (s.teff_k > 5250))).to_numpy())):
        x = s[m]
        rel = (x.age_mode_gyr - x.true_age_gyr) / x.true_age_gyr
        inside = ((x.true_age_gyr >= x.age_lo_gyr) & (x.true_age_gyr <= x.age_hi_gyr)).mean()
        print(f"  ages, {name:<12} n={m.sum():6d}  median (age-true)/true {np.median(rel):+.3f}  "
              f"inside 68 % {inside:.3f}  robust scatter {_rstd(rel):.3f}")
    ok = s.ps_flags == 0
    for col, true in (("vphi_kms", "true_vphi_kms"), ("R_kpc", "true_R_kpc")):
        p = ((s[col] - s[true]) / s[f"{col}_std"])[ok]
        p = p[np.isfinite(p)]
        print(f"  pull {col:<9} std {p.std():.3f}  robust {_rstd(p):.3f}  median {np.median(p):+.3f}")
    p = ((s.rg_kpc_mw14 - s.true_rg_kpc) / s.rg_kpc_std_mw14)[ok]
    print(f"  pull rg_kpc    std {p[np.isfinite(p)].std():.3f}  robust {_rstd(p):.3f}")
    if args.true_zmax:
        d = (s.zmax_kpc_mw14 - s.true_zmax_kpc)[ok]
        r = (d / s.true_zmax_kpc)[ok]
        q = np.nanpercentile(d, [5, 16, 50, 84, 95])
        print("  Z_max recovered - true [kpc] percentiles 5/16/50/84/95: " + " ".join(f"{v:+.3f}" for v in q))
        print(f"  |recovered/true - 1| median {np.nanmedian(np.abs(r)):.3f}, "
              f"95th percentile {np.nanpercentile(np.abs(r), 95):.3f}")


if __name__ == "__main__":
    main()
