"""Age bins of the gradient fits and their defaults (METHOD.md section 6).

Half-open bins [lo, hi) of 1.25 Gyr from 1 to 12.25 Gyr by maximum-likelihood age; a mode exactly on an
inner edge goes to the bin that starts there. Also the fine grid on which the members' error-expanded ages
are histogrammed, and every gradient parameter's default as the YAML's ``gradients:`` block names it.
"""

from __future__ import annotations

import numpy as np

from mwdisk.odr import ERROR_MODELS

__all__ = [
    "AGE_BIN_LO_GYR",
    "AGE_BIN_HI_GYR",
    "AGE_BIN_WIDTH_GYR",
    "HIST_EDGES_GYR",
    "DEFAULT_GRADIENT_PARAMS",
    "age_bin_edges",
    "age_hist_edges",
    "error_model_order",
    "assign_age_bins",
]

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
    "reduce_shards": 0,  # shards of the cluster reduction, each fitted on its own worker (0: one per worker)
}


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
