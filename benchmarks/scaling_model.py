"""A wall-time model of ``mwdisk run`` on a cluster, from costs measured on this machine by scaling_bench.py.

    python benchmarks/scaling_model.py [--json /tmp/mwdisk-scaling/scaling.json] [--cold-numba]

Prints (1) the model's cost table, (2) the model against the measured 1 -> 2 worker run per stage, and (3) the
predicted wall time for 4M and 100M stars on 16, 64 and 256 cores, at the default ``run.partition_rows``
(50,000) and at the best partition size of a short list.

The model
---------
``W`` single-threaded workers, one per core (``cluster.threads_per_worker: 1``); ``N`` stars; ingest writes
``P = ceil(N / R)`` partitions of ``n = N / P`` rows (``R`` = ``run.partition_rows``); the input catalogue is
``F`` files (default ``F = P``). Waves: ``w(P, W) = ceil(P / W)``.

* **Per-partition stage** ``s`` (extinction, ages, phasespace, orbits, and the per-partition half of
  gradients): a partition costs a worker ``t_s = a_s + b_s n + o`` (``a_s`` fixed seconds per partition,
  ``b_s`` seconds per star for read + compute + write, ``o`` the scheduler's per-partition overhead).
  The stage takes::

      T_s = max( w(P, W) t_s + tail_s ,  P o + a_s + b_s n ) + u_s
      tail_s = cv_s t_s sqrt(2 ln min(P, W))            (0 when min(P, W) < 2)

  ``w(P, W) t_s`` is the wave count times the partition time (the last wave is paid in full even when it is
  nearly empty: the tail effect); ``tail_s`` is the expected excess of the slowest of ``min(P, W)`` partitions
  whose times scatter with relative spread ``cv_s`` (maximum of Gaussians); ``P o + a_s + b_s n`` is the bound
  set by a scheduler that dispatches one partition per ``o`` seconds (the last one starts at ``P o``);
  ``u_s`` is the stage's start-up in a worker (first call: isochrone grid load for ages, galpy potential
  build for orbits, numba cache load or compilation), paid once per stage because all workers pay it at the
  same time. The client checks ``P`` done markers per stage (``c_marker`` each) before submitting, and each
  stage has a fixed cost ``c_stage`` (the client builds the meta and the graph, the first task reaches the
  worker and imports the adapter): estimated as the median over the four per-star stages of the 1-worker
  run's stage wall time minus its partitions' marker and read times.
* **Ingest**: three phases separated by barriers. Validate: ``w(F, W) (b_v N / F + o)``. Scatter: each input
  file writes ONE Arrow IPC file, one record batch per declination strip it touches (``g = K / F``
  batches): ``w(F, W) (b_sc N / F + c_file + g c_bw + o)``. Gather + de-duplicate: a strip reads its batch
  from each input file that has one (``K / P`` pieces), each read opening the file (its footer is a
  flatbuffer of the batches' offsets) and reading the one batch; the strip's batches are converted to pandas
  once (in ``b_ga``): ``w(P, W) (b_ga n + (K / P) c_br + o)``. ``K`` is the number of record-batch pieces
  of the shuffle:
  ``F P`` when every input file touches every declination strip (an input in random order, as the mock: the
  worst case), ``F + P`` when the input is sorted by declination; the shuffle creates ``F`` files whatever
  ``K``. ``c_file`` (writer, footer, rename, done marker) and ``c_bw`` (one batch sliced from the input's one
  Arrow conversion and written) are
  the least-squares line through the write times of files of 1, 16, 128 and 1024 batches of 25 rows on this
  machine's disk; ``c_br`` is the read time of one batch of the 1024-batch file. Reading a batch costs
  about the same in a file of 1 as of 1024 batches (measured: no term ``g c_foot`` as a parquet footer
  listing ``g`` row groups needed, which made the gather ``F P^2`` work for random input); the growth that
  is measured is printed with the costs, not modelled.
* **Gradients reduction**: the per-partition groups are split by key prefix (selection, radius) into ``S``
  shards (``gradients.reduce_shards``; 0, the default, is ``S = min(W, 32)``), each reduced by its own
  pairwise tree of ``L = ceil(log2 P)`` levels and fitted on the worker holding its root. The largest shard
  holds a share ``phi_m(S)`` of the members and ``phi_g(S)`` of the groups (``1 / S`` for an even split;
  measured for S = 1..32 on the bench's groups: a shard is a set of whole prefixes, so at most as many
  shards as prefixes are non-empty, ``S_ne``). Extra tasks: ``P (S + 1)`` picks (``getitem`` of a shard's
  groups, or of the cut counts, from each partition's result) after the per-partition half, and
  ``S (P - 1)`` merges; the scheduler handles each in ``o_t`` seconds, one after another.
  Picks: ``P (S + 1) o_t``. Trees, level by level (level ``k`` has ``M_k = ceil(P / 2^k)`` merges per
  tree, of about ``2^k n phi_m`` stars' groups each; each level waits for the one below)::

      T_tree = max( sum_k w(S_ne M_k, W) (m 2^k n phi_m + r) ,  S (P - 1) o_t )

  ``m`` the merge cost per star, ``r`` a task round trip. A root merge costs ``m N phi_m`` (``m N / S``
  when even) and a root holds ``A phi_g + B N phi_m`` bytes (``(A + B N) / S``; ``A + B N`` the pickled
  size of all groups merged) on each of ``S_ne`` workers.
  Fits: ``T_fit = w(S_ne, W) (a_fit phi_g + b_fit N phi_m) + c_client``, the ``S`` fits in parallel, each
  on its shard's root worker (``a_fit + b_fit N``: least squares over the fits of half and all of the
  partitions' groups and of those groups merged with themselves 2x and 4x, the same bins with 2x and 4x the
  members), then the client concatenates the small gradient tables and computes the trend table
  (``c_client``). With ``S = 1`` (and ``o_t = 0``) this is the former single tree fitted on one worker.
* **Serial part** (one core, nothing overlaps it): the report on the client, ``a_rep + b_rep N``
  (from all and half of the selected stars).
* **Start-up**: ``u_0`` once per run (a worker process starting, importing numpy, pandas, distributed and the
  stage adapters), all workers in parallel.

Total: ``T = u_0 + T_ingest + sum_s (T_s + P c_marker + c_stage) + T_picks + T_tree + T_fit + T_report``.

Assumptions (and what they leave out)
-------------------------------------
* A cluster core is as fast as one of this machine's cores and per-star costs do not grow with ``W``
  (no shared memory-bandwidth or file-system contention; the measured 2-worker per-star costs show how much
  two workers on this 2-vCPU VM already slow each other).
* Workers start together; the batch queue's wait for dask-jobqueue jobs, adaptive scale-up and worker
  ``--lifetime`` restarts (each pays ``u_0 + sum u_s`` again) are not modelled.
* The scheduler and the client run on cores of their own (a login node): ``o`` is serial for the whole
  cluster, measured here with them sharing the machine with two workers (pessimistic).
* Partitions have equal row counts (ingest makes strips of equal counts) and their times scatter with the
  ``cv`` of the markers measured here; per-partition time is linear in rows.
* The file system is a local disk: on a parallel file system creating a file (``F`` of them, one per input)
  and opening one (``K`` opens and footer reads in the gather) cost more and are shared by all workers;
  the model prints ``F`` and ``K`` so it can be judged. A read on a network file system may also fetch more
  than the one batch's bytes (read-ahead), which the local page cache hides here.
* The shards' sizes scale with ``N`` in the proportions measured on the bench's mock (the share of each
  selection and radius); a real catalogue's selections may split differently. Moving a merge's input from
  another worker (network) is not modelled: merges are timed in one process.
* The scheduler's cost per small task ``o_t`` (no-op ``client.map`` throughput, measured with 2 workers)
  is taken as constant; a real scheduler with hundreds of workers may be slower per task.
* The fits and the report are linear in ``N`` (fits: ODR over the members; report: the per-star columns of the
  selected stars read by the client and drawn); only the measured sizes back this.
* The built-in mock's generation is not part of a run on a real catalogue and is left out.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "StageCost", "IngestCost", "ReductionCost", "SerialCost", "ClusterCosts", "Prediction",
    "n_partitions", "waves", "tail_seconds", "stage_seconds", "ingest_seconds", "n_shards", "shard_shares",
    "pick_seconds", "tree_seconds", "fit_seconds", "root_bytes", "predict", "costs_from_measurements",
    "ingest_costs", "batch_read_growth", "best_partition_rows",
]

MAX_DEFAULT_SHARDS = 32  # gradients.reduce_shards = 0: one shard per worker, at most this many

DEFAULT_PARTITION_ROWS = 50_000
CANDIDATE_PARTITION_ROWS = (5_000, 10_000, 20_000, 50_000, 100_000, 200_000)


# ------------------------------------------------------------------------------------------------ costs
@dataclass(frozen=True)
class StageCost:
    """A per-partition stage: ``t = seconds_per_partition + seconds_per_star * rows`` on one core."""

    name: str
    seconds_per_star: float
    seconds_per_partition: float = 0.0
    startup_seconds: float = 0.0
    cv: float = 0.0


@dataclass(frozen=True)
class IngestCost:
    """Ingest: per-star costs of the three phases and the shuffle's file and record-batch costs."""

    validate_seconds_per_star: float = 0.0
    scatter_seconds_per_star: float = 0.0
    gather_seconds_per_star: float = 0.0
    file_write_seconds: float = 0.0   # c_file: one scatter IPC file (writer, footer, rename, done marker)
    batch_write_seconds: float = 0.0  # c_bw: one record batch (a slice of the input's Arrow table) written
    batch_read_seconds: float = 0.0   # c_br: open a scatter file and read one batch


@dataclass(frozen=True)
class ReductionCost:
    """The sharded gradient reduction: merge trees, the roots' size and the fits.

    ``balance`` rows ``(S, phi_m, phi_g, S_ne)``: with ``S`` shards the largest holds a share ``phi_m`` of
    the members and ``phi_g`` of the groups, and ``S_ne`` shards are non-empty. A shard count without a row
    is taken as an even split (``1 / S``, ``S`` non-empty).
    """

    merge_seconds_per_star: float = 0.0   # m
    bytes_per_star: float = 0.0           # B
    bytes_fixed: float = 0.0              # A
    fit_seconds_fixed: float = 0.0        # a_fit (all groups in one fit)
    fit_seconds_per_star: float = 0.0     # b_fit
    client_seconds: float = 0.0           # c_client: concat of the shards' tables and the trend table
    balance: tuple[tuple[int, float, float, int], ...] = ()


@dataclass(frozen=True)
class SerialCost:
    """A part that runs on one core while nothing else runs: ``seconds_fixed + seconds_per_star * N``."""

    name: str
    seconds_fixed: float = 0.0
    seconds_per_star: float = 0.0

    def seconds(self, n_stars: float) -> float:
        return self.seconds_fixed + self.seconds_per_star * n_stars


@dataclass(frozen=True)
class ClusterCosts:
    stages: tuple[StageCost, ...]
    ingest: IngestCost = field(default_factory=IngestCost)
    reduction: ReductionCost = field(default_factory=ReductionCost)
    serial: tuple[SerialCost, ...] = ()
    task_overhead_seconds: float = 0.0   # o: per partition, serial at the scheduler and on the worker
    task_seconds: float = 0.0            # o_t: the scheduler's cost of one small task (picks, merges)
    roundtrip_seconds: float = 0.0       # r: a dependent task's latency (tree levels)
    worker_startup_seconds: float = 0.0  # u_0
    marker_check_seconds: float = 0.0    # c_marker, client, per partition and stage
    stage_fixed_seconds: float = 0.0     # c_stage, per per-partition stage


@dataclass
class Prediction:
    n_stars: int
    cores: int
    partition_rows: int
    partitions: int
    input_files: int
    pieces: int
    shards: int
    parts: dict[str, float]
    root_bytes: float

    @property
    def total_seconds(self) -> float:
        return float(sum(self.parts.values()))


# ------------------------------------------------------------------------------------------------ arithmetic
def n_partitions(n_stars: float, partition_rows: int) -> int:
    """``P = ceil(N / R)``, at least 1."""
    if partition_rows <= 0:
        raise ValueError(f"partition_rows = {partition_rows} must be positive")
    return max(1, math.ceil(n_stars / partition_rows))


def waves(tasks: int, workers: int) -> int:
    """Rounds of ``workers`` parallel tasks needed for ``tasks`` equal tasks: ``ceil(tasks / workers)``."""
    if workers <= 0:
        raise ValueError(f"workers = {workers} must be positive")
    return math.ceil(tasks / workers) if tasks > 0 else 0


def tail_seconds(cv: float, task_seconds: float, tasks: int, workers: int) -> float:
    """Expected excess of the slowest of ``min(tasks, workers)`` tasks of relative spread ``cv``."""
    m = min(tasks, workers)
    if cv <= 0 or m < 2:
        return 0.0
    return cv * task_seconds * math.sqrt(2.0 * math.log(m))


def stage_seconds(cost: StageCost, n_stars: float, partitions: int, workers: int,
                  overhead: float = 0.0) -> float:
    """Wall time of a per-partition stage (see the module docstring)."""
    rows = n_stars / partitions
    work = cost.seconds_per_partition + cost.seconds_per_star * rows
    t = work + overhead
    compute = waves(partitions, workers) * t + tail_seconds(cost.cv, t, partitions, workers)
    dispatch = partitions * overhead + work
    return max(compute, dispatch) + cost.startup_seconds


def ingest_seconds(cost: IngestCost, n_stars: float, partitions: int, input_files: int, workers: int,
                   overhead: float = 0.0, input_order: str = "random") -> tuple[float, int]:
    """Wall time of the three ingest phases and the number of shuffle pieces (record batches) ``K``.

    The scatter writes one IPC file per input (``F`` files) with ``g = K / F`` batches; the gather reads
    ``K / P`` batches per strip, each at a cost ``c_br`` that does not depend on ``g``.
    """
    if input_order not in ("random", "sorted"):
        raise ValueError(f"input_order = {input_order!r}: use 'random' or 'sorted'")
    f, p = input_files, partitions
    pieces = f * p if input_order == "random" else f + p
    per_file = pieces / f
    validate = waves(f, workers) * (cost.validate_seconds_per_star * n_stars / f + overhead)
    scatter = waves(f, workers) * (cost.scatter_seconds_per_star * n_stars / f + cost.file_write_seconds
                                   + per_file * cost.batch_write_seconds + overhead)
    gather = waves(p, workers) * (cost.gather_seconds_per_star * n_stars / p
                                  + pieces / p * cost.batch_read_seconds + overhead)
    return validate + scatter + gather, pieces


def n_shards(reduce_shards: int, workers: int) -> int:
    """Shards of the reduction: ``reduce_shards``, or with 0 one per worker, at most 32 (as the pipeline)."""
    if reduce_shards < 0:
        raise ValueError(f"reduce_shards = {reduce_shards}: use 0 (one per worker) or a positive number")
    return int(reduce_shards) if reduce_shards > 0 else min(max(int(workers), 1), MAX_DEFAULT_SHARDS)


def shard_shares(cost: ReductionCost, shards: int) -> tuple[float, float, int]:
    """``(phi_m, phi_g, S_ne)`` of ``shards`` shards: ``cost.balance``'s row, else an even split."""
    if shards < 1:
        raise ValueError(f"shards = {shards}: use at least 1")
    for s, phi_m, phi_g, non_empty in cost.balance:
        if s == shards:
            return float(phi_m), float(phi_g), int(non_empty)
    return 1.0 / shards, 1.0 / shards, int(shards)


def pick_seconds(partitions: int, shards: int, task_seconds: float) -> float:
    """The ``P (S + 1)`` picks of shard groups and cut counts, one after another at the scheduler."""
    return partitions * (shards + 1) * task_seconds


def tree_seconds(cost: ReductionCost, n_stars: float, partitions: int, workers: int,
                 roundtrip: float = 0.0, shards: int = 1, task_seconds: float = 0.0) -> float:
    """Wall time of ``shards`` pairwise merge trees over ``partitions`` leaves each, side by side."""
    rows = n_stars / partitions
    phi_m, _, non_empty = shard_shares(cost, shards)
    total, k, level = 0.0, 0, partitions
    while level > 1:
        k += 1
        merges = level // 2
        total += waves(non_empty * merges, workers) * (cost.merge_seconds_per_star * 2 ** k * rows * phi_m
                                                      + roundtrip)
        level = merges + level % 2
    return max(total, shards * (partitions - 1) * task_seconds)


def fit_seconds(cost: ReductionCost, n_stars: float, shards: int, workers: int) -> float:
    """The shards' fits side by side (the largest sets the pace), then the client's concat and trends."""
    phi_m, phi_g, non_empty = shard_shares(cost, shards)
    one = cost.fit_seconds_fixed * phi_g + cost.fit_seconds_per_star * n_stars * phi_m
    return waves(non_empty, workers) * one + cost.client_seconds


def root_bytes(cost: ReductionCost, n_stars: float, shards: int = 1) -> float:
    """Bytes of the largest shard's root (what one worker holds at the end of its tree)."""
    phi_m, phi_g, _ = shard_shares(cost, shards)
    return cost.bytes_fixed * phi_g + cost.bytes_per_star * n_stars * phi_m


def predict(costs: ClusterCosts, n_stars: int, cores: int, partition_rows: int = DEFAULT_PARTITION_ROWS,
            input_files: int | None = None, input_order: str = "random",
            reduce_shards: int = 0) -> Prediction:
    """Predicted wall time of a run, part by part (seconds), on ``cores`` single-threaded workers."""
    p = n_partitions(n_stars, partition_rows)
    f = p if input_files is None else int(input_files)
    s = n_shards(reduce_shards, cores)
    o = costs.task_overhead_seconds
    parts: dict[str, float] = {"startup": costs.worker_startup_seconds}
    parts["ingest"], pieces = ingest_seconds(costs.ingest, n_stars, p, f, cores, o, input_order)
    for st in costs.stages:
        parts[st.name] = (stage_seconds(st, n_stars, p, cores, o) + p * costs.marker_check_seconds
                          + costs.stage_fixed_seconds)
    parts["picks"] = pick_seconds(p, s, costs.task_seconds)
    parts["merge_tree"] = tree_seconds(costs.reduction, n_stars, p, cores, costs.roundtrip_seconds, s,
                                       costs.task_seconds)
    parts["fits"] = fit_seconds(costs.reduction, n_stars, s, cores)
    for st in costs.serial:
        if st.name in parts:
            raise ValueError(f"serial part {st.name!r} has the name of a modelled part: rename it")
        parts[st.name] = st.seconds(n_stars)
    return Prediction(n_stars=int(n_stars), cores=int(cores), partition_rows=int(partition_rows),
                      partitions=p, input_files=f, pieces=pieces, shards=s, parts=parts,
                      root_bytes=root_bytes(costs.reduction, n_stars, s))


def best_partition_rows(costs: ClusterCosts, n_stars: int, cores: int,
                        candidates=CANDIDATE_PARTITION_ROWS, **kw) -> Prediction:
    """The prediction with the smallest total among ``candidates`` partition sizes."""
    preds = [predict(costs, n_stars, cores, r, **kw) for r in candidates]
    return min(preds, key=lambda q: q.total_seconds)


# ------------------------------------------------------------------------------------------------ from JSON
def _line(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float]:
    """``(a, b)`` of ``y = a + b x`` through two points, both clipped at zero."""
    if x2 == x1:
        return max(0.0, y2), 0.0
    b = max(0.0, (y2 - y1) / (x2 - x1))
    return max(0.0, y2 - b * x2), b


def ingest_costs(serial: dict) -> IngestCost:
    """Ingest costs from scaling_bench.py's ``serial`` part: the shuffle's file and batch costs from the
    stand-in IPC files (``batches``), the per-star costs from the real phases minus those."""
    if "batches" not in serial:
        raise ValueError("the measurements have no 'serial.batches' (Arrow IPC shuffle I/O): "
                         "they come from a scaling_bench.py older than the IPC scatter files; "
                         "run the current one")
    ing = serial["ingest"]
    bts = serial["batches"]["files"]
    c_file, c_bw = _lsq([q["batches"] for q in bts], [q["write_seconds"] for q in bts])
    c_br = max(bts, key=lambda q: q["batches"])["read_seconds"]
    n_in = ing["rows"]
    return IngestCost(
        validate_seconds_per_star=ing["validate_seconds"] / n_in,
        scatter_seconds_per_star=max(0.0, ing["scatter_seconds"] - ing["scatter_files"] * c_file
                                     - ing["pieces"] * c_bw) / n_in,
        gather_seconds_per_star=max(0.0, ing["gather_seconds"] - ing["pieces"] * c_br) / n_in,
        file_write_seconds=c_file,
        batch_write_seconds=c_bw,
        batch_read_seconds=c_br,
    )


def costs_from_measurements(m: dict, cache: str = "warm") -> ClusterCosts:
    """Model costs from scaling_bench.py's JSON (the 1-worker run's markers; ``cache`` warm or cold numba)."""
    r1, r2 = m["runs"]["1"], m["runs"]["2"]
    st = m["startup"]
    warm = st["warm"]
    probe = st[cache]
    se = m["serial"]
    extra_startup = {"ages": probe["grid_load"], "orbits": probe["potential_build"]}
    stages = []
    for name in ("extinction", "ages", "phasespace", "orbits"):
        mk = r1["markers"][name]
        pw = warm["stages"][name]
        read_per_star = pw["read_seconds"] / max(pw["read_rows"], 1)
        a, _ = _line(500, pw["second_500"], pw["read_rows"], pw.get("full_seconds", pw["second_500"]))
        stages.append(StageCost(
            name=name,
            seconds_per_star=mk["seconds_per_star_trimmed"] + read_per_star,
            seconds_per_partition=a,
            startup_seconds=probe["stages"][name]["startup"] + extra_startup.get(name, 0.0),
            cv=mk["cv_trimmed"],
        ))
    g = se["gradients"]
    stages.append(StageCost(
        name="gradients_partitions",
        seconds_per_star=sum(g["partition_seconds"]) / max(sum(g["partition_rows"]), 1),
        cv=_cv(g["partition_seconds"]),
    ))
    ingest = ingest_costs(se)
    pts = g["scaled"]
    a_fit, b_fit = _lsq([q["stars"] for q in pts], [q["fit_seconds"] for q in pts])
    big = [q for q in pts if q["stars"] >= g["stars_all"]]
    a_bytes, b_bytes = _lsq([q["stars"] for q in big], [q["bytes"] for q in big])
    if b_bytes <= 0:
        a_bytes, b_bytes = 0.0, g["reduction_bytes_all"] / g["stars_all"]
    p_run = len(g["partition_rows"])
    levels = max(1.0, math.log2(p_run)) if p_run > 1 else 1.0
    balance = []
    for b in g.get("balance", ()):
        mem, grp = b["members"], b["groups"]
        balance.append((int(b["shards"]), max(mem) / max(sum(mem), 1), max(grp) / max(sum(grp), 1),
                        max(1, sum(1 for x in grp if x > 0))))
    reduction = ReductionCost(
        merge_seconds_per_star=g["merge_all_seconds"] / (g["stars_all"] * levels),
        bytes_per_star=b_bytes,
        bytes_fixed=a_bytes,
        fit_seconds_fixed=a_fit,
        fit_seconds_per_star=b_fit,
        client_seconds=g["shards_run"]["client_seconds"],
        balance=tuple(balance),
    )
    rep = se["report"]
    a_rep, b_rep = _line(rep["stars_half"], rep["half_seconds"], rep["stars_all"], rep["all_seconds"])
    startup = r1["cluster_start_seconds"] + probe["import_numpy_pandas"] + probe["import_adapters"]
    residuals = []
    for name in ("extinction", "ages", "phasespace", "orbits"):
        mk = r1["markers"][name]
        pw = warm["stages"][name]
        read = pw["read_seconds"] / max(pw["read_rows"], 1) * sum(mk["rows"])
        residuals.append(r1["stage_seconds"][name] - sum(mk["seconds"]) - read)
    residuals.sort()
    c_stage = max(0.0, 0.5 * (residuals[1] + residuals[2]))
    return ClusterCosts(
        stages=tuple(stages),
        ingest=ingest,
        reduction=reduction,
        serial=(SerialCost("report", a_rep, b_rep),),
        task_overhead_seconds=r2["overhead"]["runner_path_seconds_per_partition"],
        task_seconds=r2["overhead"]["map_seconds_per_task"],
        roundtrip_seconds=r2["overhead"]["roundtrip_seconds"],
        worker_startup_seconds=startup,
        marker_check_seconds=se["marker_check_seconds_per_partition"],
        stage_fixed_seconds=c_stage,
    )


def _lsq(x, y) -> tuple[float, float]:
    """Least-squares ``(a, b)`` of ``y = a + b x``, clipped at zero (two points: the line through them)."""
    n = len(x)
    if n < 2:
        return (max(0.0, y[0]) if n else 0.0), 0.0
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((v - mx) ** 2 for v in x)
    if sxx == 0:
        return max(0.0, my), 0.0
    b = max(0.0, sum((u - mx) * (v - my) for u, v in zip(x, y, strict=True)) / sxx)
    return max(0.0, my - b * mx), b


def _cv(x) -> float:
    if len(x) < 2:
        return 0.0
    mean = sum(x) / len(x)
    var = sum((v - mean) ** 2 for v in x) / len(x)
    return math.sqrt(var) / mean if mean > 0 else 0.0


# ------------------------------------------------------------------------------------------------ tables
def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# model parts that make up each measured stage of the pipeline's summaries
_STAGE_PARTS = {
    "ingest": ("ingest",), "extinction": ("extinction",), "ages": ("ages",), "phasespace": ("phasespace",),
    "orbits": ("orbits",), "gradients": ("gradients_partitions", "picks", "merge_tree", "fits"),
    "report": ("report",),
}


def compare_with_measurement(costs: ClusterCosts, m: dict) -> list[tuple]:
    """Rows (stage, T1 measured, T1 model, T2 measured, T2 model, eff measured, eff model)."""
    n = m["stars"]
    p = m["runs"]["1"]["ingest_partitions"]
    f = m["args"]["mock_partitions"]
    rows_arg = m["args"]["partition_rows"]
    preds = {w: predict(costs, n, w, rows_arg, input_files=f) for w in (1, 2)}
    if preds[1].partitions != p:  # ingest made a different count (de-duplication shrinks N): use the real P
        preds = {w: predict(costs, n, w, math.ceil(n / p), input_files=f) for w in (1, 2)}
    out = []
    for stage, keys in _STAGE_PARTS.items():
        t1 = m["runs"]["1"]["stage_seconds"].get(stage, 0.0)
        t2 = m["runs"]["2"]["stage_seconds"].get(stage, 0.0)
        p1 = sum(preds[1].parts[k] for k in keys)
        p2 = sum(preds[2].parts[k] for k in keys)
        out.append((stage, t1, p1, t2, p2, t1 / (2 * t2) if t2 else float("nan"), p1 / (2 * p2)))
    t1, t2 = m["runs"]["1"]["total_seconds"], m["runs"]["2"]["total_seconds"]
    p1, p2 = preds[1].total_seconds, preds[2].total_seconds
    out.append(("total", t1, p1, t2, p2, t1 / (2 * t2), p1 / (2 * p2)))
    return out


def print_costs(costs: ClusterCosts) -> None:
    print("Model costs (one core of this machine)")
    print(f"{'stage':<22} {'us/star':>8} {'s/part':>7} {'start-up s':>10} {'cv':>5}")
    for s in costs.stages:
        print(f"{s.name:<22} {1e6 * s.seconds_per_star:8.1f} {s.seconds_per_partition:7.3f} "
              f"{s.startup_seconds:10.2f} {s.cv:5.2f}")
    i = costs.ingest
    print(f"ingest: validate {1e6 * i.validate_seconds_per_star:.1f} us/star; scatter "
          f"{1e6 * i.scatter_seconds_per_star:.1f} us/star + {1e3 * i.file_write_seconds:.2f} ms/file + "
          f"{1e3 * i.batch_write_seconds:.3f} ms/record batch; gather "
          f"{1e6 * i.gather_seconds_per_star:.1f} us/star + {1e3 * i.batch_read_seconds:.2f} ms/batch read")
    r = costs.reduction
    print(f"merge trees: {1e6 * r.merge_seconds_per_star:.2f} us/star per level; all groups "
          f"{r.bytes_fixed / 2**20:.1f} MiB + {r.bytes_per_star:.0f} bytes/star; fit of all groups "
          f"{r.fit_seconds_fixed:.2f} s + {1e6 * r.fit_seconds_per_star:.1f} us/star; client concat + trends "
          f"{r.client_seconds:.3f} s")
    if r.balance:
        print("largest shard's share of members / groups (non-empty shards): " + ", ".join(
            f"S={b[0]}: {b[1]:.2f}/{b[2]:.2f} ({b[3]})" for b in r.balance if b[0] in (1, 2, 4, 8, 16, 32)))
    for s in costs.serial:
        print(f"serial {s.name}: {s.seconds_fixed:.2f} s + {1e6 * s.seconds_per_star:.1f} us/star")
    print(f"per-partition task overhead o = {1e3 * costs.task_overhead_seconds:.2f} ms, small task at the "
          f"scheduler o_t = {1e3 * costs.task_seconds:.2f} ms, round trip "
          f"{1e3 * costs.roundtrip_seconds:.2f} ms, worker start-up u_0 = "
          f"{costs.worker_startup_seconds:.2f} s, done-marker check {1e6 * costs.marker_check_seconds:.0f} "
          f"us/partition, fixed cost per stage c_stage = "
          f"{costs.stage_fixed_seconds:.2f} s")


def batch_read_growth(m: dict) -> tuple[float, float]:
    """Least-squares growth of one batch's read with the file's batch count (seconds per batch in the file),
    without and with a per-batch conversion to pandas; the model takes the read as constant (see the
    docstring)."""
    bts = m["serial"]["batches"]["files"]
    g = [q["batches"] for q in bts]
    return _slope(g, [q["read_seconds"] for q in bts]), _slope(g, [q["read_convert_seconds"] for q in bts])


def _slope(x, y) -> float:
    """Least-squares slope of ``y`` on ``x`` (not clipped: noise shows as a negative slope)."""
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((v - mx) ** 2 for v in x)
    return sum((u - mx) * (v - my) for u, v in zip(x, y, strict=True)) / sxx if sxx else 0.0


def print_batch_check(m: dict) -> None:
    """The measured read of one record batch by the file's batch count, and its growth (not modelled)."""
    bts = m["serial"]["batches"]["files"]
    s_read, s_conv = batch_read_growth(m)
    print("\nShuffle read of one record batch by batches in its IPC file: " + "; ".join(
        f"{q['batches']}: {1e3 * q['read_seconds']:.3f} ms ({1e3 * q['read_convert_seconds']:.2f} ms with a "
        f"per-batch to_pandas)" for q in bts))
    print(f"  growth (least squares): {1e9 * s_read:.0f} ns per batch in the file, "
          f"{1e9 * s_conv:.0f} ns with to_pandas; the model uses the read of the largest file as constant "
          f"(random input, 100M stars at 50,000 rows: 2,000 batches per file)")


def print_shard_check(costs: ClusterCosts, m: dict) -> None:
    """The model's sharded trees and fits against the bench's in-process S = 2 measurement (one core)."""
    g = m["serial"]["gradients"]
    sr = g["shards_run"]
    s, n, p = sr["shards"], g["stars_all"], len(g["partition_rows"])
    r = costs.reduction
    tree_meas = max(t["merge_seconds"] for t in sr["trees"])
    tree_model = tree_seconds(r, n, p, 1, 0.0, 1) * shard_shares(r, s)[0]  # its merges one after another
    fit_meas = max(t["fit_seconds"] for t in sr["trees"])
    fit_model = fit_seconds(r, n, s, s) - r.client_seconds
    mib_meas = max(t["bytes"] for t in sr["trees"]) / 2**20
    print(f"\nSharded reduction, S = {s}, in one process: largest shard's tree {tree_meas:.3f} s "
          f"measured vs {tree_model:.3f} s model (its merges on one core); largest shard's fit "
          f"{fit_meas:.2f} s vs {fit_model:.2f} s; largest root {mib_meas:.1f} MiB vs "
          f"{root_bytes(r, n, s) / 2**20:.1f} MiB")


def print_predictions(costs: ClusterCosts, sizes=(4_000_000, 100_000_000), cores=(16, 64, 256)) -> None:
    print("\nPredicted wall time (h:mm:ss); 'cores' = single-threaded workers (scheduler and client "
          "elsewhere); input files = partitions")
    print("random = input in random sky order (as the mock: every file touches every strip, the worst case); "
          "sorted = input sorted by declination")
    head = (f"{'stars':>11} {'cores':>5} {'rows/part':>9} {'parts':>5} {'waves':>5} {'random':>8} "
            f"{'sorted':>8} {'eff':>5} {'ingest r':>8} {'ingest s':>8} {'ages':>8} {'orbits':>8} "
            f"{'other st':>8} {'reduce':>8} {'report':>7} {'files':>6} {'pieces r':>9} {'S':>3} "
            f"{'root GiB':>8}")
    print(head)
    for n in sizes:
        for c in cores:
            best = best_partition_rows(costs, n, c)
            rows = [DEFAULT_PARTITION_ROWS]
            if best.partition_rows != DEFAULT_PARTITION_ROWS:
                rows.append(best.partition_rows)
            for r in rows:
                q = predict(costs, n, c, r)
                qs = predict(costs, n, c, r, input_order="sorted")
                one = predict(costs, n, 1, r)
                pr = q.parts
                other = sum(v for k, v in pr.items()
                            if k in ("extinction", "phasespace", "gradients_partitions"))
                print(f"{n:>11,} {c:>5} {r:>9,} {q.partitions:>5} {waves(q.partitions, c):>5} "
                      f"{_hms(q.total_seconds):>8} {_hms(qs.total_seconds):>8} "
                      f"{one.total_seconds / (c * q.total_seconds):5.2f} {_hms(pr['ingest']):>8} "
                      f"{_hms(qs.parts['ingest']):>8} {_hms(pr['ages']):>8} {_hms(pr['orbits']):>8} "
                      f"{_hms(other):>8} {_hms(pr['picks'] + pr['merge_tree'] + pr['fits']):>8} "
                      f"{_hms(pr['report']):>7} {q.input_files:>6,} {q.pieces:>9,} {q.shards:>3} "
                      f"{q.root_bytes / 2**30:8.2f}")
    print("eff = T(1 core) / (cores T) at the same partition size, random input; where a second row is shown "
          f"it is the best of {', '.join(f'{r:,}' for r in CANDIDATE_PARTITION_ROWS)} rows per partition "
          "(random input)")
    print("reduce = picks + merge trees + fits of the gradient reduction (S shards, S = min(cores, 32)); "
          "files = scatter IPC files (one per input), "
          "pieces r = record batches read by the gather (random input); "
          "root GiB = the largest shard's root, on one worker")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", default="/tmp/mwdisk-scaling/scaling.json", help="scaling_bench.py's output")
    ap.add_argument("--cold-numba", action="store_true",
                    help="start-up with an empty numba cache (a first run on a node type)")
    args = ap.parse_args()
    path = Path(args.json)
    if not path.is_file():
        raise SystemExit(f"{path} does not exist: run benchmarks/scaling_bench.py first (or give --json)")
    m = json.loads(path.read_text())
    costs = costs_from_measurements(m, "cold" if args.cold_numba else "warm")
    print(f"measurements: {path} ({m['machine']})")
    print_costs(costs)
    print(f"\nModel against the measured run: {m['stars']:,} stars, {m['runs']['1']['ingest_partitions']} "
          f"partitions, {m['args']['mock_partitions']} input files")
    print(f"{'stage':<11} {'T1 meas':>8} {'T1 model':>8} {'T2 meas':>8} {'T2 model':>8} {'eff meas':>8} "
          f"{'eff model':>9}")
    for stage, t1, p1, t2, p2, e1, e2 in compare_with_measurement(costs, m):
        print(f"{stage:<11} {t1:8.2f} {p1:8.2f} {t2:8.2f} {p2:8.2f} {e1:8.2f} {e2:9.2f}")
    print_batch_check(m)
    print_shard_check(costs, m)
    print_predictions(costs)
    cold, warm = costs_from_measurements(m, "cold"), costs_from_measurements(m, "warm")
    extra = cold.worker_startup_seconds + sum(s.startup_seconds for s in cold.stages) - (
        warm.worker_startup_seconds + sum(s.startup_seconds for s in warm.stages))
    print(f"\nA first run on a node type with an empty numba cache adds about {extra:.1f} s (compilation).")


if __name__ == "__main__":
    main()
