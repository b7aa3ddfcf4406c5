"""The real sets through the CLI end to end, and the full validation numbers (needs ../shared: skipped
without)."""

import numpy as np
import pandas as pd
import pytest

from mwdisk.cli import main

STAGES = ("ingest", "extinction", "ages", "phasespace", "orbits")
SETS = {
    "montalban95": ("asteroseismic-ages/Montalban2021_X_APOGEE_DR17.fits",
                    "montalban2021_apogee_dr17_columns.yaml", 95),
    "gaia_lamost1838": ("gaia-lamost-dr9-sample/gaia_lamost_larger_velocity_features.csv",
                        "gaia_lamost_dr9_1838_columns.yaml", 1838),
}


@pytest.mark.parametrize("name", list(SETS))
def test_real_set_end_to_end(name, shared_dir, test_data, tmp_path):
    table, cmap, n = SETS[name]
    cat, run = tmp_path / "cat", tmp_path / "run"
    assert main(["ingest", "--table", str(shared_dir / "data/validation" / table), "--columns",
                 str(test_data / "readers" / cmap), "--out", str(cat)]) == 0
    assert main(["run", "--catalog", str(cat), "--out", str(run), "--until", "gradients", "--no-dask"]) == 0
    ids = None
    for s in STAGES:
        df = pd.read_parquet(run / s)
        assert len(df) == n, s
        assert df["source_id"].is_unique, s
        ids = set(df["source_id"]) if ids is None else ids
        assert set(df["source_id"]) == ids, s
    for f in ("gradients.csv", "trends.csv", "cuts.csv", "provenance.json"):
        assert (run / f).is_file(), f
    ages = pd.read_parquet(run / "ages")
    orb = pd.read_parquet(run / "orbits")
    # only stars with a bad input lack an age (one APOGEE row has no [Fe/H]); one LAMOST star is unbound
    assert np.isfinite(ages["age_median_gyr"]).sum() >= n - 1
    assert np.isfinite(orb["zmax_kpc_mw14"]).sum() >= n - 1
    filled = pd.read_parquet(run / "ingest")["filled_flags"].to_numpy()
    from mwdisk.readers import FilledFlag

    assert np.all(filled & FilledFlag.CORRELATIONS)  # neither table has the 10 correlations
    if name == "gaia_lamost1838":
        assert np.all(filled & FilledFlag.AFE) and np.all(filled & FilledFlag.DISTANCE)


@pytest.fixture(scope="module")
def summary(shared_dir, tmp_path_factory):
    from mwdisk.validation import run_validation

    return run_validation(shared_dir / "data", tmp_path_factory.mktemp("val"))


def test_fig4_numbers(summary):
    """Issue 17's acceptance on real stars (APOKASC-3 x Miglio+2021, observables Teff, log g, M_G): RGB median
    fractional offset within 5 %, red clump within 10 %, 68 % coverage 0.60-0.80 (RGB: see the next test)."""
    assert summary["n_join"] == 2396 and summary["n_with_mg"] == 2395
    st = {(r["observables"], r["group"]): r for r in summary["fig4"]["stats"]}
    rgb, rc = st[("teff_logg_mg", "RGB")], st[("teff_logg_mg", "RC")]
    assert rgb["n"] == 1834 and rc["n"] == 562
    assert abs(rgb["median_rel_offset"]) < 0.05
    assert abs(rc["median_rel_offset"]) < 0.10
    assert 0.60 <= rc["coverage_68"] <= 0.80
    assert rgb["coverage_68"] >= 0.60
    assert rgb["robust_rel_scatter"] < 0.15 and rc["robust_rel_scatter"] < 0.10
    # M_G is what makes giant ages: without it the scatter is much larger
    assert st[("teff_logg", "RGB")]["robust_scatter_gyr"] > 2 * rgb["robust_scatter_gyr"]


@pytest.mark.xfail(strict=True, reason="issue 17 not met: RGB intervals hold 89 % of seismic ages (M_G comes "
                   "from Miglio's distances, fitted with the same seismic data as the reference ages)")
def test_fig4_rgb_coverage_within_issue_limits(summary):
    st = {(r["observables"], r["group"]): r for r in summary["fig4"]["stats"]}
    assert st[("teff_logg_mg", "RGB")]["coverage_68"] <= 0.80


def test_orbit_numbers(summary):
    st = {(r["variant"], r["quantity"]): r for r in summary["orbits"]["stats"]}
    like = "miglio_phase_space_mw14_R0_8.125_v0_220"
    for q in ("rperi_kpc", "rapo_kpc", "zmax_kpc"):
        assert st[(like, q)]["median_ratio"] == pytest.approx(8.125 / 8.0, abs=2e-3)
    ours = "miglio_phase_space_our_frame_mw14"
    assert 0.85 < st[(ours, "zmax_kpc")]["median_ratio"] < 0.95  # R0 8.27, v0 236 shrink Z_max by ~9 %
    assert st[("gaia_edr3_montalban_our_frame", "zmax_kpc")]["n"] == 48


def test_cluster_numbers(summary):
    cand = {r["cluster"]: r for r in summary["clusters"]["candidates"]}
    assert not cand["ASCC_108"]["significant"]  # field giants around a 0.2 Gyr cluster
    per = {r["cluster"]: r for r in summary["clusters"]["per_cluster"]}
    assert set(per) == {"NGC_6791", "NGC_6819"}
    assert per["NGC_6791"]["n_members"] == 6 and per["NGC_6819"]["n_members"] == 8
    # issue 17: within 1 Gyr of the members' asteroseismic median age (NGC 6819: 7 of 8 members are clump
    # stars, fitted on the clump)
    assert abs(per["NGC_6819"]["age_ours_median_gyr"] - per["NGC_6819"]["age_seis_median_gyr"]) < 1.0


@pytest.mark.xfail(strict=True, reason="issue 17 not met: NGC 6791 ([Fe/H] +0.4, six RGB members) comes out "
                   "11.8 Gyr on the MIST grid against 7.9 seismic (8.4 on Dartmouth)")
def test_ngc6791_within_1gyr_of_seismic(summary):
    per = {r["cluster"]: r for r in summary["clusters"]["per_cluster"]}
    assert abs(per["NGC_6791"]["age_ours_median_gyr"] - per["NGC_6791"]["age_seis_median_gyr"]) < 1.0
