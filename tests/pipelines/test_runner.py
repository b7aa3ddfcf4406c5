"""The stage runner: identical outputs whatever the partitioning or the workers, resume after kill -9."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from factory import make_catalog, write_partitioned
from mwdisk.config import load_config
from mwdisk.pipelines.run import run_pipeline

STAGES_UNDER_TEST = ("ingest", "extinction", "phasespace")


def _read_all(out: Path) -> dict[str, pd.DataFrame]:
    return {
        s: pd.read_parquet(out / s).sort_values("source_id").reset_index(drop=True) for s in STAGES_UNDER_TEST
    }


def _assert_identical(a: dict, b: dict) -> None:
    for s in STAGES_UNDER_TEST:
        pd.testing.assert_frame_equal(a[s], b[s], check_exact=True, obj=s)


def _run(cfg, client=False):
    """ingest, extinction and phasespace (extinction is not needed by phasespace, so two targets)."""
    a = run_pipeline(cfg, until="extinction", client=client)
    b = run_pipeline(cfg, until="phasespace", client=client)
    return {**a, **{k: v for k, v in b.items() if k != "ingest"}}


def _cfg(out, catalog, rows, draws=30, extra=()):
    return load_config(overrides=[f"run.out={out}", f"run.catalog={catalog}", f"run.partition_rows={rows}",
                                  f"phasespace.n_draws={draws}", *extra])


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    d = tmp_path_factory.mktemp("cat")
    write_partitioned(make_catalog(3000, seed=31, dup_fraction=0.05), d / "cat", 3)
    return d / "cat"


def test_outputs_do_not_depend_on_partitioning_or_workers(tmp_path, catalog, client):
    _run(_cfg(tmp_path / "a", catalog, 3500), False)
    _run(_cfg(tmp_path / "b", catalog, 450), client)
    a, b = _read_all(tmp_path / "a"), _read_all(tmp_path / "b")
    assert len(list((tmp_path / "b" / "phasespace").glob("*.parquet"))) >= 7
    _assert_identical(a, b)
    # plain pandas opens every stage folder, and every output carries source_id
    assert set(a["phasespace"]["source_id"]) == set(a["ingest"]["source_id"])


def test_rerun_skips_and_config_change_recomputes(tmp_path, catalog):
    cfg = _cfg(tmp_path, catalog, 1000)
    first = _run(cfg)
    again = _run(cfg)
    assert first["phasespace"]["computed"] > 0
    assert all(s["computed"] == 0 for s in again.values())
    changed = _run(_cfg(tmp_path, catalog, 1000, draws=31), False)
    assert changed["phasespace"]["computed"] == first["phasespace"]["computed"]
    assert changed["extinction"]["computed"] == 0 and changed["ingest"]["computed"] == 0


def test_truth_columns_change_nothing(tmp_path, catalog):
    cat = pd.read_parquet(catalog)
    noisy = cat.assign(true_dist_pc=cat["dist_med_pc"] * 3, true_rv_kms=0.0, true_A_G_mag=5.0)
    write_partitioned(noisy, tmp_path / "truth", 3)
    _run(_cfg(tmp_path / "a", catalog, 1000), False)
    _run(_cfg(tmp_path / "b", tmp_path / "truth", 1000), False)
    _assert_identical(_read_all(tmp_path / "a"), _read_all(tmp_path / "b"))


def _kill_after(cmd: list[str], markers: Path, n_done: int) -> None:
    """Start ``cmd`` in its own process group and kill -9 the group once ``n_done`` partitions are marked."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if markers.is_dir() and len(list(markers.glob("*.json"))) >= n_done:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed; make it longer"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.slow
def test_resume_after_kill_minus_9(tmp_path, catalog):
    ref = tmp_path / "ref"
    _run(_cfg(ref, catalog, 150, draws=300), False)
    out = tmp_path / "killed"
    run_pipeline(_cfg(out, catalog, 150, draws=300), until="extinction", client=False)
    cmd = [sys.executable, "-m", "mwdisk.cli", "run", "--no-dask", "--catalog", str(catalog), "--out",
           str(out),
           "--until", "phasespace", "--set", "run.partition_rows=150", "--set", "phasespace.n_draws=300"]
    markers = out / "_state" / "default" / "phasespace"
    _kill_after(cmd, markers, 3)
    n_part = len(list((ref / "phasespace").glob("*.parquet")))
    done_before = len(list(markers.glob("*.json")))
    assert 0 < done_before < n_part
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"phasespace: {n_part - done_before} of {n_part} partitions to compute" in r.stderr
    _assert_identical(_read_all(ref), _read_all(out))


def _bytes(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for s in STAGES_UNDER_TEST
        for p in sorted((out / s).glob("*.parquet"))
    }


@pytest.mark.slow
def test_kill_minus_9_of_the_client_with_a_local_cluster(tmp_path, catalog):
    """The client process (with its LocalCluster) killed mid-stage; the same command resumes and the files
    are byte-identical to an uninterrupted run's."""
    sets = ["--set", "run.partition_rows=150", "--set", "phasespace.n_draws=300", "--set",
            "cluster.dashboard_address=:0"]

    def cmd(out, until):
        return [sys.executable, "-m", "mwdisk.cli", "run", "--workers", "2", "--catalog", str(catalog),
                "--out",
                str(out), "--until", until, *sets]

    ref = tmp_path / "ref"
    for until in ("extinction", "phasespace"):
        assert subprocess.run(cmd(ref, until), capture_output=True).returncode == 0
    out = tmp_path / "killed"
    assert subprocess.run(cmd(out, "extinction"), capture_output=True).returncode == 0
    markers = out / "_state" / "default" / "phasespace"
    _kill_after(cmd(out, "phasespace"), markers, 2)
    done_before = len(list(markers.glob("*.json")))
    r = subprocess.run(cmd(out, "phasespace"), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    n_part = len(list((ref / "phasespace").glob("*.parquet")))
    assert done_before < n_part
    assert f"phasespace: {n_part - done_before} of {n_part} partitions to compute" in r.stderr
    assert _bytes(ref) == _bytes(out)


def test_dashboard_is_served_and_recorded(tmp_path):
    import urllib.request

    from mwdisk.pipelines.clusters import start_client

    cfg = load_config(overrides=["cluster.dashboard_address=:0", "cluster.n_workers=1"])
    client, cluster = start_client(cfg["cluster"], tmp_path)
    try:
        link = client.dashboard_link
        assert (tmp_path / "dashboard.txt").read_text().strip() == link
        with urllib.request.urlopen(link, timeout=30) as resp:
            assert resp.status == 200
            assert b"Dask" in resp.read()
    finally:
        client.close()
        cluster.close()


def test_progress_in_a_log_file_has_no_control_characters(caplog):
    import logging

    from mwdisk.pipelines.progress import track

    with caplog.at_level(logging.INFO, logger="mwdisk"):
        assert list(track(range(25), 25, "stage")) == list(range(25))
    text = caplog.text
    assert "stage: 25/25 partitions" in text and "\r" not in text and "\x1b" not in text
    assert 3 <= len(caplog.records) <= 12  # about every 10 %, not one line per item
