"""Shared style, labels and helpers of the figures, in one import for code outside the figure modules.

The names live in modules of one concept each and are re-exported here unchanged:

- :mod:`.theme`: axis labels with units, names, colours and rcParams (:func:`style`), the Agg canvas
  (:func:`new_figure`) and the PNG/PDF files (:func:`save_figure`);
- :mod:`.context`: :class:`FigureContext` (what a figure knows about the run) and the axis ranges;
- :mod:`.gradient_panel`: the rows of ``OUT/gradients.csv`` (:func:`gradient_rows`, :func:`run_rows`), the
  trend line (:func:`trend_fit`) and the gradient-against-age panel (:func:`draw_gradient_panel`) shared by
  every figure family;
- :mod:`.star_panels`: per-star panels (chemistry and orbit density, the division lines) and
  :func:`subsample`.
"""

from __future__ import annotations

from .context import FigureContext, axis_limits, zmax_limits
from .gradient_panel import draw_gradient_panel, gradient_rows, run_rows, trend_fit
from .star_panels import draw_chemistry_density, draw_division_lines, draw_orbit_density, subsample
from .theme import COLORS, LABELS, POTENTIAL_LABELS, SELECTION_LABELS, STYLE, new_figure, save_figure, style

__all__ = [
    # .theme
    "LABELS", "POTENTIAL_LABELS", "SELECTION_LABELS", "COLORS", "STYLE", "style", "new_figure", "save_figure",
    # .context
    "FigureContext", "axis_limits", "zmax_limits",
    # .gradient_panel
    "gradient_rows", "run_rows", "trend_fit", "draw_gradient_panel",
    # .star_panels
    "subsample", "draw_division_lines", "draw_chemistry_density", "draw_orbit_density",
]
