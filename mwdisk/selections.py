"""Quality cuts and the named selections of Vickers, Shen & Li (2021), as pure functions of columns.

Every rule is a boolean function of a star's columns, with parameters from one plain dict
(:data:`DEFAULT_SELECTION_PARAMS`, copied into the shipped YAML). A star with a NaN in a column a rule reads
is never selected by that rule (every comparison with NaN is False). Inequalities are strict where the paper
writes them strictly; slices that must tile an axis are half-open [lo, hi) so that each star falls in
exactly one of them.

Cuts (METHOD.md section 5), cumulative, in :func:`cut_masks`:

``snr``
    snr_g > 50 and snr_r > 50 and snr_i > 50 (LAMOST per-band SNRs).
``age_err``
    ``snr`` and age_err_frac < 0.25, with age_err_frac = (tau_hi - tau_lo) / (2 tau_mode) from the age
    stage. The stars passing it are the *base sample* (paper: 1,328,841 stars).

Selections (each within the base sample), in :func:`selection_masks`:

``thin_disk`` (Fig. 6)
    [a/Fe] < 0.15 and [a/Fe] < -0.2 [Fe/H] + 0.1, and Z_max < 0.25 kpc. The two chemical conditions are
    [a/Fe] below the division line ``afe_line(feh) = min(0.15, -0.2 [Fe/H] + 0.1)``.
``thick_disk`` (Fig. 7)
    ([a/Fe] > 0.15 or [a/Fe] > -0.2 [Fe/H] + 0.1), i.e. above the division line, and Z_max > 2 kpc.
``zmax_1`` .. ``zmax_4`` (Fig. 9)
    edges[k-1] <= Z_max < edges[k] with edges 0, 0.25, 0.75, 2, inf kpc; ``zmax_1`` is the coldest.
``chem_1`` .. ``chem_4`` (Figs. 5 and 10)
    Bands about the division line of Fig. 5 (:func:`chem_line`), which runs through ([Fe/H], [a/Fe]) =
    (-0.5, 0.15), (-0.25, 0.15) and (0.25, 0.05), flat at 0.15 to lower [Fe/H] and continuing its -0.2
    slope to higher [Fe/H] (with these knots it is ``afe_line`` above), with copies shifted by -0.1 and
    +0.1 dex in [a/Fe]. With d = [a/Fe] - chem_line([Fe/H]): ``chem_1`` d < -0.1 (most alpha-poor),
    ``chem_2`` -0.1 <= d < 0, ``chem_3`` 0 <= d < 0.1, ``chem_4`` d >= 0.1 (most alpha-rich). With the
    default parameters ``chem_1`` and ``chem_2`` together are the chemical thin disk of ``thin_disk``, and a
    star exactly on the line is in ``chem_3`` but in neither ``thin_disk`` nor ``thick_disk``.
``high_quality`` (Fig. 13)
    age_err_frac < 0.10 and (Teff > 5750 K or (log g < 4 and Teff > 5250 K)), intersected with
    ``thin_disk`` (parameter ``hq_within``; Fig. 13 zooms into Fig. 6; the paper's count of 171,691 is
    before that intersection, so ``cut_masks`` also returns the un-intersected ``high_quality_all``).
``thin_disk_noedge`` (only when an edge-flag column is given)
    ``thin_disk`` without the stars whose age interval touches the isochrone-grid edge (METHOD.md
    section 1), to report the youngest bin with and without them.
``thin_disk_nocheb``, ``thick_disk_nocheb`` (only when a core-helium-burning flag is given)
    ``thin_disk`` / ``thick_disk`` without the stars classified core-helium burning (red clump, horizontal
    branch): their ages are the least secure of the giants', so every result is also given without them.

Examples
--------
>>> import numpy as np
>>> cols = {"snr_g": np.array([60.0]), "snr_r": np.array([60.0]), "snr_i": np.array([60.0]),
...         "age_err_frac": np.array([0.05]), "teff_k": np.array([6000.0]), "logg": np.array([4.2]),
...         "feh": np.array([0.0]), "afe": np.array([0.02]), "zmax_kpc": np.array([0.1])}
>>> masks = selection_masks(cols)
>>> [name for name, m in masks.items() if m[0]]
['thin_disk', 'zmax_1', 'chem_2', 'high_quality']
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "SELECTION_NAMES",
    "EXTRA_SELECTIONS",
    "CUT_NAMES",
    "DEFAULT_SELECTION_PARAMS",
    "DEFAULT_COLUMNS",
    "resolve_params",
    "afe_line",
    "chem_line",
    "snr_cut",
    "age_err_cut",
    "thin_disk",
    "thick_disk",
    "zmax_slice",
    "chem_group",
    "high_quality_stars",
    "cut_masks",
    "selection_masks",
]

logger = logging.getLogger(__name__)

#: Selection names in output order.
SELECTION_NAMES = (
    "thin_disk",
    "thick_disk",
    "zmax_1",
    "zmax_2",
    "zmax_3",
    "zmax_4",
    "chem_1",
    "chem_2",
    "chem_3",
    "chem_4",
    "high_quality",
)

#: Cumulative cuts in the order of the cascade (``OUT/cuts.csv``; paper ~4M -> 1,328,841 -> 171,691).
#: ``age_err`` is the base sample of every selection.
#: Selections added only when their flag column is given (:func:`selection_masks`).
EXTRA_SELECTIONS = ("thin_disk_noedge", "thin_disk_nocheb", "thick_disk_nocheb")
CUT_NAMES = ("snr", "age_err", "high_quality_all")

#: Defaults of every cut and selection parameter (METHOD.md section 5). The keys are those of the YAML's
#: ``cuts:`` and ``selections:`` blocks; pass ``{**cfg["cuts"], **cfg["selections"]}`` as ``params``.
DEFAULT_SELECTION_PARAMS: dict[str, Any] = {
    # cuts [PAPER]
    "snr_min": 50.0,  # snr_g, snr_r, snr_i must all exceed this
    "age_err_max": 0.25,  # fractional age error (tau_hi - tau_lo) / (2 tau_mode) below this
    "hq_age_err_max": 0.10,  # high-quality sample (Fig. 13) ...
    "hq_teff_hot_k": 5750.0,  # ... Teff above this on its own,
    "hq_teff_giant_k": 5250.0,  # ... or Teff above this with
    "hq_logg_giant": 4.0,  # ... log g below this (turn-off and subgiant stars)
    # selections
    "hq_within": "thin_disk",  # [CHOICE: Fig. 13 zooms Fig. 6] selection HQ is intersected with, or "none"
    "alpha_split": 0.15,  # thin: [a/Fe] < 0.15 and [a/Fe] < slope [Fe/H] + intercept [PAPER]
    "alpha_line_slope": -0.2,
    "alpha_line_intercept": 0.1,
    "thin_zmax_max_kpc": 0.25,  # [PAPER]
    "thick_zmax_min_kpc": 2.0,  # [PAPER]
    "zmax_edges_kpc": [0.0, 0.25, 0.75, 2.0, math.inf],  # [CHOICE] Z_max slices zmax_1..zmax_4
    "chem_line_feh": [-0.5, -0.25, 0.25],  # [PAPER] Fig. 5 division line through these points, flat before
    "chem_line_afe": [0.15, 0.15, 0.05],  # the first and continuing the last segment's slope after the last
    "chem_shift": 0.1,  # [PAPER] copies of the line at -+0.1 in [a/Fe]
}

#: Column names read by :func:`selection_masks` (keys are roles, values are catalogue columns).
#: ``zmax_kpc`` is per potential: the caller maps it to that potential's Z_max column.
DEFAULT_COLUMNS: dict[str, str] = {
    "snr_g": "snr_g",
    "snr_r": "snr_r",
    "snr_i": "snr_i",
    "age_err_frac": "age_err_frac",
    "teff_k": "teff_k",
    "logg": "logg",
    "feh": "feh",
    "afe": "afe",
    "zmax_kpc": "zmax_kpc",
}


def resolve_params(params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The defaults updated with ``params``; unknown keys are refused.

    Parameters
    ----------
    params : mapping or None
        Overrides (e.g. the ``selections:`` block of the YAML).

    Returns
    -------
    dict
        A full parameter dict; ``zmax_edges_kpc`` as a float array with None/"inf" read as infinity.

    Raises
    ------
    ValueError
        For an unknown key, or Z_max edges that are not 5 increasing values.
    """
    out = dict(DEFAULT_SELECTION_PARAMS)
    if params:
        unknown = sorted(set(params) - set(DEFAULT_SELECTION_PARAMS))
        if unknown:
            raise ValueError(
                f"unknown selection parameter(s) {unknown}; known ones are "
                f"{sorted(DEFAULT_SELECTION_PARAMS)} (see mwdisk.selections.DEFAULT_SELECTION_PARAMS)"
            )
        out.update(params)
    edges = np.array([math.inf if e is None or e == "inf" else float(e) for e in out["zmax_edges_kpc"]])
    if edges.size != 5 or np.any(np.diff(edges) <= 0):
        raise ValueError(
            f"zmax_edges_kpc = {list(out['zmax_edges_kpc'])}; give 5 strictly increasing edges in kpc for "
            f"the four slices zmax_1..zmax_4, e.g. [0, 0.25, 0.75, 2, .inf]"
        )
    out["zmax_edges_kpc"] = edges
    kf = np.asarray(out["chem_line_feh"], dtype=np.float64)
    ka = np.asarray(out["chem_line_afe"], dtype=np.float64)
    if kf.ndim != 1 or kf.size < 2 or kf.shape != ka.shape or np.any(np.diff(kf) <= 0):
        raise ValueError(
            f"chem_line_feh = {list(out['chem_line_feh'])}, chem_line_afe = {list(out['chem_line_afe'])}; "
            f"give two lists of equal length >= 2 with increasing [Fe/H], e.g. [-0.5, -0.25, 0.25] and "
            f"[0.15, 0.15, 0.05]"
        )
    out["chem_line_feh"], out["chem_line_afe"] = kf, ka
    if out["hq_within"] in (None, "none", ""):
        out["hq_within"] = None
    return out


def _f(a):
    return np.asarray(a, dtype=np.float64)


def afe_line(
    feh: np.ndarray, plateau: float = 0.15, slope: float = -0.2, intercept: float = 0.1
) -> np.ndarray:
    """The [a/Fe] division line of Fig. 5: min(plateau, slope * [Fe/H] + intercept).

    With the defaults it passes through (-0.5, 0.15), (-0.25, 0.15) and (0.25, 0.05) and equals the
    paper's thin-disk boundary ([a/Fe] < 0.15 and [a/Fe] < -0.2 [Fe/H] + 0.1).
    """
    return np.minimum(plateau, slope * _f(feh) + intercept)


def chem_line(
    feh: np.ndarray,
    knots_feh: Sequence[float] = (-0.5, -0.25, 0.25),
    knots_afe: Sequence[float] = (0.15, 0.15, 0.05),
) -> np.ndarray:
    """The division line of Fig. 5 through the knots, flat before the first and extrapolating the last
    segment after the last knot (what the figure draws).

    With the default knots it equals :func:`afe_line` with its defaults (to rounding).
    """
    kf = np.asarray(knots_feh, dtype=np.float64)
    ka = np.asarray(knots_afe, dtype=np.float64)
    x = _f(feh)
    slope_last = (ka[-1] - ka[-2]) / (kf[-1] - kf[-2])
    return np.where(x > kf[-1], ka[-1] + slope_last * (x - kf[-1]), np.interp(x, kf, ka))


def snr_cut(snr_g: np.ndarray, snr_r: np.ndarray, snr_i: np.ndarray, snr_min: float = 50.0) -> np.ndarray:
    """SNR > ``snr_min`` in each of LAMOST g, r and i (strict)."""
    return (_f(snr_g) > snr_min) & (_f(snr_r) > snr_min) & (_f(snr_i) > snr_min)


def age_err_cut(age_err_frac: np.ndarray, age_err_frac_max: float = 0.25) -> np.ndarray:
    """Fractional age error (tau_hi - tau_lo) / (2 tau_mode) < ``age_err_frac_max`` (strict)."""
    return _f(age_err_frac) < age_err_frac_max


def thin_disk(
    feh: np.ndarray,
    afe: np.ndarray,
    zmax_kpc: np.ndarray,
    *,
    zmax_max_kpc: float = 0.25,
    plateau: float = 0.15,
    slope: float = -0.2,
    intercept: float = 0.1,
) -> np.ndarray:
    """Pure thin disk: [a/Fe] < afe_line([Fe/H]) and Z_max < ``zmax_max_kpc`` (both strict)."""
    return (_f(afe) < afe_line(feh, plateau, slope, intercept)) & (_f(zmax_kpc) < zmax_max_kpc)


def thick_disk(
    feh: np.ndarray,
    afe: np.ndarray,
    zmax_kpc: np.ndarray,
    *,
    zmax_min_kpc: float = 2.0,
    plateau: float = 0.15,
    slope: float = -0.2,
    intercept: float = 0.1,
) -> np.ndarray:
    """Pure thick disk: [a/Fe] > afe_line([Fe/H]) (i.e. > 0.15 or > -0.2 [Fe/H] + 0.1) and Z_max > 2 kpc."""
    return (_f(afe) > afe_line(feh, plateau, slope, intercept)) & (_f(zmax_kpc) > zmax_min_kpc)


def zmax_slice(zmax_kpc: np.ndarray, lo_kpc: float, hi_kpc: float) -> np.ndarray:
    """``lo_kpc <= Z_max < hi_kpc`` (half-open, so the slices tile Z_max >= 0)."""
    z = _f(zmax_kpc)
    return (z >= lo_kpc) & (z < hi_kpc)


def chem_group(
    feh: np.ndarray,
    afe: np.ndarray,
    group: int,
    *,
    shift: float = 0.1,
    knots_feh: Sequence[float] = (-0.5, -0.25, 0.25),
    knots_afe: Sequence[float] = (0.15, 0.15, 0.05),
) -> np.ndarray:
    """Chemical group 1..4 of Fig. 5 (1 most alpha-poor), half-open bands in d = [a/Fe] - chem_line.

    Group 1: d < -shift; 2: -shift <= d < 0; 3: 0 <= d < shift; 4: d >= shift.
    """
    if group not in (1, 2, 3, 4):
        raise ValueError(f"group = {group!r}; chemical groups are numbered 1 (alpha-poor) to 4 (alpha-rich)")
    d = _f(afe) - chem_line(feh, knots_feh, knots_afe)
    lo = (-np.inf, -shift, 0.0, shift)[group - 1]
    hi = (-shift, 0.0, shift, np.inf)[group - 1]
    return (d >= lo) & (d < hi)


def high_quality_stars(
    age_err_frac: np.ndarray,
    teff_k: np.ndarray,
    logg: np.ndarray,
    *,
    age_err_frac_max: float = 0.10,
    teff_min_k: float = 5750.0,
    subgiant_teff_min_k: float = 5250.0,
    subgiant_logg_max: float = 4.0,
) -> np.ndarray:
    """Turn-off and subgiant stars with precise ages (Fig. 13), before any disk intersection.

    age_err_frac < 0.10 and (Teff > 5750 K or (log g < 4 and Teff > 5250 K)); all strict.
    """
    t = _f(teff_k)
    hot = t > teff_min_k
    subgiant = (_f(logg) < subgiant_logg_max) & (t > subgiant_teff_min_k)
    return (_f(age_err_frac) < age_err_frac_max) & (hot | subgiant)


def _col(data, columns, role):
    name = columns[role]
    try:
        return _f(data[name])
    except KeyError:
        raise KeyError(
            f"column {name!r} (role {role!r}) is missing; available: {sorted(map(str, data.keys()))[:30]}. "
            f"Pass columns={{{role!r}: 'your_column'}} to map it"
        ) from None


def cut_masks(
    data: Mapping[str, Any], params: Mapping[str, Any] | None = None, columns: Mapping[str, str] | None = None
) -> dict[str, np.ndarray]:
    """Cumulative quality-cut masks, in the order of :data:`CUT_NAMES`.

    Parameters
    ----------
    data : mapping of column name to array (a pandas DataFrame works)
        Needs the ``snr_*``, ``age_err_frac``, ``teff_k`` and ``logg`` roles of :data:`DEFAULT_COLUMNS`.
    params : mapping, optional
        Overrides of :data:`DEFAULT_SELECTION_PARAMS`.
    columns : mapping, optional
        Overrides of :data:`DEFAULT_COLUMNS` (role -> column name).

    Returns
    -------
    dict of str to bool array
        ``"snr"``: the SNR cut; ``"age_err"``: SNR and age-error cuts (the base sample);
        ``"high_quality_all"``: the base sample's high-quality stars before any disk intersection (the
        paper's 171,691).
    """
    p = resolve_params(params)
    c = {**DEFAULT_COLUMNS, **(columns or {})}
    snr = snr_cut(_col(data, c, "snr_g"), _col(data, c, "snr_r"), _col(data, c, "snr_i"), p["snr_min"])
    age = snr & age_err_cut(_col(data, c, "age_err_frac"), p["age_err_max"])
    hq = age & _hq(data, c, p)
    return {"snr": snr, "age_err": age, "high_quality_all": hq}


def _hq(data, c, p):
    return high_quality_stars(
        _col(data, c, "age_err_frac"),
        _col(data, c, "teff_k"),
        _col(data, c, "logg"),
        age_err_frac_max=p["hq_age_err_max"],
        teff_min_k=p["hq_teff_hot_k"],
        subgiant_teff_min_k=p["hq_teff_giant_k"],
        subgiant_logg_max=p["hq_logg_giant"],
    )


def selection_masks(
    data: Mapping[str, Any],
    params: Mapping[str, Any] | None = None,
    columns: Mapping[str, str] | None = None,
    *,
    base: np.ndarray | None = None,
    edge_flag: np.ndarray | None = None,
    cheb_flag: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One boolean mask per selection name, each within the base sample.

    Parameters
    ----------
    data : mapping of column name to array (a pandas DataFrame works)
        Columns for every role of :data:`DEFAULT_COLUMNS`; ``zmax_kpc`` is the Z_max of one potential
        (map it with ``columns={"zmax_kpc": "zmax_kpc_mw14"}`` or similar).
    params : mapping, optional
        Overrides of :data:`DEFAULT_SELECTION_PARAMS`.
    columns : mapping, optional
        Overrides of :data:`DEFAULT_COLUMNS`.
    base : bool array, optional
        The base sample; by default ``cut_masks(...)["age_err"]`` (SNR and age-error cuts).
    edge_flag : bool array, optional
        True for stars whose age interval touches the isochrone-grid edge; when given, a
        ``thin_disk_noedge`` mask is added.
    cheb_flag : bool array, optional
        True for stars classified core-helium burning (red clump, horizontal branch: ``p_cheb`` at or above
        ``ages.cheb_threshold``); when given, ``thin_disk_nocheb`` and ``thick_disk_nocheb`` masks are added.

    Returns
    -------
    dict of str to bool array
        Keys :data:`SELECTION_NAMES` in that order (plus ``thin_disk_noedge`` when ``edge_flag`` is given and
        ``thin_disk_nocheb``, ``thick_disk_nocheb`` when ``cheb_flag`` is given).
    """
    p = resolve_params(params)
    c = {**DEFAULT_COLUMNS, **(columns or {})}
    if base is None:
        base = cut_masks(data, params, columns)["age_err"]
    base = np.asarray(base, dtype=bool)
    feh, afe, zmax = _col(data, c, "feh"), _col(data, c, "afe"), _col(data, c, "zmax_kpc")
    line = {
        "plateau": p["alpha_split"],
        "slope": p["alpha_line_slope"],
        "intercept": p["alpha_line_intercept"],
    }
    out: dict[str, np.ndarray] = {}
    out["thin_disk"] = base & thin_disk(feh, afe, zmax, zmax_max_kpc=p["thin_zmax_max_kpc"], **line)
    out["thick_disk"] = base & thick_disk(feh, afe, zmax, zmax_min_kpc=p["thick_zmax_min_kpc"], **line)
    edges = p["zmax_edges_kpc"]
    for k in range(1, 5):
        out[f"zmax_{k}"] = base & zmax_slice(zmax, edges[k - 1], edges[k])
    for k in range(1, 5):
        out[f"chem_{k}"] = base & chem_group(
            feh, afe, k, shift=p["chem_shift"], knots_feh=p["chem_line_feh"], knots_afe=p["chem_line_afe"]
        )
    hq = base & _hq(data, c, p)
    within = p["hq_within"]
    if within is not None:
        if within not in out:
            raise ValueError(f"hq_within = {within!r}; use 'none' or one of {list(out)}")
        hq &= out[within]
    out["high_quality"] = hq
    if edge_flag is not None:
        out["thin_disk_noedge"] = out["thin_disk"] & ~np.asarray(edge_flag, dtype=bool)
    if cheb_flag is not None:
        cheb = np.asarray(cheb_flag, dtype=bool)
        out["thin_disk_nocheb"] = out["thin_disk"] & ~cheb
        out["thick_disk_nocheb"] = out["thick_disk"] & ~cheb
    return out
