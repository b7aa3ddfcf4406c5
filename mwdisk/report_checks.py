"""The check sections of ``OUT/report.html``: systematics sweep, mock recovery, validation, provenance.

Each ``_<section>`` function returns the HTML body of the section of that ``id`` in
:data:`mwdisk.report.SECTIONS`: the thin-disk trend in every variant of a ``mwdisk sweep`` (or how to make
them), the recovered against the injected gradients when the run is on the built-in mock, the tables and
figures that ``mwdisk validate`` wrote to ``OUT/validation`` (:data:`VALIDATION_TABLES`), and the run's
provenance (configuration, versions, inputs, timings).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from mwdisk.figures import RunData
from mwdisk.figures.mock import recovery_table
from mwdisk.figures.systematics import HOW_TO_SWEEP, sweep_table, sweep_variants_present
from mwdisk.report_html import _e, _img, _table

__all__ = ["VALIDATION_TABLES"]

#: Tables of OUT/validation shown in the report, when `mwdisk validate` has written them.
VALIDATION_TABLES = (
    ("fig4_stats.csv", "Fig. 4: our ages against asteroseismic ages (APOKASC-3 x Miglio+2021)"),
    ("orbit_stats.csv", "Orbits against Miglio+2021's published Z_max, R_peri, R_apo"),
    ("fig1_clusters.csv", "Fig. 1: Kepler-field open clusters against Dias+2021 ages"),
)


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
    truth = run.member_truth_slopes()
    tab = recovery_table(run.gradients, run.ctx, injected, truth)
    law = (f"<p>Injected law: thin disk g(age) = {injected['thin_gradient']:+.4f} "
           f"{injected['thin_flattening']:+.4f} (age - 1 Gyr) dex/kpc; thick disk "
           f"{injected['thick_gradient']:+.4f} dex/kpc. <code>pull</code> = (recovered - injected) / slope "
           "error.</p>")
    if truth is not None:
        law += ("<p>A bin's members need not follow the injected law: stars enter a bin by their estimated "
                "age, so a bin outside a population's ages (e.g. a thick-disk bin younger than the mock's "
                "8-13 Gyr thick disk) or straddling its edge holds stars whose ages were misestimated, "
                "selected by their errors. <code>members_true_slope</code> is the slope the members truly "
                "follow (their true [Fe/H] on their true R<sub>g</sub>); recovered minus it is the "
                "pipeline's own error.</p>")
    rows = []
    for (sel, model), d in tab.groupby(["selection", "error_model"], sort=False):
        u = d[d["in_trend"].astype(bool)]
        has = len(u) > 0
        row = {"selection": sel, "error model": model, "bins in trend": len(u),
               "mean difference (dex/kpc)": float(u["difference_dex_per_kpc"].mean()) if has else np.nan,
               "chi2 / bins": float((u["pull"] ** 2).mean()) if has else np.nan}
        if truth is not None:
            vs = u["minus_members_true_dex_per_kpc"] / u["error_dex_per_kpc"]
            row["mean difference from members' true slope"] = (
                float(u["minus_members_true_dex_per_kpc"].mean()) if has else np.nan)
            row["chi2 / bins, members' true slope"] = float((vs**2).mean()) if has else np.nan
        rows.append(row)
    return (law + _table(pd.DataFrame(rows)) + "<details><summary>Per-bin values</summary>"
            + _table(tab) + "</details>")


def _validation(out: Path) -> str:
    vdir = out / "validation"
    if not (vdir / "summary.json").is_file():
        return ("<p class='note'>Not run for this folder. <code>mwdisk validate --data PATH --out OUT</code> "
                "compares the ages with asteroseismic ages (Fig. 4), the orbits with Miglio et al. (2021) "
                "and the ages of Kepler-field clusters with the literature (Fig. 1), and adds them here.</p>")
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
