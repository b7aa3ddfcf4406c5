"""The Kroupa (2001) initial mass function: density, analytic cumulative, and exact mass in a segment.

The IMF is a three-piece power law ``xi(m) = k_i m**-alpha_i`` with ``alpha = 0.3`` below 0.08 Msun, ``1.3``
between 0.08 and 0.5 Msun and ``2.3`` above 0.5 Msun, continuous at the breaks (``k = 1, 0.08, 0.04``;
METHOD.md section 1). Only relative weights matter to the age kernel, so the normalisation is left at
``k_0 = 1`` and the cumulative is taken from ``m = 0`` (the lowest piece is integrable there; isochrones never
reach below ~0.1 Msun, so extending it below the nominal 0.01 Msun changes nothing).

The age kernel weights each isochrone segment by the IMF integrated over its initial-mass interval
(:func:`kroupa_segment_weight`). Along the giant branch those intervals are tiny (1e-8 to 1e-5 Msun), where
``C(m2) - C(m1)`` cancels catastrophically; :func:`kroupa_segment_weight` integrates each power-law piece with
``expm1``/``log1p`` so that the weight keeps full relative precision however narrow the segment.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = [
    "KROUPA_BREAKS_MSUN",
    "KROUPA_SLOPES",
    "KROUPA_COEFFS",
    "kroupa_xi",
    "kroupa_cumulative",
    "kroupa_segment_weight",
]

logger = logging.getLogger(__name__)

#: Mass breaks of the Kroupa (2001) IMF in Msun.
KROUPA_BREAKS_MSUN = (0.08, 0.5)
#: Power-law slopes alpha (xi proportional to m**-alpha) below, between and above the breaks.
KROUPA_SLOPES = (0.3, 1.3, 2.3)
#: Coefficients k_i making xi continuous at the breaks (k_0 = 1).
KROUPA_COEFFS = (1.0, 0.08, 0.04)


def _piece(m: np.ndarray) -> np.ndarray:
    """Index (0, 1, 2) of the power-law piece holding each mass."""
    return np.searchsorted(np.asarray(KROUPA_BREAKS_MSUN), m, side="right")


def kroupa_xi(mass_msun):
    """Kroupa (2001) IMF density ``xi(m)`` (unnormalised, ``xi(m) = m**-0.3`` below 0.08 Msun).

    Parameters
    ----------
    mass_msun : float or array_like
        Initial mass in Msun (> 0).

    Returns
    -------
    numpy.ndarray or float
        ``k_i m**-alpha_i`` on the piece holding each mass.

    Examples
    --------
    >>> bool(abs(kroupa_xi(0.5) - 0.08 * 0.5**-1.3) < 1e-12)  # continuous at the break
    True
    """
    m = np.asarray(mass_msun, dtype=float)
    i = _piece(m)
    k = np.asarray(KROUPA_COEFFS)[i]
    a = np.asarray(KROUPA_SLOPES)[i]
    out = k * m**-a
    return out if out.ndim else float(out)


def _piece_integral_from_zero_or_break(m: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Integral of piece ``i`` from its lower end (0, 0.08 or 0.5) to ``m``."""
    lows = np.array([0.0, *KROUPA_BREAKS_MSUN])
    k = np.asarray(KROUPA_COEFFS)[i]
    p = 1.0 - np.asarray(KROUPA_SLOPES)[i]
    return k / p * (m**p - lows[i] ** p)


def kroupa_cumulative(mass_msun):
    """Analytic cumulative ``C(m) = integral_0^m xi(m') dm'`` of :func:`kroupa_xi`, piecewise at the breaks.

    Parameters
    ----------
    mass_msun : float or array_like
        Initial mass in Msun (>= 0).

    Returns
    -------
    numpy.ndarray or float
        ``C(m)``; increasing and bounded (every piece is integrable, the top one at infinity).

    Notes
    -----
    For narrow mass intervals use :func:`kroupa_segment_weight`, not a difference of two ``C`` values.

    Examples
    --------
    >>> round(float(kroupa_cumulative(0.08)), 6) == round(0.08**0.7 / 0.7, 6)
    True
    """
    m = np.asarray(mass_msun, dtype=float)
    if np.any(m < 0):
        raise ValueError(f"negative initial mass {m[m < 0].ravel()[:3]} Msun; masses must be >= 0")
    i = _piece(m)
    below = np.array([0.0, 0.0, 0.0])
    below[1] = _piece_integral_from_zero_or_break(np.array(KROUPA_BREAKS_MSUN[0]), np.array(0))
    below[2] = below[1] + _piece_integral_from_zero_or_break(np.array(KROUPA_BREAKS_MSUN[1]), np.array(1))
    out = below[i] + _piece_integral_from_zero_or_break(m, i)
    return out if out.ndim else float(out)


def _power_integral(k: float, alpha: float, m1: np.ndarray, m2: np.ndarray) -> np.ndarray:
    """``integral_m1^m2 k m**-alpha dm`` for 0 < m1 <= m2 without cancellation.

    ``m2**p - m1**p = m1**p * expm1(p * log1p((m2 - m1) / m1))`` with ``p = 1 - alpha``.
    """
    p = 1.0 - alpha
    return k / p * m1**p * np.expm1(p * np.log1p((m2 - m1) / m1))


def kroupa_segment_weight(m1_msun, m2_msun):
    """IMF weight of a mass interval: ``integral_{m1}^{m2} xi(m) dm``, split at 0.08 and 0.5 Msun.

    Equal to ``kroupa_cumulative(m2) - kroupa_cumulative(m1)`` but exact to rounding for any interval width
    (each power-law piece is integrated with ``expm1``/``log1p``). Reversed intervals give the negative.

    Parameters
    ----------
    m1_msun, m2_msun : float or array_like
        Interval ends in Msun (> 0), broadcast together.

    Returns
    -------
    numpy.ndarray or float
        The weight (same sign as ``m2 - m1``).

    Examples
    --------
    >>> w = kroupa_segment_weight(0.4, 0.6)
    >>> bool(abs(w - (kroupa_cumulative(0.6) - kroupa_cumulative(0.4))) < 1e-14)
    True
    """
    a, b = np.broadcast_arrays(np.asarray(m1_msun, dtype=float), np.asarray(m2_msun, dtype=float))
    if np.any(a <= 0) or np.any(b <= 0):
        raise ValueError("initial masses must be > 0 Msun for the IMF weight; check the grid's mass column")
    sign = np.where(b >= a, 1.0, -1.0)
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    edges = (0.0, *KROUPA_BREAKS_MSUN, np.inf)
    out = np.zeros(lo.shape)
    for i in range(3):
        s = np.clip(lo, edges[i], edges[i + 1])
        e = np.clip(hi, edges[i], edges[i + 1])
        use = e > s
        if np.any(use):
            out[use] += _power_integral(KROUPA_COEFFS[i], KROUPA_SLOPES[i], s[use], e[use])
    out = sign * out
    return out if out.ndim else float(out)
