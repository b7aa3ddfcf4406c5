"""The vectorised ICRS -> Galactocentric transform against astropy's ``Galactocentric`` (the reference)."""

from __future__ import annotations

import astropy.coordinates as coord
import astropy.units as u
import numpy as np
import pytest

from mwdisk.frame import GalacticFrame
from mwdisk.phasespace import (
    PhaseSpaceFlag,
    cartesian_to_cylindrical,
    icrs_to_galactocentric,
    phasespace_summary,
)

RTOL = 1e-9
# absolute floors for components near zero: 1e-9 of the quantity's natural scale
ATOL = {"kpc": 1e-9 * 10.0, "kms": 1e-9 * 300.0, "rad": 1e-9, "kpckms": 1e-9 * 3000.0}


def _astropy(ra, dec, d_kpc, pmra, pmdec, rv, frame):
    c = coord.SkyCoord(ra=ra * u.deg, dec=dec * u.deg, distance=d_kpc * u.kpc,
                       pm_ra_cosdec=pmra * u.mas / u.yr, pm_dec=pmdec * u.mas / u.yr,
                       radial_velocity=rv * u.km / u.s, frame="icrs")
    g = c.transform_to(frame.to_astropy())
    x, y, z = g.cartesian.xyz.to_value(u.kpc)
    vx, vy, vz = g.velocity.d_xyz.to_value(u.km / u.s)
    return x, y, z, vx, vy, vz


def _zero_error_inputs(gaia_rows):
    """Real rows with positive parallax; d = 1/parallax, Gaia RV where present, else 0 km/s (so every row
    exercises the velocity transform), all errors zero."""
    df = gaia_rows[gaia_rows["parallax_mas"] > 0].reset_index(drop=True)
    d_kpc = 1.0 / df["parallax_mas"].to_numpy(float)
    rv = np.nan_to_num(df["rv_kms"].to_numpy(float), nan=0.0)
    return df, d_kpc, rv


OTHER_FRAME = GalacticFrame(R0_kpc=8.122, z_sun_kpc=0.0208, vcirc_kms=229.0, U_kms=11.1, V_kms=12.24,
                            W_kms=7.25)


@pytest.mark.parametrize("frame", [GalacticFrame(), OTHER_FRAME])
def test_transform_matches_astropy(gaia_rows, frame):
    df, d_kpc, rv = _zero_error_inputs(gaia_rows)
    args = (df["ra_deg"].to_numpy(float), df["dec_deg"].to_numpy(float), d_kpc,
            df["pmra_masyr"].to_numpy(float), df["pmdec_masyr"].to_numpy(float), rv)
    ours = icrs_to_galactocentric(*args, frame)
    ref = _astropy(*args, frame)
    for k, (a, b) in enumerate(zip(ours, ref, strict=True)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL["kpc" if k < 3 else "kms"])


def test_one_zero_error_draw_equals_astropy(gaia_rows, frame):
    df, d_kpc, rv = _zero_error_inputs(gaia_rows)
    n = len(df)
    out = phasespace_summary(
        df["source_id"].to_numpy(np.int64), df["ra_deg"].to_numpy(float), df["dec_deg"].to_numpy(float),
        df["pmra_masyr"].to_numpy(float), df["pmdec_masyr"].to_numpy(float), np.zeros((n, 5, 5)),
        d_kpc * 1000.0, d_kpc * 1000.0, d_kpc * 1000.0, rv, np.zeros(n), frame=frame, seed=7, n_draws=1,
    )
    assert np.all(out["ps_flags"] == 0)
    x, y, z, vx, vy, vz = _astropy(df["ra_deg"].to_numpy(float), df["dec_deg"].to_numpy(float), d_kpc,
                                   df["pmra_masyr"].to_numpy(float), df["pmdec_masyr"].to_numpy(float), rv,
                                   frame)
    c = coord.CartesianRepresentation(x * u.kpc, y * u.kpc, z * u.kpc,
                                      differentials=coord.CartesianDifferential(vx, vy, vz, unit=u.km / u.s))
    cyl = c.represent_as(coord.CylindricalRepresentation, coord.CylindricalDifferential)
    R = cyl.rho.to_value(u.kpc)
    phi = cyl.phi.to_value(u.rad)
    vR = cyl.differentials["s"].d_rho.to_value(u.km / u.s)
    vphi = (cyl.differentials["s"].d_phi * cyl.rho).to(u.km / u.s, u.dimensionless_angles()).value
    ref = {"X_kpc": x, "Y_kpc": y, "Z_kpc": z, "R_kpc": R, "vR_kms": vR, "vphi_kms": vphi, "vz_kms": vz,
           "Lz_kpckms": R * vphi}
    for key, val in ref.items():
        unit = key.split("_")[1]
        np.testing.assert_allclose(out[key], val, rtol=RTOL, atol=ATOL[unit], err_msg=key)
        np.testing.assert_array_equal(out[key + "_std"], 0.0)
    dphi = np.angle(np.exp(1j * (out["phi_rad"] - phi)))
    np.testing.assert_allclose(dphi, 0.0, atol=ATOL["rad"])
    np.testing.assert_allclose(out["R_present_kpc"], R, rtol=RTOL, atol=ATOL["kpc"])


def test_frame_convention_disk_rotation_is_negative_vphi(frame):
    """A nearby object at rest relative to the Sun moves with the Sun: vR = -U, vphi = -(vcirc + V) < 0."""
    X, Y, Z, vX, vY, vZ = icrs_to_galactocentric(10.0, 20.0, 0.0, 0.0, 0.0, 0.0, frame)
    R, phi, vR, vphi, Lz = cartesian_to_cylindrical(X, Y, vX, vY)
    np.testing.assert_allclose([X, Y, Z], [-frame.R0_kpc, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose([vR, vphi, vZ], [-frame.U_kms, -(frame.vcirc_kms + frame.V_kms), frame.W_kms],
                               atol=1e-9)
    assert Lz < 0
    assert int(PhaseSpaceFlag.NO_RV) == 1
