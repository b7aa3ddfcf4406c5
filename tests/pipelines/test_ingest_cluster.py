import pandas as pd

from factory import make_catalog, write_partitioned
from mwdisk.config import load_config
from mwdisk.pipelines.ingest import run_ingest


def test_ingest_on_two_workers_matches_in_process(tmp_path, client):
    cat = make_catalog(5000, seed=21, dup_fraction=0.1)
    write_partitioned(cat, tmp_path / "cat", 4)
    outs = []
    for name, cl in (("local", None), ("dask", client)):
        cfg = load_config(overrides=["run.partition_rows=1200", f"run.out={tmp_path / name}"])
        run_ingest(cl, cfg, tmp_path / "cat", tmp_path / name)
        outs.append(pd.read_parquet(tmp_path / name / "ingest"))
    assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(outs[0], outs[1])
    assert outs[0]["source_id"].is_unique and len(outs[0]) == 5000
