"""End-to-end benchmark of `mwdisk run` on a mock: wall time per stage and peak memory per worker.

    python benchmarks/pipeline_bench.py --n 300000 [--workers 2] [--out /tmp/mwdisk-bench] [--true-zmax]
        [--set section.key=value ...] [--judge]

Prints, per stage, the wall time and stars per second per core (stars / wall / workers), then each worker's
peak resident memory (ru_maxrss), and the machine. The mock is generated first and timed separately.
``--judge`` then prints issue 9's injection-recovery verdict on the finished run
(``benchmarks/injection_acceptance.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import time
from pathlib import Path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="/tmp/mwdisk-bench")
    ap.add_argument("--partition-rows", type=int, default=50_000)
    ap.add_argument("--true-zmax", action="store_true")
    ap.add_argument("--keep", action="store_true", help="reuse an existing run folder (resume)")
    ap.add_argument("--set", action="append", default=[], help="config override section.key=value")
    ap.add_argument("--judge", action="store_true", help="judge the gradients against the injected law")
    args = ap.parse_args()

    from mwdisk.config import load_config
    from mwdisk.pipelines.clusters import start_client
    from mwdisk.pipelines.mock import ensure_mock
    from mwdisk.pipelines.run import run_pipeline

    if not args.keep:
        shutil.rmtree(args.out, ignore_errors=True)
    parts = max(args.workers, args.n // 50_000)
    cfg = load_config(overrides=[
        f"run.out={args.out}", f"mock.n={args.n}", f"mock.partitions={parts}",
        f"mock.with_true_zmax={'true' if args.true_zmax else 'false'}", f"cluster.n_workers={args.workers}",
        f"run.partition_rows={args.partition_rows}", "cluster.dashboard_address=:0", *args.set,
    ])
    client, cluster = start_client(cfg["cluster"], None)
    try:
        t0 = time.time()
        ensure_mock(client, cfg, os.path.join(args.out, "mock"))
        t_mock = time.time() - t0
        t0 = time.time()
        summaries = run_pipeline(cfg, client=client)
        total = time.time() - t0
        peaks = client.run(_peak_mib)
    finally:
        client.close()
        cluster.close()
    n, w = args.n, args.workers
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"mock of {n:,} stars, {w} workers, partitions of {args.partition_rows:,} rows")
    print(f"{'mock':<11} {t_mock:8.1f} s  {n / t_mock / w:10.0f} stars/s/core"
          f"{'  (with true Z_max)' if args.true_zmax else ''}")
    for name, s in summaries.items():
        sec = s.get("seconds", 0.0)
        rate = n / sec / w if sec else float("nan")
        print(f"{name:<11} {sec:8.1f} s  {rate:10.0f} stars/s/core")
    print(f"{'total':<11} {total:8.1f} s (pipeline without the mock)")
    for addr, mib in sorted(peaks.items()):
        print(f"peak memory {addr}: {mib:.0f} MiB")
    if args.judge:
        from injection_acceptance import judge

        print(f"overrides: {' '.join(args.set) or 'none (default injection)'}")
        ok = judge(Path(args.out), cfg, 0.010, 0.0015, 0.010)
        print("injection recovery:", "PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
