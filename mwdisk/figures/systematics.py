"""Figs. 11 and 12: the thin-disk gradients under other potentials and other (R0, v0).

Both read only rows of ``gradients.csv``: those a ``mwdisk sweep`` adds beside the run's own, with another
``potential`` (in the run's frame) or another ``R0_kpc`` / ``v0_kms`` (in the run's potential). When a run has
no such rows the figure functions return None and :data:`HOW_TO_SWEEP` tells the reader how to make them.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .context import FigureContext
from .gradient_panel import draw_gradient_panel, gradient_rows
from .theme import COLORS, LABELS, POTENTIAL_LABELS, SELECTION_LABELS, new_figure, style

__all__ = [
    "HOW_TO_SWEEP",
    "sweep_variants_present",
    "potentials_figure",
    "frames_figure",
    "sweep_table",
]

logger = logging.getLogger(__name__)

#: What the report says when a run has no sweep rows.
HOW_TO_SWEEP = (
    "This run has no sweep rows. To compare potentials (Fig. 11) and solar parameters (Fig. 12), run "
    "`mwdisk sweep --out OUT` with the run's configuration (add `--catalog DIR` if the run used one): it "
    "recomputes phase space and orbits for every potential of `sweeps.potentials` and every R0 / v0 of "
    "`sweeps.R0_kpc` / `sweeps.vcirc_kms`, reusing the ingest, extinction and ages outputs, adds their "
    "rows to gradients.csv and trends.csv and redraws these figures and this report."
)


def _rg_rows(gradients: pd.DataFrame, selection: str, error_model: str) -> pd.DataFrame:
    g = gradients
    return g[(g["selection"] == selection) & (g["radius"] == "rg") & (g["error_model"] == error_model)]


def sweep_variants_present(gradients: pd.DataFrame | None, ctx: FigureContext,
                           selection: str = "thin_disk") -> dict[str, list[float] | list[str]]:
    """Which variants ``gradients`` holds for ``selection`` besides the run's default.

    Returns
    -------
    dict
        ``"potentials"``: other potentials in the run's frame; ``"R0_kpc"``: other R0 at the run's v0 and
        potential; ``"v0_kms"``: other v0 at the run's R0 and potential (each sorted; empty when absent).
    """
    out: dict = {"potentials": [], "R0_kpc": [], "v0_kms": []}
    if gradients is None or gradients.empty:
        return out
    g = _rg_rows(gradients, selection, ctx.error_model)
    r0 = g["R0_kpc"].astype(float).to_numpy()
    v0 = g["v0_kms"].astype(float).to_numpy()
    same_r0, same_v0 = np.isclose(r0, ctx.R0_kpc), np.isclose(v0, ctx.v0_kms)
    same_pot = (g["potential"] == ctx.potential).to_numpy()
    pots = set(g.loc[same_r0 & same_v0, "potential"]) - {ctx.potential}
    order = list(POTENTIAL_LABELS)
    out["potentials"] = sorted(pots, key=lambda p: (order.index(p) if p in order else len(order), p))
    out["R0_kpc"] = sorted({float(x) for x in r0[same_v0 & same_pot & ~same_r0]})
    out["v0_kms"] = sorted({float(x) for x in v0[same_r0 & same_pot & ~same_v0]})
    return out


def potentials_figure(
    gradients: pd.DataFrame, ctx: FigureContext, selection: str = "thin_disk"
) -> Figure | None:
    """Fig. 11: gradient against age of ``selection`` in each potential of the sweep (run's frame).

    Returns None when ``gradients`` holds no potential other than the run's.
    """
    present = sweep_variants_present(gradients, ctx, selection)
    if not present["potentials"]:
        return None
    pots = [ctx.potential] + present["potentials"]
    offsets = np.linspace(-0.12, 0.12, len(pots))
    with style():
        fig = new_figure(7.5, 5.0)
        ax = fig.add_subplot()
        for k, (pot, dx) in enumerate(zip(pots, offsets, strict=True)):
            rows = gradient_rows(gradients, selection, potential=pot, R0_kpc=ctx.R0_kpc, v0_kms=ctx.v0_kms,
                                 error_model=ctx.error_model)
            name = POTENTIAL_LABELS.get(pot, pot) + (" (run)" if pot == ctx.potential else "")
            draw_gradient_panel(ax, rows, ctx, label=name, color=COLORS[k % len(COLORS)],
                                marker="osD^v"[k % 5], x_offset_gyr=float(dx))
        ax.set_ylabel(LABELS["gradient"])
        ax.legend(loc="best", title="trend in " + LABELS["trend"], title_fontsize=8)
        ax.set_title(f"{SELECTION_LABELS.get(selection, selection)}: potentials "
                     f"($R_0$ = {ctx.R0_kpc:g} kpc, $v_0$ = {ctx.v0_kms:g} km/s; points offset in age)")
    return fig


def frames_figure(
    gradients: pd.DataFrame, ctx: FigureContext, selection: str = "thin_disk"
) -> Figure | None:
    """Fig. 12: gradient against age under other R0 (left) and other v0 (right), in the run's potential.

    A panel is drawn for each of R0 and v0 that has sweep rows; None when neither has.
    """
    present = sweep_variants_present(gradients, ctx, selection)
    panels = [(key, present[key]) for key in ("R0_kpc", "v0_kms") if present[key]]
    if not panels:
        return None
    with style():
        fig = new_figure(6.8 * len(panels), 5.0)
        axes = fig.subplots(1, len(panels), squeeze=False, sharey=True)[0]
        for ax, (key, values) in zip(axes, panels, strict=True):
            default = ctx.R0_kpc if key == "R0_kpc" else ctx.v0_kms
            vals = sorted(set(values) | {default})
            offsets = np.linspace(-0.12, 0.12, len(vals))
            for k, (val, dx) in enumerate(zip(vals, offsets, strict=True)):
                r0, v0 = (val, ctx.v0_kms) if key == "R0_kpc" else (ctx.R0_kpc, val)
                rows = gradient_rows(gradients, selection, potential=ctx.potential, R0_kpc=r0, v0_kms=v0,
                                     error_model=ctx.error_model)
                unit = "kpc" if key == "R0_kpc" else "km/s"
                sym = "$R_0$" if key == "R0_kpc" else "$v_0$"
                name = f"{sym} = {val:g} {unit}" + (" (run)" if np.isclose(val, default) else "")
                draw_gradient_panel(ax, rows, ctx, label=name, color=COLORS[k % len(COLORS)],
                                    marker="osD^v"[k % 5], x_offset_gyr=float(dx))
            ax.legend(loc="best", title="trend in " + LABELS["trend"], title_fontsize=8)
            fixed = (f"$v_0$ = {ctx.v0_kms:g} km/s" if key == "R0_kpc" else f"$R_0$ = {ctx.R0_kpc:g} kpc")
            ax.set_title(f"solar radius $R_0$ ({fixed})" if key == "R0_kpc" else
                         f"circular speed $v_0$ ({fixed})")
        axes[0].set_ylabel(LABELS["gradient"])
        fig.suptitle(f"{SELECTION_LABELS.get(selection, selection)}: solar parameters "
                     f"(potential {POTENTIAL_LABELS.get(ctx.potential, ctx.potential)}; "
                     "points offset in age)")
    return fig


def sweep_table(
    trends: pd.DataFrame | None, ctx: FigureContext, selection: str = "thin_disk"
) -> pd.DataFrame:
    """The trend of ``selection`` (R_g, default error model) in every variant of ``trends.csv``, the run's
    first.

    Returns
    -------
    pandas.DataFrame
        Columns ``variant``, ``potential``, ``R0_kpc``, ``v0_kms``, ``trend_dex_per_kpc_per_gyr``,
        ``trend_err_dex_per_kpc_per_gyr``, ``youngest_gradient_dex_per_kpc``, and the differences from the
        run's values (``d_trend``, ``d_youngest``).
    """
    cols = ["variant", "potential", "R0_kpc", "v0_kms", "trend_dex_per_kpc_per_gyr",
            "trend_err_dex_per_kpc_per_gyr", "youngest_gradient_dex_per_kpc", "d_trend", "d_youngest"]
    if trends is None or trends.empty:
        return pd.DataFrame(columns=cols)
    t = trends[(trends["selection"] == selection) & (trends["radius"] == "rg")
               & (trends["error_model"] == ctx.error_model)].copy()
    if t.empty:
        return pd.DataFrame(columns=cols)
    is_run = (t["potential"] == ctx.potential) & np.isclose(t["R0_kpc"].astype(float), ctx.R0_kpc) \
        & np.isclose(t["v0_kms"].astype(float), ctx.v0_kms)
    t["variant"] = np.where(is_run, "run", "sweep")
    t = t.assign(_o=~is_run).sort_values(["_o", "potential", "R0_kpc", "v0_kms"], kind="stable")
    base = t[t["variant"] == "run"]
    b_trend = float(base["slope_dex_per_kpc_per_gyr"].iloc[0]) if len(base) else np.nan
    b_young = float(base["gradient_youngest_dex_per_kpc"].iloc[0]) if len(base) else np.nan
    out = pd.DataFrame({
        "variant": t["variant"],
        "potential": t["potential"],
        "R0_kpc": t["R0_kpc"].astype(float),
        "v0_kms": t["v0_kms"].astype(float),
        "trend_dex_per_kpc_per_gyr": t["slope_dex_per_kpc_per_gyr"],
        "trend_err_dex_per_kpc_per_gyr": t["slope_err_dex_per_kpc_per_gyr"],
        "youngest_gradient_dex_per_kpc": t["gradient_youngest_dex_per_kpc"],
    })
    out["d_trend"] = out["trend_dex_per_kpc_per_gyr"] - b_trend
    out["d_youngest"] = out["youngest_gradient_dex_per_kpc"] - b_young
    return out.reset_index(drop=True)[cols]
