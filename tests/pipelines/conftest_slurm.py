"""Fixtures and helpers for tests on the real single-node SLURM of ``deploy/slurm/start.sh``.

Not a conftest of its own (pytest does not load it by name): a test module or ``tests/pipelines/conftest.py``
imports it with ``from .conftest_slurm import slurm_client  # noqa: F401``.

``slurm_client`` is a session-wide ``distributed.Client`` on a ``SLURMCluster`` made from the profile
``local-test-slurm`` (``deploy/local-test-slurm.yaml``) and scaled to 2 single-core jobs. The cluster is held
in a module-level singleton, so one SLURMCluster serves the session even if the fixture is imported in more
than one place. Tests that disturb it (cancel a job, release the jobs for a cluster of their own) leave it as
they found it with :func:`ensure_slurm_workers`.

The SLURM must be running and ``SLURM_CONF`` exported (``.ci/run`` does both); when ``SLURM_CONF`` is unset,
the state folder of ``start.sh`` (``$MWDISK_SLURM_DIR`` or ``/tmp/mwdisk-slurm``) is used if it holds a
``slurm.conf``. Tests are skipped unless ``MWDISK_TEST_SLURM=1``; with it set, a SLURM that cannot be reached
is a failure, not a skip.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

__all__ = [
    "PROFILE",
    "N_JOBS",
    "SKIP_UNLESS_SLURM",
    "slurm_client",
    "make_test_cluster",
    "ensure_slurm_workers",
    "release_slurm_jobs",
    "worker_job_ids",
    "squeue_jobs",
]

PROFILE = "local-test-slurm"
N_JOBS = 2
WAIT_S = 120

SKIP_UNLESS_SLURM = pytest.mark.skipif(
    os.environ.get("MWDISK_TEST_SLURM") != "1",
    reason="needs the single-node SLURM of deploy/slurm/start.sh: run it, eval its export line, "
    "and set MWDISK_TEST_SLURM=1 (.ci/run does)",
)

_SESSION: dict = {}


def _check_slurm() -> None:
    if not os.environ.get("SLURM_CONF"):
        conf = Path(os.environ.get("MWDISK_SLURM_DIR", "/tmp/mwdisk-slurm")) / "slurm.conf"
        if conf.is_file():
            os.environ["SLURM_CONF"] = str(conf)
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%P %a %D %t"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        pytest.fail(f"MWDISK_TEST_SLURM=1 but sinfo does not run ({e}); start deploy/slurm/start.sh first")
    if out.returncode != 0 or "debug" not in out.stdout:
        pytest.fail(
            f"MWDISK_TEST_SLURM=1 but the SLURM does not answer with a partition 'debug' "
            f"(SLURM_CONF={os.environ.get('SLURM_CONF')!r}, "
            f"sinfo: {out.stdout.strip()!r} {out.stderr.strip()!r});"
            " run deploy/slurm/start.sh and export the SLURM_CONF line it prints"
        )


def make_test_cluster(log_dir: Path, **overrides):
    """A SLURMCluster of the ``local-test-slurm`` profile (no jobs yet), its job logs under ``log_dir``.

    ``overrides`` go to the SLURMCluster constructor (e.g. ``worker_extra_args``). The dashboard gets a free
    port, so runs of other sessions on :8787 do not collide.
    """
    from mwdisk.pipelines.clusters import find_profile, make_jobqueue_cluster

    overrides.setdefault("log_directory", str(log_dir))
    overrides.setdefault("scheduler_options", {"dashboard_address": ":0"})
    return make_jobqueue_cluster(find_profile(PROFILE), **overrides)


def squeue_jobs() -> dict[str, str]:
    """Job id -> state of the jobs in the queue (``squeue``)."""
    out = subprocess.run(["squeue", "-h", "-o", "%i %T"], capture_output=True, text=True, timeout=20,
                         check=True)
    return dict(line.split() for line in out.stdout.splitlines() if line.strip())


def worker_job_ids(client) -> dict[str, str]:
    """Worker address -> the SLURM job it runs in, as the worker process itself sees it (SLURM_JOB_ID)."""
    return client.run(lambda: os.environ.get("SLURM_JOB_ID"))


def ensure_slurm_workers(client, n: int = N_JOBS, timeout_s: float = WAIT_S) -> None:
    """Bring the cluster of ``client`` back to ``n`` connected workers, one per running job.

    A job that was cancelled stays in the cluster's records until distributed's ``lost-worker-timeout``
    (15 s by default) drops it; only then does ``scale`` submit a replacement, so this waits for that.
    """
    cluster = client.cluster
    t_end = time.monotonic() + timeout_s
    last_scale = -1e9
    while time.monotonic() < t_end:
        n_connected = len(client.scheduler_info(n_workers=-1)["workers"])
        if n_connected == n and len(cluster.workers) == n:
            return
        # a lost job leaves cluster.workers after lost-worker-timeout; scale() then submits the missing one
        if len(cluster.workers) < n and time.monotonic() - last_scale > 5:
            cluster.scale(jobs=n)
            last_scale = time.monotonic()
        time.sleep(0.5)
    raise AssertionError(
        f"the SLURM test cluster did not get back to {n} workers in {timeout_s} s: "
        f"scheduler has {len(client.scheduler_info(n_workers=-1)['workers'])}, cluster records "
        f"{sorted(cluster.workers)}, squeue {squeue_jobs()}"
    )


def release_slurm_jobs(client, timeout_s: float = 60) -> None:
    """Cancel the jobs of the session cluster and wait until they leave the queue (frees the node's CPUs)."""
    cluster = client.cluster
    ids = {str(j.job_id) for j in cluster.workers.values() if j.job_id}
    cluster.scale(0)
    t_end = time.monotonic() + timeout_s
    while time.monotonic() < t_end:
        if not ids & set(squeue_jobs()):
            return
        time.sleep(0.5)
    raise AssertionError(f"jobs {sorted(ids)} of the SLURM test cluster still queued after {timeout_s} s")


@pytest.fixture(scope="session")
def slurm_client(tmp_path_factory):
    """A Client on a SLURMCluster of the ``local-test-slurm`` profile with 2 single-core jobs connected."""
    if os.environ.get("MWDISK_TEST_SLURM") != "1":
        pytest.skip(SKIP_UNLESS_SLURM.kwargs["reason"])
    _check_slurm()
    if "client" not in _SESSION:
        from distributed import Client

        cluster = make_test_cluster(tmp_path_factory.mktemp("slurm-logs"))
        cluster.scale(jobs=N_JOBS)
        client = Client(cluster)
        _SESSION.update(cluster=cluster, client=client)
        client.wait_for_workers(N_JOBS, timeout=WAIT_S)
    else:
        ensure_slurm_workers(_SESSION["client"])
    yield _SESSION["client"]
    # teardown once, whichever import of this fixture finishes last
    if "client" in _SESSION:
        client, cluster = _SESSION.pop("client"), _SESSION.pop("cluster")
        client.close()
        cluster.close()
