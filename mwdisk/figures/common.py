"""Shared style, labels and helpers of the figures: one look for every figure, units on every axis.

Figures are built on :class:`matplotlib.figure.Figure` with an explicit Agg canvas, never through pyplot, so
drawing them opens no window and touches no global figure state (safe on a headless node or inside a
worker). Every figure is saved as PNG (for the report and a quick look) and PDF (for a paper) by
:func:`save_figure`.

The helpers that pick rows of ``OUT/gradients.csv`` (:func:`gradient_rows`) and draw a gradient-against-age
panel (:func:`draw_gradient_panel`) are shared by every figure family.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mwdisk.odr import weighted_line
from mwdisk.selections import DEFAULT_SELECTION_PARAMS, chem_line, resolve_params

__all__ = [
    "LABELS",
    "POTENTIAL_LABELS",
    "SELECTION_LABELS",
    "COLORS",
    "STYLE",
    "FigureContext",
    "style",
    "new_figure",
    "save_figure",
    "gradient_rows",
    "trend_fit",
    "draw_gradient_panel",
    "draw_chemistry_density",
    "draw_orbit_density",
    "draw_division_lines",
    "subsample",
    "axis_limits",
    "zmax_limits",
]

logger = logging.getLogger(__name__)

#: Axis labels with units (mathtext; no LaTeX install needed).
LABELS: dict[str, str] = {
    "feh": r"[Fe/H] (dex)",
    "afe": r"[$\alpha$/Fe] (dex)",
    "rg": r"guiding radius $R_\mathrm{g}$ (kpc)",
    "rpresent": r"present radius $R$ (kpc)",
    "zmax": r"$Z_\mathrm{max}$ (kpc)",
    "age": r"age (Gyr)",
    "gradient": r"d[Fe/H]/d$R_\mathrm{g}$ (dex kpc$^{-1}$)",
    "gradient_r": r"d[Fe/H]/d$R$ (dex kpc$^{-1}$)",
    "trend": r"dex kpc$^{-1}$ Gyr$^{-1}$",
}

#: Names of the potentials as the literature writes them.
POTENTIAL_LABELS: dict[str, str] = {
    "mw14": "MWPotential2014",
    "mcm17": "McMillan17",
    "irr13": "Irrgang13 I",
    "none": "no potential",
}

#: Readable names of the selections of :mod:`mwdisk.selections`.
SELECTION_LABELS: dict[str, str] = {
    "thin_disk": "thin disk",
    "thick_disk": "thick disk",
    "zmax_1": r"$Z_\mathrm{max}$ slice 1 (cold)",
    "zmax_2": r"$Z_\mathrm{max}$ slice 2",
    "zmax_3": r"$Z_\mathrm{max}$ slice 3",
    "zmax_4": r"$Z_\mathrm{max}$ slice 4 (hot)",
    "chem_1": r"chemical group 1 (low $\alpha$)",
    "chem_2": "chemical group 2",
    "chem_3": "chemical group 3",
    "chem_4": r"chemical group 4 (high $\alpha$)",
    "high_quality": "high-quality thin disk",
    "thin_disk_noedge": "thin disk, no grid-edge ages",
}

#: Okabe-Ito colours (distinguishable with every common colour-vision deficiency).
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")

#: rcParams of every figure (applied with :func:`style`).
STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "axes.grid": False,
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "pdf.fonttype": 42,  # TrueType in the PDF: editable text
    "image.cmap": "viridis",
}


@dataclass
class FigureContext:
    """What a figure needs to know about the run besides its tables.

    Attributes
    ----------
    potential, R0_kpc, v0_kms : str, float, float
        The run's default variant (rows of the tables for every figure but the sweep comparisons).
    error_model : str
        The configured default error model (``"scatter"`` or ``"naive"``).
    min_stars : int
        Smallest bin used in a trend (bins below it are drawn open).
    trend_age : str
        Trend abscissa, ``"mid"`` (``age_mid_gyr``) or ``"median"`` (``age_median_gyr``).
    selection_params : dict
        Resolved :data:`mwdisk.selections.DEFAULT_SELECTION_PARAMS` (division lines, Z_max edges).
    """

    potential: str = "mw14"
    R0_kpc: float = 8.27
    v0_kms: float = 236.0
    error_model: str = "scatter"
    min_stars: int = 50
    trend_age: str = "mid"
    selection_params: dict = field(default_factory=lambda: resolve_params(DEFAULT_SELECTION_PARAMS))
    limits: dict = field(default_factory=dict)

    def limit(self, name: str, values: np.ndarray | None = None, **kwargs) -> tuple[float, float]:
        """Axis range of quantity ``name`` (``feh``, ``afe``, ``rg``, ``zmax``): shared by all figures when
        set in ``limits``, else from ``values`` (:func:`axis_limits` or :func:`zmax_limits`)."""
        if name in self.limits:
            return self.limits[name]
        if name == "zmax":
            return zmax_limits(values if values is not None else np.array([]))
        return axis_limits(values if values is not None else np.array([]), **kwargs)

    @property
    def age_column(self) -> str:
        """Column of ``gradients.csv`` used as the abscissa of gradient-against-age plots."""
        return "age_median_gyr" if self.trend_age == "median" else "age_mid_gyr"

    @property
    def other_error_model(self) -> str:
        return "naive" if self.error_model == "scatter" else "scatter"


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context in which figures get the package style (:data:`STYLE`)."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on an Agg canvas (never a GUI window), with constrained layout."""
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, folder: Path, name: str, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Save ``fig`` as ``folder/name.<fmt>`` for each format (via a temporary file and a rename).

    Returns
    -------
    list of Path
        The written files, in the order of ``formats``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        path = folder / f"{name}.{fmt}"
        tmp = folder / f".{name}.tmp.{fmt}"
        with style():
            fig.savefig(tmp, format=fmt)
        tmp.replace(path)
        out.append(path)
    return out


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


def subsample(df: pd.DataFrame, n_max: int, seed: int = 0) -> pd.DataFrame:
    """At most ``n_max`` rows of ``df`` (a fixed random subset, so figures are reproducible)."""
    if len(df) <= n_max:
        return df
    idx = np.random.default_rng(seed).choice(len(df), n_max, replace=False)
    return df.iloc[np.sort(idx)]


def axis_limits(values: np.ndarray, lo_q: float = 0.5, hi_q: float = 99.5, pad: float = 0.05,
                default: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float]:
    """Percentile range of the finite ``values`` padded by ``pad`` of its width (``default`` when empty)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return default
    lo, hi = np.percentile(v, [lo_q, hi_q])
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    w = hi - lo
    return float(lo - pad * w), float(hi + pad * w)


def zmax_limits(values: np.ndarray) -> tuple[float, float]:
    """Log-axis range of Z_max covering the data and the thin/thick-disk edges 0.25 and 2 kpc."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    lo, hi = (0.01, 5.0) if v.size == 0 else (float(np.percentile(v, 0.5)), float(np.percentile(v, 99.8)))
    return max(min(lo * 0.8, 0.05), 1e-3), max(hi * 1.25, 3.0)


def draw_division_lines(ax, params: dict, feh_range: tuple[float, float], *, labels: bool = True) -> None:
    """The Fig. 5 division line (dashed) through its knots and its copies shifted by -+``chem_shift``."""
    x = np.linspace(feh_range[0], feh_range[1], 200)
    line = chem_line(x, params["chem_line_feh"], params["chem_line_afe"])
    s = float(params["chem_shift"])
    ax.plot(x, line, color="k", ls="--", lw=1.4, label="division line" if labels else None, zorder=4)
    ax.plot(x, line + s, color="k", ls=":", lw=1.1, label=f"shifted by $\\pm${s:g}" if labels else None,
            zorder=4)
    ax.plot(x, line - s, color="k", ls=":", lw=1.1, zorder=4)


def _hist2d(x, y, xr, yr, bins):
    ok = np.isfinite(x) & np.isfinite(y)
    h, xe, ye = np.histogram2d(x[ok], y[ok], bins=bins, range=[xr, yr])
    return h, xe, ye


def draw_chemistry_density(ax, feh: np.ndarray, afe: np.ndarray, feh_range, afe_range, *, bins: int = 60,
                           contours: Sequence[float] = (), cmap: str = "Greys", min_points: int = 1):
    """2D histogram of [a/Fe] against [Fe/H] (log colour) with optional contours at fractions of its peak.

    Returns the image (None when no star falls in the range).
    """
    feh = np.asarray(feh, dtype=float)
    afe = np.asarray(afe, dtype=float)
    h, xe, ye = _hist2d(feh, afe, feh_range, afe_range, bins)
    ax.set_xlim(feh_range)
    ax.set_ylim(afe_range)
    ax.set_xlabel(LABELS["feh"])
    ax.set_ylabel(LABELS["afe"])
    if h.sum() < min_points:
        ax.text(0.5, 0.5, "no stars", transform=ax.transAxes, ha="center", va="center", color="0.4")
        return None
    from matplotlib.colors import LogNorm

    hm = np.ma.masked_less(h.T, 1)
    im = ax.pcolormesh(xe, ye, hm, cmap=cmap, norm=LogNorm(vmin=1, vmax=max(2.0, h.max())), rasterized=True)
    if contours and h.max() > 0:
        from scipy.ndimage import gaussian_filter

        hs = gaussian_filter(h.T, 1.0)
        levels = sorted(float(c) * hs.max() for c in contours)
        if np.all(np.diff(levels) > 0):
            xc = 0.5 * (xe[1:] + xe[:-1])
            yc = 0.5 * (ye[1:] + ye[:-1])
            ax.contour(xc, yc, hs, levels=levels, colors=COLORS[0], linewidths=0.9)
    return im


def draw_orbit_density(ax, rg: np.ndarray, zmax: np.ndarray, rg_range, zmax_range, *, bins: int = 50,
                       edges_kpc: Sequence[float] = (), cmap: str = "Greys"):
    """2D histogram of Z_max (log axis) against R_g, with horizontal lines at the given Z_max edges."""
    rg = np.asarray(rg, dtype=float)
    z = np.asarray(zmax, dtype=float)
    zlo, zhi = zmax_range
    ybins = np.geomspace(zlo, zhi, bins + 1)
    xbins = np.linspace(rg_range[0], rg_range[1], bins + 1)
    ok = np.isfinite(rg) & np.isfinite(z) & (z > 0)
    h, xe, ye = np.histogram2d(rg[ok], z[ok], bins=[xbins, ybins])
    ax.set_yscale("log")
    ax.set_xlim(rg_range)
    ax.set_ylim(zmax_range)
    ax.set_xlabel(LABELS["rg"])
    ax.set_ylabel(LABELS["zmax"])
    for e in edges_kpc:
        if np.isfinite(e) and zlo < e < zhi:
            ax.axhline(e, color=COLORS[1], lw=0.8, ls="--")
    if h.sum() == 0:
        ax.text(0.5, 0.5, "no stars", transform=ax.transAxes, ha="center", va="center", color="0.4")
        return None
    from matplotlib.colors import LogNorm

    return ax.pcolormesh(xe, ye, np.ma.masked_less(h.T, 1), cmap=cmap,
                         norm=LogNorm(vmin=1, vmax=max(2.0, h.max())), rasterized=True)
