"""Our Z_max, R_peri, R_apo against Miglio+2021's published values for the same stars.

Two inputs are compared:

- **Miglio's own phase space** (``GalR, Galphi, GalZ, vR, vT, vZ``, galpy's left-handed cylindrical
  convention) turned into our right-handed frame (:func:`miglio_to_cartesian`) and integrated with our orbit
  kernels: in our frame and potential (the pipeline default) and in the setup their values imply
  (:data:`MIGLIO_LIKE_FRAME`: MWPotential2014 with R0 = 8.125 kpc, v_c = 220 km/s; their positions imply
  R0 = 8.12 kpc and z_sun = 19 pc). This separates the kernels from the choice of potential and solar
  parameters. In that setup our values are theirs times 8.125/8.0 for every star (a uniform length factor:
  their orbit lengths look converted with galpy's default ro = 8 kpc).
- **Our phase space from Gaia EDR3 astrometry** (the Montalban x APOGEE DR17 stars also in Miglio's table):
  the pipeline's Monte-Carlo phase space and orbits (:func:`orbits_from_catalog`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..frame import GalacticFrame
from ..orbits import orbit_parameters
from ..phasespace import phasespace_summary
from ..potentials import potential_for_frame
from ..schema import gaia_covariance
from .stats import value_comparison_table

__all__ = ["MIGLIO_LIKE_FRAME", "ORBIT_QUANTITIES", "miglio_to_cartesian", "orbits_from_miglio",
           "orbits_from_catalog", "orbit_comparison_table"]

logger = logging.getLogger(__name__)

#: MWPotential2014 at R0 = 8.125 kpc (GRAVITY 2018, what Miglio's positions imply) and galpy's native
#: v_c = 220 km/s: reproduces Miglio's values up to the uniform factor 8.125 / 8.0.
MIGLIO_LIKE_FRAME = GalacticFrame(R0_kpc=8.125, vcirc_kms=220.0)
#: (ours, Miglio's) column names compared.
ORBIT_QUANTITIES = {"zmax_kpc": "zmax_kpc_miglio", "rperi_kpc": "rperi_kpc_miglio",
                    "rapo_kpc": "rapo_kpc_miglio", "ecc": "ecc_miglio"}


def miglio_to_cartesian(galR_kpc, galphi_rad, galZ_kpc, vR_kms, vT_kms, vZ_kms):
    """galpy-convention cylindrical phase space -> our right-handed cartesian (X, Y, Z, vX, vY, vZ).

    galpy: ``x_g = R cos phi``, ``y_g = R sin phi``, ``v_T > 0`` for disk rotation, the Sun at ``phi = 0``;
    ours (:mod:`mwdisk.frame`): ``X = -x_g``, ``Y = y_g`` (so ``v_phi = -v_T``).

    Examples
    --------
    >>> X, Y, Z, vx, vy, vz = miglio_to_cartesian(8.0, 0.0, 0.0, 0.0, 220.0, 0.0)
    >>> float(X), float(Y), float(vx), float(vy)
    (-8.0, 0.0, -0.0, 220.0)
    """
    R, ph, z, vR, vT, vz = (np.asarray(x, float) for x in (galR_kpc, galphi_rad, galZ_kpc, vR_kms, vT_kms,
                                                           vZ_kms))
    c, s = np.cos(ph), np.sin(ph)
    xg, yg = R * c, R * s
    vxg, vyg = vR * c - vT * s, vR * s + vT * c
    return -xg, yg, z, -vxg, vyg, vz


def orbits_from_miglio(join: pd.DataFrame, frame: GalacticFrame, potential: str = "mw14",
                       method: str = "staeckel") -> pd.DataFrame:
    """Orbits of Miglio's phase space in ``potential`` scaled to ``frame`` (``kic`` + our orbit columns)."""
    X, Y, Z, vx, vy, vz = miglio_to_cartesian(*(join[c].to_numpy(float) for c in
                                                ("galR_kpc", "galphi_rad", "galZ_kpc", "vR_kms", "vT_kms",
                                                 "vZ_kms")))
    op = orbit_parameters(X, Y, Z, vx, vy, vz, potential_for_frame(potential, frame), frame, method)
    return pd.DataFrame({"kic": join["kic"].to_numpy(np.int64), "zmax_kpc": op.zmax_kpc,
                         "rperi_kpc": op.rperi_kpc, "rapo_kpc": op.rapo_kpc, "ecc": op.ecc,
                         "orbit_flags": np.asarray(op.flags, np.int32)})


def orbits_from_catalog(cat: pd.DataFrame, frame: GalacticFrame, seed: int = 20210615, n_draws: int = 100,
                        potential: str = "mw14", method: str = "staeckel") -> pd.DataFrame:
    """The pipeline's path on a canonical catalogue: Monte-Carlo phase space, then the mean star's orbit.

    Returns ``source_id, obs_id`` and ``zmax_kpc, rperi_kpc, rapo_kpc, ecc, orbit_flags, ps_flags``.
    """
    f = lambda c: cat[c].to_numpy(float)  # noqa: E731
    ps = phasespace_summary(cat["source_id"].to_numpy(np.int64), f("ra_deg"), f("dec_deg"), f("pmra_masyr"),
                            f("pmdec_masyr"), gaia_covariance(cat), f("dist_med_pc"), f("dist_lo_pc"),
                            f("dist_hi_pc"), f("rv_kms"), f("rv_error_kms"), frame=frame, seed=seed,
                            n_draws=n_draws)
    X, Y, Z = ps["X_kpc"], ps["Y_kpc"], ps["Z_kpc"]
    vR, vphi, vz = ps["vR_kms"], ps["vphi_kms"], ps["vz_kms"]
    phi = np.arctan2(Y, X)
    vx = vR * np.cos(phi) - vphi * np.sin(phi)
    vy = vR * np.sin(phi) + vphi * np.cos(phi)
    op = orbit_parameters(X, Y, Z, vx, vy, vz, potential_for_frame(potential, frame), frame, method)
    return pd.DataFrame({"source_id": cat["source_id"].to_numpy(np.int64),
                         "obs_id": cat["obs_id"].to_numpy(np.int64), "zmax_kpc": op.zmax_kpc,
                         "rperi_kpc": op.rperi_kpc, "rapo_kpc": op.rapo_kpc, "ecc": op.ecc,
                         "orbit_flags": np.asarray(op.flags, np.int32),
                         "ps_flags": np.asarray(ps["ps_flags"], np.int32)})


def orbit_comparison_table(ours: pd.DataFrame, miglio: pd.DataFrame, label: str,
                           key: str = "kic") -> pd.DataFrame:
    """Per quantity (Z_max, R_peri, R_apo, e): median difference, robust scatter and median ratio, ours vs
    Miglio's, over the stars of ``ours`` found in ``miglio`` by ``key`` (``kic``)."""
    m = ours.merge(miglio[[key, *ORBIT_QUANTITIES.values()]], on=key, how="inner")
    return value_comparison_table({q: (m[q], m[mq]) for q, mq in ORBIT_QUANTITIES.items()}, label)
