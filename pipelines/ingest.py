"""The ingest stage on the cluster: validate, redistribute into declination strips, de-duplicate.

1. Validate: the parquet schema first (columns, dtypes: nothing is read), then every input partition's
   values, and the declination histogram in the same pass. A bad file stops here, before anything is written.
2. Scatter: each input partition writes its rows (and margin copies) to one Arrow IPC file in
   ``OUT/_work/ingest``, one record batch per strip, and records which batch holds which strip. One file per
   input (not per input and strip) keeps the file count low when a large, unsorted catalogue touches every
   strip, and an IPC file reads one batch at a cost independent of how many it holds (a parquet footer
   listing P row groups is parsed whole on every read: F P^2 work for the shuffle).
3. Gather: each strip reads its batch from every input that has one, de-duplicates
   (``mwdisk.ingest.deduplicate``), sorts by
   ``source_id``, adds ``quality_flags``, and writes ``OUT/ingest/part-K.parquet`` and the removed rows to
   ``OUT/duplicates/part-K.parquet``.

Both passes are resumable per piece; the finished stage is recorded in ``OUT/_state/ingest.json``. The stage's
cache key is the hash of its parameters (``ingest.dedup_radius_arcsec``, ``ingest.dec_bin_deg``,
``run.partition_rows``: the only configuration it reads) and the sha256 of every input file (by its name in
the catalogue), so a changed catalogue (or a regenerated mock) is ingested again.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from mwdisk import ingest as kern
from mwdisk.layout import RunLayout, atomic_write_text, part_name
from mwdisk.schema import SchemaError, validate_catalog
from mwdisk.stages import (
    clear_stage_marker,
    read_stage_marker,
    stage_key,
    stage_params,
    write_partition,
    write_stage_marker,
)

from .executor import as_executor
from .progress import track

__all__ = ["run_ingest", "input_files", "validate_schema_only", "file_checksums"]

logger = logging.getLogger(__name__)


def input_files(catalog: str | Path) -> list[Path]:
    """The parquet files of a catalogue given as a file or a folder (files starting with _ or . skipped)."""
    p = Path(catalog)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise FileNotFoundError(
            f"catalogue {str(p)!r} does not exist (give a parquet file or a folder of them)"
        )
    files = sorted(f for f in p.rglob("*.parquet") if not f.name.startswith(("_", ".")))
    if not files:
        raise FileNotFoundError(f"catalogue folder {str(p)!r} holds no .parquet files")
    return files


def file_checksums(files: list[Path]) -> dict[str, str]:
    """sha256 of each file, keyed by its path as given."""
    from .provenance import sha256_file

    return {str(f): sha256_file(Path(f)) for f in files}


def _named_checksums(catalog: str | Path, checksums: dict[str, str]) -> dict[str, str]:
    """Checksums keyed by each file's name inside the catalogue (a moved catalogue keys the same)."""
    root = Path(catalog)
    root = root.parent if root.is_file() else root
    return {Path(f).relative_to(root).as_posix(): v for f, v in checksums.items()}


def validate_schema_only(files: list[Path]) -> None:
    """Columns and dtypes of every file, from parquet footers only."""
    for f in files:
        empty = pq.read_schema(f).empty_table().to_pandas()
        validate_catalog(empty, where=str(f))


def _validate_and_histogram(f: str, bin_deg: float) -> np.ndarray:
    df = pd.read_parquet(f)
    validate_catalog(df, where=f)
    return kern.dec_histogram(df["dec_deg"].to_numpy(float), bin_deg)


def _scatter(j: int, f: str, edges: np.ndarray, margin_deg: float, work: str) -> int:
    import pyarrow as pa

    df = pd.read_parquet(f)
    parts = kern.split_to_strips(df, edges, margin_deg)
    index: dict[str, int] = {}
    tmp = Path(work) / f".in-{j:05d}.tmp"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    if parts:
        strips = sorted(parts)
        # one conversion to Arrow for the whole input, then a zero-copy slice per strip
        table = pa.Table.from_pandas(pd.concat([parts[k] for k in strips], ignore_index=True),
                                     preserve_index=False).combine_chunks()
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            start = 0
            for b, k in enumerate(strips):
                writer.write_table(table.slice(start, len(parts[k])), max_chunksize=None)
                start += len(parts[k])
                index[str(k)] = b
        tmp.replace(Path(work) / f"in-{j:05d}.arrow")
    atomic_write_text(Path(work) / "_done" / f"in-{j:05d}", json.dumps(index))
    return len(df)


def _strip_sources(work: Path, n_inputs: int) -> dict[int, list[tuple[int, int]]]:
    """Strip -> [(input number, record batch)], in input order, from the scatter's done markers."""
    sources: dict[int, list[tuple[int, int]]] = {}
    for j in range(n_inputs):
        for k, b in json.loads((work / "_done" / f"in-{j:05d}").read_text()).items():
            sources.setdefault(int(k), []).append((j, int(b)))
    return dict(sorted(sources.items()))


def _gather(
    k: int, i: int, work: str, out: str, cfg: dict, radius: float, sources: list[tuple[int, int]]
) -> dict:
    import pyarrow as pa

    layout = RunLayout(out)
    batches = []
    for j, b in sources:  # reads only the footer and this strip's batch of each file
        with pa.OSFile(str(Path(work) / f"in-{j:05d}.arrow")) as src:
            batches.append(pa.ipc.open_file(src).get_batch(b))
    # one conversion to pandas per run of inputs with the same schema (usually all of them), in input order
    runs: list[list] = []
    for batch in batches:
        if runs and runs[-1][0].schema.equals(batch.schema, check_metadata=True):
            runs[-1].append(batch)
        else:
            runs.append([batch])
    frames = [pa.Table.from_batches(r).to_pandas() for r in runs]
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    kept, dups = kern.deduplicate(df, radius)
    kept = kern.finalize_partition(kept)
    write_partition(kept, layout.partition_file("ingest", i), cfg, "ingest")
    dups = dups.sort_values("obs_id", kind="stable").reset_index(drop=True)
    dups = dups[[c for c in dups.columns if not c.startswith("true_")]]
    write_partition(dups, layout.out / "duplicates" / part_name(i), cfg, "ingest")
    atomic_write_text(Path(work) / "_done" / f"s{k:05d}", json.dumps({"rows": len(kept), "dups": len(dups)}))
    return {"rows": len(kept), "dups": len(dups)}


def run_ingest(client, cfg: dict, catalog: str | Path, out: str | Path, force: bool = False,
               checksums: dict[str, str] | None = None) -> dict:
    """Ingest ``catalog`` into ``OUT/ingest``; skipped when already done with the same key.

    ``client``: a ``distributed.Client``, or ``None`` to run in this process. ``checksums`` (path -> sha256
    of each input file, as :func:`file_checksums` gives) saves reading the files again when the caller has
    them.
    """
    out = Path(out)
    layout = RunLayout(out)
    params = stage_params("ingest", cfg)
    files = input_files(catalog)
    if checksums is None or set(checksums) != {str(f) for f in files}:
        checksums = file_checksums(files)
    digest = stage_key("ingest", params, {}, _named_checksums(catalog, checksums))
    marker = read_stage_marker(layout, "ingest")
    if not force and marker is not None and marker.get("key") == digest:
        logger.info("ingest: already done, skipped")
        return {"stage": "ingest", "computed": 0, "seconds": 0.0}
    t0 = time.time()
    validate_schema_only(files)
    clear_stage_marker(layout, "ingest")
    work = layout.work / "ingest"
    stamp = work / "_hash"
    if force or not stamp.is_file() or stamp.read_text() != digest:
        shutil.rmtree(work, ignore_errors=True)
        for d in ("ingest", "duplicates"):
            shutil.rmtree(out / d, ignore_errors=True)
        atomic_write_text(stamp, digest)
    bin_deg = float(params["ingest"]["dec_bin_deg"])
    radius = float(params["ingest"]["dedup_radius_arcsec"])
    margin = radius / 3600.0 * 1.01

    fs = [str(f) for f in files]
    mapper = as_executor(client).map
    hists = list(track(mapper(_validate_and_histogram, fs, [bin_deg] * len(fs)), len(fs), "ingest: validate",
                       "file"))
    hist = np.sum(hists, axis=0)
    n_rows = int(hist.sum())
    if n_rows == 0:
        raise SchemaError(f"catalogue {catalog}: no rows")
    n_strips = max(1, math.ceil(n_rows / int(params["run"]["partition_rows"])))
    edges = kern.strip_edges(hist, bin_deg, n_strips)
    todo = [j for j in range(len(fs)) if not (work / "_done" / f"in-{j:05d}").is_file()]
    list(track(mapper(_scatter, todo, [fs[j] for j in todo], [edges] * len(todo), [margin] * len(todo),
                      [str(work)] * len(todo)), len(todo), "ingest: scatter", "file"))
    # strips that received rows, renumbered 0..K-1 in declination order (a strip with no rows has no entry)
    sources = _strip_sources(work, len(fs))
    strips = list(sources)
    todo_k = [(k, i) for i, k in enumerate(strips) if not (work / "_done" / f"s{k:05d}").is_file()]
    nk = len(todo_k)
    list(track(mapper(_gather, [k for k, _ in todo_k], [i for _, i in todo_k], [str(work)] * nk,
                      [str(out)] * nk, [cfg] * nk, [radius] * nk, [sources[k] for k, _ in todo_k]), nk,
               "ingest: de-duplicate"))
    counts = [json.loads((work / "_done" / f"s{k:05d}").read_text()) for k in strips]
    summary = {
        "n_partitions": len(strips),
        "rows_in": n_rows,
        "rows": sum(c["rows"] for c in counts),
        "duplicates": sum(c["dups"] for c in counts),
        "dec_edges_deg": edges.tolist(),
    }
    write_stage_marker(layout, "ingest", "default", digest, **summary)
    shutil.rmtree(work, ignore_errors=True)
    logger.info("ingest: %d rows in, %d stars kept, %d duplicates removed, %d partitions",
                n_rows, summary["rows"], summary["duplicates"], len(strips))
    return {"stage": "ingest", "computed": len(strips), "seconds": round(time.time() - t0, 2), **summary}
