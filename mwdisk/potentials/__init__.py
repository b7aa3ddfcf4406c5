"""Milky Way potentials for the orbit stage, rescaled homologously to the run's frame.

Three galpy models (METHOD.md section 4), by short name:

- ``mw14``: ``MWPotential2014`` (Bovy 2015; the default),
- ``mcm17``: ``McMillan17`` (McMillan 2017),
- ``irr13``: ``Irrgang13I`` (Irrgang et al. 2013, model I).

Homologous rescaling [VERIFIED, METHOD.md section 4]: take a copy of the model with physical output off,
multiply every component's amplitude by ``1 / v_c(1)**2`` (natural units), so that ``v_c(1) = 1`` exactly, and
convert with ``ro = R0``, ``vo = v0`` of the run's :class:`~mwdisk.frame.GalacticFrame`. The natural-unit
potential therefore does not depend on (R0, v0); every table below is in natural units and serves every
(R0, v0) pair of a sweep.

Natural-unit tables (``L_c(R)`` for the guiding radius, the Staeckel focal distance, and McMillan17's
interpolation grid, ~50 times faster to integrate than the exact model) are built once by
``scripts/build_orbit_tables.py`` and shipped as ``mwdisk/data/orbit_tables.npz``;
:mod:`~mwdisk.potentials.tables` describes them.

If the file is missing or does not match the installed galpy (a few nodes are checked against live galpy
on load), the tables are rebuilt in memory with a warning: slow for ``mcm17`` (about 80 s).

Modules, one concept each:

- :mod:`~mwdisk.potentials.models`: the named galpy models and their rescaling to natural units;
- :mod:`~mwdisk.potentials.tables`: :class:`TableSpec` and the tables (build, save, load, check);
- :mod:`~mwdisk.potentials.interpolated`: the interpolated McMillan17 rebuilt from the table;
- :mod:`~mwdisk.potentials.natural`: :class:`NaturalModel`, the natural-unit model with its tables;
- :mod:`~mwdisk.potentials.orbit_potential`: :class:`OrbitPotential`, rescaled to a frame's (R0, v0).

Each cache lives in the module that defines it (``tables._shipped``, ``natural.natural_model``,
``orbit_potential._get_potential``); patch names in the submodule where they are looked up.
"""

from __future__ import annotations

from .models import DEFAULT_POTENTIAL, POTENTIAL_NAMES
from .natural import NaturalModel, natural_model
from .orbit_potential import OrbitPotential, get_potential, potential_for_frame
from .tables import TABLES_PATH, TableSpec, build_tables, save_tables

# private names used elsewhere in the repository: mwdisk.orbits (_delta_at), tests/orbits (_shipped)
from .tables import _delta_at as _delta_at
from .tables import _shipped as _shipped

__all__ = [
    "POTENTIAL_NAMES",
    "DEFAULT_POTENTIAL",
    "TABLES_PATH",
    "TableSpec",
    "NaturalModel",
    "OrbitPotential",
    "get_potential",
    "potential_for_frame",
    "natural_model",
    "build_tables",
    "save_tables",
]
