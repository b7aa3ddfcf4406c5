"""Bits of the ``ps_flags`` column of the phase-space stage (:class:`PhaseSpaceFlag`)."""

from __future__ import annotations

import enum

__all__ = ["PhaseSpaceFlag"]


class PhaseSpaceFlag(enum.IntFlag):
    """Bits of the ``ps_flags`` column. A flagged star keeps its row."""

    NO_RV = 1 << 0  #: rv or its error missing/negative: NaN velocities, L_z (positions are still drawn)
    BAD_ASTROMETRY = 1 << 1  #: ra, dec, proper motion or a covariance element not finite, or an error < 0
    BAD_DISTANCE = 1 << 2  #: Bailer-Jones percentiles missing, non-positive median or not lo <= med <= hi
    NON_PD_COVARIANCE = 1 << 3  #: the 5x5 Gaia covariance is not positive (semi-)definite
    DISTANCE_REDRAWN = 1 << 4  #: at least one non-positive distance draw was redrawn
