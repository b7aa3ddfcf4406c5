"""Robustness figures: Fig. 13 (high-quality sample), R_present against R_g, scatter-aware against naive.

All three read only ``gradients.csv`` rows of the run's default variant.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from .context import FigureContext
from .gradient_panel import draw_gradient_panel, run_rows
from .theme import COLORS, LABELS, SELECTION_LABELS, new_figure, style

__all__ = ["high_quality_figure", "rpresent_figure", "error_model_figure", "cheb_figure"]

logger = logging.getLogger(__name__)


def _paired_figure(panels: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]], ctx: FigureContext, *,
                   label_1: str, label_2: str, color_2: str, ylabel: str, what: str) -> Figure:
    """One panel per ``(selection, rows_1, rows_2)`` of ``panels``: two sets of gradients, offset in age.

    ``rows_1`` is drawn as black circles with a solid trend, ``rows_2`` as squares of colour ``color_2``
    with a dashed trend. Each panel is titled with the selection's name and ``what``.
    """
    with style():
        fig = new_figure(6.5 * len(panels), 5.0)
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (sel, rows_1, rows_2) in zip(axes, panels, strict=True):
            draw_gradient_panel(ax, rows_1, ctx, label=label_1, color="k", x_offset_gyr=-0.06)
            draw_gradient_panel(ax, rows_2, ctx, label=label_2, color=color_2, marker="s", x_offset_gyr=0.06,
                                linestyle="--")
            ax.set_ylabel(ylabel)
            ax.legend(loc="best", title="trend in " + LABELS["trend"], title_fontsize=8)
            ax.set_title(f"{SELECTION_LABELS.get(sel, sel)}: {what}")
    return fig


def high_quality_figure(gradients: pd.DataFrame, ctx: FigureContext, selection: str = "high_quality",
                        reference: str = "thin_disk") -> Figure | None:
    """Fig. 13: gradients of the high-quality sample (grey crosses and trend) over the thin disk's trend.

    The high-quality sample (age error < 10 %, turn-off and subgiant stars, within the thin disk by default)
    should give the same gradients as the full thin disk if the ages of the other stars do not drive them.
    The thin-disk points are drawn faintly and its trend as a black dashed line.

    Returns None when ``gradients`` has no row of ``selection``.
    """
    hq = run_rows(gradients, ctx, selection)
    if hq.empty or not hq["n_stars"].gt(0).any():
        return None
    ref = run_rows(gradients, ctx, reference)
    with style():
        fig = new_figure(7.0, 5.0)
        ax = fig.add_subplot()
        if not ref.empty:
            draw_gradient_panel(ax, ref, ctx, label=SELECTION_LABELS.get(reference, reference), color="0.55",
                                marker="o", linestyle="--", markersize=3.5, line_color="k")
        draw_gradient_panel(ax, hq, ctx, label=SELECTION_LABELS.get(selection, selection), color="0.3",
                            marker="x", markersize=7)
        ax.set_ylabel(LABELS["gradient"])
        ax.legend(loc="best", title="trend in " + LABELS["trend"], title_fontsize=8)
        n_hq, n_ref = int(hq["n_stars"].sum()), int(ref["n_stars"].sum()) if not ref.empty else 0
        ax.set_title(f"High-quality sample ({n_hq:,} stars in bins) against the thin disk ({n_ref:,})")
    return fig


def rpresent_figure(gradients: pd.DataFrame, ctx: FigureContext,
                    selections: Sequence[str] = ("thin_disk", "thick_disk")) -> Figure | None:
    """Gradients in guiding radius R_g (black circles) and in present radius R (orange squares).

    The paper prefers R_g; with R_present it finds a "U" shape (steepest at intermediate ages) for the thin
    disk, which it attributes to the selection function. Returns None when no selection has rows.
    """
    sels = [s for s in selections if not run_rows(gradients, ctx, s).empty]
    if not sels:
        return None
    panels = [(s, run_rows(gradients, ctx, s), run_rows(gradients, ctx, s, radius="rpresent")) for s in sels]
    return _paired_figure(panels, ctx, label_1=r"$R_\mathrm{g}$", label_2=r"$R_\mathrm{present}$",
                          color_2=COLORS[1], ylabel=LABELS["gradient_r"],
                          what="guiding against present radius")


def error_model_figure(gradients: pd.DataFrame, ctx: FigureContext,
                       selections: Sequence[str] = ("thin_disk", "thick_disk")) -> Figure | None:
    """Gradients with the scatter-aware error model (black) and the naive one (blue, sy = sigma_[Fe/H]).

    METHOD.md section 6: the naive model lets ODR read the intrinsic [Fe/H] scatter as R_g error, steepening
    the slopes most where the R_g spread is largest, which can fake a flattening with age. Returns None when
    no selection has rows of both models.
    """
    sels = [s for s in selections
            if not run_rows(gradients, ctx, s, error_model="scatter").empty
            and not run_rows(gradients, ctx, s, error_model="naive").empty]
    if not sels:
        return None
    panels = [(s, run_rows(gradients, ctx, s, error_model="scatter"),
               run_rows(gradients, ctx, s, error_model="naive")) for s in sels]
    return _paired_figure(panels, ctx, label_1="scatter-aware",
                          label_2=r"naive ($\sigma_y = \sigma_\mathrm{[Fe/H]}$)", color_2=COLORS[0],
                          ylabel=LABELS["gradient"], what="error models of the fit")


def cheb_figure(gradients: pd.DataFrame, ctx: FigureContext,
                selections: Sequence[str] = ("thin_disk", "thick_disk")) -> Figure | None:
    """Gradients with (black) and without (green) the stars classified core-helium burning.

    Red-clump and horizontal-branch stars have the least secure ages of the giants (a clump star fitted
    without the clump phase comes out 40 % too young). Returns None when the run's grid has no
    core-helium burning (no ``*_nocheb`` rows).
    """
    sels = [s for s in selections
            if not run_rows(gradients, ctx, s).empty and not run_rows(gradients, ctx, s + "_nocheb").empty]
    if not sels:
        return None
    panels = [(s, run_rows(gradients, ctx, s), run_rows(gradients, ctx, s + "_nocheb")) for s in sels]
    return _paired_figure(panels, ctx, label_1="all stars", label_2="without core-He-burning stars",
                          color_2=COLORS[2], ylabel=LABELS["gradient"],
                          what="with and without red-clump / HB stars")
