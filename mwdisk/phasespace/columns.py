"""Names of the phase-space outputs: the summarised quantities, the summary and the per-draw columns."""

from __future__ import annotations

__all__ = ["SUMMARY_COLUMNS", "DRAW_COLUMNS"]

#: Quantities summarised per star; each gives ``<name>`` (mean) and ``<name>_std`` columns.
_QUANTITIES = ("X_kpc", "Y_kpc", "Z_kpc", "R_kpc", "phi_rad", "vR_kms", "vphi_kms", "vz_kms", "Lz_kpckms")
#: Output columns of :func:`phasespace_summary`, in order.
SUMMARY_COLUMNS = tuple(c for q in _QUANTITIES for c in (q, q + "_std")) + ("R_present_kpc", "ps_flags")
#: Per-draw arrays returned by :func:`regenerate_draws`.
DRAW_COLUMNS = _QUANTITIES
