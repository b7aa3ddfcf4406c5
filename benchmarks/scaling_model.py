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
* **Ingest**: three phases separated by barriers. Validate: ``w(F, W) (b_v N / F + o)``. Scatter:
  ``w(F, W) (b_sc N / F + (K / F) c_write + o)``. Gather + de-duplicate:
  ``w(P, W) (b_ga n + (K / P) c_read + o)``, where ``K`` is the number of small files of the shuffle:
  ``F P`` when every input file touches every declination strip (an input in random order, as the mock: the
  worst case), ``F + P`` when the input is sorted by declination. ``c_write``, ``c_read``: one small parquet
  piece on this machine's disk.
* **Gradients reduction**: a pairwise tree of ``L = ceil(log2 P)`` levels. Level ``k`` has ``ceil(P / 2^k)``
  merges of about ``2^k n`` stars' groups: ``sum_k w(ceil(P / 2^k), W) (m 2^k n + r)``, ``m`` the merge
  cost per star and ``r`` a task round trip (each level waits for the one below). The root merge alone
  costs ``m N`` and the root holds ``A + B N`` bytes on one worker (the merged reduction's pickled size).
* **Serial parts** (one core, nothing overlaps them): the fits on one worker, ``a_fit + b_fit N`` (least
  squares over the fits of half and all of the partitions' groups and of those groups merged with themselves
  2x and 4x: the same bins with 2x and 4x the members), and the report on the client, ``a_rep + b_rep N``
  (from all and half of the selected stars). The root's bytes ``A + B N`` come from the same merged groups.
* **Start-up**: ``u_0`` once per run (a worker process starting, importing numpy, pandas, distributed and the
  stage adapters), all workers in parallel.

Total: ``T = u_0 + T_ingest + sum_s (T_s + P c_marker + c_stage) + T_tree + T_fit + T_report``.

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
* The file system is a local disk: on a parallel file system small-file creation (``K`` pieces) costs more and
  is shared by all workers; the model prints ``K`` so it can be judged.
* Serial costs are linear in ``N`` (fits: ODR over the members; report: the per-star columns of the selected
  stars read by the client and drawn); only the two measured sizes back this.
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
    "n_partitions", "waves", "tail_seconds", "stage_seconds", "ingest_seconds", "tree_seconds", "predict",
    "costs_from_measurements", "best_partition_rows",
]

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
    validate_seconds_per_star: float = 0.0
    scatter_seconds_per_star: float = 0.0
    gather_seconds_per_star: float = 0.0
    piece_write_seconds: float = 0.0
    piece_read_seconds: float = 0.0


@dataclass(frozen=True)
class ReductionCost:
    merge_seconds_per_star: float = 0.0
    bytes_per_star: float = 0.0
    bytes_fixed: float = 0.0


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
    """Wall time of the three ingest phases and the number of shuffle pieces ``K``."""
    if input_order not in ("random", "sorted"):
        raise ValueError(f"input_order = {input_order!r}: use 'random' or 'sorted'")
    f, p = input_files, partitions
    pieces = f * p if input_order == "random" else f + p
    validate = waves(f, workers) * (cost.validate_seconds_per_star * n_stars / f + overhead)
    scatter = waves(f, workers) * (cost.scatter_seconds_per_star * n_stars / f
                                   + pieces / f * cost.piece_write_seconds + overhead)
    gather = waves(p, workers) * (cost.gather_seconds_per_star * n_stars / p
                                  + pieces / p * cost.piece_read_seconds + overhead)
    return validate + scatter + gather, pieces


def tree_seconds(cost: ReductionCost, n_stars: float, partitions: int, workers: int,
                 roundtrip: float = 0.0) -> float:
    """Wall time of the pairwise merge tree over ``partitions`` leaves."""
    rows = n_stars / partitions
    total, k, level = 0.0, 0, partitions
    while level > 1:
        k += 1
        merges = level // 2
        total += waves(merges, workers) * (cost.merge_seconds_per_star * 2 ** k * rows + roundtrip)
        level = merges + level % 2
    return total


def predict(costs: ClusterCosts, n_stars: int, cores: int, partition_rows: int = DEFAULT_PARTITION_ROWS,
            input_files: int | None = None, input_order: str = "random") -> Prediction:
    """Predicted wall time of a run, part by part (seconds), on ``cores`` single-threaded workers."""
    p = n_partitions(n_stars, partition_rows)
    f = p if input_files is None else int(input_files)
    o = costs.task_overhead_seconds
    parts: dict[str, float] = {"startup": costs.worker_startup_seconds}
    parts["ingest"], pieces = ingest_seconds(costs.ingest, n_stars, p, f, cores, o, input_order)
    for s in costs.stages:
        parts[s.name] = (stage_seconds(s, n_stars, p, cores, o) + p * costs.marker_check_seconds
                         + costs.stage_fixed_seconds)
    parts["merge_tree"] = tree_seconds(costs.reduction, n_stars, p, cores, costs.roundtrip_seconds)
    for s in costs.serial:
        parts[s.name] = s.seconds(n_stars)
    return Prediction(n_stars=int(n_stars), cores=int(cores), partition_rows=int(partition_rows),
                      partitions=p, input_files=f, pieces=pieces, parts=parts,
                      root_bytes=costs.reduction.bytes_fixed + costs.reduction.bytes_per_star * n_stars)


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
    ing = se["ingest"]
    piece = se["piece"]
    n_in = ing["rows"]
    ingest = IngestCost(
        validate_seconds_per_star=ing["validate_seconds"] / n_in,
        scatter_seconds_per_star=max(0.0, ing["scatter_seconds"] - ing["pieces"] * piece["write_seconds"])
        / n_in,
        gather_seconds_per_star=max(0.0, ing["gather_seconds"] - ing["pieces"] * piece["read_seconds"])
        / n_in,
        piece_write_seconds=piece["write_seconds"],
        piece_read_seconds=piece["read_seconds"],
    )
    pts = g.get("scaled") or [{"stars": g["stars_half"], "fit_seconds": g["fit_half_seconds"],
                               "bytes": g["reduction_bytes_all"]},
                              {"stars": g["stars_all"], "fit_seconds": g["fit_all_seconds"],
                               "bytes": g["reduction_bytes_all"]}]
    a_fit, b_fit = _lsq([q["stars"] for q in pts], [q["fit_seconds"] for q in pts])
    big = [q for q in pts if q["stars"] >= g["stars_all"]]
    a_bytes, b_bytes = _lsq([q["stars"] for q in big], [q["bytes"] for q in big])
    if b_bytes <= 0:
        a_bytes, b_bytes = 0.0, g["reduction_bytes_all"] / g["stars_all"]
    p_run = len(g["partition_rows"])
    levels = max(1.0, math.log2(p_run)) if p_run > 1 else 1.0
    reduction = ReductionCost(
        merge_seconds_per_star=g["merge_all_seconds"] / (g["stars_all"] * levels),
        bytes_per_star=b_bytes,
        bytes_fixed=a_bytes,
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
        serial=(SerialCost("fits", a_fit, b_fit), SerialCost("report", a_rep, b_rep)),
        task_overhead_seconds=r2["overhead"]["runner_path_seconds_per_partition"],
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
    b = max(0.0, sum((u - mx) * (v - my) for u, v in zip(x, y)) / sxx)
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
    "orbits": ("orbits",), "gradients": ("gradients_partitions", "merge_tree", "fits"), "report": ("report",),
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
    print(f"ingest: validate {1e6 * i.validate_seconds_per_star:.1f} us/star, scatter "
          f"{1e6 * i.scatter_seconds_per_star:.1f} us/star + {1e3 * i.piece_write_seconds:.2f} ms/piece, "
          f"gather "
          f"{1e6 * i.gather_seconds_per_star:.1f} us/star + {1e3 * i.piece_read_seconds:.2f} ms/piece")
    r = costs.reduction
    print(f"merge tree: {1e6 * r.merge_seconds_per_star:.2f} us/star per level, root holds "
          f"{r.bytes_fixed / 2**20:.1f} MiB + {r.bytes_per_star:.0f} bytes/star")
    for s in costs.serial:
        print(f"serial {s.name}: {s.seconds_fixed:.2f} s + {1e6 * s.seconds_per_star:.1f} us/star")
    print(f"per-partition task overhead o = {1e3 * costs.task_overhead_seconds:.2f} ms, round trip "
          f"{1e3 * costs.roundtrip_seconds:.2f} ms, worker start-up u_0 = "
          f"{costs.worker_startup_seconds:.2f} s, done-marker check {1e6 * costs.marker_check_seconds:.0f} "
          f"us/partition, fixed cost per stage c_stage = "
          f"{costs.stage_fixed_seconds:.2f} s")


def print_predictions(costs: ClusterCosts, sizes=(4_000_000, 100_000_000), cores=(16, 64, 256)) -> None:
    print("\nPredicted wall time (h:mm:ss); 'cores' = single-threaded workers (scheduler and client "
          "elsewhere); input files = partitions")
    print("random = input in random sky order (as the mock: every file touches every strip, the worst case); "
          "sorted = input sorted by declination")
    head = (f"{'stars':>11} {'cores':>5} {'rows/part':>9} {'parts':>5} {'waves':>5} {'random':>8} "
            f"{'sorted':>8} {'eff':>5} {'ingest r':>8} {'ingest s':>8} {'ages':>8} {'orbits':>8} "
            f"{'other st':>8} {'tree+fit':>8} {'report':>7} {'pieces r':>9} {'root GiB':>8}")
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
                      f"{_hms(other):>8} {_hms(pr['merge_tree'] + pr['fits']):>8} {_hms(pr['report']):>7} "
                      f"{q.pieces:>9,} {q.root_bytes / 2**30:8.1f}")
    print("eff = T(1 core) / (cores T) at the same partition size, random input; where a second row is shown "
          f"it is the best of {', '.join(f'{r:,}' for r in CANDIDATE_PARTITION_ROWS)} rows per partition "
          "(random input)")


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
    print_predictions(costs)
    cold, warm = costs_from_measurements(m, "cold"), costs_from_measurements(m, "warm")
    extra = cold.worker_startup_seconds + sum(s.startup_seconds for s in cold.stages) - (
        warm.worker_startup_seconds + sum(s.startup_seconds for s in warm.stages))
    print(f"\nA first run on a node type with an empty numba cache adds about {extra:.1f} s (compilation).")


if __name__ == "__main__":
    main()
