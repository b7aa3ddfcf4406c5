"""Error-expanded ages: draws from each star's G function, the x error bars of the gradient plots.

Each member's age is drawn ``n_draws`` times from its G function (the linearly interpolated G on the isochrone
age grid, used as a density in linear age; inverse CDF), with uniforms from :mod:`mwdisk.rng` keyed by
(seed, source_id, draw number), so a star's draws do not depend on the partitioning. The draws are counted on
a fine histogram (:func:`draw_bin_index`), summed over partitions, and the 16th and 84th percentiles of a
bin's pooled draws (:func:`histogram_percentiles`, linear within a fine bin) are ``age_err_lo_gyr`` and
``age_err_hi_gyr``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

from mwdisk.rng import STREAM_AGE_EXPANSION, star_keys, uniforms

from .bins import HIST_EDGES_GYR

__all__ = [
    "inverse_cdf_ages",
    "expanded_ages",
    "draw_bin_index",
    "histogram_percentiles",
]

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
