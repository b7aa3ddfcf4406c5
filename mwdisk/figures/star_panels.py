"""Panels of per-star data: chemistry and orbit densities, the Fig. 5 division lines, and subsampling.

:func:`draw_chemistry_density` draws [a/Fe] against [Fe/H] and :func:`draw_orbit_density` Z_max against R_g,
both as 2D histograms on a log colour scale; :func:`subsample` keeps scatter plots of large samples light and
reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mwdisk.selections import chem_line

from .theme import COLORS, LABELS

__all__ = ["subsample", "draw_division_lines", "draw_chemistry_density", "draw_orbit_density"]


def subsample(df: pd.DataFrame, n_max: int, seed: int = 0) -> pd.DataFrame:
    """At most ``n_max`` rows of ``df`` (a fixed random subset, so figures are reproducible)."""
    if len(df) <= n_max:
        return df
    idx = np.random.default_rng(seed).choice(len(df), n_max, replace=False)
    return df.iloc[np.sort(idx)]


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
