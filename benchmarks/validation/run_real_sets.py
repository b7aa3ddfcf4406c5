"""Run the two real sets end to end through the CLI and report what each lacks and how the run treats it.

    .venv/bin/python benchmarks/validation/run_real_sets.py --data ../shared/data --out /tmp/real-runs

1. Montalban+2021 x APOGEE DR17 (95 Kepler giants; Gaia EDR3 astrometry, Bailer-Jones distances, APOGEE
   DR17 spectroscopy): ``mwdisk ingest --table ... --columns
   tests/data/readers/montalban2021_apogee_dr17_columns.yaml``
2. Gaia DR3 x LAMOST DR9 (1,838 stars, no astrometric errors, no [alpha/Fe]):
   ``mwdisk ingest --table ... --columns tests/data/readers/gaia_lamost_dr9_1838_columns.yaml``

then ``mwdisk run --catalog CAT --out OUT --until gradients --no-dask`` and, for each: rows per stage, the
``filled_flags`` bits (what the table lacked and got a default), extinction source, age/orbit flags, wall time
and peak memory; for the 95 stars also our pipeline ages against Montalban's asteroseismic ages and our orbits
against Miglio+2021 where the KIC is in both.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
MAPS = REPO / "tests" / "data" / "readers"
SETS = {
    "montalban95": ("validation/asteroseismic-ages/Montalban2021_X_APOGEE_DR17.fits",
                    "montalban2021_apogee_dr17_columns.yaml"),
    "gaia_lamost1838": ("validation/gaia-lamost-dr9-sample/gaia_lamost_larger_velocity_features.csv",
                        "gaia_lamost_dr9_1838_columns.yaml"),
}
STAGES = ("ingest", "extinction", "ages", "phasespace", "orbits")


def run_set(name: str, data: Path, out: Path) -> dict:
    from mwdisk.cli import main

    table, cmap = SETS[name]
    cat, run = out / f"{name}_catalog", out / f"{name}_run"
    t0 = time.perf_counter()
    rc = main(["ingest", "--table", str(data / table), "--columns", str(MAPS / cmap), "--out", str(cat)])
    t1 = time.perf_counter()
    rc |= main(["run", "--catalog", str(cat), "--out", str(run), "--until", "gradients", "--no-dask"])
    t2 = time.perf_counter()
    return {"rc": rc, "catalog": cat, "run": run, "t_ingest_s": t1 - t0, "t_run_s": t2 - t1}


def describe(name: str, res: dict) -> pd.DataFrame:
    from mwdisk.ages import AgeFlag
    from mwdisk.readers import FilledFlag

    run = res["run"]
    ing = pd.read_parquet(run / "ingest")
    print(
        f"\n== {name}: ingest {res['t_ingest_s']:.1f} s, run {res['t_run_s']:.1f} s (2 cores, shared, noisy)"
    )
    for s in STAGES:
        df = pd.read_parquet(run / s)
        print(f"  {s:<11} {len(df):>6} rows, {df['source_id'].nunique():>6} unique source_id")
    ff = ing["filled_flags"].to_numpy(np.int64)
    print("  filled with documented defaults (stars):")
    for b in FilledFlag:
        n = int(np.count_nonzero(ff & int(b)))
        if n:
            print(f"    {b.name:<15} {n}")
    ext = pd.read_parquet(run / "extinction")
    print(f"  extinction source: {ext['ext_source'].astype(str).value_counts().to_dict()}")
    ages = pd.read_parquet(run / "ages")
    af = ages["age_flags"].to_numpy(np.int64)
    print(f"  ages: {int(np.isfinite(ages['age_median_gyr']).sum())} with an age; flags: " + ", ".join(
        f"{b.name} {int(np.count_nonzero(af & int(b)))}" for b in AgeFlag if np.any(af & int(b))))
    orb = pd.read_parquet(run / "orbits")
    print(f"  orbits: {int(np.isfinite(orb['zmax_kpc_mw14']).sum())} with Z_max; quality_flags "
          f"{ing['quality_flags'].value_counts().to_dict()}")
    print(f"  cuts: {pd.read_csv(run / 'cuts.csv').head(4).to_dict(orient='records')}")
    return ing.merge(ages, on="source_id").merge(orb, on="source_id")


def compare_montalban(data: Path, stars: pd.DataFrame) -> None:
    sys.path.insert(0, str(REPO))
    from mwdisk.validation import load_miglio, load_montalban
    from mwdisk.validation.stats import age_comparison_table, value_comparison_table

    mont = load_montalban(data)
    m = stars.merge(mont[["kic", "age_seis_gyr", "age_seis_lo_gyr", "age_seis_hi_gyr"]],
                    left_on="obs_id", right_on="kic")
    rc = np.where((m["age_flags"].to_numpy(np.int64) & 32) > 0, "likely_RC_box", "outside_RC_box")
    t = age_comparison_table(m["age_median_gyr"], m["age_lo_gyr"], m["age_hi_gyr"], m["age_seis_gyr"], rc,
                             flags=m["age_flags"])
    print("\n  pipeline ages (Teff, spectroscopic log g, M_G from Gaia G + Bailer-Jones + analytic A_G) "
          "against Montalban+2021 seismic ages:")
    print(t.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    mig = load_miglio(data)
    o = stars.merge(mig, left_on="obs_id", right_on="kic")
    v = value_comparison_table({q: (o[f"{q}_mw14"], o[f"{q}_miglio"]) for q in ("zmax_kpc", "rperi_kpc",
                                                                                 "rapo_kpc", "ecc")},
                               "pipeline_run_montalban")
    print(f"\n  pipeline orbits against Miglio+2021 ({len(o)} stars in both):")
    print(v.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def main_(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path, help="the data folder (holds validation/)")
    ap.add_argument("--out", required=True, type=Path)
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    for name in SETS:
        res = run_set(name, a.data, a.out)
        if res["rc"]:
            print(f"{name}: CLI returned {res['rc']}")
            return 1
        stars = describe(name, res)
        if name == "montalban95":
            compare_montalban(a.data, stars)
    print(f"\npeak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
