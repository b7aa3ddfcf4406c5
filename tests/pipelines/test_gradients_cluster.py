"""The gradients stage on a LocalCluster, reduced in shards fitted on different workers, equals in-process."""

import shutil

import pandas as pd

from mwdisk.config import load_config
from mwdisk.pipelines.gradients import n_reduce_shards, run_gradients
from mwdisk.pipelines.run import run_pipeline


def test_sharded_cluster_reduction_equals_in_process(tmp_path, client):
    out = tmp_path / "a"
    cfg = load_config(overrides=[f"run.out={out}", "mock.n=8000", "mock.partitions=2",
                                 "run.partition_rows=1500"])
    run_pipeline(cfg, until="gradients", client=False)
    tables = {t: pd.read_csv(out / t) for t in ("gradients.csv", "trends.csv", "cuts.csv")}
    assert tables["gradients.csv"]["n_stars"].sum() > 1000
    for shards in (0, 3):  # one per worker (2), and 3
        b = tmp_path / f"b{shards}"
        shutil.copytree(out, b, ignore=shutil.ignore_patterns("*.csv", "selected*"))
        cfg_b = load_config(overrides=[f"run.out={b}", "mock.n=8000", "mock.partitions=2",
                                       "run.partition_rows=1500", f"gradients.reduce_shards={shards}"])
        summary = run_gradients(client, "gradients", cfg_b, b, force=True)
        assert summary["computed"] == 1 and summary["partitions"] >= 5
        for name, df in tables.items():
            pd.testing.assert_frame_equal(df, pd.read_csv(b / name), check_exact=True, obj=name)
        assert len(list((b / "selected").glob("*.parquet"))) == summary["partitions"]


def test_shard_count():
    cfg = load_config()
    assert n_reduce_shards(cfg, 0) == 1 and n_reduce_shards(cfg, 5) == 5 and n_reduce_shards(cfg, 500) == 32
    cfg = load_config(overrides=["gradients.reduce_shards=4"])
    assert n_reduce_shards(cfg, 64) == 4
