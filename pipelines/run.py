"""``mwdisk run``: from a catalogue (or the built-in mock) through every stage a target needs.

Every stage runs through the same pieces: its parameters (:func:`mwdisk.stages.stage_params`, the only
configuration it sees), its cache key (parameters, inputs' keys, input files' checksums), one executor
(:mod:`.executor`) and one marker scheme under ``OUT/_state/``. The run holds ``OUT/_state/run.lock``
(:mod:`.lock`): a second run on the same ``--out`` is refused.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from mwdisk.layout import RunLayout
from mwdisk.stages import (
    STAGES,
    clear_stage_marker,
    input_keys,
    read_stage_marker,
    stage_key,
    stage_order,
    stage_params,
    write_stage_marker,
)

from .ingest import file_checksums, input_files, run_ingest
from .lock import run_lock
from .provenance import record_timing, write_provenance
from .runner import run_partition_stage
from .summary import stage_health

__all__ = ["run_pipeline", "with_client", "run_report_stage", "report_inputs"]

logger = logging.getLogger("mwdisk")


def report_inputs(out: Path) -> dict[str, str]:
    """Checksums of the files the report draws besides the stage folders: the tables (a sweep adds rows to
    them) and what ``mwdisk validate`` wrote."""
    files = [out / n for n in ("gradients.csv", "trends.csv", "cuts.csv")]
    if (out / "validation").is_dir():
        files += sorted(p for p in (out / "validation").rglob("*") if p.is_file())
    return {k[len(str(out)) + 1:]: v for k, v in file_checksums([f for f in files if f.is_file()]).items()}


def run_report_stage(cfg: dict, client=None, name: str = "report", out=None, force: bool = False) -> dict:
    """Figures and OUT/report.html from the finished tables; skipped when its key has not changed.

    The report reads the whole configuration (it shows it), the gradients stage's key and the checksums of
    the tables (:func:`report_inputs`).
    """
    from mwdisk.report import write_report

    out = Path(cfg["run"]["out"])
    layout = RunLayout(out)
    params = stage_params("report", cfg)
    digest = stage_key("report", params, input_keys(layout, "report", cfg), report_inputs(out))
    marker = read_stage_marker(layout, "report")
    if not force and marker is not None and marker.get("key") == digest and (out / "report.html").is_file():
        logger.info("report: already done, skipped")
        return {"stage": "report", "computed": 0, "seconds": 0.0}
    with run_lock(out):
        t0 = time.time()
        clear_stage_marker(layout, "report")
        write_report(out, injected=_injected(params))
        dt = round(time.time() - t0, 2)
        write_stage_marker(layout, "report", "default", digest, seconds=dt)
    return {"stage": "report", "computed": 1, "seconds": dt}


def _injected(params) -> dict | None:
    """The mock's injected gradient law, when the run is on the built-in mock."""
    if params["run"]["catalog"]:
        return None
    m = params["mock"]
    return {k: m[k] for k in ("thin_gradient", "thin_flattening", "thick_gradient")}


def _stage_runner(name: str) -> Callable:
    if STAGES[name].kind == "partition":
        return run_partition_stage
    if name == "gradients":
        from .gradients import run_gradients

        return run_gradients
    return lambda client, name, cfg, out, force=False: run_report_stage(cfg, force=force)


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

    ``client``: a ``distributed.Client`` to use; ``False`` runs every task in this process, without Dask;
    ``None`` (the default, and only here) starts the cluster of ``cfg["cluster"]``. The summaries list the
    mock (when the run is on it) and each stage run, with ``computed`` 0 for a stage that was up to date.

    Raises
    ------
    mwdisk.pipelines.lock.RunLockedError
        When another run is writing to the same ``run.out`` (checked before a cluster is started).
    """
    out = Path(cfg["run"]["out"])
    with run_lock(out):
        if client is None:
            return with_client(cfg, lambda c: run_pipeline(cfg, until, force, c if c is not None else False))
        client = None if client is False else client
        out.mkdir(parents=True, exist_ok=True)
        order = stage_order(until)
        t0 = time.time()
        summaries: dict[str, dict] = {}
        catalog = cfg["run"]["catalog"]
        if catalog is None:
            from .mock import ensure_mock

            before = read_stage_marker(RunLayout(out), "mock") or {}
            catalog = ensure_mock(client, cfg, out / "mock", state=out / "_state")
            after = read_stage_marker(RunLayout(out), "mock") or {}
            fresh = after.get("written_ns") != before.get("written_ns")
            summaries["mock"] = {"stage": "mock", "partitions": after.get("partitions"),
                                 "computed": after.get("computed", 0) if fresh else 0,
                                 "seconds": after.get("seconds", 0.0) if fresh else 0.0}
            record_timing(out, summaries["mock"])
        files = input_files(catalog)
        checksums = file_checksums(files)
        write_provenance(out, cfg, files, checksums)
        for name in order:
            if name == "ingest":
                s = run_ingest(client, cfg, catalog, out, force=force, checksums=checksums)
            else:
                s = _stage_runner(name)(client, name, cfg, out, force=force)
            summaries[name] = s
            record_timing(out, s)
        for line in stage_health(cfg, order):
            logger.warning(line)
        logger.info("finished %s in %.1f s; outputs in %s", " -> ".join(order), time.time() - t0, out)
        return summaries
