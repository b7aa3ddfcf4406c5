"""Robust summary statistics of our ages (or orbits) against reference values, per group."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MAD_TO_SIGMA", "robust_offset_scatter", "age_comparison_table", "value_comparison_table"]

#: 1.4826 x median absolute deviation estimates a Gaussian sigma.
MAD_TO_SIGMA = 1.482602218505602


def robust_offset_scatter(diff) -> tuple[float, float, int]:
    """Median and 1.4826 x MAD of the finite values of ``diff``; (nan, nan, 0) when there are none.

    Examples
    --------
    >>> robust_offset_scatter([1.0, 2.0, 3.0, np.nan])
    (2.0, 1.482602218505602, 3)
    """
    d = np.asarray(diff, float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan"), float("nan"), 0
    med = float(np.median(d))
    return med, float(MAD_TO_SIGMA * np.median(np.abs(d - med))), int(d.size)


def age_comparison_table(ours_gyr, lo_gyr, hi_gyr, ref_gyr, groups, grid_range_gyr=(1.0, 14.5),
                         flags=None) -> pd.DataFrame:
    """Our ages against reference (asteroseismic) ages: one row per group and one for ``all``.

    Parameters
    ----------
    ours_gyr, lo_gyr, hi_gyr : array_like
        Our age (median of G) and 68 % interval.
    ref_gyr : array_like
        Reference ages.
    groups : array_like of str
        Group label per star (e.g. evolutionary state).
    grid_range_gyr : (float, float)
        The isochrone grid's age range: coverage is also given for reference ages inside it.
    flags : array_like of int, optional
        ``age_flags``: the share of stars flagged likely red clump (bit 32) is reported.

    Returns
    -------
    pandas.DataFrame
        ``group, n, n_age, median_offset_gyr`` (ours - reference), ``robust_scatter_gyr`` (1.4826 MAD),
        ``median_rel_offset``, ``robust_rel_scatter`` (of (ours - ref) / ref), ``coverage_68`` (share of
        reference ages inside our interval, over stars with an age), ``coverage_68_in_grid`` (the same for
        reference ages inside ``grid_range_gyr``), ``median_ours_gyr``, ``median_ref_gyr``,
        ``frac_likely_rc``.
    """
    ours, lo, hi, ref = (np.asarray(x, float) for x in (ours_gyr, lo_gyr, hi_gyr, ref_gyr))
    groups = np.asarray(groups).astype(str)
    fl = np.zeros(ours.size, np.int64) if flags is None else np.asarray(flags, np.int64)
    rows = []
    for g in [*sorted(set(groups)), "all"]:
        m = np.ones(ours.size, bool) if g == "all" else groups == g
        ok = m & np.isfinite(ours) & np.isfinite(ref)
        off, sc, n_age = robust_offset_scatter(ours[ok] - ref[ok])
        roff, rsc, _ = robust_offset_scatter((ours[ok] - ref[ok]) / ref[ok])
        inside = (lo[ok] <= ref[ok]) & (ref[ok] <= hi[ok])
        ing = (ref[ok] >= grid_range_gyr[0]) & (ref[ok] <= grid_range_gyr[1])
        rows.append({
            "group": g, "n": int(m.sum()), "n_age": n_age, "median_offset_gyr": off, "robust_scatter_gyr": sc,
            "median_rel_offset": roff, "robust_rel_scatter": rsc,
            "coverage_68": float(inside.mean()) if n_age else float("nan"),
            "coverage_68_in_grid": float(inside[ing].mean()) if ing.any() else float("nan"),
            "median_ours_gyr": float(np.median(ours[ok])) if n_age else float("nan"),
            "median_ref_gyr": float(np.median(ref[ok])) if n_age else float("nan"),
            "frac_likely_rc": float(np.mean((fl[m] & 32) > 0)) if m.any() else float("nan"),
        })
    return pd.DataFrame(rows)


def value_comparison_table(pairs: dict[str, tuple], label: str = "") -> pd.DataFrame:
    """Ours against published values for several quantities: one row per quantity.

    Parameters
    ----------
    pairs : dict
        ``name -> (ours, theirs)`` arrays.
    label : str
        Written in a ``variant`` column.

    Returns
    -------
    pandas.DataFrame
        ``variant, quantity, n, median_diff`` (ours - theirs), ``robust_scatter_diff``, ``median_ratio``,
        ``robust_scatter_ratio``, ``frac_within_10pct``.
    """
    rows = []
    for name, (a, b) in pairs.items():
        a, b = np.asarray(a, float), np.asarray(b, float)
        ok = np.isfinite(a) & np.isfinite(b)
        d, sd, n = robust_offset_scatter(a[ok] - b[ok])
        with np.errstate(divide="ignore", invalid="ignore"):
            r = a[ok] / b[ok]
        rm, rs, _ = robust_offset_scatter(r)
        rows.append({"variant": label, "quantity": name, "n": n, "median_diff": d, "robust_scatter_diff": sd,
                     "median_ratio": rm, "robust_scatter_ratio": rs,
                     "frac_within_10pct": float(np.mean(np.abs(r - 1) < 0.1)) if n else float("nan")})
    return pd.DataFrame(rows)
