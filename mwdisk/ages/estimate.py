"""Isochrone ages of many stars (the top-level API): G functions, their summaries and flags in an AgeResult.

:func:`estimate_ages` runs :func:`g_function` and :func:`summarize_G` and adds the red-clump flag
(:class:`RCBox`). Never raises for a bad star: it gets NaN ages, a zero G row and flags.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .flags import DEFAULT_RC_BOX, AgeFlag, RCBox, _rc_mask
from .grid import PHASE_NAMES, prepare_grid
from .kernel import N_SIGMA_WINDOW, g_function
from .observables import DEFAULT_OBSERVABLES
from .summary import INTERVAL_LEVEL, INTERVAL_PERCENTILES, summarize_G

__all__ = ["AgeResult", "ErrorFloors", "estimate_ages"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorFloors:
    """Systematic error floors added in quadrature to the quoted errors before fitting [CHOICE].

    Quoted spectroscopic errors are mostly internal: they leave out the zero-point and model-atmosphere
    systematics between surveys and between the survey scale and the isochrones' scale. All zero here (the
    plain kernel); the pipeline's defaults are in ``defaults.yaml`` (section ``ages``), set by ``mwdisk
    validate``.
    """

    teff_k: float = 0.0
    logg: float = 0.0
    feh: float = 0.0  #: also applied to [alpha/Fe]
    mg_mag: float = 0.0

    def __post_init__(self) -> None:
        for name in ("teff_k", "logg", "feh", "mg_mag"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"error floor {name} = {v}; give a finite value >= 0 (0 = no floor)")


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
    phase_prob: np.ndarray  #: (n, len(PHASE_NAMES)) posterior probability of each phase
    p_cheb: np.ndarray  #: posterior probability of core-helium burning; NaN on a grid without that phase
    evo_phase: np.ndarray  #: the most probable phase's name ("" for stars without an age)

    def columns(self) -> dict[str, np.ndarray]:
        """The numeric output columns by name (without G, store it with :func:`encode_G`, and evo_phase)."""
        return {
            "age_mode_gyr": self.age_mode_gyr,
            "age_median_gyr": self.age_median_gyr,
            "age_lo_gyr": self.age_lo_gyr,
            "age_hi_gyr": self.age_hi_gyr,
            "age_err_frac": self.age_err_frac,
            "age_flags": self.age_flags,
            "p_cheb": self.p_cheb,
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
    likelihood: str = "segment",
    interval: str = "percentile",
    interval_level: float = INTERVAL_LEVEL,
    interval_percentiles=INTERVAL_PERCENTILES,
    floors: ErrorFloors | None = None,
    min_observables: int = 2,
    rc_box: RCBox | None = DEFAULT_RC_BOX,
    cheb_threshold: float = 0.5,
    clip_composition: bool = True,
    block_size: int = 8,
) -> AgeResult:
    """Isochrone ages of many stars: G functions and their summaries (METHOD.md section 1).

    Parameters are those of :func:`g_function` plus ``interval``, ``interval_level`` and
    ``interval_percentiles`` (:func:`summarize_G`; default: the 16th-84th percentiles of G), ``floors``
    (:class:`ErrorFloors` added in quadrature to the errors; default none) and ``rc_box`` (:class:`RCBox`,
    None to disable the red-clump box flag) and ``cheb_threshold`` (the CHEB flag's ``p_cheb``). Never raises
    for a bad star: it gets NaN ages, a zero G row and flags.

    Returns
    -------
    AgeResult
        Also the posterior probability of each evolutionary phase, ``p_cheb`` (core-helium burning) and the
        most probable phase; the CHEB flag marks ``p_cheb >= cheb_threshold``.

    Examples
    --------
    >>> from mwdisk.isochrones import load_grid
    >>> res = estimate_ages(load_grid("dsep"), [5800.0], [80.0], [4.2], [0.1], [3.9], [0.1],
    ...                     [0.0], [0.05], [0.05], [0.03])
    >>> bool(1.0 <= res.age_mode_gyr[0] <= 14.5), res.G.shape
    (True, (1, 36))
    """
    fl = floors or ErrorFloors()
    q = lambda e, f: np.hypot(np.asarray(e, float), f) if (f and e is not None) else e  # noqa: E731
    G, flags, mh, mh_err, phase_prob = g_function(
        grid, teff_k, q(teff_err_k, fl.teff_k), logg, q(logg_err, fl.logg), mg_mag, q(mg_err_mag, fl.mg_mag),
        feh, q(feh_err, fl.feh), afe, q(afe_err, fl.feh), bprp0_mag=bprp0_mag, bprp0_err_mag=bprp0_err_mag,
        observables=observables, n_sigma=n_sigma, window=window, likelihood=likelihood,
        min_observables=min_observables, clip_composition=clip_composition, block_size=block_size,
    )
    prep = prepare_grid(grid, observables, block_size)
    summ = summarize_G(G, prep.ages_gyr, interval_level, interval, interval_percentiles)
    flags |= summ["age_flags"]
    flags[_rc_mask(teff_k, logg, feh, rc_box)] |= AgeFlag.LIKELY_RC
    has_age = np.isfinite(phase_prob[:, 0])
    cheb = PHASE_NAMES.index("cheb")
    if prep.has_cheb:
        p_cheb = phase_prob[:, cheb]
        with np.errstate(invalid="ignore"):
            flags[p_cheb >= cheb_threshold] |= AgeFlag.CHEB
    else:
        p_cheb = np.full(G.shape[0], np.nan)
    names = np.asarray(PHASE_NAMES, dtype=object)
    evo = np.full(G.shape[0], "", dtype=object)
    evo[has_age] = names[np.argmax(phase_prob[has_age], axis=1)]
    n_bad = int(np.count_nonzero(flags & (AgeFlag.BAD_INPUT | AgeFlag.NO_ISOCHRONE)))
    if n_bad:
        logger.debug("%d of %d stars without an age (bad input or no isochrone in window)", n_bad, G.shape[0])
    return AgeResult(
        ages_gyr=prep.ages_gyr,
        G=G,
        age_mode_gyr=summ["age_mode_gyr"],
        age_median_gyr=summ["age_median_gyr"],
        age_lo_gyr=summ["age_lo_gyr"],
        age_hi_gyr=summ["age_hi_gyr"],
        age_err_frac=summ["age_err_frac"],
        age_flags=flags,
        mh_eff=mh,
        mh_eff_err=mh_err,
        phase_prob=phase_prob,
        p_cheb=p_cheb,
        evo_phase=evo,
    )
