"""The short summary ``mwdisk run`` prints at the end: stages, the cut cascade and the gradients."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["print_summary"]


def print_summary(cfg: dict, summaries: dict) -> None:
    out = Path(cfg["run"]["out"])
    print("\nmwdisk run finished")
    for name, s in summaries.items():
        print(f"  {name:<11} {s.get('computed', 0):>4} partitions computed in {s.get('seconds', 0):8.1f} s")
    cuts = out / "cuts.csv"
    if cuts.is_file():
        print("\nCut cascade:")
        print(pd.read_csv(cuts).to_string(index=False))
    trends = out / "trends.csv"
    if trends.is_file():
        t = pd.read_csv(trends)
        t = t[t["selection"].isin(["thin_disk", "thick_disk"]) & (t["radius"] == "rg")]
        print("\nGradient trends (R_g):")
        print(t.to_string(index=False))
    print(f"\nOutputs: {out.resolve()}  (pandas.read_parquet('{out}/<stage>'); provenance.json)")
