"""The age kernel's speed-ups against plain references: the numba erfcx, the shared end-point form of the
segment integral, and results that do not depend on which other stars share the call or their order."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import erfcx as scipy_erfcx

from mwdisk.ages import g_function
from mwdisk.ages.kernel import _ERFCX_XMAX, _erfcx, _segment_integral, _segment_integral_e
from mwdisk.isochrones import load_grid


def test_erfcx_matches_scipy_from_0_to_1e3(rng):
    x = np.concatenate([
        np.linspace(0.0, _ERFCX_XMAX + 1.0, 20001),  # every table interval, densely, and the switch
        np.arange(0.0, _ERFCX_XMAX + 0.25, 0.25),  # interval edges exactly
        np.nextafter(np.arange(0.25, _ERFCX_XMAX + 0.25, 0.25), 0.0),  # just below each edge
        np.geomspace(1e-12, 1e3, 5001),
        rng.uniform(0.0, 1e3, 5000),
        [0.0, 1e3, 1e8, 1e150],
    ])
    got = np.array([_erfcx(float(v)) for v in x])
    ref = scipy_erfcx(x)
    rel = np.abs(got / ref - 1.0)
    assert rel.max() < 1e-13, (rel.max(), x[np.argmax(rel)])


def _segment_integral_erf(aa, ab, bb, beta):
    """The erf / erfc form of the segment integral (the kernel's previous code path), plain Python."""
    t0 = -ab / bb
    c = max(aa + ab * t0, 0.0)
    rk = math.sqrt(0.5 * bb)
    x0, x1 = -rk * t0, rk * (1.0 - t0)
    if x0 >= 0.0:
        d = math.erfc(x0) - math.erfc(x1)
    elif x1 <= 0.0:
        d = math.erfc(-x1) - math.erfc(-x0)
    else:
        d = math.erf(x1) - math.erf(x0)
    val = (1.0 + beta * (t0 - 0.5)) * 0.5 * math.sqrt(math.pi) / rk * d * math.exp(-0.5 * c)
    return val + beta * (math.exp(-0.5 * aa) - math.exp(-0.5 * (aa + 2.0 * ab + bb))) / bb


def test_shared_endpoint_form_matches_the_erf_form(rng):
    """e0 erfcx(x0) - e1 erfcx(x1) (and the mixed-sign form) against erf / erfc differences, 1e-10 relative,
    over closest points before, inside and after the segment, lengths 1e-2 .. 1e2 errors, chi2 up to 100.

    Both forms get chi2(1) and c from aa, ab, bb, which loses ~1e-16 aa absolute for long segments (aa up to
    ~1e4 here): that, not the closed forms, sets the 1e-10 (the kernel takes chi2 at each point directly)."""
    n = 20000
    bb = 10.0 ** rng.uniform(-4, 4, n)
    t0 = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-3, 1.5, n) + rng.choice([0.0, 0.5, 1.0], n)
    c = rng.uniform(0.0, 100.0, n)
    beta = rng.uniform(-2.0, 2.0, n)
    worst = 0.0
    for k in range(n):
        ab = -t0[k] * bb[k]
        aa = c[k] + t0[k] ** 2 * bb[k]
        chi2_min = c[k] + bb[k] * (min(max(t0[k], 0.0), 1.0) - t0[k]) ** 2
        if chi2_min > 100.0:  # outside the window: never evaluated
            continue
        ref = _segment_integral_erf(aa, ab, bb[k], beta[k])
        e0, e1 = math.exp(-0.5 * aa), math.exp(-0.5 * (aa + 2.0 * ab + bb[k]))
        got = _segment_integral_e(aa, ab, bb[k], beta[k], e0, e1)
        assert got == _segment_integral(aa, ab, bb[k], beta[k])
        if ref > 1e-300:
            worst = max(worst, abs(got / ref - 1.0))
    assert worst < 1e-10, worst


@pytest.fixture(scope="module")
def dsep():
    return load_grid("dsep")


def _stars(grid, n, rng):
    j = rng.integers(0, grid.n_pts - 1, n)
    return dict(
        teff_k=grid.teff_k[j] + rng.normal(0, 80, n), teff_err_k=np.full(n, 80.0),
        logg=grid.logg[j] + rng.normal(0, 0.1, n), logg_err=np.full(n, 0.1),
        mg_mag=grid.g_mag[j] + rng.normal(0, 0.2, n), mg_err_mag=np.full(n, 0.2),
        feh=rng.uniform(-1.0, 0.3, n), feh_err=rng.uniform(0.05, 0.15, n),
        afe=rng.uniform(0.0, 0.3, n), afe_err=np.full(n, 0.05),
    )


@pytest.mark.parametrize("likelihood", ["segment", "closest"])
def test_a_star_gets_bit_identical_results_whatever_batch_or_order(dsep, rng, likelihood):
    """The kernel reorders stars for cache reuse and shares end-point exponentials between segments: neither
    may leak between stars."""
    s = _stars(dsep, 60, rng)
    G, flags, _, _, ph = g_function(dsep, **s, likelihood=likelihood)
    assert (G.max(axis=1) > 0).sum() > 50
    perm = rng.permutation(60)
    Gp, _, _, _, php = g_function(dsep, **{k: v[perm] for k, v in s.items()}, likelihood=likelihood)
    np.testing.assert_array_equal(Gp, G[perm])
    np.testing.assert_array_equal(php, ph[perm])
    for i in (0, 17, 59):
        Gi, _, _, _, phi = g_function(dsep, **{k: v[i:i + 1] for k, v in s.items()}, likelihood=likelihood)
        np.testing.assert_array_equal(Gi[0], G[i])
        np.testing.assert_array_equal(phi[0], ph[i])
