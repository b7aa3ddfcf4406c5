"""Issue 20: ``mwdisk ingest --table`` applies every value check of the schema, before anything is written.

Each case runs the CLI as a user would and asserts: exit code 2, one line on stderr naming the value and the
fix, and no output folder.
"""

import numpy as np
import pandas as pd
import pytest

from mwdisk.cli import main
from mwdisk.readers.table import check_fill, load_column_map, read_table
from mwdisk.schema import SchemaError


@pytest.fixture
def d(test_data):
    return test_data / "readers"


TABLE = "user_gaia_lamost_dr9.csv"
MAP = "user_gaia_lamost_dr9_columns.yaml"


def _map(d, tmp_path, old, new, name="map.yaml"):
    text = (d / MAP).read_text()
    assert old in text
    p = tmp_path / name
    p.write_text(text.replace(old, new))
    return p


def _table(d, tmp_path, column, row, value):
    df = pd.read_csv(d / TABLE, dtype=str, keep_default_na=False)
    df.loc[row, column] = value
    p = tmp_path / "table.csv"
    df.to_csv(p, index=False)
    return p


def _refused(capsys, tmp_path, table, cmap, *must):
    out = tmp_path / "catalog"
    assert main(["ingest", "--table", str(table), "--columns", str(cmap), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("mwdisk: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    for m in must:
        assert m in lines[0], lines[0]
    assert not out.exists()
    return lines[0]


def test_text_in_a_numeric_column_is_refused_not_nan(d, tmp_path, capsys):
    t = _table(d, tmp_path, "teff", 3, "hot")
    _refused(capsys, tmp_path, t, d / MAP, "column 'teff'", "'teff_k'", "'hot'", "data row 4",
             "correct or empty these cells")


def test_text_in_an_expression_column_is_refused(d, tmp_path, capsys):
    t = _table(d, tmp_path, "parallax_over_error", 5, "n.a.")
    _refused(capsys, tmp_path, t, d / MAP, "column 'parallax_over_error'", "'n.a.'", "data row 6")


def test_empty_cells_and_nan_spellings_are_missing_values(d, tmp_path):
    t = _table(d, tmp_path, "teff", 3, "")
    df = pd.read_csv(t, dtype=str, keep_default_na=False)
    df.loc[4, "teff"] = "NaN"
    df.loc[5, "teff"] = " null "
    df.to_csv(t, index=False)
    cat = read_table(t, d / MAP)
    assert np.isnan(cat["teff_k"].iloc[3:6]).all() and np.isfinite(cat["teff_k"].iloc[6:]).all()


def test_constant_out_of_range_is_refused(d, tmp_path, capsys):
    m = _map(d, tmp_path, "  feh: feh\n", "  feh: 12\n")
    _refused(capsys, tmp_path, d / TABLE, m, "constant feh: 12", "in [-10, 2]", "map 'feh' to a column")


def test_constant_in_range_is_taken(d, tmp_path):
    m = _map(d, tmp_path, "  feh: feh\n", "  feh: -0.2\n")
    assert (read_table(d / TABLE, m)["feh"] == -0.2).all()


def test_constant_id_is_refused(d, tmp_path, capsys):
    m = _map(d, tmp_path, "  source_id: source_id\n", "  source_id: 5\n")
    _refused(capsys, tmp_path, d / TABLE, m, "source_id: 5", "map it to a column")


def test_fill_value_out_of_range_is_refused(d, tmp_path, capsys):
    m = tmp_path / "map.yaml"
    m.write_text((d / MAP).read_text() + "fill:\n  afe: 7\n")
    _refused(capsys, tmp_path, d / TABLE, m, "fill afe: 7", "in [-2, 2]")
    with pytest.raises(SchemaError, match="fill distance: 'bj'"):
        check_fill({"distance": "bj"}, "x")


@pytest.mark.parametrize(
    "expr, must",
    [
        ("parallax / (parallax_over_error", ("does not parse", "parallax / (parallax_over_error")),
        ("parallax / parallax_over_error +* 2", ("cannot be evaluated", "write it with your column names")),
        ("parallax / parallax_ovr_error", ("'parallax_ovr_error'", "did you mean 'parallax_over_error'")),
        ("parallax = 3", ("parallax = 3",)),
    ],
)
def test_bad_expression_is_one_line(d, tmp_path, capsys, expr, must):
    m = _map(d, tmp_path, '"parallax / parallax_over_error"', f'"{expr}"')
    _refused(capsys, tmp_path, d / TABLE, m, "'parallax_error_mas'", *must)


def test_value_out_of_the_schema_limits_is_refused(d, tmp_path, capsys):
    t = _table(d, tmp_path, "feh", 2, "12")
    _refused(capsys, tmp_path, t, d / MAP, "column 'feh' has value 12.0", "in [-10, 2]", "Fix or remove")
    t = _table(d, tmp_path, "logg", 2, "inf")
    _refused(capsys, tmp_path, t, d / MAP, "column 'logg' has value inf", "finite")


def test_the_shipped_map_still_loads(d):
    m = load_column_map(d / MAP)
    assert m["columns"]["feh"] == "feh"
    assert len(read_table(d / TABLE, m)) == 25
