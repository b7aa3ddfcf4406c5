"""Summaries of G functions on an age grid: mode, median, 68 % interval and the edge/multimodal flags.

:func:`summarize_G`: the mode (grid age of max G), the median of the linearly interpolated G, and the 68 %
interval, by default the 16th-84th percentiles of the linearly interpolated G (``interval="percentile"``),
or, as in the paper, the widest extent in age where the interpolated G >= ``interval_level`` (exp(-1/2) =
0.6065, the paper's "0.61"; ``interval="level"``). The level rule is exact only for a Gaussian G on a flat
prior; on real giants (skewed G, probability piled against the grid's edges) it covers 50-55 % of
asteroseismic ages where the percentiles of the same G cover 66-72 %. ``age_err_frac = (hi - lo) / (2 mode)``
feeds the 25 % cut. The EDGE_LO / EDGE_HI and MULTIMODAL flags always come from the level rule: an edge flag
means G is still above the level at the grid's first or last age.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["INTERVAL_LEVEL", "INTERVAL_PERCENTILES", "INTERVALS", "summarize_G"]

#: G >= exp(-1/2) bounds the 68 % interval (Jorgensen & Lindegren 2005; the paper quotes 0.61).
INTERVAL_LEVEL = math.exp(-0.5)
#: Default interval: these percentiles of the linearly interpolated G.
INTERVAL_PERCENTILES = (15.865525393145708, 84.13447460685429)
#: Interval rules: ``percentile`` (default) and ``level`` (the paper's).
INTERVALS = ("percentile", "level")


@numba.njit(cache=True, inline="always")
def _quantile(G, s, ages, cum, q):  # pragma: no cover - numba
    """Age below which a fraction ``q`` of the linearly interpolated G's area lies (``cum`` its
    cumulative)."""
    m = ages.size
    target = q * cum[m - 1]
    i = 0
    while i < m - 2 and cum[i + 1] < target:
        i += 1
    r = target - cum[i]
    h = ages[i + 1] - ages[i]
    g0 = G[s, i]
    slope = (G[s, i + 1] - g0) / h
    disc = g0 * g0 + 2.0 * slope * r
    if disc < 0.0:
        disc = 0.0
    den = g0 + math.sqrt(disc)
    x = 2.0 * r / den if den > 0.0 else 0.0
    if x > h:
        x = h
    return ages[i] + x


@numba.njit(cache=True)
def _summarize(G, ages, level, use_pct, q_lo, q_hi, mode, median, lo, hi, flags):  # pragma: no cover - numba
    n, m = G.shape
    cum = np.empty(m)
    for s in range(n):
        mode[s] = np.nan
        median[s] = np.nan
        lo[s] = np.nan
        hi[s] = np.nan
        gmax = 0.0
        imax = -1
        for i in range(m):
            if G[s, i] > gmax:
                gmax = G[s, i]
                imax = i
        if imax < 0 or not np.isfinite(gmax):
            continue
        mode[s] = ages[imax]
        if m == 1:
            median[s] = ages[0]
            lo[s] = ages[0]
            hi[s] = ages[0]
            flags[s] |= 3
            continue
        thr = level * gmax
        first = -1
        last = -1
        for i in range(m):
            if G[s, i] >= thr:
                if first < 0:
                    first = i
                last = i
        if first == 0:
            lo[s] = ages[0]
            flags[s] |= 1
        else:
            g0 = G[s, first - 1]
            g1 = G[s, first]
            lo[s] = ages[first - 1] + (thr - g0) / (g1 - g0) * (ages[first] - ages[first - 1])
        if last == m - 1:
            hi[s] = ages[m - 1]
            flags[s] |= 2
        else:
            g0 = G[s, last]
            g1 = G[s, last + 1]
            hi[s] = ages[last] + (g0 - thr) / (g0 - g1) * (ages[last + 1] - ages[last])
        for i in range(first + 1, last):
            if G[s, i] < thr:
                flags[s] |= 64
                break
        # median (and percentile interval) of the linearly interpolated G: trapezoid cumulative, exact
        # quadratic inversion inside the segment
        cum[0] = 0.0
        for i in range(1, m):
            cum[i] = cum[i - 1] + 0.5 * (G[s, i - 1] + G[s, i]) * (ages[i] - ages[i - 1])
        median[s] = _quantile(G, s, ages, cum, 0.5)
        if use_pct:
            lo[s] = _quantile(G, s, ages, cum, q_lo)
            hi[s] = _quantile(G, s, ages, cum, q_hi)


def summarize_G(G, ages_gyr, interval_level: float = INTERVAL_LEVEL, interval: str = "level",
                interval_percentiles=INTERVAL_PERCENTILES):
    """Mode, median, interval and edge flags of G functions on an age grid.

    Parameters
    ----------
    G : array_like, shape (n, n_age) or (n_age,)
        G functions (any positive scale; a row of zeros or NaNs gives NaN summaries).
    ages_gyr : array_like, shape (n_age,)
        Increasing grid ages.
    interval_level : float
        Fraction of max G bounding the interval with ``interval="level"`` (exp(-1/2) for 68 %, exp(-2) =
        0.135 for 95 %), and always the level of the edge and multimodal flags.
    interval : {"level", "percentile"}
        "level": the widest extent where G >= ``interval_level`` (the paper's rule). "percentile":
        ``interval_percentiles`` of the linearly interpolated G (what :func:`~.estimate.estimate_ages` uses
        by default).
    interval_percentiles : (float, float)
        Lower and upper percentiles for ``interval="percentile"`` (default 15.87, 84.13: 68 %).

    Returns
    -------
    dict of numpy.ndarray
        ``age_mode_gyr`` (grid age of the maximum, the first if tied), ``age_median_gyr`` (half the area of
        the linearly interpolated G), ``age_lo_gyr`` / ``age_hi_gyr`` (the interval: widest extent where
        the interpolated G >= level, a bound at the grid's end being that end; or the percentiles),
        ``age_err_frac = (hi - lo) / (2 mode)``, and ``age_flags`` with EDGE_LO, EDGE_HI, MULTIMODAL bits.

    Examples
    --------
    >>> out = summarize_G([0.0, 1.0, 0.0], [1.0, 2.0, 3.0])
    >>> float(out["age_mode_gyr"][0]), float(out["age_median_gyr"][0])
    (2.0, 2.0)
    >>> round(float(out["age_lo_gyr"][0]), 4), round(float(out["age_hi_gyr"][0]), 4)
    (1.6065, 2.3935)
    """
    G = np.atleast_2d(np.asarray(G, dtype=float))
    ages = np.asarray(ages_gyr, dtype=float)
    if G.shape[1] != ages.size:
        raise ValueError(f"G has {G.shape[1]} ages per star but ages_gyr has {ages.size}")
    if ages.size > 1 and np.any(np.diff(ages) <= 0):
        raise ValueError("ages_gyr must be strictly increasing")
    if not 0.0 < interval_level <= 1.0:
        raise ValueError(f"interval_level = {interval_level}; give a fraction in (0, 1] (default exp(-1/2))")
    if interval not in INTERVALS:
        raise ValueError(f"interval = {interval!r}; use one of {INTERVALS}")
    q_lo, q_hi = (float(q) / 100.0 for q in interval_percentiles)
    if not 0.0 <= q_lo < q_hi <= 1.0:
        raise ValueError(f"interval_percentiles = {tuple(interval_percentiles)}; give two increasing "
                         "percentiles in [0, 100] (default 15.87, 84.13)")
    n = G.shape[0]
    Gc = np.where(np.isfinite(G), G, 0.0)
    out = {k: np.empty(n) for k in ("age_mode_gyr", "age_median_gyr", "age_lo_gyr", "age_hi_gyr")}
    flags = np.zeros(n, np.int64)
    _summarize(np.ascontiguousarray(Gc), ages, float(interval_level), interval == "percentile", q_lo, q_hi,
               out["age_mode_gyr"],
               out["age_median_gyr"], out["age_lo_gyr"], out["age_hi_gyr"], flags)
    out["age_err_frac"] = (out["age_hi_gyr"] - out["age_lo_gyr"]) / (2.0 * out["age_mode_gyr"])
    out["age_flags"] = flags
    return out
