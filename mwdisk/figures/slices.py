"""Figs. 9 and 10: four slices side by side (Z_max slices, or the chemical groups of Fig. 5).

One column per slice: the gradient against age (top, shared y axis), the slice's chemistry (middle) and its
R_g-Z_max distribution (bottom), so that a reader can see how the gradient of each slice relates to where its
stars sit in chemistry and orbits (paper section 4.3: Figs. 6 and 7 can be reconstructed from 9 and 10).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .context import FigureContext
from .gradient_panel import draw_gradient_panel, run_rows
from .star_panels import draw_chemistry_density, draw_division_lines, draw_orbit_density
from .theme import LABELS, SELECTION_LABELS, new_figure, style

__all__ = ["ZMAX_SLICES", "CHEM_SLICES", "STAR_COLUMNS", "slices_figure", "slice_titles"]

logger = logging.getLogger(__name__)

ZMAX_SLICES = ("zmax_1", "zmax_2", "zmax_3", "zmax_4")
CHEM_SLICES = ("chem_1", "chem_2", "chem_3", "chem_4")
#: Per-star columns (generic names) read, besides the ``sel_<slice>`` columns.
STAR_COLUMNS = ("feh", "afe", "rg_kpc", "zmax_kpc")


def slice_titles(selections: Sequence[str], ctx: FigureContext) -> list[str]:
    """Column titles: the Z_max range of a Z_max slice, or the band about the division line of a group."""
    edges = np.asarray(ctx.selection_params["zmax_edges_kpc"], dtype=float)
    s = float(ctx.selection_params["chem_shift"])
    bands = {1: f"d < {-s:g}", 2: f"{-s:g} $\\leq$ d < 0", 3: f"0 $\\leq$ d < {s:g}", 4: f"d $\\geq$ {s:g}"}
    out = []
    for sel in selections:
        kind, _, k = sel.rpartition("_")
        if kind == "zmax" and k.isdigit():
            i = int(k)
            hi = "$\\infty$" if not np.isfinite(edges[i]) else f"{edges[i]:g}"
            out.append(f"{edges[i - 1]:g} $\\leq Z_\\mathrm{{max}}$ < {hi} kpc")
        elif kind == "chem" and k.isdigit():
            out.append(f"group {k}: {bands[int(k)]} dex")
        else:
            out.append(SELECTION_LABELS.get(sel, sel))
    return out


def slices_figure(stars: pd.DataFrame, gradients: pd.DataFrame, ctx: FigureContext,
                  selections: Sequence[str] = ZMAX_SLICES, *, title: str = "") -> Figure:
    """Gradient, chemistry and orbits of each slice, one column per slice.

    Parameters
    ----------
    stars : pandas.DataFrame
        The base sample, columns :data:`STAR_COLUMNS` and ``sel_<slice>`` for each slice.
    gradients : pandas.DataFrame
        ``OUT/gradients.csv``.
    ctx : FigureContext
        Default variant, error model, trend settings, shared axis ranges.
    selections : sequence of str
        The slices (:data:`ZMAX_SLICES` for Fig. 9, :data:`CHEM_SLICES` for Fig. 10).
    title : str
        Figure title.
    """
    fr = ctx.limit("feh", stars["feh"].to_numpy(dtype=float))
    ar = ctx.limit("afe", stars["afe"].to_numpy(dtype=float))
    rr = ctx.limit("rg", stars["rg_kpc"].to_numpy(dtype=float))
    zr = ctx.limit("zmax", stars["zmax_kpc"].to_numpy(dtype=float))
    p = ctx.selection_params
    titles = slice_titles(selections, ctx)
    n = len(selections)
    with style():
        fig = new_figure(3.6 * n + 0.6, 10.0)
        axes = fig.subplots(3, n, squeeze=False)
        for j, sel in enumerate(selections):
            rows = run_rows(gradients, ctx, sel)
            col = f"sel_{sel}"
            members = stars[stars[col].to_numpy(dtype=bool)] if col in stars else stars.iloc[:0]
            ax = axes[0, j]
            if j:
                ax.sharey(axes[0, 0])
            draw_gradient_panel(ax, rows, ctx, color="k")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="best", fontsize=7)
            ax.set_title(f"{titles[j]}\n{len(members):,} stars")
            if j == 0:
                ax.set_ylabel(LABELS["gradient"])
            draw_chemistry_density(axes[1, j], members["feh"].to_numpy(dtype=float),
                                   members["afe"].to_numpy(dtype=float), fr, ar, bins=45)
            draw_division_lines(axes[1, j], p, fr, labels=False)
            edges = list(p["zmax_edges_kpc"][1:-1]) if selections[0].startswith("zmax") else []
            draw_orbit_density(axes[2, j], members["rg_kpc"].to_numpy(dtype=float),
                               members["zmax_kpc"].to_numpy(dtype=float), rr, zr, bins=40, edges_kpc=edges)
            if j:
                axes[1, j].set_ylabel("")
                axes[2, j].set_ylabel("")
        if title:
            fig.suptitle(title)
    return fig
