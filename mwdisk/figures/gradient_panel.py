"""Rows of ``OUT/gradients.csv`` and the gradient-against-age panel, shared by every figure family.

:func:`gradient_rows` picks the rows of one variant (:func:`run_rows`: of the run's own variant),
:func:`trend_fit` refits the trend line through the bins that count, and :func:`draw_gradient_panel` draws
the gradients of one set of rows against age with both error bars and that line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mwdisk.odr import weighted_line

from .context import FigureContext
from .theme import LABELS

__all__ = ["gradient_rows", "run_rows", "trend_fit", "draw_gradient_panel"]


def gradient_rows(
    gradients: pd.DataFrame,
    selection: str,
    *,
    potential: str,
    R0_kpc: float,
    v0_kms: float,
    radius: str = "rg",
    error_model: str = "scatter",
) -> pd.DataFrame:
    """Rows of ``gradients.csv`` of one (selection, potential, R0, v0, radius, error model), by bin.

    For ``radius="rpresent"`` the potential is ignored (those rows carry ``"none"``).
    """
    g = gradients
    m = (g["selection"] == selection) & (g["radius"] == radius) & (g["error_model"] == error_model)
    m &= np.isclose(g["R0_kpc"].astype(float), R0_kpc) & np.isclose(g["v0_kms"].astype(float), v0_kms)
    if radius == "rg":
        m &= g["potential"] == potential
    return g[m].sort_values("bin_lo_gyr").reset_index(drop=True)


def run_rows(
    gradients: pd.DataFrame,
    ctx: FigureContext,
    selection: str,
    *,
    radius: str = "rg",
    error_model: str | None = None,
) -> pd.DataFrame:
    """Rows of ``gradients.csv`` of ``selection`` in the run's own variant (potential, R0, v0 of ``ctx``).

    :func:`gradient_rows` with the variant of ``ctx``; ``error_model`` defaults to ``ctx.error_model``.
    """
    return gradient_rows(gradients, selection, potential=ctx.potential, R0_kpc=ctx.R0_kpc, v0_kms=ctx.v0_kms,
                         radius=radius, error_model=error_model or ctx.error_model)


def _used(rows: pd.DataFrame, min_stars: int, age_col: str) -> np.ndarray:
    s = rows["slope_dex_per_kpc"].to_numpy(dtype=float)
    e = rows["slope_err_dex_per_kpc"].to_numpy(dtype=float)
    a = rows[age_col].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return (rows["n_stars"].to_numpy() >= min_stars) & np.isfinite(s) & np.isfinite(e) & (e > 0) \
            & np.isfinite(a)


def trend_fit(rows: pd.DataFrame, min_stars: int = 50, age_col: str = "age_mid_gyr"):
    """The weighted trend line through the bins of ``rows`` that count (as in
    :func:`mwdisk.gradients.trend_table`).

    ``trends.csv`` has the trend's slope but not its intercept, so the line is refitted here to be drawn.

    Returns
    -------
    (LineFit or None, bool array)
        The fit (None with fewer than 2 usable bins) and the mask of the bins used.
    """
    used = _used(rows, min_stars, age_col)
    if used.sum() < 2:
        return None, used
    fit = weighted_line(
        rows[age_col].to_numpy(dtype=float)[used],
        rows["slope_dex_per_kpc"].to_numpy(dtype=float)[used],
        rows["slope_err_dex_per_kpc"].to_numpy(dtype=float)[used],
    )
    return fit, used


def draw_gradient_panel(
    ax,
    rows: pd.DataFrame,
    ctx: FigureContext,
    *,
    label: str | None = None,
    color: str = "k",
    marker: str = "o",
    x_offset_gyr: float = 0.0,
    trend: bool = True,
    linestyle: str = "-",
    annotate: bool = True,
    markersize: float = 5.0,
    line_color: str | None = None,
) -> float:
    """Gradient against age for one set of rows: both error bars, open markers for bins outside the trend.

    The y error bar is the 1-sigma slope error; the x error bar spans the 16th to 84th percentiles of the
    bin members' error-expanded ages (``age_err_lo_gyr`` to ``age_err_hi_gyr``). The trend line (weighted
    fit over the bins with at least ``ctx.min_stars`` members) is drawn over the age range of those bins.

    Returns
    -------
    float
        The trend slope in dex/kpc/Gyr (NaN when there is no trend).
    """
    if rows.empty:
        return np.nan
    x = rows[ctx.age_column].to_numpy(dtype=float)
    y = rows["slope_dex_per_kpc"].to_numpy(dtype=float)
    ye = rows["slope_err_dex_per_kpc"].to_numpy(dtype=float)
    xlo = np.clip(x - rows["age_err_lo_gyr"].to_numpy(dtype=float), 0.0, None)
    xhi = np.clip(rows["age_err_hi_gyr"].to_numpy(dtype=float) - x, 0.0, None)
    fit, used = trend_fit(rows, ctx.min_stars, ctx.age_column)
    ok = np.isfinite(y) & np.isfinite(x)
    xs = x + x_offset_gyr
    full = used & ok
    part = ~used & ok
    slope = np.nan
    text = label
    if trend and fit is not None:
        slope = fit.slope
        xx = np.array([x[used].min(), x[used].max()])
        ax.plot(xx + x_offset_gyr, fit.intercept + fit.slope * xx, color=line_color or color, ls=linestyle,
                lw=1.3, zorder=2)
        if annotate:
            err = "" if not np.isfinite(fit.slope_err) else f" $\\pm$ {fit.slope_err:.4f}"
            text = f"{label + ': ' if label else ''}trend {fit.slope:+.4f}{err}"
    if full.any():
        ax.errorbar(xs[full], y[full], yerr=np.nan_to_num(ye[full]), xerr=[np.nan_to_num(xlo[full]),
                    np.nan_to_num(xhi[full])], fmt=marker, color=color, ms=markersize, capsize=2,
                    elinewidth=0.9, label=text, zorder=3)
        text = None
    if part.any():
        ax.errorbar(xs[part], y[part], yerr=np.nan_to_num(ye[part]), fmt=marker, color=color, ms=markersize,
                    mfc="white", capsize=0, elinewidth=0.6, alpha=0.7, label=text, zorder=3)
    ax.axhline(0.0, color="0.6", lw=0.6, zorder=1)
    ax.set_xlabel(LABELS["age"])
    return slope
