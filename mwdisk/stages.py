"""The pipeline's stages, what each reads, and how one partition of a per-star stage is processed.

This module has no Dask in it: :func:`process_partition` runs one partition of one stage in-process (a plain
debugger and a plain benchmark work on it); ``mwdisk.pipelines.runner`` maps the same pieces over a Dask
dataframe. Each stage declares the stages it reads (``needs``), so ``--until STAGE`` runs only what STAGE
needs, and what of a sweep variant it depends on (``depends``: the frame, the potential), so a variant
recomputes only what changes.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .config import config_hash, to_json
from .frame import GalacticFrame
from .layout import DEFAULT_VARIANT, RunLayout, Variant, atomic_write_text

__all__ = ["StageSpec", "STAGES", "StageContext", "stage_order", "process_partition", "stage_hash",
           "read_partition_inputs", "write_partition"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageSpec:
    """One stage. ``func`` is ``"module:function"`` of its partition adapter (imported lazily)."""

    name: str
    kind: str  # "ingest", "partition" (per-star, per partition), "reduce" (aggregates)
    needs: tuple[str, ...]
    depends: frozenset[str]
    sections: tuple[str, ...]  # config sections its result depends on (beyond those of its inputs)
    description: str
    func: str = ""

    def load(self) -> Callable:
        mod, fn = self.func.split(":")
        return getattr(importlib.import_module(mod), fn)


STAGES: dict[str, StageSpec] = {
    s.name: s
    for s in [
        StageSpec("ingest", "ingest", (), frozenset(), ("ingest",),
                  "schema check, quality flags, 5-arcsec de-duplication, partitioned parquet"),
        StageSpec("extinction", "partition", ("ingest",), frozenset(), ("extinction",),
                  "A_G, A_BP, A_RP from mwdust, the catalogue, or an analytic dust model",
                  "mwdisk.partitions.extinction:extinction_partition"),
        StageSpec("ages", "partition", ("ingest", "extinction"), frozenset(), ("ages",),
                  "isochrone G-function ages: mode, median, 68 % interval, flags, G",
                  "mwdisk.partitions.ages:ages_partition"),
        StageSpec("phasespace", "partition", ("ingest",), frozenset({"frame"}), ("phasespace", "frame"),
                  "100-draw Monte-Carlo Galactocentric phase space: means and standard deviations",
                  "mwdisk.partitions.phasespace:phasespace_partition"),
        StageSpec("orbits", "partition", ("ingest", "phasespace"), frozenset({"frame", "potential"}),
                  ("orbits",), "R_g (and its MC spread), Z_max, R_peri, R_apo, eccentricity per potential",
                  "mwdisk.partitions.orbits:orbits_partition"),
        StageSpec("gradients", "reduce", ("ingest", "ages", "phasespace", "orbits"),
                  frozenset({"frame", "potential"}), ("cuts", "selections", "gradients"),
                  "cuts, selections, ODR [Fe/H]-R_g fits per age bin, trends (tables in OUT)"),
        StageSpec("report", "reduce", ("gradients",), frozenset(), (),
                  "figures and OUT/report.html"),
    ]
}


def stage_order(until: str | None = None) -> list[str]:
    """Stages to run, in dependency order, to produce ``until`` (all stages when None)."""
    if until is not None and until not in STAGES:
        raise ValueError(f"unknown stage {until!r}; the stages are: {', '.join(STAGES)}")
    targets = list(STAGES) if until is None else [until]
    order: list[str] = []

    def visit(name: str) -> None:
        for dep in STAGES[name].needs:
            visit(dep)
        if name not in order:
            order.append(name)

    for t in targets:
        visit(t)
    return order


def stage_hash(name: str, cfg: dict, variant: Variant | None = None) -> str:
    """Hash of everything a stage's output depends on: its config sections, seed, variant, and its inputs."""
    spec = STAGES[name]
    parts = [name, {s: cfg[s] for s in spec.sections}, cfg["run"]["seed"]]
    if name == "ingest":
        parts.append(cfg["run"]["catalog"] or "mock")
        parts.append(cfg["mock"] if not cfg["run"]["catalog"] else None)
        parts.append(cfg["run"]["partition_rows"])
    if name == "ages":
        parts.append(cfg["run"]["isochrones"])
    variant = variant if variant is not None else default_variant(cfg)  # so the default hashes as itself
    if "frame" in spec.depends:
        parts.append([variant.R0_kpc, variant.vcirc_kms])
    if "potential" in spec.depends:
        parts.append(variant.potential)
    parts.extend(stage_hash(d, cfg, variant) for d in spec.needs)
    return config_hash(*parts)


@dataclass
class StageContext:
    """What a partition adapter gets besides its rows: the configuration and the variant's frame/potential."""

    cfg: dict
    frame: GalacticFrame
    potential: str
    seed: int

    @classmethod
    def build(cls, cfg: dict, variant: Variant | None = None) -> "StageContext":
        fcfg = dict(cfg["frame"])
        pot = cfg["run"]["potential"]
        if variant is not None:
            fcfg["R0_kpc"], fcfg["vcirc_kms"] = variant.R0_kpc, variant.vcirc_kms
            pot = variant.potential
        return cls(cfg=cfg, frame=GalacticFrame.from_config(fcfg), potential=pot, seed=int(cfg["run"]["seed"]))


def default_variant(cfg: dict) -> Variant:
    return Variant(float(cfg["frame"]["R0_kpc"]), float(cfg["frame"]["vcirc_kms"]), cfg["run"]["potential"])


def read_partition_inputs(layout: RunLayout, name: str, i: int, variant: Variant | None) -> pd.DataFrame:
    """The ingest rows of partition ``i`` with the columns of every stage ``name`` needs, side by side.

    Every stage output keeps the row order of its ingest partition; ``source_id`` is checked to agree.
    """
    spec = STAGES[name]
    base = pd.read_parquet(layout.partition_file("ingest", i))
    for dep in spec.needs:
        if dep == "ingest":
            continue
        label = layout.variant_label(variant, STAGES[dep].depends)
        part = pd.read_parquet(layout.partition_file(dep, i, label))
        if len(part) != len(base) or not (part["source_id"].to_numpy() == base["source_id"].to_numpy()).all():
            raise RuntimeError(
                f"partition {i} of stage {dep!r} does not line up with ingest (rows {len(part)} vs {len(base)}); "
                f"rerun with --force"
            )
        base = pd.concat([base, part.drop(columns="source_id")], axis=1)
    return base


def result_config(cfg: dict) -> dict:
    """The configuration without what says where and how a run went (``run.out``, ``cluster``), not what it
    computed: files of two runs that computed the same thing are then byte-identical."""
    out = {k: v for k, v in cfg.items() if k != "cluster"}
    out["run"] = {k: v for k, v in cfg["run"].items() if k != "out"}
    return out


def write_partition(df: pd.DataFrame, path: Path, cfg: dict, stage: str) -> None:
    """Write one partition atomically, the resolved configuration (:func:`result_config`) in its metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"mwdisk_stage"] = stage.encode()
    meta[b"mwdisk_config"] = to_json(result_config(cfg)).encode()
    table = table.replace_schema_metadata(meta)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def is_done(layout: RunLayout, name: str, i: int, label: str, digest: str) -> bool:
    """A partition is done when its marker carries the current hash and its file exists."""
    marker = layout.marker(name, i, label)
    if not marker.is_file() or not layout.partition_file(name, i, label).is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("hash") == digest
    except (OSError, json.JSONDecodeError):
        return False


def mark_done(layout: RunLayout, name: str, i: int, label: str, digest: str, rows: int, seconds: float) -> None:
    atomic_write_text(
        layout.marker(name, i, label),
        json.dumps({"stage": name, "partition": i, "hash": digest, "rows": rows, "seconds": round(seconds, 3)}),
    )


def process_partition(name: str, out: str | Path, i: int, cfg: dict, variant: Variant | None = None) -> dict:
    """Run partition ``i`` of per-star stage ``name`` in this process: read, compute, write, mark done.

    Returns a small summary (rows, seconds). Safe to call again: it overwrites the same file with the same
    content.
    """
    spec = STAGES[name]
    layout = RunLayout(out, default_variant(cfg))
    label = layout.variant_label(variant, spec.depends)
    t0 = time.perf_counter()
    df = read_partition_inputs(layout, name, i, variant)
    result = compute_partition(name, df, cfg, variant)
    write_partition(result, layout.partition_file(name, i, label), cfg, name)
    dt = time.perf_counter() - t0
    mark_done(layout, name, i, label, stage_hash(name, cfg, variant), len(result), dt)
    return {"partition": i, "rows": len(result), "seconds": dt}


def compute_partition(name: str, df: pd.DataFrame, cfg: dict, variant: Variant | None = None) -> pd.DataFrame:
    """Apply stage ``name``'s adapter to a frame of its inputs; the result starts with ``source_id``."""
    ctx = StageContext.build(cfg, variant)
    result = STAGES[name].load()(df, ctx)
    if list(result.columns[:1]) != ["source_id"] or len(result) != len(df):
        raise RuntimeError(f"stage {name!r} adapter must return source_id first and one row per input row")
    return result
