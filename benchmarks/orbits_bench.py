"""Benchmark and accuracy report of the orbit kernels (issue 8).

For each potential: stars/s/core of the guiding radius, the Staeckel method and orbit integration, and the
agreement of Staeckel with integration (median and 95th percentile of |fast/exact - 1|) on N disk-like orbits
(default 1,000). Also: interpolated vs exact McMillan17 on a subsample, and the output-step effect.
Timings are single-process on a shared 2-core machine: noisy.

    python benchmarks/orbits_bench.py [--n 1000] [--n-fast 20000] [--n-exact-mcm17 40]
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np

from mwdisk.frame import GalacticFrame
from mwdisk.mock.kinematic import disk_phase_space
from mwdisk.orbits import guiding_radius, orbit_parameters
from mwdisk.potentials import POTENTIAL_NAMES, get_potential

COLS = ("zmax_kpc", "rperi_kpc", "rapo_kpc")


def timed(f, *a, **k):
    t0 = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t0


def stats(a, b):
    rel = np.abs(a / b - 1.0)
    return np.median(rel) * 100, np.percentile(rel, 95) * 100, np.max(rel) * 100


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--n-fast", type=int, default=20000)
    ap.add_argument("--n-exact-mcm17", type=int, default=40)
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    frame = GalacticFrame()
    rng = np.random.default_rng(args.seed)
    sample = disk_phase_space(rng, args.n, frame)
    big = disk_phase_space(rng, args.n_fast, frame)
    for name in POTENTIAL_NAMES:
        t0 = time.perf_counter()
        pot = get_potential(name, frame.R0_kpc, frame.vcirc_kms)
        t_build = time.perf_counter() - t0
        lz = big[0] * big[4] - big[1] * big[3]
        lz_many = np.tile(lz, max(1, 1_000_000 // lz.size))
        _, t_rg = timed(guiding_radius, lz_many, pot)
        fast_big, t_fast = timed(orbit_parameters, *big, pot, frame, method="staeckel")
        fast, _ = timed(orbit_parameters, *sample, pot, frame, method="staeckel")
        exact, t_exact = timed(orbit_parameters, *sample, pot, frame, method="integrate")
        print(f"\n== {name}  (potential build/load {t_build:.1f} s)")
        print(f"R_g         {lz_many.size / t_rg:12,.0f} stars/s/core")
        nbad = np.sum(fast_big.flags != 0)
        print(f"Staeckel    {args.n_fast / t_fast:12,.0f} stars/s/core  (flags != 0: {nbad})")
        print(f"integrate   {args.n / t_exact:12,.1f} stars/s/core  (3 Gyr, 3001 outputs, dop853_c"
              f"{', interpolated' if pot.model.interpolated else ''}; "
              f"flags != 0: {np.sum(exact.flags != 0)})")
        print(f"Staeckel vs integration on {args.n} orbits, |fast/exact - 1| in %: median, p95, max")
        for c in COLS:
            print(f"  {c:10s} {'%7.3f %7.3f %7.2f' % stats(getattr(fast, c), getattr(exact, c))}")
        sub = tuple(a[:100] for a in sample)
        fine = orbit_parameters(*sub, pot, frame, method="integrate", n_steps=10001)
        print("integration 3001 vs 10001 outputs (100 orbits), % median, p95, max:")
        for c in COLS:
            print(f"  {c:10s} {'%7.4f %7.4f %7.3f' % stats(getattr(exact, c)[:100], getattr(fine, c))}")
        if name == "mcm17":
            m = args.n_exact_mcm17
            sub = tuple(a[:m] for a in sample)
            ex = get_potential(name, frame.R0_kpc, frame.vcirc_kms, interpolate=False)
            ref, t_ref = timed(orbit_parameters, *sub, ex, frame, method="integrate")
            print(f"exact-model integration {m / t_ref:.2f} stars/s/core; "
                  f"interpolated vs exact ({m} orbits), "
                  "% median, p95, max:")
            for c in COLS:
                print(f"  {c:10s} {'%7.4f %7.4f %7.3f' % stats(getattr(exact, c)[:m], getattr(ref, c))}")
            s_ex = orbit_parameters(*sub, ex, frame, method="staeckel")
            same = np.array_equal(s_ex.zmax_kpc, fast.zmax_kpc[:m])
            print(f"  (Staeckel does not use the interpolation: identical = {same})")
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
