"""Validation functions on the committed cuts of the real tables (tests/data/validation, README there)."""

import json

import numpy as np
import pandas as pd
import pytest

from mwdisk.frame import GalacticFrame
from mwdisk.orbits import to_galpy_natural
from mwdisk.validation import (
    load_cluster_tables,
    load_seismic_join,
    miglio_to_cartesian,
    orbit_comparison_table,
    orbits_from_miglio,
    read_bc_bands,
    run_validation,
    select_members,
)
from mwdisk.validation.clusters import angular_separation_deg
from mwdisk.validation.data import BC_TABLE_FILE, find_file
from mwdisk.validation.magnitudes import mg_from_ks
from mwdisk.validation.orbitcheck import MIGLIO_LIKE_FRAME


@pytest.fixture(scope="module")
def fx(test_data):
    return test_data / "validation"


@pytest.fixture(scope="module")
def join(fx):
    return load_seismic_join(fx)


def test_join_layout(join):
    assert len(join) == 47
    assert set(join["evstate"]) == {"RGB", "RC"}
    for c in ("teff_k", "logg_seis", "feh", "afe", "age_seis_gyr", "ks_mag", "dist_kpc", "zmax_kpc_miglio"):
        assert np.isfinite(join[c]).all(), c


def test_missing_folder_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="kepler_apogee_miglio2021"):
        load_seismic_join(tmp_path)


def test_mg_from_ks_matches_hand_computation(fx, join):
    bc = read_bc_bands(find_file(fx, BC_TABLE_FILE))
    r = join.iloc[0]
    mg, err = mg_from_ks(bc, r.ks_mag, r.dist_kpc, r.dist_lo_kpc, r.dist_hi_kpc, r.av_mag, r.av_lo_mag,
                         r.av_hi_mag, r.teff_k, r.teff_err_k, r.logg_seis, r.feh)
    av = max(r.av_mag, 0.0)
    hand = (r.ks_mag - 5 * np.log10(r.dist_kpc * 100) + bc.bc("2MASS_Ks", r.teff_k, r.logg_seis, r.feh, av)
            - bc.bc("Gaia_G_EDR3", r.teff_k, r.logg_seis, r.feh, 0.0))
    assert float(mg) == pytest.approx(float(hand), abs=1e-9)
    # red giants: M_G between -1.5 and +2.5, errors of a few hundredths to tenths
    mg, err = mg_from_ks(bc, join.ks_mag, join.dist_kpc, join.dist_lo_kpc, join.dist_hi_kpc, join.av_mag,
                         join.av_lo_mag, join.av_hi_mag, join.teff_k, join.teff_err_k, join.logg_seis,
                         join.feh)
    assert np.all((mg > -1.5) & (mg < 2.5))
    assert np.all((err > 0.02) & (err < 0.3))


def test_miglio_to_cartesian_is_galpy_convention(rng):
    R, phi, z = rng.uniform(6, 10, 50), rng.uniform(-0.5, 0.5, 50), rng.normal(0, 0.5, 50)
    vR, vT, vz = rng.normal(0, 40, 50), rng.normal(220, 30, 50), rng.normal(0, 20, 50)
    f = GalacticFrame()
    back = to_galpy_natural(*miglio_to_cartesian(R, phi, z, vR, vT, vz), f.R0_kpc, f.vcirc_kms)
    np.testing.assert_allclose(back[0] * f.R0_kpc, R, rtol=1e-12)
    np.testing.assert_allclose(back[1] * f.vcirc_kms, vR, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(back[2] * f.vcirc_kms, vT, rtol=1e-12)
    np.testing.assert_allclose(np.angle(np.exp(1j * back[5])), phi, atol=1e-12)


def test_orbits_reproduce_miglio_up_to_length_unit(join):
    """In MWPotential2014 at (8.125 kpc, 220 km/s) our orbits are Miglio's times 8.125/8 for every star."""
    t = orbit_comparison_table(orbits_from_miglio(join, MIGLIO_LIKE_FRAME), join, "x").set_index("quantity")
    for q in ("rperi_kpc", "rapo_kpc"):
        assert t.loc[q, "median_ratio"] == pytest.approx(8.125 / 8.0, abs=2e-4)
        assert t.loc[q, "robust_scatter_ratio"] < 1e-3
    assert t.loc["zmax_kpc", "median_ratio"] == pytest.approx(8.125 / 8.0, abs=3e-3)
    assert t.loc["ecc", "median_ratio"] == pytest.approx(1.0, abs=3e-3)


def test_angular_separation_matches_astropy(rng):
    from astropy.coordinates import SkyCoord

    ra1, de1, ra2, de2 = (rng.uniform(0, 360, 20), rng.uniform(-80, 80, 20), rng.uniform(0, 360, 20),
                          rng.uniform(-80, 80, 20))
    ref = SkyCoord(ra1, de1, unit="deg").separation(SkyCoord(ra2, de2, unit="deg")).deg
    np.testing.assert_allclose(angular_separation_deg(ra1, de1, ra2, de2), ref, atol=1e-9)


def test_cluster_members(fx, join):
    dias = load_cluster_tables(fx)["dias2021"]
    members, cand = select_members(join, dias)
    n = members.groupby("cluster").size()
    assert n["NGC_6791"] == 6 and n["NGC_6819"] == 8
    assert 5024043 not in set(members.kic)  # [Fe/H] -0.16 against 0.09
    assert 5025021 not in set(members.kic)  # 18 % nearer than the cluster
    assert 2437191 not in set(members.kic)  # 1.2 kpc: foreground of NGC 6791


def test_run_validation_on_fixtures(fx, tmp_path):
    s = run_validation(fx, tmp_path)
    out = tmp_path / "validation"
    for f in ("fig4_stats.csv", "fig4_seismic_ages.png", "orbit_stats.csv", "orbits_vs_miglio.png",
              "fig1_clusters.csv", "fig1_clusters.png", "cluster_members.csv", "summary.json",
              "seismic_ages_teff_logg_mg.csv", "seismic_ages_teff_logg.csv"):
        assert (out / f).is_file(), f
    assert json.loads((out / "summary.json").read_text())["n_join"] == 47
    st = {(r["observables"], r["group"]): r for r in s["fig4"]["stats"]}
    rgb, rc = st[("teff_logg_mg", "RGB")], st[("teff_logg_mg", "RC")]
    assert -1.2 < rgb["median_offset_gyr"] < 1.2 and rgb["coverage_68"] > 0.3
    # the default grid has core-helium burning: clump stars are fitted on the clump and classified so
    assert abs(rc["median_rel_offset"]) < 0.2
    assert s["isochrones"] == "mist"
    ours = pd.read_csv(out / "seismic_ages_teff_logg_mg.csv")
    assert (ours.loc[ours.evstate == "RC", "p_cheb"] > 0.5).mean() > 0.9
    assert (ours.loc[ours.evstate == "RGB", "p_cheb"] < 0.5).mean() > 0.9
    # the Dartmouth grid stops at the RGB tip: there clump stars come out young
    dsep = run_validation(fx, tmp_path / "dsep", isochrones="dsep")
    st = {(r["observables"], r["group"]): r for r in dsep["fig4"]["stats"]}
    assert st[("teff_logg_mg", "RC")]["median_rel_offset"] < -0.2
    assert "Fig. 3" in s["fig3"]


def test_validate_command_and_report_section(fx, tmp_path):
    """`mwdisk validate --data PATH --out OUT` writes OUT/validation; the report then shows it."""
    from mwdisk.cli import main
    from mwdisk.report import render_report

    assert main(["validate", "--data", str(fx), "--out", str(tmp_path)]) == 0
    html = render_report(tmp_path)
    assert "Fig. 4: our ages against asteroseismic ages" in html
    assert html.count("data:image/png;base64,") >= 3
    assert "mwdisk validate --data PATH" not in html
    assert "mwdisk validate --data PATH" in render_report(tmp_path / "elsewhere")
