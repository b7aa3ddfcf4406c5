"""Native DSEP *.Gaia reader: loads the fixture, matches the grid it was written from, round-trips."""

from __future__ import annotations

import numpy as np
import pytest

from mwdisk.isochrones import load_grid
from mwdisk.isochrones.dsep_reader import read_dsep_gaia_file, read_dsep_native, write_dsep_gaia_file

COLS = ("eep", "mass_init_msun", "log_teff", "logg", "logl", "g_mag", "bp_mag", "rp_mag")


@pytest.fixture
def gaia_dir(test_data):
    return test_data / "isochrones"


def test_reads_fixture_folder_as_grid(gaia_dir):
    g = load_grid(str(gaia_dir))
    assert g.family == "dsep-native" and g.comp_axis == "feh_afe"
    np.testing.assert_allclose(g.ages_gyr, [4.5, 10.0])
    np.testing.assert_allclose(g.iso_feh, [-1.0, -1.0, 0.0, 0.0])
    np.testing.assert_allclose(g.iso_afe, [0.4, 0.4, 0.0, 0.0])
    np.testing.assert_allclose(g.iso_mh[0], -1.0 + np.log10(0.638 * 10**0.4 + 0.362))
    assert np.all(np.isfinite(g.ag_per_av)) and 0.6 < np.median(g.ag_per_av) < 0.95


def test_values_match_the_grid_they_were_written_from(gaia_dir):
    native = read_dsep_native(gaia_dir / "fehp00afep0.Gaia")
    assert native.comp_axis == "mh"
    ref = load_grid("dsep")
    i = np.flatnonzero(np.isclose(ref.iso_mh, 0.0) & np.isclose(ref.iso_age_gyr, 4.5))[0]
    r = ref.isochrone(int(i))
    n = native.isochrone(0)
    idx = np.searchsorted(r["eep"], n["eep"])
    np.testing.assert_array_equal(r["eep"][idx], n["eep"])
    np.testing.assert_allclose(n["mass_init_msun"], r["mass_init_msun"][idx], atol=6e-9)
    np.testing.assert_allclose(n["teff_k"], r["teff_k"][idx], rtol=1.2e-4)  # LogTeff to 1e-4 dex
    for c in ("logg", "logl", "g_mag", "bp_mag", "rp_mag"):
        np.testing.assert_allclose(n[c], r[c][idx], atol=5.1e-5, err_msg=c)
    np.testing.assert_allclose(n["ag_per_av"], r["ag_per_av"][idx], atol=2e-3)


def test_round_trip(gaia_dir, tmp_path):
    src = read_dsep_gaia_file(gaia_dir / "fehm10afep4.Gaia")
    assert (src["feh"], src["afe"]) == (-1.0, 0.4)
    out = write_dsep_gaia_file(
        tmp_path / "copy.Gaia", src["isochrones"], src["feh"], src["afe"], src["y"], src["z"], src["zeff"]
    )
    back = read_dsep_gaia_file(out)
    assert [a for a, _ in back["isochrones"]] == [a for a, _ in src["isochrones"]]
    for (_, a), (_, b) in zip(src["isochrones"], back["isochrones"], strict=True):
        for c in COLS:
            np.testing.assert_array_equal(a[c], b[c])
    assert out.read_text() == (gaia_dir / "fehm10afep4.Gaia").read_text()


def test_malformed_files_are_refused(tmp_path):
    bad = tmp_path / "bad.Gaia"
    bad.write_text("#\n" * 3 + "# 0.27 0.0189\n" + "#\n" * 4)
    with pytest.raises(ValueError, match="line 4"):
        read_dsep_gaia_file(bad)
    bad.write_text("#\n" * 3 + "# 0.27 0.0189 0.0189 0.0 0.0\n" + "#\n" * 4 + "#AGE= 1.000 EEPS=  3\n"
                   "#EEP M/Mo LogTeff LogG LogL/Lo Gaia_G Gaia_BP Gaia_RP\n 1 0.1 3.5 5.0 -2.0 10 11 9\n")
    with pytest.raises(ValueError, match="announces 3 EEPS"):
        read_dsep_gaia_file(bad)
    with pytest.raises(FileNotFoundError):
        read_dsep_native(tmp_path / "empty_dir_missing")
