"""Issue 20: the schema's hard limits cover the quantities a wrong unit or a sentinel spoils."""

import numpy as np
import pytest

from factory import make_catalog
from mwdisk.schema import CATALOG_COLUMNS, SchemaError, out_of_limits, validate_catalog


@pytest.mark.parametrize(
    "column, value, rule",
    [
        ("feh", 12.0, "in [-10, 2]"),  # a constant of a column map, or 12 + log(Fe/H)
        ("feh", -9999.0, "in [-10, 2]"),  # a sentinel
        ("afe", 5.0, "in [-2, 2]"),
        ("logg", 440.0, "in [-2, 10]"),
        ("teff_k", 5.7, "in [1000, 300000]"),  # kK
        ("g_mag", 1.2e5, "in [-5, 30]"),  # a flux
        ("parallax_mas", 5000.0, "in [-1000, 1000]"),
        ("rv_kms", -9999.0, "in [-3000, 3000]"),
        ("pmra_masyr", np.inf, "finite"),
        ("parallax_error_mas", -0.1, ">= 0"),
    ],
)
def test_values_outside_the_limits_are_refused(column, value, rule):
    df = make_catalog(20, seed=2)
    df.loc[7, column] = value
    with pytest.raises(SchemaError) as err:
        validate_catalog(df, where="cat.parquet")
    msg = str(err.value)
    assert (
        f"column {column!r} has value {value!r}" in msg and rule in msg and "Fix or remove these rows" in msg
    )
    assert f"at obs_id {df['obs_id'].iloc[7]}" in msg


def test_nan_is_a_bad_star_not_a_bad_file():
    df = make_catalog(20, seed=2)
    df.loc[3, ["feh", "teff_k", "g_mag", "rv_kms"]] = np.nan
    validate_catalog(df)


def test_out_of_limits_rules():
    bad, rule = out_of_limits(CATALOG_COLUMNS["dec_deg"], [0.0, 91.0, np.nan, -np.inf])
    assert bad.tolist() == [False, True, False, True] and rule == "finite and in [-90, 90]"
    bad, rule = out_of_limits(CATALOG_COLUMNS["snr_g"], [-1.0, 5.0])
    assert bad.tolist() == [True, False] and rule == "finite and >= 0"


def test_mock_rows_with_defects_pass():
    """The mock's defect rows (NaN spectra, negative parallax, hot off-grid stars, no RV) are bad stars."""
    from mwdisk.mock import MockOptions, generate_partition

    df = generate_partition(400, 11, 0, 400, MockOptions(n=400, bad_fraction=0.5))
    assert (df["true_defect"] != "none").sum() > 100
    validate_catalog(df)
