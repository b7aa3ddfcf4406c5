"""Monte-Carlo Galactocentric phase space of every star (METHOD.md section 3).

For each star, ``n_draws`` (paper: 100) mock observations are drawn: (ra*, dec, parallax, pmra, pmdec) from
the full Gaia 5x5 covariance, the distance from the paper's two-piece Gaussian on the Bailer-Jones
16th/50th/84th percentiles, the radial velocity from its error. Each draw is transformed to the
Galactocentric frame of a :class:`~mwdisk.frame.GalacticFrame` and the stars' summaries are the mean and
standard deviation over the draws.

Choices (the defaults of the keyword arguments; the ``phasespace`` section of the configuration):

- ``n_draws = 100`` draws per star (paper).
- ``distance_z_from_parallax = True``: the two-piece distance draw is driven by the standard normal of the
  star's own parallax draw with its sign flipped (a larger parallax means a smaller distance). This keeps the
  Bailer-Jones percentiles exactly and carries Gaia's parallax / proper-motion and parallax / position
  correlations into the distance. ``False`` draws the distance from an independent normal.
- Non-positive distance draws are redrawn from fresh normals of the star's stream (independent of its
  parallax draw) and the star is flagged with :attr:`PhaseSpaceFlag.DISTANCE_REDRAWN`; this shifts the
  lower percentiles slightly (METHOD.md section 3).
- ``chunk_stars = 2000``: stars whose draws are held in memory at once (memory ~ chunk_stars x n_draws x
  64 B).
- Standard deviations are population standard deviations of the draws (``ddof = 0``, numpy's default).
- The azimuth ``phi`` is averaged as deviations from the star's point-estimate azimuth wrapped into
  (-pi, pi] (stars near the Sun sit at phi ~ pi, where a plain mean of the draws would be wrong).

Frame and units: right-handed Galactocentric Cartesian (X, Y, Z) in kpc with the Sun at X < 0 and disk
rotation towards -Y at the Sun (``v_phi < 0`` for disk stars); ``phi = atan2(Y, X)``; velocities in km/s;
``Lz = X vY - Y vX = R vphi`` in kpc km/s (negative for disk stars). The ICRS -> Galactocentric rotation and
the solar offset are taken from astropy once per frame (:meth:`GalacticFrame.icrs_to_galcen_matrix`), so the
vectorised transform agrees with astropy's ``Galactocentric`` to rounding.

Reproducibility: every random number of a star is a function of (seed, source_id) only
(:mod:`mwdisk.rng`, stream :data:`~mwdisk.rng.STREAM_PHASESPACE`), and every per-star computation runs in a
scalar numba loop over that star's draws, so the output is bit-for-bit the same for any partitioning, chunking
or order. Draw j of a star uses normals ``6 j .. 6 j + 5`` of its stream (parallax, ra*, dec, pmra, pmdec,
rv), so the first k draws do not depend on ``n_draws``.

Examples
--------
>>> import numpy as np
>>> from mwdisk.frame import GalacticFrame
>>> cov = np.diag([0.02, 0.02, 0.03, 0.03, 0.03]) ** 2 * np.ones((1, 5, 5))
>>> out = phasespace_summary(
...     np.array([1]), np.array([266.4]), np.array([-28.9]), np.array([-3.0]), np.array([-5.5]), cov,
...     np.array([1000.0]), np.array([950.0]), np.array([1060.0]), np.array([10.0]), np.array([1.0]),
...     frame=GalacticFrame(), seed=1, n_draws=100)
>>> round(float(out["X_kpc"][0]), 1), int(out["ps_flags"][0])
(-7.3, 0)
"""

from __future__ import annotations

from .columns import DRAW_COLUMNS, SUMMARY_COLUMNS
from .distance import two_piece_distance
from .draws import draw_observables, regenerate_draws
from .flags import PhaseSpaceFlag
from .summary import phasespace_summary
from .transform import cartesian_to_cylindrical, icrs_to_galactocentric

__all__ = [
    "PhaseSpaceFlag",
    "SUMMARY_COLUMNS",
    "DRAW_COLUMNS",
    "icrs_to_galactocentric",
    "cartesian_to_cylindrical",
    "two_piece_distance",
    "draw_observables",
    "phasespace_summary",
    "regenerate_draws",
]
