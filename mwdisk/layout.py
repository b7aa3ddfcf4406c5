"""Where a run keeps its files.

::

    OUT/
      provenance.json             resolved configuration, versions, commit, seeds, inputs, timings
      dashboard.txt               the Dask dashboard link of the last run
      ingest/part-00000.parquet   one flat parquet file per partition: pandas.read_parquet(OUT/ingest) opens
      it extinction/ ages/ phasespace/ orbits/         the same, for the run's default frame and potential
      duplicates/part-*.parquet   rows removed by de-duplication (nothing is lost)
      sweeps/<variant>/<stage>/   other potentials / (R0, v0) frames, in the same form
      _state/<variant>/<stage>/part-00000.json    done marker of a partition (outside the data folders)
      _state/<stage>.json         done marker of a finished stage, with its cache key (a sweep variant's:
                                  _state/<variant>/<stage>.json); ingest's also holds n_partitions
      _state/run.lock             held (flock) by the run writing to OUT: a second run is refused
      _work/                      scratch of the ingest shuffle

A partition's parquet file is written to a temporary name and renamed into place, and its done marker is
written after it, so a run killed at any moment leaves either a finished partition or none. A stage's marker
is removed when it starts recomputing and written after its last partition.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Variant", "RunLayout", "part_name", "atomic_write_text"]

DEFAULT_VARIANT = "default"


def part_name(i: int) -> str:
    """``part-00007.parquet``."""
    return f"part-{i:05d}.parquet"


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Variant:
    """A (frame, potential) pair of a sweep; ``None`` means the run's default."""

    R0_kpc: float
    vcirc_kms: float
    potential: str

    def label_for(self, depends: frozenset[str]) -> str:
        parts = []
        if "potential" in depends:
            parts.append(self.potential)
        if "frame" in depends:
            parts.append(f"R{self.R0_kpc:g}_v{self.vcirc_kms:g}")
        return "_".join(parts)


class RunLayout:
    """Paths of one run folder. A stage's folder depends on whether the variant touches what it depends on."""

    def __init__(self, out: str | Path, default: Variant | None = None):
        self.out = Path(out)
        self.default = default

    def variant_label(self, variant: Variant | None, depends: frozenset[str]) -> str:
        """``default`` when the stage's inputs do not change in this variant, else the variant's label."""
        if variant is None:
            return DEFAULT_VARIANT
        if self.default is None:
            raise ValueError(
                "RunLayout.variant_label needs the run's default variant (RunLayout(out, default))"
            )
        changed = False
        if "frame" in depends and (variant.R0_kpc, variant.vcirc_kms) != (self.default.R0_kpc,
                                                                          self.default.vcirc_kms):
            changed = True
        if "potential" in depends and variant.potential != self.default.potential:
            changed = True
        return variant.label_for(depends) if changed else DEFAULT_VARIANT

    def stage_dir(self, stage: str, label: str = DEFAULT_VARIANT) -> Path:
        if label == DEFAULT_VARIANT:
            return self.out / stage
        return self.out / "sweeps" / label / stage

    def marker(self, stage: str, i: int, label: str = DEFAULT_VARIANT) -> Path:
        """Done marker of partition ``i`` of ``stage``."""
        return self.state / label / stage / f"part-{i:05d}.json"

    def stage_marker(self, stage: str, label: str = DEFAULT_VARIANT) -> Path:
        """Done marker of the whole stage (its cache key)."""
        if label == DEFAULT_VARIANT:
            return self.state / f"{stage}.json"
        return self.state / label / f"{stage}.json"

    @property
    def state(self) -> Path:
        return self.out / "_state"

    @property
    def lock(self) -> Path:
        return self.state / "run.lock"

    def partition_file(self, stage: str, i: int, label: str = DEFAULT_VARIANT) -> Path:
        return self.stage_dir(stage, label) / part_name(i)

    @property
    def work(self) -> Path:
        return self.out / "_work"

    def n_partitions(self) -> int:
        """Number of ingest partitions (the unit every later per-star stage works in)."""
        meta = self.stage_marker("ingest")
        if not meta.is_file():
            raise FileNotFoundError(
                f"{meta} is missing: run the ingest stage first (mwdisk run --until ingest)"
            )
        return int(json.loads(meta.read_text())["n_partitions"])
