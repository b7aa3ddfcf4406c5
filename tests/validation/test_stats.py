import numpy as np
import pytest

from mwdisk.validation.stats import (
    MAD_TO_SIGMA,
    age_comparison_table,
    robust_offset_scatter,
    value_comparison_table,
)


def test_robust_offset_scatter_recovers_gaussian(rng):
    d = rng.normal(0.3, 0.5, 20000)
    d[:200] = 50.0  # outliers barely move it
    med, sc, n = robust_offset_scatter(d)
    assert n == 20000
    assert med == pytest.approx(0.3, abs=0.02)
    assert sc == pytest.approx(0.5, rel=0.03)


def test_robust_offset_scatter_empty():
    med, sc, n = robust_offset_scatter([np.nan])
    assert n == 0 and np.isnan(med) and np.isnan(sc)


def test_age_table_coverage_and_offset(rng):
    n = 4000
    ref = rng.uniform(2, 12, n)
    ours = ref + 0.5 + rng.normal(0, 1.0, n)
    lo, hi = ours - 1.0, ours + 1.0  # honest 68 % intervals: coverage ~0.68
    groups = np.where(np.arange(n) % 2, "RGB", "RC")
    flags = np.where(groups == "RC", 32, 0)
    t = age_comparison_table(ours, lo, hi, ref, groups, flags=flags).set_index("group")
    assert list(t.index) == ["RC", "RGB", "all"]
    assert t.loc["all", "median_offset_gyr"] == pytest.approx(0.5, abs=0.06)
    assert t.loc["all", "robust_scatter_gyr"] == pytest.approx(1.0, rel=0.06)
    # inside iff |0.5 + N(0, 1)| <= 1
    from scipy.stats import norm

    assert t.loc["all", "coverage_68"] == pytest.approx(norm.cdf(0.5) - norm.cdf(-1.5), abs=0.025)
    assert t.loc["RC", "frac_likely_rc"] == 1.0 and t.loc["RGB", "frac_likely_rc"] == 0.0


def test_value_table_ratio():
    t = value_comparison_table({"zmax_kpc": (np.array([1.1, 2.2, 3.3]), np.array([1.0, 2.0, 3.0]))}, "x")
    assert t.loc[0, "median_ratio"] == pytest.approx(1.1)
    assert t.loc[0, "robust_scatter_ratio"] == pytest.approx(0.0, abs=1e-12)
    assert MAD_TO_SIGMA == pytest.approx(1.4826, abs=1e-4)
