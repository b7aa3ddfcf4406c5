"""The arithmetic of benchmarks/scaling_model.py on made-up costs (no timing, no cluster)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "scaling_model.py"


@pytest.fixture(scope="module")
def sm():
    spec = importlib.util.spec_from_file_location("mwdisk_scaling_model", _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


def _pure(sm, b=1e-3, **kw):
    """One perfectly parallel stage of ``b`` seconds per star, nothing else."""
    return sm.ClusterCosts(stages=(sm.StageCost("work", seconds_per_star=b),), **kw)


def test_waves_round_up(sm):
    assert sm.waves(5, 4) == 2
    assert sm.waves(8, 4) == 2
    assert sm.waves(9, 4) == 3
    assert sm.waves(3, 256) == 1
    assert sm.waves(0, 4) == 0
    with pytest.raises(ValueError, match="workers"):
        sm.waves(3, 0)


def test_partitions_round_up(sm):
    assert sm.n_partitions(100_000, 10_000) == 10
    assert sm.n_partitions(100_001, 10_000) == 11
    assert sm.n_partitions(10, 10_000) == 1
    with pytest.raises(ValueError, match="partition_rows"):
        sm.n_partitions(10, 0)


def test_perfect_parallel_work_scales_as_one_over_cores(sm):
    costs = _pure(sm)
    n, rows = 1_024_000, 1_000  # 1024 partitions: a whole number of waves for every power of two below
    t1 = sm.predict(costs, n, 1, rows).total_seconds
    assert t1 == pytest.approx(n * 1e-3)
    for cores in (2, 4, 16, 64, 256):
        assert sm.predict(costs, n, cores, rows).total_seconds == pytest.approx(t1 / cores)


def test_last_wave_is_paid_in_full(sm):
    costs = _pure(sm)
    # 5 partitions of 1000 stars on 4 cores: two waves of 1 s, not 5/4 s
    assert sm.predict(costs, 5_000, 4, 1_000).parts["work"] == pytest.approx(2.0)
    # more cores than partitions: one wave, extra cores idle
    assert sm.predict(costs, 5_000, 256, 1_000).parts["work"] == pytest.approx(1.0)


def test_serial_parts_and_startup_add(sm):
    base = _pure(sm)
    extra = _pure(sm, serial=(sm.SerialCost("extra", 10.0, 1e-6), sm.SerialCost("report", 3.0)),
                  worker_startup_seconds=2.5)
    n = 1_000_000
    for cores in (1, 16, 256):
        t_extra = sm.predict(extra, n, cores, 10_000).total_seconds
        d = t_extra - sm.predict(base, n, cores, 10_000).total_seconds
        assert d == pytest.approx(10.0 + 1.0 + 3.0 + 2.5)  # does not shrink with cores
    clash = _pure(sm, serial=(sm.SerialCost("fits", 1.0),))  # "fits" is the reduction's own part
    with pytest.raises(ValueError, match="fits"):
        sm.predict(clash, n, 4, 10_000)


def test_stage_startup_is_paid_once_not_per_worker(sm):
    s = sm.StageCost("work", seconds_per_star=1e-3, startup_seconds=4.0)
    assert sm.stage_seconds(s, 8_000, 8, 8) == pytest.approx(1.0 + 4.0)
    assert sm.stage_seconds(s, 8_000, 8, 1) == pytest.approx(8.0 + 4.0)


def test_scheduler_bound(sm):
    # tiny partitions, many workers: the scheduler dispatching one partition per o seconds sets the pace
    s = sm.StageCost("work", seconds_per_star=1e-6)
    o = 0.01
    t = sm.stage_seconds(s, 1_000_000, 10_000, 1_000, overhead=o)
    assert t == pytest.approx(10_000 * o + 1e-6 * 100)  # not 10 waves of (work + o) = 0.101 s
    # big partitions, many waves: the overhead is a small addition per partition and wave
    s = sm.StageCost("work", seconds_per_star=1e-3)
    t = sm.stage_seconds(s, 1_000_000, 100, 10, overhead=o)
    assert t == pytest.approx(10 * (10.0 + o))


def test_tail_grows_with_spread_and_vanishes_without_it(sm):
    assert sm.tail_seconds(0.0, 10.0, 100, 64) == 0.0
    assert sm.tail_seconds(0.2, 10.0, 1, 64) == 0.0  # one task: no maximum to take
    assert sm.tail_seconds(0.2, 10.0, 100, 64) == pytest.approx(0.2 * 10.0 * math.sqrt(2 * math.log(64)))
    assert sm.tail_seconds(0.2, 10.0, 100, 64) > sm.tail_seconds(0.1, 10.0, 100, 64)


def test_merge_tree_levels(sm):
    r = sm.ReductionCost(merge_seconds_per_star=0.0)
    # zero merge cost: only the round trips, one per level, log2(P) levels with enough workers
    assert sm.tree_seconds(r, 1_000, 8, 64, roundtrip=1.0) == pytest.approx(3.0)
    assert sm.tree_seconds(r, 1_000, 1, 64, roundtrip=1.0) == 0.0
    # one worker: every merge in turn (P - 1 merges)
    assert sm.tree_seconds(r, 1_000, 8, 1, roundtrip=1.0) == pytest.approx(7.0)
    # merge cost per star: each level touches all N stars once when there are enough workers per level...
    r = sm.ReductionCost(merge_seconds_per_star=1e-3)
    one = sm.tree_seconds(r, 1_024, 8, 1)
    assert one == pytest.approx(3 * 1_024 * 1e-3)  # ...and on one worker every level costs N m
    # with many workers the levels run their merges side by side: the root (N m) dominates
    many = sm.tree_seconds(r, 1_024, 8, 64)
    assert many == pytest.approx(1e-3 * (256 + 512 + 1024))


def test_ingest_batches_in_one_file_per_input(sm):
    c = sm.IngestCost(batch_write_seconds=1.0)
    t, k = sm.ingest_seconds(c, 1_000, partitions=4, input_files=4, workers=4, input_order="random")
    assert k == 16 and t == pytest.approx(4.0)  # each file writes 4 batches, 4 files side by side
    t, k = sm.ingest_seconds(c, 1_000, partitions=4, input_files=4, workers=4, input_order="sorted")
    assert k == 8 and t == pytest.approx(2.0)
    # a file is created once per input, however many strips it touches (not once per input and strip)
    c = sm.IngestCost(file_write_seconds=1.0)
    for order in ("random", "sorted"):
        assert sm.ingest_seconds(c, 1_000, 4, 4, 4, input_order=order)[0] == pytest.approx(1.0)
    assert sm.ingest_seconds(c, 1_000, 4, 8, 4)[0] == pytest.approx(2.0)  # 8 files: two waves
    # a gather piece: map and open the file, read one batch; K / P pieces per strip
    c = sm.IngestCost(batch_read_seconds=1.0)
    assert sm.ingest_seconds(c, 1_000, 4, 4, 4)[0] == pytest.approx(4.0)
    assert sm.ingest_seconds(c, 1_000, 4, 4, 2)[0] == pytest.approx(8.0)  # 4 strips on 2 workers: 2 waves
    assert sm.ingest_seconds(c, 1_000, 4, 4, 4, input_order="sorted")[0] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="input_order"):
        sm.ingest_seconds(c, 1_000, 4, 4, 4, input_order="shuffled")


def test_gather_read_does_not_grow_with_batches_per_file(sm):
    # IPC: a batch reads at c_br whatever the file holds; random input, one wave of strips (P = W): the gather
    # is F pieces per strip, F c_br, not F P c_foot as with a parquet footer listing P row groups
    c = sm.IngestCost(batch_read_seconds=1.0)
    for f, p in ((4, 4), (4, 64), (64, 64), (256, 256)):
        t, k = sm.ingest_seconds(c, 1_000_000, partitions=p, input_files=f, workers=p)
        assert k == f * p and t == pytest.approx(float(f))
    # sorted input: (F + P) / P pieces per strip
    t, k = sm.ingest_seconds(c, 1_000_000, partitions=64, input_files=64, workers=64, input_order="sorted")
    assert k == 128 and t == pytest.approx(2.0)


def _serial_ingest(batch_files, **ing):
    base = {"rows": 10_000, "files": 4, "strips": 5, "pieces": 20, "scatter_files": 4,
            "validate_seconds": 1.0, "scatter_seconds": 2.0, "gather_seconds": 3.0}
    return {"ingest": {**base, **ing}, "batches": {"rows": 25, "columns": 3, "files": batch_files}}


def test_ingest_costs_from_the_bench(sm):
    # writes on the line 0.02 + 0.005 g; reads of one batch flat but for noise: the largest file's is used
    files = [{"batches": g, "write_seconds": 0.02 + 0.005 * g, "read_seconds": r,
              "read_convert_seconds": 2e-3}
             for g, r in ((1, 0.0015), (16, 0.0017), (128, 0.0016), (1024, 0.0018))]
    c = sm.ingest_costs(_serial_ingest(files))
    assert c.file_write_seconds == pytest.approx(0.02)
    assert c.batch_write_seconds == pytest.approx(0.005)
    assert c.batch_read_seconds == pytest.approx(0.0018)
    assert c.validate_seconds_per_star == pytest.approx(1.0 / 10_000)
    # per-star remainders: the real phases minus their files' and pieces' fixed costs
    assert c.scatter_seconds_per_star == pytest.approx((2.0 - 4 * 0.02 - 20 * 0.005) / 10_000)
    assert c.gather_seconds_per_star == pytest.approx((3.0 - 20 * 0.0018) / 10_000)
    # fixed costs larger than the phase (noise): zero per star, not negative
    assert sm.ingest_costs(_serial_ingest(files, gather_seconds=0.01)).gather_seconds_per_star == 0.0
    m = {"serial": _serial_ingest(files)}
    s_read, s_open = sm.batch_read_growth(m)
    assert s_open == pytest.approx(0.0) and 0.0 < s_read < 1e-6
    with pytest.raises(ValueError, match="batches"):
        sm.ingest_costs({"ingest": {}, "row_groups": {}})  # a bench JSON from the parquet scatter files


def test_shard_count_follows_the_pipeline_rule(sm):
    assert sm.n_shards(0, 16) == 16
    assert sm.n_shards(0, 256) == 32  # one per worker, at most 32
    assert sm.n_shards(0, 1) == 1
    assert sm.n_shards(5, 256) == 5
    with pytest.raises(ValueError, match="reduce_shards"):
        sm.n_shards(-1, 4)
    r = sm.ReductionCost(balance=((4, 0.5, 0.25, 2),))
    assert sm.shard_shares(r, 4) == (0.5, 0.25, 2)
    assert sm.shard_shares(r, 8) == (0.125, 0.125, 8)  # no measured row: an even split
    with pytest.raises(ValueError, match="shards"):
        sm.shard_shares(r, 0)


def test_one_shard_is_the_single_tree(sm):
    r = sm.ReductionCost(merge_seconds_per_star=1e-3, fit_seconds_fixed=2.0, fit_seconds_per_star=1e-4,
                         bytes_fixed=100.0, bytes_per_star=48.0)
    assert sm.tree_seconds(r, 1_024, 8, 64, shards=1) == pytest.approx(1e-3 * (256 + 512 + 1024))
    assert sm.fit_seconds(r, 1_024, 1, 64) == pytest.approx(2.0 + 1e-4 * 1_024)  # one worker fits it all
    assert sm.root_bytes(r, 1_024, 1) == pytest.approx(100.0 + 48.0 * 1_024)
    costs = _pure(sm, reduction=r)
    q = sm.predict(costs, 1_024, 1, 128)
    assert q.shards == 1 and q.parts["picks"] == 0.0
    assert q.parts["merge_tree"] == pytest.approx(3 * 1_024 * 1e-3)  # 1 worker: every level costs N m
    assert q.parts["fits"] == pytest.approx(2.0 + 1e-4 * 1_024)


def test_shards_divide_the_root_and_the_fits(sm):
    r = sm.ReductionCost(merge_seconds_per_star=1e-3, fit_seconds_fixed=2.0, fit_seconds_per_star=1e-4,
                         bytes_fixed=100.0, bytes_per_star=48.0, client_seconds=0.5)
    one = sm.tree_seconds(r, 1_024, 8, 64, shards=1)
    # 4 trees of a quarter of the members side by side (4 x 4 merges at level 1 fit on 64 workers)
    assert sm.tree_seconds(r, 1_024, 8, 64, shards=4) == pytest.approx(one / 4)
    # on one worker the shards change nothing: every merge in turn, N m per level
    assert sm.tree_seconds(r, 1_024, 8, 1, shards=4) == pytest.approx(3 * 1_024 * 1e-3)
    assert sm.root_bytes(r, 1_024, 4) == pytest.approx((100.0 + 48.0 * 1_024) / 4)
    fit_one = 2.0 + 1e-4 * 1_024
    assert sm.fit_seconds(r, 1_024, 4, 4) == pytest.approx(fit_one / 4 + 0.5)  # 4 fits side by side
    assert sm.fit_seconds(r, 1_024, 4, 2) == pytest.approx(fit_one / 2 + 0.5)  # 2 waves of 2
    # through predict: S = cores up to 32, the fit part shrinks as 1 / S, then stops
    costs = _pure(sm, reduction=r)
    fits = {c: sm.predict(costs, 1_024_000, c, 1_000).parts["fits"] for c in (1, 4, 32, 256)}
    big = 2.0 + 1e-4 * 1_024_000
    assert fits[1] == pytest.approx(big + 0.5)
    assert fits[4] == pytest.approx(big / 4 + 0.5)
    assert fits[32] == pytest.approx(big / 32 + 0.5)
    assert fits[256] == pytest.approx(fits[32])
    assert sm.predict(costs, 1_024_000, 256, 1_000).shards == 32


def test_uneven_shards_are_paced_by_the_largest(sm):
    # 4 shards, but the key prefixes put half the members (a quarter of the groups) in one and leave 2 empty
    r = sm.ReductionCost(merge_seconds_per_star=1e-3, fit_seconds_fixed=2.0, fit_seconds_per_star=1e-4,
                         bytes_fixed=100.0, bytes_per_star=48.0, balance=((4, 0.5, 0.25, 2),))
    assert sm.tree_seconds(r, 1_024, 8, 64, shards=4) == pytest.approx(1e-3 * (256 + 512 + 1024) / 2)
    assert sm.fit_seconds(r, 1_024, 4, 4) == pytest.approx(2.0 / 4 + 1e-4 * 1_024 / 2)
    assert sm.root_bytes(r, 1_024, 4) == pytest.approx(100.0 / 4 + 48.0 * 1_024 / 2)
    # 2 non-empty shards on 1 worker: two fits in turn
    assert sm.fit_seconds(r, 1_024, 4, 1) == pytest.approx(2 * (2.0 / 4 + 1e-4 * 1_024 / 2))


def test_pick_and_merge_tasks_cost_scheduler_time(sm):
    assert sm.pick_seconds(10, 4, 0.01) == pytest.approx(10 * 5 * 0.01)  # P S shard picks + P count picks
    r = sm.ReductionCost()  # free merges: the scheduler's S (P - 1) merge tasks set the pace
    assert sm.tree_seconds(r, 1_000, 10, 64, shards=4, task_seconds=0.01) == pytest.approx(4 * 9 * 0.01)
    costs = _pure(sm, reduction=r, task_seconds=0.01)
    q = sm.predict(costs, 10_000, 4, 1_000)
    assert q.shards == 4 and q.parts["picks"] == pytest.approx(10 * 5 * 0.01)
    assert q.parts["merge_tree"] == pytest.approx(4 * 9 * 0.01)
    assert sm.predict(costs, 10_000, 4, 1_000, reduce_shards=1).parts["picks"] == pytest.approx(10 * 2 * 0.01)


def test_best_partition_rows_picks_the_minimum(sm):
    costs = _pure(sm, task_overhead_seconds=0.5)
    best = sm.best_partition_rows(costs, 1_000_000, 16, candidates=(1_000, 62_500, 500_000))
    # 1,000 rows: 1000 partitions pay 1000 * 0.5 s of dispatch; 500,000: 2 partitions leave 14 cores idle
    assert best.partition_rows == 62_500


def test_line_through_two_sizes(sm):
    a, b = sm._line(50.0, 6.0, 100.0, 11.0)
    assert (a, b) == pytest.approx((1.0, 0.1))
    a, b = sm._line(50.0, 12.0, 100.0, 11.0)  # noise making the slope negative: flat, not negative
    assert b == 0.0 and a == pytest.approx(11.0)
