"""Evolutionary phase of each isochrone point: integer codes, names, and the rules that assign them.

Codes (``IsochroneGrid.phase``, int8, non-decreasing along every isochrone):

===== ============ ==========================================================================================
code  name         meaning
===== ============ ==========================================================================================
-1    ``unknown``  no rule known for the grid's family (a grid file of an unknown family without a phase
                   column)
0     ``ms``       pre-main sequence and main sequence, up to the terminal-age MS (TAMS)
1     ``subgiant`` after the TAMS while log g >= :data:`LOGG_SUBGIANT_RGB` (3.6)
2     ``rgb``      red giant branch: from the first post-TAMS point with log g < 3.6 up to the RGB tip
3     ``cheb``     core-helium burning: red clump, secondary clump, horizontal branch (ZACHeB .. TACHeB)
4     ``agb``      early asymptotic giant branch only (TACHeB .. start of the thermal pulses; TP-AGB is cut)
===== ============ ==========================================================================================

How each family's native labels map onto the codes (the lachesis cubes, EEPs in the MIST numbering for PARSEC
and MIST: 454 TAMS, 605 RGB tip, 631 ZACHeB, 707 TACHeB, 808 TP-AGB start):

- **PARSEC** ``phase``: 0 PMS and 1 MS -> ``ms``; 2 SGB and 3 RGB -> ``subgiant``/``rgb`` by the log g rule
  below (PARSEC's own SGB label is not used, so that all families share one boundary; it ends at log g
  2.8..3.9 depending on mass); fractional labels 3 < phase < 4 (EEPs 606..630: an interpolated "bridge" from
  the RGB tip back down to the ZACHeB at the tip's initial mass, i.e. the He flash) -> points DROPPED; 4 CHeB
  -> ``cheb``; 5 (early AGB) would be ``agb`` but the lachesis PARSEC cube stops at EEP 707 (TACHeB) for
  log10 age >= 9.3, so PARSEC grids end at the TACHeB and carry no ``agb`` points. Fractional labels within
  the MS (1.08..1.92, 2.55) are interpolation artefacts and are read by their integer part.
- **MIST** ``phase``: -1 PMS and 0 MS -> ``ms``; 2 RGB (includes the subgiant branch) -> ``subgiant``/``rgb``
  by the log g rule; 3 CHeB -> ``cheb``, except the RGB-tip EEP 605, which MIST labels 3 and which is coded
  ``rgb`` here (the last RGB point), and the He-flash EEPs 606..630 (between the RGB tip and the
  ZACHeB: sub-flashes jumping in log g by 0.5 dex per EEP at nearly constant initial mass), which are
  DROPPED; 4 early AGB -> ``agb``; 5 TP-AGB and 6 post-AGB are cut (the grids end at EEP 807).
- **DSEP** (lachesis Dartmouth cube, native EEPs 2..279; ``phase`` is NaN): the isochrones end at the RGB tip.
  The TAMS is not labelled; :func:`tip_limited_phases` takes the hottest point with log g > 3.4 (the turn-off,
  the end of the blue hook where there is one) as the last ``ms`` point, then the log g rule.

Subgiant/RGB boundary [CHOICE, all families]: a post-TAMS point is ``rgb`` from the first point with log g <
:data:`LOGG_SUBGIANT_RGB` = 3.6 on (so the phase never goes back), ``subgiant`` before. This follows PARSEC's
SGB label for old near-solar isochrones (which ends near log g 3.6); isochrones whose TAMS already lies below
log g 3.6 (young, metal-rich) have no ``subgiant`` points.

He flash: the segment joining the last ``rgb`` point (RGB tip) and the first ``cheb`` point (ZACHeB) is not an
evolutionary sequence. The grid builder gives it an initial-mass interval of only
``scripts/build_grids.FLASH_DM_MSUN`` (1e-9 Msun, ~1e-6 of the CHeB's IMF weight), so it carries no weight; a
kernel may also skip segments whose ends are ``rgb`` -> ``cheb`` (see :func:`flash_segments`).
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = [
    "UNKNOWN",
    "MS",
    "SUBGIANT",
    "RGB",
    "CHEB",
    "AGB",
    "PHASE_CODES",
    "PHASE_NAMES",
    "LOGG_SUBGIANT_RGB",
    "LOGG_TURNOFF_MIN",
    "phase_code",
    "phase_name",
    "split_post_ms",
    "tip_limited_phases",
    "derive_phases",
    "flash_segments",
]

logger = logging.getLogger(__name__)

UNKNOWN = -1
MS = 0
SUBGIANT = 1
RGB = 2
CHEB = 3
AGB = 4

#: name -> code
PHASE_CODES = {"unknown": UNKNOWN, "ms": MS, "subgiant": SUBGIANT, "rgb": RGB, "cheb": CHEB, "agb": AGB}
#: code -> name
PHASE_NAMES = {v: k for k, v in PHASE_CODES.items()}

#: [CHOICE] log g below which a post-main-sequence point is on the RGB (dex, cgs).
LOGG_SUBGIANT_RGB = 3.6
#: Only points with log g above this (dex) can be the turn-off in :func:`tip_limited_phases`.
LOGG_TURNOFF_MIN = 3.4


def phase_code(name: str) -> int:
    """Integer code of a phase name (``"ms"``, ``"subgiant"``, ``"rgb"``, ``"cheb"``, ``"agb"``,
    ``"unknown"``).

    Examples
    --------
    >>> phase_code("cheb")
    3
    """
    try:
        return PHASE_CODES[name]
    except KeyError:
        raise ValueError(f"unknown phase name {name!r}; use one of {tuple(PHASE_CODES)}") from None


def phase_name(code: int) -> str:
    """Name of an integer phase code.

    Examples
    --------
    >>> phase_name(2)
    'rgb'
    """
    try:
        return PHASE_NAMES[int(code)]
    except KeyError:
        raise ValueError(f"unknown phase code {code!r}; codes are {sorted(PHASE_NAMES)}") from None


def _segment_ids(n: int, iso_start: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(iso_start.size - 1), np.diff(iso_start))[:n]


def split_post_ms(
    phase: np.ndarray, logg: np.ndarray, iso_start: np.ndarray, logg_rgb: float = LOGG_SUBGIANT_RGB
) -> np.ndarray:
    """Split the points coded ``subgiant`` (post-TAMS, pre-tip) into ``subgiant`` and ``rgb`` by log g.

    Within each isochrone, every post-TAMS pre-tip point at or after the first one with log g < ``logg_rgb``
    becomes ``rgb``. Input points already coded ``rgb`` are treated as post-TAMS too.

    Parameters
    ----------
    phase : numpy.ndarray
        (n_pts,) int codes; post-MS pre-tip points coded SUBGIANT or RGB.
    logg : numpy.ndarray
        (n_pts,) log g.
    iso_start : numpy.ndarray
        (n_iso + 1,) CSR offsets.
    logg_rgb : float
        Boundary [CHOICE], default :data:`LOGG_SUBGIANT_RGB`.

    Returns
    -------
    numpy.ndarray
        (n_pts,) int8 codes.
    """
    phase = np.asarray(phase, np.int8).copy()
    post = (phase == SUBGIANT) | (phase == RGB)
    below = post & (np.asarray(logg) < logg_rgb)
    iso = _segment_ids(phase.size, np.asarray(iso_start))
    # per isochrone: running "seen a point below the boundary" flag
    idx = np.where(below, np.arange(phase.size), -1)
    first = np.full(iso_start.size - 1, np.iinfo(np.int64).max)
    np.minimum.at(first, iso[below], idx[below])
    rgb = post & (np.arange(phase.size) >= first[iso])
    phase[post] = SUBGIANT
    phase[rgb] = RGB
    return phase


def tip_limited_phases(
    logg: np.ndarray,
    teff_k: np.ndarray,
    iso_start: np.ndarray,
    logg_rgb: float = LOGG_SUBGIANT_RGB,
    logg_turnoff_min: float = LOGG_TURNOFF_MIN,
) -> np.ndarray:
    """Phases of isochrones that end at the RGB tip and carry no labels (DSEP): ``ms``, ``subgiant``, ``rgb``.

    The last ``ms`` point of each isochrone is its turn-off: the hottest point with log g >
    ``logg_turnoff_min`` (the end of the blue hook where there is one; a proxy for the TAMS, which DSEP does
    not label). The points after it are split by :func:`split_post_ms`.

    Returns
    -------
    numpy.ndarray
        (n_pts,) int8 codes.
    """
    iso_start = np.asarray(iso_start, np.int64)
    n = int(iso_start[-1])
    logg = np.asarray(logg, float)[:n]
    teff = np.asarray(teff_k, float)[:n]
    phase = np.full(n, SUBGIANT, np.int8)
    hot = np.where(logg > logg_turnoff_min, teff, -np.inf)
    for i in range(iso_start.size - 1):
        s, e = int(iso_start[i]), int(iso_start[i + 1])
        if e > s:
            phase[s : s + int(np.argmax(hot[s:e])) + 1] = MS
    return split_post_ms(phase, logg, iso_start, logg_rgb)


def derive_phases(family: str, eep: np.ndarray, logg: np.ndarray, teff_k: np.ndarray,
                  iso_start) -> np.ndarray:
    """Phases of a grid that carries none (files written before the phase column, native DSEP files, grids
    built in tests).

    Families that end at the RGB tip ("dsep", "dsep-native", and "parsec" files from before the phase
    column, which were cut at the tip) get :func:`tip_limited_phases`; PARSEC and MIST points on the MIST EEP
    numbering (TAMS at EEP 454) are split at the TAMS instead when their EEPs reach past 454, and points past
    the RGB tip (EEP > 605) get ``cheb``/``agb`` by EEP (631..706 cheb for MIST and ..707 for PARSEC, 707..807
    agb for MIST). Other families get :data:`UNKNOWN` (-1) everywhere.

    Returns
    -------
    numpy.ndarray
        (n_pts,) int8 codes.
    """
    iso_start = np.asarray(iso_start, np.int64)
    n = int(iso_start[-1])
    if family in ("dsep", "dsep-native"):
        return tip_limited_phases(logg, teff_k, iso_start)
    if family in ("parsec", "mist"):
        eep = np.asarray(eep, float)[:n]
        phase = np.where(eep < 454, MS, SUBGIANT).astype(np.int8)
        last_cheb = 707 if family == "parsec" else 706
        phase[eep >= 631] = CHEB
        phase[eep > last_cheb] = AGB
        return split_post_ms(phase, logg, iso_start)
    logger.info("no phase rule for isochrone family %r: phases set to unknown (-1)", family)
    return np.full(n, UNKNOWN, np.int8)


def flash_segments(phase: np.ndarray, iso_start: np.ndarray) -> np.ndarray:
    """(n_pts - 1,) bool: segment j (points j, j+1) joins the RGB tip to the ZACHeB (the He flash) within an
    isochrone. Such segments are not an evolutionary sequence; the shipped grids give them ~zero IMF
    weight."""
    phase = np.asarray(phase)
    seg = (phase[:-1] == RGB) & (phase[1:] == CHEB)
    seg[np.asarray(iso_start)[1:-1] - 1] = False
    return seg
