"""Injection-recovery on a small synthetic catalogue (the issue's mock test needs mwdisk.mock; this one checks
the chain on its own): true phase space -> Gaia-like noisy observations with real covariances -> 100 draws ->
(mean - true) / std of v_phi and R has a standard deviation of about 1."""

from __future__ import annotations

import numpy as np

from mwdisk.phasespace import icrs_to_galactocentric, phasespace_summary
from mwdisk.schema import gaia_covariance


def test_pulls_of_vphi_and_R_have_unit_spread(gaia_rows, frame, rng):
    n = 3000
    cov_real = gaia_covariance(gaia_rows)
    ok = np.all(np.isfinite(cov_real.reshape(len(cov_real), -1)), axis=1)
    cov_real = cov_real[ok]
    # rescale the real covariances (shape and correlations kept) so that parallax errors are 1-8 % and the
    # proper-motion errors are ~0.05 mas/yr, like the paper's bright LAMOST giants and dwarfs
    cov = cov_real[rng.integers(0, len(cov_real), n)]
    e = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-0.9, 0.9, n)))
    d_true = rng.uniform(0.3, 3.0, n)
    plx_true = 1.0 / d_true
    target = np.column_stack([np.full(n, 0.03), np.full(n, 0.03), plx_true * rng.uniform(0.01, 0.08, n),
                              np.full(n, 0.05), np.full(n, 0.05)])
    s = target / e
    cov = cov * s[:, :, None] * s[:, None, :]
    pm_true = rng.normal(0, 15, (n, 2))
    rv_true = rng.normal(0, 40, n)
    rv_err = rng.uniform(1, 8, n)
    L = np.linalg.cholesky(cov)
    noise = np.einsum("nij,nj->ni", L, rng.normal(size=(n, 5)))
    plx_obs = plx_true + noise[:, 2]
    ra_obs = ra + noise[:, 0] / (3.6e6 * np.cos(np.radians(dec)))
    dec_obs = dec + noise[:, 1] / 3.6e6
    # Bailer-Jones-like percentiles from the observed parallax (high S/N: the posterior is ~1/parallax)
    sp = np.sqrt(cov[:, 2, 2])
    med, lo, hi = 1000.0 / plx_obs, 1000.0 / (plx_obs + sp), 1000.0 / (plx_obs - sp)
    pmra_obs, pmdec_obs = pm_true[:, 0] + noise[:, 3], pm_true[:, 1] + noise[:, 4]
    rv_obs = rv_true + rv_err * rng.normal(size=n)
    out = phasespace_summary(np.arange(n), ra_obs, dec_obs, pmra_obs, pmdec_obs, cov, med, lo, hi, rv_obs,
                             rv_err, frame=frame, seed=4)
    X, Y, _, vX, vY, _ = icrs_to_galactocentric(ra, dec, d_true, pm_true[:, 0], pm_true[:, 1], rv_true, frame)
    R = np.hypot(X, Y)
    vphi = (X * vY - Y * vX) / R
    assert np.all(out["ps_flags"] == 0)
    for name, truth in (("vphi_kms", vphi), ("R_kpc", R)):
        pull = (out[name] - truth) / out[name + "_std"]
        assert 0.9 <= np.std(pull) <= 1.2, (name, np.std(pull))
        assert abs(np.mean(pull)) < 0.1, (name, np.mean(pull))
