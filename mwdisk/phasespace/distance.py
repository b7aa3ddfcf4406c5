"""The paper's two-piece Gaussian distance on the Bailer-Jones 16th / 50th / 84th percentiles.

With ``distance_z_from_parallax = True`` the distance draw is driven by the standard normal of the star's own
parallax draw with its sign flipped (a larger parallax means a smaller distance); otherwise by independent
normals of the star's stream.
"""

from __future__ import annotations

import numba
import numpy as np

from .streams import _NORMALS_PER_DRAW

__all__ = ["two_piece_distance"]


@numba.njit(cache=True, inline="always")
def _two_piece(s, med, lo, hi):
    """Two-piece Gaussian on (lo, med, hi): s >= 0 uses the upper half-width, s < 0 the lower one."""
    if s >= 0.0:
        return med + s * (hi - med)
    return med + s * (med - lo)


@numba.njit(cache=True)
def _distance_draws(z, zd, use_zd, med, lo, hi, ok, out):
    """(m, n_draws) two-piece distances; driven by -z_parallax or by the independent normals zd."""
    m, n = out.shape
    for i in range(m):
        if not ok[i]:
            for j in range(n):
                out[i, j] = np.nan
            continue
        for j in range(n):
            s = zd[i, j] if use_zd else -z[i, _NORMALS_PER_DRAW * j]
            out[i, j] = _two_piece(s, med[i], lo[i], hi[i])


def two_piece_distance(s, med, lo, hi) -> np.ndarray:
    """The paper's two-piece Gaussian distance for standard normal(s) ``s``.

    ``r = med + |s| (hi - med)`` for ``s >= 0`` and ``r = med - |s| (med - lo)`` otherwise, so that ``lo``,
    ``med`` and ``hi`` are exactly the 16th, 50th and 84th percentiles when ``s ~ N(0, 1)``.
    """
    s, med, lo, hi = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (s, med, lo, hi)))
    return np.where(s >= 0.0, med + s * (hi - med), med + s * (med - lo))
