"""Tests of the shipped isochrone grids and their phase column (run everywhere, no ../shared needed)."""

from __future__ import annotations

import numpy as np
import pytest

from mwdisk.imf import kroupa_segment_weight
from mwdisk.isochrones import IsochroneGrid, load_grid, salaris_mh
from mwdisk.isochrones import phases as ph
from mwdisk.isochrones.composition import default_ages_gyr, default_mh_nodes, paper_feh_afe_nodes
from mwdisk.isochrones.grid import ISO_COLUMNS, POINT_COLUMNS, read_grid_h5, shipped_grid_path, write_grid_h5
from mwdisk.isochrones.info import grid_info

FAMILIES = ("dsep", "parsec", "mist")
#: Phases each shipped family carries.
FAMILY_PHASES = {
    "dsep": {ph.MS, ph.SUBGIANT, ph.RGB},
    "parsec": {ph.MS, ph.SUBGIANT, ph.RGB, ph.CHEB},
    "mist": {ph.MS, ph.SUBGIANT, ph.RGB, ph.CHEB, ph.AGB},
}


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
    assert 0.08 < g.mass_init_msun.min() and g.mass_init_msun.max() < 2.6
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
    i = np.flatnonzero(np.isclose(g.iso_feh, 0.0) & np.isclose(g.iso_afe, 0.0) & np.isclose(g.iso_age_gyr,
                                                                                            4.5))
    np.testing.assert_allclose(g.isochrone(int(i[0]))["g_mag"], ref["g_mag"])
    np.testing.assert_allclose(g.comp_step, 0.1 * 0.2)


def test_salaris():
    assert salaris_mh(0.0, 0.0) == 0.0
    np.testing.assert_allclose(salaris_mh(-1.0, 0.4), -1.0 + np.log10(0.638 * 10**0.4 + 0.362))


@pytest.mark.parametrize("family", FAMILIES)
def test_file_size_and_provenance(family):
    path = shipped_grid_path(family)
    assert path.stat().st_size < 15e6
    prov = load_grid(family).provenance
    assert prov["family"] == family
    assert all(len(v["sha256"]) == 64 for v in prov["inputs"].values())
    assert "fixed EEP" in prov["method"]
    assert "script_commit" in prov and "build_date_utc" in prov


def test_grid_info():
    text = grid_info("dsep")
    assert "36 ages" in text and "isochrones: 1836" in text and "MB" in text and "sha256" in text
    assert "phases (points): ms " in text and "cheb" not in text.split("phases (points):")[1].split("\n")[0]
    text = grid_info("mist")
    assert "grid: mist" in text and "cheb" in text.split("phases (points):")[1].split("\n")[0]


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


# ---------------------------------------------------------------- phases


def test_phase_codes_api():
    assert [ph.phase_code(n) for n in ("ms", "subgiant", "rgb", "cheb", "agb", "unknown")] == [0, 1, 2, 3, 4,
                                                                                               -1]
    assert ph.phase_name(3) == "cheb" and ph.PHASE_NAMES[ph.AGB] == "agb"
    with pytest.raises(ValueError, match="unknown phase name"):
        ph.phase_code("clump")
    with pytest.raises(ValueError, match="unknown phase code"):
        ph.phase_name(7)


def test_tip_limited_phases_toy():
    """Turn-off = hottest point with log g > 3.4; rgb from the first post-TO point below log g 3.6 on."""
    logg = np.array([5.0, 4.5, 4.2, 4.0, 3.8, 3.62, 3.55, 3.61, 3.0, 1.0])
    teff = np.array([3500, 5000, 6000, 6200, 5900, 5200, 5000, 4990, 4700, 4000.0])
    out = ph.tip_limited_phases(logg, teff, np.array([0, 10]))
    np.testing.assert_array_equal(out, [0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    assert out.dtype == np.int8
    assert np.all(ph.derive_phases("other", None, logg, teff, np.array([0, 10])) == ph.UNKNOWN)


@pytest.mark.parametrize("family", FAMILIES)
def test_phase_column(family):
    g = load_grid(family)
    assert g.phase.dtype == np.int8 and g.phase.shape == (g.n_pts,)
    assert set(np.unique(g.phase).tolist()) == FAMILY_PHASES[family]
    inner = np.ones(g.n_pts - 1, bool)
    inner[g.iso_start[1:-1] - 1] = False
    assert np.all(np.diff(g.phase.astype(int))[inner] >= 0)  # ms -> subgiant -> rgb -> cheb -> agb
    first = g.phase[g.iso_start[:-1]]
    assert np.all(first == ph.MS)
    # the stored phases are what the documented rule gives on the stored values
    np.testing.assert_array_equal(g.phase, ph.derive_phases(family, g.eep, g.logg, g.teff_k, g.iso_start))
    # rgb below log g 3.6 only after the first such point; subgiants above it
    assert g.logg[g.phase == ph.SUBGIANT].min() >= ph.LOGG_SUBGIANT_RGB
    with pytest.raises(ValueError, match="read-only"):
        g.phase[0] = 1


def _small_grid(family: str, n_iso: int = 6) -> IsochroneGrid:
    g = load_grid(family)
    sel = np.arange(0, g.n_iso, g.n_iso // n_iso)[:n_iso]
    pts = np.concatenate([np.arange(g.iso_start[i], g.iso_start[i + 1]) for i in sel])
    return IsochroneGrid(
        family=g.family, comp_axis=g.comp_axis, ages_gyr=g.ages_gyr, provenance=g.provenance,
        iso_start=np.concatenate([[0], np.cumsum(np.diff(g.iso_start)[sel])]),
        phase=g.phase[pts],
        **{c: getattr(g, c)[sel] for c in ISO_COLUMNS},
        **{c: getattr(g, c)[pts] for c in POINT_COLUMNS},
    )


@pytest.mark.parametrize("family", ["dsep", "mist"])
def test_phase_round_trip_and_old_files(tmp_path, family):
    """Phase codes and masses round-trip exactly; a file without the phase column (the format before it)
    loads with phases derived by the same rule; a mis-ordered phase column is refused."""
    import h5py

    small = _small_grid(family)
    quanta = small.provenance["storage_quanta"]
    path = write_grid_h5(small, tmp_path / "g.h5", quanta=quanta)
    back = read_grid_h5(path)
    np.testing.assert_array_equal(back.phase, small.phase)
    assert back.phase.dtype == np.int8
    for c in POINT_COLUMNS:
        np.testing.assert_array_equal(getattr(back, c), getattr(small, c), err_msg=c)
    if family == "mist":
        assert set(np.unique(back.phase).tolist()) >= {ph.CHEB, ph.AGB}
        with h5py.File(path) as f:
            assert f["points/mass_init_msun"].dtype == np.int64  # 1e-10 Msun quantum needs int64 deltas
    with h5py.File(path, "a") as f:
        del f["points/phase"]
    old = read_grid_h5(path)
    np.testing.assert_array_equal(old.phase, small.phase)
    with h5py.File(path, "a") as f:
        f["points"].create_dataset("phase", data=np.full(small.n_pts, ph.UNKNOWN, np.int8))
    assert np.all(read_grid_h5(path).phase == ph.UNKNOWN)
    bad = small.phase.copy()
    bad[small.iso_start[1] - 2] = ph.MS  # a step back within an isochrone
    with pytest.raises(ValueError, match="must not decrease"):
        IsochroneGrid(**{k: getattr(small, k) for k in ("family", "comp_axis", "ages_gyr", "iso_start",
                                                        *ISO_COLUMNS, *POINT_COLUMNS)}, phase=bad)


def test_old_shipped_format_without_phase_loads(tmp_path):
    """The parsec grid as shipped before the phase column (RGB-tip-limited, no points/phase) still loads;
    its phases come from the EEP numbering and the log g rule."""
    small = _small_grid("parsec")
    keep = small.phase <= ph.RGB
    lengths = np.add.reduceat(keep, small.iso_start[:-1])
    cut = IsochroneGrid(
        family="parsec", comp_axis="mh", ages_gyr=small.ages_gyr, provenance={},
        iso_start=np.concatenate([[0], np.cumsum(lengths)]),
        **{c: getattr(small, c) for c in ISO_COLUMNS}, **{c: getattr(small, c)[keep] for c in POINT_COLUMNS},
    )
    path = write_grid_h5(cut, tmp_path / "old.h5", quanta={"mass_init_msun": 1e-8})
    import h5py

    with h5py.File(path, "a") as f:
        del f["points/phase"]
    old = load_grid(str(path))
    np.testing.assert_array_equal(old.phase, small.phase[keep])


def _weights(iso: dict) -> np.ndarray:
    """IMF weight of each point: half the Kroupa integral of each adjacent segment."""
    w_seg = kroupa_segment_weight(iso["mass_init_msun"][:-1], iso["mass_init_msun"][1:])
    w = np.zeros(iso["mass_init_msun"].size)
    w[:-1] += 0.5 * w_seg
    w[1:] += 0.5 * w_seg
    return w


#: Acceptance: IMF-weighted clump at [M/H] = 0 (measured values in the build report, tolerances around them)
CLUMP_RANGES = {"teff_k": (4600.0, 5000.0), "logg": (2.3, 2.65), "g_mag": (0.2, 0.65)}


@pytest.mark.parametrize("family", ["parsec", "mist"])
@pytest.mark.parametrize("age_gyr", [2.0, 4.0, 8.0])
def test_red_clump_where_expected(family, age_gyr):
    iso = _iso_at(load_grid(family), age_gyr, 0.0)
    w = _weights(iso)
    cheb = iso["phase"] == ph.CHEB
    assert cheb.sum() >= 50
    for col, (lo, hi) in CLUMP_RANGES.items():
        mean = np.sum(w[cheb] * iso[col][cheb]) / w[cheb].sum()
        assert lo < mean < hi, (family, age_gyr, col, mean)
    giants = iso["logg"] < 3.5
    share = w[cheb & giants].sum() / w[giants].sum()
    # PARSEC's 2 Gyr RGB is short (tip mass 1.68 Msun near the He-flash transition): 0.60 in its native track
    assert 0.2 < share < (0.65 if (family, age_gyr) == ("parsec", 2.0) else 0.5), share
    assert iso["g_mag"][cheb].min() > -1.0  # no AGB-bright or tip points coded cheb


@pytest.mark.parametrize("family", ["parsec", "mist"])
def test_no_he_flash_bridge(family):
    """No point between the RGB tip (EEP 605) and the ZACHeB (631); exactly one rgb -> cheb segment per
    isochrone with ~zero initial-mass interval; no other segment jumps in log g at (nearly) fixed mass."""
    g = load_grid(family)
    assert not np.any((g.eep > 605) & (g.eep < 631))
    dm = np.diff(g.mass_init_msun)
    dg = np.abs(np.diff(g.logg))
    inner = np.ones(g.n_pts - 1, bool)
    inner[g.iso_start[1:-1] - 1] = False
    flash = ph.flash_segments(g.phase, g.iso_start)
    assert flash.sum() == g.n_iso
    np.testing.assert_array_equal(g.eep[:-1][flash], 605)
    np.testing.assert_array_equal(g.eep[1:][flash], 631)
    np.testing.assert_allclose(dm[flash], 1e-9, atol=2e-10)
    other = inner & ~flash
    assert dm[other].min() > 0
    assert not np.any(other & (dg > 0.2) & (dm < 1e-5))
    # the flash carries ~no IMF weight compared with the CHeB
    i = int(np.flatnonzero(np.isclose(g.iso_age_gyr, 4.0) & np.isclose(g.iso_mh, 0.0))[0])
    iso = g.isochrone(i)
    cheb = iso["phase"] == ph.CHEB
    w_cheb = kroupa_segment_weight(iso["mass_init_msun"][cheb][0], iso["mass_init_msun"][cheb][-1])
    k = int(np.flatnonzero(iso["phase"] == ph.RGB)[-1])
    w_flash = kroupa_segment_weight(iso["mass_init_msun"][k], iso["mass_init_msun"][k + 1])
    assert w_flash < 1e-6 * w_cheb


@pytest.mark.parametrize("family", ["parsec", "mist"])
def test_mock_places_stars_past_the_tip(family):
    """A mass between the ZACHeB and the end of the isochrone lands on the clump."""
    from mwdisk.mock.stars import STAR_COLUMNS, place_stars

    iso = _iso_at(load_grid(family), 4.0, 0.0)
    cheb = np.flatnonzero(iso["phase"] == ph.CHEB)
    m = 0.5 * (iso["mass_init_msun"][cheb[5]] + iso["mass_init_msun"][cheb[6]])
    props, status = place_stars([m, iso["mass_init_msun"][-1] + 1e-3], 4.0, 0.0, family)
    assert status.tolist() == [0, 1]
    logg = props[0, STAR_COLUMNS.index("logg")]
    assert 2.2 < logg < 2.7
