"""Isochrone ages of many stars (the top-level API): G functions, their summaries and flags in an AgeResult.

:func:`estimate_ages` runs :func:`g_function` and :func:`summarize_G` and adds the red-clump flag
(:class:`RCBox`). Never raises for a bad star: it gets NaN ages, a zero G row and flags.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .flags import DEFAULT_RC_BOX, AgeFlag, RCBox, _rc_mask
from .grid import prepare_grid
from .kernel import N_SIGMA_WINDOW, g_function
from .observables import DEFAULT_OBSERVABLES
from .summary import INTERVAL_LEVEL, summarize_G

__all__ = ["AgeResult", "estimate_ages"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgeResult:
    """Per-star outputs of :func:`estimate_ages` (all arrays of length n, ``G`` is (n, n_age))."""

    ages_gyr: np.ndarray
    G: np.ndarray
    age_mode_gyr: np.ndarray
    age_median_gyr: np.ndarray
    age_lo_gyr: np.ndarray
    age_hi_gyr: np.ndarray
    age_err_frac: np.ndarray
    age_flags: np.ndarray
    mh_eff: np.ndarray
    mh_eff_err: np.ndarray

    def columns(self) -> dict[str, np.ndarray]:
        """The output columns by name (without G; store it with :func:`encode_G`)."""
        return {
            "age_mode_gyr": self.age_mode_gyr,
            "age_median_gyr": self.age_median_gyr,
            "age_lo_gyr": self.age_lo_gyr,
            "age_hi_gyr": self.age_hi_gyr,
            "age_err_frac": self.age_err_frac,
            "age_flags": self.age_flags,
        }


def estimate_ages(
    grid,
    teff_k,
    teff_err_k,
    logg,
    logg_err,
    mg_mag,
    mg_err_mag,
    feh,
    feh_err,
    afe,
    afe_err,
    *,
    bprp0_mag=None,
    bprp0_err_mag=None,
    observables=DEFAULT_OBSERVABLES,
    n_sigma: float = N_SIGMA_WINDOW,
    window: str = "ellipsoid",
    interval_level: float = INTERVAL_LEVEL,
    rc_box: RCBox | None = DEFAULT_RC_BOX,
    clip_composition: bool = True,
    block_size: int = 8,
) -> AgeResult:
    """Isochrone ages of many stars: G functions and their summaries (METHOD.md section 1).

    Parameters are those of :func:`g_function` plus ``interval_level`` (:func:`summarize_G`) and ``rc_box``
    (:class:`RCBox`, None to disable the red-clump flag). Never raises for a bad star: it gets NaN ages,
    a zero G row and flags.

    Returns
    -------
    AgeResult

    Examples
    --------
    >>> from mwdisk.isochrones import load_grid
    >>> res = estimate_ages(load_grid("dsep"), [5800.0], [80.0], [4.2], [0.1], [3.9], [0.1],
    ...                     [0.0], [0.05], [0.05], [0.03])
    >>> bool(1.0 <= res.age_mode_gyr[0] <= 14.5), res.G.shape
    (True, (1, 36))
    """
    G, flags, mh, mh_err = g_function(
        grid, teff_k, teff_err_k, logg, logg_err, mg_mag, mg_err_mag, feh, feh_err, afe, afe_err,
        bprp0_mag=bprp0_mag, bprp0_err_mag=bprp0_err_mag, observables=observables, n_sigma=n_sigma,
        window=window, clip_composition=clip_composition, block_size=block_size,
    )
    ages = prepare_grid(grid, observables, block_size).ages_gyr
    summ = summarize_G(G, ages, interval_level)
    flags |= summ["age_flags"]
    flags[_rc_mask(teff_k, logg, feh, rc_box)] |= AgeFlag.LIKELY_RC
    n_bad = int(np.count_nonzero(flags & (AgeFlag.BAD_INPUT | AgeFlag.NO_ISOCHRONE)))
    if n_bad:
        logger.debug("%d of %d stars without an age (bad input or no isochrone in window)", n_bad, G.shape[0])
    return AgeResult(
        ages_gyr=ages,
        G=G,
        age_mode_gyr=summ["age_mode_gyr"],
        age_median_gyr=summ["age_median_gyr"],
        age_lo_gyr=summ["age_lo_gyr"],
        age_hi_gyr=summ["age_hi_gyr"],
        age_err_frac=summ["age_err_frac"],
        age_flags=flags,
        mh_eff=mh,
        mh_eff_err=mh_err,
    )
