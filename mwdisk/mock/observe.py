"""Observing the mock: its own 3-D dust, sky coordinates, LAMOST-like spectra and Gaia-like astrometry.

Every error model is *honest*: the quoted error is the standard deviation of the noise actually added, so that
``(observed - true) / error`` is a standard normal for every observable.

Dust (the mock's own model, deliberately different from the pipeline's analytic fallback in
:mod:`mwdisk.extinction`): ``rho_V(R, z) = a_V exp(-(R - R0) / h_R) sech^2(z / (2 h_z)) C(n)`` with
``a_V = 0.8 mag/kpc`` at the Sun, h_R = 2.5 kpc (about 0.28 R0, Drimmel & Spergel 2001), h_z = 134 pc
(the exponential tail of the sech^2 layer; Drimmel & Spergel 2001) and a lognormal clumpiness factor ``C``
that depends only on the direction ``n`` (so A_V grows monotonically with distance along every sight line):
``C = exp(s F(n) - s^2 / 2)`` with s = 0.4 and F a unit-variance Gaussian random field on the sphere (48 plane
waves of angular scale ~5 deg, fixed: the mock Galaxy has one dust map for every seed). The z-integral is
exact under ``t = tanh(|n_z| s / (2 h_z))``; the remaining smooth radial factor uses 12-point Gauss-Legendre.
z is measured from the Sun's plane (the paper's frame has z_sun = 0). Band extinction
``A_band = A_V * (A_band / A_V)`` with the colour-dependent coefficients of the star's isochrone point (MIST
bolometric corrections, in the grid).

Spectroscopy: SNR in g, r, i from the apparent G and colour (log10 SNR_g = log10 50 - 0.32 (G - 15) - 0.25
(BP - RP - 0.82) + N(0, 0.12); r and i higher for red stars), errors ``e_inf sqrt(1 + (15 / SNR_g)^2)`` with
e_inf = (22.6 K, 0.05, 0.03, 0.02) dex for (Teff, log g, [Fe/H], [alpha/Fe]) (the paper's SNR > 50 values).
RV error ``sqrt(3.5^2 + (100 / SNR_g)^2)`` km/s (LAMOST-like: ~4 km/s at high SNR).

Astrometry: Gaia EDR3 parallax error ``sqrt(40 + 800 x + 30 x^2)`` micro-arcsec with ``x = 10^(0.4 (max(G, 13)
- 15))`` (Gaia EDR3 science performance), times a per-star lognormal factor (0.1 dex: the scanning law);
position and proper-motion errors 0.80, 0.70 (mas per mas) and 1.03, 0.89 (mas/yr per mas) of it.
Correlations: the correlation matrix of ``W W^T + I`` with W a 5 x 3 matrix of N(0, 0.5^2): always positive
definite, typical |rho| ~ 0.2, up to ~0.7. Noise = Cholesky factor times five standard normals.

Distances (Bailer-Jones-like): fractional error ``f = sigma_plx / plx_true``, softened to f_eff = f / sqrt(1 +
(f / 0.35)^2) (the prior takes over at low parallax SNR), ``s = ln(1 + f_eff)``; median ``d exp(-s z)`` with z
the star's standardised parallax noise (a high parallax gives a short distance), 16th / 84th percentiles
``med exp(-+ s)``. The truth lies inside them exactly when |z| < 1 (68.3 %), and ``ln(med / d) / s`` is
N(0, 1).

Catalogue extinction ``A_G_cat_mag = A_G + e N(0, 1)`` with ``e = 0.05 + 0.1 A_G`` mag (a survey estimate).
Photometry: G, BP, RP with small Gaia-like noise (0.3 mmag + 2 mmag 10^(0.4 (G - 17)), three times that in
BP and RP); no error column exists for it in the schema.
"""

from __future__ import annotations

import functools
import logging
import math

import numba
import numpy as np

from mwdisk.frame import K_KMS_PER_MASYR_KPC

__all__ = [
    "DUST_N_WAVES",
    "dust_waves",
    "dust_av",
    "dust_av_array",
    "sun_position_kpc",
    "galcen_to_icrs",
    "snr_model",
    "spectro_errors",
    "rv_error_kms",
    "gaia_errors",
    "gaia_correlations",
    "distance_percentiles",
    "CORR_PAIRS",
]

logger = logging.getLogger(__name__)

DUST_N_WAVES = 48
_DUST_FIELD_SEED = 0x5D057  # fixed: the mock Galaxy has one dust map
_GL_X, _GL_W = np.polynomial.legendre.leggauss(12)
#: Index pairs (i, j) of the 10 Gaia correlation columns, in schema.CORRELATION_COLUMNS order.
CORR_PAIRS = tuple((i, j) for i in range(5) for j in range(i + 1, 5))


@functools.lru_cache(maxsize=8)
def dust_waves(scale_deg: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """(48, 3) wave vectors and (48,) phases of the clumpiness field F (fixed seed; scale ``scale_deg``)."""
    g = np.random.default_rng(_DUST_FIELD_SEED)
    v = g.normal(size=(DUST_N_WAVES, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    kappa = 1.0 / np.radians(scale_deg)
    return np.ascontiguousarray(v * kappa), g.uniform(0, 2 * np.pi, DUST_N_WAVES)


@numba.njit(cache=True)
def dust_av(dx, dy, dz, R0_kpc, av_per_kpc, h_R_kpc, h_z_kpc, clump_sigma, waves, phases, gl_x, gl_w):
    """A_V (mag) to heliocentric offset (dx, dy, dz) kpc (Galactocentric axes) in the mock's dust model."""
    d = math.sqrt(dx * dx + dy * dy + dz * dz)
    if d <= 0.0:
        return 0.0
    nx, ny, nz = dx / d, dy / d, dz / d
    f = 0.0
    for k in range(waves.shape[0]):
        f += math.cos(waves[k, 0] * nx + waves[k, 1] * ny + waves[k, 2] * nz + phases[k])
    f *= math.sqrt(2.0 / waves.shape[0])
    clump = math.exp(clump_sigma * f - 0.5 * clump_sigma * clump_sigma)
    a = abs(nz) / (2.0 * h_z_kpc)
    total = 0.0
    if a * d < 1e-8:
        for q in range(gl_x.shape[0]):
            s = 0.5 * d * (gl_x[q] + 1.0)
            R = math.hypot(-R0_kpc + s * nx, s * ny)
            total += gl_w[q] * math.exp(-(R - R0_kpc) / h_R_kpc)
        total *= 0.5 * d
    else:
        T = math.tanh(min(a * d, 18.0))
        for q in range(gl_x.shape[0]):
            t = 0.5 * T * (gl_x[q] + 1.0)
            s = math.atanh(t) / a
            R = math.hypot(-R0_kpc + s * nx, s * ny)
            total += gl_w[q] * math.exp(-(R - R0_kpc) / h_R_kpc)
        total *= 0.5 * T / a
    return av_per_kpc * clump * total


def dust_av_array(dx, dy, dz, R0_kpc=8.27, av_per_kpc=0.8, h_R_kpc=2.5, h_z_kpc=0.134, clump_sigma=0.4,
                  clump_scale_deg=5.0):
    """Vectorised :func:`dust_av` (numpy arrays in, A_V array out)."""
    waves, phases = dust_waves(float(clump_scale_deg))
    dx, dy, dz = np.broadcast_arrays(*(np.asarray(a, float) for a in (dx, dy, dz)))
    out = np.empty(dx.size)
    for i, (a, b, c) in enumerate(zip(dx.ravel(), dy.ravel(), dz.ravel(), strict=True)):
        out[i] = dust_av(a, b, c, R0_kpc, av_per_kpc, h_R_kpc, h_z_kpc, clump_sigma, waves, phases,
                         _GL_X, _GL_W)
    return out.reshape(dx.shape)


@functools.lru_cache(maxsize=16)
def sun_position_kpc(frame) -> np.ndarray:
    """The Sun's Galactocentric (X, Y, Z) in kpc as astropy places it for this frame."""
    import astropy.coordinates as coord
    import astropy.units as u

    c = coord.ICRS(coord.CartesianRepresentation(np.zeros((3, 1)) * u.kpc)).transform_to(frame.to_astropy())
    out = c.cartesian.xyz.to_value(u.kpc)[:, 0]
    out.setflags(write=False)
    return out


def galcen_to_icrs(x, y, z, vx, vy, vz, frame):
    """Galactocentric phase space (kpc, km/s) -> (ra_deg, dec_deg, dist_kpc, pmra_masyr, pmdec_masyr, rv_kms).

    Inverse of astropy's ``Galactocentric`` transform for the frame (rotation from
    :meth:`GalacticFrame.icrs_to_galcen_matrix`, the Sun's position and velocity subtracted).
    """
    m = frame.icrs_to_galcen_matrix()
    sun = sun_position_kpc(frame)
    pos = np.stack([x - sun[0], y - sun[1], z - sun[2]])
    vsun = np.asarray(frame.v_sun_kms)
    vel = np.stack([vx - vsun[0], vy - vsun[1], vz - vsun[2]])
    # m.T @ pos written out: a matrix product sums in an order that can depend on the number of stars (a
    # single star took another path and differed in the last bit), and a star must not depend on its batch
    p = np.stack([m[0, i] * pos[0] + m[1, i] * pos[1] + m[2, i] * pos[2] for i in range(3)])
    v = np.stack([m[0, i] * vel[0] + m[1, i] * vel[1] + m[2, i] * vel[2] for i in range(3)])
    d = np.sqrt((p**2).sum(axis=0))
    ra = np.arctan2(p[1], p[0])
    dec = np.arcsin(np.clip(p[2] / d, -1, 1))
    ca, sa, cd, sd = np.cos(ra), np.sin(ra), np.cos(dec), np.sin(dec)
    rv = (p * v).sum(axis=0) / d
    v_ra = -sa * v[0] + ca * v[1]
    v_dec = -sd * ca * v[0] - sd * sa * v[1] + cd * v[2]
    k = K_KMS_PER_MASYR_KPC
    return np.mod(np.degrees(ra), 360.0), np.degrees(dec), d, v_ra / (k * d), v_dec / (k * d), rv


def snr_model(g_mag, bp_rp, z, opts):
    """LAMOST-like (snr_g, snr_r, snr_i) from apparent G, colour and a standard normal ``z`` (module doc)."""
    base = (np.log10(opts.snr_at_ref) - opts.snr_slope_dex_per_mag * (g_mag - opts.snr_ref_g_mag)
            + opts.snr_scatter_dex * z)
    c = bp_rp - 0.82
    out = []
    for off, col in ((0.0, -0.25), (0.12, 0.05), (0.10, 0.15)):
        out.append(np.minimum(10.0 ** (base + off + col * c), opts.snr_max))
    return tuple(out)


def spectro_errors(snr_g, opts):
    """(teff_err_k, logg_err, feh_err, afe_err) from SNR_g: ``e_inf sqrt(1 + (snr_scale / SNR)^2)``."""
    fac = np.sqrt(1.0 + (opts.spec_err_snr_scale / snr_g) ** 2)
    return (opts.teff_err_k * fac, opts.logg_err * fac, opts.feh_err * fac, opts.afe_err * fac)


def rv_error_kms(snr_g, opts):
    """LAMOST-like RV error ``sqrt(floor^2 + (coeff / SNR_g)^2)`` in km/s."""
    return np.sqrt(opts.rv_err_floor_kms**2 + (opts.rv_err_snr_coeff_kms / snr_g) ** 2)


def gaia_errors(g_mag, z_scatter, scatter_dex=0.1):
    """Gaia EDR3-like (ra*, dec, parallax, pmra, pmdec) errors in mas and mas/yr, shape (n, 5)."""
    x = 10.0 ** (0.4 * (np.maximum(g_mag, 13.0) - 15.0))
    plx = 1e-3 * np.sqrt(40.0 + 800.0 * x + 30.0 * x * x) * 10.0 ** (scatter_dex * z_scatter)
    return plx[:, None] * np.array([0.80, 0.70, 1.0, 1.03, 0.89])[None, :]


def gaia_correlations(w_normals, w_scale=0.5):
    """(n, 5, 5) correlation matrices from (n, 15) standard normals: corr(W W^T + I), W = w_scale z."""
    w = w_scale * w_normals.reshape(-1, 5, 3)
    c = w @ np.transpose(w, (0, 2, 1)) + np.eye(5)[None]
    s = 1.0 / np.sqrt(np.einsum("nii->ni", c))
    return c * s[:, :, None] * s[:, None, :]


def distance_percentiles(d_true_pc, plx_err_mas, z, f_cap=0.35):
    """(median, 16th, 84th) Bailer-Jones-like distance percentiles in pc (see module doc)."""
    f = plx_err_mas * d_true_pc / 1000.0
    f_eff = f / np.sqrt(1.0 + (f / f_cap) ** 2)
    s = np.log1p(f_eff)
    med = d_true_pc * np.exp(-s * z)
    return med, med * np.exp(-s), med * np.exp(s)
