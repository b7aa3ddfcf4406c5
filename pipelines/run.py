"""``mwdisk run``: from a catalogue (or the built-in mock) through every stage a target needs."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mwdisk.stages import STAGES, stage_order

from .ingest import input_files, run_ingest
from .provenance import record_timing, write_provenance
from .runner import run_partition_stage

__all__ = ["run_pipeline"]

logger = logging.getLogger("mwdisk")


def _stage_runner(name: str):
    kind = STAGES[name].kind
    if kind == "partition":
        return run_partition_stage
    if name == "gradients":
        from .gradients import run_gradients

        return run_gradients
    if name == "report":
        from .report import run_report

        return run_report
    raise ValueError(name)


def run_pipeline(cfg: dict, until: str | None = None, force: bool = False, client=None) -> dict:
    """Run the stages that ``until`` needs (all when None) on ``cfg``; returns per-stage summaries.

    A cluster is started from ``cfg["cluster"]`` unless a ``client`` is given (``client=False`` runs every
    partition in this process, without Dask).
    """
    out = Path(cfg["run"]["out"])
    out.mkdir(parents=True, exist_ok=True)
    order = stage_order(until)
    own_cluster = None
    if client is None:
        from .clusters import start_client

        client, own_cluster = start_client(cfg["cluster"], out)
        print(f"Dask dashboard: {client.dashboard_link}", flush=True)
    elif client is False:
        client = None
    t0 = time.time()
    summaries: dict[str, dict] = {}
    try:
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
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
    logger.info("finished %s in %.1f s; outputs in %s", " -> ".join(order), time.time() - t0, out)
    return summaries
