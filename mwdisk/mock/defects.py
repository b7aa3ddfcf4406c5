"""Data defects of the mock: the kinds of bad row (:data:`DEFECTS`) and how each one spoils an observed row.

Which rows are spoiled (``bad_fraction`` of :class:`~mwdisk.mock.options.MockOptions`) and the uniforms that
choose the kind and its values are drawn by :func:`~mwdisk.mock.generate.generate_partition`.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["DEFECTS"]

logger = logging.getLogger(__name__)

#: Defect kinds written to ``true_defect`` ("none" for a clean row).
DEFECTS = ("nan", "negative_parallax", "off_grid", "missing_rv")


def _apply_defects(rows: dict, sel: np.ndarray, kind_u: np.ndarray, val_u: np.ndarray) -> np.ndarray:
    """Apply one defect per selected row (kind chosen by ``kind_u``); return the ``true_defect`` labels."""
    labels = np.full(sel.size, "none", dtype=object)
    kind = np.minimum((kind_u * len(DEFECTS)).astype(int), len(DEFECTS) - 1)
    for j, name in enumerate(DEFECTS):
        m = sel & (kind == j)
        if not m.any():
            continue
        labels[m] = name
        if name == "nan":
            for c in ("teff_k", "logg", "feh", "afe"):
                rows[c][m] = np.nan
        elif name == "negative_parallax":
            rows["parallax_mas"][m] = -np.abs(rows["parallax_mas"][m]) - rows["parallax_error_mas"][m]
        elif name == "off_grid":  # a hot star no isochrone of the grid reaches
            rows["teff_k"][m] = 9000.0 + 6000.0 * val_u[m, 0]
            rows["logg"][m] = 4.0 + 0.5 * val_u[m, 1]
        else:
            rows["rv_kms"][m] = np.nan
            rows["rv_error_kms"][m] = np.nan
    return labels
