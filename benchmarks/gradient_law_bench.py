"""Issue 19 on the mock: the likelihood fit of the gradient-age law against the binned fits and the injection.

    python benchmarks/gradient_law_bench.py --n 300000                     # default injection
    python benchmarks/gradient_law_bench.py --n 300000 --set mock.thin_gradient=-0.05 \\
        --set mock.thin_flattening=0.006 --out /tmp/mwdisk-law-b
    python benchmarks/gradient_law_bench.py --memory 300000 4000000         # client memory vs stars

Mode 1 generates the mock, runs the pipeline through the gradients stage on a 2-worker LocalCluster
(resumable: ``--keep`` reuses a finished run), then fits the law in a child process (so that its peak
resident memory is the fit's alone) and prints, per selection, the law and the binned fit against the
injected law:

* thin disk: the gradient at 1 Gyr (binned: the weighted line through the bins' gradients, at 1 Gyr) and
  the flattening (binned: the trend), limits 0.005 dex/kpc and 0.0008 dex/kpc/Gyr;
* thick disk: the gradient (law: the p-weighted mean of g; binned: the weighted mean of the bins' gradients
  with enough members), limit 0.006 dex/kpc;
* high quality: the flattening, limit 0.0010.

Each must also be no further from the injection than the binned fit. The last column gives what the
selected members truly follow (OLS of true [Fe/H] on true R_g in bins of true age; its trend; for the thick
disk one slope over all members): where it differs from the injection the selection itself is biased (the
high-quality sample's Teff and age-precision cuts select [Fe/H] differently at different ages), and no fit
conditional on membership can recover the injection.

Mode 2 (``--memory``) measures the client's peak memory of a fit whose stars are generated on the workers
(synthetic G functions, as in tests/gradients/test_law.py), at each size, with a short fit (the point is
that nothing per star reaches the client), and prints the seconds per evaluation.

Timings are noisy: the machine's 2 cores are shared with other jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _overrides(args, parts: int) -> list[str]:
    return [f"run.out={args.out}", f"mock.n={args.n}", f"mock.partitions={parts}",
            "mock.with_true_zmax=false", f"cluster.n_workers={args.workers}", "cluster.dashboard_address=:0",
            *args.set]


def run_pipeline_part(args) -> dict:
    from mwdisk.config import load_config
    from mwdisk.pipelines.clusters import start_client
    from mwdisk.pipelines.run import run_pipeline

    if not args.keep:
        shutil.rmtree(args.out, ignore_errors=True)
    cfg = load_config(overrides=_overrides(args, max(args.workers, args.n // 50_000)))
    client, cluster = start_client(cfg["cluster"], None)
    try:
        t0 = time.time()
        run_pipeline(cfg, until="gradients", client=client)
        return {"pipeline_s": time.time() - t0}
    finally:
        client.close()
        cluster.close()


def fit_part(args) -> None:
    """Child process: fit the law on the finished run; print a JSON line with the timing and memory."""
    from mwdisk.config import load_config
    from mwdisk.gradients import LawOptions
    from mwdisk.pipelines.clusters import start_client
    from mwdisk.pipelines.gradient_law import fit_gradient_law

    cfg = load_config(overrides=_overrides(args, max(args.workers, args.n // 50_000)))
    opts = LawOptions(radii=tuple(args.radii), n_bootstrap=args.bootstrap)
    client, cluster = start_client(cfg["cluster"], None)
    try:
        t0 = time.time()
        table = fit_gradient_law(client, cfg, Path(args.out), options=opts)
        dt = time.time() - t0
    finally:
        client.close()
        cluster.close()
    print(json.dumps({"fit_s": dt, "client_peak_mib": _peak_mib(), "rows": len(table)}))


def _binned(out: Path, pot: str, min_stars: int) -> dict:
    g = pd.read_csv(out / "gradients.csv")
    t = pd.read_csv(out / "trends.csv")
    res = {}
    for sel in ("thin_disk", "thick_disk", "high_quality"):
        d = g[(g.selection == sel) & (g.radius == "rg") & (g.error_model == "scatter") & (g.potential == pot)
              & (g.n_stars >= min_stars)].dropna(subset=["slope_dex_per_kpc", "slope_err_dex_per_kpc"])
        if len(d) == 0:
            continue
        w = 1.0 / d.slope_err_dex_per_kpc.to_numpy() ** 2
        s, a = d.slope_dex_per_kpc.to_numpy(), d.age_mid_gyr.to_numpy()
        A = np.stack([np.ones_like(a), a - 1.0], axis=1)
        coef = np.linalg.solve(A.T @ (w[:, None] * A), A.T @ (w * s))
        tr = t[(t.selection == sel) & (t.radius == "rg") & (t.error_model == "scatter")
               & (t.potential == pot)]
        res[sel] = {"g1": float(coef[0]), "flat": float(tr.slope_dex_per_kpc_per_gyr.iloc[0]),
                    "mean": float((w * s).sum() / w.sum())}
    return res


def _truth(out: Path) -> dict:
    """What the selected members truly follow: per selection, OLS slopes of true [Fe/H] on true R_g in
    1.25-Gyr bins of TRUE age, their unweighted trend (flattening), the slope at 1 Gyr and their mean."""
    sel = pd.read_parquet(out / "selected")
    truth = pd.read_parquet(out / "mock")
    cols = ["obs_id", "true_age_gyr", "true_feh", "true_rg_kpc"]
    s = sel.merge(truth[cols], on="obs_id", how="left", validate="one_to_one")
    res = {}
    for name in ("thin_disk", "thick_disk", "high_quality"):
        d = s[s[f"sel_{name}"]]
        rows = []
        for lo in np.arange(1.0, 12.25, 1.25):
            m = ((d.true_age_gyr >= lo) & (d.true_age_gyr < lo + 1.25)).to_numpy()
            if m.sum() >= 50:
                rows.append((lo + 0.625, np.polyfit(d.true_rg_kpc[m], d.true_feh[m], 1)[0]))
        if len(rows) >= 2:
            a = np.array(rows)
            flat, g1 = np.polyfit(a[:, 0] - 1.0, a[:, 1], 1)
            res[name] = {"g1": g1, "flat": flat, "mean": np.polyfit(d.true_rg_kpc, d.true_feh, 1)[0]}
    return res


def judge(out: Path, cfg: dict) -> bool:
    m, pot = cfg["mock"], cfg["run"]["potential"]
    law = pd.read_csv(out / "gradient_law.csv")
    law = law[(law.radius == "rg") & (law.potential == pot)]
    binned = _binned(out, pot, int(cfg["gradients"]["min_stars"]))
    truth = _truth(out)

    def lv(sel, par):
        r = law[(law.selection == sel) & (law.parameter == par)]
        return (float(r.value.iloc[0]), float(r.err.iloc[0]), float(r.err_bootstrap.iloc[0]),
                int(r.n_stars.iloc[0])) if len(r) else (np.nan,) * 3 + (0,)

    checks = [("thin_disk", "gradient_at_1gyr_dex_per_kpc", "g1", m["thin_gradient"], 0.005),
              ("thin_disk", "flattening_dex_per_kpc_per_gyr", "flat", m["thin_flattening"], 0.0008),
              ("thick_disk", "gradient_mean_dex_per_kpc", "mean", m["thick_gradient"], 0.006),
              ("high_quality", "flattening_dex_per_kpc_per_gyr", "flat", m["thin_flattening"], 0.0010)]
    ok = True
    print(f"{'selection':<13} {'quantity':<31} {'injected':>9} {'law':>9} {'err':>8} {'boot':>8} "
          f"{'law-inj':>8} "
          f"{'binned':>9} {'bin-inj':>8} {'limit':>7}  n_stars  verdict   members' truth")
    for sel, par, bkey, inj, tol in checks:
        v, e, eb, n = lv(sel, par)
        b = binned.get(sel, {}).get(bkey, np.nan)
        passed = abs(v - inj) < tol and abs(v - inj) <= abs(b - inj)
        ok &= bool(passed)
        tv = truth.get(sel, {}).get(bkey, np.nan)
        print(f"{sel:<13} {par:<31} {inj:+9.5f} {v:+9.5f} {e:8.5f} {eb:8.5f} {v - inj:+8.5f} {b:+9.5f} "
              f"{b - inj:+8.5f} {tol:7.4f}  {n:7d}  {'PASS' if passed else 'FAIL':7s}  {tv:+9.5f}")
    return ok


def memory_mode(args) -> None:
    from distributed import Client, LocalCluster

    from mwdisk.gradients import LawOptions, LawSpec
    from mwdisk.isochrones import load_grid
    from mwdisk.pipelines.gradient_law import fit_law_partitions

    ages = load_grid("dsep").ages_gyr
    opts = LawOptions(n_bootstrap=2, max_iter=args.mem_iter, newton_iter=0, min_stars=10)
    spec = LawSpec.build(ages, opts)
    rows = []
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      memory_limit="4GiB") as cluster, Client(cluster) as client:
        for n in args.memory:
            per = 100_000
            sizes = [min(per, n - k) for k in range(0, n, per)]
            parts = client.map(_synthetic_part, range(len(sizes)), sizes, n_blocks=opts.n_blocks, pure=False)
            client.gather(client.map(lambda p: 0, parts, pure=False))  # wait for the data
            t0 = time.time()
            fit = fit_law_partitions(client, parts, ("thin_disk", "rg"), spec, seed=1)
            dt = time.time() - t0
            rows.append((n, fit.n_eval, dt, dt / fit.n_eval, _peak_mib(),
                         fit.derived["gradient_at_1gyr_dex_per_kpc"]))
            client.cancel(parts)
            del parts
    print(f"{'stars':>10} {'evals':>6} {'fit s':>8} {'s/eval':>7} {'client peak MiB':>16}")
    for n, ne, dt, se, mib, _ in rows:
        print(f"{n:10,d} {ne:6d} {dt:8.1f} {se:7.2f} {mib:16.0f}")


def _synthetic_part(i: int, n: int, n_blocks: int) -> dict:
    from mwdisk.gradients import law_data
    from mwdisk.isochrones import load_grid

    ages = load_grid("dsep").ages_gyr
    rng = np.random.default_rng([7, i])
    tau = rng.uniform(1, 12, n)
    R = np.clip(rng.normal(8.8, 1.2 + 0.1 * tau, n), 3, 15)
    sR, e = rng.uniform(0.1, 0.5, n), rng.uniform(0.02, 0.05, n)
    feh = 0.05 - 0.025 * (tau - 1) + (-0.075 + 0.003 * (tau - 1)) * (R - 8.27) + rng.normal(0, 0.1, n)
    s = 0.15 * rng.uniform(0.6, 1.4, n)
    tobs = tau * np.exp(s * rng.normal(size=n))
    G = np.exp(-0.5 * ((np.log(ages)[None, :] - np.log(tobs)[:, None]) / s[:, None]) ** 2)
    data, _ = law_data(G / G.max(axis=1, keepdims=True), feh + e * rng.normal(size=n), e,
                       R + sR * rng.normal(size=n), sR, np.arange(n) + i * 10_000_000, seed=1,
                       n_blocks=n_blocks)
    return {("thin_disk", "rg"): data}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="/tmp/mwdisk-law")
    ap.add_argument("--keep", action="store_true", help="reuse the finished run in --out")
    ap.add_argument("--set", action="append", default=[], help="config override section.key=value")
    ap.add_argument("--radii", nargs="+", default=["rg"])
    ap.add_argument("--bootstrap", type=int, default=8)
    ap.add_argument("--fit-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--memory", type=int, nargs="+", help="client memory mode at these star counts")
    ap.add_argument("--mem-iter", type=int, default=15, help="L-BFGS-B iterations in --memory mode")
    args = ap.parse_args()
    if args.memory:
        memory_mode(args)
        return
    if args.fit_only:
        fit_part(args)
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()} "
          f"(shared: timings noisy)")
    t = run_pipeline_part(args) if not (args.keep and (Path(args.out) / "gradients.csv").is_file()) else {}
    if t:
        print(f"mock + pipeline through gradients: {t['pipeline_s']:.0f} s ({args.n:,} stars, {args.workers} "
              f"workers)")
    child = [sys.executable, __file__, "--fit-only", "--n", str(args.n), "--workers", str(args.workers),
             "--out", args.out, "--bootstrap", str(args.bootstrap), "--radii", *args.radii]
    for s in args.set:
        child += ["--set", s]
    res = subprocess.run(child, capture_output=True, text=True, check=True)
    info = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"law fit: {info['fit_s']:.0f} s for {info['rows']} rows; client peak memory "
          f"{info['client_peak_mib']:.0f} MiB")
    from mwdisk.config import load_config

    cfg = load_config(overrides=_overrides(args, 1))
    print(f"overrides: {' '.join(args.set) or 'none (default injection)'}")
    ok = judge(Path(args.out), cfg)
    print("acceptance:", "PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
