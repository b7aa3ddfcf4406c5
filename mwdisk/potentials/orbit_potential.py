"""A potential of the paper in physical units: a natural-unit model rescaled to a frame's (R0, v0).

:class:`OrbitPotential` is what the orbit kernels (:mod:`mwdisk.orbits`) take; :func:`get_potential` and
:func:`potential_for_frame` build it, cached per (name, R0, v0, interpolate).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from .models import _check_name
from .natural import NaturalModel, natural_model

__all__ = [
    "OrbitPotential",
    "get_potential",
    "potential_for_frame",
]


@dataclass(frozen=True, eq=False)
class OrbitPotential:
    """A potential of the paper, rescaled to a frame's (R0, v0); what the orbit kernels take.

    Attributes
    ----------
    name : str
        Short name (column suffix).
    R0_kpc, vcirc_kms : float
        Units: natural length and velocity (``ro``, ``vo``); v_c(R0) = v0.
    model : NaturalModel
        The natural-unit potential and its tables.
    """

    name: str
    R0_kpc: float
    vcirc_kms: float
    model: NaturalModel = dataclasses.field(repr=False)

    def vcirc_kms_at(self, R_kpc: np.ndarray) -> np.ndarray:
        """Circular speed in km/s at R (kpc), from galpy (slow for mcm17: ~10 ms per radius)."""
        from galpy.potential import vcirc

        r = np.asarray(R_kpc, dtype=float) / self.R0_kpc
        return self.vcirc_kms * np.asarray(vcirc(self.model.galpy_pot, r, use_physical=False), dtype=float)

    def provenance(self) -> dict[str, Any]:
        """What to record with the outputs."""
        return {
            "name": self.name,
            "R0_kpc": self.R0_kpc,
            "vcirc_kms": self.vcirc_kms,
            "vc1_native": self.model.vc1_native,
            "interpolated_integration": self.model.interpolated,
            "tables": dataclasses.asdict(self.model.spec),
        }


def get_potential(name: str, R0_kpc: float, vcirc_kms: float, interpolate: bool = True) -> OrbitPotential:
    """The named potential rescaled to (R0, v0); cached, so a worker builds it once.

    Parameters
    ----------
    name : str
        ``"mw14"`` (default of the pipeline), ``"mcm17"`` or ``"irr13"``.
    R0_kpc, vcirc_kms : float
        Solar radius and circular speed there (the frame's ``R0_kpc`` and ``vcirc_kms``).
    interpolate : bool, optional
        Integrate McMillan17 in its interpolated version (default True).

    Returns
    -------
    OrbitPotential

    Examples
    --------
    >>> pot = get_potential("mw14", 8.27, 236.0)
    >>> round(float(pot.vcirc_kms_at(8.27)), 8)
    236.0
    """
    if not (np.isfinite(R0_kpc) and np.isfinite(vcirc_kms) and R0_kpc > 0 and vcirc_kms > 0):
        raise ValueError(
            f"R0_kpc = {R0_kpc} and vcirc_kms = {vcirc_kms} must be positive numbers (frame section)"
        )
    return _get_potential(_check_name(name), float(R0_kpc), float(vcirc_kms), bool(interpolate))


@functools.lru_cache(maxsize=32)
def _get_potential(name: str, R0_kpc: float, vcirc_kms: float, interpolate: bool) -> OrbitPotential:
    model = natural_model(name, interpolate)
    return OrbitPotential(name=name, R0_kpc=R0_kpc, vcirc_kms=vcirc_kms, model=model)


def potential_for_frame(name: str, frame, interpolate: bool = True) -> OrbitPotential:
    """:func:`get_potential` with the (R0, v0) of a :class:`~mwdisk.frame.GalacticFrame`."""
    return get_potential(name, frame.R0_kpc, frame.vcirc_kms, interpolate)
