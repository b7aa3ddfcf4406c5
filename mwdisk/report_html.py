"""HTML pieces of ``OUT/report.html``: escaping, selection names, tables and embedded PNG images.

Private helpers of :mod:`mwdisk.report` and its section modules (:mod:`mwdisk.report_results`,
:mod:`mwdisk.report_checks`). Tables are plain HTML of the page's ``tbl`` class; images are base64 PNG
``data:`` URIs, so that the page needs no other file.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from mwdisk.figures.common import SELECTION_LABELS

__all__: list[str] = []


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
