"""The pipeline on a real SLURM (dask-jobqueue): identical outputs to an in-process run, also when a worker's
job is cancelled mid-stage. Marked ``slurm``: runs only with MWDISK_TEST_SLURM=1 (see deploy/slurm/)."""

from __future__ import annotations

import subprocess
import threading
import time

import pandas as pd
import pytest

from factory import make_catalog, write_partitioned
from mwdisk.config import load_config
from mwdisk.pipelines.run import run_pipeline

from .conftest_slurm import ensure_slurm_workers, worker_job_ids

pytestmark = pytest.mark.slurm

STAGES = ("ingest", "extinction", "ages", "phasespace", "orbits")


def _cfg(out, catalog, draws=30):
    return load_config(overrides=[f"run.out={out}", f"run.catalog={catalog}", "run.partition_rows=400",
                                  f"phasespace.n_draws={draws}"])


def _read(out):
    return {s: pd.read_parquet(out / s).sort_values("source_id").reset_index(drop=True) for s in STAGES}


def _same(a, b):
    for s in STAGES:
        pd.testing.assert_frame_equal(a[s], b[s], check_exact=True, obj=s)


def _all_stages(cfg, client):
    run_pipeline(cfg, until="ages", client=client)
    run_pipeline(cfg, until="orbits", client=client)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    d = tmp_path_factory.mktemp("slurmcat") / "cat"
    write_partitioned(make_catalog(2400, seed=77, dup_fraction=0.05), d, 3)
    return d


def test_slurm_run_matches_in_process(tmp_path, catalog, slurm_client):
    ensure_slurm_workers(slurm_client)
    _all_stages(_cfg(tmp_path / "ref", catalog), False)
    _all_stages(_cfg(tmp_path / "slurm", catalog), slurm_client)
    _same(_read(tmp_path / "ref"), _read(tmp_path / "slurm"))


def test_scancel_mid_stage_loses_nothing(tmp_path, catalog, slurm_client):
    ensure_slurm_workers(slurm_client)
    ref = tmp_path / "ref"
    _all_stages(_cfg(ref, catalog, draws=400), False)
    out = tmp_path / "slurm"
    cfg = _cfg(out, catalog, draws=400)
    run_pipeline(cfg, until="ages", client=slurm_client)
    errors: list[BaseException] = []

    def go():
        try:
            run_pipeline(cfg, until="orbits", client=slurm_client)
        except BaseException as exc:  # reported below
            errors.append(exc)

    th = threading.Thread(target=go)
    th.start()
    markers = out / "_state" / "default" / "phasespace"
    deadline = time.time() + 120
    while time.time() < deadline and not (markers.is_dir() and any(markers.glob("*.json"))):
        time.sleep(0.05)
    victim = sorted(worker_job_ids(slurm_client).values())[0]
    subprocess.run(["scancel", victim], check=True)
    th.join(timeout=600)
    assert not th.is_alive() and not errors, errors
    _same(_read(ref), _read(out))
    ensure_slurm_workers(slurm_client)
