"""Age-stage speed on the default mock, one process (= one worker), and its peak memory.

    python benchmarks/ages_mock_bench.py [--n 100000] [--isochrones dsep] [--likelihood segment] [--repeat 1]

Makes N default-mock stars, their extinction, then times the age stage's partition function (the exact code a
worker runs) on them as one partition. Prints stars/s/core by wall clock and by CPU time, and the peak
resident memory, and the load average (the machine is shared: compare CPU-time rates taken at low load;
with ``--repeat`` the best of the repeats). benchmarks/ages_bench.py times the bare kernel on stars drawn from
the grid itself.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--isochrones", default="dsep")
    ap.add_argument("--likelihood", default=None, choices=("segment", "closest"),
                    help="ages.likelihood (default: the config's)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time the partition this many times, report the best")
    args = ap.parse_args()

    from mwdisk.config import load_config
    from mwdisk.ingest import finalize_partition
    from mwdisk.mock import generate_partition
    from mwdisk.pipelines.mock import mock_options
    from mwdisk.stages import compute_partition

    overrides = [f"run.isochrones={args.isochrones}", "mock.duplicate_fraction=0.0"]
    if args.likelihood:
        overrides.append(f"ages.likelihood={args.likelihood}")
    cfg = load_config(overrides=overrides)
    opts = mock_options(cfg)
    cat = finalize_partition(generate_partition(args.n, opts.seed, 0, args.n, opts))
    ext = compute_partition("extinction", cat, cfg)
    inp = pd.concat([cat, ext.drop(columns="source_id")], axis=1)
    compute_partition("ages", inp.iloc[:100], cfg)  # numba compilation and grid loading, not timed
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load0 = os.getloadavg()[0]
    wall = cpu = float("inf")
    for _ in range(max(args.repeat, 1)):
        w0, c0 = time.perf_counter(), time.process_time()
        out = compute_partition("ages", inp, cfg)
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, {platform.platform()}")
    print(f"{len(inp):,} default-mock stars, one partition, isochrones {args.isochrones}, likelihood "
          f"{cfg['ages']['likelihood']}, best of {max(args.repeat, 1)}")
    print(f"ages: {wall:.1f} s wall, {cpu:.1f} s CPU -> {len(inp) / wall:,.0f} stars/s/core (wall), "
          f"{len(inp) / cpu:,.0f} (CPU)")
    print(f"stars with an age: {out['age_mode_gyr'].notna().mean():.1%}")
    print(f"load average (1 min) before / after: {load0:.2f} / {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores")
    print(f"peak memory: {rss:,.0f} MiB (before the timed partition: {rss0:,.0f} MiB)")


if __name__ == "__main__":
    main()
