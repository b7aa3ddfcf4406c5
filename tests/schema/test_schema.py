import numpy as np
import pytest

from factory import make_catalog
from mwdisk.schema import QualityFlag, SchemaError, quality_flags, validate_catalog


@pytest.fixture
def cat():
    return make_catalog(200, seed=3)


def test_valid_catalogue_passes(cat):
    validate_catalog(cat)
    assert (quality_flags(cat) == 0).all()


def test_missing_column(cat):
    with pytest.raises(SchemaError, match=r"missing required column\(s\) 'parallax_error_mas'"):
        validate_catalog(cat.drop(columns="parallax_error_mas"), where="cat.parquet")


def test_wrong_dtype(cat):
    cat["feh"] = cat["feh"].astype(str)
    with pytest.raises(SchemaError, match=r"column 'feh' has dtype .* expected a numeric"):
        validate_catalog(cat)
    cat2 = make_catalog(10)
    cat2["source_id"] = cat2["source_id"].astype(float)
    with pytest.raises(SchemaError, match=r"column 'source_id' .* expected an integer"):
        validate_catalog(cat2)


@pytest.mark.parametrize(
    "col, value, rule",
    [("dec_deg", 91.5, r"in \[-90, 90\]"), ("ra_deg", -3.0, r"in \[0, 360\]"),
     ("parallax_error_mas", -0.1, ">= 0"), ("ra_dec_corr", 1.5, r"in \[-1, 1\]"), ("snr_g", -1.0, ">= 0")],
)
def test_impossible_values_named(cat, col, value, rule):
    cat.loc[5, col] = value
    oid = cat.loc[5, "obs_id"]
    with pytest.raises(SchemaError, match=rf"column '{col}' has value {value!r} at obs_id {oid}.*{rule}"):
        validate_catalog(cat)


def test_duplicate_obs_id(cat):
    cat.loc[1, "obs_id"] = cat.loc[0, "obs_id"]
    with pytest.raises(SchemaError, match="repeats the value"):
        validate_catalog(cat)


def test_bad_stars_are_flagged_not_refused(cat):
    cat.loc[0, "parallax_mas"] = -0.5
    cat.loc[1, "rv_kms"] = np.nan
    cat.loc[2, "teff_k"] = np.nan
    cat.loc[3, "ra_dec_corr"] = 0.99
    cat.loc[3, "ra_parallax_corr"] = -0.99
    cat.loc[3, "dec_parallax_corr"] = 0.99
    cat.loc[4, "dist_lo_pc"] = cat.loc[4, "dist_med_pc"] + 10
    cat.loc[5, "g_mag"] = np.nan
    cat.loc[6, "pmra_masyr"] = np.nan
    validate_catalog(cat)  # NaNs and bad stars are not a bad file
    f = quality_flags(cat)
    assert f[0] & QualityFlag.NONPOS_PARALLAX
    assert f[1] & QualityFlag.NO_RV
    assert f[2] & QualityFlag.NAN_SPECTRO
    assert f[3] & QualityFlag.BAD_COVARIANCE
    assert f[4] & QualityFlag.NAN_DISTANCE
    assert f[5] & QualityFlag.NAN_PHOTOMETRY
    assert f[6] & QualityFlag.NAN_ASTROMETRY
    assert (f[7:] == 0).all()
