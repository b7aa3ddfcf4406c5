"""Benchmark of the phase-space kernel: stars/s/core at 100 draws and peak memory.

Run: ``.venv/bin/python benchmarks/phasespace_bench.py [n_stars] [n_draws] [chunk_stars]``. Single process,
single thread (the kernels are single-threaded; parallelism comes from workers). Synthetic stars with
Gaia-like errors and correlations; numba compilation is excluded by a warm-up call. Also times astropy's
``Galactocentric`` transform of the same number of points, the alternative the issue asks to measure.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from mwdisk.frame import GalacticFrame
from mwdisk.phasespace import icrs_to_galactocentric, phasespace_summary


def synthetic(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    e = np.column_stack([rng.uniform(0.01, 0.1, n), rng.uniform(0.01, 0.1, n), rng.uniform(0.015, 0.12, n),
                         rng.uniform(0.015, 0.12, n), rng.uniform(0.015, 0.12, n)])
    a = rng.normal(size=(n, 5, 5)) * 0.5
    corr = a @ np.swapaxes(a, 1, 2) + np.eye(5) * 2.0
    d = np.sqrt(np.diagonal(corr, axis1=1, axis2=2))
    corr /= d[:, :, None] * d[:, None, :]
    cov = corr * e[:, :, None] * e[:, None, :]
    med = rng.uniform(200, 4000, n)
    return (np.arange(n, dtype=np.int64) * 7919 + 1, ra, dec, rng.normal(0, 10, n), rng.normal(0, 10, n), cov,
            med, med * 0.9, med * 1.12, rng.normal(0, 40, n), rng.uniform(1, 5, n))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    n_draws = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    chunk = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    frame = GalacticFrame()
    args = synthetic(n)
    phasespace_summary(*(a[:50] for a in args), frame=frame, seed=1, n_draws=n_draws)  # compile / load cache
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    phasespace_summary(*args, frame=frame, seed=1, n_draws=n_draws, chunk_stars=chunk)
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"phasespace_summary: {n} stars x {n_draws} draws, chunk {chunk}: {dt:.2f} s -> "
          f"{n / dt:,.0f} stars/s/core ({n * n_draws / dt / 1e6:.2f} M draws/s)")
    inputs = sum(a.nbytes for a in args) / 2**20
    print(f"peak RSS {rss:.0f} MiB (before the timed call {rss0:.0f} MiB; inputs {inputs:.0f} MiB)")

    m = min(n * n_draws, 2_000_000)
    pts = [np.resize(a, m) for a in (args[1], args[2], args[6] / 1000, args[3], args[4], args[9])]
    t = time.perf_counter()
    icrs_to_galactocentric(*pts, frame)
    dt_ours = time.perf_counter() - t
    import astropy.coordinates as coord
    import astropy.units as u

    t = time.perf_counter()
    sc = coord.SkyCoord(ra=pts[0] * u.deg, dec=pts[1] * u.deg, distance=pts[2] * u.kpc,
                        pm_ra_cosdec=pts[3] * u.mas / u.yr, pm_dec=pts[4] * u.mas / u.yr,
                        radial_velocity=pts[5] * u.km / u.s)
    sc.transform_to(frame.to_astropy())
    dt_ap = time.perf_counter() - t
    print(f"transform only, {m:,} points: ours {m / dt_ours / 1e6:.1f} M/s, "
          f"astropy {m / dt_ap / 1e6:.2f} M/s "
          f"(= {m / dt_ap / n_draws:,.0f} stars/s at {n_draws} draws for the transform alone)")


if __name__ == "__main__":
    main()
