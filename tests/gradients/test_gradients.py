"""Age binning, error-expanded ages, the associative reduction and the output tables."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from mwdisk.gradients import (
    GRADIENT_COLUMNS,
    HIST_EDGES_GYR,
    TREND_COLUMNS,
    age_bin_edges,
    assign_age_bins,
    combine_groups,
    concat_gradient_tables,
    draw_bin_index,
    expanded_ages,
    gradient_table,
    group_shards,
    histogram_percentiles,
    inverse_cdf_ages,
    partition_groups,
    trend_table,
)

# the paper's isochrone age grid: 0.25 Gyr steps from 1 to 5 Gyr, 0.5 Gyr to 14.5 Gyr
GRID = np.concatenate([np.arange(1.0, 5.0, 0.25), np.arange(5.0, 14.51, 0.5)])


# ------------------------------------------------------------------------------------------ binning
def test_bin_edges_are_exact():
    edges = age_bin_edges()
    assert edges.tolist() == [1.0, 2.25, 3.5, 4.75, 6.0, 7.25, 8.5, 9.75, 11.0, 12.25]
    with pytest.raises(ValueError, match="whole number"):
        age_bin_edges(1.0, 12.0, 1.25)


def test_modes_on_edges_go_to_the_bin_starting_there():
    edges = age_bin_edges()
    # every inner edge is also a grid age, so a mode can sit exactly on it
    on_edges = np.array([2.25, 3.5, 4.75, 6.0, 7.25, 8.5, 9.75, 11.0])
    assert np.all(np.isin(on_edges[[0, 1, 2, 3, 5, 7]], GRID))
    assert assign_age_bins(on_edges, edges).tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert assign_age_bins(np.array([1.0, 2.2499999, 0.99, 12.25, 14.5, np.nan]), edges).tolist() == [
        0, 0, -1, -1, -1, -1]


def test_partition_groups_puts_an_edge_mode_in_the_upper_bin():
    n = 3
    groups = partition_groups(
        ("thin_disk", "mw14", 8.27, 236.0, "rg"),
        np.array([3, 1, 2]),
        np.array([2.25, 2.2499, 2.25]),
        np.full(n, 8.0), np.full(n, 0.1), np.zeros(n), np.full(n, 0.03),
        np.zeros((n, 2), dtype=np.int16),
    )
    prefix = ("thin_disk", "mw14", 8.27, 236.0, "rg")
    assert sorted(groups) == [(*prefix, 0), (*prefix, 1)]
    assert groups[(*prefix, 1)].source_id.tolist() == [2, 3]  # sorted by source_id


# ------------------------------------------------------------------------------- expanded ages
def test_inverse_cdf_exact_for_piecewise_linear_g():
    u = np.array([[0.16, 0.5, 0.84, 1e-9, 1 - 1e-12]])
    # triangle on [1, 5] peaking at 3 (grid 1, 3, 5): F(t) = (t-1)^2 / 8 below 3
    tri = inverse_cdf_ages(np.array([[0.0, 1.0, 0.0]]), np.array([1.0, 3.0, 5.0]), u)[0]
    expect = np.where(u[0] <= 0.5, 1 + np.sqrt(8 * u[0]), 5 - np.sqrt(8 * (1 - u[0])))
    np.testing.assert_allclose(tri, expect, rtol=0, atol=1e-9)
    # decreasing ramp on a non-uniform grid: density ~ (4 - t) on [2, 4], F(t) = 1 - (4 - t)^2 / 4
    ramp = inverse_cdf_ages(np.array([[1.0, 0.75, 0.5, 0.0]]), np.array([2.0, 2.5, 3.0, 4.0]), u)[0]
    np.testing.assert_allclose(ramp, 4 - 2 * np.sqrt(1 - u[0]), rtol=0, atol=1e-9)
    # an empty (G = 0) leading segment is never drawn from: triangle on [1, 3] peaking at 2
    tri2 = inverse_cdf_ages(np.array([[0.0, 0.0, 1.0, 0.0]]), np.array([0.0, 1.0, 2.0, 3.0]), u)[0]
    expect = np.where(u[0] <= 0.5, 1 + np.sqrt(2 * u[0]), 3 - np.sqrt(2 * (1 - u[0])))
    np.testing.assert_allclose(tri2, expect, rtol=0, atol=1e-9)


def test_inverse_cdf_bad_g_gives_nan():
    g = np.array([[0.0, 0.0, 0.0], [0.0, np.nan, 1.0], [0.2, 1.0, 0.5]])
    out = inverse_cdf_ages(g, np.array([1.0, 2.0, 3.0]), np.full((3, 2), 0.5))
    assert np.isnan(out[:2]).all() and np.isfinite(out[2]).all()
    with pytest.raises(ValueError, match="n_stars"):
        inverse_cdf_ages(g[:, :2], np.array([1.0, 2.0, 3.0]), np.full((3, 2), 0.5))


def test_expanded_age_percentiles_against_known_g():
    # 4,000 stars with the same triangular G on the paper grid: 16/50/84th percentiles of the pooled draws
    # (from the fine histogram) are the triangle's, within the draw noise (~0.003 Gyr) plus the 0.01 Gyr grid
    g_one = np.interp(GRID, [2.0, 4.0, 6.0], [0.0, 1.0, 0.0], left=0.0, right=0.0)
    n = 4000
    draws = expanded_ages(np.tile(g_one, (n, 1)), GRID, np.arange(n) * 7919 + 11, seed=5, n_draws=50)
    counts = np.bincount(draw_bin_index(draws).ravel().astype(np.int64), minlength=HIST_EDGES_GYR.size - 1)
    q = np.array([16.0, 50.0, 84.0])
    got = histogram_percentiles(counts, HIST_EDGES_GYR, q)
    expect = np.array([2 + np.sqrt(8 * 0.16), 4.0, 6 - np.sqrt(8 * 0.16)])
    np.testing.assert_allclose(got, expect, atol=0.015)
    # the histogram percentiles agree with those of the raw draws to within a fine-grid bin
    np.testing.assert_allclose(got, np.percentile(draws, q), atol=0.011)


def test_expanded_ages_do_not_depend_on_the_other_stars(rng):
    n = 50
    tau = rng.uniform(2, 12, n)
    g = np.exp(-0.5 * ((GRID[None] - tau[:, None]) / (0.15 * tau[:, None])) ** 2)
    sid = rng.integers(0, 2**62, n)
    all_draws = expanded_ages(g, GRID, sid, seed=3, n_draws=10)
    perm = rng.permutation(n)[:17]
    sub = expanded_ages(g[perm], GRID, sid[perm], seed=3, n_draws=10)
    np.testing.assert_array_equal(sub, all_draws[perm])
    assert not np.array_equal(expanded_ages(g, GRID, sid, seed=4, n_draws=10), all_draws)


def test_histogram_percentiles_edge_cases():
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    assert np.isnan(histogram_percentiles(np.zeros(3, np.int64), edges, [50.0])).all()
    # all in the middle bin: percentiles spread linearly across it
    np.testing.assert_allclose(histogram_percentiles(np.array([0, 4, 0]), edges, [25.0, 50.0, 100.0]),
                               [1.25, 1.5, 2.0])
    # an empty bin between two full ones is skipped
    np.testing.assert_allclose(histogram_percentiles(np.array([2, 0, 2]), edges, [75.0]), [2.5])


# ------------------------------------------------------------------------------------- reduction
def _catalogue(rng, n):
    tau = rng.uniform(0.8, 13.0, n)
    g = np.exp(-0.5 * ((GRID[None] - tau[:, None]) / (0.12 * tau[:, None])) ** 2)
    age = np.clip(tau * (1 + 0.1 * rng.normal(size=n)), 0.5, 14.5)
    age[:40] = 2.25  # modes exactly on a bin edge
    r = rng.normal(8.5, 1.5 + 0.1 * tau, n)
    feh = (-0.075 + 0.003 * tau) * (r - 8.27) + 0.1 * rng.normal(size=n)
    return pd.DataFrame({
        "source_id": rng.choice(np.arange(10**9, 10**9 + 10 * n), n, replace=False),
        "age": age,
        "rg": r + 0.2 * rng.normal(size=n),
        "rg_err": rng.uniform(0.05, 0.4, n),
        "rp": r + rng.normal(0, 0.5, n),
        "rp_err": np.full(n, 0.02),
        "feh": feh,
        "feh_err": np.full(n, 0.03),
        "thick": rng.uniform(size=n) < 0.3,
        "g": list(g),
    })


def _partition(df, seed=7):
    g = np.stack(df["g"].to_numpy()) if len(df) else np.zeros((0, GRID.size))
    bins = draw_bin_index(expanded_ages(g, GRID, df["source_id"].to_numpy(), seed, n_draws=8))
    out = {}
    for sel, mask in (("thin_disk", ~df["thick"].to_numpy()), ("thick_disk", df["thick"].to_numpy())):
        for radius, pot, rc, ec in (("rg", "mw14", "rg", "rg_err"), ("rpresent", "none", "rp", "rp_err")):
            d = df[mask]
            out = combine_groups(out, partition_groups(
                (sel, pot, 8.27, 236.0, radius), d["source_id"].to_numpy(), d["age"].to_numpy(),
                d[rc].to_numpy(), d[ec].to_numpy(), d["feh"].to_numpy(), d["feh_err"].to_numpy(), bins[mask]))
    return out


def test_one_and_seven_partitions_give_identical_results(rng):
    df = _catalogue(rng, 6000)
    one = _partition(df)
    # 7 partitions of unequal sizes (one empty), shuffled rows, reduced by a pairwise tree and by a fold
    order = rng.permutation(len(df))
    cuts = np.sort(rng.choice(np.arange(1, len(df)), 5, replace=False))
    pieces = np.split(order, [0, *cuts])
    assert len(pieces) == 7 and len(pieces[0]) == 0
    parts = [_partition(df.iloc[p]) for p in pieces]
    tree = parts
    while len(tree) > 1:
        tree = [combine_groups(*tree[i:i + 2]) if i + 1 < len(tree) else tree[i]
                for i in range(0, len(tree), 2)]
    fold = functools.reduce(combine_groups, [parts[i] for i in rng.permutation(7)], {})
    for seven in (tree[0], fold):
        assert sorted(seven, key=repr) == sorted(one, key=repr)
        for k in one:
            for f in ("source_id", "age_gyr", "radius_kpc", "radius_err_kpc", "feh", "feh_err", "age_hist"):
                np.testing.assert_array_equal(getattr(seven[k], f), getattr(one[k], f))
    t1 = gradient_table(one, min_members=50)
    t7 = gradient_table(tree[0], min_members=50)
    pd.testing.assert_frame_equal(t1, t7, check_exact=True)
    assert t1["slope_dex_per_kpc"].notna().sum() > 60
    pd.testing.assert_frame_equal(trend_table(t1), trend_table(t7), check_exact=True)


def test_shards_fitted_apart_give_the_table_of_one_fit(rng):
    """The cluster splits the groups by key prefix into shards fitted on different workers."""
    groups = _partition(_catalogue(rng, 4000))
    whole = gradient_table(groups, min_members=50)
    for n_shards in (1, 2, 3, 7):
        shards = group_shards(groups, n_shards)
        assert sum(len(s) for s in shards) == len(groups)
        prefixes = [{k[:-1] for k in s} for s in shards]
        # a prefix stays whole
        assert all(not (a & b) for i, a in enumerate(prefixes) for b in prefixes[i + 1:])
        assert n_shards == 1 or sum(1 for s in shards if s) >= 2  # the prefixes really are spread out
        tables = [gradient_table(s, min_members=50) for s in shards if s][::-1]  # in any order
        pd.testing.assert_frame_equal(concat_gradient_tables(tables), whole, check_exact=True)
    # a prefix's shard depends on its name only, so every partition sends it to the same shard
    a = group_shards(_partition(_catalogue(rng, 300)), 3)
    b = group_shards(_partition(_catalogue(rng, 500)), 3)
    assert [{k[:-1] for k in s} for s in a] == [{k[:-1] for k in s} for s in b]
    with pytest.raises(ValueError, match="n_shards"):
        group_shards(groups, 0)


def test_tables_columns_small_bins_and_trend(rng):
    df = _catalogue(rng, 6000)
    groups = _partition(df)
    tab = gradient_table(groups, min_members=250, diagnostics=True)
    assert list(tab.columns[: len(GRADIENT_COLUMNS)]) == list(GRADIENT_COLUMNS)
    assert list(gradient_table(groups).columns) == list(GRADIENT_COLUMNS)
    # 2 selections x 2 radii x 2 error models x 9 bins, every bin reported
    assert len(tab) == 72
    assert set(tab["error_model"]) == {"scatter", "naive"}
    assert tab["age_mid_gyr"].iloc[0] == 1.625
    ok = tab[tab["n_stars"] > 0]
    assert (ok["age_err_lo_gyr"] < ok["age_median_gyr"]).all()
    assert (ok["age_median_gyr"] < ok["age_err_hi_gyr"]).all()
    assert ((ok["age_median_gyr"] >= ok["bin_lo_gyr"]) & (ok["age_median_gyr"] < ok["bin_hi_gyr"])).all()
    # the thick disk (30 % of 6000) has bins below 250 stars: reported, fitted, flagged, left out of the trend
    small = tab[(tab["n_stars"] < 250) & (tab["n_stars"] >= 3)]
    assert len(small) > 0 and small["slope_dex_per_kpc"].notna().all() and not small["in_trend"].any()
    tr = trend_table(tab, min_members=250)
    assert list(tr.columns) == list(TREND_COLUMNS) and len(tr) == 8
    pick = (tr["selection"] == "thin_disk") & (tr["radius"] == "rg") & (tr["error_model"] == "scatter")
    row = tr[pick].iloc[0]
    used = tab[(tab["selection"] == "thin_disk") & (tab["radius"] == "rg") & (tab["error_model"] == "scatter")
               & tab["in_trend"]]
    youngest = used.sort_values("age_mid_gyr")["slope_dex_per_kpc"].iloc[0]
    assert row["gradient_youngest_dex_per_kpc"] == youngest
    # the injected flattening is +0.003 dex/kpc/Gyr; 6000 stars give ~0.001 precision
    assert abs(row["slope_dex_per_kpc_per_gyr"] - 0.003) < 4 * row["slope_err_dex_per_kpc_per_gyr"] + 0.001
    # raising min_members removes bins from the trend
    few = trend_table(tab, min_members=10**6)
    assert few["slope_dex_per_kpc_per_gyr"].isna().all() and few["gradient_youngest_dex_per_kpc"].isna().all()


def test_empty_bins_and_rejected_stars():
    n = 60
    sid = np.arange(n)
    age = np.full(n, 1.5)
    r = np.linspace(6, 11, n)
    feh_err = np.full(n, 0.03)
    feh_err[:5] = np.nan  # bad stars: counted, not fitted
    groups = partition_groups(("chem_1", "mw14", 8.27, 236.0, "rg"), sid, age, r, np.full(n, 0.1),
                              -0.07 * r, feh_err, np.zeros((n, 3), np.int16) + 150)
    tab = gradient_table(groups, diagnostics=True, error_models=("scatter",))
    assert tab["n_stars"].tolist() == [55] + [0] * 8
    assert tab["n_rejected"].iloc[0] == 5 and tab["n_age_draws"].iloc[0] == 165
    assert tab["slope_dex_per_kpc"].iloc[1:].isna().all()
    assert tab["age_err_lo_gyr"].iloc[0] == pytest.approx(1.5 + 0.16 * 0.01)
    with pytest.raises(ValueError, match="key_prefix"):
        partition_groups(("chem_1",), sid, age, r, r, r, r, np.zeros((n, 1), np.int16))
