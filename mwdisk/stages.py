"""The pipeline's stages: what each reads, how its cache key is made, and one partition processed in-process.

Every step of a run (the built-in mock, ingest, extinction, ages, phase space, orbits, gradients, report) is a
:class:`StageSpec`. A stage declares

* ``needs``: the stages whose outputs it reads (``--until STAGE`` runs only what STAGE needs);
* ``reads``: the configuration it reads, as sections (``"ages"``) or keys (``"frame.R0_kpc"``);
* ``depends``: what of a sweep variant it follows (the frame, the potential).

Its adapter never sees the configuration: it gets a :class:`Params`, a read-only view holding only the
declared keys, that raises :class:`UndeclaredConfigKey` on any other. The stage's cache key is the hash of
that same view, its inputs' keys (from their done markers) and the checksums of its input files
(:func:`stage_key`), so a stage cannot read a value it does not hash.

Done markers (all under ``OUT/_state/``, see :mod:`mwdisk.layout`): one per finished partition, written after
the partition's file, and one per finished stage, written after its last partition, carrying the stage's key.

This module has no Dask in it: :func:`process_partition` runs one partition of one stage in this process (a
plain debugger and a plain benchmark work on it); ``mwdisk.pipelines`` maps the same function over a cluster.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .config import config_hash, to_json
from .frame import GalacticFrame
from .layout import DEFAULT_VARIANT, RunLayout, Variant, atomic_write_text

__all__ = ["StageSpec", "STAGES", "MOCK", "ALL_STAGES", "Params", "UndeclaredConfigKey", "StageContext",
           "stage_order", "stage_params", "stage_key", "stage_inputs", "stages_reading", "downstream",
           "process_partition", "compute_partition", "read_partition_inputs", "write_partition",
           "read_stage_marker", "write_stage_marker", "clear_stage_marker", "input_keys", "partition_key",
           "default_variant", "variant_label"]

logger = logging.getLogger(__name__)

#: ``reads`` entry of a stage that reads the whole configuration (the report shows it all)
EVERYTHING = "*"


@dataclass(frozen=True)
class StageSpec:
    """One stage. ``func`` is ``"module:function"`` of its partition adapter (imported lazily).

    ``kind`` is ``"source"`` (writes a catalogue), ``"ingest"``, ``"partition"`` (per star, per ingest
    partition) or ``"reduce"`` (aggregates). ``outputs`` are the paths in OUT it writes (for the summary).
    """

    name: str
    kind: str
    needs: tuple[str, ...]
    depends: frozenset[str]
    reads: tuple[str, ...]
    description: str
    func: str = ""
    outputs: tuple[str, ...] = ()

    def load(self) -> Callable:
        mod, fn = self.func.split(":")
        return getattr(importlib.import_module(mod), fn)


#: the built-in mock: a stage like the others, run before ingest when ``run.catalog`` is null
MOCK = StageSpec("mock", "source", (), frozenset(), ("mock", "run.seed", "run.potential", "frame"),
                 "the built-in mock catalogue (when run.catalog is null)", outputs=("mock/",))

STAGES: dict[str, StageSpec] = {
    s.name: s
    for s in [
        StageSpec("ingest", "ingest", (), frozenset(),
                  ("ingest.dedup_radius_arcsec", "ingest.dec_bin_deg", "run.partition_rows"),
                  "schema check, quality flags, 5-arcsec de-duplication, partitioned parquet",
                  outputs=("ingest/", "duplicates/")),
        StageSpec("extinction", "partition", ("ingest",), frozenset(), ("extinction", "frame.R0_kpc"),
                  "A_G, A_BP, A_RP from mwdust, the catalogue, or an analytic dust model",
                  "mwdisk.partitions.extinction:extinction_partition", ("extinction/",)),
        StageSpec("ages", "partition", ("ingest", "extinction"), frozenset(), ("ages", "run.isochrones"),
                  "isochrone G-function ages: mode, median, 68 % interval, flags, G",
                  "mwdisk.partitions.ages:ages_partition", ("ages/",)),
        StageSpec("phasespace", "partition", ("ingest",), frozenset({"frame"}),
                  ("phasespace", "frame", "run.seed"),
                  "100-draw Monte-Carlo Galactocentric phase space: means and standard deviations",
                  "mwdisk.partitions.phasespace:phasespace_partition", ("phasespace/",)),
        StageSpec("orbits", "partition", ("ingest", "phasespace"), frozenset({"frame", "potential"}),
                  ("orbits", "frame", "run.potential", "run.seed", "phasespace.n_draws",
                   "phasespace.distance_z_from_parallax"),
                  "R_g (and its MC spread), Z_max, R_peri, R_apo, eccentricity per potential",
                  "mwdisk.partitions.orbits:orbits_partition", ("orbits/",)),
        StageSpec("gradients", "reduce", ("ingest", "ages", "phasespace", "orbits"),
                  frozenset({"frame", "potential"}),
                  ("cuts", "selections", "gradients", "run.seed", "run.isochrones", "run.potential",
                   "frame.R0_kpc", "frame.vcirc_kms"),
                  "cuts, selections, ODR [Fe/H]-R_g fits per age bin, trends (tables in OUT)",
                  outputs=("gradients.csv", "trends.csv", "cuts.csv", "selected/", "selected_fits/")),
        StageSpec("report", "reduce", ("gradients",), frozenset(), (EVERYTHING,),
                  "figures and OUT/report.html", outputs=("report.html", "figures/")),
    ]
}

#: every stage, the mock first
ALL_STAGES: dict[str, StageSpec] = {"mock": MOCK, **STAGES}


def stage_order(until: str | None = None) -> list[str]:
    """Stages to run, in dependency order, to produce ``until`` (all stages when None).

    The mock is not listed: it is the source of ingest when ``run.catalog`` is null (see
    :func:`stage_inputs`).
    """
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


def stage_inputs(name: str, cfg: Mapping) -> tuple[str, ...]:
    """The stages whose outputs ``name`` reads in this configuration (ingest reads the mock's files when
    ``run.catalog`` is null)."""
    if name == "ingest" and not cfg["run"]["catalog"]:
        return ("mock",)
    return ALL_STAGES[name].needs


def _reads_key(spec: StageSpec, key: str) -> bool:
    return any(r == EVERYTHING or key == r or key.startswith(r + ".") for r in spec.reads)


def stages_reading(key: str) -> list[str]:
    """The stages that declare reading config key ``key`` (``"section.key"``)."""
    return [n for n, s in ALL_STAGES.items() if _reads_key(s, key)]


def downstream(names, cfg: Mapping) -> set[str]:
    """``names`` and every stage that reads, directly or not, the output of one of them."""
    out = set(names)
    changed = True
    while changed:
        changed = False
        for n in ALL_STAGES:
            if n not in out and any(d in out for d in stage_inputs(n, cfg)):
                out.add(n)
                changed = True
    return out


# ------------------------------------------------------------------------------------------------------------
# parameters: the only configuration a stage sees


class UndeclaredConfigKey(LookupError):
    """A stage read a configuration key it does not declare (so it would not be in its cache key)."""


class Params(Mapping):
    """Read-only view of the configuration keys a stage declares; reading any other key raises.

    Sections are views too; lists come back as copies. Not a ``KeyError``: ``params.get("x", default)`` raises
    as well, so a stage cannot silently fall back to a default of its own for a key it does not declare.
    """

    def __init__(self, data: dict, stage: str, where: str = ""):
        self._data = data
        self._stage = stage
        self._where = where

    def __getitem__(self, key: str) -> Any:
        if key not in self._data:
            raise UndeclaredConfigKey(
                f"stage {self._stage!r} read config key {self._where + str(key)!r}, "
                f"which it does not declare; "
                f"add it to the stage's reads in mwdisk/stages.py "
                f"(so that it is part of the stage's cache key)"
            )
        v = self._data[key]
        if isinstance(v, dict):
            return Params(v, self._stage, f"{self._where}{key}.")
        return copy.deepcopy(v) if isinstance(v, list) else v

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Params({self._stage!r}, {self._data!r})"

    def as_dict(self) -> dict:
        """A deep copy of the declared values (what the cache key hashes)."""
        return copy.deepcopy(self._data)


def default_variant(cfg: Mapping) -> Variant:
    return Variant(float(cfg["frame"]["R0_kpc"]), float(cfg["frame"]["vcirc_kms"]), cfg["run"]["potential"])


def _with_variant(cfg: Mapping, variant: Variant) -> dict:
    out = {k: dict(v) if isinstance(v, Mapping) else v for k, v in cfg.items()}
    out["frame"]["R0_kpc"], out["frame"]["vcirc_kms"] = float(variant.R0_kpc), float(variant.vcirc_kms)
    out["run"]["potential"] = variant.potential
    return out


def stage_params(name: str, cfg: Mapping, variant: Variant | None = None) -> Params:
    """The :class:`Params` of stage ``name``: its declared keys of ``cfg`` (the variant's frame and potential
    in place of the run's for a stage that follows the variant)."""
    spec = ALL_STAGES[name]
    if variant is not None and spec.depends:
        cfg = _with_variant(cfg, variant)
    data: dict = {}
    for r in spec.reads:
        if r == EVERYTHING:
            data = copy.deepcopy({k: v for k, v in cfg.items()})
            break
        section, _, key = r.partition(".")
        if section not in cfg or (key and key not in cfg[section]):
            raise KeyError(f"stage {name!r} declares config key {r!r}, which the configuration does not have")
        if key:
            data.setdefault(section, {})[key] = copy.deepcopy(cfg[section][key])
        else:
            data[section] = copy.deepcopy(dict(cfg[section]))
    return Params(data, name)


def variant_label(name: str, cfg: Mapping, variant: Variant | None) -> str:
    """Folder label of stage ``name`` in ``variant``: ``default`` unless the variant changes its
    parameters."""
    spec = ALL_STAGES[name]
    if variant is None or not spec.depends:
        return DEFAULT_VARIANT
    if stage_params(name, cfg, variant) == stage_params(name, cfg):
        return DEFAULT_VARIANT
    return variant.label_for(spec.depends)


def stage_key(name: str, params: Params, inputs: Mapping[str, str], checksums: Mapping[str, str] | None = None
              ) -> str:
    """Cache key of a stage: its parameters, its inputs' keys and its input files' checksums."""
    return config_hash(name, params.as_dict(), sorted(inputs.items()), sorted((checksums or {}).items()))


# ------------------------------------------------------------------------------------------------------------
# done markers


def read_stage_marker(layout: RunLayout, name: str, label: str = DEFAULT_VARIANT) -> dict | None:
    """The finished-stage marker of ``name`` (``None`` when the stage has not finished)."""
    p = layout.stage_marker(name, label)
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def write_stage_marker(layout: RunLayout, name: str, label: str, key: str, **extra) -> None:
    """Mark stage ``name`` finished with cache key ``key`` (written after its last output)."""
    atomic_write_text(layout.stage_marker(name, label),
                      json.dumps({"stage": name, "key": key, **extra, "written_ns": time.time_ns()},
                                 indent=1))


def clear_stage_marker(layout: RunLayout, name: str, label: str = DEFAULT_VARIANT) -> None:
    """Remove the finished-stage marker (before a stage starts recomputing: its outputs are then in flux)."""
    layout.stage_marker(name, label).unlink(missing_ok=True)


def input_keys(layout: RunLayout, name: str, cfg: Mapping, variant: Variant | None = None) -> dict[str, str]:
    """The keys of the stages ``name`` reads, from their finished-stage markers.

    Raises
    ------
    RuntimeError
        When an input stage has not finished (the message names the command that makes it).
    """
    keys = {}
    for dep in stage_inputs(name, cfg):
        label = variant_label(dep, cfg, variant)
        m = read_stage_marker(layout, dep, label)
        if m is None:
            raise RuntimeError(f"stage {name!r} reads the outputs of {dep!r}, which has not finished in "
                               f"{layout.out} ({label}); run `mwdisk run --until {dep}` first")
        keys[dep] = m["key"]
    return keys


def partition_key(layout: RunLayout, name: str, cfg: Mapping, variant: Variant | None = None) -> str:
    """Cache key of per-partition stage ``name`` (parameters and its inputs' keys; no input files)."""
    return stage_key(name, stage_params(name, cfg, variant), input_keys(layout, name, cfg, variant))


def is_done(layout: RunLayout, name: str, i: int, label: str, digest: str) -> bool:
    """A partition is done when its marker carries the current key and its file exists."""
    marker = layout.marker(name, i, label)
    if not marker.is_file() or not layout.partition_file(name, i, label).is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("hash") == digest
    except (OSError, json.JSONDecodeError):
        return False


def mark_done(layout: RunLayout, name: str, i: int, label: str, digest: str, rows: int,
              seconds: float) -> None:
    atomic_write_text(
        layout.marker(name, i, label),
        json.dumps({"stage": name, "partition": i, "hash": digest, "rows": rows, "seconds": round(seconds,
                                                                                                  3)}),
    )


# ------------------------------------------------------------------------------------------------------------
# one partition


@dataclass(frozen=True)
class StageContext:
    """What a partition adapter gets besides its rows: its :class:`Params` (``cfg``), and from them the frame,
    the potential and the seed (each raises when the stage does not declare it)."""

    cfg: Params

    @property
    def frame(self) -> GalacticFrame:
        """The Galactocentric frame; every one of its keys must be declared (no dataclass default leaks
        in)."""
        f = self.cfg["frame"]
        return GalacticFrame(**{fld.name: float(f[fld.name]) for fld in dataclasses.fields(GalacticFrame)})

    @property
    def potential(self) -> str:
        return self.cfg["run"]["potential"]

    @property
    def seed(self) -> int:
        return int(self.cfg["run"]["seed"])

    @classmethod
    def build(cls, cfg: Mapping, variant: Variant | None = None, name: str = "") -> "StageContext":
        return cls(stage_params(name, cfg, variant))


def read_partition_inputs(layout: RunLayout, name: str, i: int, variant: Variant | None,
                          cfg: Mapping | None = None) -> pd.DataFrame:
    """The ingest rows of partition ``i`` with the columns of every stage ``name`` needs, side by side.

    Every stage output keeps the row order of its ingest partition; ``source_id`` is checked to agree.
    """
    spec = STAGES[name]
    base = pd.read_parquet(layout.partition_file("ingest", i))
    for dep in spec.needs:
        if dep == "ingest":
            continue
        label = (variant_label(dep, cfg, variant) if cfg is not None
                 else layout.variant_label(variant, STAGES[dep].depends))
        part = pd.read_parquet(layout.partition_file(dep, i, label))
        if len(part) != len(base) or not (part["source_id"].to_numpy() == base["source_id"].to_numpy()).all():
            raise RuntimeError(
                f"partition {i} of stage {dep!r} does not line up with ingest "
                f"(rows {len(part)} vs {len(base)}); "
                f"rerun with --force"
            )
        base = pd.concat([base, part.drop(columns="source_id")], axis=1)
    return base


def result_config(cfg: Mapping) -> dict:
    """The configuration without what says where and how a run went (``run.out``, ``cluster``), not what it
    computed: files of two runs that computed the same thing are then byte-identical."""
    out = {k: v for k, v in cfg.items() if k != "cluster"}
    out["run"] = {k: v for k, v in cfg["run"].items() if k != "out"}
    return out


def write_partition(df: pd.DataFrame, path: Path, cfg: Mapping, stage: str) -> None:
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


def process_partition(name: str, out: str | Path, i: int, cfg: Mapping, variant: Variant | None = None,
                      digest: str | None = None) -> dict:
    """Run partition ``i`` of per-star stage ``name`` in this process: read, compute, write, mark done.

    ``digest`` is the stage's cache key (computed from the markers when not given). Returns a small summary
    (rows, seconds). Safe to call again: it overwrites the same file with the same content.
    """
    layout = RunLayout(out)
    label = variant_label(name, cfg, variant)
    digest = digest or partition_key(layout, name, cfg, variant)
    t0 = time.perf_counter()
    df = read_partition_inputs(layout, name, i, variant, cfg)
    result = compute_partition(name, df, cfg, variant)
    write_partition(result, layout.partition_file(name, i, label), cfg, name)
    dt = time.perf_counter() - t0
    mark_done(layout, name, i, label, digest, len(result), dt)
    return {"partition": i, "rows": len(result), "seconds": dt}


def compute_partition(name: str, df: pd.DataFrame, cfg: Mapping,
                      variant: Variant | None = None) -> pd.DataFrame:
    """Apply stage ``name``'s adapter to a frame of its inputs; the result starts with ``source_id``.

    The adapter sees only the stage's :class:`Params` (built here from ``cfg``).
    """
    ctx = StageContext.build(cfg, variant, name)
    result = STAGES[name].load()(df, ctx)
    if list(result.columns[:1]) != ["source_id"] or len(result) != len(df):
        raise RuntimeError(f"stage {name!r} adapter must return source_id first and one row per input row")
    return result
