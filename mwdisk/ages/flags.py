"""Age flags and the red-clump box: the bits of the ``age_flags`` column and where LIKELY_RC is set.

DSEP isochrones stop at the RGB tip, so a core-helium-burning star (red clump, metal-rich horizontal branch)
is fitted on the RGB it is confused with; :class:`RCBox` marks where such stars sit and :func:`_rc_mask`
selects the stars inside it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

__all__ = ["AgeFlag", "RCBox", "DEFAULT_RC_BOX"]


class AgeFlag(enum.IntFlag):
    """Bits of the ``age_flags`` column."""

    EDGE_LO = 1 << 0  #: the 68 % interval reaches the youngest grid age (an upper limit on youth: a limit)
    EDGE_HI = 1 << 1  #: the 68 % interval reaches the oldest grid age
    NO_ISOCHRONE = 1 << 2  #: no isochrone segment inside the star's window: G = 0, ages NaN
    BAD_INPUT = 1 << 3  #: a NaN input or a non-positive/NaN error: G = 0, ages NaN
    COMP_CLIPPED = 1 << 4  #: composition outside the grid's range, clipped to its edge before fitting
    LIKELY_RC = 1 << 5  #: in the red-clump / HB box (:class:`RCBox`): DSEP stops at the RGB tip
    MULTIMODAL = 1 << 6  #: G dips below the interval level inside the 68 % interval (several peaks)
    PARTIAL_OBS = 1 << 7  #: fitted without some observables it lacks (e.g. no G or no distance: Teff, log g)
    CHEB = 1 << 8  #: most of the posterior lies in core-helium burning (p_cheb >= 0.5; red clump / HB)


@dataclass(frozen=True)
class RCBox:
    """Where core-helium-burning stars (red clump, metal-rich horizontal branch) sit; DSEP has no such phase.

    A star with ``teff_min_k <= Teff <= teff_max_k``, ``logg_min <= log g <= logg_max`` and ``[Fe/H] >
    feh_min`` is flagged :attr:`AgeFlag.LIKELY_RC` (its age is still computed, from the RGB it is confused
    with). The default box encloses the observed red clump (Teff ~ 4600-5100 K, log g ~ 2.3-2.7) with
    margin; it also holds some genuine RGB stars, hence "likely".
    """

    teff_min_k: float = 4500.0
    teff_max_k: float = 5200.0
    logg_min: float = 2.2
    logg_max: float = 2.8
    feh_min: float = -1.0


#: Default red-clump box [CHOICE].
DEFAULT_RC_BOX = RCBox()


def _rc_mask(teff_k, logg, feh, box: RCBox | None) -> np.ndarray:
    t = np.asarray(teff_k, float)
    if box is None:
        return np.zeros(t.shape, bool)
    g = np.asarray(logg, float)
    f = np.asarray(feh, float)
    with np.errstate(invalid="ignore"):
        return ((t >= box.teff_min_k) & (t <= box.teff_max_k) & (g >= box.logg_min) & (g <= box.logg_max)
                & (f > box.feh_min))
