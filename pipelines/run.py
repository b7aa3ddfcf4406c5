"""``mwdisk run``: from a catalogue (or the built-in mock) through every stage a target needs."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from mwdisk.stages import STAGES, stage_order

from .ingest import input_files, run_ingest
from .provenance import record_timing, write_provenance
from .runner import run_partition_stage
from .summary import stage_health

__all__ = ["run_pipeline", "with_client", "run_report_stage"]

logger = logging.getLogger("mwdisk")


def run_report_stage(cfg: dict, client=None, name: str = "report", out=None, force: bool = False) -> dict:
    """Figures and OUT/report.html from the finished tables (cheap: always redone)."""
    from mwdisk.report import write_report

    t0 = time.time()
    write_report(Path(cfg["run"]["out"]), injected=_injected(cfg))
    return {"stage": "report", "computed": 1, "seconds": round(time.time() - t0, 2)}


def _injected(cfg: dict) -> dict | None:
    """The mock's injected gradient law, when the run is on the built-in mock."""
    if cfg["run"]["catalog"]:
        return None
    m = cfg["mock"]
    return {k: m[k] for k in ("thin_gradient", "thin_flattening", "thick_gradient")}


def _stage_runner(name: str) -> Callable:
    if STAGES[name].kind == "partition":
        return run_partition_stage
    if name == "gradients":
        from .gradients import run_gradients

        return run_gradients
    return lambda client, name, cfg, out, force=False: run_report_stage(cfg)


def with_client(cfg: dict, job: Callable, no_dask: bool = False):
    """Call ``job(client)`` with the run's cluster (or ``None`` without Dask), closing what it started."""
    if no_dask:
        return job(None)
    from .clusters import start_client

    out = Path(cfg["run"]["out"])
    client, cluster = start_client(cfg["cluster"], out)
    print(f"Dask dashboard: {client.dashboard_link}", flush=True)
    try:
        return job(client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_pipeline(cfg: dict, until: str | None = None, force: bool = False, client=None) -> dict:
    """Run the stages that ``until`` needs (all when None) on ``cfg``; returns per-stage summaries.

    A cluster is started from ``cfg["cluster"]`` unless a ``client`` is given; ``client=False`` runs every
    partition in this process, without Dask.
    """
    if client is None:
        return with_client(cfg, lambda c: run_pipeline(cfg, until, force, c))
    client = None if client is False else client
    out = Path(cfg["run"]["out"])
    out.mkdir(parents=True, exist_ok=True)
    order = stage_order(until)
    t0 = time.time()
    summaries: dict[str, dict] = {}
    catalog = cfg["run"]["catalog"]
    if catalog is None:
        from .mock import ensure_mock

        catalog = ensure_mock(client, cfg, out / "mock")
    write_provenance(out, cfg, input_files(catalog))
    for name in order:
        if name == "ingest":
            s = run_ingest(client, cfg, catalog, out, force=force)
        else:
            s = _stage_runner(name)(client, name, cfg, out, force=force)
        summaries[name] = s
        record_timing(out, s)
    for line in stage_health(cfg, order):
        logger.warning(line)
    logger.info("finished %s in %.1f s; outputs in %s", " -> ".join(order), time.time() - t0, out)
    return summaries
