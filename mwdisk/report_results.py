"""The result sections of ``OUT/report.html``: summary, cut cascade, trend and gradient tables, figures.

Each ``_<section>`` function returns the HTML body of the section of that ``id`` in
:data:`mwdisk.report.SECTIONS`, from the run's tables (:class:`mwdisk.figures.RunData`) or its figure index;
an absent table gives a note that says how to make it. The summary sets the run's headline numbers beside
the paper's (:data:`PAPER_VALUES`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mwdisk.figures import RunData, figure_index
from mwdisk.figures.common import SELECTION_LABELS, FigureContext
from mwdisk.report_html import _e, _img, _label, _plain, _table

__all__ = ["PAPER_VALUES"]

#: The paper's headline numbers (Vickers, Shen & Li 2021), for the summary.
PAPER_VALUES = {
    "thin_disk": {"youngest": -0.075, "trend": 0.003},
    "thick_disk": {"youngest": 0.02, "trend": 0.0},
}

_STEP_TEXT = {
    "ingested": "stars after the crossmatch and 5 arcsec de-duplication",
    "snr": "SNR &gt; 50 in each of LAMOST g, r, i",
    "age_err": "and fractional age error &lt; 25 % (the base sample of every selection)",
    "high_quality_all": "and age error &lt; 10 %, Teff &gt; 5750 K or (log g &lt; 4 and Teff &gt; 5250 K)",
}


def _default_rows(df: pd.DataFrame | None, ctx: FigureContext) -> pd.DataFrame | None:
    """Rows of the run's own variant (R_present rows carry potential ``none``)."""
    if df is None or df.empty:
        return df
    same_frame = np.isclose(df["R0_kpc"].astype(float), ctx.R0_kpc) & np.isclose(df["v0_kms"].astype(float),
                                                                                  ctx.v0_kms)
    pot_ok = (df["potential"] == ctx.potential) | (df["radius"] == "rpresent")
    return df[same_frame & pot_ok]


def _absent(name: str) -> str:
    return (f'<p class="note">{name} is absent: run the gradients stage (<code>mwdisk run</code>), or give '
            "the OUT folder of a finished run.</p>")


def _summary(run: RunData) -> str:
    ctx = run.ctx
    t = _default_rows(run.trends, ctx)
    parts = [f"<p>Run folder <code>{_e(run.out.resolve())}</code>; default variant: potential "
             f"<b>{_e(ctx.potential)}</b>, R<sub>0</sub> = {ctx.R0_kpc:g} kpc, v<sub>0</sub> = "
             f"{ctx.v0_kms:g} km/s; error model <b>{_e(ctx.error_model)}</b> (the other one is reported "
             f"beside it); age bins with at least {ctx.min_stars} stars enter the trends.</p>"]
    if t is None or t.empty:
        parts.append(_absent("trends.csv"))
        return "".join(parts)
    rows = []
    for sel in ("thin_disk", "thin_disk_nocheb", "thick_disk", "thick_disk_nocheb", "high_quality"):
        for model in (ctx.error_model, ctx.other_error_model):
            m = t[(t["selection"] == sel) & (t["radius"] == "rg") & (t["error_model"] == model)]
            if m.empty:
                continue
            r = m.iloc[0]
            paper = PAPER_VALUES.get(sel, {})
            rows.append({
                "selection": _plain(sel), "error model": model,
                "youngest-bin gradient (dex/kpc)": float(r["gradient_youngest_dex_per_kpc"]),
                "paper": paper.get("youngest", np.nan),
                "trend (dex/kpc/Gyr)": float(r["slope_dex_per_kpc_per_gyr"]),
                "trend error": float(r["slope_err_dex_per_kpc_per_gyr"]),
                "paper trend": paper.get("trend", np.nan),
            })
    parts.append(_table(pd.DataFrame(rows), "no thin- or thick-disk trend in trends.csv"))
    parts.append('<p class="muted">Paper: Vickers, Shen &amp; Li (2021): thin disk -0.075 dex/kpc for the '
                 "youngest stars, flattening by +0.003 dex/kpc/Gyr; thick disk about +0.02 dex/kpc at all "
                 "ages.</p>")
    return "".join(parts)


def _cuts(run: RunData) -> str:
    c = run.cuts
    if c is None or c.empty:
        return _absent("cuts.csv")
    steps = c[~c["step"].astype(str).str.startswith("selection:")].copy()
    first = float(steps["n_stars"].iloc[0]) if len(steps) else np.nan
    prev = steps["n_stars"].astype(float).shift(1)
    casc = pd.DataFrame({
        "step": steps["step"].astype(str),
        "stars": steps["n_stars"].astype(int),
        "of ingested (%)": 100.0 * steps["n_stars"].astype(float) / first,
        "of previous step (%)": 100.0 * steps["n_stars"].astype(float) / prev,
    })
    desc = "".join(f"<li><b>{_e(k)}</b>: {v}</li>" for k, v in _STEP_TEXT.items() if k in set(casc["step"]))
    sels = c[c["step"].astype(str).str.startswith("selection:")].copy()
    sel_tab = pd.DataFrame({
        "selection": sels["step"].astype(str).str.slice(len("selection:")),
        "stars": sels["n_stars"].astype(int),
    })
    if len(sel_tab):
        order = {n: k for k, n in enumerate(SELECTION_LABELS)}
        sel_tab = sel_tab.assign(_o=sel_tab["selection"].map(order).fillna(len(order)))
        sel_tab = sel_tab.sort_values("_o", kind="stable").drop(columns="_o")
        sel_tab["description"] = [_plain(s) for s in sel_tab["selection"]]
    return (_table(casc) + f"<ul class='muted'>{desc}</ul>"
            + "<h3>Selections (each within the base sample)</h3>" + _table(sel_tab, "no selection counts"))


def _trends(run: RunData) -> str:
    t = _default_rows(run.trends, run.ctx)
    if t is None or t.empty:
        return _absent("trends.csv")
    order = {n: k for k, n in enumerate(SELECTION_LABELS)}
    t = t.assign(
        _r=(t["radius"] != "rg").astype(int),
        _s=t["selection"].map(order).fillna(len(order)),
        _m=(t["error_model"] != run.ctx.error_model).astype(int),
    ).sort_values(["_r", "_s", "_m"], kind="stable").drop(columns=["_r", "_s", "_m"])
    return ("<p>Weighted line of gradient against bin age through the bins with enough stars (slope and its "
            "1&sigma; error, inflated by the reduced &chi;<sup>2</sup> when the bins scatter more than their "
            "error bars), and the gradient of the youngest such "
            "bin. radius <code>rg</code>: guiding radius; <code>rpresent</code>: present radius.</p>"
            + _table(t))


def _gradients(run: RunData) -> str:
    g = _default_rows(run.gradients, run.ctx)
    if g is None or g.empty:
        return _absent("gradients.csv")
    ctx = run.ctx
    cols = ["bin_lo_gyr", "bin_hi_gyr", "n_stars", "slope_dex_per_kpc", "slope_err_dex_per_kpc",
            "intercept_dex", "scatter_dex", "age_median_gyr", "age_err_lo_gyr", "age_err_hi_gyr"]
    parts = ["<p>Orthogonal-distance fits of [Fe/H] = a + b R<sub>g</sub> per age bin (b = "
             "<code>slope_dex_per_kpc</code>), error model <b>" + _e(ctx.error_model) + "</b>. "
             "<code>age_err_lo/hi_gyr</code> are the 16th/84th percentiles of the members' error-expanded "
             "ages (the x error bars).</p>"]
    for sel in ("thin_disk", "thick_disk"):
        m = g[(g["selection"] == sel) & (g["radius"] == "rg") & (g["error_model"] == ctx.error_model)]
        parts.append(f"<h3>{_label(sel)}</h3>" + _table(m[cols].sort_values("bin_lo_gyr")))
    full = run.gradients
    parts.append(f"<details><summary>All {len(full):,} rows of gradients.csv (every selection, radius, error "
                 f"model and variant)</summary>{_table(full)}</details>")
    return "".join(parts)


def _figures(out: Path) -> str:
    entries = figure_index(out)
    if not entries:
        return '<p class="note">No figure index: run <code>mwdisk figures OUT</code>.</p>'
    parts = []
    for e in entries:
        title = e.get("title", e.get("name", "?"))
        anchor = f'id="fig-{_e(e.get("name", ""))}"'
        png = out / "figures" / f"{e['name']}.png"
        if e.get("skipped") or not png.is_file():
            reason = e.get("skipped") or f"{png.name} is missing: redraw with mwdisk figures OUT"
            parts.append(f'<div class="skip" {anchor}><b>{title}</b>: not drawn. {_e(reason)}</div>')
            continue
        pdf = f"figures/{e['name']}.pdf"
        parts.append(f"<figure {anchor}><h3>{title}</h3>{_img(png, e['name'])}"
                     f"<figcaption>{e.get('caption', '')} "
                     f'<a href="{_e(pdf)}">PDF</a></figcaption></figure>')
    return "".join(parts)
