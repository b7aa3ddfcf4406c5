"""Tests of the shipped isochrone grids (run everywhere, no ../shared needed)."""

from __future__ import annotations

import numpy as np
import pytest

from mwdisk.isochrones import IsochroneGrid, load_grid, salaris_mh
from mwdisk.isochrones.composition import default_ages_gyr, default_mh_nodes, paper_feh_afe_nodes
from mwdisk.isochrones.grid import POINT_COLUMNS, shipped_grid_path
from mwdisk.isochrones.info import grid_info

FAMILIES = ("dsep", "parsec")


def _iso_at(grid: IsochroneGrid, age_gyr: float, mh: float) -> dict:
    i = np.flatnonzero(np.isclose(grid.iso_age_gyr, age_gyr) & np.isclose(grid.iso_mh, mh))
    assert i.size == 1
    return grid.isochrone(int(i[0]))


def _turnoff_g(iso: dict) -> float:
    """M_G of the turn-off: the hottest point that is still a dwarf (log g > 3.8)."""
    k = np.argmax(np.where(iso["logg"] > 3.8, iso["teff_k"], 0.0))
    return float(iso["g_mag"][k])


@pytest.mark.parametrize("family", FAMILIES)
def test_layout_and_axes(family):
    g = load_grid(family)
    assert g.family == family and g.comp_axis == "mh"
    np.testing.assert_allclose(g.ages_gyr, default_ages_gyr())
    assert g.ages_gyr.size == 36 and g.ages_gyr[0] == 1.0 and g.ages_gyr[-1] == 14.5
    np.testing.assert_allclose(np.unique(g.iso_mh), default_mh_nodes())
    assert g.comp_nodes.size == 51
    assert g.n_iso == 51 * 36
    # composition-major, then age ascending
    order = np.lexsort((g.iso_age_idx, g.iso_mh))
    np.testing.assert_array_equal(order, np.arange(g.n_iso))
    np.testing.assert_array_equal(g.iso_feh, g.iso_mh)
    assert np.all(g.iso_afe == 0)
    np.testing.assert_allclose(g.comp_step, 0.05)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_isochrone_eep_ordered_mass_monotonic_no_nan(family):
    g = load_grid(family)
    for name in POINT_COLUMNS:
        assert np.all(np.isfinite(getattr(g, name))), name
    inner = np.ones(g.n_pts - 1, bool)
    inner[g.iso_start[1:-1] - 1] = False  # differences across isochrone boundaries
    assert np.all(np.diff(g.eep)[inner] > 0)
    assert np.all(np.diff(g.mass_init_msun)[inner] > 0)
    assert np.diff(g.iso_start).min() >= 100
    # physical ranges
    assert 2000 < g.teff_k.min() and g.teff_k.max() < 15000
    assert -1 < g.logg.min() and g.logg.max() < 6
    assert 0.08 < g.mass_init_msun.min() and g.mass_init_msun.max() < 3
    assert np.all((g.ag_per_av > 0.5) & (g.ag_per_av < 1.0))
    assert np.all(g.abp_per_av > g.arp_per_av)
    np.testing.assert_allclose(g.mbol_mag, 4.74 - 2.5 * g.logl, atol=2e-4)


@pytest.mark.parametrize("family", FAMILIES)
def test_bounding_boxes_and_slices(family):
    g = load_grid(family)
    i = 777
    iso = g.isochrone(i)
    assert g.iso_teff_k_min[i] == iso["teff_k"].min() and g.iso_teff_k_max[i] == iso["teff_k"].max()
    assert g.iso_logg_min[i] == iso["logg"].min() and g.iso_g_mag_max[i] == iso["g_mag"].max()
    s = g.iso_slice(-0.12, 0.02)
    np.testing.assert_allclose(np.unique(g.iso_mh[s]), [-0.1, -0.05, 0.0], atol=1e-9)
    assert s.stop - s.start == 3 * 36
    with pytest.raises(ValueError, match="read-only"):
        g.teff_k[0] = 1.0


def test_sanity_sun_dsep():
    """Acceptance: 4.5 Gyr, [Fe/H]=0, point nearest Teff 5772 K: M_G in 4.5..4.9, BP-RP in 0.75..0.90."""
    iso = _iso_at(load_grid("dsep"), 4.5, 0.0)
    k = np.argmin(np.abs(iso["teff_k"] - 5772.0))
    assert abs(iso["teff_k"][k] - 5772.0) < 30
    assert 4.5 <= iso["g_mag"][k] <= 4.9
    assert 0.75 <= iso["bp_mag"][k] - iso["rp_mag"][k] <= 0.90
    assert 4.3 < iso["logg"][k] < 4.6


def test_parsec_dsep_turnoff_agree():
    """Acceptance: PARSEC and DSEP turn-off M_G within 0.15 mag at the node (4.5 Gyr, [M/H]=0)."""
    d = _turnoff_g(_iso_at(load_grid("dsep"), 4.5, 0.0))
    p = _turnoff_g(_iso_at(load_grid("parsec"), 4.5, 0.0))
    assert abs(d - p) < 0.15


def test_feh_afe_axis():
    g = load_grid("dsep", "feh_afe")
    assert g.comp_axis == "feh_afe"
    feh, afe = paper_feh_afe_nodes()
    mh = salaris_mh(feh, afe)
    inside = (mh >= -2.0 - 1e-4) & (mh <= 0.5 + 1e-4)
    assert g.n_iso == inside.sum() * 36
    np.testing.assert_allclose(g.iso_mh, salaris_mh(g.iso_feh, g.iso_afe))
    assert len(g.provenance["comp_axis_feh_afe"]["dropped_nodes_feh_afe_mh"]) == (~inside).sum()
    assert g.iso_afe[g.iso_feh > 0].max() <= 0.2 + 1e-9
    # a node that falls exactly on an [M/H] node reproduces that isochrone
    ref = _iso_at(load_grid("dsep"), 4.5, 0.0)
    i = np.flatnonzero(np.isclose(g.iso_feh, 0.0) & np.isclose(g.iso_afe, 0.0) & np.isclose(g.iso_age_gyr, 4.5))
    np.testing.assert_allclose(g.isochrone(int(i[0]))["g_mag"], ref["g_mag"])
    np.testing.assert_allclose(g.comp_step, 0.1 * 0.2)


def test_salaris():
    assert salaris_mh(0.0, 0.0) == 0.0
    np.testing.assert_allclose(salaris_mh(-1.0, 0.4), -1.0 + np.log10(0.638 * 10**0.4 + 0.362))


@pytest.mark.parametrize("family", FAMILIES)
def test_file_size_and_provenance(family):
    path = shipped_grid_path(family)
    assert path.stat().st_size < 10e6
    prov = load_grid(family).provenance
    assert prov["family"] == family
    assert all(len(v["sha256"]) == 64 for v in prov["inputs"].values())
    assert "fixed EEP" in prov["method"]
    assert "script_commit" in prov and "build_date_utc" in prov


def test_grid_info():
    text = grid_info("dsep")
    assert "36 ages" in text and "isochrones: 1836" in text and "MB" in text and "sha256" in text


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_grid(str(tmp_path / "nope.h5"))
    with pytest.raises(ValueError, match="comp_axis"):
        load_grid("dsep", "alpha")
    bad = tmp_path / "bad.h5"
    import h5py

    with h5py.File(bad, "w") as f:
        f.attrs["format"] = "other"
    with pytest.raises(ValueError, match="not an mwdisk isochrone grid"):
        load_grid(str(bad))
