"""``OUT/report.html``: one self-contained page with a run's results, figures and provenance.

The page has no external resource: figures are embedded as base64 PNG ``data:`` URIs, tables are HTML, the
style sheet is inline and there is no script, so the file can be mailed, archived or opened offline. The
PDF versions of the figures stay in ``OUT/figures/`` (linked relatively, for when the folder is at hand).

Sections (their ``id`` attributes are :data:`SECTIONS`): a summary of the headline numbers beside the paper's,
the cut cascade, the trend table, the gradient tables, every figure (or the reason it is absent), the sweep
comparison (or how to make it: ``mwdisk sweep``), the mock check when the run is on the built-in mock, and
the provenance (configuration, versions, inputs, timings).

The sections are drawn by :mod:`mwdisk.report_results` (summary, tables, figures) and
:mod:`mwdisk.report_checks` (sweep, mock, validation, provenance) from the HTML pieces of
:mod:`mwdisk.report_html`.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Mapping
from pathlib import Path

from mwdisk.figures import FIGURES, RunData, figure_index, make_figures
from mwdisk.layout import atomic_write_text
from mwdisk.report_checks import _mock, _provenance, _sweep, _validation
from mwdisk.report_html import _e
from mwdisk.report_results import PAPER_VALUES, _cuts, _figures, _gradients, _summary, _trends

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
