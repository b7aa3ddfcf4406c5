"""``OUT/report.html``: one self-contained page with a run's results, figures and provenance.

The page has no external resource: figures are embedded as base64 PNG ``data:`` URIs, tables are HTML, the
style sheet is inline and there is no script, so the file can be mailed, archived or opened offline. The
PDF versions of the figures stay in ``OUT/figures/`` (linked relatively, for when the folder is at hand).

Sections (their ``id`` attributes are :data:`SECTIONS`): a summary of the headline numbers beside the paper's,
the cut cascade, the trend table, the gradient tables, every figure (or the reason it is absent), the sweep
comparison (or how to make it: ``mwdisk sweep``), the mock check when the run is on the built-in mock, and
the provenance (configuration, versions, inputs, timings).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from mwdisk.figures import FIGURES, RunData, figure_index, make_figures
from mwdisk.figures.common import SELECTION_LABELS, FigureContext
from mwdisk.figures.mock import recovery_table
from mwdisk.figures.systematics import HOW_TO_SWEEP, sweep_table, sweep_variants_present
from mwdisk.layout import atomic_write_text

__all__ = ["SECTIONS", "PAPER_VALUES", "write_report", "render_report"]

logger = logging.getLogger(__name__)

#: ``id`` and heading of every section, in page order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("cuts", "Cut cascade"),
    ("trends", "Trends of the gradient with age"),
    ("gradients", "Gradients per age bin"),
    ("figures", "Figures"),
    ("sweep", "Systematics sweep: potentials and solar parameters"),
    ("mock", "Mock check: injected against recovered"),
    ("validation", "Validation on real stars (paper Figs. 1, 3, 4)"),
    ("provenance", "Provenance"),
)

#: Tables of OUT/validation shown in the report, when `mwdisk validate` has written them.
VALIDATION_TABLES = (
    ("fig4_stats.csv", "Fig. 4: our ages against asteroseismic ages (APOKASC-3 x Miglio+2021)"),
    ("orbit_stats.csv", "Orbits against Miglio+2021's published Z_max, R_peri, R_apo"),
    ("fig1_clusters.csv", "Fig. 1: Kepler-field open clusters against Dias+2021 ages"),
)

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

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#1a1a1a;background:#fff}
main{max-width:1250px;margin:0 auto;padding:1em 2em 4em}
header{background:#12355b;color:#fff;padding:1.2em 2em}
header h1{margin:0 0 .2em;font-size:1.6em} header p{margin:.1em 0;opacity:.9}
nav{background:#eef2f7;padding:.5em 2em;position:sticky;top:0;border-bottom:1px solid #ccd}
nav a{margin-right:1.2em;color:#12355b;text-decoration:none;font-weight:600}
h2{border-bottom:2px solid #12355b;padding-bottom:.2em;margin-top:2em}
h3{margin-bottom:.3em}
table.tbl{border-collapse:collapse;font-size:.86em;margin:.5em 0 1em}
table.tbl th,table.tbl td{border:1px solid #ccd;padding:.25em .6em;text-align:right}
table.tbl th{background:#eef2f7} table.tbl tr:nth-child(even) td{background:#f8f9fb}
figure{margin:1.5em 0 2.5em} figure img{max-width:100%;border:1px solid #dde}
figcaption{font-size:.92em;color:#333;max-width:1100px;margin-top:.4em}
.note{background:#fff8e1;border-left:4px solid #e6a700;padding:.6em 1em;margin:1em 0}
.skip{background:#f4f4f4;border-left:4px solid #999;padding:.6em 1em;margin:1em 0}
pre{background:#f6f8fa;border:1px solid #dde;padding:1em;font-size:.8em;overflow:auto;max-height:40em}
details summary{cursor:pointer;font-weight:600;margin:.5em 0}
.muted{color:#666;font-size:.9em}
"""


def _e(x) -> str:
    return html.escape(str(x))


def _plain(selection: str) -> str:
    """Plain-text name of a selection (the figure labels use mathtext); escaped by the tables."""
    text = SELECTION_LABELS.get(selection, selection)
    return text.replace(r"$Z_\mathrm{max}$", "Z_max").replace(r"$\alpha$", "\u03b1")


def _label(selection: str) -> str:
    """HTML name of a selection, for headings."""
    return _e(_plain(selection)).replace("Z_max", "Z<sub>max</sub>")


def _table(df: pd.DataFrame | None, empty: str = "no rows") -> str:
    if df is None or df.empty:
        return f'<p class="muted">{_e(empty)}</p>'

    def fmt(v):
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else "no"
        if isinstance(v, (int, np.integer)):
            return f"{int(v):,}"
        if isinstance(v, (float, np.floating)):
            return "&ndash;" if not np.isfinite(v) else f"{v:.4g}"
        return _e(v)

    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{fmt(v)}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False, name=None))
    return f'<table class="tbl"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


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
    for sel in ("thin_disk", "thick_disk", "high_quality"):
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


def _sweep(run: RunData) -> str:
    present = sweep_variants_present(run.gradients, run.ctx)
    if not any(present.values()):
        return f'<p class="note">{_e(HOW_TO_SWEEP)}</p>'
    tab = sweep_table(run.trends, run.ctx)
    msg = (f"<p>Variants present: other potentials {_e(present['potentials'] or 'none')}, R<sub>0</sub> "
           f"{_e(present['R0_kpc'] or 'none')} kpc, v<sub>0</sub> {_e(present['v0_kms'] or 'none')} km/s. "
           "Thin-disk trend (R<sub>g</sub>, default error model) in each variant; <code>d_*</code> are the "
           "differences from the run's own values. Figs. 11 and 12 above draw the per-bin gradients.</p>")
    return msg + _table(tab, "trends.csv has no thin-disk rows")


def _mock(run: RunData, injected: Mapping[str, float] | None) -> str:
    if injected is None:
        return "<p class='muted'>Not a run on the built-in mock: no injected law to compare with.</p>"
    if run.gradients is None or run.gradients.empty:
        return '<p class="note">gradients.csv is absent: nothing to compare.</p>'
    tab = recovery_table(run.gradients, run.ctx, injected)
    law = (f"<p>Injected law: thin disk g(age) = {injected['thin_gradient']:+.4f} "
           f"{injected['thin_flattening']:+.4f} (age - 1 Gyr) dex/kpc; thick disk "
           f"{injected['thick_gradient']:+.4f} dex/kpc. <code>pull</code> = (recovered - injected) / slope "
           "error.</p>")
    rows = []
    for (sel, model), d in tab.groupby(["selection", "error_model"], sort=False):
        u = d[d["in_trend"].astype(bool)]
        has = len(u) > 0
        rows.append({"selection": sel, "error model": model, "bins in trend": len(u),
                     "mean difference (dex/kpc)":
                         float(u["difference_dex_per_kpc"].mean()) if has else np.nan,
                     "chi2 / bins": float((u["pull"] ** 2).mean()) if has else np.nan})
    return (law + _table(pd.DataFrame(rows)) + "<details><summary>Per-bin values</summary>"
            + _table(tab) + "</details>")


def _validation(out: Path) -> str:
    vdir = out / "validation"
    if not (vdir / "summary.json").is_file():
        return ("<p class='note'>Not run for this folder. <code>mwdisk validate --data PATH --out OUT</code> "
                "compares the ages with asteroseismic ages (Fig. 4), the orbits with Miglio et al. (2021) and "
                "the ages of Kepler-field clusters with the literature (Fig. 1), and adds them here.</p>")
    parts = []
    for name, title in VALIDATION_TABLES:
        f = vdir / name
        if f.is_file():
            parts.append(f"<h3>{_e(title)}</h3>" + _table(pd.read_csv(f)))
    for png in sorted(vdir.glob("*.png")):
        parts.append(f"<figure>{_img(png, png.stem)}<figcaption>{_e(png.stem)}</figcaption></figure>")
    summary = json.loads((vdir / "summary.json").read_text())
    fig3 = summary.get("fig3") or summary.get("fig3_statement")
    if fig3:
        parts.append(f"<h3>Fig. 3</h3><p>{_e(fig3)}</p>")
    return "".join(parts)


def _provenance(run: RunData) -> str:
    p = run.provenance
    if not p:
        return '<p class="note">provenance.json is absent.</p>'
    head = pd.DataFrame([
        {"item": k, "value": str(p.get(k))} for k in ("mwdisk_version", "git_commit", "written_utc", "seed")
        if k in p
    ] + [{"item": f"machine {k}", "value": str(v)} for k, v in (p.get("machine") or {}).items()])
    versions = pd.DataFrame(sorted((p.get("versions") or {}).items()), columns=["package", "version"])
    inputs = pd.DataFrame(sorted((p.get("inputs") or {}).items()), columns=["input file", "sha256"])
    timings = pd.DataFrame(p.get("timings") or [])
    total = ""
    if "seconds" in timings:
        total = f"<p class='muted'>Sum of the recorded stage times: {timings['seconds'].sum():.1f} s.</p>"
    cfg = json.dumps(p.get("config", {}), indent=1, sort_keys=False)
    return ("<h3>Run</h3>" + _table(head) + "<h3>Versions</h3>" + _table(versions)
            + "<h3>Inputs</h3>" + _table(inputs, "no input files (built-in mock generated in memory)")
            + "<h3>Timings</h3>" + _table(timings, "no timings recorded") + total
            + "<h3>Configuration</h3><details open><summary>resolved configuration (JSON)</summary>"
            + f"<pre>{_e(cfg)}</pre></details>")


def render_report(out_dir: str | Path, injected: Mapping[str, float] | None = None) -> str:
    """The HTML of the report of run folder ``out_dir`` from its tables and ``OUT/figures`` (no drawing).

    ``injected`` defaults to the mock law recorded in the provenance (None for a real catalogue).
    """
    out = Path(out_dir)
    run = RunData(out)
    if injected is None:
        injected = run.injected
    body = {
        "summary": _summary(run),
        "cuts": _cuts(run),
        "trends": _trends(run),
        "gradients": _gradients(run),
        "figures": _figures(out),
        "sweep": _sweep(run),
        "mock": _mock(run, injected),
        "validation": _validation(out),
        "provenance": _provenance(run),
    }
    nav = "".join(f'<a href="#{sid}">{_e(title.split(":")[0])}</a>' for sid, title in SECTIONS)
    sections = "".join(f'<section id="{sid}"><h2>{_e(title)}</h2>{body[sid]}</section>'
                       for sid, title in SECTIONS)
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    commit = _e(run.provenance.get("git_commit", "unknown"))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>mwdisk report: {_e(out.name)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>mwdisk: metallicity gradients of the Milky Way disk</h1>"
        f"<p>Run <code>{_e(out.resolve())}</code> &middot; report written {now} &middot; mwdisk commit "
        f"<code>{commit}</code></p><p>Method of Vickers, Shen &amp; Li (2021), ApJ 922, 189.</p></header>"
        f"<nav>{nav}</nav><main>{sections}</main></body></html>"
    )


def write_report(
    out_dir: str | Path,
    injected: Mapping[str, float] | None = None,
    *,
    redraw: bool = True,
    strict: bool = False,
) -> Path:
    """Draw the figures (unless ``redraw`` is False) and write the self-contained ``OUT/report.html``.

    Parameters
    ----------
    out_dir : str or Path
        The run folder (``OUT``).
    injected : mapping, optional
        The mock's injected law (``thin_gradient``, ``thin_flattening``, ``thick_gradient``); default: from
        the provenance when the run was on the built-in mock.
    redraw : bool
        Redraw every figure first with :func:`mwdisk.figures.make_figures` (default True). With False the
        figures already in ``OUT/figures`` (and their ``index.json``) are embedded as they are.
    strict : bool
        Passed to :func:`~mwdisk.figures.make_figures`: raise when a figure fails to draw.

    Returns
    -------
    Path
        ``OUT/report.html``.

    Raises
    ------
    FileNotFoundError
        When ``out_dir`` is not a folder.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise FileNotFoundError(
            f"run folder {out} does not exist; give the OUT folder of a finished mwdisk run"
        )
    if redraw:
        make_figures(out, injected, strict=strict)
    text = render_report(out, injected)
    path = out / "report.html"
    atomic_write_text(path, text)
    n_fig = sum(1 for e in figure_index(out) if not e.get("skipped"))
    logger.info("report %s written (%d of %d figures, %.1f MB)", path, n_fig, len(FIGURES), len(text) / 1e6)
    return path
