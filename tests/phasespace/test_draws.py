"""The correlated Gaia draws, the two-piece distances and the regeneration of draws."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mwdisk.phasespace import (
    DRAW_COLUMNS,
    PhaseSpaceFlag,
    draw_observables,
    phasespace_summary,
    regenerate_draws,
    two_piece_distance,
)
from mwdisk.schema import gaia_covariance

N_BIG = 100_000


def _strongest_correlated_row(gaia_rows):
    """The fixture row (with a usable distance) whose largest |correlation| is largest."""
    from mwdisk.schema import CORRELATION_COLUMNS

    ok = np.isfinite(gaia_rows["dist_med_pc"]) & np.isfinite(gaia_rows["pmra_masyr"])
    corr = gaia_rows.loc[ok, list(CORRELATION_COLUMNS)].abs().max(axis=1)
    return gaia_rows.loc[[corr.idxmax()]].reset_index(drop=True)


@pytest.mark.parametrize("from_parallax", [True, False])
def test_draws_reproduce_gaia_covariance(gaia_rows, args_of, from_parallax):
    row = _strongest_correlated_row(gaia_rows)
    cov = gaia_covariance(row)[0]
    out = draw_observables(*args_of(row), seed=3, n_draws=N_BIG, distance_z_from_parallax=from_parallax)
    assert out["ps_flags"][0] & ~int(PhaseSpaceFlag.DISTANCE_REDRAWN) & ~int(PhaseSpaceFlag.NO_RV) == 0
    d = out["delta"][0]
    emp = np.cov(d, rowvar=False)
    # variances to 2 %
    np.testing.assert_allclose(np.diag(emp), np.diag(cov), rtol=0.02)
    # correlation coefficients to 0.02 (absolute)
    e = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(emp / np.sqrt(np.outer(np.diag(emp), np.diag(emp))), cov / np.outer(e, e),
                               atol=0.02)
    # means at zero (5 sigma of 1e5 draws)
    assert np.all(np.abs(d.mean(axis=0)) < 5 * e / np.sqrt(N_BIG))
    # the distance follows the parallax draw (anti-correlated) by default, and is independent otherwise
    rho = stats.spearmanr(out["dist_kpc"][0], d[:, 2]).statistic
    if from_parallax:
        assert rho < -0.999
    else:
        assert abs(rho) < 0.02


@pytest.mark.parametrize("from_parallax", [True, False])
def test_two_piece_distance_percentiles(gaia_rows, args_of, from_parallax):
    row = gaia_rows[np.isfinite(gaia_rows["distance_gspphot"])].iloc[[0]].reset_index(drop=True)
    lo, med, hi = (float(row[c].iloc[0]) for c in ("dist_lo_pc", "dist_med_pc", "dist_hi_pc"))
    assert hi - med != med - lo  # asymmetric, so the two halves matter
    out = draw_observables(*args_of(row), seed=11, n_draws=N_BIG, distance_z_from_parallax=from_parallax)
    p = np.percentile(out["dist_kpc"][0] * 1000.0, [15.865525393145708, 50.0, 84.1344746068543])
    np.testing.assert_allclose(p, [lo, med, hi], rtol=0.01)


def test_two_piece_formula_is_exact_at_the_percentiles():
    z = stats.norm.ppf([0.15865525393145708, 0.5, 0.8413447460685429])
    np.testing.assert_allclose(two_piece_distance(z, 2.0, 1.5, 3.0), [1.5, 2.0, 3.0], rtol=1e-12)


def test_nonpositive_distances_are_redrawn_and_flagged(gaia_rows, args_of, frame):
    row = gaia_rows[np.isfinite(gaia_rows["dist_med_pc"])].iloc[[0]].reset_index(drop=True).copy()
    row["dist_med_pc"], row["dist_lo_pc"], row["dist_hi_pc"] = 1000.0, 200.0, 1500.0  # P(r <= 0) ~ 5.3 %
    out = draw_observables(*args_of(row), seed=5, n_draws=20_000)
    assert out["ps_flags"][0] & PhaseSpaceFlag.DISTANCE_REDRAWN
    assert np.all(out["dist_kpc"] > 0)
    summ = phasespace_summary(*args_of(row), frame=frame,
                              seed=5, n_draws=100)
    assert np.isfinite(summ["R_kpc"][0])


def test_regenerated_draws_are_the_summarised_draws(gaia_rows, args_of, frame):
    df = gaia_rows.iloc[:60]
    summ = phasespace_summary(*args_of(df), frame=frame, seed=9, n_draws=50, chunk_stars=13)
    draws = regenerate_draws(*args_of(df), frame=frame, seed=9, n_draws=50)
    np.testing.assert_array_equal(draws["ps_flags"], summ["ps_flags"])
    for q in DRAW_COLUMNS:
        assert draws[q].shape == (len(df), 50)
        if q == "phi_rad":
            continue
        np.testing.assert_allclose(np.mean(draws[q], axis=1), summ[q], rtol=1e-12, atol=1e-12, err_msg=q)
        np.testing.assert_allclose(np.std(draws[q], axis=1), summ[q + "_std"], rtol=1e-8, atol=1e-12,
                                   err_msg=q)
    # phi: the mean of the draws' deviations from the summary azimuth, wrapped into (-pi, pi], vanishes
    ok = np.isfinite(summ["phi_rad"])
    dev = np.angle(np.exp(1j * (draws["phi_rad"] - summ["phi_rad"][:, None])))[ok]
    np.testing.assert_allclose(dev.mean(axis=1), 0.0, atol=1e-9)
    np.testing.assert_allclose(dev.std(axis=1), summ["phi_rad_std"][ok], rtol=1e-6, atol=1e-12)
    # the first k draws do not depend on n_draws
    few = regenerate_draws(*args_of(df), frame=frame, seed=9, n_draws=7)
    np.testing.assert_array_equal(few["vphi_kms"], draws["vphi_kms"][:, :7])
    # another seed gives other draws
    other = regenerate_draws(*args_of(df), frame=frame, seed=10, n_draws=7)
    fin = np.isfinite(few["R_kpc"])
    assert np.all(other["R_kpc"][fin] != few["R_kpc"][fin])
