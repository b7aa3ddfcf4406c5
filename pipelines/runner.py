"""Run per-star stages over a Dask dataframe of partitions, skipping finished ones.

For a stage, the pending partitions (no done marker with the current configuration hash) become a Dask
dataframe (``from_map`` of the partition loader, one Dask partition per ingest partition); the stage's
adapter runs through ``map_partitions`` with a declared ``meta``; each result partition is written
atomically and marked done. A rerun, or a run after a crash or ``kill -9``, computes only what is missing;
outputs are deterministic, so the result is the same as an uninterrupted run.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import dask
import dask.dataframe as dd
import pyarrow.parquet as pq

from mwdisk.layout import RunLayout, Variant
from mwdisk.stages import (
    STAGES,
    compute_partition,
    default_variant,
    is_done,
    mark_done,
    process_partition,
    read_partition_inputs,
    stage_hash,
    write_partition,
)

from .progress import track

__all__ = ["run_partition_stage", "pending_partitions"]

logger = logging.getLogger(__name__)


def pending_partitions(name: str, out: Path, cfg: dict, variant: Variant | None, force: bool) -> list[int]:
    layout = RunLayout(out, default_variant(cfg))
    label = layout.variant_label(variant, STAGES[name].depends)
    digest = stage_hash(name, cfg, variant)
    n = layout.n_partitions()
    return [i for i in range(n) if force or not is_done(layout, name, i, label, digest)]


def _empty_inputs(layout: RunLayout, name: str, variant: Variant | None):
    """Zero-row frame with the columns and dtypes of a stage's inputs, read from parquet schemas only."""
    import pandas as pd

    spec = STAGES[name]
    frames = [pq.read_schema(layout.partition_file("ingest", 0)).empty_table().to_pandas()]
    for dep in spec.needs:
        if dep == "ingest":
            continue
        label = layout.variant_label(variant, STAGES[dep].depends)
        frames.append(
            pq.read_schema(layout.partition_file(dep, 0, label)).empty_table().to_pandas().drop(columns="source_id")
        )
    return pd.concat(frames, axis=1)


def _load(i: int, out: str, name: str, cfg: dict, variant: Variant | None):
    return read_partition_inputs(RunLayout(out, default_variant(cfg)), name, i, variant)


def _write(part, i: int, out: str, name: str, cfg: dict, variant: Variant | None, digest: str):
    t0 = time.perf_counter()
    layout = RunLayout(out, default_variant(cfg))
    label = layout.variant_label(variant, STAGES[name].depends)
    seconds = float(part.attrs.pop("mwdisk_compute_seconds", 0.0))
    write_partition(part, layout.partition_file(name, i, label), cfg, name)
    mark_done(layout, name, i, label, digest, len(part), seconds + time.perf_counter() - t0)
    return {"partition": i, "rows": len(part)}


def run_partition_stage(client, name: str, cfg: dict, out: str | Path, variant: Variant | None = None,
                        force: bool = False) -> dict:
    """Run per-star stage ``name`` on every pending partition; returns a timing summary.

    With ``client=None`` the partitions run one after another in this process (no Dask).
    """
    out = Path(out)
    spec = STAGES[name]
    if spec.kind != "partition":
        raise ValueError(f"stage {name!r} is not a per-partition stage")
    layout = RunLayout(out, default_variant(cfg))
    pending = pending_partitions(name, out, cfg, variant, force)
    n = layout.n_partitions()
    t0 = time.time()
    label = layout.variant_label(variant, spec.depends)
    desc = name if label == "default" else f"{name} [{label}]"
    if not pending:
        logger.info("%s: all %d partitions already done, skipped", desc, n)
        return {"stage": name, "variant": label, "partitions": n, "computed": 0, "seconds": 0.0}
    logger.info("%s: %d of %d partitions to compute", desc, len(pending), n)
    digest = stage_hash(name, cfg, variant)
    if client is None:
        for i in track(pending, len(pending), desc):
            process_partition(name, out, i, cfg, variant)
    else:
        from distributed import as_completed

        meta_in = _empty_inputs(layout, name, variant)
        meta_out = compute_partition(name, meta_in, cfg, variant)
        ddf = dd.from_map(_load, pending, out=str(out), name=name, cfg=cfg, variant=variant, meta=meta_in,
                          enforce_metadata=False, label=f"load-{name}")
        res = ddf.map_partitions(_adapter, name, cfg, variant, meta=meta_out, enforce_metadata=False)
        parts = res.to_delayed()
        tasks = [dask.delayed(_write)(p, i, str(out), name, cfg, variant, digest) for p, i in zip(parts, pending)]
        futures = client.compute(tasks)
        for fut in track(as_completed(futures), len(futures), desc):
            fut.result()  # re-raises a worker's exception here, with its message
    dt = time.time() - t0
    return {"stage": name, "variant": label, "partitions": n, "computed": len(pending), "seconds": round(dt, 2)}


def _adapter(df, name: str, cfg: dict, variant: Variant | None):
    """``map_partitions`` passes the partition first; the compute time rides along for the done marker."""
    t0 = time.perf_counter()
    out = compute_partition(name, df, cfg, variant)
    out.attrs["mwdisk_compute_seconds"] = time.perf_counter() - t0
    return out
