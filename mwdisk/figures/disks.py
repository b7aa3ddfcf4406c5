"""Figs. 6 and 7: one disk selection at a glance.

Left column: the gradient against age (both error bars and the trend line), the selection's distribution in
the chemistry plane and in the R_g-Z_max plane. Right: [Fe/H] against R_g in each age bin, with the line
fitted in that bin (from ``gradients.csv``) drawn over the members.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .context import FigureContext
from .gradient_panel import draw_gradient_panel, run_rows
from .star_panels import draw_chemistry_density, draw_division_lines, draw_orbit_density, subsample
from .theme import COLORS, LABELS, SELECTION_LABELS, new_figure, style

__all__ = ["STAR_COLUMNS", "disk_figure", "draw_bin_panel"]

logger = logging.getLogger(__name__)

#: Per-star columns (generic names) the disk figures read.
STAR_COLUMNS = ("feh", "afe", "rg_kpc", "zmax_kpc", "age_mode_gyr")

_MAX_POINTS = 4000


def draw_bin_panel(ax, members: pd.DataFrame, row: pd.Series | None, other: pd.Series | None,
                   ctx: FigureContext, rg_range, feh_range, *, radius_col: str = "rg_kpc") -> None:
    """[Fe/H] against radius for the members of one age bin, with the fitted line(s) of that bin.

    ``row`` is the bin's row of the default error model (solid line), ``other`` that of the other model
    (dashed); either may be None.
    """
    pts = subsample(members, _MAX_POINTS, seed=1)
    ax.scatter(pts[radius_col], pts["feh"], s=3, c="0.25", alpha=0.35, lw=0, rasterized=True)
    x = np.array(rg_range)
    text = []
    for r, ls, color in ((row, "-", COLORS[1]), (other, "--", COLORS[0])):
        if r is None:
            continue
        b, a = float(r["slope_dex_per_kpc"]), float(r["intercept_dex"])
        if np.isfinite(a) and np.isfinite(b):
            ax.plot(x, a + b * x, color=color, ls=ls, lw=1.4 if ls == "-" else 1.0)
    if row is not None:
        lo, hi = float(row["bin_lo_gyr"]), float(row["bin_hi_gyr"])
        text.append(f"{lo:g}-{hi:g} Gyr, N = {int(row['n_stars'])}")
        b, e = float(row["slope_dex_per_kpc"]), float(row["slope_err_dex_per_kpc"])
        if np.isfinite(b):
            text.append(f"{b:+.3f} $\\pm$ {e:.3f} dex/kpc")
        if int(row["n_stars"]) < ctx.min_stars:
            text.append(f"(< {ctx.min_stars} stars: not in trend)")
    ax.text(0.03, 0.04, "\n".join(text), transform=ax.transAxes, fontsize=7.5, va="bottom",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.8", "alpha": 0.85})
    ax.set_xlim(rg_range)
    ax.set_ylim(feh_range)


def disk_figure(stars: pd.DataFrame, gradients: pd.DataFrame, ctx: FigureContext, selection: str, *,
                title: str | None = None) -> Figure:
    """Fig. 6 (``selection="thin_disk"``) or Fig. 7 (``"thick_disk"``): a selection and its gradients.

    Parameters
    ----------
    stars : pandas.DataFrame
        The selection's members, columns :data:`STAR_COLUMNS` (``rg_kpc``, ``zmax_kpc`` of the run's
        potential).
    gradients : pandas.DataFrame
        ``OUT/gradients.csv`` (rows of the run's default variant are used, radius R_g).
    ctx : FigureContext
        Default variant, error model, trend settings, shared axis ranges.
    selection : str
        Selection name (rows of ``gradients``).
    title : str, optional
        Figure title (default: the selection's name and size).
    """
    rows = run_rows(gradients, ctx, selection)
    other = run_rows(gradients, ctx, selection, error_model=ctx.other_error_model)
    fr = ctx.limit("feh", stars["feh"].to_numpy(dtype=float))
    ar = ctx.limit("afe", stars["afe"].to_numpy(dtype=float))
    rr = ctx.limit("rg", stars["rg_kpc"].to_numpy(dtype=float))
    zr = ctx.limit("zmax", stars["zmax_kpc"].to_numpy(dtype=float))
    n_bins = max(len(rows), 1)
    n_right = math.ceil(n_bins / 3)
    n_rows = max(3, n_right)
    p = ctx.selection_params
    with style():
        fig = new_figure(15.0, 3.4 * n_rows)
        gs = fig.add_gridspec(n_rows, 4, width_ratios=[1.25, 1, 1, 1])
        ax_g = fig.add_subplot(gs[0, 0])
        draw_gradient_panel(ax_g, rows, ctx, label=f"{ctx.error_model} model", color="k")
        ax_g.set_ylabel(LABELS["gradient"])
        ax_g.legend(loc="best", title=r"trend in " + LABELS["trend"], title_fontsize=7.5)
        ax_g.set_title("gradient against age")
        ax_c = fig.add_subplot(gs[1, 0])
        draw_chemistry_density(ax_c, stars["feh"].to_numpy(dtype=float), stars["afe"].to_numpy(dtype=float),
                               fr, ar, bins=50)
        draw_division_lines(ax_c, p, fr, labels=False)
        ax_c.set_title("chemistry")
        ax_o = fig.add_subplot(gs[2, 0])
        edges = [p["thin_zmax_max_kpc"], p["thick_zmax_min_kpc"]]
        draw_orbit_density(ax_o, stars["rg_kpc"].to_numpy(dtype=float),
                           stars["zmax_kpc"].to_numpy(dtype=float), rr, zr, edges_kpc=edges)
        ax_o.set_title("orbits")
        age = stars["age_mode_gyr"].to_numpy(dtype=float)
        first = None
        other_by_lo = {float(r["bin_lo_gyr"]): r for _, r in other.iterrows()}
        for k, (_, row) in enumerate(rows.iterrows()):
            ax = fig.add_subplot(gs[k // 3, 1 + k % 3], sharex=first, sharey=first)
            first = first or ax
            lo, hi = float(row["bin_lo_gyr"]), float(row["bin_hi_gyr"])
            members = stars[(age >= lo) & (age < hi)]
            draw_bin_panel(ax, members, row, other_by_lo.get(lo), ctx, rr, fr)
            if k % 3 == 0:
                ax.set_ylabel(LABELS["feh"])
            if k // 3 == (len(rows) - 1) // 3:
                ax.set_xlabel(LABELS["rg"])
        if first is not None:
            first.plot([], [], color=COLORS[1], label=f"fit ({ctx.error_model})")
            first.plot([], [], color=COLORS[0], ls="--", label=f"fit ({ctx.other_error_model})")
            first.legend(loc="upper right", fontsize=7)
        name = SELECTION_LABELS.get(selection, selection)
        fig.suptitle(title or f"{name[0].upper() + name[1:]}: {len(stars):,} stars "
                     f"(potential {ctx.potential}, $R_0$ = {ctx.R0_kpc:g} kpc, $v_0$ = {ctx.v0_kms:g} km/s)")
    return fig
