"""Per-star lower Cholesky factors of the Gaia 5x5 astrometric covariance, tolerant of PSD matrices.

The factors are taken in an internal order with the parallax first (:data:`_PERM`), so the parallax draw's
own standard normal is the first normal of the draw; a status code per star says whether the factor exists.
"""

from __future__ import annotations

import numba
import numpy as np

__all__: list[str] = []

#: Gaia order (ra*, dec, parallax, pmra, pmdec) -> internal order (parallax first: its Cholesky row is then
#: sigma_plx * z_0, so the parallax draw's own standard normal is z_0 exactly).
_PERM = np.array([2, 0, 1, 3, 4])

# status codes of the per-star Cholesky
_OK, _NON_PD, _NOT_FINITE = 0, 1, 2


@numba.njit(cache=True)
def _cholesky_batch(cov, L, status):
    """Lower Cholesky factors of (m, 5, 5) covariances, tolerating exactly/near-zero pivots (PSD)."""
    m = cov.shape[0]
    for i in range(m):
        st = _OK
        for a in range(5):
            for b in range(5):
                L[i, a, b] = 0.0
                if not np.isfinite(cov[i, a, b]):
                    st = _NOT_FINITE
            if cov[i, a, a] < 0.0:
                st = _NOT_FINITE
        if st != _OK:
            status[i] = st
            continue
        for j in range(5):
            s = cov[i, j, j]
            for k in range(j):
                s -= L[i, j, k] * L[i, j, k]
            tol = 1e-12 * cov[i, j, j]
            if s > tol:
                piv = np.sqrt(s)
                L[i, j, j] = piv
                for r in range(j + 1, 5):
                    t = cov[i, r, j]
                    for k in range(j):
                        t -= L[i, r, k] * L[i, j, k]
                    L[i, r, j] = t / piv
            elif s >= -tol:
                # zero pivot: the column must vanish too, else the matrix is not PSD
                for r in range(j + 1, 5):
                    t = cov[i, r, j]
                    for k in range(j):
                        t -= L[i, r, k] * L[i, j, k]
                    if abs(t) > 1e-6 * np.sqrt(abs(cov[i, r, r] * cov[i, j, j])):
                        st = _NON_PD
            else:
                st = _NON_PD
        status[i] = st
