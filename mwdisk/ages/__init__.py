"""Isochrone ages: the G function of each star on the age grid, its mode, median, 68 % interval and flags.

METHOD.md section 1 (Jorgensen & Lindegren 2005; Vickers & Smith 2018). One concept per module:

- :mod:`mwdisk.ages.flags`: :class:`AgeFlag` bits and the red-clump box :class:`RCBox`.
- :mod:`mwdisk.ages.observables`: the observables the kernel compares, :func:`star_mh`, :func:`absolute_mag`.
- :mod:`mwdisk.ages.grid`: :func:`prepare_grid`, the cached arrays and bounding boxes the kernel reads.
- :mod:`mwdisk.ages.kernel`: the numba G-function kernel and :func:`g_function` (the method and the
  10-sigma window are described there).
- :mod:`mwdisk.ages.summary`: :func:`summarize_G` (mode, median, 68 % interval).
- :mod:`mwdisk.ages.estimate`: :func:`estimate_ages` (the top-level API) and :class:`AgeResult`.
- :mod:`mwdisk.ages.options`: :class:`AgeOptions`, the configuration's ``ages`` section, checked.
- :mod:`mwdisk.ages.encoding`: :func:`encode_G` / :func:`decode_G`, compact storage of G.

Bad stars never raise: a NaN input or a non-positive error, or no isochrone inside the window, gives NaN ages,
a zero G row and an :class:`AgeFlag` bit.
"""

from __future__ import annotations

from .encoding import decode_G, encode_G
from .estimate import AgeResult, ErrorFloors, estimate_ages
from .flags import DEFAULT_RC_BOX, AgeFlag, RCBox
from .grid import N_PHASES, PHASE_NAMES, grid_has_cheb, prepare_grid
from .kernel import N_SIGMA_WINDOW, g_function
from .observables import DEFAULT_OBSERVABLES, OBSERVABLES, absolute_mag, star_mh
from .options import AgeOptions
from .summary import INTERVAL_LEVEL, INTERVAL_PERCENTILES, INTERVALS, summarize_G

__all__ = [
    "AgeFlag",
    "AgeResult",
    "ErrorFloors",
    "AgeOptions",
    "PHASE_NAMES",
    "N_PHASES",
    "INTERVALS",
    "INTERVAL_PERCENTILES",
    "RCBox",
    "OBSERVABLES",
    "DEFAULT_OBSERVABLES",
    "DEFAULT_RC_BOX",
    "INTERVAL_LEVEL",
    "N_SIGMA_WINDOW",
    "star_mh",
    "absolute_mag",
    "prepare_grid",
    "grid_has_cheb",
    "g_function",
    "summarize_G",
    "estimate_ages",
    "encode_G",
    "decode_G",
]
