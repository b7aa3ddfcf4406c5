"""The look of every figure: axis labels with units, names, colours, rcParams, the canvas and the files.

Figures are built on :class:`matplotlib.figure.Figure` with an explicit Agg canvas, never through pyplot, so
drawing them opens no window and touches no global figure state (safe on a headless node or inside a
worker). Every figure is saved as PNG (for the report and a quick look) and PDF (for a paper) by
:func:`save_figure`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "LABELS",
    "POTENTIAL_LABELS",
    "SELECTION_LABELS",
    "COLORS",
    "STYLE",
    "style",
    "new_figure",
    "save_figure",
]

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
    "thin_disk_nocheb": "thin disk, no core-He-burning stars",
    "thick_disk_nocheb": "thick disk, no core-He-burning stars",
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
