"""The one Galactocentric frame of a run.

Every transform in mwdisk, ours and the ones we delegate to astropy and galpy, is built from a single
:class:`GalacticFrame`. Neither package's own defaults ever leak in: both have other values for the solar
radius, height and motion.

Convention (Vickers et al. 2021, METHOD.md section 3): right-handed, the Sun at (X, Y, Z) = (-R0, 0, z_sun)
kpc and moving towards +Y (astropy's ``Galactocentric``); at phi = 180 deg that is clockwise seen from the
North Galactic Pole, so disk stars have ``v_phi < 0`` and ``L_z = R v_phi < 0``.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["GalacticFrame", "K_KMS_PER_MASYR_KPC"]

#: km/s per (mas/yr * kpc): 1 au / 1 yr in km/s (Johnson & Soderblom 1987; astropy's value).
K_KMS_PER_MASYR_KPC = 4.740470463533348


@dataclass(frozen=True)
class GalacticFrame:
    """Solar position and motion that define the Galactocentric frame.

    Parameters
    ----------
    R0_kpc : float
        Distance of the Sun from the Galactic centre (Schoenrich & Aumer 2017: 8.27 kpc).
    z_sun_kpc : float
        Height of the Sun above the plane (paper: 0).
    vcirc_kms : float
        Circular speed at R0 (paper: 236 km/s).
    U_kms, V_kms, W_kms : float
        Solar peculiar motion towards the Galactic centre, in the direction of rotation and towards the
        North Galactic Pole (paper: 13.0, 12.24, 7.24 km/s).

    Examples
    --------
    >>> f = GalacticFrame()
    >>> f.v_sun_kms
    (13.0, 248.24, 7.24)
    >>> f.galpy_kwargs()["solarmotion"]
    [-13.0, 12.24, 7.24]
    """

    R0_kpc: float = 8.27
    z_sun_kpc: float = 0.0
    vcirc_kms: float = 236.0
    U_kms: float = 13.0
    V_kms: float = 12.24
    W_kms: float = 7.24

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not np.isfinite(value):
                raise ValueError(f"frame.{name} = {value!r} is not finite; give a number in the config")
        if self.R0_kpc <= 0 or self.vcirc_kms <= 0:
            raise ValueError(
                f"frame.R0_kpc = {self.R0_kpc} and frame.vcirc_kms = {self.vcirc_kms} must both be positive"
            )

    @classmethod
    def from_config(cls, frame_cfg: dict[str, Any]) -> "GalacticFrame":
        """Build the frame from the ``frame`` section of the resolved configuration."""
        return cls(**{k: float(v) for k, v in frame_cfg.items()})

    @property
    def v_sun_kms(self) -> tuple[float, float, float]:
        """Total solar velocity (U, vcirc + V, W) in km/s, as astropy's ``galcen_v_sun`` wants it."""
        return (self.U_kms, self.vcirc_kms + self.V_kms, self.W_kms)

    @property
    def sun_xyz_kpc(self) -> tuple[float, float, float]:
        """The Sun's Galactocentric position (X, Y, Z) in kpc.

        As astropy defines it: R0 is the Sun's distance from the centre, so X = -sqrt(R0^2 - z_sun^2).
        """
        return (-float(np.sqrt(self.R0_kpc**2 - self.z_sun_kpc**2)), 0.0, self.z_sun_kpc)

    @property
    def label(self) -> str:
        """Short name used for sweep variants, e.g. ``R8.27_v236``."""
        return f"R{self.R0_kpc:g}_v{self.vcirc_kms:g}"

    def to_astropy(self):
        """The astropy ``Galactocentric`` frame with every constant set explicitly."""
        import astropy.coordinates as coord
        import astropy.units as u

        return coord.Galactocentric(
            galcen_distance=self.R0_kpc * u.kpc,
            z_sun=self.z_sun_kpc * u.kpc,
            galcen_v_sun=coord.CartesianDifferential(list(self.v_sun_kms) * (u.km / u.s)),
            roll=0 * u.deg,
        )

    def galpy_kwargs(self) -> dict[str, Any]:
        """``ro``, ``vo``, ``zo`` and ``solarmotion`` for galpy (galpy wants -U; its frame is left-handed)."""
        return {
            "ro": self.R0_kpc,
            "vo": self.vcirc_kms,
            "zo": self.z_sun_kpc,
            "solarmotion": [-self.U_kms, self.V_kms, self.W_kms],
        }

    def icrs_to_galcen_matrix(self) -> np.ndarray:
        """3x3 rotation taking ICRS unit vectors to Galactocentric axes (without the solar offset).

        Taken once from astropy by transforming the ICRS unit vectors (METHOD.md section 3), so that our
        vectorised transform agrees with astropy's ``Galactocentric`` to rounding. Cached per frame.
        """
        return _icrs_to_galcen_matrix(self).copy()

    def as_dict(self) -> dict[str, float]:
        """Plain dict, for provenance."""
        return asdict(self)


@functools.lru_cache(maxsize=16)
def _icrs_to_galcen_matrix(frame: GalacticFrame) -> np.ndarray:
    import astropy.coordinates as coord
    import astropy.units as u

    gc = frame.to_astropy()
    # Transform the points at unit distance along each ICRS axis, and the origin, then difference:
    # removes the solar translation and leaves the rotation (plus the z_sun tilt) exactly as astropy does it.
    big = 1.0e6  # kpc; large lever arm keeps the translation's rounding negligible
    xyz = np.array([[big, 0, 0], [0, big, 0], [0, 0, big], [0, 0, 0]], dtype=float).T
    icrs = coord.ICRS(
        coord.CartesianRepresentation(xyz * u.kpc),
    )
    g = icrs.transform_to(gc).cartesian.xyz.to_value(u.kpc)
    origin = g[:, 3]
    mat = (g[:, :3] - origin[:, None]) / big
    mat.setflags(write=False)
    return mat
