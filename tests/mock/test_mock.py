"""Acceptance tests of issue 5 (the built-in mock) at reduced size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mwdisk.frame import GalacticFrame
from mwdisk.mock import observe as obs
from mwdisk.mock.chemistry import injected_gradient
from mwdisk.mock.generate import DEFECTS, MockOptions, generate_partition
from mwdisk.mock.stars import grid_arrays, kroupa_sample, kroupa_segments, place_stars
from mwdisk.rng import STREAM_MOCK, _uniforms, star_keys, uniforms
from mwdisk.schema import CORRELATION_COLUMNS, gaia_covariance, validate_catalog

N_MAIN = 40000
AGE_EDGES = np.arange(1.0, 12.25 + 1e-9, 1.25)


@pytest.fixture(scope="module")
def cat() -> pd.DataFrame:
    opts = MockOptions(with_true_zmax=False, duplicate_fraction=0.05, bad_fraction=0.0)
    return generate_partition(N_MAIN, 11, 0, N_MAIN, opts)


@pytest.fixture(scope="module")
def cat_custom() -> tuple[MockOptions, pd.DataFrame]:
    opts = MockOptions(with_true_zmax=False, thin_gradient=-0.04, thin_flattening=0.006, thick_gradient=-0.03,
                       thick_fraction=0.3, isochrones="parsec", duplicate_fraction=0.0)
    return opts, generate_partition(30000, 12, 0, 30000, opts)


def _slope(x, y):
    xm = x - x.mean()
    b = (xm * (y - y.mean())).sum() / (xm**2).sum()
    res = y - y.mean() - b * xm
    se = np.sqrt((res**2).sum() / (x.size - 2) / (xm**2).sum())
    return b, se


def _check_gradients(df, opts, population, edges, min_stars=200):
    d = df[(df.true_obs_index == 0) & (df.true_population == population) & ~df.true_young_alpha_rich]
    n_bins = 0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        b = d[(d.true_age_gyr >= lo) & (d.true_age_gyr < hi)]
        if len(b) < min_stars:
            continue
        slope, se = _slope(b.true_rg_kpc.to_numpy(), b.true_feh.to_numpy())
        want = float(injected_gradient(b.true_chem_age_gyr.mean(), population, opts))
        tol = max(0.002, 4 * se)
        msg = f"{population} bin [{lo}, {hi}): slope {slope:.4f} vs {want:.4f} +- {tol:.4f}"
        assert abs(slope - want) < tol, msg
        n_bins += 1
    return n_bins


def test_gradient_recovery_defaults(cat):
    opts = MockOptions()
    assert _check_gradients(cat, opts, "thin", AGE_EDGES) == 9
    assert _check_gradients(cat, opts, "thick", np.arange(8.0, 13.01, 1.25), min_stars=100) >= 3


def test_gradient_recovery_custom_injection_and_family(cat_custom):
    opts, df = cat_custom
    assert _check_gradients(df, opts, "thin", AGE_EDGES) == 9
    assert _check_gradients(df, opts, "thick", np.arange(8.0, 13.01, 1.25), min_stars=100) >= 3


def _pull_stats(p):
    p = p[np.isfinite(p)]
    return p.mean(), p.std(), p.size


def test_pulls_are_standard_normal(cat):
    prim = cat[cat.true_obs_index == 0]
    pulls = {
        "ra": (prim.ra_deg - prim.true_ra_deg) * 3.6e6 * np.cos(np.radians(prim.true_dec_deg))
        / prim.ra_error_mas,
        "dec": (prim.dec_deg - prim.true_dec_deg) * 3.6e6 / prim.dec_error_mas,
        "parallax": (prim.parallax_mas - prim.true_parallax_mas) / prim.parallax_error_mas,
        "pmra": (prim.pmra_masyr - prim.true_pmra_masyr) / prim.pmra_error_masyr,
        "pmdec": (prim.pmdec_masyr - prim.true_pmdec_masyr) / prim.pmdec_error_masyr,
        "distance": np.log(prim.dist_med_pc / prim.true_dist_pc) / np.log(prim.dist_hi_pc / prim.dist_med_pc),
    }
    for c, t, e in (("rv_kms", "true_rv_kms", "rv_error_kms"), ("teff_k", "true_teff_k", "teff_err_k"),
                    ("logg", "true_logg", "logg_err"), ("feh", "true_feh", "feh_err"),
                    ("afe", "true_afe", "afe_err"), ("A_G_cat_mag", "true_A_G_mag", "A_G_cat_err_mag")):
        pulls[c] = (cat[c] - cat[t]) / cat[e]
    for name, p in pulls.items():
        m, s, n = _pull_stats(np.asarray(p, float))
        assert n > 0.9 * len(prim)
        assert abs(m) < 0.05 and abs(s - 1) < 0.05, f"{name}: pull mean {m:.3f}, std {s:.3f}"


def test_quoted_spectroscopic_errors_at_high_snr(cat):
    hi = cat[cat.snr_g > 50]
    assert len(hi) > 1000
    for c, want in (("teff_err_k", 22.6), ("logg_err", 0.05), ("feh_err", 0.03), ("afe_err", 0.02)):
        med = hi[c].median()
        assert want <= med < 1.05 * want, f"{c}: median {med} at SNR > 50"


def test_distance_coverage(cat):
    prim = cat[cat.true_obs_index == 0]
    inside = (prim.true_dist_pc >= prim.dist_lo_pc) & (prim.true_dist_pc <= prim.dist_hi_pc)
    assert abs(inside.mean() - 0.68) < 0.02
    assert np.all(prim.dist_lo_pc < prim.dist_med_pc) and np.all(prim.dist_med_pc < prim.dist_hi_pc)


def test_covariances_positive_definite_and_correlated(cat):
    cov = gaia_covariance(cat)
    eig = np.linalg.eigvalsh(cov)
    assert np.all(eig[:, 0] > 0)
    corr = cat[list(CORRELATION_COLUMNS)].to_numpy()
    assert np.all(np.abs(corr) < 1) and np.abs(corr).mean() > 0.05
    # the noise follows the quoted correlation: parallax-pmra pulls correlate as the column says
    prim = cat[cat.true_obs_index == 0]
    a = (prim.parallax_mas - prim.true_parallax_mas) / prim.parallax_error_mas
    b = (prim.pmra_masyr - prim.true_pmra_masyr) / prim.pmra_error_masyr
    assert abs(np.mean(a * b) - prim.parallax_pmra_corr.mean()) < 0.03


def test_schema_ids_and_duplicates(cat):
    validate_catalog(cat, "mock")
    assert cat.obs_id.dtype == np.int64 and cat.source_id.dtype == np.int64
    assert cat.obs_id.is_unique
    counts = cat.groupby("source_id").size()
    assert counts.max() == 2 and counts.index.size == N_MAIN
    frac = (counts == 2).mean()
    assert abs(frac - 0.05) < 4 * np.sqrt(0.05 * 0.95 / N_MAIN)
    rep = cat[cat.true_obs_index == 1]
    first = cat[cat.true_obs_index == 0].set_index("source_id").loc[rep.source_id]
    sep_arcsec = 3600 * np.hypot((rep.ra_deg.to_numpy() - first.ra_deg.to_numpy())
                                 * np.cos(np.radians(rep.dec_deg.to_numpy())),
                                 rep.dec_deg.to_numpy() - first.dec_deg.to_numpy())
    assert np.all(sep_arcsec < 5.0)
    assert np.all(rep.teff_k.to_numpy() != first.teff_k.to_numpy())  # re-observed noise
    assert (cat.true_defect == "none").all()


def test_truth_is_consistent(cat):
    d = cat[cat.true_obs_index == 0]
    assert np.allclose(d.true_Lz_kpckms, d.true_R_kpc * d.true_vphi_kms)
    assert (d.true_vphi_kms < 0).mean() > 0.99  # disk stars rotate with v_phi < 0
    assert d.true_dec_deg.between(-10, 60).all() and d.true_g_mag.between(9, 17).all()
    assert (d.true_dist_pc < 5000).all() and np.isfinite(d.true_rg_kpc).all()
    assert set(d.true_population.unique()) == {"thin", "thick"}


def test_defects_match_bad_fraction():
    n, f = 6000, 0.2
    opts = MockOptions(with_true_zmax=False, bad_fraction=f, duplicate_fraction=0.1)
    df = generate_partition(n, 3, 0, n, opts)
    validate_catalog(df, "mock with defects")
    bad = df.true_defect != "none"
    assert abs(bad.mean() - f) < 4 * np.sqrt(f * (1 - f) / len(df))
    for kind in DEFECTS:
        assert abs((df.true_defect == kind).mean() - f / 4) < 4 * np.sqrt(f / 4 / len(df))
    assert df.loc[df.true_defect == "nan", "feh"].isna().all()
    assert (df.loc[df.true_defect == "negative_parallax", "parallax_mas"] < 0).all()
    assert df.loc[df.true_defect == "missing_rv", "rv_kms"].isna().all()
    assert (df.loc[df.true_defect == "off_grid", "teff_k"] > 9000).all()
    assert df.loc[~bad, ["feh", "rv_kms", "teff_k"]].notna().all().all()


def test_partitioning_does_not_change_the_catalogue():
    n = 240
    opts = MockOptions(with_true_zmax=True, duplicate_fraction=0.3, bad_fraction=0.2, young_fraction=0.1,
                       young_alpha_rich_fraction=0.2, integration_time_gyr=1.0, integration_steps=1001)
    whole = generate_partition(n, 5, 0, n, opts)
    edges = [0, 17, 100, 101, 240]
    splits = zip(edges[:-1], edges[1:], strict=True)
    parts = pd.concat([generate_partition(n, 5, a, b, opts) for a, b in splits], ignore_index=True)
    pd.testing.assert_frame_equal(whole, parts, check_exact=True)  # bit for bit, a one-star partition too
    assert np.isfinite(whole.true_zmax_kpc).all()
    assert (whole.true_zmax_kpc >= np.abs(whole.true_z_kpc) - 1e-9).all()
    other = generate_partition(n, 6, 0, n, opts)
    assert not np.allclose(whole.true_feh.to_numpy()[:50], other.true_feh.to_numpy()[:50])
    assert (whole.true_age_gyr < 1).any() and whole.true_young_alpha_rich.any()


def test_empty_partition_has_the_columns(cat):
    empty = generate_partition(10, 1, 4, 4, MockOptions(with_true_zmax=False))
    assert len(empty) == 0 and list(empty.columns) == list(cat.columns)


def test_rng_private_generator_matches_public():
    keys = star_keys(3, np.arange(5))
    private = _uniforms(keys, np.uint64(STREAM_MOCK), 1024, 40)
    assert np.array_equal(private, uniforms(keys, STREAM_MOCK, 40, 1024))


def test_galcen_to_icrs_matches_astropy(rng):
    import astropy.coordinates as coord
    import astropy.units as u

    frame = GalacticFrame()
    n = 50
    x, y, z = rng.uniform(-12, -4, n), rng.uniform(-3, 3, n), rng.uniform(-1, 1, n)
    vx, vy, vz = rng.normal(0, 40, n), rng.normal(230, 30, n), rng.normal(0, 20, n)
    ra, dec, d, pmra, pmdec, rv = obs.galcen_to_icrs(x, y, z, vx, vy, vz, frame)
    gc = coord.SkyCoord(x=x * u.kpc, y=y * u.kpc, z=z * u.kpc, v_x=vx * u.km / u.s, v_y=vy * u.km / u.s,
                        v_z=vz * u.km / u.s, frame=frame.to_astropy()).transform_to(coord.ICRS())
    assert np.allclose(ra, gc.ra.deg, atol=1e-9) and np.allclose(dec, gc.dec.deg, atol=1e-9)
    assert np.allclose(d, gc.distance.kpc, rtol=1e-12)
    assert np.allclose(pmra, gc.pm_ra_cosdec.to_value(u.mas / u.yr), atol=1e-9)
    assert np.allclose(pmdec, gc.pm_dec.to_value(u.mas / u.yr), atol=1e-9)
    assert np.allclose(rv, gc.radial_velocity.to_value(u.km / u.s), atol=1e-9)


def test_placement_on_a_grid_node_returns_the_grid_point():
    ages, mh_nodes, idx, start, eep, mass, props, _ = grid_arrays("dsep")
    i = idx[30, 10]
    j = start[i] + 40
    out, status = place_stars(mass[j], ages[10], mh_nodes[30], "dsep")
    assert status[0] == 0
    assert np.allclose(out[0], props[j], rtol=1e-9, atol=1e-9)
    _, st = place_stars([50.0, 0.01], 5.0, 0.0, "dsep")
    assert list(st) == [1, 2]


def test_kroupa_sampling_follows_the_imf(rng):
    seg = kroupa_segments(0.1, 2.0)
    m = np.array([kroupa_sample(u, seg) for u in rng.uniform(size=40000)])
    assert m.min() >= 0.1 and m.max() <= 2.0
    # share above the 0.5 Msun break: analytic from the segment table
    frac = (m > 0.5).mean()
    want = 1 - seg[0, 3]
    assert abs(frac - want) < 4 * np.sqrt(want * (1 - want) / m.size)


def test_dust_grows_along_the_line_of_sight():
    d = np.linspace(0.01, 5, 50)
    n = np.array([0.3, 0.9, 0.1]) / np.linalg.norm([0.3, 0.9, 0.1])
    av = obs.dust_av_array(d * n[0], d * n[1], d * n[2])
    assert np.all(np.diff(av) > 0)
    # in the plane near the Sun: about a_V * d times the clump factor of that direction
    near = obs.dust_av_array(0.01, 0.0, 0.0)
    assert 0.2 * 0.008 < near < 5 * 0.008
