"""Issue 20: rows sharing a source_id farther apart than the de-duplication radius are warned about and
kept."""

import logging

import numpy as np
import pandas as pd

from factory import make_catalog, write_partitioned
from mwdisk.ingest import deduplicate, finalize_partition


def _shared(n=600, sid=4242, seed=3):
    df = make_catalog(n, seed=seed)
    df["source_id"] = np.int64(sid)
    return df


def test_600_positions_sharing_one_source_id_stay_600_stars(caplog):
    df = _shared()
    with caplog.at_level(logging.WARNING, logger="mwdisk.ingest"):
        kept, dups = deduplicate(df, 5.0)
    assert len(kept) == 600 and len(dups) == 0
    sid = kept["source_id"].to_numpy()
    assert len(np.unique(sid)) == 600  # unique keys
    # the best row (highest total SNR) keeps the id; every other one gets -obs_id
    snr = np.sqrt(df["snr_g"] ** 2 + df["snr_r"] ** 2 + df["snr_i"] ** 2)
    best = df["obs_id"].to_numpy()[np.argmax(snr.to_numpy())]
    assert kept.loc[kept["source_id"] == 4242, "obs_id"].tolist() == [best]
    others = kept[kept["source_id"] != 4242]
    assert (others["source_id"] == -others["obs_id"]).all()
    msg = " ".join(r.getMessage() for r in caplog.records)
    assert "4242" in msg and "600 rows farther apart than the 5 arcsec" in msg and "-obs_id" in msg
    assert finalize_partition(kept)["source_id"].is_unique


def test_repeats_within_the_radius_still_collapse(caplog):
    df = make_catalog(300, seed=4, dup_fraction=0.2)  # repeats share source_id, 0.1-1 arcsec apart
    kept, dups = deduplicate(df, 5.0)
    assert len(kept) == 300 and len(dups) == 60 and kept["source_id"].is_unique
    assert not [r for r in caplog.records if "farther apart" in r.getMessage()]


def test_a_row_without_position_joins_its_source_id():
    df = make_catalog(3, seed=5)
    df["source_id"] = np.int64(77)
    df.loc[0, ["ra_deg", "dec_deg"]] = np.nan
    df.loc[0, ["snr_g", "snr_r", "snr_i"]] = 1.0  # the worst row: removed in favour of the best of its id
    kept, dups = deduplicate(df, 5.0)
    assert len(dups) == 1 and dups["obs_id"].iloc[0] == df["obs_id"].iloc[0]
    assert len(kept) == 2 and kept["source_id"].is_unique


def test_ingest_stage_keeps_and_warns(tmp_path, caplog):
    from mwdisk.cli import main

    cat = tmp_path / "cat"
    write_partitioned(_shared(), cat, 3)
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        assert main(["run", "--no-dask", "--catalog", str(cat), "--out", str(out), "--until", "ingest"]) == 0
    ing = pd.read_parquet(out / "ingest")
    assert len(ing) == 600 and ing["source_id"].is_unique
    assert any("shared by" in r.getMessage() and "4242" in r.getMessage() for r in caplog.records)
