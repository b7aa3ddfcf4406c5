"""Fixed-EEP interpolation on synthetic cubes (no data needed)."""

from __future__ import annotations

import numpy as np
import pytest

from mwdisk.isochrones.interpolate import (
    NativeCube,
    axis_weights,
    clean_isochrone,
    interpolate_between,
    interpolate_isochrone,
)


def _cube():
    comp = np.array([-1.0, -0.5, 0.0])
    log_age = np.array([9.0, 9.3, 9.6])
    eep = np.arange(10, 30, dtype=float)
    c, a, e = np.meshgrid(comp, log_age, eep, indexing="ij")
    vals = np.stack([0.1 + 0.05 * e + 0.01 * c - 0.02 * a, 3.7 + 0.1 * c - 0.05 * a, 4.5 - 0.01 * e, c + a],
                    -1)
    vals[0, 0, :3] = np.nan  # node (-1.0, 9.0) starts 3 EEPs later
    vals[2, 2, -2:] = np.nan  # node (0.0, 9.6) ends 2 EEPs earlier
    return NativeCube(comp=comp, log_age=log_age, eep=eep, values=vals)


def test_linear_function_is_reproduced_at_fixed_eep():
    cube = _cube()
    iso = interpolate_isochrone(cube, -0.25, 9.45)
    e = iso["eep"]
    np.testing.assert_allclose(iso["mass_init_msun"], 0.1 + 0.05 * e + 0.01 * -0.25 - 0.02 * 9.45)
    np.testing.assert_allclose(iso["logl"], -0.25 + 9.45)
    assert e.min() == 10 and e.max() == 27  # common EEP range of the 4 neighbours: (0,9.6) ends at 27


def test_common_eep_range_only():
    iso = interpolate_isochrone(_cube(), -0.75, 9.15)
    assert iso["eep"].min() == 13 and iso["eep"].max() == 29


def test_exact_node_keeps_its_own_range():
    iso = interpolate_isochrone(_cube(), -1.0, 9.0)
    assert iso["eep"].min() == 13
    iso = interpolate_isochrone(_cube(), -1.0 + 5e-5, 9.0)  # within the snapping tolerance
    assert iso["eep"].min() == 13


def test_no_extrapolation():
    with pytest.raises(ValueError, match="outside the grid range"):
        axis_weights(np.array([0.0, 1.0]), 1.5, "[Fe/H]")
    assert axis_weights(np.array([0.0, 1.0, 2.0]), 1.25) == (1, 2, 0.25)


def test_clean_drops_ties_and_nan():
    iso = {"eep": np.arange(6.0), "mass_init_msun": np.array([0.1, 0.2, 0.2, 0.3, np.nan, 0.25])}
    out = clean_isochrone(iso)
    np.testing.assert_array_equal(out["eep"], [0, 1, 3])


def test_interpolate_between_uses_common_eeps():
    a = {"eep": np.arange(0.0, 10.0), "mass_init_msun": np.linspace(0.1, 1.0, 10), "g_mag": np.zeros(10)}
    b = {"eep": np.arange(2.0, 12.0), "mass_init_msun": np.linspace(0.3, 1.2, 10), "g_mag": np.ones(10)}
    out = interpolate_between(a, b, 0.25)
    np.testing.assert_array_equal(out["eep"], np.arange(2.0, 10.0))
    np.testing.assert_allclose(out["g_mag"], 0.25)
