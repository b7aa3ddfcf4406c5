"""The likelihood fit of the gradient-age law (mwdisk.gradients.law, mwdisk.pipelines.gradient_law).

Synthetic populations are drawn here directly: true ages from p(tau), log-normal G functions about a noisy
age on the isochrone grid (truncated at its edges, as the stored G are), [Fe/H] from a linear gradient-age
law with intrinsic scatter and errors, radii with Monte-Carlo errors of 0.1-0.5 kpc.
"""

from __future__ import annotations

import numpy as np
import pytest

from mwdisk.gradients import (
    LawOptions,
    LawSpec,
    fit_law,
    gradient_table,
    law_block_sums,
    law_data,
    law_loglike_grad,
    partition_groups,
    sum_blocks,
    trend_table,
)
from mwdisk.isochrones import load_grid

AGES = load_grid("dsep").ages_gyr
R_REF = 8.27


def population(rng, n, *, g1=-0.075, flat=0.003, age_lo=1.0, age_hi=12.0, feh0=0.05, amr=-0.025,
               ref_age=1.0, scatter=0.1, age_err=lambda R: np.full(R.size, 0.15)):
    """Stars of a linear gradient-age law; ``age_err(R)`` is the relative age error at true radius R."""
    tau = rng.uniform(age_lo, age_hi, n)
    R = np.clip(rng.normal(8.8, 1.2 + 0.1 * tau, n), 3.0, 15.0)
    sR = rng.uniform(0.1, 0.5, n)
    e = rng.uniform(0.02, 0.05, n)
    feh = (feh0 + amr * (tau - ref_age) + (g1 + flat * (tau - 1.0)) * (R - R_REF)
           + rng.normal(0, scatter, n) + e * rng.normal(size=n))
    s = age_err(R) * rng.uniform(0.6, 1.4, n)
    tobs = tau * np.exp(s * rng.normal(size=n))
    G = np.exp(-0.5 * ((np.log(AGES)[None, :] - np.log(tobs)[:, None]) / s[:, None]) ** 2)
    G /= G.max(axis=1, keepdims=True)
    return {"G": G, "feh": feh, "feh_err": e, "R": R + sR * rng.normal(size=n), "sR": sR,
            "sid": np.arange(n, dtype=np.int64) + 1000, "mode": AGES[np.argmax(G, axis=1)], "tau": tau}


def pack(d, options, idx=slice(None)):
    data, dropped = law_data(d["G"][idx], d["feh"][idx], d["feh_err"][idx], d["R"][idx], d["sR"][idx],
                             d["sid"][idx], seed=5, n_blocks=options.n_blocks)
    assert dropped == 0
    return data


def fit(d, options, n_parts=1, seed=0):
    spec = LawSpec.build(AGES, options)
    n = d["feh"].size
    parts = [pack(d, options, idx) for idx in np.array_split(np.arange(n), n_parts)]

    def evaluate(theta):
        return sum_blocks([law_block_sums(theta, spec, p, options.n_blocks) for p in parts])

    return fit_law(evaluate, spec, n, seed=seed)


def binned(d, selection="thin_disk"):
    n = d["feh"].size
    key = (selection, "mw14", R_REF, 236.0, "rg")
    groups = partition_groups(key, d["sid"], d["mode"], d["R"], d["sR"], d["feh"], d["feh_err"],
                              np.zeros((n, 1), dtype=np.int64), n_hist=2)
    grads = gradient_table(groups, min_members=50)
    grads = grads[grads.error_model == "scatter"].sort_values("bin_lo_gyr")
    trend = trend_table(grads, min_members=50)
    return grads, trend[trend.error_model == "scatter"].iloc[0]


@pytest.mark.parametrize("radius_model", ["structural", "conditional"])
def test_gradient_matches_finite_differences(rng, radius_model):
    d = population(rng, 400)
    opts = LawOptions(radius_model=radius_model, scatter_degree=2)
    spec = LawSpec.build(AGES, opts)
    data = pack(d, opts)
    theta = spec.initial() + rng.normal(0, 0.05, spec.n_params)
    _, grad = law_loglike_grad(theta, spec, data)
    h = 1e-6
    fd = np.empty(spec.n_params)
    for j in range(spec.n_params):
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        fd[j] = (law_loglike_grad(tp, spec, data)[0] - law_loglike_grad(tm, spec, data)[0]) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-6)


def test_p_is_normalised_and_spline_forms_build():
    opts = LawOptions(gradient_form="spline", feh_form="spline", p_nodes=6)
    spec = LawSpec.build(AGES, opts)
    u = spec.unpack(spec.initial() + 0.3)
    assert u["p"] @ spec.weights == pytest.approx(1.0, abs=1e-14)
    assert spec.names.count("g0") == 1 and sum(n.startswith("g") for n in spec.names) == 6


def test_block_sums_exactly_partition_invariant(rng):
    d = population(rng, 3000)
    opts = LawOptions()
    spec = LawSpec.build(AGES, opts)
    theta = spec.initial() + rng.normal(0, 0.05, spec.n_params)
    perm = rng.permutation(3000)
    whole = law_block_sums(theta, spec, pack(d, opts), opts.n_blocks)
    pieces = [law_block_sums(theta, spec, pack(d, opts, idx), opts.n_blocks)
              for idx in np.array_split(perm, 8)]
    assert (sum_blocks(pieces[::-1]) == whole).all()
    assert all(isinstance(v, int) for v in whole.ravel())


def test_fit_identical_for_1_and_8_partitions(rng):
    d = population(rng, 2000)
    opts = LawOptions(n_bootstrap=3)
    a, b = fit(d, opts, 1), fit(d, opts, 8)
    assert np.array_equal(a.theta, b.theta)
    assert a.derived == b.derived and a.err == b.err and a.err_bootstrap == b.err_bootstrap


def test_thin_disk_law_recovered_where_binning_is_not(rng):
    # giant-like age errors (22 % and more away from the sample's centre): stars leave their bins, and the
    # binned trend is diluted
    d = population(rng, 20_000, age_err=lambda R: 0.22 + 0.04 * np.abs(R - 8.8))
    law = fit(d, LawOptions(n_bootstrap=10))
    g1, flat = law.derived["gradient_at_1gyr_dex_per_kpc"], law.derived["flattening_dex_per_kpc_per_gyr"]
    _, trend = binned(d)
    print(f"law g1 {g1:+.4f} +- {law.err['gradient_at_1gyr_dex_per_kpc']:.4f}, flattening {flat:+.5f} +- "
          f"{law.err['flattening_dex_per_kpc_per_gyr']:.5f} (bootstrap "
          f"{law.err_bootstrap['flattening_dex_per_kpc_per_gyr']:.5f}); binned trend "
          f"{trend.slope_dex_per_kpc_per_gyr:+.5f}")
    assert abs(g1 + 0.075) < 0.005
    assert abs(flat - 0.003) < 0.0008
    assert abs(trend.slope_dex_per_kpc_per_gyr - 0.003) > 0.0003  # the binned trend is biased here ...
    assert abs(flat - 0.003) <= abs(trend.slope_dex_per_kpc_per_gyr - 0.003)  # ... the law is not
    # the Hessian error and the bootstrap over blocks agree within the bootstrap's own scatter (10 draws)
    ratio = law.err_bootstrap["flattening_dex_per_kpc_per_gyr"] / law.err["flattening_dex_per_kpc_per_gyr"]
    assert 0.4 < ratio < 1.8


def test_thick_disk_young_bins_biased_law_is_not(rng):
    # old population, age errors growing with radius: bins younger than the population hold only stars
    # whose ages were underestimated, more of them at large R, and carry a false gradient
    d = population(rng, 12_000, g1=0.02, flat=0.0, age_lo=8.0, age_hi=13.0, feh0=-0.5, amr=-0.06,
                   ref_age=10.0, age_err=lambda R: 0.06 + 0.05 * np.clip(R - 6.0, 0, 6))
    law = fit(d, LawOptions(n_bootstrap=0))
    g = law.derived["gradient_mean_dex_per_kpc"]
    grads, _ = binned(d, "thick_disk")
    young = grads[(grads.bin_hi_gyr <= 8.0) & (grads.n_stars >= 200)]
    print(f"law mean gradient {g:+.4f} +- {law.err['gradient_mean_dex_per_kpc']:.4f}; young bins "
          f"{young[['bin_lo_gyr', 'n_stars', 'slope_dex_per_kpc']].to_numpy().tolist()}")
    assert abs(g - 0.02) < 0.006
    assert len(young) and (np.abs(young.slope_dex_per_kpc - 0.02) > abs(g - 0.02)).all()


def test_options_from_config():
    o = LawOptions.from_config({"p_nodes": 6, "selections": ["thin_disk"], "gtol": 1e-8})
    assert o.p_nodes == 6 and o.selections == ("thin_disk",)
    with pytest.raises(ValueError, match="unknown gradient_law key"):
        LawOptions.from_config({"p_node": 6})
    with pytest.raises(ValueError, match="gradient_form"):
        LawOptions(gradient_form="cubic")


def test_unusable_stars_dropped():
    G = np.array([[0.0, 1.0, 0.5], [0.0, 0.0, 0.0], [np.nan, 1.0, 1.0], [1.0, 0.2, 0.0]])
    data, dropped = law_data(G, [0.0, 0.0, 0.0, np.nan], [0.05] * 4, [8.0] * 4, [0.1] * 4, [1, 2, 3, 4],
                             seed=1, n_blocks=4)
    assert (data.n, dropped) == (1, 3)


def test_local_cluster_matches_in_process(rng):
    distributed = pytest.importorskip("distributed")
    from mwdisk.pipelines.gradient_law import fit_law_partitions

    d = population(rng, 20_000)
    # a short fit (identity, not convergence, is tested): 25 L-BFGS-B steps, one Newton step, 2 replicates
    opts = LawOptions(n_bootstrap=2, min_stars=10, max_iter=25, newton_iter=1)
    spec = LawSpec.build(AGES, opts)
    parts = [{("thin_disk", "rg"): pack(d, opts, idx)} for idx in np.array_split(np.arange(20_000), 3)]
    local = fit_law_partitions(None, parts, ("thin_disk", "rg"), spec, seed=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        futs = client.scatter(parts)
        remote = fit_law_partitions(client, futs, ("thin_disk", "rg"), spec, seed=3)
    assert np.array_equal(local.theta, remote.theta)
    assert local.derived == remote.derived and local.err_bootstrap == remote.err_bootstrap
