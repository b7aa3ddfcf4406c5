"""Dask on a real single-node SLURM (issue 11): jobs, workers, a cancelled job and expiring worker lifetimes.

Needs the SLURM of ``deploy/slurm/start.sh`` and ``MWDISK_TEST_SLURM=1`` (``.ci/run`` sets both up); skipped
with the reason otherwise. The computations are plain Dask on sleeping tasks that return deterministic
values, so a lost worker can only show up as a wrong or missing result, never as noise.
"""

from __future__ import annotations

import subprocess
import time

import dask
import pytest

from .conftest_slurm import (  # noqa: F401  (slurm_client is a fixture)
    N_JOBS,
    SKIP_UNLESS_SLURM,
    WAIT_S,
    ensure_slurm_workers,
    make_test_cluster,
    release_slurm_jobs,
    squeue_jobs,
    worker_job_ids,
)

pytestmark = [pytest.mark.slurm, SKIP_UNLESS_SLURM]


def _tasks():
    """(value, total) task functions. Defined locally, so they are pickled by value for the workers."""

    def value(i, delay_s):
        time.sleep(delay_s)
        return (i * 7919) % 1009 + i * i

    def total(values):
        return sum(values)

    return value, total


def _expected(n):
    return [(i * 7919) % 1009 + i * i for i in range(n)]


def _submit(client, n, delay_s):
    value, total = _tasks()
    futs = client.map(value, range(n), delay_s=delay_s, pure=False)
    return futs, client.submit(total, futs, pure=False)


def _removals(client, since):
    """The scheduler's remove-worker events after the time ``since``."""
    return [msg for t, msg in client.get_events("all") if t >= since and msg.get("action") == "remove-worker"]


def test_two_single_core_jobs_compute(slurm_client):
    client = slurm_client
    workers = client.scheduler_info(n_workers=-1)["workers"]
    assert len(workers) == N_JOBS
    # each worker runs inside its own SLURM job, and squeue shows those jobs running
    jobs = worker_job_ids(client)
    assert None not in jobs.values() and len(set(jobs.values())) == N_JOBS
    queue = squeue_jobs()
    assert all(queue.get(j) == "RUNNING" for j in jobs.values()), (jobs, queue)
    assert {str(j.job_id) for j in client.cluster.workers.values()} == set(jobs.values())
    # one single-threaded worker per single-core job
    assert all(w["nthreads"] == 1 for w in workers.values())

    # a computation runs on both: one task pinned to each worker, then a map spread over them
    value, total = _tasks()
    pinned = {a: client.submit(value, k, 0.1, workers=[a], allow_other_workers=False, pure=False)
              for k, a in enumerate(sorted(workers))}
    assert [f.result(timeout=WAIT_S) for f in pinned.values()] == _expected(N_JOBS)
    futs, tot = _submit(client, 12, 0.3)
    assert client.gather(futs) == _expected(12)
    assert tot.result(timeout=WAIT_S) == sum(_expected(12))
    where = {a for a, keys in client.who_has(futs).items() for a in keys}
    assert where == set(workers), where


def test_scancel_of_a_worker_job_mid_computation(slurm_client):
    client = slurm_client
    jobs = worker_job_ids(client)
    n, delay_s = 24, 1.0
    t0 = time.time()
    # a short lost-worker-timeout lets the cluster notice the cancelled job, and be topped up, sooner
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "2s"}):
        futs, tot = _submit(client, n, delay_s)
        # wait until the victim holds finished results and is running more: cancelling it loses both
        victim = None
        t_end = time.monotonic() + WAIT_S
        while victim is None and time.monotonic() < t_end:
            held, running = client.has_what(), client.processing()
            for a in sorted(jobs):
                if len(held.get(a, ())) >= 2 and running.get(a):
                    victim = a
                    break
            time.sleep(0.2)
        assert victim is not None, "no worker held results while computing: nothing to cancel mid-run"
        subprocess.run(["scancel", jobs[victim]], check=True, timeout=30)

        # the computation completes on what is left, with the same results
        assert tot.result(timeout=WAIT_S) == sum(_expected(n))
        assert client.gather(futs) == _expected(n)

        # the victim really was lost mid-run: the scheduler removed it with tasks in flight or results lost
        gone = [m for m in _removals(client, t0) if m.get("worker") == victim]
        assert gone, f"no remove-worker event for the cancelled job's worker {victim}"
        assert gone[0]["processing-tasks"] or gone[0]["lost-computed-tasks"], gone[0]
        assert victim not in client.scheduler_info(n_workers=-1)["workers"]
        t_end = time.monotonic() + 30
        while jobs[victim] in squeue_jobs() and time.monotonic() < t_end:
            time.sleep(0.5)
        assert jobs[victim] not in squeue_jobs()

        # leave the session cluster as it was: a new job replaces the cancelled one
        ensure_slurm_workers(client)
    assert jobs[victim] not in worker_job_ids(client).values()


@pytest.mark.parametrize("restart", [True, False], ids=["lifetime-restart", "new-job"])
def test_worker_lifetime_expiring_mid_run_is_replaced(slurm_client, tmp_path, restart):
    """A worker that reaches its --lifetime mid-run retires gracefully and is replaced; nothing is lost.

    ``lifetime-restart``: --lifetime-restart, the job's nanny starts a new worker in the same job.
    ``new-job``: the job ends with its worker and adaptive scaling (minimum = maximum = 2 jobs) submits a new
    one, as a cluster run must do when the lifetime is there to leave before the walltime.

    The two jobs start ~10 s apart, so their lifetimes end ~10 s apart and one worker is always there to take
    the data of the one retiring (with 2 workers retiring together the data would go, and be recomputed).
    The 20 s lifetime is above distributed's lost-worker-timeout (15 s) plus a restart (~4 s): SLURMCluster
    cancels a job whose worker name is absent 15 s after an earlier removal of that name, so shorter
    lifetimes with --lifetime-restart get jobs cancelled while they only restart their worker. For
    ``new-job`` the test lowers lost-worker-timeout to 2 s so the ended job is replaced within seconds.
    """
    from distributed import Client

    args = ["--lifetime", "20s", "--lifetime-stagger", "0s"] + (["--lifetime-restart"] if restart else [])
    release_slurm_jobs(slurm_client)  # the node has 2 CPUs: this test's cluster needs both
    timeout = "15s" if restart else "2s"
    with dask.config.set({"distributed.deploy.lost-worker-timeout": timeout}):
        cluster = make_test_cluster(tmp_path, worker_extra_args=args)
        try:
            cluster.scale(jobs=1)
            with Client(cluster) as client:
                client.wait_for_workers(1, timeout=WAIT_S)
                time.sleep(8)
                cluster.adapt(minimum_jobs=N_JOBS, maximum_jobs=N_JOBS)
                client.wait_for_workers(N_JOBS, timeout=WAIT_S)
                jobs_before = set(worker_job_ids(client).values())
                t0 = time.time()
                n, delay_s = 50, 1.0  # >= 25 s of work on 2 workers: both lifetimes end mid-run
                futs, tot = _submit(client, n, delay_s)
                assert tot.result(timeout=WAIT_S) == sum(_expected(n))
                assert client.gather(futs) == _expected(n)
                t1 = time.time()

                events = [(t, m) for t, m in client.get_events("all") if t0 <= t <= t1]
                retired = [m for _, m in events if m.get("action") == "remove-worker"]
                assert len(retired) >= 2, f"fewer than 2 workers reached their lifetime mid-run: {retired}"
                assert all("close-gracefully" in str(m.get("stimulus_id")) for m in retired), retired
                # graceful: each leaving worker handed its results to the other, none had to be recomputed
                assert all(not m["lost-computed-tasks"] for m in retired), retired
                assert sum(m.get("action") == "add-worker" for _, m in events) >= 1, "no worker replaced"
                client.wait_for_workers(N_JOBS, timeout=WAIT_S)
                if not restart:
                    # the jobs whose lifetime ended are gone, and new jobs run the replacement workers
                    jobs_after = set(worker_job_ids(client).values())
                    assert jobs_after - jobs_before, (jobs_before, jobs_after)
                    assert not jobs_before & set(squeue_jobs()), (jobs_before, squeue_jobs())
        finally:
            cluster.close()
    ensure_slurm_workers(slurm_client)
