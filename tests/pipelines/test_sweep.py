"""`mwdisk sweep`: three potentials and two (R0, v0) variations, recomputing only what depends on them."""

import json

import pandas as pd

from mwdisk.config import load_config
from mwdisk.pipelines.run import run_pipeline, run_report_stage
from mwdisk.pipelines.sweep import run_sweep, sweep_variants


def test_sweep_recomputes_only_what_changes(tmp_path):
    out = tmp_path / "out"
    cfg = load_config(overrides=[
        f"run.out={out}", "mock.n=6000", "mock.partitions=2", "run.partition_rows=3000",
        "sweeps.potentials=[mw14, mcm17, irr13]", "sweeps.R0_kpc=[8.0]", "sweeps.vcirc_kms=[250.0]",
        "phasespace.n_draws=20",
    ])
    run_pipeline(cfg, until="gradients", client=False)
    ages_markers = {p: p.read_text() for p in (out / "_state" / "default" / "ages").glob("*.json")}
    variants = sweep_variants(cfg)
    assert {(v.potential, v.R0_kpc, v.vcirc_kms) for v in variants} == {
        ("mcm17", 8.27, 236.0), ("irr13", 8.27, 236.0), ("mw14", 8.0, 236.0), ("mw14", 8.27, 250.0)}
    summaries = run_sweep(None, cfg)
    # ages and extinction are never recomputed: their markers are untouched and no sweep folder has them
    assert {p: p.read_text() for p in (out / "_state" / "default" / "ages").glob("*.json")} == ages_markers
    sweep_dirs = {
        p.relative_to(out / "sweeps").as_posix() for p in (out / "sweeps").glob("*/*") if p.is_dir()
    }
    assert not [d for d in sweep_dirs if d.endswith(("/ages", "/extinction", "/ingest"))]
    # phase space once per new frame (not for the other potentials), orbits once per variant
    assert {d for d in sweep_dirs if d.endswith("/phasespace")} == {"R8_v236/phasespace",
                                                                    "R8.27_v250/phasespace"}
    assert {d for d in sweep_dirs if d.endswith("/orbits")} == {
        "mcm17_R8.27_v236/orbits", "irr13_R8.27_v236/orbits", "mw14_R8_v236/orbits", "mw14_R8.27_v250/orbits"}
    ps = [s for (stage, v), s in summaries.items() if stage == "phasespace"]
    n_part = len(list((out / "ingest").glob("*.parquet")))
    assert sum(s["computed"] for s in ps) == 2 * n_part  # two new frames x every partition
    g = pd.read_csv(out / "gradients.csv")
    rg = g[g.radius == "rg"]
    assert set(rg.potential) == {"mw14", "mcm17", "irr13"}
    assert set(zip(rg.R0_kpc, rg.v0_kms, strict=True)) == {(8.27, 236.0), (8.0, 236.0), (8.27, 250.0)}
    t = pd.read_csv(out / "trends.csv")
    assert set(t[t.radius == "rg"].potential) == {"mw14", "mcm17", "irr13"}
    # the sweep's columns carry the potential's name
    assert "zmax_kpc_mcm17" in pd.read_parquet(out / "sweeps" / "mcm17_R8.27_v236" / "orbits").columns
    # the figures compare them
    run_report_stage(cfg)
    index = json.loads((out / "figures" / "index.json").read_text())
    drawn = json.dumps(index)
    assert "fig11" in drawn and "fig12" in drawn
    assert (out / "figures" / "fig11_potentials.png").is_file()
    assert (out / "figures" / "fig12_solar_parameters.png").is_file()
    # a second sweep recomputes nothing
    again = run_sweep(None, cfg)
    assert all(s["computed"] == 0 for s in again.values())
