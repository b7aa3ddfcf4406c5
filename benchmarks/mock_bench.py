"""Benchmark of the mock generator (issue 5): stars per second per core with and without true Z_max.

Usage: ``python benchmarks/mock_bench.py [--n 50000] [--n-zmax 300]``. Prints stars/s/core, the extrapolated
time for 4,000,000 stars without Z_max on 2 cores (two workers, one partition each at a time), the cost of
true Z_max per star, and the peak resident memory of this process (one worker's share for a partition of
``--n`` stars). Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import resource
import time

from mwdisk.mock.generate import MockOptions, generate_partition


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50000, help="stars in the timed partition (no Z_max)")
    ap.add_argument("--n-zmax", type=int, default=300, help="stars in the timed partition with Z_max")
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()

    fast = MockOptions(with_true_zmax=False)
    generate_partition(100, 1, 0, 100, fast)  # compile / load caches, grids and potentials
    t0 = time.perf_counter()
    df = generate_partition(args.n, 1, 0, args.n, fast)
    t_fast = time.perf_counter() - t0
    rate = args.n / t_fast
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    slow = MockOptions(with_true_zmax=True)
    t0 = time.perf_counter()
    generate_partition(args.n_zmax, 2, 0, args.n_zmax, slow)
    t_slow = time.perf_counter() - t0
    t_slow_base = args.n_zmax / rate
    zmax_ms = 1e3 * (t_slow - t_slow_base) / args.n_zmax

    t4m = 4_000_000 / (rate * args.cores)
    frame_mb = df.memory_usage(deep=True).sum() / 2**20
    print(f"rows written: {len(df)} for {args.n} stars ({frame_mb:.0f} MiB frame)")
    print(f"without true Z_max: {rate:,.0f} stars/s/core ({t_fast:.2f} s for {args.n})")
    print(f"N = 4,000,000 without Z_max on {args.cores} cores: {t4m / 60:.1f} min (extrapolated)")
    print(f"with true Z_max (3 Gyr, 3001 steps, mw14): {args.n_zmax / t_slow:,.1f} stars/s/core, "
          f"Z_max costs {zmax_ms:.1f} ms/star")
    print(f"peak RSS of this process: {rss_mb:.0f} MiB (partition of {args.n} stars)")


if __name__ == "__main__":
    main()
