"""Human-readable summary of an isochrone grid (``mwdisk grid info [--isochrones dsep|parsec|mist]``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from .grid import FAMILIES, load_grid, shipped_grid_path
from .phases import PHASE_NAMES

__all__ = ["grid_info"]

logger = logging.getLogger(__name__)


def _fmt_axis(values: np.ndarray) -> str:
    v = np.unique(np.round(values, 4))
    if v.size == 1:
        return f"{v[0]:g} (1 node)"
    steps = np.unique(np.round(np.diff(v), 4))
    step = f"step {steps[0]:g}" if steps.size == 1 else f"steps {', '.join(f'{s:g}' for s in steps)}"
    return f"{v[0]:g} .. {v[-1]:g}, {step} ({v.size} nodes)"


def grid_info(name_or_path: str | Path = "dsep", comp_axis: str = "mh") -> str:
    """Summary of a grid: ages, composition coverage, counts, file size and provenance.

    Parameters
    ----------
    name_or_path : str or Path
        "dsep", "parsec", "mist" or a path, as for :func:`~mwdisk.isochrones.load_grid`.
    comp_axis : {"mh", "feh_afe"}
        Composition axis to describe.

    Returns
    -------
    str
        Multi-line text (the CLI prints it).
    """
    grid = load_grid(name_or_path, comp_axis)
    key = str(name_or_path)
    path = shipped_grid_path(key) if key in FAMILIES else Path(name_or_path)
    if path.is_dir():
        size = sum(f.stat().st_size for f in path.glob("*.Gaia"))
    else:
        size = path.stat().st_size
    ages = grid.ages_gyr
    young = ages[ages <= 5.0 + 1e-9]
    old = ages[ages > 5.0 + 1e-9]
    n_per = np.diff(grid.iso_start)
    lines = [
        f"isochrone grid: {grid.family} ({path})",
        f"  composition axis: {grid.comp_axis}",
        f"  ages [Gyr]: {_fmt_axis(young)}"
        + (f"; {_fmt_axis(old)}" if old.size else "")
        + f"; {ages.size} ages",
        f"  [M/H]_eff: {_fmt_axis(grid.iso_mh)}",
        f"  [Fe/H]: {_fmt_axis(grid.iso_feh)}",
        f"  [alpha/Fe]: {_fmt_axis(grid.iso_afe)}",
        f"  isochrones: {grid.n_iso}; points: {grid.n_pts} ({n_per.min()}..{n_per.max()} per isochrone)",
        f"  initial mass [Msun]: {grid.mass_init_msun.min():.3f} .. {grid.mass_init_msun.max():.3f}; "
        f"Teff [K]: {grid.teff_k.min():.0f} .. {grid.teff_k.max():.0f}; "
        f"log g: {grid.logg.min():.2f} .. {grid.logg.max():.2f}; "
        f"M_G: {grid.g_mag.min():.2f} .. {grid.g_mag.max():.2f}",
        "  phases (points): " + ", ".join(
            f"{PHASE_NAMES[int(c)]} {int(n)}" for c, n in zip(*np.unique(grid.phase, return_counts=True),
                                                              strict=True)
        ),
        f"  file size: {size / 1e6:.2f} MB",
        "  provenance:",
    ]
    for k, v in sorted(grid.provenance.items()):
        text = v if isinstance(v, str) else json.dumps(v)
        if len(text) > 300:
            text = text[:297] + "..."
        lines.append(f"    {k}: {text}")
    return "\n".join(lines)
