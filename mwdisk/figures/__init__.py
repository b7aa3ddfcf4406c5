"""The paper's figures (Vickers, Shen & Li 2021, Figs. 5-13) and the robustness figures, from a run folder.

:func:`make_figures` reads ``OUT/gradients.csv``, ``OUT/trends.csv``, ``OUT/cuts.csv``,
``OUT/provenance.json`` and the columns it needs of the per-star table ``OUT/selected/*.parquet`` (pandas,
never Dask), and writes ``OUT/figures/<name>.png`` and ``.pdf`` for every figure of :data:`FIGURES` whose
inputs exist, plus ``OUT/figures/index.json`` (title, caption, files, or the reason a figure was skipped),
which the report reads.

Each figure family is a module of pure functions that take DataFrames and return a matplotlib Figure (or
None when there is nothing to draw): :mod:`.chemistry` (Figs. 5, 8), :mod:`.disks` (6, 7),
:mod:`.slices` (9, 10),
:mod:`.systematics` (11, 12), :mod:`.quality` (13, R_present, error models), :mod:`.mock` (recovery on a
mock). Figures are drawn on an Agg canvas without pyplot: no window is ever opened. What they share is in
:mod:`.theme` (labels, colours, canvas, files), :mod:`.context` (:class:`FigureContext`, axis ranges),
:mod:`.gradient_panel` and :mod:`.star_panels`, all re-exported by :mod:`.common`.

Examples
--------
>>> from mwdisk.figures import make_figures          # doctest: +SKIP
>>> paths = make_figures("mwdisk-out")               # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mwdisk.layout import atomic_write_text

from . import chemistry, disks, mock, quality, slices, systematics
from .context import FigureContext
from .data import RunData, injected_from_provenance
from .theme import save_figure

__all__ = [
    "FIGURES",
    "FigureSpec",
    "FigureContext",
    "RunData",
    "make_figures",
    "figure_index",
    "injected_from_provenance",
]

logger = logging.getLogger(__name__)


class _Skip(Exception):
    """A figure cannot be drawn from this run's outputs; the message says why and how to get it."""

    def __init__(self, reason: str, expected: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


@dataclass(frozen=True)
class FigureSpec:
    """One figure: file stem, title and caption (for the report), and the function that draws it."""

    name: str
    title: str
    caption: str
    draw: Callable


def _need_grads(run: RunData):
    if run.gradients is None or run.gradients.empty:
        raise _Skip(f"{run.out / 'gradients.csv'} is absent or empty: run the gradients stage (mwdisk run)")
    return run.gradients


def _need_stars(run: RunData, columns: Sequence[str]):
    if not run.has_stars():
        raise _Skip(f"{run.selected_dir} holds no parquet file: run the gradients stage (mwdisk run)")
    try:
        return run.stars(columns)
    except KeyError as err:
        raise _Skip(str(err)) from None


def _members(run: RunData, columns: Sequence[str], selection: str):
    col = f"sel_{selection}"
    stars = _need_stars(run, list(columns) + [col])
    return stars[stars[col].to_numpy(dtype=bool)][list(columns)]


def _fig05(run, injected):
    return chemistry.chemistry_plane(_need_stars(run, ["feh", "afe"]), run.ctx)


def _fig08(run, injected):
    return chemistry.chemistry_age(_need_stars(run, ["feh", "afe", "age_mode_gyr"]), run.ctx)


def _disk(selection):
    def draw(run, injected):
        grads = _need_grads(run)
        return disks.disk_figure(_members(run, disks.STAR_COLUMNS, selection), grads, run.ctx, selection)

    return draw


def _slices(selections, title):
    def draw(run, injected):
        grads = _need_grads(run)
        stars = _need_stars(run, list(slices.STAR_COLUMNS) + [f"sel_{s}" for s in selections])
        return slices.slices_figure(stars, grads, run.ctx, selections, title=title)

    return draw


def _fig11(run, injected):
    fig = systematics.potentials_figure(_need_grads(run), run.ctx)
    if fig is None:
        raise _Skip("no gradient rows of another potential in the run's frame. " + systematics.HOW_TO_SWEEP,
                    expected=True)
    return fig


def _fig12(run, injected):
    fig = systematics.frames_figure(_need_grads(run), run.ctx)
    if fig is None:
        raise _Skip("no gradient rows of another R0 or v0 in the run's potential. "
                    + systematics.HOW_TO_SWEEP, expected=True)
    return fig


def _or_skip(fn, reason):
    def draw(run, injected):
        fig = fn(_need_grads(run), run.ctx)
        if fig is None:
            raise _Skip(reason)
        return fig

    return draw


def _mock(run, injected):
    grads = _need_grads(run)
    if injected is None:
        raise _Skip("not a run on the built-in mock (no injected gradient law): nothing to compare with",
                    expected=True)
    fig = mock.mock_recovery_figure(grads, run.ctx, injected)
    if fig is None:
        raise _Skip("gradients.csv has no thin- or thick-disk rows of the run's variant")
    return fig


#: Every figure, in report order.
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "fig05_chemistry",
        "Fig. 5: the chemistry plane",
        "[&alpha;/Fe] against [Fe/H] of the base sample (SNR &gt; 50 and age error &lt; 25 %), log "
        "density in grey with contours at 5, 25, 50, 75 and 95 % of the peak. The dashed division line "
        "through (-0.5, 0.15), (-0.25, 0.15), (0.25, 0.05) and its copies shifted by &plusmn;0.1 dex split "
        "the plane into the chemical groups 1 (&alpha;-poor) to 4 (&alpha;-rich) of Fig. 10.",
        _fig05,
    ),
    FigureSpec(
        "fig06_thin_disk",
        "Fig. 6: the thin disk",
        "Thin disk (below the division line, Z<sub>max</sub> &lt; 0.25 kpc). Top left: gradient "
        "d[Fe/H]/dR<sub>g</sub> of each 1.25 Gyr age bin (y bar: 1&sigma; ODR slope error; x bar: 16th to "
        "84th percentile of the members' error-expanded ages; open symbols: bins below the minimum "
        "size, left out of the trend) with the weighted trend line. Middle and bottom left: the selection "
        "in chemistry and in R<sub>g</sub>-Z<sub>max</sub> (dashed lines at 0.25 and 2 kpc). Right: [Fe/H] "
        "against R<sub>g</sub> in each age bin with the line fitted there (solid: default error model, "
        "dashed: the other).",
        _disk("thin_disk"),
    ),
    FigureSpec(
        "fig07_thick_disk",
        "Fig. 7: the thick disk",
        "Thick disk (above the division line, Z<sub>max</sub> &gt; 2 kpc), drawn as Fig. 6 on the same axes. "
        "The paper finds positive gradients of about +0.02 dex/kpc at all ages.",
        _disk("thick_disk"),
    ),
    FigureSpec(
        "fig08_chemistry_age",
        "Fig. 8: chemistry coloured by age",
        "Median maximum-likelihood age of the stars in each cell of the chemistry plane (cells with at least "
        "3 stars). Old stars should sit in the &alpha;-rich sequence and young ones in the &alpha;-poor one; "
        "young &alpha;-rich stars would show as dark cells above the line.",
        _fig08,
    ),
    FigureSpec(
        "fig09_zmax_slices",
        "Fig. 9: Z<sub>max</sub> slices",
        "Four slices in Z<sub>max</sub> from orbitally cold (left) to hot (right). Top: gradient against age "
        "with the trend; middle and bottom: the slice's chemistry and orbits.",
        _slices(slices.ZMAX_SLICES, "Slices in $Z_\\mathrm{max}$ (cold to hot)"),
    ),
    FigureSpec(
        "fig10_chemistry_slices",
        "Fig. 10: chemical slices",
        "The four chemical groups of Fig. 5 (d = [&alpha;/Fe] minus the division line), drawn as Fig. 9.",
        _slices(slices.CHEM_SLICES, "Chemical groups of Fig. 5 ($\\alpha$-poor to $\\alpha$-rich)"),
    ),
    FigureSpec(
        "fig11_potentials",
        "Fig. 11: potentials",
        "Thin-disk gradients with R<sub>g</sub> computed in each potential of the sweep (MWPotential2014, "
        "McMillan17, Irrgang13 I, all rescaled to the run's R<sub>0</sub> and v<sub>0</sub>).",
        _fig11,
    ),
    FigureSpec(
        "fig12_solar_parameters",
        "Fig. 12: solar radius and circular speed",
        "Thin-disk gradients for other solar radii R<sub>0</sub> (left) and circular speeds v<sub>0</sub> "
        "(right) in the run's potential; the frame changes L<sub>z</sub> and hence R<sub>g</sub>.",
        _fig12,
    ),
    FigureSpec(
        "fig13_high_quality",
        "Fig. 13: high-quality sample",
        "Gradients of the thin-disk stars with age errors below 10 % that are turn-off or subgiant stars "
        "(Teff &gt; 5750 K, or log g &lt; 4 and Teff &gt; 5250 K; grey crosses and solid line) over the full "
        "thin disk (faint points, black dashed trend).",
        _or_skip(quality.high_quality_figure, "gradients.csv has no high_quality rows of the run's variant"),
    ),
    FigureSpec(
        "rpresent_vs_rg",
        "Guiding against present radius",
        "Gradients against R<sub>g</sub> (black) and against the present radius R (orange) for the thin and "
        "thick disk. The paper finds a U shape with R<sub>present</sub> for the thin disk.",
        _or_skip(quality.rpresent_figure, "gradients.csv has no thin- or thick-disk rows"),
    ),
    FigureSpec(
        "error_models",
        "Scatter-aware against naive error model",
        "The same bins fitted with the scatter-aware error model (black; [Fe/H] error plus the fitted "
        "intrinsic scatter) and the naive one (blue; [Fe/H] error only, which ODR compensates by steepening "
        "the slope where the R<sub>g</sub> spread is large: METHOD.md section 6).",
        _or_skip(quality.error_model_figure, "gradients.csv lacks rows of one of the two error models"),
    ),
    FigureSpec(
        "core_helium_burning",
        "With and without core-helium-burning stars",
        "Gradients of the thin and thick disk with every star (black) and without the stars whose age "
        "posterior is mostly core-helium burning (red clump, horizontal branch; p<sub>cheb</sub> &ge; "
        "ages.cheb_threshold; green). Drawn only with an isochrone grid that has that phase.",
        _or_skip(quality.cheb_figure,
                 "the run's isochrone grid has no core-helium burning (no *_nocheb rows)")),
    FigureSpec(
        "mock_recovery",
        "Mock: recovered against injected gradients",
        "On the built-in mock: the gradient recovered in each age bin against the injected law (thin disk "
        "g(age) = thin_gradient + thin_flattening (age - 1 Gyr), thick disk constant), evaluated at the "
        "bin's abscissa, for both error models; residuals on the right.",
        _mock,
    ),
)


def figure_index(out_dir: str | Path) -> list[dict]:
    """The entries of ``OUT/figures/index.json`` ([] when absent), in :data:`FIGURES` order."""
    p = Path(out_dir) / "figures" / "index.json"
    if not p.is_file():
        return []
    try:
        entries = json.loads(p.read_text())
    except json.JSONDecodeError:
        return []
    order = {s.name: k for k, s in enumerate(FIGURES)}
    return sorted(entries, key=lambda e: order.get(e.get("name"), len(order)))


def make_figures(
    out_dir: str | Path,
    injected: Mapping[str, float] | None = None,
    *,
    only: Sequence[str] | None = None,
    formats: Sequence[str] = ("png", "pdf"),
    strict: bool = False,
) -> list[Path]:
    """Draw every figure whose inputs exist in the run folder ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        The run folder (``OUT``).
    injected : mapping, optional
        The mock's injected law ``thin_gradient``, ``thin_flattening``, ``thick_gradient`` (the ``mock:``
        block). Default: read from ``OUT/provenance.json`` when the run was on the built-in mock
        (``run.catalog`` null), else no mock figure.
    only : sequence of str, optional
        Names of :data:`FIGURES` to (re)draw, e.g. ``["fig11_potentials", "fig12_solar_parameters"]`` after
        a sweep; the other entries of the index are kept.
    formats : sequence of str
        File formats (default PNG and PDF).
    strict : bool
        Raise when a figure fails to draw (default False: log the traceback and record the failure in the
        index, so that one broken figure does not cost the report).

    Returns
    -------
    list of Path
        The files written, in :data:`FIGURES` order.

    Raises
    ------
    FileNotFoundError
        When ``out_dir`` is not a folder.
    ValueError
        For a name in ``only`` that is not a figure.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise FileNotFoundError(
            f"run folder {out} does not exist; give the OUT folder of a finished mwdisk run"
        )
    names = [s.name for s in FIGURES]
    if only is not None:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise ValueError(f"unknown figure(s) {unknown}; the figures are {names}")
    run = RunData(out)
    if injected is None:
        injected = run.injected
    run.set_limits()
    folder = out / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    index = {e["name"]: e for e in figure_index(out)} if only is not None else {}
    written: list[Path] = []
    for spec in FIGURES:
        if only is not None and spec.name not in only:
            continue
        entry = {"name": spec.name, "title": spec.title, "caption": spec.caption, "files": [],
                 "skipped": None}
        try:
            fig = spec.draw(run, injected)
            paths = save_figure(fig, folder, spec.name, formats)
            entry["files"] = [p.name for p in paths]
            written += paths
            logger.info("figure %s written", spec.name)
        except _Skip as skip:
            entry["skipped"] = skip.reason
            log = logger.info if skip.expected else logger.warning
            log("figure %s skipped: %s", spec.name, skip.reason)
            for fmt in formats:  # a stale file from an earlier run must not be shown as current
                (folder / f"{spec.name}.{fmt}").unlink(missing_ok=True)
        except Exception as err:
            if strict:
                raise
            logger.exception("figure %s failed", spec.name)
            entry["skipped"] = f"failed to draw: {type(err).__name__}: {err}"
        index[spec.name] = entry
    order = {n: k for k, n in enumerate(names)}
    entries = sorted(index.values(), key=lambda e: order.get(e["name"], len(order)))
    atomic_write_text(folder / "index.json", json.dumps(entries, indent=1))
    return written
