"""A small synthetic run folder with the exact tables of a finished run, for the figure and report tests.

``build_run(folder, rng, sweep=...)`` writes ``selected/part-0000{0,1}.parquet`` (about a thousand stars
that pass the cuts, with the ingest, ages, phase-space and orbit columns the figures read and the
``sel_<selection>`` columns of :func:`mwdisk.selections.selection_masks`), ``gradients.csv`` and
``trends.csv`` made by the real reduction (:func:`mwdisk.gradients.partition_groups`, ``gradient_table``,
``trend_table``), ``cuts.csv`` and ``provenance.json``. With ``sweep=True`` rows of two other potentials
and of other R0 / v0 are added (the default rows with shifted slopes; only their presence and shape matter
to the figures).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mwdisk.gradients import (
    HIST_EDGES_GYR,
    draw_bin_index,
    gradient_table,
    partition_groups,
    trend_table,
)
from mwdisk.partitions.gradients import CUT_STEPS
from mwdisk.selections import DEFAULT_SELECTION_PARAMS, EXTRA_SELECTIONS, SELECTION_NAMES, selection_masks

MIN_STARS = 15
INJECTED = {"thin_gradient": -0.075, "thin_flattening": 0.003, "thick_gradient": 0.02}
POT = "mw14"
R0, V0 = 8.27, 236.0


def _stars(rng: np.random.Generator, n_thin: int = 800, n_thick: int = 160) -> pd.DataFrame:
    n = n_thin + n_thick
    thick = np.r_[np.zeros(n_thin, bool), np.ones(n_thick, bool)]
    age = np.where(thick, rng.uniform(8.0, 12.2, n), rng.uniform(1.0, 12.2, n))
    rg = np.where(thick, rng.normal(7.5, 1.2, n), rng.normal(8.6, 1.4, n))
    grad = np.where(thick, INJECTED["thick_gradient"],
                    INJECTED["thin_gradient"] + INJECTED["thin_flattening"] * (age - 1.0))
    feh = np.where(thick, -0.45, 0.05 - 0.02 * (age - 1.0)) + grad * (rg - R0) + rng.normal(0, 0.05, n)
    afe = np.where(thick, 0.22 - 0.1 * (feh + 0.5), 0.02 - 0.1 * feh) + rng.normal(0, 0.025, n)
    zmax = np.where(thick, rng.lognormal(np.log(2.5), 0.4, n),
                    rng.lognormal(np.log(0.15 * (age / 4) ** 0.5), 0.6, n))
    err_frac = rng.uniform(0.02, 0.2, n)
    df = pd.DataFrame({
        "source_id": np.arange(n, dtype=np.int64) * 7919 + 11,
        "feh": feh, "feh_err": np.full(n, 0.03), "afe": afe, "afe_err": np.full(n, 0.02),
        "teff_k": rng.uniform(5500, 6600, n), "logg": rng.uniform(3.5, 4.6, n),
        "snr_g": rng.uniform(60, 300, n), "snr_r": rng.uniform(60, 300, n), "snr_i": rng.uniform(60, 300, n),
        "age_mode_gyr": age, "age_median_gyr": age, "age_lo_gyr": age * (1 - err_frac),
        "age_hi_gyr": age * (1 + err_frac), "age_err_frac": err_frac,
        "age_flags": np.zeros(n, np.int32),
        "R_kpc": rg + rng.normal(0, 0.8, n), "R_kpc_std": np.full(n, 0.05),
        "vphi_kms": -rng.normal(225, 20, n), "Lz_kpckms": -rg * 236.0,
        f"rg_kpc_{POT}": rg, f"rg_kpc_std_{POT}": rng.uniform(0.05, 0.2, n), f"zmax_kpc_{POT}": zmax,
        f"ecc_{POT}": rng.uniform(0.02, 0.3, n),
    })
    df["R_present_kpc"] = df["R_kpc"]
    cheb = rng.uniform(size=n) < 0.15  # a clump-like share of core-helium-burning stars
    df["p_cheb"] = np.where(cheb, 0.9, 0.05)
    masks = selection_masks(df, None, {"zmax_kpc": f"zmax_kpc_{POT}"}, base=np.ones(n, bool),
                            edge_flag=np.zeros(n, bool), cheb_flag=cheb)
    for name, m in masks.items():
        df[f"sel_{name}"] = m
    return df


def _tables(df: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    draws = df["age_mode_gyr"].to_numpy()[:, None] * (1 + rng.normal(0, 0.1, (len(df), 8)))
    bins = draw_bin_index(draws, HIST_EDGES_GYR)
    groups: dict = {}
    for sel in list(SELECTION_NAMES) + list(EXTRA_SELECTIONS):
        m = df[f"sel_{sel}"].to_numpy()
        if not m.any():
            continue
        for radius, pot, rc, rec in (("rg", POT, f"rg_kpc_{POT}", f"rg_kpc_std_{POT}"),
                                     ("rpresent", "none", "R_present_kpc", "R_kpc_std")):
            part = partition_groups((sel, pot, R0, V0, radius), df["source_id"].to_numpy()[m],
                                    df["age_mode_gyr"].to_numpy()[m], df[rc].to_numpy()[m],
                                    df[rec].to_numpy()[m], df["feh"].to_numpy()[m],
                                    df["feh_err"].to_numpy()[m], bins[m])
            groups.update(part)
    grads = gradient_table(groups, min_members=MIN_STARS)
    return grads, trend_table(grads, min_members=MIN_STARS)


def _sweep_rows(grads: pd.DataFrame) -> pd.DataFrame:
    base = grads[grads["radius"] == "rg"]
    out = []
    for k, (pot, r0, v0) in enumerate((("mcm17", R0, V0), ("irr13", R0, V0), (POT, 8.0, V0), (POT, 8.5, V0),
                                       (POT, R0, 220.0), (POT, R0, 250.0))):
        v = base.copy()
        v["potential"], v["R0_kpc"], v["v0_kms"] = pot, r0, v0
        v["slope_dex_per_kpc"] = v["slope_dex_per_kpc"] + 0.004 * (k - 2.5) + 0.0005 * (v["bin_lo_gyr"] - 5)
        out.append(v)
    return pd.concat(out, ignore_index=True)


def _cuts(df: pd.DataFrame) -> pd.DataFrame:
    n = len(df)
    counts = {"ingested": 3 * n, "snr": 2 * n, "age_err": n, "high_quality_all": n // 3}
    rows = [{"step": s, "n_stars": counts[s]} for s in CUT_STEPS]
    rows += [{"step": f"selection:{c[4:]}", "n_stars": int(df[c].sum())}
             for c in sorted(df.columns) if c.startswith("sel_")]
    return pd.DataFrame(rows)


def _provenance(folder: Path) -> dict:
    sel = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in DEFAULT_SELECTION_PARAMS.items()}
    sel["zmax_edges_kpc"] = [0.0, 0.25, 0.75, 2.0, "inf"]
    cuts = {k: sel.pop(k) for k in ("snr_min", "age_err_max", "hq_age_err_max", "hq_teff_hot_k",
                                     "hq_teff_giant_k", "hq_logg_giant")}
    return {
        "mwdisk_version": "0.1.0", "written_utc": "2026-01-01T00:00:00+00:00", "git_commit": "abc123",
        "seed": 20210615,
        "config": {
            "run": {"seed": 20210615, "out": str(folder), "catalog": None, "potential": POT},
            "frame": {"R0_kpc": R0, "vcirc_kms": V0, "z_sun_kpc": 0.0},
            "mock": {**INJECTED, "n": 2000},
            "cuts": cuts, "selections": sel,
            "gradients": {"min_stars": MIN_STARS, "error_model": "scatter", "trend_age": "mid"},
            "sweeps": {"potentials": ["mw14", "mcm17", "irr13"], "R0_kpc": [8.0, 8.27, 8.5],
                       "vcirc_kms": [220.0, 236.0, 250.0]},
        },
        "versions": {"python": "3.11", "numpy": np.__version__, "pandas": pd.__version__},
        "machine": {"platform": "test"},
        "inputs": {},
        "timings": [{"stage": "ages", "variant": "default", "partitions": 2, "computed": 1, "seconds": 1.5},
                    {"stage": "gradients", "variant": "default", "partitions": 2, "computed": 1,
                     "seconds": 0.5}],
    }


def build_run(folder: Path, rng: np.random.Generator, *, sweep: bool) -> Path:
    """Write a synthetic finished run into ``folder`` (see the module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    df = _stars(rng)
    grads, trends = _tables(df, rng)
    if sweep:
        grads = pd.concat([grads, _sweep_rows(grads)], ignore_index=True)
        trends = trend_table(grads, min_members=MIN_STARS)
    sel = folder / "selected"
    sel.mkdir(exist_ok=True)
    half = len(df) // 2
    df.iloc[:half].to_parquet(sel / "part-00000.parquet", index=False)
    df.iloc[half:].to_parquet(sel / "part-00001.parquet", index=False)
    grads.to_csv(folder / "gradients.csv", index=False)
    trends.to_csv(folder / "trends.csv", index=False)
    _cuts(df).to_csv(folder / "cuts.csv", index=False)
    (folder / "provenance.json").write_text(json.dumps(_provenance(folder), indent=1))
    return folder


@pytest.fixture(scope="session")
def sweep_run(tmp_path_factory) -> Path:
    """A synthetic run with sweep rows, on the mock (injected law in the provenance); no figures yet."""
    folder = tmp_path_factory.mktemp("run_sweep") / "OUT"
    return build_run(folder, np.random.default_rng(20210615), sweep=True)


@pytest.fixture(scope="session")
def drawn_run(sweep_run) -> Path:
    """``sweep_run`` after :func:`mwdisk.figures.make_figures` (drawn once for the session)."""
    from mwdisk.figures import make_figures

    make_figures(sweep_run, strict=True)
    return sweep_run


@pytest.fixture
def plain_run(tmp_path, rng) -> Path:
    """A synthetic run without sweep rows (a fresh folder per test)."""
    return build_run(tmp_path / "OUT", rng, sweep=False)


@pytest.fixture(scope="session")
def injected_law() -> dict:
    """The injected law written into the synthetic runs' provenance."""
    return dict(INJECTED)
