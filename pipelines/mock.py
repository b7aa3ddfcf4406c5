"""Generate the built-in mock catalogue in parallel partitions (resumable, identical for any partitioning).

Star ``i`` of the mock is a pure function of (N, seed, options, i) (``mwdisk.mock.generate_partition``), so
partition k of K holds stars ``[k N / K, (k + 1) N / K)`` and the catalogue does not depend on K.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import numpy as np

from mwdisk.config import config_hash
from mwdisk.frame import GalacticFrame
from mwdisk.layout import atomic_write_text, part_name
from mwdisk.stages import write_partition

from .progress import track

__all__ = ["mock_options", "ensure_mock"]

logger = logging.getLogger(__name__)


def mock_options(cfg: dict):
    """``MockOptions`` from the ``mock`` section, the run's seed, frame and potential."""
    from mwdisk.mock import MockOptions

    m = dict(cfg["mock"])
    m.pop("partitions")
    fields = {f.name for f in dataclasses.fields(MockOptions)}
    unknown = set(m) - fields
    if unknown:
        raise ValueError(f"mock config keys {sorted(unknown)} are not MockOptions fields")
    return MockOptions(**m, seed=int(cfg["run"]["seed"]), potential=cfg["run"]["potential"],
                       frame=GalacticFrame.from_config(cfg["frame"]))


def _bounds(n: int, k: int) -> list[tuple[int, int]]:
    edges = np.linspace(0, n, k + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def _generate(j: int, start: int, stop: int, cfg: dict, out: str) -> int:
    from mwdisk.mock import generate_partition

    opts = mock_options(cfg)
    df = generate_partition(opts.n, opts.seed, start, stop, opts)
    write_partition(df, Path(out) / part_name(j), cfg, "mock")
    return len(df)


def ensure_mock(client, cfg: dict, out: str | Path) -> Path:
    """Write the mock of ``cfg`` to ``out`` (one parquet file per partition) unless it is already there."""
    out = Path(out)
    digest = config_hash(cfg["mock"], cfg["run"]["seed"], cfg["frame"], cfg["run"]["potential"])
    state = out / "_mock.json"
    if state.is_file() and json.loads(state.read_text()).get("hash") == digest:
        logger.info("mock: %s already generated, reused", out)
        return out
    k = int(cfg["mock"]["partitions"])
    bounds = _bounds(int(cfg["mock"]["n"]), k)
    done_dir = out / "_done"
    if done_dir.is_dir():
        stamp = done_dir / "hash"
        if not stamp.is_file() or stamp.read_text() != digest:
            for f in list(out.glob("part-*.parquet")) + list(done_dir.glob("*")):
                f.unlink()
    atomic_write_text(done_dir / "hash", digest)
    todo = [j for j in range(k) if not (done_dir / f"{j:05d}").is_file()]
    t0 = time.time()

    def finished(j):
        atomic_write_text(done_dir / f"{j:05d}", "done")

    if client is None:
        for j in track(todo, len(todo), "mock"):
            _generate(j, *bounds[j], cfg, str(out))
            finished(j)
    else:
        from distributed import as_completed

        futures = {client.submit(_generate, j, *bounds[j], cfg, str(out), pure=False): j for j in todo}
        for fut in track(as_completed(futures), len(futures), "mock"):
            fut.result()
            finished(futures[fut])
    atomic_write_text(state, json.dumps({"hash": digest, "n": int(cfg["mock"]["n"]), "partitions": k,
                                         "seconds": round(time.time() - t0, 2)}))
    logger.info("mock: %d stars in %d partitions written to %s", cfg["mock"]["n"], k, out)
    return out
