"""Injection and recovery on the built-in mock: ages, phase space, orbits and gradients against the truth.

Tolerances are the issues' where the reduced size allows; where it does not, they are stated from the fits'
own standard errors (noted at each assertion).
"""

import numpy as np
import pandas as pd

from mwdisk.ages import AgeFlag
from mwdisk.phasespace import PhaseSpaceFlag


def _robust_std(x):
    x = np.asarray(x)
    return 1.4826 * np.median(np.abs(x - np.median(x)))


def test_ages_recover_truth(mock_run):
    s = mock_run["stars"]
    ing = mock_run["ingest"].set_index("source_id")
    snr = ing.loc[s["source_id"], ["snr_g", "snr_r", "snr_i"]].min(axis=1).to_numpy() > 50
    good = snr & (s["age_err_frac"] < 0.25).to_numpy()
    rel = ((s["age_mode_gyr"] - s["true_age_gyr"]) / s["true_age_gyr"])[good]
    inside = ((s["true_age_gyr"] >= s["age_lo_gyr"]) & (s["true_age_gyr"] <= s["age_hi_gyr"]))[good]
    assert good.sum() > 3000
    assert abs(np.median(rel)) < 0.03, np.median(rel)  # issue 6: median within +-3 %
    assert 0.60 <= inside.mean() <= 0.76, inside.mean()  # issue 6: 68 % intervals hold 60-76 %
    teff, logg = ing.loc[s["source_id"], "teff_k"].to_numpy(), ing.loc[s["source_id"], "logg"].to_numpy()
    hq = good & (s["age_err_frac"] < 0.10).to_numpy() & ((teff > 5750) | ((logg < 4) & (teff > 5250)))
    relhq = ((s["age_mode_gyr"] - s["true_age_gyr"]) / s["true_age_gyr"])[hq]
    assert hq.sum() > 500
    assert _robust_std(relhq) < 0.12, _robust_std(relhq)  # issue 6: HQ robust scatter below 12 %


def test_age_flags_mark_bad_stars(mock_run):
    s = mock_run["stars"]
    flags = s["age_flags"].to_numpy()
    nan_age = ~np.isfinite(s["age_mode_gyr"].to_numpy())
    # every star without an age says why
    assert np.all(flags[nan_age] & int(AgeFlag.NO_ISOCHRONE | AgeFlag.BAD_INPUT))


def test_phasespace_pulls(mock_run):
    s = mock_run["stars"]
    bad = int(PhaseSpaceFlag.NO_RV | PhaseSpaceFlag.BAD_ASTROMETRY | PhaseSpaceFlag.BAD_DISTANCE)
    ok = (s["ps_flags"].to_numpy() & bad) == 0
    s = s[ok]
    for col, true in (("vphi_kms", "true_vphi_kms"), ("R_kpc", "true_R_kpc")):
        pull = (s[col] - s[true]) / s[f"{col}_std"]
        pull = pull[np.isfinite(pull)]
        # issue 7: the standard deviation of (mean - true) / std lies in 0.9-1.2 (and its robust version too)
        assert 0.9 <= pull.std() <= 1.2, (col, pull.std())
        assert 0.9 <= _robust_std(pull) <= 1.2, (col, _robust_std(pull))
        assert abs(np.median(pull)) < 0.1, (col, np.median(pull))


def test_guiding_radius_recovered(mock_run):
    s = mock_run["stars"]
    ok = np.isfinite(s["rg_kpc_mw14"]) & (s["rg_kpc_std_mw14"] > 0)
    s = s[ok]
    pull = (s["rg_kpc_mw14"] - s["true_rg_kpc"]) / s["rg_kpc_std_mw14"]
    assert abs(np.median(pull)) < 0.15
    assert 0.8 <= _robust_std(pull) <= 1.25


def _row(df, sel, bin_lo, model="scatter"):
    r = df[(df.selection == sel) & (df.radius == "rg") & (df.error_model == model) & (df.potential == "mw14")
           & np.isclose(df.bin_lo_gyr, bin_lo)]
    assert len(r) == 1
    return r.iloc[0]


def test_thin_disk_gradient_and_trend(mock_run):
    cfg = mock_run["cfg"]["mock"]
    g, t = mock_run["gradients"], mock_run["trends"]
    s = mock_run["stars"]
    young = _row(g, "thin_disk", 1.0)
    # injected value at the youngest bin's mean true age of its members
    members = s[(s["age_mode_gyr"] >= 1.0) & (s["age_mode_gyr"] < 2.25)]
    tau = members["true_age_gyr"].mean()
    injected = cfg["thin_gradient"] + cfg["thin_flattening"] * (tau - 1.0)
    # issue 9 asks 0.010 dex/kpc at >= 300,000 stars; here ~10x fewer stars: 4 standard errors of the fit
    # (about 0.02) is the honest bound at this size.
    assert abs(young.slope_dex_per_kpc - injected) < max(0.010, 4 * young.slope_err_dex_per_kpc), young
    tr = t[(t.selection == "thin_disk") & (t.radius == "rg") & (t.error_model == "scatter")].iloc[0]
    # issue 9: 0.0015 dex/kpc/Gyr at full size; here 4 standard errors of the trend fit
    assert abs(tr.slope_dex_per_kpc_per_gyr - cfg["thin_flattening"]) < max(
        0.0015, 4 * tr.slope_err_dex_per_kpc_per_gyr), tr


def test_both_error_models_and_radii_are_written(mock_run):
    g = mock_run["gradients"]
    assert set(g.error_model) == {"scatter", "naive"}
    assert set(g.radius) == {"rg", "rpresent"}
    assert set(g[g.radius == "rpresent"].potential) == {"none"}
    for sel in ("thin_disk", "thick_disk", "zmax_1", "zmax_4", "chem_1", "chem_4", "high_quality",
                "thin_disk_noedge"):
        assert sel in set(g.selection)
    cuts = __import__("pandas").read_csv(mock_run["out"] / "cuts.csv").set_index("step")["n_stars"]
    assert cuts["ingested"] >= cuts["snr"] >= cuts["age_err"] >= cuts["high_quality_all"] > 0


def test_gradients_match_the_slope_the_members_truly_follow(mock_run):
    """Every usable bin of every selection: the scatter-aware ODR slope against the members' own truth.

    The members' true [Fe/H] regressed on their true R_g (ordinary least squares) is the gradient the
    selected sample really has, whatever the selection did to it (a bin filled by stars whose ages were
    misestimated can truly follow a slope other than the injected law). Comparing with it isolates the
    pipeline's measurement from sampling and selection. Both share the intrinsic [Fe/H] scatter, so the
    differences are well under the fit's error (rms pull 0.4 at 300,000 stars); 2.5 errors is the bound.
    The paper's naive error model fails this by up to 6 errors in the youngest thin-disk bin.
    """
    out = mock_run["out"]
    stars = pd.read_parquet(out / "selected").merge(
        pd.read_parquet(out / "mock")[["obs_id", "true_rg_kpc", "true_feh"]], on="obs_id",
        validate="one_to_one")
    usable = (np.isfinite(stars.rg_kpc_mw14) & (stars.rg_kpc_std_mw14 > 0) & np.isfinite(stars.feh)
              & (stars.feh_err > 0))
    stars = stars[usable]
    g = mock_run["gradients"]
    rows = g[(g.radius == "rg") & (g.error_model == "scatter") & (g.n_stars >= 50) & (g.potential == "mw14")]
    assert len(rows) > 30 and {"thin_disk", "zmax_1", "chem_1"} <= set(rows.selection)
    pulls = []
    for _, r in rows.iterrows():
        m = stars[stars[f"sel_{r.selection}"] & (stars.age_mode_gyr >= r.bin_lo_gyr)
                  & (stars.age_mode_gyr < r.bin_hi_gyr)]
        assert len(m) == r.n_stars, (r.selection, r.bin_lo_gyr)
        truth = np.polyfit(m.true_rg_kpc, m.true_feh, 1)[0]
        pulls.append((r.slope_dex_per_kpc - truth) / r.slope_err_dex_per_kpc)
    pulls = np.array(pulls)
    assert np.all(np.abs(pulls) < 2.5), pulls
    assert np.sqrt(np.mean(pulls**2)) < 1.0, pulls


def test_report_compares_with_the_members_true_slopes(mock_run):
    from mwdisk.figures import RunData
    from mwdisk.report_checks import _mock

    run = RunData(mock_run["out"])
    truth = run.member_truth_slopes()
    assert truth is not None and truth["members_true_slope_dex_per_kpc"].notna().sum() >= 9
    html = _mock(run, run.injected)
    assert "members&#x27; true slope" in html and "minus_members_true_dex_per_kpc" in html
