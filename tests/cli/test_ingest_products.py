"""`mwdisk ingest` on survey-product fixtures, then `mwdisk run --catalog` through every per-star stage."""

import pandas as pd

from mwdisk.cli import main


def test_products_to_gradients(tmp_path, test_data):
    d = test_data / "readers"
    cat = tmp_path / "cat"
    assert main(["ingest", "--lamost", str(d / "lamost_dr5_general.fits"),
                 "--ddpayne", str(d / "ddpayne_dr5.fits"),
                 "--gaia", str(d / "gaia_edr3.fits"), "--distances", str(d / "bj_distances.csv"),
                 "--out", str(cat)]) == 0
    out = tmp_path / "out"
    assert main(["run", "--no-dask", "--catalog", str(cat), "--out", str(out), "--until", "gradients"]) == 0
    ages = pd.read_parquet(out / "ages")
    orbits = pd.read_parquet(out / "orbits")
    assert len(ages) == len(orbits) == len(pd.read_parquet(out / "ingest")) > 0
    assert (out / "gradients.csv").is_file()


def test_user_table_to_orbits(tmp_path, test_data):
    d = test_data / "readers"
    cat = tmp_path / "cat"
    assert main(["ingest", "--table", str(d / "user_gaia_lamost_dr9.csv"), "--columns",
                 str(d / "user_gaia_lamost_dr9_columns.yaml"), "--out", str(cat)]) == 0
    out = tmp_path / "out"
    assert main(["run", "--no-dask", "--catalog", str(cat), "--out", str(out), "--until", "orbits"]) == 0
    ing = pd.read_parquet(out / "ingest")
    assert "filled_flags" in ing.columns and (ing["filled_flags"] > 0).all()
