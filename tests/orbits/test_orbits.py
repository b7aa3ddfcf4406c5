"""Tests of mwdisk.potentials and mwdisk.orbits against galpy (issue 8 acceptance numbers)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mwdisk.frame import GalacticFrame
from mwdisk.mock.kinematic import disk_phase_space
from mwdisk.orbits import (
    FLAG_BAD_INPUT,
    FLAG_UNBOUND,
    guiding_radius,
    orbit_parameters,
    to_galpy_natural,
)
from mwdisk.potentials import POTENTIAL_NAMES, _shipped, get_potential, natural_model, potential_for_frame

FRAME = GalacticFrame()


@pytest.fixture(autouse=True)
def _quiet_galpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_shipped_tables_present_and_current():
    assert _shipped() is not None, "run scripts/build_orbit_tables.py"
    for name in POTENTIAL_NAMES:
        assert name in _shipped()[1]


@pytest.mark.parametrize("name", POTENTIAL_NAMES)
@pytest.mark.parametrize(("R0", "v0"), [(8.27, 236.0), (8.0, 220.0), (8.34, 240.0)])
def test_vcirc_at_R0_is_v0(name, R0, v0):
    pot = get_potential(name, R0, v0)
    assert abs(float(pot.vcirc_kms_at(R0)) / v0 - 1.0) < 1e-8


def test_native_normalisation_matches_method():
    # METHOD.md section 4: v_c(1) in natural units before rescaling.
    assert natural_model("mw14").vc1_native == pytest.approx(1.0, abs=5e-9)
    assert natural_model("irr13").vc1_native == pytest.approx(0.99997288, abs=5e-9)
    assert natural_model("mcm17").vc1_native == pytest.approx(1.00042447, abs=5e-9)


def test_potential_cached_per_name_R0_v0():
    assert get_potential("mw14", 8.27, 236.0) is potential_for_frame("mw14", FRAME)
    assert get_potential("mw14", 8.0, 220.0).model is get_potential("mw14", 8.27, 236.0).model


def test_unknown_potential_raises():
    with pytest.raises(ValueError, match="mw14"):
        get_potential("mw15", 8.27, 236.0)


def test_to_galpy_natural_matches_galpy_from_sky():
    """Our cartesian -> galpy conversion equals galpy's own from sky coordinates with the same frame."""
    import astropy.coordinates as coord
    import astropy.units as u
    from galpy.orbit import Orbit

    rng = np.random.default_rng(5)
    x, y, z, vx, vy, vz = disk_phase_space(rng, 20)
    gc = coord.SkyCoord(
        coord.CartesianRepresentation(x, y, z, unit=u.kpc,
                                      differentials=coord.CartesianDifferential(vx, vy, vz, unit=u.km / u.s)),
        frame=FRAME.to_astropy(),
    )
    icrs = gc.transform_to(coord.ICRS())
    o = Orbit(icrs, **FRAME.galpy_kwargs())
    ours = to_galpy_natural(x, y, z, vx, vy, vz, FRAME.R0_kpc, FRAME.vcirc_kms)
    theirs = [o.R(use_physical=False), o.vR(use_physical=False), o.vT(use_physical=False),
              o.z(use_physical=False), o.vz(use_physical=False), o.phi()]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    assert np.all(ours[2] > 0)  # disk stars: vT > 0 in galpy, v_phi < 0 here


@pytest.mark.parametrize("name", POTENTIAL_NAMES)
def test_guiding_radius_matches_galpy_rguiding(name, rng):
    from galpy.orbit import Orbit

    pot = get_potential(name, FRAME.R0_kpc, FRAME.vcirc_kms)
    n = 25
    x, y, z, vx, vy, vz = disk_phase_space(rng, n)
    lz = x * vy - y * vx
    assert np.all(lz < 0)
    vxvv = np.stack(to_galpy_natural(x, y, z, vx, vy, vz, pot.R0_kpc, pot.vcirc_kms), axis=1)
    ref = Orbit(vxvv).rguiding(pot=pot.model.galpy_pot, use_physical=False) * pot.R0_kpc
    got = guiding_radius(lz, pot)
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    # a fixed global grid: the same star gets the same R_g in any batch
    np.testing.assert_array_equal(guiding_radius(lz[:3], pot), got[:3])


def test_guiding_radius_edge_cases():
    pot = get_potential("mw14", 8.27, 236.0)
    rg = guiding_radius(np.array([np.nan, 0.0, 1e9, 8.27 * 236.0, -8.27 * 236.0]), pot)
    assert np.isnan(rg[:3]).all()
    np.testing.assert_allclose(rg[3:], 8.27, rtol=1e-9)


def test_delta_table_matches_galpy_estimate(rng):
    from mwdisk.orbits import focal_distance_kpc

    pot = get_potential("mw14", 8.27, 236.0)
    R = rng.uniform(3.0, 16.0, 200)
    z = rng.normal(0.0, 0.5, 200)
    tab = focal_distance_kpc(R, z, pot, "table")
    exact = focal_distance_kpc(R, z, pot, "exact")
    rel = np.abs(tab / exact - 1)
    assert np.median(rel) < 1e-3 and rel.max() < 1e-2


def _rel(a, b):
    return np.abs(a / b - 1.0)


@pytest.mark.parametrize("name", POTENTIAL_NAMES)
def test_staeckel_agrees_with_integration(name, rng):
    pot = potential_for_frame(name, FRAME)
    sample = disk_phase_space(rng, 120)
    fast = orbit_parameters(*sample, pot, FRAME, method="staeckel")
    exact = orbit_parameters(*sample, pot, FRAME, method="integrate")
    assert np.all(fast.flags == 0) and np.all(exact.flags == 0)
    for col in ("zmax_kpc", "rperi_kpc", "rapo_kpc"):
        rel = _rel(getattr(fast, col), getattr(exact, col))
        assert np.median(rel) < 0.01, (name, col, np.median(rel))
        assert np.percentile(rel, 95) < 0.05, (name, col, np.percentile(rel, 95))
    np.testing.assert_allclose(
        exact.ecc, (exact.rapo_kpc - exact.rperi_kpc) / (exact.rapo_kpc + exact.rperi_kpc)
    )


def test_interpolated_mcm17_matches_exact_model(rng):
    """The interpolated McMillan17 used for integration reproduces the exact model."""
    interp = get_potential("mcm17", FRAME.R0_kpc, FRAME.vcirc_kms, interpolate=True)
    exact = get_potential("mcm17", FRAME.R0_kpc, FRAME.vcirc_kms, interpolate=False)
    assert interp.model.interpolated and not exact.model.interpolated
    x, y, z, vx, vy, vz = disk_phase_space(rng, 9)
    z[6:], vz[6:] = 0.004, 1.0  # orbits within ~20 pc of the plane: sensitive to the z = 0 boundary
    kw = {"method": "integrate", "integration_time_gyr": 1.0, "n_steps": 1001}
    a = orbit_parameters(x, y, z, vx, vy, vz, interp, FRAME, **kw)
    b = orbit_parameters(x, y, z, vx, vy, vz, exact, FRAME, **kw)
    for col in ("zmax_kpc", "rperi_kpc", "rapo_kpc"):
        rel = _rel(getattr(a, col), getattr(b, col))
        assert np.median(rel) < 1e-3 and rel.max() < 1e-2, (col, rel)


@pytest.mark.parametrize("method", ["staeckel", "integrate"])
def test_circular_orbit(method):
    pot = potential_for_frame("mw14", FRAME)
    v0 = FRAME.vcirc_kms
    res = orbit_parameters(-FRAME.R0_kpc, 0.0, 0.0, 0.0, v0, 0.0, pot, FRAME, method=method)
    assert res.flags[0] == 0
    assert res.zmax_kpc[0] < 1e-6
    np.testing.assert_allclose([res.rperi_kpc[0], res.rapo_kpc[0]], FRAME.R0_kpc, rtol=1e-5)


@pytest.mark.parametrize("method", ["staeckel", "integrate"])
def test_bad_stars_are_flagged_not_raised(method):
    pot = potential_for_frame("mw14", FRAME)
    x = np.array([-8.27, np.nan, 0.0, -8.27, -9.0])
    y = np.array([0.0, 0.0, 0.0, 0.0, 0.5])
    z = np.array([0.0, 0.0, 0.1, 0.0, 0.2])
    vx = np.array([10.0, 0.0, 0.0, 0.0, 20.0])
    vy = np.array([230.0, 230.0, 230.0, 3000.0, 220.0])
    vz = np.array([5.0, 0.0, 0.0, 0.0, 15.0])
    res = orbit_parameters(x, y, z, vx, vy, vz, pot, FRAME, method=method)
    assert list(res.flags) == [0, FLAG_BAD_INPUT, FLAG_BAD_INPUT, FLAG_UNBOUND, 0]
    assert np.isnan(res.zmax_kpc[1:4]).all() and np.isnan(res.ecc[1:4]).all()
    assert np.isfinite(res.zmax_kpc[[0, 4]]).all()


def test_frame_mismatch_and_bad_arguments_raise():
    pot = get_potential("mw14", 8.0, 220.0)
    with pytest.raises(ValueError, match="potential_for_frame"):
        orbit_parameters(-8.0, 0, 0, 0, 220, 0, pot, FRAME)
    pot = potential_for_frame("mw14", FRAME)
    with pytest.raises(ValueError, match="method"):
        orbit_parameters(-8.0, 0, 0, 0, 220, 0, pot, FRAME, method="adiabatic")
    with pytest.raises(ValueError, match="delta"):
        orbit_parameters(-8.0, 0, 0, 0, 220, 0, pot, FRAME, delta=-1.0)
