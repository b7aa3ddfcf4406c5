"""Benchmark of the gradient reduction kernels: stars/s/core and peak memory (ru_maxrss)."""
import resource
import sys
import time

import numpy as np

from mwdisk.gradients import (
    combine_groups,
    draw_bin_index,
    expanded_ages,
    gradient_table,
    partition_groups,
    trend_table,
)

GRID = np.concatenate([np.arange(1.0, 5.0, 0.25), np.arange(5.0, 14.51, 0.5)])
rng = np.random.default_rng(1)
n_part = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
n_parts = int(sys.argv[2]) if len(sys.argv) > 2 else 8
SEL = ["thin_disk", "thick_disk", "zmax_1", "zmax_2", "zmax_3", "zmax_4", "chem_1", "chem_2", "chem_3",
       "chem_4",
       "high_quality"]
t_draw = t_group = t_comb = 0.0
total = {}
for _p in range(n_parts):
    tau = rng.uniform(1, 13, n_part)
    g = np.exp(-0.5 * ((GRID[None] - tau[:, None]) / (0.12 * tau[:, None])) ** 2)
    sid = rng.integers(0, 2**62, n_part)
    age = tau * (1 + 0.1 * rng.normal(size=n_part))
    r = rng.normal(8.5, 1.5, n_part)
    re = rng.uniform(0.05, 0.4, n_part)
    feh = -0.07 * (r - 8.27) + 0.1 * rng.normal(size=n_part)
    fe = np.full(n_part, 0.03)
    zsl = rng.integers(0, 4, n_part)
    ch = rng.integers(0, 4, n_part)
    masks = {"thin_disk": (zsl == 0) & (ch < 2), "thick_disk": (zsl == 3) & (ch >= 2),
             **{f"zmax_{k+1}": zsl == k for k in range(4)}, **{f"chem_{k+1}": ch == k for k in range(4)},
             "high_quality": (rng.uniform(size=n_part) < 0.1) & (zsl == 0) & (ch < 2)}
    t0 = time.perf_counter()
    bins = draw_bin_index(expanded_ages(g, GRID, sid, 42, 20))
    t1 = time.perf_counter()
    part = {}
    for s in SEL:
        m = masks[s]
        for radius, pot in (("rg", "mw14"), ("rpresent", "none")):
            part = combine_groups(part, partition_groups((s, pot, 8.27, 236.0, radius), sid[m], age[m], r[m],
                                                         re[m],
                                                          feh[m], fe[m], bins[m]))
    t2 = time.perf_counter()
    total = combine_groups(total, part)
    t3 = time.perf_counter()
    t_draw += t1 - t0
    t_group += t2 - t1
    t_comb += t3 - t2
N = n_part * n_parts
t0 = time.perf_counter()
tab = gradient_table(total)
tr = trend_table(tab)
t_fit = time.perf_counter() - t0
mem = sum(sum(getattr(g, f).nbytes for f in ("source_id", "age_gyr", "radius_kpc", "radius_err_kpc", "feh",
                                             "feh_err",
                                                  "age_hist")) for g in total.values())
print(f"stars {N:,} in {n_parts} partitions; single core, 2-core machine shared with other jobs (noisy)")
print(f"expanded ages (20 draws, {GRID.size} grid ages) + bin index: {N / t_draw:,.0f} stars/s")
print(f"partition_groups, 11 selections x 2 radii: {N / t_group:,.0f} stars/s")
print(f"combine into running total: {N / t_comb:,.0f} stars/s")
print(
    f"gradient_table ({len(tab)} rows, 2 error models) + trend_table: {t_fit:.1f} s = "
    f"{N / t_fit:,.0f} stars/s"
)
print(
    f"reduced state: {len(total)} groups, {mem / 1e6:.0f} MB; "
    f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB"
)
