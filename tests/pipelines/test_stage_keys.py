"""Stale-cache cases: a stage recomputes exactly when a config key it reads (or an input) changes.

For every leaf key of mwdisk/defaults.yaml, the stages that must recompute are derived from the stages'
declarations (:func:`mwdisk.stages.stages_reading` and :func:`mwdisk.stages.downstream`); a tiny run (400 mock
stars, 8 draws, in-process) is copied, rerun with the key changed to another valid value, and the stages whose
done markers were rewritten must be exactly that set. That the declarations are complete holds by construction
(an adapter sees only its :class:`mwdisk.stages.Params`, which raises on any other key), and is checked here
too.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from factory import make_catalog, write_partitioned
from mwdisk.config import load_config, load_defaults
from mwdisk.layout import RunLayout
from mwdisk.pipelines.lock import RunLockedError, run_lock
from mwdisk.pipelines.run import run_pipeline
from mwdisk.pipelines.summary import summary_text
from mwdisk.stages import (
    ALL_STAGES,
    StageContext,
    UndeclaredConfigKey,
    downstream,
    stage_order,
    stage_params,
    stages_reading,
)

UNTIL = "gradients"
#: the tiny run every case starts from (the integration settings keep with_true_zmax / integrate cheap)
BASE = ["mock.n=400", "mock.partitions=1", "run.partition_rows=1000", "phasespace.n_draws=8",
        "mock.integration_steps=101", "mock.integration_time_gyr=0.5", "orbits.n_steps=101",
        "orbits.integration_time_gyr=0.5"]

#: another valid value for the keys the generic rule (numbers scaled or stepped, booleans flipped) cannot give
ALTERNATIVES = {
    "run.isochrones": "parsec", "run.potential": "irr13", "run.out": None,  # run.out: see _cfg
    "cluster.name": "gravity-slurm", "cluster.memory_limit": "2GiB", "cluster.dashboard_address": ":0",
    "mock.isochrones": "parsec", "mock.partitions": 2,
    "ingest.params": "lamost", "ingest.rv_source": "gaia", "ingest.distance_kind": "photogeo",
    "ingest.alpha_column": "mg_fe", "ingest.lamost_epoch_yr": 2001.0,
    "extinction.dust_map": "SFD", "extinction.fallback": ["analytic"],
    "extinction.dust_dir": "/nonexistent-dust",
    "ages.observables": ["teff", "logg", "mg", "bprp0"], "ages.comp_axis": "feh_afe", "ages.window": "box",
    "ages.likelihood": "closest", "ages.interval": "level", "ages.interval_percentiles": [16.0, 84.0],
    "ages.distance_source": "parallax", "ages.parallax_zeropoint": "none", "ages.distance_error": "linear",
    "orbits.method": "integrate", "orbits.staeckel_delta": "exact", "orbits.integrator": "dopr54_c",
    "selections.zmax_edges_kpc": [0.0, 0.3, 0.75, 2.0, math.inf], "selections.chem_line_feh": [-0.5, -0.2,
                                                                                               0.25],
    "selections.chem_line_afe": [0.15, 0.15, 0.06], "selections.hq_within": "none",
    "gradients.error_model": "naive", "gradients.trend_age": "median",
    "gradients.age_err_percentiles": [10.0, 90.0], "gradients.age_min_gyr": 1.5,
    "validation.logg_err_floor": 0.01,
    "sweeps.potentials": ["mw14", "mcm17"],
    "sweeps.R0_kpc": [8.0],
    "sweeps.vcirc_kms": [220.0],
}
#: run.catalog switches the source from the mock to a file: covered by test_ingest_keys_on_its_input_files
SKIPPED = {"run.catalog"}


def _leaves(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for k, v in d.items():
        if isinstance(v, dict):
            out += _leaves(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out


def _alternative(key: str, default):
    if key in ALTERNATIVES:
        return ALTERNATIVES[key]
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 1
    if isinstance(default, float):
        return round(default * 1.1, 6) if default else 0.02
    raise AssertionError(f"config key {key} = {default!r}: add another valid value to ALTERNATIVES")


def _set(cfg: dict, key: str, value) -> dict:
    section, name = key.split(".", 1)
    cfg[section][name] = value
    return cfg


LEAVES = [(k, v) for k, v in _leaves(load_defaults()) if k not in SKIPPED]


def _markers(out: Path) -> dict[str, int]:
    """Stage -> written_ns of its finished-stage marker (rewritten exactly when the stage ran)."""
    layout = RunLayout(out)
    return {n: json.loads(layout.stage_marker(n).read_text())["written_ns"]
            for n in ALL_STAGES if layout.stage_marker(n).is_file()}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    out = tmp_path_factory.mktemp("keys") / "base"
    cfg = load_config(overrides=[f"run.out={out}", *BASE])
    s = run_pipeline(cfg, until=UNTIL, client=False)
    assert all(v["computed"] > 0 for v in s.values())
    return out, _markers(out)


@pytest.mark.parametrize("key,default", LEAVES, ids=[k for k, _ in LEAVES])
def test_changing_a_key_recomputes_exactly_its_readers_and_downstream(key, default, baseline, tmp_path):
    base_out, base_markers = baseline
    out = tmp_path / "run"
    shutil.copytree(base_out, out)
    cfg = load_config(overrides=[f"run.out={out}", *BASE])  # run.out itself differs from the baseline's
    if key != "run.out":
        value = _alternative(key, cfg[key.split(".")[0]][key.split(".", 1)[1]])
        assert value != cfg[key.split(".")[0]][key.split(".", 1)[1]]
        _set(cfg, key, value)
    in_run = {"mock", *stage_order(UNTIL)}
    expected = downstream(stages_reading(key), cfg) & in_run
    summaries = run_pipeline(cfg, until=UNTIL, client=False)
    after = _markers(out)
    assert set(after) == in_run
    rewritten = {n for n in in_run if after[n] != base_markers[n]}
    assert rewritten == expected, f"{key}: recomputed {sorted(rewritten)}, declared {sorted(expected)}"
    assert {n for n, s in summaries.items() if s["computed"]} == expected


def test_frame_change_after_until_extinction_recomputes_extinction(tmp_path):
    """The case of issue 20: --until extinction, then R0 = 8.0: mock, ingest and extinction are redone."""
    cfg = load_config(overrides=[f"run.out={tmp_path}", *BASE])
    run_pipeline(cfg, until="extinction", client=False)
    ext = pd.read_parquet(tmp_path / "extinction")
    again = run_pipeline(_set(cfg, "frame.R0_kpc", 8.0), until="extinction", client=False)
    assert all(again[s]["computed"] > 0 for s in ("mock", "ingest", "extinction"))
    schema = pq.read_schema(next((tmp_path / "extinction").glob("*.parquet")))
    meta = json.loads(schema.metadata[b"mwdisk_config"])
    assert meta["frame"]["R0_kpc"] == 8.0
    assert not pd.read_parquet(tmp_path / "extinction").equals(ext)


def test_ingest_keys_on_its_input_files(tmp_path):
    cat = make_catalog(400, seed=5)
    write_partitioned(cat, tmp_path / "cat", 2)
    cfg = load_config(overrides=[f"run.out={tmp_path / 'out'}", f"run.catalog={tmp_path / 'cat'}",
                                 "run.partition_rows=300"])
    assert run_pipeline(cfg, until="ingest", client=False)["ingest"]["computed"] > 0
    assert run_pipeline(cfg, until="ingest", client=False)["ingest"]["computed"] == 0
    write_partitioned(cat.assign(feh=cat["feh"] + 0.1), tmp_path / "cat", 2)  # same names, other content
    assert run_pipeline(cfg, until="ingest", client=False)["ingest"]["computed"] > 0
    assert pd.read_parquet(tmp_path / "out" / "ingest")["feh"].max() == pytest.approx(cat["feh"].max() + 0.1)


def test_a_stage_sees_only_what_it_declares():
    cfg = load_config()
    p = stage_params("extinction", cfg)
    assert p["frame"]["R0_kpc"] == 8.27 and p["extinction"]["coeff_G"] == 2.74
    for read in (lambda: p["frame"]["vcirc_kms"], lambda: p["phasespace"], lambda: p.get("run"),
                 lambda: StageContext(p).frame, lambda: StageContext(p).seed):
        with pytest.raises(UndeclaredConfigKey, match="does not declare"):
            read()
    with pytest.raises(TypeError):
        p["frame"]["R0_kpc"] = 8.0  # read-only
    # every declared key exists in the shipped defaults
    for name in ALL_STAGES:
        stage_params(name, cfg)


_HOLD = """
import sys, time
from mwdisk.pipelines.lock import run_lock
with run_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_second_run_on_the_same_out_is_refused(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        cfg = load_config(overrides=[f"run.out={tmp_path}", *BASE])
        refusal = rf"in use by another mwdisk run \(pid {proc.pid} .*another --out"
        with pytest.raises(RunLockedError, match=refusal):
            run_pipeline(cfg, until="ingest", client=False)
        assert not (tmp_path / "ingest").exists()
    finally:
        proc.kill()  # SIGKILL: the kernel drops the flock, nothing stale is left behind
        proc.wait()
    with run_lock(tmp_path):
        with run_lock(tmp_path):  # nested in one process (mwdisk sweep) is fine
            pass


def test_summary_lists_only_the_outputs_of_the_stages_run(tmp_path):
    cfg = load_config(overrides=[f"run.out={tmp_path}"])
    for d in ("ingest", "extinction", "ages"):
        (tmp_path / d).mkdir()
    (tmp_path / "gradients.csv").write_text("x\n")  # an earlier run's
    (tmp_path / "report.html").write_text("<html>")
    text = summary_text(cfg, {s: {"computed": 1, "seconds": 0.1} for s in ("ingest", "extinction", "ages")})
    outputs = text.split("Outputs in", 1)[1]
    assert "ages/" in outputs and "extinction/" in outputs
    assert "gradients.csv" not in outputs and "report.html" not in outputs and "figures" not in outputs
