"""What a figure knows about the run besides its tables (:class:`FigureContext`), and the axis ranges.

The ranges of [Fe/H], [a/Fe], R_g and Z_max are shared by all figures when the context holds them
(:meth:`FigureContext.limit`), else taken from the values drawn (:func:`axis_limits`, :func:`zmax_limits`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mwdisk.selections import DEFAULT_SELECTION_PARAMS, resolve_params

__all__ = ["FigureContext", "axis_limits", "zmax_limits"]


@dataclass
class FigureContext:
    """What a figure needs to know about the run besides its tables.

    Attributes
    ----------
    potential, R0_kpc, v0_kms : str, float, float
        The run's default variant (rows of the tables for every figure but the sweep comparisons).
    error_model : str
        The configured default error model (``"scatter"`` or ``"naive"``).
    min_stars : int
        Smallest bin used in a trend (bins below it are drawn open).
    trend_age : str
        Trend abscissa, ``"mid"`` (``age_mid_gyr``) or ``"median"`` (``age_median_gyr``).
    selection_params : dict
        Resolved :data:`mwdisk.selections.DEFAULT_SELECTION_PARAMS` (division lines, Z_max edges).
    """

    potential: str = "mw14"
    R0_kpc: float = 8.27
    v0_kms: float = 236.0
    error_model: str = "scatter"
    min_stars: int = 50
    trend_age: str = "mid"
    selection_params: dict = field(default_factory=lambda: resolve_params(DEFAULT_SELECTION_PARAMS))
    limits: dict = field(default_factory=dict)

    def limit(self, name: str, values: np.ndarray | None = None, **kwargs) -> tuple[float, float]:
        """Axis range of quantity ``name`` (``feh``, ``afe``, ``rg``, ``zmax``): shared by all figures when
        set in ``limits``, else from ``values`` (:func:`axis_limits` or :func:`zmax_limits`)."""
        if name in self.limits:
            return self.limits[name]
        if name == "zmax":
            return zmax_limits(values if values is not None else np.array([]))
        return axis_limits(values if values is not None else np.array([]), **kwargs)

    @property
    def age_column(self) -> str:
        """Column of ``gradients.csv`` used as the abscissa of gradient-against-age plots."""
        return "age_median_gyr" if self.trend_age == "median" else "age_mid_gyr"

    @property
    def other_error_model(self) -> str:
        return "naive" if self.error_model == "scatter" else "scatter"


def axis_limits(values: np.ndarray, lo_q: float = 0.5, hi_q: float = 99.5, pad: float = 0.05,
                default: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float]:
    """Percentile range of the finite ``values`` padded by ``pad`` of its width (``default`` when empty)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return default
    lo, hi = np.percentile(v, [lo_q, hi_q])
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    w = hi - lo
    return float(lo - pad * w), float(hi + pad * w)


def zmax_limits(values: np.ndarray) -> tuple[float, float]:
    """Log-axis range of Z_max covering the data and the thin/thick-disk edges 0.25 and 2 kpc."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    lo, hi = (0.01, 5.0) if v.size == 0 else (float(np.percentile(v, 0.5)), float(np.percentile(v, 99.8)))
    return max(min(lo * 0.8, 0.05), 1e-3), max(hi * 1.25, 3.0)
