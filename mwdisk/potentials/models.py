"""The named galpy models of the orbit stage and their homologous rescaling to natural units.

Three galpy models (METHOD.md section 4), by short name: ``mw14`` (``MWPotential2014``, the default),
``mcm17`` (``McMillan17``) and ``irr13`` (``Irrgang13I``). :func:`_rescaled_components` returns a copy with
physical output off and every amplitude multiplied by ``1 / v_c(1)**2``, so that ``v_c(1) = 1`` exactly
[VERIFIED, METHOD.md section 4]; the natural-unit potential therefore does not depend on (R0, v0).
"""

from __future__ import annotations

import copy
import functools
import operator
from typing import Any

__all__ = [
    "POTENTIAL_NAMES",
    "DEFAULT_POTENTIAL",
]

#: Short names of the supported potentials (column suffixes).
POTENTIAL_NAMES = ("mw14", "mcm17", "irr13")
#: The paper's potential.
DEFAULT_POTENTIAL = "mw14"


def _check_name(name: str) -> str:
    if name not in POTENTIAL_NAMES:
        raise ValueError(
            f"unknown potential {name!r}; choose one of {POTENTIAL_NAMES} (config orbits.potentials)"
        )
    return name


def _native_model(name: str) -> list:
    """The galpy model as a list of components (the import of McMillan17 takes ~10 s: done lazily)."""
    if name == "mw14":
        from galpy.potential import MWPotential2014 as pot
    elif name == "mcm17":
        from galpy.potential.mwpotentials import McMillan17 as pot
    else:
        from galpy.potential.mwpotentials import Irrgang13I as pot
    return list(pot)


def _rescaled_components(name: str) -> tuple[Any, float]:
    """Copy with physical output off and amplitudes times 1/v_c(1)^2: natural units with v_c(1) = 1.

    Returns a galpy ``CompositePotential`` (galpy 1.12 deprecates plain lists) and the native v_c(1).
    """
    from galpy.potential import turn_physical_off, vcirc

    comps = copy.deepcopy(_native_model(_check_name(name)))
    for c in comps:
        turn_physical_off(c)
    pot = functools.reduce(operator.add, comps)
    vc1 = float(vcirc(pot, 1.0, use_physical=False))
    # Potential.__mul__ returns a copy with the amplitude scaled
    scaled = functools.reduce(operator.add, [c * float(1.0 / vc1**2) for c in comps])
    turn_physical_off(scaled)
    return scaled, vc1
