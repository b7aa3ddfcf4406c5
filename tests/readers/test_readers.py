"""Readers of the survey products on small files in each product's layout (tests/data/readers), refusals of
files lacking a column, the crossmatch, the user-table route and the hand-over to the ingest stage."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table

from mwdisk.readers import (
    FilledFlag,
    crossmatch_partition,
    ingest_products,
    read_ddpayne,
    read_distances,
    read_gaia,
    read_lamost,
    read_table,
)
from mwdisk.readers.lamost import C_KMS
from mwdisk.schema import SchemaError, validate_catalog

pytestmark = pytest.mark.filterwarnings("ignore::astropy.units.UnitsWarning")


@pytest.fixture(scope="module")
def d(test_data):
    return test_data / "readers"


def _table(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Table.read(path)


def _drop_column(src, dst, name):
    """Copy a product file without one column, in the same format."""
    if str(src).endswith(".csv"):
        df = pd.read_csv(src, dtype=str, keep_default_na=False)
        df.drop(columns=[name]).to_csv(dst, index=False)
    else:
        t = _table(src)
        t.remove_column(name)
        t.write(dst, overwrite=True)
    return dst


# ---------------------------------------------------------------- Gaia
@pytest.mark.parametrize("fmt", ["fits", "csv", "ecsv"])
def test_gaia_round_trip(d, fmt):
    g = read_gaia(d / f"gaia_edr3.{fmt}")
    ref = _table(d / "gaia_edr3.fits")
    assert g["source_id"].dtype == np.int64
    np.testing.assert_array_equal(g["source_id"], np.asarray(ref["source_id"]))  # all 19 digits survive
    for arch, canon in [("parallax", "parallax_mas"), ("pmra_error", "pmra_error_masyr"),
                        ("pmra_pmdec_corr", "pmra_pmdec_corr"), ("phot_bp_mean_mag", "bp_mag")]:
        want = np.ma.filled(ref[arch].astype(float), np.nan)
        np.testing.assert_allclose(g[canon], want, rtol=1e-7, equal_nan=True)
    assert g["parallax_mas"].isna().sum() == 3  # the three 2-parameter solutions
    assert g["gaia_rv_kms"].notna().sum() == 5  # eDR3 dr2_radial_velocity, masked elsewhere
    assert (g["gaia_ref_epoch_yr"] == 2016.0).all()


@pytest.mark.parametrize("fmt", ["fits", "csv"])
def test_gaia_refuses_missing_column(d, tmp_path, fmt):
    bad = _drop_column(d / f"gaia_edr3.{fmt}", tmp_path / f"g.{fmt}", "pmra_pmdec_corr")
    with pytest.raises(SchemaError) as e:
        read_gaia(bad)
    msg = str(e.value)
    assert str(bad) in msg and "'pmra_pmdec_corr'" in msg and "Gaia eDR3 gaia_source" in msg


# ---------------------------------------------------------------- Bailer-Jones
@pytest.mark.parametrize("name", ["bj_distances.csv", "bj_distances.vot", "bj_distances_vizier.csv"])
def test_distances_round_trip(d, name):
    got = read_distances(d / name)
    ref = pd.read_csv(d / "bj_distances.csv")
    np.testing.assert_array_equal(got["source_id"], ref["source_id"])
    np.testing.assert_allclose(got["dist_med_pc"], ref["r_med_geo"], rtol=1e-6)  # pc stays pc
    np.testing.assert_allclose(got["dist_lo_pc"], ref["r_lo_geo"], rtol=1e-6)
    np.testing.assert_allclose(got["dist_hi_pc"], ref["r_hi_geo"], rtol=1e-6)
    photo = read_distances(d / name, kind="photogeo")
    np.testing.assert_allclose(photo["dist_med_pc"], ref["r_med_photogeo"], rtol=1e-6)


def test_distances_refuse_missing_column(d, tmp_path):
    bad = _drop_column(d / "bj_distances.csv", tmp_path / "bj.csv", "r_hi_geo")
    with pytest.raises(SchemaError, match=r"bj\.csv.*'r_hi_geo'.*Bailer-Jones"):
        read_distances(bad)


# ---------------------------------------------------------------- LAMOST
def test_lamost_general_round_trip(d):
    lam = read_lamost(d / "lamost_dr5_general.fits")
    ref = _table(d / "lamost_dr5_general.fits")
    star = np.asarray(ref["class"]).astype(str) == "STAR"
    assert len(lam) == star.sum() == len(ref) - 1  # the galaxy is left out
    np.testing.assert_array_equal(lam["obs_id"], np.asarray(ref["obsid"])[star])
    z = np.asarray(ref["z"])[star]
    want = np.where(z == -9999.0, np.nan, z * C_KMS)  # rv = z c, -9999 is null
    np.testing.assert_allclose(lam["rv_kms"], want, rtol=1e-12, equal_nan=True)
    assert lam["rv_kms"].isna().sum() == 1 and lam["rv_error_kms"].isna().sum() == 1
    np.testing.assert_allclose(lam["snr_i"], np.asarray(ref["snri"])[star], rtol=1e-7)
    assert lam["lamost_specid"].iloc[0].count("-") == 3


def test_lamost_stellar_parameters(d):
    lam = read_lamost(d / "lamost_dr5_stellar.fits", params=True)
    ref = _table(d / "lamost_dr5_stellar.fits")
    star = np.asarray(ref["class"]).astype(str) == "STAR"
    teff = np.asarray(ref["teff"])[star]
    np.testing.assert_allclose(lam["lamost_teff_k"], np.where(teff == -9999, np.nan, teff), equal_nan=True)
    rv = np.asarray(ref["rv"])[star]
    np.testing.assert_allclose(lam["rv_kms"], np.where(rv == -9999, np.nan, rv), equal_nan=True)


def test_lamost_refuses_missing_column(d, tmp_path):
    bad = _drop_column(d / "lamost_dr5_general.fits", tmp_path / "lam.fits", "snri")
    with pytest.raises(SchemaError) as e:
        read_lamost(bad)
    assert str(bad) in str(e.value) and "'snri'" in str(e.value) and "LAMOST DR5" in str(e.value)
    with pytest.raises(SchemaError, match="'teff'.*LAMOST DR5"):  # params need the A/F/G/K catalogue
        read_lamost(d / "lamost_dr5_general.fits", params=True)


# ---------------------------------------------------------------- DD-Payne
def test_ddpayne_round_trip(d):
    p = read_ddpayne(d / "ddpayne_dr5.fits")
    ref = _table(d / "ddpayne_dr5.fits")  # upper-case names, as FITS value-added catalogues have
    np.testing.assert_array_equal(p["ddp_obsid"], np.asarray(ref["OBSID"]))
    np.testing.assert_allclose(p["teff_k"], np.asarray(ref["TEFF"], float))
    afe = np.asarray(ref["ALPHA_FE"], float)
    np.testing.assert_allclose(p["afe"], np.where(afe == -9999, np.nan, afe), equal_nan=True)
    assert p["afe"].isna().sum() == 1
    mg = read_ddpayne(d / "ddpayne_dr5.fits", alpha_column="mg_fe")  # the [CHOICE] of alpha proxy
    np.testing.assert_allclose(mg["afe"], np.asarray(ref["MG_FE"], float))


def test_ddpayne_refuses_missing_column(d, tmp_path):
    bad = _drop_column(d / "ddpayne_dr5.fits", tmp_path / "ddp.fits", "ALPHA_FE")
    with pytest.raises(SchemaError) as e:
        read_ddpayne(bad)
    assert str(bad) in str(e.value) and "'alpha_fe'" in str(e.value) and "DD-Payne" in str(e.value)


# ---------------------------------------------------------------- crossmatch
def test_crossmatch_finds_the_placed_stars(d):
    spec = read_lamost(d / "lamost_dr5_general.fits")
    gaia = read_gaia(d / "gaia_edr3.fits")
    matched, unmatched = crossmatch_partition(spec, gaia, radius_arcsec=1.0, spec_epoch_yr=2000.0)
    truth = pd.read_csv(d / "expected_matches.csv").rename(columns={"obsid": "obs_id", "source_id": "want"})
    m = matched.merge(truth, on="obs_id")
    assert len(m) == (truth["want"] > 0).sum() == 27
    assert (m["source_id"] == m["want"]).all()
    assert (matched["xm_sep_arcsec"] < 0.3).all() and (matched["xm_n_within"] == 1).all()
    assert len(unmatched) == 2 and set(unmatched["obs_id"]) == set(truth.loc[truth["want"] < 0, "obs_id"]) - {
        int(truth["obs_id"].iloc[-1])}  # the galaxy was never read
    # the first star moves 1.2" in 16 yr: without the epoch propagation it is lost at 1"
    _, miss = crossmatch_partition(spec, gaia, 1.0, 2000.0, propagate_pm=False)
    assert int(truth["obs_id"].iloc[0]) in set(miss["obs_id"])
    # an empty partition returns the declared columns
    e_m, e_u = crossmatch_partition(spec.iloc[0:0], gaia)
    assert len(e_m) == 0 and {"xm_sep_arcsec", "xm_n_within", "parallax_mas"} <= set(e_m.columns)


def test_join_by_source_id(d, tmp_path):
    t = _table(d / "lamost_dr5_general.fits")
    truth = pd.read_csv(d / "expected_matches.csv")
    t["gaia_edr3_source_id"] = truth["source_id"].to_numpy()
    t = t[t["gaia_edr3_source_id"] > 0]
    t.write(tmp_path / "lam.fits")
    out = ingest_products(lamost=tmp_path / "lam.fits", ddpayne=d / "ddpayne_dr5.fits",
                          gaia=d / "gaia_edr3.fits",
                          out_dir=tmp_path / "cat", lamost_gaia_id_column="gaia_edr3_source_id")
    cat = pd.read_parquet(out / "part-00000.parquet")
    assert len(cat) == 27 and (cat["xm_n_within"] == -1).all() and (cat["xm_sep_arcsec"] < 0.3).all()


# ------------------------------------------------------------ products -> canonical catalogue -> ingest stage
def test_ingest_products_to_ingest_stage(d, tmp_path):
    from mwdisk.config import load_config
    from mwdisk.pipelines.ingest import run_ingest

    out = ingest_products(lamost=d / "lamost_dr5_general.fits", ddpayne=d / "ddpayne_dr5.fits",
                          gaia=d / "gaia_edr3.fits", distances=d / "bj_distances.vot",
                          out_dir=tmp_path / "cat")
    cat = pd.read_parquet(out / "part-00000.parquet")
    validate_catalog(cat)
    assert len(cat) == 27 and cat["obs_id"].is_unique
    assert cat["teff_k"].isna().sum() == 2  # two spectra DD-Payne did not label: kept, flagged later
    assert cat["dist_med_pc"].isna().sum() == 4  # 2 sources without Bailer-Jones rows, 3 spectra of them
    assert (out / "_unmatched.parquet").is_file()
    cfg = load_config(overrides=[f"run.out={tmp_path / 'run'}"])
    res = run_ingest(None, cfg, out, tmp_path / "run")
    assert res["rows"] == 24 and res["duplicates"] == 3  # repeat spectra of 3 stars


def test_lamost_pipeline_parameters_choice(d, tmp_path):
    out = ingest_products(lamost=d / "lamost_dr5_stellar.fits", ddpayne=d / "ddpayne_dr5.fits",
                          gaia=d / "gaia_edr3.fits", out_dir=tmp_path / "cat", params="lamost")
    cat = pd.read_parquet(out / "part-00000.parquet")
    lam = read_lamost(d / "lamost_dr5_stellar.fits", params=True).set_index("obs_id")
    np.testing.assert_allclose(cat["teff_k"], lam.loc[cat["obs_id"], "lamost_teff_k"], equal_nan=True)
    assert cat["afe"].notna().sum() > 20  # [alpha/Fe] still from DD-Payne
    with pytest.raises(SchemaError, match="'teff'"):
        ingest_products(lamost=d / "lamost_dr5_general.fits", gaia=d / "gaia_edr3.fits",
                        out_dir=tmp_path / "x", params="lamost")


def test_refusal_comes_before_any_output(d, tmp_path):
    bad = _drop_column(d / "bj_distances.csv", tmp_path / "bj.csv", "r_med_geo")
    with pytest.raises(SchemaError, match="r_med_geo"):
        ingest_products(lamost=d / "lamost_dr5_general.fits", ddpayne=d / "ddpayne_dr5.fits",
                        gaia=d / "gaia_edr3.fits", distances=bad, out_dir=tmp_path / "cat")
    assert not (tmp_path / "cat").exists()


# ---------------------------------------------------------------- user table
def test_user_table_round_trip_and_fill_flags(d):
    cat = read_table(d / "user_gaia_lamost_dr9.csv", d / "user_gaia_lamost_dr9_columns.yaml")
    raw = pd.read_csv(d / "user_gaia_lamost_dr9.csv")
    validate_catalog(cat)
    np.testing.assert_array_equal(cat["source_id"], raw["source_id"])
    np.testing.assert_allclose(cat["parallax_error_mas"], raw["parallax"] / raw["parallax_over_error"])
    np.testing.assert_allclose(cat["teff_k"], raw["teff"])
    f = cat["filled_flags"].to_numpy()
    every = FilledFlag.AFE | FilledFlag.AFE_ERROR | FilledFlag.CORRELATIONS | FilledFlag.PM_ERROR | \
        FilledFlag.POS_ERROR | FilledFlag.SNR | FilledFlag.DISTANCE
    assert ((f & every) == every).all()
    assert not (f & (FilledFlag.PARALLAX_ERROR | FilledFlag.TEFF_ERROR | FilledFlag.RV_ERROR)).any()
    assert (cat["afe"] == 0.0).all() and (cat["ra_dec_corr"] == 0.0).all()
    np.testing.assert_allclose(cat["snr_r"], raw["snrg"])  # copied from g (fill_snr_from_g)
    np.testing.assert_allclose(cat["dist_med_pc"], 1000.0 / raw["parallax"])
    g = cat["g_mag"].to_numpy()
    assert np.all(np.diff(cat["pmra_error_masyr"].to_numpy()[np.argsort(g)]) >= 0)  # fainter, larger error


def test_user_table_refusals(d, tmp_path):
    m = (d / "user_gaia_lamost_dr9_columns.yaml").read_text()
    typo = tmp_path / "typo.yaml"
    typo.write_text(m.replace("logg: logg\n", "logg: log_g\n"))
    with pytest.raises(SchemaError) as e:
        read_table(d / "user_gaia_lamost_dr9.csv", typo)
    assert ("user_gaia_lamost_dr9.csv" in str(e.value) and "'log_g'" in str(e.value)
            and "Gaia DR3 x LAMOST" in str(e.value))
    nofeh = tmp_path / "nofeh.yaml"
    nofeh.write_text(m.replace("  feh: feh\n", ""))
    with pytest.raises(SchemaError, match="'feh'.*no default"):
        read_table(d / "user_gaia_lamost_dr9.csv", nofeh)


def test_user_table_through_ingest_products(d, tmp_path):
    out = ingest_products(table=d / "user_gaia_lamost_dr9.csv",
                          columns=d / "user_gaia_lamost_dr9_columns.yaml",
                          out_dir=tmp_path / "cat")
    cat = pd.concat(pd.read_parquet(p) for p in sorted(out.glob("part-*.parquet")))
    assert len(cat) == 25 and "filled_flags" in cat
    shutil.rmtree(out)
