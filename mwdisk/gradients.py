"""Age-binned metallicity gradients and their trend with age, as an associative reduction.

METHOD.md section 6. Stars of one selection are put into half-open age bins [lo, hi) of 1.25 Gyr from 1 to
12.25 Gyr by their maximum-likelihood age (a mode exactly on an edge such as 2.25 Gyr goes to the bin that
starts there). In each bin [Fe/H] = a + b R is fitted by orthogonal distance regression (:mod:`mwdisk.odr`)
with both error models; b is the gradient in dex/kpc. The trend is a weighted line through the gradients of
the bins with enough members, against bin age.

The reduction has three steps, so that the catalogue is never gathered in one place:

1. per partition, :func:`partition_groups` turns the members of one (selection, potential, R0, v0, radius)
   into one :class:`AgeBinGroup` per age bin: the members' compact arrays (source_id, age, R, R error,
   [Fe/H], [Fe/H] error; 48 bytes a star) sorted canonically, and an integer histogram of their
   error-expanded ages on a fine grid;
2. :func:`combine_groups` merges two such dicts (concatenate and re-sort the members, add the histograms).
   It is associative and commutative *exactly*: the result is the canonically sorted multiset of members
   whatever the partitioning or the shape of the reduction tree, so the fits are bit-identical for 1 or
   7 partitions;
3. :func:`gradient_table` fits every bin and writes the rows of ``OUT/gradients.csv``;
   :func:`trend_table` fits the trends and writes the rows of ``OUT/trends.csv``.

Error-expanded ages (the x error bars): each member's age is drawn ``n_draws`` times from its G function
(the linearly interpolated G on the isochrone age grid, used as a density in linear age; inverse CDF), with
uniforms from :mod:`mwdisk.rng` keyed by (seed, source_id, draw number), so a star's draws do not depend on
the partitioning. The 16th and 84th percentiles of the pooled draws of a bin's members are
``age_err_lo_gyr`` and ``age_err_hi_gyr`` (ages, not offsets); they are read from the summed fine histogram
(0.01 Gyr bins by default, linear within a bin).

Examples
--------
>>> import numpy as np
>>> edges = age_bin_edges()
>>> edges[:3]
array([1.  , 2.25, 3.5 ])
>>> assign_age_bins(np.array([0.9, 1.0, 2.25, 12.2, 12.25]), edges)
array([-1,  0,  1,  8, -1])
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from mwdisk.odr import ERROR_MODELS, MIN_POINTS, LineFit, fit_line_models, weighted_line
from mwdisk.rng import STREAM_AGE_EXPANSION, star_keys, uniforms

__all__ = [
    "AGE_BIN_LO_GYR",
    "AGE_BIN_HI_GYR",
    "AGE_BIN_WIDTH_GYR",
    "HIST_EDGES_GYR",
    "DEFAULT_GRADIENT_PARAMS",
    "GROUP_KEY_FIELDS",
    "GRADIENT_COLUMNS",
    "TREND_COLUMNS",
    "AgeBinGroup",
    "age_bin_edges",
    "age_hist_edges",
    "error_model_order",
    "assign_age_bins",
    "inverse_cdf_ages",
    "expanded_ages",
    "draw_bin_index",
    "histogram_percentiles",
    "partition_groups",
    "combine_groups",
    "fit_bin",
    "fit_trend",
    "gradient_table",
    "trend_table",
]

logger = logging.getLogger(__name__)

#: Age bins [PAPER]: 1.25 Gyr wide from 1 to 12.25 Gyr (nine bins).
AGE_BIN_LO_GYR = 1.0
AGE_BIN_HI_GYR = 12.25
AGE_BIN_WIDTH_GYR = 1.25

#: Fine grid for the histogram of error-expanded ages [CHOICE]: 0 to 15 Gyr in 0.01 Gyr bins.
HIST_EDGES_GYR = np.linspace(0.0, 15.0, 1501)  # == age_hist_edges(0.01, 15.0)

#: Defaults of every gradient parameter (METHOD.md section 6), keyed as in the YAML's ``gradients:`` block.
DEFAULT_GRADIENT_PARAMS: dict[str, object] = {
    "age_min_gyr": AGE_BIN_LO_GYR,  # [PAPER] bins [lo, hi) from here ...
    "age_max_gyr": AGE_BIN_HI_GYR,  # [PAPER] ... to here ...
    "bin_width_gyr": AGE_BIN_WIDTH_GYR,  # [PAPER] ... this wide
    "min_stars": 50,  # [CHOICE] smaller bins are fitted and reported but left out of the trends
    "error_model": "scatter",  # [CHOICE] default model (written first); the other one is written beside it
    "scatter_passes": 3,  # [RECONSTRUCTED] scatter-update passes of the scatter-aware model
    "expanded_ages_per_star": 20,  # [CHOICE] error-expanded age draws per member (x error bars)
    "age_hist_step_gyr": 0.01,  # [CHOICE] fine histogram of the draws: 0 to age_hist_max_gyr in these steps
    "age_hist_max_gyr": 15.0,
    "age_err_percentiles": [16.0, 84.0],  # [PAPER] the 68 % range of the expanded ages
    "trend_age": "mid",  # [CHOICE] trend abscissa: "mid" (bin centre) or "median" (members' median age)
}

#: Fields of a group key, followed by the age-bin index: (selection, potential, R0_kpc, v0_kms, radius, bin).
GROUP_KEY_FIELDS = ("selection", "potential", "R0_kpc", "v0_kms", "radius")

#: Columns of ``OUT/gradients.csv``, in order.
GRADIENT_COLUMNS = (
    "selection",
    "potential",
    "R0_kpc",
    "v0_kms",
    "radius",
    "error_model",
    "bin_lo_gyr",
    "bin_hi_gyr",
    "age_mid_gyr",
    "age_median_gyr",
    "age_err_lo_gyr",
    "age_err_hi_gyr",
    "n_stars",
    "slope_dex_per_kpc",
    "slope_err_dex_per_kpc",
    "intercept_dex",
    "scatter_dex",
)

#: Columns of ``OUT/trends.csv``, in order.
TREND_COLUMNS = (
    "selection",
    "potential",
    "R0_kpc",
    "v0_kms",
    "radius",
    "error_model",
    "slope_dex_per_kpc_per_gyr",
    "slope_err_dex_per_kpc_per_gyr",
    "gradient_youngest_dex_per_kpc",
)

#: Extra columns written by ``gradient_table(..., diagnostics=True)``.
_DIAGNOSTIC_COLUMNS = ("in_trend", "converged", "intercept_err_dex", "res_var", "n_rejected", "n_age_draws")

_MEMBER_FIELDS = ("source_id", "age_gyr", "radius_kpc", "radius_err_kpc", "feh", "feh_err")


# ---------------------------------------------------------------------------------------------- age bins
def age_bin_edges(
    lo_gyr: float = AGE_BIN_LO_GYR, hi_gyr: float = AGE_BIN_HI_GYR, width_gyr: float = AGE_BIN_WIDTH_GYR
) -> np.ndarray:
    """Edges lo, lo + w, ..., hi of the age bins, computed as lo + k w (exact for the defaults).

    Raises
    ------
    ValueError
        When (hi - lo) is not a whole number of widths.
    """
    n = (hi_gyr - lo_gyr) / width_gyr
    k = int(round(n))
    if k < 1 or abs(n - k) > 1e-9:
        raise ValueError(
            f"age bins from {lo_gyr} to {hi_gyr} Gyr are not a whole number of {width_gyr} Gyr widths "
            f"({n:g}); choose edges such as 1, 12.25 and width 1.25"
        )
    return lo_gyr + width_gyr * np.arange(k + 1, dtype=np.float64)


def age_hist_edges(step_gyr: float = 0.01, max_gyr: float = 15.0) -> np.ndarray:
    """Edges of the fine histogram of error-expanded ages: 0 to ``max_gyr`` in ``step_gyr`` steps."""
    n = int(round(max_gyr / step_gyr))
    if n < 1 or abs(n * step_gyr - max_gyr) > 1e-9 * max_gyr:
        raise ValueError(
            f"age_hist_max_gyr = {max_gyr} is not a whole number of age_hist_step_gyr = {step_gyr}; "
            f"use e.g. 15.0 and 0.01"
        )
    return np.linspace(0.0, max_gyr, n + 1)


def error_model_order(default: str = "scatter") -> tuple[str, ...]:
    """Both error models, the configured default first (the order of the rows in the tables)."""
    if default not in ERROR_MODELS:
        raise ValueError(f"error_model = {default!r}; use one of {ERROR_MODELS}")
    return (default, *[m for m in ERROR_MODELS if m != default])


def assign_age_bins(age_gyr: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Index of the half-open bin [edges[i], edges[i+1]) holding each age; -1 outside or NaN.

    An age exactly on an inner edge goes to the bin that starts there (2.25 Gyr -> [2.25, 3.5)); the upper
    end of the last bin is excluded.
    """
    age = np.asarray(age_gyr, dtype=np.float64)
    idx = np.searchsorted(edges, age, side="right") - 1
    bad = (idx < 0) | (idx >= len(edges) - 1) | ~np.isfinite(age)
    return np.where(bad, -1, idx).astype(np.int64)


# ------------------------------------------------------------------------------- error-expanded ages
@numba.njit(cache=True)
def _inverse_cdf(g, grid, u, out):
    n, m = g.shape
    k = u.shape[1]
    cum = np.empty(m)
    for i in range(n):
        cum[0] = 0.0
        ok = True
        for j in range(m - 1):
            g0 = g[i, j]
            g1 = g[i, j + 1]
            if not (g0 >= 0.0 and g1 >= 0.0):  # NaN or negative
                ok = False
                break
            cum[j + 1] = cum[j] + 0.5 * (g0 + g1) * (grid[j + 1] - grid[j])
        total = cum[m - 1]
        if not ok or not (total > 0.0) or not np.isfinite(total):
            for d in range(k):
                out[i, d] = np.nan
            continue
        for d in range(k):
            r = u[i, d] * total
            # largest j with cum[j] < r: segment j has positive area and cum[j] < r <= cum[j+1]
            lo = 0
            hi = m - 1
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if cum[mid] < r:
                    lo = mid
                else:
                    hi = mid
            j = lo
            dt = grid[j + 1] - grid[j]
            g0 = g[i, j]
            c = (g[i, j + 1] - g0) / dt
            rr = r - cum[j]
            disc = g0 * g0 + 2.0 * c * rr
            if disc < 0.0:
                disc = 0.0
            den = g0 + np.sqrt(disc)
            s = 2.0 * rr / den if den > 0.0 else dt
            if s > dt:
                s = dt
            out[i, d] = grid[j] + s


def _check_g(g, age_grid_gyr):
    g = np.ascontiguousarray(g, dtype=np.float64)
    grid = np.ascontiguousarray(age_grid_gyr, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0):
        raise ValueError(
            f"age_grid_gyr must be 1-D, strictly increasing, with >= 2 ages; got shape {grid.shape}"
        )
    if g.ndim != 2 or g.shape[1] != grid.size:
        raise ValueError(
            f"g has shape {g.shape}; it must be (n_stars, {grid.size}): one G value per star and grid age"
        )
    return g, grid


def inverse_cdf_ages(g: np.ndarray, age_grid_gyr: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Ages whose CDF under each star's linearly interpolated G equals ``u``.

    G is read as a density in linear age, linear between grid ages and zero outside the grid; its CDF is
    piecewise quadratic and is inverted exactly within the segment.

    Parameters
    ----------
    g : array of float, shape (n, n_age)
        Each star's G function on the grid (any normalisation; max G = 1 by convention).
    age_grid_gyr : array of float, shape (n_age,)
        Strictly increasing grid ages in Gyr.
    u : array of float, shape (n, k)
        Numbers in (0, 1).

    Returns
    -------
    array of float, shape (n, k)
        Ages in Gyr; NaN for a star whose G has a NaN, a negative value or zero integral.
    """
    g, grid = _check_g(g, age_grid_gyr)
    u = np.ascontiguousarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[0] != g.shape[0]:
        raise ValueError(f"u has shape {u.shape}; it must be (n_stars={g.shape[0]}, k)")
    out = np.empty(u.shape, dtype=np.float64)
    _inverse_cdf(g, grid, u, out)
    return out


def expanded_ages(
    g: np.ndarray, age_grid_gyr: np.ndarray, source_id: np.ndarray, seed: int, n_draws: int = 20
) -> np.ndarray:
    """Error-expanded ages: ``n_draws`` draws per star from its G function, independent of partitioning.

    Draw j of a star is the inverse CDF (:func:`inverse_cdf_ages`) of the uniform number
    ``mwdisk.rng.uniforms(star_keys(seed, source_id), STREAM_AGE_EXPANSION, n_draws)[:, j]``: a hash of
    (seed, source_id, stream, j), so the same star gets the same draws in any partition.

    Parameters
    ----------
    g : array of float, shape (n, n_age)
        The stars' G functions on ``age_grid_gyr``.
    age_grid_gyr : array of float, shape (n_age,)
        The isochrone grid ages, Gyr.
    source_id : array of int, shape (n,)
        The stars' keys.
    seed : int
        The run's global seed (config ``run.seed``).
    n_draws : int
        Draws per star (default 20, config ``gradients.n_age_draws``).

    Returns
    -------
    array of float, shape (n, n_draws)
        Ages in Gyr (NaN rows for stars without a usable G).
    """
    if int(n_draws) < 1:
        raise ValueError(f"n_draws = {n_draws}; draw at least one age per star (default 20)")
    keys = star_keys(seed, np.asarray(source_id))
    u = uniforms(keys, STREAM_AGE_EXPANSION, int(n_draws))
    return inverse_cdf_ages(g, age_grid_gyr, u)


def draw_bin_index(draws_gyr: np.ndarray, hist_edges: np.ndarray = HIST_EDGES_GYR) -> np.ndarray:
    """Index of each draw in the fine histogram [edges[i], edges[i+1]); -1 for NaN or out of range.

    Compute it once per partition and pass it to :func:`partition_groups` for every selection. int16 when
    the grid has fewer than 32767 bins (40 bytes a star for 20 draws), else int32.
    """
    d = np.asarray(draws_gyr, dtype=np.float64)
    edges = np.asarray(hist_edges, dtype=np.float64)
    nb = edges.size - 1
    idx = np.searchsorted(edges, d, side="right") - 1
    idx[(idx >= nb) | ~np.isfinite(d)] = -1
    return idx.astype(np.int16 if nb < 32767 else np.int32)


def histogram_percentiles(counts: np.ndarray, hist_edges: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Percentiles ``q`` (0-100) of the values histogrammed in ``counts``, linear within a bin.

    Returns NaN for an empty histogram.
    """
    counts = np.asarray(counts, dtype=np.int64)
    edges = np.asarray(hist_edges, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    total = int(counts.sum())
    if total == 0:
        return np.full(q.shape, np.nan)
    cum = np.cumsum(counts)
    target = q / 100.0 * total
    # first bin whose cumulative count reaches the target (skips empty bins)
    i = np.clip(np.searchsorted(cum, target, side="left"), 0, counts.size - 1)
    before = np.where(i > 0, cum[np.maximum(i - 1, 0)], 0)
    frac = np.clip((target - before) / np.maximum(counts[i], 1), 0.0, 1.0)
    return edges[i] + frac * (edges[i + 1] - edges[i])


# --------------------------------------------------------------------------------- the reduction
@dataclass(frozen=True, eq=False)
class AgeBinGroup:
    """Members of one (selection, potential, R0, v0, radius, age bin), canonically sorted.

    Attributes
    ----------
    source_id : int64 array
    age_gyr : float64 array
        Maximum-likelihood (mode) ages that put the stars in this bin.
    radius_kpc, radius_err_kpc : float64 arrays
        R_g (or R_present) and its Monte-Carlo standard deviation.
    feh, feh_err : float64 arrays
        [Fe/H] and its error, dex.
    age_hist : int64 array
        Counts of the members' error-expanded age draws on the fine grid.
    n_rejected : int
        Stars that fell in this bin but could not be fitted (NaN radius or [Fe/H], error <= 0 or NaN).
    """

    source_id: np.ndarray
    age_gyr: np.ndarray
    radius_kpc: np.ndarray
    radius_err_kpc: np.ndarray
    feh: np.ndarray
    feh_err: np.ndarray
    age_hist: np.ndarray
    n_rejected: int = 0

    @property
    def n(self) -> int:
        """Number of members."""
        return int(self.source_id.shape[0])

    def sorted(self) -> AgeBinGroup:
        """The same members in canonical order: by source_id, ties broken by every other field."""
        order = np.lexsort(
            (self.feh_err, self.feh, self.radius_err_kpc, self.radius_kpc, self.age_gyr, self.source_id)
        )
        return AgeBinGroup(
            *(getattr(self, f)[order] for f in _MEMBER_FIELDS),
            age_hist=self.age_hist,
            n_rejected=self.n_rejected,
        )

    def merge(self, other: AgeBinGroup) -> AgeBinGroup:
        """Union of the members (canonically sorted) and sum of the histograms."""
        if other.age_hist.shape != self.age_hist.shape:
            raise ValueError(
                f"cannot merge age histograms of {self.age_hist.size} and {other.age_hist.size} bins; "
                f"every partition must use the same hist_edges"
            )
        merged = AgeBinGroup(
            *(np.concatenate([getattr(self, f), getattr(other, f)]) for f in _MEMBER_FIELDS),
            age_hist=self.age_hist + other.age_hist,
            n_rejected=self.n_rejected + other.n_rejected,
        )
        return merged.sorted()


def partition_groups(
    key_prefix: tuple,
    source_id: np.ndarray,
    age_gyr: np.ndarray,
    radius_kpc: np.ndarray,
    radius_err_kpc: np.ndarray,
    feh: np.ndarray,
    feh_err: np.ndarray,
    draw_bins: np.ndarray,
    *,
    edges: np.ndarray | None = None,
    n_hist: int = HIST_EDGES_GYR.size - 1,
) -> dict[tuple, AgeBinGroup]:
    """Split the selected stars of one partition into age-bin groups (step 1 of the reduction).

    Parameters
    ----------
    key_prefix : tuple
        (selection, potential, R0_kpc, v0_kms, radius), see :data:`GROUP_KEY_FIELDS`; the age-bin index is
        appended to make each group's key. Use ``"none"`` as potential for R_present.
    source_id, age_gyr, radius_kpc, radius_err_kpc, feh, feh_err : arrays, shape (n,)
        The selected stars only (apply the selection mask first): keys, mode ages in Gyr, R_g or
        R_present and its MC std in kpc, [Fe/H] and its error in dex.
    draw_bins : int array, shape (n, n_draws)
        :func:`draw_bin_index` of the stars' error-expanded ages.
    edges : array of float, optional
        Age-bin edges (default :func:`age_bin_edges`).
    n_hist : int
        Number of bins of the fine histogram (``len(hist_edges) - 1``).

    Returns
    -------
    dict
        ``key_prefix + (bin_index,)`` -> :class:`AgeBinGroup`, only for bins with at least one star.
        Stars with unusable radius or [Fe/H] values are counted in ``n_rejected`` and contribute neither
        members nor age draws.
    """
    if len(key_prefix) != len(GROUP_KEY_FIELDS):
        raise ValueError(f"key_prefix = {key_prefix!r}; it must be a tuple {GROUP_KEY_FIELDS}")
    edges = age_bin_edges() if edges is None else np.asarray(edges, dtype=np.float64)
    sid = np.asarray(source_id).astype(np.int64, copy=False)
    cols = [np.asarray(a, dtype=np.float64) for a in (age_gyr, radius_kpc, radius_err_kpc, feh, feh_err)]
    n = sid.shape[0]
    draw_bins = np.asarray(draw_bins)
    if draw_bins.ndim != 2 or draw_bins.shape[0] != n or any(c.shape != (n,) for c in cols):
        raise ValueError(
            f"partition_groups: every array must have {n} rows (source_id); got "
            f"{[c.shape for c in cols]} and draw_bins {draw_bins.shape}"
        )
    age, r, r_err, y, y_err = cols
    b = assign_age_bins(age, edges)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(r) & np.isfinite(y) & np.isfinite(r_err) & np.isfinite(y_err)
        usable &= (r_err > 0) & (y_err > 0)
    out: dict[tuple, AgeBinGroup] = {}
    for k in np.unique(b[b >= 0]):
        in_bin = b == k
        m = in_bin & usable
        idx = draw_bins[m].ravel()
        hist = np.bincount(idx[idx >= 0].astype(np.int64), minlength=n_hist).astype(np.int64)
        if hist.size != n_hist:
            raise ValueError(
                f"draw_bins has index {hist.size - 1} >= n_hist = {n_hist}; pass n_hist = len(hist_edges) - 1"
            )
        group = AgeBinGroup(
            sid[m],
            age[m],
            r[m],
            r_err[m],
            y[m],
            y_err[m],
            age_hist=hist,
            n_rejected=int(in_bin.sum() - m.sum()),
        )
        out[(*key_prefix, int(k))] = group.sorted()
    return out


def combine_groups(
    a: Mapping[tuple, AgeBinGroup], b: Mapping[tuple, AgeBinGroup]
) -> dict[tuple, AgeBinGroup]:
    """Merge two dicts of groups (step 2 of the reduction); associative and commutative exactly.

    Groups under the same key are merged with :meth:`AgeBinGroup.merge`; the inputs are not modified.
    """
    out = dict(a)
    for key, g in b.items():
        out[key] = out[key].merge(g) if key in out else g
    return out


# ------------------------------------------------------------------------------------------ fits
def fit_bin(
    group: AgeBinGroup, *, error_models: Sequence[str] = ERROR_MODELS, n_pass: int = 3
) -> dict[str, LineFit] | None:
    """ODR fits of [Fe/H] against radius for one group, per error model; None below 3 members."""
    if group.n < MIN_POINTS:
        return None
    return fit_line_models(
        group.radius_kpc,
        group.feh,
        group.radius_err_kpc,
        group.feh_err,
        error_models=tuple(error_models),
        n_pass=n_pass,
    )


def fit_trend(
    age_gyr: np.ndarray, slope: np.ndarray, slope_err: np.ndarray, used: np.ndarray
) -> tuple[float, float, float]:
    """Weighted line of gradient against bin age through the ``used`` bins.

    Returns
    -------
    (slope, slope_err, youngest) : floats
        Trend in dex/kpc/Gyr (its error inflated by the reduced chi^2 when above 1, see
        :func:`mwdisk.odr.weighted_line`; NaN with fewer than 3 bins), and the gradient of the youngest used
        bin (NaN with no used bin).
    """
    age = np.asarray(age_gyr, dtype=np.float64)[used]
    s = np.asarray(slope, dtype=np.float64)[used]
    e = np.asarray(slope_err, dtype=np.float64)[used]
    youngest = float(s[np.argmin(age)]) if s.size else np.nan
    if s.size < 2:
        return np.nan, np.nan, youngest
    fit = weighted_line(age, s, e)
    return fit.slope, fit.slope_err, youngest


def gradient_table(
    groups: Mapping[tuple, AgeBinGroup],
    *,
    edges: np.ndarray | None = None,
    hist_edges: np.ndarray = HIST_EDGES_GYR,
    min_members: int = 50,
    error_models: Sequence[str] = ERROR_MODELS,
    n_pass: int = 3,
    percentiles: Sequence[float] = (16.0, 84.0),
    diagnostics: bool = False,
) -> pd.DataFrame:
    """Fit every age bin of every group and return the rows of ``OUT/gradients.csv`` (step 3).

    Every bin of every key prefix present is reported, with ``n_stars`` = 0 and NaN values where no star fell
    in it, and NaN fits below 3 members. Bins with fewer than ``min_members`` stars are fitted and reported
    but left out of :func:`trend_table` (which reads ``n_stars``).

    Parameters
    ----------
    groups : mapping
        The combined result of :func:`partition_groups` / :func:`combine_groups`.
    edges : array of float, optional
        Age-bin edges used to build the groups (default :func:`age_bin_edges`).
    hist_edges : array of float
        Edges of the fine age histogram used to build the groups.
    min_members : int
        Smallest bin that counts in a trend (default 50); reported in the ``in_trend`` diagnostic.
    error_models : sequence of str
        Error models to fit, one row each (default both, ``"scatter"`` first).
    n_pass : int
        Scatter-update passes (default 3).
    percentiles : pair of float
        Percentiles of the expanded ages written as ``age_err_lo_gyr`` / ``age_err_hi_gyr``.
    diagnostics : bool
        Add the columns ``in_trend``, ``converged``, ``intercept_err_dex``, ``res_var``, ``n_rejected``,
        ``n_age_draws`` after the canonical ones (default False: exactly :data:`GRADIENT_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GRADIENT_COLUMNS`, sorted by key prefix, error model (in the given order) and bin.
        ``slope_err_dex_per_kpc`` is ODRPACK's ``sd_beta``; ``scatter_dex`` the intrinsic [Fe/H] scatter about
        the fitted line (:attr:`mwdisk.odr.LineFit.scatter`); ``age_median_gyr`` the median of the members'
        mode ages; ``age_err_lo_gyr`` / ``age_err_hi_gyr`` percentiles of their expanded ages.

    Notes
    -----
    Key prefixes are independent: the groups of each prefix can be fitted on a different worker and the
    tables concatenated (rows are identical to a single call).
    """
    edges = age_bin_edges() if edges is None else np.asarray(edges, dtype=np.float64)
    for m in error_models:
        if m not in ERROR_MODELS:
            raise ValueError(f"error model {m!r} unknown; use {ERROR_MODELS}")
    prefixes = sorted({k[:-1] for k in groups}, key=repr)
    rows = []
    for prefix in prefixes:
        per_bin = []
        for k in range(edges.size - 1):
            g = groups.get((*prefix, k))
            if g is None or g.n == 0:
                stats = {
                    "age_median_gyr": np.nan,
                    "age_err_lo_gyr": np.nan,
                    "age_err_hi_gyr": np.nan,
                    "n_stars": 0,
                }
                n_rej = 0 if g is None else g.n_rejected
                n_draws = 0 if g is None else int(g.age_hist.sum())
            else:
                lo, hi = histogram_percentiles(g.age_hist, hist_edges, percentiles)
                stats = {
                    "age_median_gyr": float(np.median(g.age_gyr)),
                    "age_err_lo_gyr": float(lo),
                    "age_err_hi_gyr": float(hi),
                    "n_stars": g.n,
                }
                n_rej, n_draws = g.n_rejected, int(g.age_hist.sum())
            fits = None if g is None else fit_bin(g, error_models=error_models, n_pass=n_pass)
            per_bin.append((k, fits, stats, n_rej, n_draws))
        for model in error_models:
            for k, fits, stats, n_rej, n_draws in per_bin:
                fit = None if fits is None else fits[model]
                row = dict(zip(GROUP_KEY_FIELDS, prefix))
                row.update(
                    error_model=model,
                    bin_lo_gyr=float(edges[k]),
                    bin_hi_gyr=float(edges[k + 1]),
                    age_mid_gyr=float(0.5 * (edges[k] + edges[k + 1])),
                    **stats,
                    slope_dex_per_kpc=np.nan if fit is None else fit.slope,
                    slope_err_dex_per_kpc=np.nan if fit is None else fit.slope_err,
                    intercept_dex=np.nan if fit is None else fit.intercept,
                    scatter_dex=np.nan if fit is None else fit.scatter,
                )
                if diagnostics:
                    row.update(
                        in_trend=bool(
                            fit is not None and stats["n_stars"] >= min_members and _usable_fit(fit)
                        ),
                        converged=bool(fit is not None and fit.converged),
                        intercept_err_dex=np.nan if fit is None else fit.intercept_err,
                        res_var=np.nan if fit is None else fit.res_var,
                        n_rejected=n_rej,
                        n_age_draws=n_draws,
                    )
                rows.append(row)
    columns = list(GRADIENT_COLUMNS) + (list(_DIAGNOSTIC_COLUMNS) if diagnostics else [])
    df = pd.DataFrame(rows, columns=columns)
    return df.astype({"n_stars": "int64"})


def _usable_fit(fit: LineFit) -> bool:
    return bool(np.isfinite(fit.slope) and np.isfinite(fit.slope_err) and fit.slope_err > 0)


def trend_table(gradients: pd.DataFrame, *, min_members: int = 50, trend_age: str = "mid") -> pd.DataFrame:
    """Trend of gradient against age for every (key prefix, error model) of a gradient table.

    A bin is used when ``n_stars >= min_members`` and its slope and (positive) slope error are finite.

    Parameters
    ----------
    gradients : pandas.DataFrame
        Output of :func:`gradient_table` (possibly concatenated over several calls).
    min_members : int
        Smallest bin used (default 50).
    trend_age : {"mid", "median"}
        Abscissa: the bin centre ``age_mid_gyr`` (default) or the members' median age ``age_median_gyr``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TREND_COLUMNS`.
    """
    col = {"mid": "age_mid_gyr", "median": "age_median_gyr"}.get(trend_age)
    if col is None:
        raise ValueError(
            f"trend_age = {trend_age!r}; use 'mid' (bin centre) or 'median' (members' median age)"
        )
    keys = list(GROUP_KEY_FIELDS) + ["error_model"]
    rows = []
    for key, d in gradients.groupby(keys, sort=False, dropna=False):
        s = d["slope_dex_per_kpc"].to_numpy(dtype=np.float64)
        e = d["slope_err_dex_per_kpc"].to_numpy(dtype=np.float64)
        age = d[col].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            used = (d["n_stars"].to_numpy() >= min_members) & np.isfinite(s) & np.isfinite(e) & (e > 0)
            used &= np.isfinite(age)
        slope, err, youngest = fit_trend(age, s, e, used)
        row = dict(zip(keys, key))
        row.update(
            slope_dex_per_kpc_per_gyr=slope,
            slope_err_dex_per_kpc_per_gyr=err,
            gradient_youngest_dex_per_kpc=youngest,
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(TREND_COLUMNS))
