"""The chemistry plane: Fig. 5 (density with contours and the division lines) and Fig. 8 (median age).

Both take the per-star table of the base sample (stars passing the SNR and age-error cuts) as a DataFrame.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mwdisk.selections import chem_line

from .context import FigureContext
from .star_panels import draw_chemistry_density, draw_division_lines
from .theme import LABELS, new_figure, style

__all__ = ["CONTOUR_FRACTIONS", "chemistry_plane", "chemistry_age"]

logger = logging.getLogger(__name__)

#: Contour levels of Fig. 5, as fractions of the peak density [PAPER].
CONTOUR_FRACTIONS = (0.05, 0.25, 0.50, 0.75, 0.95)


def _group_labels(ax, ctx: FigureContext, feh_range, afe_range) -> None:
    p = ctx.selection_params
    s = float(p["chem_shift"])
    x = feh_range[0] + 0.06 * (feh_range[1] - feh_range[0])
    base = float(chem_line(np.array([x]), p["chem_line_feh"], p["chem_line_afe"])[0])
    for k, dy in zip((1, 2, 3, 4), (-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s), strict=True):
        y = base + dy
        if afe_range[0] < y < afe_range[1]:
            ax.text(x, y, f"chem {k}", fontsize=8, va="center", color="#D55E00",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})


def chemistry_plane(stars: pd.DataFrame, ctx: FigureContext, *, bins: int = 80) -> Figure:
    """Fig. 5: [a/Fe] against [Fe/H] of the base sample.

    A 2D histogram (log grey scale), contours at 5, 25, 50, 75 and 95 % of the peak density (of the
    histogram smoothed by one bin), the division line through the configured knots (dashed) and its copies
    shifted by -+``chem_shift`` (dotted), which split the plane into the chemical groups 1 (alpha-poor) to 4.

    Parameters
    ----------
    stars : pandas.DataFrame
        Columns ``feh``, ``afe`` (dex).
    ctx : FigureContext
        Selection parameters (division line) and shared axis ranges.
    bins : int
        Histogram bins per axis.
    """
    feh = stars["feh"].to_numpy(dtype=float)
    afe = stars["afe"].to_numpy(dtype=float)
    fr, ar = ctx.limit("feh", feh, lo_q=0.2, hi_q=99.8), ctx.limit("afe", afe, lo_q=0.2, hi_q=99.8)
    with style():
        fig = new_figure(6.4, 5.0)
        ax = fig.add_subplot()
        im = draw_chemistry_density(ax, feh, afe, fr, ar, bins=bins, contours=CONTOUR_FRACTIONS)
        if im is not None:
            fig.colorbar(im, ax=ax, label="stars per bin")
        draw_division_lines(ax, ctx.selection_params, fr)
        _group_labels(ax, ctx, fr, ar)
        ax.plot([], [], color="#0072B2", lw=0.9, label="5, 25, 50, 75, 95 % of peak")
        ax.legend(loc="upper right", frameon=True)
        ax.set_title(f"Chemistry of the base sample ({len(stars):,} stars)")
    return fig


def chemistry_age(stars: pd.DataFrame, ctx: FigureContext, *, bins: int = 50, min_count: int = 3) -> Figure:
    """Fig. 8: the chemistry plane coloured by the median maximum-likelihood age of the stars in each cell.

    Cells with fewer than ``min_count`` stars are left blank. The division lines of Fig. 5 are overlaid.

    Parameters
    ----------
    stars : pandas.DataFrame
        Columns ``feh``, ``afe`` (dex) and ``age_mode_gyr``.
    ctx : FigureContext
        Selection parameters and shared axis ranges.
    bins : int
        Cells per axis.
    min_count : int
        Smallest number of stars for a cell to be coloured.
    """
    from scipy.stats import binned_statistic_2d

    feh = stars["feh"].to_numpy(dtype=float)
    afe = stars["afe"].to_numpy(dtype=float)
    age = stars["age_mode_gyr"].to_numpy(dtype=float)
    fr, ar = ctx.limit("feh", feh, lo_q=0.2, hi_q=99.8), ctx.limit("afe", afe, lo_q=0.2, hi_q=99.8)
    ok = np.isfinite(feh) & np.isfinite(afe) & np.isfinite(age)
    with style():
        fig = new_figure(6.4, 5.0)
        ax = fig.add_subplot()
        ax.set_xlim(fr)
        ax.set_ylim(ar)
        ax.set_xlabel(LABELS["feh"])
        ax.set_ylabel(LABELS["afe"])
        if ok.any():
            med, xe, ye, _ = binned_statistic_2d(feh[ok], afe[ok], age[ok], "median", bins=bins,
                                                 range=[fr, ar])
            cnt, _, _, _ = binned_statistic_2d(feh[ok], afe[ok], age[ok], "count", bins=bins, range=[fr, ar])
            med = np.ma.masked_where(~(cnt >= min_count) | ~np.isfinite(med), med)
            im = ax.pcolormesh(xe, ye, med.T, cmap="plasma", vmin=1.0, vmax=13.0, rasterized=True)
            fig.colorbar(im, ax=ax, label="median age (Gyr)")
        else:
            ax.text(0.5, 0.5, "no stars", transform=ax.transAxes, ha="center", va="center")
        draw_division_lines(ax, ctx.selection_params, fr)
        ax.legend(loc="upper right")
        ax.set_title(f"Median age across the chemistry plane (cells with $\\geq${min_count} stars)")
    return fig
