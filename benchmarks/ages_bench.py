"""Benchmark of the age kernel: stars/s/core and peak memory, and age recovery on stars drawn from the grid.

Stars are drawn from the grid itself (age known): a random isochrone (age uniform on the grid, [M/H]_eff
~ N(-0.2, 0.25) on the nodes), a random point in LAMOST-like territory (Teff 4000-7500 K, M_G < 7, uniform in
EEP so turn-off, subgiants and giants are well represented), linearly interpolated along the segment, then
perturbed by LAMOST/Gaia-like errors (Teff 50-150 K, log g 0.05-0.15, [Fe/H] 0.03-0.08, [alpha/Fe] 0.02-0.05,
M_G 0.05-0.3 mag). [alpha/Fe] is drawn in 0..0.3 and [Fe/H] set so the Salaris [M/H]_eff is the node's.

Run: ``.venv/bin/python benchmarks/ages_bench.py [--n 100000] [--grid dsep] [--family-fit dsep]
[--likelihood segment]``.
One process, one thread (numba kernels are single-threaded). Timings on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from mwdisk.ages import AgeFlag, estimate_ages
from mwdisk.isochrones import load_grid
from mwdisk.isochrones.composition import SALARIS_A, SALARIS_B


def draw_grid_stars(grid, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n`` noisy stars drawn from ``grid`` with their true age and [M/H]_eff (see the module docstring)."""
    nodes = np.unique(grid.iso_mh)
    out = {k: [] for k in ("teff", "logg", "mg", "mh", "age")}
    n_left = n
    while n_left > 0:
        m = min(n_left, 20000)
        mh = nodes[np.abs(nodes[None, :] - rng.normal(-0.2, 0.25, m)[:, None]).argmin(axis=1)]
        age_idx = rng.integers(0, grid.ages_gyr.size, m)
        for h, a in zip(mh, age_idx, strict=True):
            i = np.flatnonzero((grid.iso_mh == h) & (grid.iso_age_idx == a))
            if i.size == 0:
                continue
            iso = grid.isochrone(int(i[0]))
            te, gm = iso["teff_k"][:-1], iso["g_mag"][:-1]
            ok = np.flatnonzero((te > 4000) & (te < 7500) & (gm < 7))
            if ok.size == 0:
                continue
            j = int(rng.choice(ok))
            t = rng.uniform()
            for key, col in (("teff", "teff_k"), ("logg", "logg"), ("mg", "g_mag")):
                out[key].append((1 - t) * iso[col][j] + t * iso[col][j + 1])
            out["mh"].append(h)
            out["age"].append(grid.ages_gyr[a])
            n_left -= 1
    s = {k: np.asarray(v) for k, v in out.items()}
    n = s["teff"].size
    s["teff_err"] = rng.uniform(50, 150, n)
    s["logg_err"] = rng.uniform(0.05, 0.15, n)
    s["mg_err"] = rng.uniform(0.05, 0.3, n)
    s["feh_err"] = rng.uniform(0.03, 0.08, n)
    s["afe_err"] = rng.uniform(0.02, 0.05, n)
    afe_true = rng.uniform(0.0, 0.3, n)
    feh_true = s["mh"] - np.log10(SALARIS_A * 10**afe_true + SALARIS_B)
    s["teff_obs"] = s["teff"] + rng.normal(0, 1, n) * s["teff_err"]
    s["logg_obs"] = s["logg"] + rng.normal(0, 1, n) * s["logg_err"]
    s["mg_obs"] = s["mg"] + rng.normal(0, 1, n) * s["mg_err"]
    s["feh_obs"] = feh_true + rng.normal(0, 1, n) * s["feh_err"]
    s["afe_obs"] = afe_true + rng.normal(0, 1, n) * s["afe_err"]
    return s


def run(grid, s, **kw):
    return estimate_ages(
        grid, s["teff_obs"], s["teff_err"], s["logg_obs"], s["logg_err"], s["mg_obs"], s["mg_err"],
        s["feh_obs"], s["feh_err"], s["afe_obs"], s["afe_err"], **kw,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="stars in the partition")
    ap.add_argument("--grid", default="dsep", help="grid the stars are drawn from")
    ap.add_argument("--family-fit", default="dsep", help="grid used to fit")
    ap.add_argument("--block-size", type=int, default=8)
    ap.add_argument("--n-sigma", type=float, default=10.0, help="window half-width in errors (paper: 10)")
    ap.add_argument("--likelihood", default="segment", choices=("segment", "closest"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    g_draw = load_grid(args.grid)
    g_fit = load_grid(args.family_fit)
    t0 = time.perf_counter()
    stars = draw_grid_stars(g_draw, args.n, rng)
    print(f"drew {args.n} stars from {args.grid} in {time.perf_counter() - t0:.1f} s")
    warm = {k: v[:50] for k, v in stars.items()}
    kw = dict(block_size=args.block_size, n_sigma=args.n_sigma, likelihood=args.likelihood)
    run(g_fit, warm, **kw)  # compile / load numba cache, prepare grid
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    c0 = time.process_time()
    res = run(g_fit, stars, **kw)
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fit with {args.family_fit} (n_sigma={args.n_sigma}, {args.likelihood}): {args.n} stars in "
          f"{dt:.1f} s wall = "
          f"{args.n / dt:,.0f} stars/s/core; CPU time {dc:.1f} s = {args.n / dc:,.0f} stars/s/core "
          f"(1 process, 1 thread; shared 2-core machine, noisy)")
    print(f"peak RSS {rss1:.0f} MB (before the partition {rss0:.0f} MB); G array {res.G.nbytes / 1e6:.0f} MB")

    f = res.age_flags
    good = (f & (AgeFlag.BAD_INPUT | AgeFlag.NO_ISOCHRONE)) == 0
    print(f"no age: {np.count_nonzero(~good)}; edge-flagged: "
          f"{np.count_nonzero(f & (AgeFlag.EDGE_LO | AgeFlag.EDGE_HI))}; RC box: "
          f"{np.count_nonzero(f & AgeFlag.LIKELY_RC)}; "
          f"multimodal: {np.count_nonzero(f & AgeFlag.MULTIMODAL)}")
    true = stars["age"]
    for label, sel in (
        ("all with an age", good),
        ("err_frac < 0.25", good & (res.age_err_frac < 0.25)),
        ("err_frac < 0.25, no edge flag", good & (res.age_err_frac < 0.25)
         & ((f & (AgeFlag.EDGE_LO | AgeFlag.EDGE_HI)) == 0)),
        ("high quality (err<0.10 & (Teff>5750 | logg<4 & Teff>5250))",
         good & (res.age_err_frac < 0.10) & ((stars["teff_obs"] > 5750)
                                             | ((stars["logg_obs"] < 4) & (stars["teff_obs"] > 5250)))),
    ):
        rel = (res.age_mode_gyr[sel] - true[sel]) / true[sel]
        rel_med = (res.age_median_gyr[sel] - true[sel]) / true[sel]
        inside = (res.age_lo_gyr[sel] <= true[sel]) & (true[sel] <= res.age_hi_gyr[sel])
        q16, q50, q84 = np.percentile(rel, [16, 50, 84]) if rel.size else (np.nan,) * 3
        print(f"{label:62s} n={sel.sum():6d}  median rel offset (mode) {q50:+.3f}  (median age) "
              f"{np.median(rel_med) if rel.size else np.nan:+.3f}  robust scatter {(q84 - q16) / 2:.3f}  "
              f"inside 68%: {inside.mean() if rel.size else np.nan:.3f}")


if __name__ == "__main__":
    main()
