"""On a mock: the recovered gradient of each age bin against the gradient that was injected.

The mock's law (:mod:`mwdisk.mock.chemistry`) is ``g(age) = thin_gradient + thin_flattening (age - 1 Gyr)``
for the thin disk and ``g = thick_gradient`` for the thick disk, in dex/kpc against R_g. It is evaluated at
each bin's abscissa (the bin centre, or the members' median age with ``trend_age: median``); the law is linear
in age, so the mean injected gradient of a bin's members is the law at their mean true age, within a few
tenths of a Gyr of the centre (a few 1e-4 dex/kpc with the default flattening).

The injected law is what the population follows; a bin's members need not follow it. Stars enter a bin by
their estimated age, so a bin outside a population's ages (or straddling its edge) holds stars whose ages were
misestimated, selected by their errors, and through the age-metallicity relation their [Fe/H] can depend on
R_g in a way the law does not say. :func:`member_truth_slopes` gives the slope the members truly follow (their
true [Fe/H] on their true R_g, from the mock's ``true_*`` columns): recovered minus that is the pipeline's own
error, free of sampling and selection.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .context import FigureContext
from .gradient_panel import draw_gradient_panel, run_rows, trend_fit
from .theme import COLORS, LABELS, SELECTION_LABELS, new_figure, style

__all__ = ["INJECTED_KEYS", "POPULATIONS", "injected_gradient", "member_truth_slopes", "recovery_table",
           "mock_recovery_figure"]

logger = logging.getLogger(__name__)

#: Keys of the ``injected`` mapping (the ``mock:`` block of the configuration).
INJECTED_KEYS = ("thin_gradient", "thin_flattening", "thick_gradient")
#: Selection -> mock population whose law it should recover.
POPULATIONS = {"thin_disk": "thin", "thick_disk": "thick"}
_REF_AGE_GYR = 1.0


def _check(injected: Mapping[str, float]) -> None:
    missing = [k for k in INJECTED_KEYS if k not in injected]
    if missing:
        raise KeyError(f"injected law lacks {missing}; pass a mapping with {INJECTED_KEYS} (the mock: block)")


def injected_gradient(age_gyr: np.ndarray, population: str, injected: Mapping[str, float]) -> np.ndarray:
    """The injected gradient (dex/kpc) at ``age_gyr`` for ``population`` ``"thin"`` or ``"thick"``.

    Examples
    --------
    >>> law = {"thin_gradient": -0.075, "thin_flattening": 0.003, "thick_gradient": 0.02}
    >>> injected_gradient(np.array([1.0, 11.0]), "thin", law).round(4)
    array([-0.075, -0.045])
    """
    _check(injected)
    a = np.asarray(age_gyr, dtype=float)
    if population == "thin":
        return injected["thin_gradient"] + injected["thin_flattening"] * (a - _REF_AGE_GYR)
    if population == "thick":
        return np.full_like(a, float(injected["thick_gradient"]))
    raise ValueError(f"population = {population!r}; use 'thin' or 'thick'")


def member_truth_slopes(
    stars: pd.DataFrame, edges: np.ndarray, selections=tuple(POPULATIONS)
) -> pd.DataFrame:
    """Slope of the members' true [Fe/H] on their true R_g (least squares) in each age bin of each selection.

    Parameters
    ----------
    stars : pandas.DataFrame
        The selected stars with ``age_mode_gyr``, ``sel_<selection>`` and the mock's ``true_rg_kpc`` and
        ``true_feh`` (only stars the fit could use: finite radius and [Fe/H] with positive errors).
    edges : array of float
        Age-bin edges (Gyr), bins [lo, hi).

    Returns
    -------
    pandas.DataFrame
        Columns ``selection``, ``bin_lo_gyr``, ``members_true_slope_dex_per_kpc`` (NaN under 3 members).
    """
    age = stars["age_mode_gyr"].to_numpy(dtype=float)
    x, y = stars["true_rg_kpc"].to_numpy(dtype=float), stars["true_feh"].to_numpy(dtype=float)
    rows = []
    for sel in selections:
        col = f"sel_{sel}"
        if col not in stars:
            continue
        in_sel = stars[col].to_numpy(dtype=bool)
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            m = in_sel & (age >= lo) & (age < hi) & np.isfinite(x) & np.isfinite(y)
            slope = np.polyfit(x[m], y[m], 1)[0] if m.sum() >= 3 else np.nan
            rows.append({"selection": sel, "bin_lo_gyr": float(lo), "members_true_slope_dex_per_kpc": slope})
    return pd.DataFrame(rows, columns=["selection", "bin_lo_gyr", "members_true_slope_dex_per_kpc"])


def recovery_table(
    gradients: pd.DataFrame, ctx: FigureContext, injected: Mapping[str, float],
    truth_slopes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Recovered and injected gradient of each age bin of the thin and thick disk, for both error models.

    Parameters
    ----------
    truth_slopes : pandas.DataFrame, optional
        :func:`member_truth_slopes` of the run; adds ``members_true_slope_dex_per_kpc`` and
        ``minus_members_true_dex_per_kpc`` (recovered minus it).

    Returns
    -------
    pandas.DataFrame
        Columns ``selection``, ``error_model``, ``bin_lo_gyr``, ``bin_hi_gyr``, ``age_gyr`` (abscissa),
        ``n_stars``, ``injected_dex_per_kpc``, ``recovered_dex_per_kpc``, ``error_dex_per_kpc``,
        ``difference_dex_per_kpc``, ``pull`` (difference / error), ``in_trend``.
    """
    _check(injected)
    out = []
    for sel, pop in POPULATIONS.items():
        for model in (ctx.error_model, ctx.other_error_model):
            rows = run_rows(gradients, ctx, sel, error_model=model)
            if rows.empty:
                continue
            _, used = trend_fit(rows, ctx.min_stars, ctx.age_column)
            age = rows[ctx.age_column].to_numpy(dtype=float)
            inj = injected_gradient(age, pop, injected)
            rec = rows["slope_dex_per_kpc"].to_numpy(dtype=float)
            err = rows["slope_err_dex_per_kpc"].to_numpy(dtype=float)
            with np.errstate(invalid="ignore", divide="ignore"):
                pull = (rec - inj) / err
            out.append(pd.DataFrame({
                "selection": sel, "error_model": model,
                "bin_lo_gyr": rows["bin_lo_gyr"].to_numpy(dtype=float),
                "bin_hi_gyr": rows["bin_hi_gyr"].to_numpy(dtype=float),
                "age_gyr": age, "n_stars": rows["n_stars"].to_numpy(),
                "injected_dex_per_kpc": inj, "recovered_dex_per_kpc": rec, "error_dex_per_kpc": err,
                "difference_dex_per_kpc": rec - inj, "pull": pull, "in_trend": used,
            }))
    cols = ["selection", "error_model", "bin_lo_gyr", "bin_hi_gyr", "age_gyr", "n_stars",
            "injected_dex_per_kpc", "recovered_dex_per_kpc", "error_dex_per_kpc", "difference_dex_per_kpc",
            "pull", "in_trend"]
    tab = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)
    if truth_slopes is not None and len(tab):
        tab = tab.merge(truth_slopes, on=["selection", "bin_lo_gyr"], how="left")
        tab["minus_members_true_dex_per_kpc"] = (
            tab["recovered_dex_per_kpc"] - tab["members_true_slope_dex_per_kpc"]
        )
    return tab


def mock_recovery_figure(gradients: pd.DataFrame, ctx: FigureContext,
                         injected: Mapping[str, float]) -> Figure | None:
    """Recovered against injected gradients on a mock: one row per disk, three panels per row.

    Left: gradient against age for both error models with the injected law (grey band of width 0.002
    dex/kpc around it). Middle: recovered against injected gradient per bin with the 1:1 line. Right:
    recovered minus injected per bin, with the 1-sigma slope errors. Returns None without thin- or
    thick-disk rows.
    """
    tab = recovery_table(gradients, ctx, injected)
    sels = [s for s in POPULATIONS if (tab["selection"] == s).any()]
    if not sels:
        return None
    models = (ctx.error_model, ctx.other_error_model)
    colors = {ctx.error_model: "k", ctx.other_error_model: COLORS[0]}
    markers = {ctx.error_model: "o", ctx.other_error_model: "s"}
    with style():
        fig = new_figure(16.0, 4.6 * len(sels))
        axes = fig.subplots(len(sels), 3, squeeze=False)
        for i, sel in enumerate(sels):
            pop = POPULATIONS[sel]
            name = SELECTION_LABELS.get(sel, sel)
            ax = axes[i, 0]
            ages = np.linspace(0.5, 13.0, 50)
            law = injected_gradient(ages, pop, injected)
            ax.fill_between(ages, law - 0.002, law + 0.002, color="0.85", lw=0)
            if pop == "thin":
                lab = (f"injected: {injected['thin_gradient']:+.3f} "
                       f"{injected['thin_flattening']:+.4f} (age $-$ 1)")
            else:
                lab = f"injected: {injected['thick_gradient']:+.3f}"
            ax.plot(ages, law, color="0.4", lw=2.0, label=lab)
            for k, model in enumerate(models):
                rows = run_rows(gradients, ctx, sel, error_model=model)
                draw_gradient_panel(ax, rows, ctx, label=model, color=colors[model], marker=markers[model],
                                    x_offset_gyr=(-0.06, 0.06)[k], linestyle=("-", "--")[k])
            ax.set_ylabel(LABELS["gradient"])
            ax.legend(loc="best", fontsize=7, title="trend in " + LABELS["trend"], title_fontsize=7)
            ax.set_title(f"{name}: recovered and injected")
            ax2, ax3 = axes[i, 1], axes[i, 2]
            d = tab[tab["selection"] == sel]
            lo = np.nanmin(np.r_[d["injected_dex_per_kpc"], d["recovered_dex_per_kpc"]]) - 0.01
            hi = np.nanmax(np.r_[d["injected_dex_per_kpc"], d["recovered_dex_per_kpc"]]) + 0.01
            ax2.plot([lo, hi], [lo, hi], color="0.5", lw=1, ls=":", label="1:1")
            for k, model in enumerate(models):
                m = d[d["error_model"] == model]
                u = m["in_trend"].to_numpy(dtype=bool)
                open_label = f"{model} (not in trend)" if not u.any() else None
                for sub, mfc, lab in ((m[u], None, model), (m[~u], "white", open_label)):
                    if sub.empty:
                        continue
                    ax2.errorbar(sub["injected_dex_per_kpc"], sub["recovered_dex_per_kpc"],
                                 yerr=np.nan_to_num(sub["error_dex_per_kpc"]), fmt=markers[model],
                                 color=colors[model], mfc=mfc, ms=5, capsize=2, label=lab)
                    ax3.errorbar(sub["age_gyr"] + (-0.06, 0.06)[k], sub["difference_dex_per_kpc"],
                                 yerr=np.nan_to_num(sub["error_dex_per_kpc"]), fmt=markers[model],
                                 color=colors[model], mfc=mfc, ms=5, capsize=2, label=lab)
            ax2.set_xlabel("injected gradient (dex kpc$^{-1}$)")
            ax2.set_ylabel("recovered gradient (dex kpc$^{-1}$)")
            ax2.legend(loc="best", fontsize=7)
            ax2.set_title(f"{name}: per age bin")
            ax3.axhline(0.0, color="0.5", lw=1)
            ax3.set_xlabel(LABELS["age"])
            ax3.set_ylabel("recovered $-$ injected (dex kpc$^{-1}$)")
            ax3.legend(loc="best", fontsize=7)
            ax3.set_title(f"{name}: residuals (open: not in trend)")
        fig.suptitle("Mock: recovery of the injected metallicity gradients (R$_\\mathrm{g}$)")
    return fig
