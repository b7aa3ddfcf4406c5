"""A quick kinematic disk sample (Galactocentric positions and velocities only) for orbit checks and
benchmarks.

Not the mock catalogue (:func:`mwdisk.mock.generate_partition` makes observed stars with known truth): this is
a plain set of disk-like phase-space points on which the fast orbit parameters are compared with integration
(tests/orbits) and timed (benchmarks/orbits_bench.py).
"""

from __future__ import annotations

import numpy as np

from mwdisk.frame import GalacticFrame

__all__ = ["disk_phase_space"]


def disk_phase_space(rng: np.random.Generator, n: int, frame: GalacticFrame | None = None):
    """Disk-like stars: R 4-14 kpc, |phi - 180 deg| < 30 deg, z ~ N(0, 0.3 kpc), sigma (35, 25, 20) km/s.

    Rotation is v_phi = -(v_c - 10 km/s) in the right-handed frame of :class:`mwdisk.frame.GalacticFrame`
    (disk stars have v_phi < 0).

    Returns
    -------
    tuple of six float arrays, shape (n,)
        X, Y, Z in kpc and v_X, v_Y, v_Z in km/s.
    """
    frame = GalacticFrame() if frame is None else frame
    R = rng.uniform(4.0, 14.0, n)
    phi = np.pi + rng.uniform(-0.5, 0.5, n)
    z = rng.normal(0.0, 0.3, n)
    vR = rng.normal(0.0, 35.0, n)
    vphi = -(frame.vcirc_kms - 10.0) + rng.normal(0.0, 25.0, n)
    vz = rng.normal(0.0, 20.0, n)
    c, s = np.cos(phi), np.sin(phi)
    return R * c, R * s, z, vR * c - vphi * s, vR * s + vphi * c, vz
