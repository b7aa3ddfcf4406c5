"""Fits of the age-bin groups and the tables they make: ``OUT/gradients.csv`` and ``OUT/trends.csv`` (step 3).

In each bin [Fe/H] = a + b R is fitted by orthogonal distance regression (:mod:`mwdisk.odr`) with both error
models; b is the gradient in dex/kpc. The trend is a weighted line through the gradients of the bins with
enough members, against bin age.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mwdisk.odr import ERROR_MODELS, MIN_POINTS, LineFit, fit_line_models, weighted_line

from .bins import HIST_EDGES_GYR, age_bin_edges
from .expansion import histogram_percentiles
from .groups import GROUP_KEY_FIELDS, AgeBinGroup

__all__ = [
    "GRADIENT_COLUMNS",
    "TREND_COLUMNS",
    "group_shards",
    "concat_gradient_tables",
    "fit_bin",
    "fit_trend",
    "gradient_table",
    "trend_table",
]

#: Columns naming a fitted line: the group key fields and the error model.
_LINE_KEY = (*GROUP_KEY_FIELDS, "error_model")

#: Columns of ``OUT/gradients.csv``, in order.
GRADIENT_COLUMNS = (
    *_LINE_KEY,
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
TREND_COLUMNS = (*_LINE_KEY, "slope_dex_per_kpc_per_gyr", "slope_err_dex_per_kpc_per_gyr",
                 "gradient_youngest_dex_per_kpc")

#: Extra columns written by ``gradient_table(..., diagnostics=True)``.
_DIAGNOSTIC_COLUMNS = ("in_trend", "converged", "intercept_err_dex", "res_var", "n_rejected", "n_age_draws")


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
    prefixes = sorted({k[:-1] for k in groups}, key=_prefix_order)
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
                row = dict(zip(GROUP_KEY_FIELDS, prefix, strict=True))
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


def _prefix_order(prefix: tuple) -> str:
    """The order of key prefixes in :func:`gradient_table` and :func:`concat_gradient_tables`, and the name
    :func:`group_shards` hashes: the prefix's repr with Python scalars (numpy floats read back from a table
    print differently)."""
    sel, pot, r0, v0, radius = prefix
    return repr((str(sel), str(pot), float(r0), float(v0), str(radius)))


def group_shards(groups: Mapping[tuple, AgeBinGroup], n_shards: int) -> list[dict[tuple, AgeBinGroup]]:
    """Split groups into ``n_shards`` dicts by key prefix, each prefix whole in one shard.

    A prefix's shard is fixed by its name alone (a CRC of :func:`_prefix_order`), so every partition sends a
    prefix's groups to the same shard, and each shard can be reduced and fitted on its own worker.
    """
    import zlib

    if int(n_shards) < 1:
        raise ValueError(f"n_shards = {n_shards}; use at least 1")
    shards: list[dict[tuple, AgeBinGroup]] = [{} for _ in range(int(n_shards))]
    for key, g in groups.items():
        shards[zlib.crc32(_prefix_order(key[:-1]).encode()) % len(shards)][key] = g
    return shards


def concat_gradient_tables(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Rows of :func:`gradient_table` calls on disjoint key prefixes, in the order of one call on all of them.

    Within a prefix a table's row order (error model, then bin) is kept; prefixes are ordered as
    :func:`gradient_table` orders them, so the result equals one call on the union of the groups.
    """
    tables = [t for t in tables if len(t)]
    if not tables:
        return pd.DataFrame(columns=list(GRADIENT_COLUMNS)).astype({"n_stars": "int64"})
    df = pd.concat(tables, ignore_index=True)
    key = [_prefix_order(p) for p in zip(*(df[f] for f in GROUP_KEY_FIELDS), strict=True)]
    order = sorted(range(len(df)), key=lambda i: key[i])  # stable: rows of one prefix keep their order
    return df.iloc[order].reset_index(drop=True)


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
        row = dict(zip(keys, key, strict=True))
        row.update(
            slope_dex_per_kpc_per_gyr=slope,
            slope_err_dex_per_kpc_per_gyr=err,
            gradient_youngest_dex_per_kpc=youngest,
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(TREND_COLUMNS))
