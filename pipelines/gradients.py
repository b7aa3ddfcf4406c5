"""The gradients stage on the cluster: a tree reduction of per-partition age-bin groups, then the fits.

Per partition (on the workers): read the stage outputs, apply the cuts and selections, write the per-star
table of the stars that pass the cuts (``OUT/selected/`` parquet and ``OUT/selected_fits/`` FITS, one file
per partition, never gathered), and return the compact age-bin groups and cut counts. The groups are split
into shards by key prefix (selection and radius; ``gradients.reduce_shards``, default one per worker), and
each shard is merged pairwise in its own tree and fitted on the worker holding its root, so no worker holds
every member and the fits run in parallel. ``combine_groups`` is exactly associative and each prefix is
fitted whole, so 1 or 7 partitions and any number of shards give bit-identical tables. Only the tables
(and the cut counts) come back to the client.
"""

from __future__ import annotations

import logging
import operator
import time
from pathlib import Path

import pandas as pd

from mwdisk.layout import RunLayout, Variant, part_name
from mwdisk.partitions.gradients import CUT_STEPS, PartitionReduction, gradients_partition
from mwdisk.stages import (
    clear_stage_marker,
    default_variant,
    input_keys,
    read_partition_inputs,
    read_stage_marker,
    stage_key,
    stage_params,
    variant_label,
    write_partition,
    write_stage_marker,
)

from .executor import as_executor
from .progress import track

__all__ = ["run_gradients", "reduce_variant", "write_tables", "n_reduce_shards"]

logger = logging.getLogger(__name__)


def _selected_dirs(layout: RunLayout, label: str) -> tuple[Path, Path]:
    base = layout.out if label == "default" else layout.out / "sweeps" / label
    return base / "selected", base / "selected_fits"


def _partition_task(i: int, out: str, cfg: dict, variant: Variant) -> PartitionReduction:
    """Cuts, selections and age-bin groups of partition ``i``; its per-star table written (parquet, FITS).

    The partition function sees the stage's parameters only (``cfg`` is for the files' metadata).
    """
    layout = RunLayout(out)
    df = read_partition_inputs(layout, "gradients", i, variant, cfg)
    p = stage_params("gradients", cfg, variant)
    red = gradients_partition(df, p, p["run"]["potential"], p["frame"]["R0_kpc"], p["frame"]["vcirc_kms"],
                              p["run"]["isochrones"])
    label = variant_label("gradients", cfg, variant)
    pq_dir, fits_dir = _selected_dirs(layout, label)
    write_partition(red.selected, pq_dir / part_name(i), cfg, "gradients")
    _write_fits(red.selected, fits_dir / part_name(i).replace(".parquet", ".fits"))
    red.selected = red.selected.iloc[:0]
    return red


def _write_fits(df: pd.DataFrame, path: Path) -> None:
    """The per-star table as FITS for TOPCAT (strings as fixed width, booleans as logicals)."""
    from astropy.table import Table

    path.parent.mkdir(parents=True, exist_ok=True)
    t = Table.from_pandas(df.reset_index(drop=True))
    tmp = path.with_name(f".{path.name}.tmp")
    t.write(tmp, format="fits", overwrite=True)
    tmp.replace(path)


def _merge(a: PartitionReduction, b: PartitionReduction) -> PartitionReduction:
    return a.merge(b)


def _fit_groups(groups: dict, cfg: dict) -> pd.DataFrame:
    from mwdisk.gradients import error_model_order, gradient_table

    g = stage_params("gradients", cfg)["gradients"]
    return gradient_table(groups, min_members=int(g["min_stars"]),
                          error_models=error_model_order(g["error_model"]),
                          n_pass=int(g["scatter_passes"]), percentiles=tuple(g["age_err_percentiles"]))


def _trends(grads: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    from mwdisk.gradients import trend_table

    g = stage_params("gradients", cfg)["gradients"]
    return trend_table(grads, min_members=int(g["min_stars"]), trend_age=g["trend_age"])


def _fit(red: PartitionReduction, cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    grads = _fit_groups(red.groups, cfg)
    return grads, _trends(grads, cfg)


def _sharded_task(i: int, out: str, cfg: dict, variant: Variant, n_shards: int) -> tuple:
    """One partition's reduction as (cut counts, shard 0 groups, ..., shard n-1 groups)."""
    from mwdisk.gradients import group_shards

    red = _partition_task(i, out, cfg, variant)
    return (red.counts, *group_shards(red.groups, n_shards))


def _combine(a: dict, b: dict) -> dict:
    from mwdisk.gradients import combine_groups

    return combine_groups(a, b)


def _tree(client, level: list, merge):
    """Pairwise tree reduction of futures on the workers; the root future."""
    while len(level) > 1:
        nxt = [client.submit(merge, level[k], level[k + 1], pure=False) for k in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def n_reduce_shards(cfg: dict, n_workers: int) -> int:
    """Shards of the gradient reduction: ``gradients.reduce_shards``, or with 0 one per worker (1 to 32)."""
    n = int(stage_params("gradients", cfg)["gradients"]["reduce_shards"])
    if n < 0:
        raise ValueError(f"gradients.reduce_shards = {n}; use 0 (one per worker) or a positive number")
    return n if n > 0 else min(max(int(n_workers), 1), 32)


def reduce_variant(client, cfg: dict, out: Path, variant: Variant) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Gradients, trends and cut counts of one (frame, potential) variant.

    ``client``: a ``distributed.Client``, or ``None`` to reduce in this process.
    """
    ex = as_executor(client)
    layout = RunLayout(out)
    n = layout.n_partitions()
    label = variant_label("gradients", cfg, variant)
    desc = "gradients" if label == "default" else f"gradients [{label}]"
    if ex.in_process:
        red = None
        for r in track(ex.map(_partition_task, range(n), out=str(out), cfg=cfg, variant=variant), n, desc):
            red = r if red is None else _merge(red, r)
        grads, trends = _fit(red, cfg)
        return grads, trends, red.counts
    from distributed import as_completed

    from mwdisk.gradients import concat_gradient_tables

    client = ex.client
    n_shards = n_reduce_shards(cfg, ex.n_workers())
    futures = client.map(_sharded_task, range(n), out=str(out), cfg=cfg, variant=variant, n_shards=n_shards,
                         pure=False)
    for _ in track(as_completed(futures), n, desc):
        pass
    fitted = []
    for k in range(n_shards):
        pieces = [client.submit(operator.getitem, f, k + 1, pure=False) for f in futures]
        fitted.append(client.submit(_fit_groups, _tree(client, pieces, _combine), cfg, pure=False))
    counts: dict[str, int] = {}
    for c in client.gather([client.submit(operator.getitem, f, 0, pure=False) for f in futures]):
        for key, v in c.items():
            counts[key] = counts.get(key, 0) + v
    grads = concat_gradient_tables(client.gather(fitted))
    return grads, _trends(grads, cfg), counts


def write_tables(out: Path, grads: pd.DataFrame, trends: pd.DataFrame, counts: dict | None) -> None:
    """Write (or update the rows of this variant in) OUT/gradients.csv, OUT/trends.csv and OUT/cuts.csv."""
    keys = ["selection", "potential", "R0_kpc", "v0_kms", "radius"]
    for name, df in (("gradients.csv", grads), ("trends.csv", trends)):
        path = out / name
        if path.is_file() and len(df):
            old = pd.read_csv(path)
            variants = df[["potential", "R0_kpc", "v0_kms"]].drop_duplicates()
            drop = old.merge(variants, on=["potential", "R0_kpc", "v0_kms"], how="left", indicator=True)
            old = old[(drop["_merge"] == "left_only").to_numpy()]
            df = pd.concat([old, df], ignore_index=True).sort_values(keys, kind="stable")
        tmp = path.with_name(f".{name}.tmp")
        df.to_csv(tmp, index=False)
        tmp.replace(path)
    if counts is not None:
        rows = [{"step": s, "n_stars": counts.get(s, 0)} for s in CUT_STEPS]
        rows += [{"step": k, "n_stars": v} for k, v in sorted(counts.items()) if k.startswith("selection:")]
        pd.DataFrame(rows).to_csv(out / "cuts.csv", index=False)


def run_gradients(client, name: str, cfg: dict, out: str | Path, variant: Variant | None = None,
                  force: bool = False) -> dict:
    """The gradients stage for the run's default variant (or ``variant``): tables in OUT.

    ``client``: a ``distributed.Client``, or ``None`` to run in this process.
    """
    out = Path(out)
    layout = RunLayout(out)
    variant = variant or default_variant(cfg)
    label = variant_label("gradients", cfg, variant)
    digest = stage_key("gradients", stage_params("gradients", cfg, variant),
                       input_keys(layout, "gradients", cfg, variant))
    marker = read_stage_marker(layout, "gradients", label)
    if not force and marker is not None and marker.get("key") == digest and (out / "gradients.csv").is_file():
        logger.info("gradients: already done, skipped")
        return {"stage": "gradients", "variant": label, "computed": 0, "seconds": 0.0}
    t0 = time.time()
    clear_stage_marker(layout, "gradients", label)
    grads, trends, counts = reduce_variant(client, cfg, out, variant)
    write_tables(out, grads, trends, counts if label == "default" else None)
    dt = time.time() - t0
    write_stage_marker(layout, "gradients", label, digest, seconds=round(dt, 2))
    return {"stage": "gradients", "variant": label, "partitions": layout.n_partitions(), "computed": 1,
            "seconds": round(dt, 2)}
