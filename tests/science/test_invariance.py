"""The mock without its truth columns, cut into more partitions, gives the same outputs and gradients."""

import pandas as pd

from mwdisk.config import load_config
from mwdisk.pipelines.run import run_pipeline
from mwdisk.schema import drop_truth

STAGES = ("ingest", "extinction", "ages", "phasespace", "orbits")


def test_no_truth_and_other_partitioning_change_nothing(mock_run, tmp_path):
    cat = tmp_path / "cat"
    cat.mkdir()
    for k, p in enumerate(sorted((mock_run["out"] / "mock").glob("part-*.parquet"))):
        drop_truth(pd.read_parquet(p)).to_parquet(cat / f"part-{k:05d}.parquet", index=False)
    out = tmp_path / "out"
    base = mock_run["cfg"]
    cfg = load_config(overrides=[f"run.out={out}", f"run.catalog={cat}", "run.partition_rows=5000",
                                 f"mock.n={base['mock']['n']}",
                                 f"run.isochrones={base['run']['isochrones']}"])
    run_pipeline(cfg, until="gradients", client=False)
    assert (len(list((out / "ingest").glob("*.parquet")))
            >= 7 > len(list((mock_run["out"] / "ingest").glob("*.parquet"))))
    for s in STAGES:
        a = pd.read_parquet(mock_run["out"] / s).sort_values("source_id").reset_index(drop=True)
        b = pd.read_parquet(out / s).sort_values("source_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=s)
    # the gradient reduction is exact: the same tables from 2 or 8 partitions
    for table in ("gradients.csv", "trends.csv", "cuts.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(mock_run["out"] / table), pd.read_csv(out / table),
                                      check_exact=True, obj=table)
