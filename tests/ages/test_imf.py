"""Kroupa (2001) IMF: continuity, analytic cumulative against quadrature, exact narrow-segment weights."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from mwdisk.imf import KROUPA_BREAKS_MSUN, kroupa_cumulative, kroupa_segment_weight, kroupa_xi


def test_xi_continuous_at_breaks_with_right_slopes():
    for m in KROUPA_BREAKS_MSUN:
        assert kroupa_xi(m * (1 - 1e-12)) == pytest.approx(kroupa_xi(m * (1 + 1e-12)), rel=1e-9)
    # local logarithmic slopes -0.3, -1.3, -2.3
    for m, slope in ((0.03, -0.3), (0.2, -1.3), (1.5, -2.3)):
        h = 1e-6
        s = (np.log(kroupa_xi(m * (1 + h))) - np.log(kroupa_xi(m * (1 - h)))) / (np.log1p(h) - np.log1p(-h))
        assert s == pytest.approx(slope, abs=1e-6)


def test_cumulative_matches_quadrature_across_breaks():
    masses = np.array([0.01, 0.05, 0.08, 0.1, 0.3, 0.5, 0.7, 1.0, 2.5, 10.0])
    for m in masses:
        ref = quad(kroupa_xi, 0.0, m, points=[x for x in KROUPA_BREAKS_MSUN if x < m], epsabs=0, epsrel=1e-13,
                   limit=200)[0]
        assert kroupa_cumulative(m) == pytest.approx(ref, rel=1e-10)
    assert kroupa_cumulative(0.0) == 0.0
    assert np.all(np.diff(kroupa_cumulative(np.linspace(0.01, 5, 500))) > 0)
    with pytest.raises(ValueError, match="negative initial mass"):
        kroupa_cumulative(-1.0)


@pytest.mark.parametrize(("m1", "m2"), [(0.05, 0.09), (0.07, 0.6), (0.3, 0.45), (0.45, 2.0), (0.09, 0.51),
                                        (0.6, 1.3)])
def test_segment_weight_piecewise_equals_quadrature(m1, m2):
    ref = quad(kroupa_xi, m1, m2, points=[x for x in KROUPA_BREAKS_MSUN if m1 < x < m2], epsabs=0,
               epsrel=1e-13)[0]
    assert kroupa_segment_weight(m1, m2) == pytest.approx(ref, rel=1e-12)
    assert kroupa_segment_weight(m1, m2) == pytest.approx(kroupa_cumulative(m2) - kroupa_cumulative(m1),
                                                          rel=1e-12)
    assert kroupa_segment_weight(m2, m1) == -kroupa_segment_weight(m1, m2)


def test_segment_weight_keeps_precision_on_giant_branch_widths():
    """Along the RGB initial masses differ by 1e-8 Msun: the weight must still be right to ~1e-12."""
    for m in (0.3, 0.9, 1.2):
        for dm in (1e-8, 1e-6, 1e-4):
            w = kroupa_segment_weight(m, m + dm)
            # midpoint rule error is xi''/24 dm^3: relative ~ dm^2
            mid = kroupa_xi(m + dm / 2) * dm
            assert w == pytest.approx(mid, rel=max(1e-13, dm**2))
    # additivity over a break
    a, b, c = 0.4, 0.5, 0.6
    assert kroupa_segment_weight(a, b) + kroupa_segment_weight(b, c) == pytest.approx(
        kroupa_segment_weight(a, c), rel=1e-14)
    with pytest.raises(ValueError, match="must be > 0"):
        kroupa_segment_weight(0.0, 1.0)
