"""The short summary ``mwdisk run`` prints at the end: stages, the cut cascade and the disk gradients."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["print_summary", "summary_text", "stage_health", "written_outputs"]

#: The column that holds each per-star stage's main result (NaN where the stage could not compute it).
HEALTH_COLUMNS = {"extinction": "A_G_mag", "ages": "age_mode_gyr", "phasespace": "R_kpc",
                  "orbits": "rg_kpc_{potential}"}
#: Below this share of stars with a valid value a stage is reported loudly.
HEALTH_MIN_VALID = 0.5


def stage_health(cfg: dict, names) -> list[str]:
    """One warning line per per-star stage of ``names`` that gave a valid value to under half the stars."""
    out = Path(cfg["run"]["out"])
    warnings = []
    for name in names:
        col = HEALTH_COLUMNS.get(name)
        folder = out / name
        if col is None or not folder.is_dir():
            continue
        col = col.format(potential=cfg["run"]["potential"])
        try:
            v = pd.read_parquet(folder, columns=[col])[col].to_numpy(float)
        except (KeyError, ValueError, OSError):
            continue
        if v.size and np.isfinite(v).mean() < HEALTH_MIN_VALID:
            warnings.append(
                f"WARNING: stage {name} gave a valid {col} to only {np.isfinite(v).mean():.1%} of "
                f"{v.size:,} stars; see its flag column and the inputs it reads (mwdisk stages)"
            )
    return warnings


def written_outputs(out: Path, names) -> list[str]:
    """The outputs (``StageSpec.outputs``) of the stages ``names`` that are in ``out``, and
    provenance.json."""
    from mwdisk.stages import ALL_STAGES

    found = [o for n in names if n in ALL_STAGES for o in ALL_STAGES[n].outputs
             if (out / o.rstrip("/")).exists()]
    if (out / "provenance.json").is_file():
        found.append("provenance.json")
    return found


def _fmt(v: float, e: float | None = None, digits: int = 4) -> str:
    if v is None or not np.isfinite(v):
        return "n/a (bins under gradients.min_stars)"
    return f"{v:+.{digits}f}" + (f" +- {e:.{digits}f}" if e is not None and np.isfinite(e) else "")


def summary_text(cfg: dict, summaries: dict) -> str:
    out = Path(cfg["run"]["out"])
    lines = ["", "mwdisk run finished"]
    for name, s in summaries.items():
        lines.append(
            f"  {name:<11} {s.get('computed', 0):>4} partitions computed in {s.get('seconds', 0):8.1f} s"
        )
    health = stage_health(cfg, summaries)
    if health:
        lines += ["", *health]
    cuts = out / "cuts.csv"
    with_tables = "gradients" in summaries  # an earlier run's tables are not this run's results
    if with_tables and cuts.is_file():
        c = pd.read_csv(cuts).set_index("step")["n_stars"]
        lines += ["", "Cut cascade (paper: ~4M -> 1,328,841 -> HQ 171,691):"]
        lines += [f"  {k:<28} {v:>10,d}" for k, v in c.items()]
    grads, trends = out / "gradients.csv", out / "trends.csv"
    if with_tables and grads.is_file() and trends.is_file():
        g, t = pd.read_csv(grads), pd.read_csv(trends)
        pot = cfg["run"]["potential"]
        mock = cfg["run"]["catalog"] is None
        m = cfg["mock"]
        lines += [
            "",
            f"[Fe/H]-R_g gradients ({pot}, R0 {cfg['frame']['R0_kpc']} kpc, v0 {cfg['frame']['vcirc_kms']} "
            f"km/s; scatter-aware error model, the paper's naive model in brackets):",
        ]
        for sel in ("thin_disk", "thick_disk"):
            rows = t[(t.selection == sel) & (t.radius == "rg") & (t.potential == pot)].set_index(
                "error_model"
            )
            if rows.empty:
                continue
            sc, nv = rows.loc["scatter"], rows.loc["naive"]
            young = g[
                (g.selection == sel)
                & (g.radius == "rg")
                & (g.potential == pot)
                & (g.error_model == "scatter")
            ]
            young = young[young.n_stars >= cfg["gradients"]["min_stars"]].sort_values("bin_lo_gyr").head(1)
            lines.append(f"  {sel}:")
            lines.append(
                f"    youngest usable bin gradient  {_fmt(sc.gradient_youngest_dex_per_kpc)} dex/kpc "
                f"[{_fmt(nv.gradient_youngest_dex_per_kpc)}]"
                + (
                    f"  (bin {young.bin_lo_gyr.iloc[0]:g}-{young.bin_hi_gyr.iloc[0]:g} Gyr, "
                    f"{int(young.n_stars.iloc[0])} stars)"
                    if len(young)
                    else ""
                )
            )
            lines.append(
                f"    trend with age               "
                f"{_fmt(sc.slope_dex_per_kpc_per_gyr, sc.slope_err_dex_per_kpc_per_gyr)}"
                f" dex/kpc/Gyr [{_fmt(nv.slope_dex_per_kpc_per_gyr)}]"
            )
            if mock:
                if sel == "thin_disk":
                    inj = (f"injected: {m['thin_gradient']:+.4f} dex/kpc at 1 Gyr, flattening "
                           f"{m['thin_flattening']:+.4f} dex/kpc/Gyr")
                else:
                    inj = f"injected: {m['thick_gradient']:+.4f} dex/kpc at all ages, no trend"
                lines.append(f"    {inj}")
        lines.append(
            "  paper: thin disk -0.075 dex/kpc for the youngest stars, flattening +0.003 dex/kpc/Gyr; "
            "thick disk about +0.02 dex/kpc"
        )
    written = written_outputs(out, summaries)
    lines.append(f"\nOutputs in {out.resolve()} (of the stages run): {', '.join(written)}")
    per_star = [o for o in written if o.rstrip("/") in ("extinction", "ages", "phasespace", "orbits")]
    if per_star:
        first = per_star[0].rstrip("/")
        lines.append(f"  per-star stage folders open with pandas.read_parquet('{out}/{first}')")
    return "\n".join(lines)


def print_summary(cfg: dict, summaries: dict) -> None:
    print(summary_text(cfg, summaries))
