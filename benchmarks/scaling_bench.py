"""Strong scaling 1 -> 2 workers here, and the costs that benchmarks/scaling_model.py models a cluster with.

    python benchmarks/scaling_bench.py [--n 100000] [--partition-rows 10000] [--out /tmp/mwdisk-scaling]
                                       [--json OUT/scaling.json] [--tiny-tasks 1000]

What it measures (about 9 minutes on 2 cores at the defaults, more when it waits for a quiet machine):

1. **Strong scaling.** One mock of ``--n`` stars (generated once, ``--mock-partitions`` files) is run through
   the whole pipeline (``mwdisk.pipelines.run.run_pipeline``, the code path of ``mwdisk run``) with a
   LocalCluster of 1 worker and then of 2 workers, single-threaded each, into fresh folders. Per stage: wall
   seconds, stars per second per worker, and the efficiency ``T1 / (2 T2)`` (1.0 = perfect). The mock itself
   is not timed. Before each run the script waits (up to ``--wait-quiet`` seconds) for a 1-minute load
   average below 0.5, and records the CPU the workers, this process (client and scheduler) and every other
   process used during the run.
2. **Per-partition costs** from the done markers ``OUT/_state/<variant>/<stage>/part-*.json`` (``seconds`` =
   the partition's compute and write time on its worker, ``rows``): seconds per partition and per star, with
   and without the slowest partition (the one that paid the stage's start-up).
3. **Scheduler per-task overhead**, with the same clusters: ``client.map`` of ``--tiny-tasks`` no-op tasks
   (throughput, seconds per task), a sequential submit/result round trip (latency), and the runner's own
   path (``from_map`` -> ``map_partitions`` -> delayed write -> ``client.compute`` -> ``as_completed``) on
   one-row partitions, seconds per partition.
4. **Serial parts**, timed in this process on the 1-worker run's folder: the three ingest phases with the
   pipeline's own functions (validate + histogram, ``_scatter`` into one Arrow IPC file per input with a
   record batch per strip, ``_gather`` + de-duplicate from those batches); the shuffle's unit of I/O in IPC
   files of 1, 16, 128 and 1024 record batches of 25 rows, written and read as ``pipelines/ingest.py`` does
   it (``pa.ipc.new_file`` + ``write_batch(RecordBatch.from_pandas)``, renamed into place, done marker; then
   per read: memory-map the file, ``pa.ipc.open_file``, ``get_batch``, ``to_pandas``), which shows whether
   reading one batch costs more in a file of more batches; the gradients stage per partition (with the split
   into shards), one pairwise ``_combine`` tree over all partitions' groups and its ``_fit_groups`` (S = 1,
   the 1-worker run), the same as 2 shard trees each fitted on its own (S = 2, the 2-worker run) and the
   client's concat + trend table, the largest shard's share of the members and groups for 1 to 32 shards,
   and the fits on half of the partitions and on all groups merged with themselves 2x and 4x (how the fits
   and the root of a tree grow with N); the report on all and half of the selected stars; the done-marker
   check per partition.
5. **Worker start-up**, in fresh processes: Python start, importing the stage adapters (numpy, pandas,
   astropy, galpy, numba), distributed's import, the isochrone grid load, the galpy potential build, and each
   stage's first-call cost (first call minus second call on the same 500 rows) with the numba cache warm (the
   package's ``__pycache__``) and cold (an empty ``NUMBA_CACHE_DIR``: compilation); also LocalCluster start.

Everything is written to ``--json`` (default ``OUT/scaling.json``) and printed as tables, with each worker's
peak resident memory (ru_maxrss). Timings on a shared 2-core machine are noisy: the scheduler and this client
process share the two cores with the workers, so the 2-worker efficiency is a lower bound of what separate
cores give.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGE_ORDER = ("ingest", "extinction", "ages", "phasespace", "orbits", "gradients", "report")
PARTITION_STAGES = ("extinction", "ages", "phasespace", "orbits")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _noop(x):
    return x


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ----------------------------------------------------------------------------------------- configuration
def _config(out: Path, mock_dir: Path, args, workers: int, catalog: bool = True) -> dict:
    from mwdisk.config import load_config

    sets = [
        f"run.out={out}", f"mock.n={args.n}", f"mock.partitions={args.mock_partitions}",
        "mock.with_true_zmax=false", f"cluster.n_workers={workers}", "cluster.threads_per_worker=1",
        f"run.partition_rows={args.partition_rows}", "cluster.dashboard_address=:0",
    ]
    if catalog:
        sets.append(f"run.catalog={mock_dir}")
    return load_config(overrides=sets)


# ----------------------------------------------------------------------------------------- scheduler overhead
def _tiny_runner_path(client, n_parts: int) -> float:
    """Seconds per partition through the runner's graph shape, on partitions of one row (no real work)."""
    import dask
    import dask.dataframe as dd
    import pandas as pd
    from distributed import as_completed

    meta = pd.DataFrame({"source_id": pd.Series([], dtype="int64"), "x": pd.Series([], dtype="float64")})

    def load(i):
        return pd.DataFrame({"source_id": [i], "x": [float(i)]})

    def adapter(df):
        return df

    def write(part, i):
        return {"partition": i, "rows": len(part)}

    t0 = time.perf_counter()
    ddf = dd.from_map(load, list(range(n_parts)), meta=meta, enforce_metadata=False, label="load-tiny")
    res = ddf.map_partitions(adapter, meta=meta, enforce_metadata=False)
    tasks = [dask.delayed(write)(p, i) for i, p in enumerate(res.to_delayed())]
    futures = client.compute(tasks)
    for fut in as_completed(futures):
        fut.result()
    dt = time.perf_counter() - t0
    del futures
    return dt / n_parts


def measure_overhead(client, n_tiny: int) -> dict:
    """Per-task costs of the scheduler with this client's cluster (see the module docstring, item 3)."""
    from distributed import wait

    client.gather(client.map(_noop, range(50), pure=False))  # warm
    t0 = time.perf_counter()
    futs = client.map(_noop, range(n_tiny), pure=False)
    wait(futs)
    map_s = (time.perf_counter() - t0) / n_tiny
    del futs
    n_rt = 100
    t0 = time.perf_counter()
    for i in range(n_rt):
        client.submit(_noop, i, pure=False).result()
    rt_s = (time.perf_counter() - t0) / n_rt
    _tiny_runner_path(client, 20)  # warm
    n_parts = max(50, n_tiny // 4)
    runner_s = _tiny_runner_path(client, n_parts)
    return {"map_seconds_per_task": map_s, "roundtrip_seconds": rt_s,
            "runner_path_seconds_per_partition": runner_s, "n_tiny": n_tiny, "n_runner_partitions": n_parts}


# ----------------------------------------------------------------------------------------- markers
def read_markers(out: Path) -> dict:
    """Per stage: the done markers' rows and seconds (the default variant's folder)."""
    res = {}
    for d in sorted((out / "_state").glob("*/*")):
        if not d.is_dir():
            continue
        rows, secs = [], []
        for m in sorted(d.glob("part-*.json")):
            j = json.loads(m.read_text())
            rows.append(int(j["rows"]))
            secs.append(float(j["seconds"]))
        if rows:
            res[d.name] = {"rows": rows, "seconds": secs, "variant": d.parent.name}
    return res


def marker_stats(m: dict) -> dict:
    import numpy as np

    rows = np.asarray(m["rows"], float)
    secs = np.asarray(m["seconds"], float)
    per_star = secs / np.maximum(rows, 1)
    return {
        "partitions": len(rows), "rows_mean": float(rows.mean()),
        "seconds_mean": float(secs.mean()), "seconds_max": float(secs.max()),
        "seconds_min": float(secs.min()),
        "seconds_per_star_median": float(np.median(per_star)),
        "seconds_per_star_sum": float(secs.sum() / rows.sum()),
        "cv": float(secs.std() / secs.mean()) if secs.mean() > 0 else 0.0,
        # without the slowest partition: in a 1-worker run it is the first one, which pays the stage's
        # start-up (numba cache, grid, potential), measured on its own by the start-up probe
        "seconds_per_star_trimmed": float(np.sort(secs)[:-1].sum() / rows[np.argsort(secs)[:-1]].sum())
        if len(secs) > 1 else float(per_star[0]),
        "cv_trimmed": float(np.sort(secs)[:-1].std() / np.sort(secs)[:-1].mean()) if len(secs) > 2 else 0.0,
    }


# ----------------------------------------------------------------------------------------- one scaling run
def wait_quiet(limit_s: float, load_max: float = 0.5) -> float:
    """Wait up to ``limit_s`` for the 1-minute load average to fall below ``load_max``; returns it."""
    t0 = time.time()
    while os.getloadavg()[0] > load_max and time.time() - t0 < limit_s:
        time.sleep(5)
    return os.getloadavg()[0]


def _machine_cpu_seconds() -> float:
    """CPU seconds (user + nice + system) used on the whole machine since boot, from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        return sum(int(x) for x in fields[:3]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return float("nan")


def run_once(args, workers: int, mock_dir: Path, base: Path) -> dict:
    from mwdisk.pipelines.clusters import start_client
    from mwdisk.pipelines.run import run_pipeline

    out = base / f"run-w{workers}"
    shutil.rmtree(out, ignore_errors=True)
    cfg = _config(out, mock_dir, args, workers)
    load_before = wait_quiet(args.wait_quiet)
    t0 = time.perf_counter()
    client, cluster = start_client(cfg["cluster"], None)
    client.wait_for_workers(workers)
    t_cluster = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        busy0, self0, mach0 = sum(client.run(_cpu_self).values()), _cpu_self(), _machine_cpu_seconds()
        summaries = run_pipeline(cfg, client=client)
        total = time.perf_counter() - t0
        busy_workers = sum(client.run(_cpu_self).values()) - busy0
        busy_self = _cpu_self() - self0
        # CPU used by everything else on the machine during the run (other users' jobs; nannies: ~0)
        foreign = _machine_cpu_seconds() - mach0 - busy_workers - busy_self
        peaks = client.run(_peak_mib)
        load_after = os.getloadavg()[0]
        overhead = measure_overhead(client, args.tiny_tasks)
    finally:
        client.close()
        cluster.close()
    stages = {k: float(v.get("seconds", 0.0)) for k, v in summaries.items()}
    markers = read_markers(out)
    return {
        "workers": workers, "out": str(out), "cluster_start_seconds": t_cluster, "total_seconds": total,
        "stage_seconds": stages, "peak_mib": peaks, "overhead": overhead, "load_before": load_before,
        "load_after": load_after, "worker_cpu_seconds": busy_workers,
        "client_scheduler_cpu_seconds": busy_self,
        "foreign_cpu_seconds": foreign,
        "markers": {k: {**marker_stats(v), "rows": v["rows"], "seconds": v["seconds"]}
                    for k, v in markers.items()},
        "ingest_partitions": int(summaries["ingest"].get("n_partitions", 0)) or None,
        "stars": int(summaries["ingest"].get("rows", 0)) or None,
    }


# ----------------------------------------------------------------------------------------- shuffle I/O
def measure_batches(df, d: Path, counts=(1, 16, 128, 1024), reads: int = 40, rounds: int = 5) -> dict:
    """The ingest shuffle's unit of I/O, as ``pipelines/ingest.py`` does it, on ``df`` (a 25-row slice).

    Scatter: one Arrow IPC file per input holding ``g`` record batches, written as the code does: the input
    converted to Arrow once (``pa.Table.from_pandas``), one zero-copy slice per strip written with
    ``pa.ipc.new_file``, renamed into place, plus its done marker; timed for each ``g`` in ``counts`` (seconds
    = file fixed cost + g x batch write). Gather: open the file (``pa.OSFile``, ``pa.ipc.open_file``: reads
    the footer, a flatbuffer of the batches' offsets) and read one batch, on ``reads`` batches spread over the
    file; ``read_seconds`` is the median over ``rounds`` rounds (the files interleaved, so a burst of load on
    the shared machine hits every ``g`` alike) of the mean per read. The code converts a strip's batches to
    pandas once (part of the gather's per-star cost); ``read_convert_seconds`` adds a per-batch conversion,
    for comparison.
    """
    import statistics

    import pandas as pd
    import pyarrow as pa

    from mwdisk.layout import atomic_write_text

    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    out, paths = [], {}
    for g in counts:
        path, tmp = d / f"in-{g:05d}.arrow", d / f".in-{g:05d}.tmp"
        t0 = time.perf_counter()
        table = pa.Table.from_pandas(
            pd.concat([df] * g, ignore_index=True), preserve_index=False
        ).combine_chunks()
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            for k in range(g):
                writer.write_table(table.slice(k * len(df), len(df)), max_chunksize=None)
        tmp.replace(path)
        atomic_write_text(d / "_done" / f"in-{g:05d}", json.dumps({str(k): k for k in range(g)}))
        out.append({"batches": g, "write_seconds": time.perf_counter() - t0,
                    "file_bytes": path.stat().st_size})
        paths[g] = path

    def read(path: Path, b: int, convert: bool) -> None:
        with pa.OSFile(str(path)) as src:
            reader = pa.ipc.open_file(src)
            batch = reader.get_batch(b)
            if convert:
                pa.Table.from_batches([batch], schema=reader.schema).to_pandas()

    for path in paths.values():
        read(path, 0, True)  # untimed: one-off lazy set-up in this process
    times = {(g, c): [] for g in counts for c in (True, False)}
    for _ in range(rounds):
        for g, path in paths.items():
            # repeats when g < reads
            picks = [int(round(i * (g - 1) / max(reads - 1, 1))) for i in range(reads)]
            for convert in (True, False):
                t0 = time.perf_counter()
                for b in picks:
                    read(path, b, convert)
                times[g, convert].append((time.perf_counter() - t0) / len(picks))
    for q in out:
        q["read_seconds"] = statistics.median(times[q["batches"], False])
        q["read_convert_seconds"] = statistics.median(times[q["batches"], True])
        q["reads"], q["rounds"] = reads, rounds
    shutil.rmtree(d, ignore_errors=True)
    return {"rows": int(len(df)), "columns": int(df.shape[1]), "files": out}


# ----------------------------------------------------------------------------------------- serial parts
def measure_serial(args, run_dir: Path, mock_dir: Path, base: Path) -> dict:
    """Ingest phases, shuffle I/O, gradients reduction pieces and report, timed serially in this process."""
    import numpy as np
    import pandas as pd

    from mwdisk import ingest as kern
    from mwdisk.layout import RunLayout
    from mwdisk.pipelines import gradients as pg
    from mwdisk.pipelines import ingest as pi
    from mwdisk.pipelines.runner import pending_partitions
    from mwdisk.report import write_report
    from mwdisk.stages import default_variant

    cfg = _config(run_dir, mock_dir, args, 1)
    res: dict = {}

    # ingest phases, on a scratch work folder
    files = [str(f) for f in pi.input_files(mock_dir)]
    bin_deg = float(cfg["ingest"]["dec_bin_deg"])
    radius = float(cfg["ingest"]["dedup_radius_arcsec"])
    t0 = time.perf_counter()
    hist = np.sum([pi._validate_and_histogram(f, bin_deg) for f in files], axis=0)
    t_val = time.perf_counter() - t0
    n_rows = int(hist.sum())
    n_strips = max(1, math.ceil(n_rows / args.partition_rows))
    edges = kern.strip_edges(hist, bin_deg, n_strips)
    scratch = base / "serial-ingest"
    shutil.rmtree(scratch, ignore_errors=True)
    work = scratch / "_work" / "ingest"
    t0 = time.perf_counter()
    for j, f in enumerate(files):
        pi._scatter(j, f, edges, radius / 3600.0 * 1.01, str(work))
    t_sc = time.perf_counter() - t0
    sources = pi._strip_sources(work, len(files))  # strip -> [(input, batch)], from the done markers
    pieces = sum(len(v) for v in sources.values())
    strips = list(sources)
    out_files = len(list(work.glob("in-*.arrow")))
    if out_files == 0 and pieces:
        raise RuntimeError(f"no in-*.arrow scatter files in {work}: "
                           f"the bench does not match pipelines/ingest.py")
    batches_per_file = [0] * len(files)
    for v in sources.values():
        for j, _ in v:
            batches_per_file[j] += 1
    cfg_s = _config(scratch, mock_dir, args, 1)
    t0 = time.perf_counter()
    for i, k in enumerate(strips):
        pi._gather(k, i, str(work), str(scratch), cfg_s, radius, sources[k])
    t_ga = time.perf_counter() - t0
    res["ingest"] = {"rows": n_rows, "files": len(files), "strips": len(strips), "pieces": pieces,
                     "scatter_files": out_files, "batches_per_file": batches_per_file,
                     "validate_seconds": t_val, "scatter_seconds": t_sc, "gather_seconds": t_ga}
    shutil.rmtree(scratch, ignore_errors=True)

    res["batches"] = measure_batches(pd.read_parquet(files[0]).iloc[:25], base / "ipc-batches")

    # done-marker checks (client side, per stage and partition)
    n_parts = RunLayout(run_dir, default_variant(cfg)).n_partitions()
    t0 = time.perf_counter()
    reps = 20
    for _ in range(reps):
        pending_partitions("orbits", run_dir, cfg, None, False)
    res["marker_check_seconds_per_partition"] = (time.perf_counter() - t0) / reps / n_parts

    # gradients, as the cluster path does it: per partition (_partition_task + the split into shards), then
    # per shard a pairwise tree of _combine and _fit_groups on its root, the trend table on the client
    from mwdisk.gradients import concat_gradient_tables, group_shards

    variant = default_variant(cfg)
    s_run = 2  # the 2-worker run's shards (gradients.reduce_shards = 0: one per worker)
    reds, secs, rows = [], [], []
    for i in range(n_parts):
        t0 = time.perf_counter()
        red = pg._partition_task(i, str(run_dir), cfg, variant)
        group_shards(red.groups, s_run)
        secs.append(time.perf_counter() - t0)
        reds.append(red)
        rows.append(int(red.counts.get("ingested", 0)))
    groups = [r.groups for r in reds]
    del reds
    half = n_parts // 2

    def tree(level):
        t0 = time.perf_counter()
        level, n_merge = list(level), 0
        while len(level) > 1:
            nxt = [pg._combine(level[k], level[k + 1]) for k in range(0, len(level) - 1, 2)]
            n_merge += len(nxt)
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        return level[0], time.perf_counter() - t0, n_merge

    def fit_seconds(g) -> tuple[float, object]:
        t0 = time.perf_counter()
        table = pg._fit_groups(g, cfg)
        return time.perf_counter() - t0, table

    def members(g) -> int:
        return int(sum(x.n for x in g.values()))

    root_h, t_mh, _ = tree(groups[:half])
    root_a, t_ma, n_merge = tree(groups)  # one tree (S = 1, the 1-worker run)
    t_fh, _ = fit_seconds(root_h)
    t_fa, _ = fit_seconds(root_a)
    size_a = len(pickle.dumps(root_a, protocol=5))
    size_part = float(np.mean([len(pickle.dumps(g, protocol=5)) for g in groups]))
    # S = 2 trees, each fitted on its own (what the 2-worker run does), and the client's concat + trends
    split = [group_shards(g, s_run) for g in groups]
    trees, tables = [], []
    for k in range(s_run):
        root, t_m, n_m = tree([sp[k] for sp in split])
        t_f, table = fit_seconds(root)
        tables.append(table)
        trees.append({"merge_seconds": t_m, "merges": n_m, "fit_seconds": t_f, "members": members(root),
                      "groups": len(root), "bytes": len(pickle.dumps(root, protocol=5))})
    del split
    t0 = time.perf_counter()
    pg._trends(concat_gradient_tables(tables), cfg)
    t_client = time.perf_counter() - t0
    # how evenly the shards split the members (the root's merge, bytes and fit) and the groups (the fit's
    # per-bin part), for every shard count the default can choose (1 to 32): a shard is a set of whole key
    # prefixes (selection, radius), so there are never more non-empty shards than prefixes
    balance = []
    for s in range(1, 33):
        sh = group_shards(root_a, s)
        balance.append({"shards": s, "members": [members(x) for x in sh], "groups": [len(x) for x in sh]})
    prefixes = len({key[:-1] for key in root_a})
    # larger catalogues: the merged groups of all partitions merged with themselves (x2, x4): the same bins
    # and selections with 2x and 4x the members, for the growth of the fits, the root merge and its size
    scaled = [{"factor": 0.0, "stars": int(sum(rows[:half])), "fit_seconds": t_fh,
               "bytes": len(pickle.dumps(root_h, protocol=5)), "merge_seconds": float("nan")},
              {"factor": 1.0, "stars": int(sum(rows)), "fit_seconds": t_fa, "bytes": size_a,
               "merge_seconds": float("nan")}]
    big = root_a
    quiet = logging.getLogger("mwdisk")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # replicated members make some tiny bins degenerate: warnings, not errors
    try:
        for factor in (2, 4):
            t0 = time.perf_counter()
            big = pg._combine(big, big)
            t_m = time.perf_counter() - t0
            scaled.append({"factor": float(factor), "stars": int(sum(rows)) * factor,
                           "fit_seconds": fit_seconds(big)[0], "bytes": len(pickle.dumps(big, protocol=5)),
                           "merge_seconds": t_m})
    finally:
        quiet.setLevel(level)
    del big
    res["gradients"] = {
        "partition_seconds": secs, "partition_rows": rows,
        "merge_all_seconds": t_ma, "merges_all": n_merge, "merge_half_seconds": t_mh,
        "fit_half_seconds": t_fh, "fit_all_seconds": t_fa,
        "stars_half": int(sum(rows[:half])), "stars_all": int(sum(rows)),
        "members_all": members(root_a), "groups_all": len(root_a), "prefixes": prefixes,
        "reduction_bytes_all": size_a, "reduction_bytes_per_partition": size_part,
        "scaled": scaled, "shards_run": {"shards": s_run, "trees": trees, "client_seconds": t_client},
        "balance": balance,
    }

    # report on all, and on half of the selected stars (a copy of the run folder with half the partitions)
    t0 = time.perf_counter()
    write_report(run_dir)
    t_ra = time.perf_counter() - t0
    hdir = base / "report-half"
    shutil.rmtree(hdir, ignore_errors=True)
    (hdir / "selected").mkdir(parents=True)
    for name in ("gradients.csv", "trends.csv", "cuts.csv", "provenance.json"):
        if (run_dir / name).is_file():
            shutil.copy(run_dir / name, hdir / name)
    sel = sorted((run_dir / "selected").glob("*.parquet"))
    for f in sel[: max(1, len(sel) // 2)]:
        (hdir / "selected" / f.name).symlink_to(f)
    t0 = time.perf_counter()
    write_report(hdir)
    t_rh = time.perf_counter() - t0
    n_sel_h = len(pd.read_parquet(hdir / "selected", columns=["source_id"]))
    n_sel_a = len(pd.read_parquet(run_dir / "selected", columns=["source_id"]))
    shutil.rmtree(hdir, ignore_errors=True)
    res["report"] = {"all_seconds": t_ra, "half_seconds": t_rh, "selected_all": n_sel_a,
                     "selected_half": n_sel_h, "stars_all": int(sum(rows)),
                     "stars_half": int(round(sum(rows) * n_sel_h / max(n_sel_a, 1)))}
    return res


# ----------------------------------------------------------------------------------------- start-up probe
def _probe(run_dir: str, full: bool) -> None:
    """Run in a fresh process: import, grid, potential and per-stage first-call costs; JSON on stdout."""
    t_start = time.perf_counter()
    logging.disable(logging.WARNING)
    res: dict = {}
    t0 = time.perf_counter()
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    res["import_numpy_pandas"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    from mwdisk.stages import STAGES, compute_partition, default_variant, read_partition_inputs

    for name in PARTITION_STAGES:
        STAGES[name].load()
    import mwdisk.partitions.gradients  # noqa: F401

    res["import_adapters"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    import distributed  # noqa: F401

    res["import_distributed"] = time.perf_counter() - t0
    from mwdisk.isochrones.grid import load_grid
    from mwdisk.layout import RunLayout
    from mwdisk.potentials import get_potential

    prov = json.loads((Path(run_dir) / "provenance.json").read_text())
    cfg = prov["config"]
    cfg["run"]["out"] = run_dir
    layout = RunLayout(run_dir, default_variant(cfg))
    t0 = time.perf_counter()
    load_grid(cfg["run"]["isochrones"], cfg["ages"]["comp_axis"])
    res["grid_load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    get_potential(cfg["run"]["potential"], cfg["frame"]["R0_kpc"], cfg["frame"]["vcirc_kms"],
                  interpolate=bool(cfg["orbits"]["interpolate_mcm17"]) or cfg["run"]["potential"] != "mcm17")
    res["potential_build"] = time.perf_counter() - t0
    first = {}
    for name in PARTITION_STAGES:
        t0 = time.perf_counter()
        df = read_partition_inputs(layout, name, 0, None)
        t_read = time.perf_counter() - t0
        small = df.iloc[:500].copy()
        t0 = time.perf_counter()
        compute_partition(name, small, cfg)
        t1 = time.perf_counter() - t0
        t0 = time.perf_counter()
        compute_partition(name, small, cfg)
        t2 = time.perf_counter() - t0
        first[name] = {"first_500": t1, "second_500": t2, "startup": max(0.0, t1 - t2),
                       "read_seconds": t_read, "read_rows": len(df)}
        if full:
            t0 = time.perf_counter()
            compute_partition(name, df, cfg)
            first[name]["full_seconds"] = time.perf_counter() - t0
    res["stages"] = first
    res["probe_total"] = time.perf_counter() - t_start
    print("PROBE " + json.dumps(res), flush=True)


def measure_startup(run_dir: Path) -> dict:
    py = sys.executable
    t0 = time.perf_counter()
    subprocess.run([py, "-c", "pass"], check=True)
    t_py = time.perf_counter() - t0
    out = {"python_start": t_py}
    for kind in ("warm", "cold"):
        env = dict(os.environ)
        tmp = None
        if kind == "cold":
            tmp = tempfile.mkdtemp(prefix="mwdisk-numba-")
            env["NUMBA_CACHE_DIR"] = tmp
        t0 = time.perf_counter()
        mode = "full" if kind == "warm" else "small"
        p = subprocess.run([py, __file__, "--_probe", str(run_dir), mode], env=env, capture_output=True,
                           text=True)
        wall = time.perf_counter() - t0
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("PROBE ")]
        if p.returncode or not line:
            raise RuntimeError(f"start-up probe ({kind}) failed:\n{p.stderr[-3000:]}")
        out[kind] = {**json.loads(line[0][6:]), "process_wall": wall}
    return out


# ----------------------------------------------------------------------------------------- tables
def print_tables(res: dict) -> None:
    n = res["stars"]
    r1, r2 = res["runs"]["1"], res["runs"]["2"]
    print(f"\nmachine: {res['machine']}")
    print(f"{n:,} stars after ingest ({res['args']['n']:,} in the mock), partitions of "
          f"{res['args']['partition_rows']:,} rows -> {r1['ingest_partitions']} partitions; "
          f"1 and 2 single-threaded workers")
    print("\nStrong scaling 1 -> 2 workers (stage wall time, stars/s per worker, efficiency T1 / (2 T2))")
    print(f"{'stage':<11} {'T1 s':>8} {'T2 s':>8} {'1w st/s/w':>10} {'2w st/s/w':>10} {'speed-up':>8} "
          f"{'eff':>6}")
    for s in STAGE_ORDER:
        t1, t2 = r1["stage_seconds"].get(s, 0.0), r2["stage_seconds"].get(s, 0.0)
        if not t1 or not t2:
            continue
        print(f"{s:<11} {t1:8.2f} {t2:8.2f} {n / t1:10.0f} {n / t2 / 2:10.0f} {t1 / t2:8.2f} "
              f"{t1 / (2 * t2):6.2f}")
    t1, t2 = r1["total_seconds"], r2["total_seconds"]
    print(f"{'total':<11} {t1:8.2f} {t2:8.2f} {n / t1:10.0f} {n / t2 / 2:10.0f} {t1 / t2:8.2f} "
          f"{t1 / (2 * t2):6.2f}")
    for w, r in (("1", r1), ("2", r2)):
        print(f"  {w}-worker run: workers' CPU {r['worker_cpu_seconds']:.0f} s, client + scheduler CPU "
              f"{r['client_scheduler_cpu_seconds']:.0f} s, other processes' CPU "
              f"{r['foreign_cpu_seconds']:.0f} s, "
              f"load average {r['load_before']:.2f} before / {r['load_after']:.2f} after")

    print("\nPer-partition costs from the done markers (1-worker run; compute + write on the worker)")
    print(f"{'stage':<11} {'parts':>5} {'rows':>7} {'s/part':>8} {'min':>7} {'max':>7} {'cv':>5} "
          f"{'us/star':>8}"
          f" {'w/o max':>8} {'2w us/star':>10}")
    for s in PARTITION_STAGES:
        m, m2 = r1["markers"].get(s), r2["markers"].get(s)
        if not m:
            continue
        print(f"{s:<11} {m['partitions']:5d} {m['rows_mean']:7.0f} {m['seconds_mean']:8.3f} "
              f"{m['seconds_min']:7.3f}"
              f" {m['seconds_max']:7.3f} {m['cv']:5.2f} {1e6 * m['seconds_per_star_sum']:8.1f}"
              f" {1e6 * m['seconds_per_star_trimmed']:8.1f}"
              f" {1e6 * m2['seconds_per_star_sum'] if m2 else float('nan'):10.1f}")
    print("(us/star: all partitions; w/o max: without the slowest, which carries the stage's start-up)")

    print("\nScheduler per-task overhead (no-op tasks)")
    print(f"{'workers':<8} {'map s/task':>11} {'round trip s':>13} {'runner path s/part':>19}")
    for w, r in res["runs"].items():
        o = r["overhead"]
        print(f"{w:<8} {o['map_seconds_per_task']:11.5f} {o['roundtrip_seconds']:13.5f}"
              f" {o['runner_path_seconds_per_partition']:19.5f}")

    st = res["startup"]
    print("\nWorker start-up (fresh process; warm = numba cache present, cold = empty NUMBA_CACHE_DIR)")
    print(f"python interpreter start: {st['python_start']:.2f} s; LocalCluster ready: "
          f"1 worker {r1['cluster_start_seconds']:.2f} s, 2 workers {r2['cluster_start_seconds']:.2f} s")
    print(f"{'item':<30} {'warm s':>8} {'cold s':>8}")
    for k in ("import_numpy_pandas", "import_adapters", "import_distributed", "grid_load", "potential_build"):
        print(f"{k:<30} {st['warm'][k]:8.2f} {st['cold'][k]:8.2f}")
    for s in PARTITION_STAGES:
        print(f"{'first call ' + s:<30} {st['warm']['stages'][s]['startup']:8.2f} "
              f"{st['cold']['stages'][s]['startup']:8.2f}")
    print(f"{'probe process wall':<30} {st['warm']['process_wall']:8.2f} {st['cold']['process_wall']:8.2f}")

    se = res["serial"]
    ing, g, rep = se["ingest"], se["gradients"], se["report"]
    print("\nSerial / reduction parts (timed in one process on the 1-worker run)")
    print(f"ingest: validate {ing['validate_seconds']:.2f} s, scatter {ing['scatter_seconds']:.2f} s "
          f"({ing['pieces']} record-batch pieces in {ing['scatter_files']} IPC files "
          f"from {ing['files']} inputs, "
          f"{ing['strips']} strips), gather {ing['gather_seconds']:.2f} s")
    bt = se["batches"]
    print(f"shuffle I/O (Arrow IPC, {bt['rows']}-row record batches, {bt['columns']} columns): "
          + "; ".join(f"{q['batches']} batches: write file {1e3 * q['write_seconds']:.1f} ms, "
                      f"open + read one {1e3 * q['read_seconds']:.3f} ms "
                      f"(with a per-batch to_pandas {1e3 * q['read_convert_seconds']:.2f} ms)"
                      for q in bt["files"]))
    print(f"done-marker check {1e6 * se['marker_check_seconds_per_partition']:.0f} us per partition")
    per_part = sum(g["partition_seconds"]) / len(g["partition_seconds"])
    print(f"gradients: {per_part:.3f} s per partition; one merge tree {g['merge_all_seconds']:.3f} s "
          f"({g['merges_all']} merges); fit {g['fit_half_seconds']:.2f} s at {g['stars_half']:,} stars, "
          f"{g['fit_all_seconds']:.2f} s at {g['stars_all']:,}; merged reduction "
          f"{g['reduction_bytes_all'] / 2**20:.1f} MiB ({g['members_all']:,} members in {g['groups_all']} "
          f"groups of {g['prefixes']} key prefixes)")
    sr = g["shards_run"]
    print(f"  {sr['shards']} shards: " + "; ".join(
        f"tree {t['merge_seconds']:.3f} s, fit {t['fit_seconds']:.2f} s, {t['members']:,} members, "
        f"{t['bytes'] / 2**20:.1f} MiB" for t in sr["trees"]) + f"; client concat + trends "
        f"{sr['client_seconds']:.3f} s")
    print("  largest shard's share of the members by shard count: " + ", ".join(
        f"{b['shards']}: {max(b['members']) / max(sum(b['members']), 1):.2f}" for b in g["balance"]
        if b["shards"] in (1, 2, 4, 8, 16, 32)))
    for sc in g["scaled"][2:]:
        print(f"  groups x{sc['factor']:.0f} ({sc['stars']:,} stars' worth): fit {sc['fit_seconds']:.2f} s, "
              f"root merge {sc['merge_seconds']:.3f} s, {sc['bytes'] / 2**20:.1f} MiB")
    print(f"report: {rep['half_seconds']:.2f} s with {rep['selected_half']:,} selected stars, "
          f"{rep['all_seconds']:.2f} s with {rep['selected_all']:,}")
    for w, r in res["runs"].items():
        for addr, mib in sorted(r["peak_mib"].items()):
            print(f"peak memory, {w}-worker run, worker {addr}: {mib:.0f} MiB")
    print(f"peak memory of this client process: {_peak_mib():.0f} MiB")
    la = res["load_averages"]
    print(f"1-min load average before the serial part {la['serial_before']:.2f}, before the start-up probes "
          f"{la['startup_before']:.2f}, at the end {la['end']:.2f} (this machine's 2 cores are shared)")
    print(f"benchmark wall time: {res['bench_seconds']:.0f} s; JSON: {res['json']}")


# ----------------------------------------------------------------------------------------- main
def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--_probe":
        _probe(sys.argv[2], sys.argv[3] == "full")
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="mock stars (before de-duplication)")
    ap.add_argument("--partition-rows", type=int, default=10_000)
    ap.add_argument("--mock-partitions", type=int, default=10, help="files of the input catalogue")
    ap.add_argument("--out", default="/tmp/mwdisk-scaling")
    ap.add_argument("--json", default=None, help="default: OUT/scaling.json")
    ap.add_argument("--tiny-tasks", type=int, default=1000)
    ap.add_argument("--wait-quiet", type=float, default=120.0,
                    help="wait up to this many seconds for a 1-min load average below 0.5 before each run")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    base = Path(args.out)
    base.mkdir(parents=True, exist_ok=True)
    json_path = Path(args.json) if args.json else base / "scaling.json"
    t_bench = time.perf_counter()

    from mwdisk.pipelines.clusters import start_client
    from mwdisk.pipelines.mock import ensure_mock

    mock_dir = base / "mock"
    cfg = _config(base / "mock-run", mock_dir, args, 2, catalog=False)
    client, cluster = start_client(cfg["cluster"], None)
    try:
        t0 = time.perf_counter()
        ensure_mock(client, cfg, mock_dir)
        t_mock = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    print(f"mock of {args.n:,} stars ready in {t_mock:.1f} s ({mock_dir})", flush=True)

    runs = {}
    for w in (1, 2):
        runs[str(w)] = run_once(args, w, mock_dir, base)
        print(f"{w} worker(s): pipeline {runs[str(w)]['total_seconds']:.1f} s", flush=True)
    run1 = Path(runs["1"]["out"])
    loads = {"serial_before": wait_quiet(args.wait_quiet)}
    serial = measure_serial(args, run1, mock_dir, base)
    print("serial parts measured", flush=True)
    loads["startup_before"] = wait_quiet(args.wait_quiet)
    startup = measure_startup(run1)
    loads["end"] = os.getloadavg()[0]
    res = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
                   f"load average at end {os.getloadavg()[0]:.2f}",
        "args": vars(args), "stars": runs["1"]["stars"], "mock_seconds": t_mock, "runs": runs,
        "serial": serial, "startup": startup, "json": str(json_path), "load_averages": loads,
        "bench_seconds": time.perf_counter() - t_bench,
        "defaults": {"partition_rows": 50_000},
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(res, indent=1))
    print_tables(res)


if __name__ == "__main__":
    main()
