"""Job scripts of the deploy/ profiles, line by line (no batch system needed)."""

import pytest

from mwdisk.pipelines.clusters import find_profile, list_profiles, make_jobqueue_cluster


def _script(name):
    cluster = make_jobqueue_cluster(find_profile(name), preview=True)
    try:
        return cluster.job_script()
    finally:
        cluster.close()


def test_profiles_listed():
    assert {"gravity-slurm", "pbs-example", "local-test-slurm"} <= set(list_profiles())


def test_gravity_slurm_job_script():
    lines = _script("gravity-slurm").splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    for want in ("#SBATCH -J mwdisk-worker", "#SBATCH -p normal", "#SBATCH -n 1",
                 "#SBATCH --cpus-per-task=16",
                 "#SBATCH --mem=60G", "#SBATCH -t 04:00:00", "#SBATCH --exclusive",
                 "module load python 2>/dev/null || true"):
        assert want in lines, want
    cmd = [ln for ln in lines if "distributed.cli.dask_worker" in ln]
    assert len(cmd) == 1
    c = cmd[0]
    # 16 single-threaded workers sharing the job's memory; lifetime shorter than the walltime, staggered
    assert "--nworkers 16" in c and "--nthreads 1" in c
    assert "--memory-limit 3.75GiB" in c
    assert "--lifetime 220m --lifetime-stagger 10m" in c and "--lifetime-restart" not in c
    assert "--interface ib0" in c and "--local-directory $TMPDIR" in c


def test_pbs_job_script():
    lines = _script("pbs-example").splitlines()
    for want in ("#PBS -N mwdisk-worker", "#PBS -q workq", "#PBS -l select=1:ncpus=24:mem=90GB",
                 "#PBS -l walltime=04:00:00"):
        assert want in lines, want
    assert any("--nworkers 24" in ln and "--memory-limit 3.75GiB" in ln for ln in lines)


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ValueError, match="no cluster profile named 'nope'; profiles: .*gravity-slurm"):
        find_profile("nope")
