"""Run per-star stages over their partitions, skipping finished ones.

A stage's cache key (:func:`mwdisk.stages.partition_key`: its parameters and its inputs' keys) is computed
once on the client. The pending partitions (no done marker with that key) are mapped through the run's
:class:`~.executor.Executor` (``client.map`` of :func:`mwdisk.stages.process_partition`, or a plain loop):
each task reads its inputs, runs the stage's adapter, writes its partition atomically and marks it done. The
stage's own marker is removed before any partition is recomputed and written after the last one, so downstream
stages key on finished outputs only. A rerun, or a run after a crash or ``kill -9``, computes only what is
missing; outputs are deterministic, so the result is the same as an uninterrupted run.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mwdisk.layout import RunLayout, Variant
from mwdisk.stages import (
    STAGES,
    clear_stage_marker,
    is_done,
    partition_key,
    process_partition,
    read_stage_marker,
    variant_label,
    write_stage_marker,
)

from .executor import as_executor
from .progress import track

__all__ = ["run_partition_stage", "pending_partitions"]

logger = logging.getLogger(__name__)


def pending_partitions(name: str, out: Path, cfg: dict, variant: Variant | None, force: bool,
                       digest: str | None = None) -> list[int]:
    """Partitions of stage ``name`` without a done marker carrying the stage's current key."""
    layout = RunLayout(out)
    label = variant_label(name, cfg, variant)
    digest = digest or partition_key(layout, name, cfg, variant)
    n = layout.n_partitions()
    return [i for i in range(n) if force or not is_done(layout, name, i, label, digest)]


def run_partition_stage(client, name: str, cfg: dict, out: str | Path, variant: Variant | None = None,
                        force: bool = False) -> dict:
    """Run per-star stage ``name`` on every pending partition; returns a timing summary.

    ``client`` is a ``distributed.Client``, or ``None`` to run the partitions one after another in this
    process.
    """
    out = Path(out)
    spec = STAGES[name]
    if spec.kind != "partition":
        raise ValueError(f"stage {name!r} is not a per-partition stage")
    ex = as_executor(client)
    layout = RunLayout(out)
    label = variant_label(name, cfg, variant)
    digest = partition_key(layout, name, cfg, variant)
    pending = pending_partitions(name, out, cfg, variant, force, digest)
    n = layout.n_partitions()
    desc = name if label == "default" else f"{name} [{label}]"
    marker = read_stage_marker(layout, name, label)
    if not pending and marker is not None and marker.get("key") == digest:
        logger.info("%s: all %d partitions already done, skipped", desc, n)
        return {"stage": name, "variant": label, "partitions": n, "computed": 0, "seconds": 0.0}
    t0 = time.time()
    clear_stage_marker(layout, name, label)
    _remove_beyond(layout, name, label, n)
    if pending:
        logger.info("%s: %d of %d partitions to compute", desc, len(pending), n)
        results = ex.map(process_partition, [name] * len(pending), [str(out)] * len(pending), pending,
                         cfg=cfg, variant=variant, digest=digest)
        for _ in track(results, len(pending), desc):
            pass
    dt = time.time() - t0
    write_stage_marker(layout, name, label, digest, partitions=n, computed=len(pending), seconds=round(dt, 2))
    return {"stage": name, "variant": label, "partitions": n, "computed": len(pending), "seconds": round(dt,
                                                                                                         2)}


def _remove_beyond(layout: RunLayout, name: str, label: str, n: int) -> None:
    """Partition files and markers numbered ``n`` or more: left by an ingest of more partitions, stale now."""
    for folder, pattern in ((layout.stage_dir(name, label), "part-*.parquet"),
                            (layout.marker(name, 0, label).parent, "part-*.json")):
        for f in folder.glob(pattern):
            if int(f.name.split("-")[1].split(".")[0]) >= n:
                f.unlink()
