"""Validation figures (matplotlib, Agg canvas; no pyplot, no windows): Fig. 4, orbit and Fig. 1 analogues."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["plot_seismic_ages", "plot_orbit_comparison", "plot_clusters", "save_figure"]

logger = logging.getLogger(__name__)

_STATE_COLOURS = {"RGB": "tab:red", "RC": "tab:blue"}


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Write ``fig`` with the Agg canvas (PNG by the suffix)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=dpi)
    return path


def plot_seismic_ages(ours: pd.DataFrame, ref_gyr, table: pd.DataFrame, title: str = "") -> Figure:
    """Fig. 4 analogue: our median ages (68 % intervals) against asteroseismic ages, one panel per state.

    Parameters
    ----------
    ours : DataFrame
        ``evstate, age_median_gyr, age_lo_gyr, age_hi_gyr``.
    ref_gyr : array_like
        Asteroseismic ages, aligned with ``ours``.
    table : DataFrame
        :func:`~mwdisk.validation.stats.age_comparison_table` output (numbers written in the panels).
    """
    ref = np.asarray(ref_gyr, float)
    states = [s for s in ("RGB", "RC") if (ours["evstate"] == s).any()]
    fig = Figure(figsize=(5.0 * max(len(states), 1), 4.8), layout="constrained")
    axes = fig.subplots(1, max(len(states), 1), squeeze=False)[0]
    for ax, s in zip(axes, states, strict=False):
        m = (ours["evstate"] == s).to_numpy()
        y = ours["age_median_gyr"].to_numpy(float)[m]
        lo = ours["age_lo_gyr"].to_numpy(float)[m]
        hi = ours["age_hi_gyr"].to_numpy(float)[m]
        ax.errorbar(ref[m], y, yerr=[np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)], fmt="none",
                    ecolor="0.8", elinewidth=0.5, zorder=1)
        ax.scatter(ref[m], y, s=5, c=_STATE_COLOURS.get(s, "k"), zorder=2, lw=0)
        ax.plot([0, 15], [0, 15], "k--", lw=1)
        ax.set_xlim(0, 15)
        ax.set_ylim(0, 15)
        ax.set_xlabel("asteroseismic age (Miglio+2021) [Gyr]")
        ax.set_ylabel("our isochrone age (median of G) [Gyr]")
        row = table[table["group"] == s]
        if len(row):
            r = row.iloc[0]
            ax.text(0.03, 0.97, f"{s}: n = {int(r['n_age'])}\noffset {r['median_offset_gyr']:+.2f} Gyr\n"
                                f"robust scatter {r['robust_scatter_gyr']:.2f} Gyr\n"
                                f"68 % coverage {100 * r['coverage_68']:.0f} %",
                    transform=ax.transAxes, va="top", fontsize=9)
        ax.set_title(f"{title} {s}".strip())
    return fig


def plot_orbit_comparison(merged: dict[str, pd.DataFrame], quantities=("zmax_kpc", "rperi_kpc",
                                                                       "rapo_kpc")) -> Figure:
    """Ours against Miglio's Z_max, R_peri, R_apo; one colour per variant (``label -> frame`` with columns
    ``<q>`` and ``<q>_miglio``)."""
    fig = Figure(figsize=(4.5 * len(quantities), 4.3), layout="constrained")
    axes = fig.subplots(1, len(quantities), squeeze=False)[0]
    colours = ["tab:orange", "tab:green", "tab:purple", "tab:brown"]
    for ax, q in zip(axes, quantities, strict=True):
        allv = []
        for (label, df), col in zip(merged.items(), colours, strict=False):
            mq = q.replace("_kpc", "_kpc_miglio")
            ax.scatter(df[mq], df[q], s=4, lw=0, c=col, label=f"{label} (n={len(df)})")
            allv.append(np.concatenate([df[mq].to_numpy(float), df[q].to_numpy(float)]))
        v = np.concatenate(allv) if allv else np.array([0.0, 1.0])
        lo, hi = np.nanpercentile(v, [0.5, 99.5])
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel(f"Miglio+2021 {q.replace('_kpc', '')} [kpc]")
        ax.set_ylabel(f"ours {q.replace('_kpc', '')} [kpc]")
    axes[0].legend(fontsize=7, loc="upper left", markerscale=3)
    return fig


def plot_clusters(table: pd.DataFrame, members: pd.DataFrame, ages: pd.DataFrame) -> Figure:
    """Fig. 1 analogue: our age minus the Dias (2021) age against cluster [Fe/H]; circle area ~ members, bars
    the members' robust spread; members' individual offsets as small dots."""
    fig = Figure(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.subplots()
    m = members.merge(ages[["kic", "age_median_gyr"]], on="kic", how="left").merge(
        table[["cluster", "age_dias_gyr", "feh_dias"]], on="cluster")
    ax.scatter(m["feh_dias"], m["age_median_gyr"] - m["age_dias_gyr"], s=8, c="0.5", lw=0, zorder=1)
    ax.errorbar(table["feh_dias"], table["offset_ours_dias_gyr"], yerr=table["age_ours_spread_gyr"],
                fmt="none",
                ecolor="k", zorder=2)
    ax.scatter(table["feh_dias"], table["offset_ours_dias_gyr"], s=40 * table["n_with_age"], facecolor="none",
               edgecolor="tab:blue", zorder=3)
    for _, r in table.iterrows():
        ax.annotate(f"{r['cluster']} (n={int(r['n_with_age'])})", (r["feh_dias"], r["offset_ours_dias_gyr"]),
                    textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.axhline(0.0, color="k", lw=0.8, ls="--")
    ax.axhline(0.66, color="tab:red", lw=0.8, ls=":", label="paper's mean offset (+0.66 Gyr)")
    ax.set_xlabel("[Fe/H] (Dias+2021)")
    ax.set_ylabel("our age - Dias+2021 age [Gyr]")
    ax.legend(fontsize=8)
    return fig
