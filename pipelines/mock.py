"""Generate the built-in mock catalogue in parallel partitions (resumable, identical for any partitioning).

Star ``i`` of the mock is a pure function of (N, seed, options, i) (``mwdisk.mock.generate_partition``), so
partition k of K holds stars ``[k N / K, (k + 1) N / K)`` and the catalogue does not depend on K. The mock is
the stage :data:`mwdisk.stages.MOCK`: its options come from its declared parameters only, and its markers
follow the run's scheme (``_state/mock.json`` and ``_state/default/mock/part-*.json``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mwdisk.frame import GalacticFrame
from mwdisk.layout import RunLayout, part_name
from mwdisk.stages import (
    Params,
    clear_stage_marker,
    mark_done,
    read_stage_marker,
    stage_key,
    stage_params,
    write_partition,
    write_stage_marker,
)

from .executor import as_executor
from .progress import track

__all__ = ["mock_options", "ensure_mock"]

logger = logging.getLogger(__name__)


def mock_options(cfg: Mapping):
    """``MockOptions`` from the ``mock`` section, the run's seed, frame and potential (the mock's
    parameters)."""
    from mwdisk.mock import MockOptions

    p = cfg if isinstance(cfg, Params) else stage_params("mock", cfg)
    m = dict(p["mock"])
    m.pop("partitions")
    fields = {f.name for f in dataclasses.fields(MockOptions)}
    unknown = set(m) - fields
    if unknown:
        raise ValueError(f"mock config keys {sorted(unknown)} are not MockOptions fields")
    return MockOptions(**m, seed=int(p["run"]["seed"]), potential=p["run"]["potential"],
                       frame=GalacticFrame.from_config(p["frame"]))


def _bounds(n: int, k: int) -> list[tuple[int, int]]:
    edges = np.linspace(0, n, k + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _generate(j: int, start: int, stop: int, cfg: dict, out: str, state: str, digest: str) -> int:
    from mwdisk.mock import generate_partition

    t0 = time.perf_counter()
    opts = mock_options(stage_params("mock", cfg))
    df = generate_partition(opts.n, opts.seed, start, stop, opts)
    write_partition(df, Path(out) / part_name(j), cfg, "mock")
    mark_done(RunLayout(Path(state).parent), "mock", j, "default", digest, len(df), time.perf_counter() - t0)
    return len(df)


def ensure_mock(client, cfg: dict, out: str | Path, state: str | Path | None = None) -> Path:
    """Write the mock of ``cfg`` to ``out`` (one parquet file per partition) unless it is already there.

    ``state`` is the folder of its done markers: ``OUT/_state`` in a run, ``out/_state`` by default.
    ``client``: a ``distributed.Client``, or ``None`` to generate in this process.
    """
    out = Path(out)
    layout = RunLayout(Path(state).parent if state is not None else out)
    params = stage_params("mock", cfg)
    digest = stage_key("mock", params, {})
    marker = read_stage_marker(layout, "mock")
    files_there = all((out / part_name(j)).is_file() for j in range(int(params["mock"]["partitions"])))
    if marker is not None and marker.get("key") == digest and files_there:
        logger.info("mock: %s already generated, reused", out)
        return out
    clear_stage_marker(layout, "mock")
    k = int(params["mock"]["partitions"])
    n = int(params["mock"]["n"])
    bounds = _bounds(n, k)
    done = {j for j in range(k) if _part_done(layout, out, j, digest)}
    if not done:  # a mock of other options (or partitioning) may be there: no stale part may stay
        for f in out.glob("part-*.parquet"):
            f.unlink()
    todo = [j for j in range(k) if j not in done]
    t0 = time.time()
    ex = as_executor(client)
    results = ex.map(_generate, todo, [bounds[j][0] for j in todo], [bounds[j][1] for j in todo],
                     cfg=cfg, out=str(out), state=str(layout.state), digest=digest)
    for _ in track(results, len(todo), "mock"):
        pass
    write_stage_marker(layout, "mock", "default", digest, n=n, partitions=k, computed=len(todo),
                       seconds=round(time.time() - t0, 2))
    logger.info("mock: %d stars in %d partitions written to %s", n, k, out)
    return out


def _part_done(layout: RunLayout, out: Path, j: int, digest: str) -> bool:
    """Mock part ``j`` is done when its marker carries ``digest`` and its file exists."""
    marker = layout.marker("mock", j)
    if not marker.is_file() or not (out / part_name(j)).is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("hash") == digest
    except (OSError, json.JSONDecodeError):
        return False
