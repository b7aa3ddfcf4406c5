"""Dask clusters: a LocalCluster by default, a dask-jobqueue cluster from a named profile, or an address.

Profiles are YAML files in ``deploy/`` (installed as ``mwdisk.deploy``), chosen by name as dask-jobqueue's
``config_name`` does: ``mwdisk run --cluster gravity-slurm``. A profile has ``kind`` (slurm or pbs),
``minimum_jobs`` / ``maximum_jobs`` for adaptive scaling, and a ``jobqueue`` mapping of dask-jobqueue keys,
laid over dask-jobqueue's own defaults for that kind. Extra profile folders can be given with the
``MWDISK_DEPLOY`` environment variable (searched first).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ClusterProfile", "find_profile", "list_profiles", "make_jobqueue_cluster", "start_client"]

logger = logging.getLogger(__name__)

_KINDS = {"slurm": "SLURMCluster", "pbs": "PBSCluster"}


@dataclass
class ClusterProfile:
    name: str
    kind: str
    minimum_jobs: int
    maximum_jobs: int
    jobqueue: dict
    path: Path


def _profile_dirs() -> list[Path]:
    dirs = [Path(p) for p in os.environ.get("MWDISK_DEPLOY", "").split(os.pathsep) if p]
    dirs.append(Path(str(resources.files("mwdisk.deploy"))))
    return dirs


def list_profiles() -> list[str]:
    names: list[str] = []
    for d in _profile_dirs():
        if d.is_dir():
            names += [p.stem for p in sorted(d.glob("*.yaml")) if p.stem not in names]
    return names


def find_profile(name: str) -> ClusterProfile:
    """Load the profile ``name`` (``deploy/<name>.yaml``); the error lists the profiles there are."""
    for d in _profile_dirs():
        p = d / f"{name}.yaml"
        if p.is_file():
            raw = yaml.safe_load(p.read_text()) or {}
            kind = raw.get("kind")
            if kind not in _KINDS:
                raise ValueError(f"cluster profile {p}: kind must be one of {sorted(_KINDS)}, got {kind!r}")
            return ClusterProfile(
                name=name,
                kind=kind,
                minimum_jobs=int(raw.get("minimum_jobs", 1)),
                maximum_jobs=int(raw.get("maximum_jobs", 1)),
                jobqueue=dict(raw.get("jobqueue") or {}),
                path=p,
            )
    raise ValueError(
        f"no cluster profile named {name!r}; profiles: {', '.join(list_profiles()) or 'none'} "
        f"(add deploy/{name}.yaml, or a folder of profiles in MWDISK_DEPLOY; 'local' gives a LocalCluster)"
    )


def make_jobqueue_cluster(profile: ClusterProfile, preview: bool = False, **overrides: Any):
    """The dask-jobqueue cluster of a profile (jobs are not submitted until it is scaled).

    ``preview=True`` binds the scheduler to loopback, so the job script can be shown on a machine without
    the profile's network interface (a laptop); the workers' lines are unchanged.
    """
    import dask
    import dask_jobqueue

    base = dict(dask.config.get(f"jobqueue.{profile.kind}"))
    base.update(profile.jobqueue)
    dask.config.set({f"jobqueue.{profile.name}": base})
    cls = getattr(dask_jobqueue, _KINDS[profile.kind])
    if preview:
        overrides.setdefault("scheduler_options", {"host": "127.0.0.1", "dashboard_address": ":0"})
    return cls(config_name=profile.name, **overrides)


def start_client(cluster_cfg: dict, out: Path | None = None):
    """Start the run's cluster and client from the ``cluster`` config section.

    ``name`` is ``local`` (a LocalCluster of ``n_workers`` single-threaded workers), a profile name, or a
    scheduler address (``tcp://...``). The dashboard link is logged and written to ``OUT/dashboard.txt``.

    Returns
    -------
    (client, cluster): cluster is None for an existing scheduler.
    """
    import dask
    from distributed import Client, LocalCluster

    # the scheduler's and workers' INFO chatter drowns the run's own log; warnings still show
    quiet = {"distributed.logging.distributed": "warning", "distributed.logging.bokeh": "error"}
    dask.config.set(quiet)
    for noisy in ("distributed", "bokeh", "tornado"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    name = cluster_cfg["name"]
    cluster = None
    if name == "local":
        cluster = LocalCluster(
            n_workers=int(cluster_cfg["n_workers"]),
            threads_per_worker=int(cluster_cfg["threads_per_worker"]),
            memory_limit=cluster_cfg["memory_limit"],
            dashboard_address=cluster_cfg["dashboard_address"],
            processes=True,
        )
        client = Client(cluster)
    elif "://" in name:
        client = Client(name)
    else:
        profile = find_profile(name)
        cluster = make_jobqueue_cluster(profile)
        cluster.adapt(minimum_jobs=profile.minimum_jobs, maximum_jobs=profile.maximum_jobs)
        client = Client(cluster)
    link = client.dashboard_link
    logger.info("Dask dashboard: %s", link)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "dashboard.txt").write_text(f"{link}\n")
    return client, cluster
