"""A potential in natural units (v_c(1) = 1) with its tables: :class:`NaturalModel`, built once per process.

:func:`natural_model` loads the shipped tables (:mod:`mwdisk.potentials.tables`), checks them against live
galpy, rebuilds them in memory with a warning if missing or stale (slow for ``mcm17``: about 80 s), and for
``mcm17`` integrates orbits in the interpolated model (:mod:`mwdisk.potentials.interpolated`). Independent
of (R0, v0).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from .interpolated import _interpolated
from .models import _check_name, _rescaled_components
from .tables import TableSpec, _shipped, _tables_match, build_tables

__all__ = [
    "NaturalModel",
    "natural_model",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class NaturalModel:
    """A potential in natural units (v_c(1) = 1) with its tables; independent of (R0, v0).

    Attributes
    ----------
    name : str
        Short name.
    galpy_pot : galpy.potential.CompositePotential
        The galpy components, physical output off, amplitudes rescaled.
    integration_pot : object
        Potential used for orbit integration: the interpolated model for ``mcm17`` (when requested), else
        ``galpy_pot``.
    interpolated : bool
        Whether ``integration_pot`` is interpolated.
    vc1_native : float
        v_c(1) of the model in its own natural units before rescaling (provenance).
    spec : TableSpec
        Grids of the tables.
    lc : numpy.ndarray
        ``R v_c(R)`` on ``spec.rg_grid()``.
    delta : numpy.ndarray
        Focal distance on ``spec.delta_axes()``.
    """

    name: str
    galpy_pot: Any = dataclasses.field(repr=False)
    integration_pot: Any = dataclasses.field(repr=False)
    interpolated: bool
    vc1_native: float
    spec: TableSpec
    lc: np.ndarray = dataclasses.field(repr=False)
    delta: np.ndarray = dataclasses.field(repr=False)

    @functools.cached_property
    def _rg_spline(self):
        from scipy.interpolate import CubicSpline

        return CubicSpline(np.log(self.lc), np.log(self.spec.rg_grid()))

    def rguiding_natural(self, lz_nat: np.ndarray) -> np.ndarray:
        """Radius of the circular orbit with angular momentum |lz| (natural units); NaN outside the grid."""
        lz = np.abs(np.asarray(lz_nat, dtype=float))
        out = np.full(lz.shape, np.nan)
        ok = np.isfinite(lz) & (lz >= self.lc[0]) & (lz <= self.lc[-1])
        out[ok] = np.exp(self._rg_spline(np.log(lz[ok])))
        return out

    def delta_natural(self, r_nat: np.ndarray, z_nat: np.ndarray) -> np.ndarray:
        """Staeckel focal distance at (R, |z|), bilinear in (ln R, asinh(|z|/z_s)), clamped to the table."""
        lnr_ax, u_ax = self.spec.delta_axes()
        lnr = np.log(np.asarray(r_nat, dtype=float))
        u = np.arcsinh(np.abs(np.asarray(z_nat, dtype=float)) / self.spec.delta_zscale_r0)
        fi = np.clip((lnr - lnr_ax[0]) / (lnr_ax[1] - lnr_ax[0]), 0, lnr_ax.size - 1)
        fj = np.clip((u - u_ax[0]) / (u_ax[1] - u_ax[0]), 0, u_ax.size - 1)
        fi = np.nan_to_num(fi, nan=0.0)
        fj = np.nan_to_num(fj, nan=0.0)
        i = np.minimum(fi.astype(np.intp), lnr_ax.size - 2)
        j = np.minimum(fj.astype(np.intp), u_ax.size - 2)
        a, b = fi - i, fj - j
        d = self.delta
        return (
            (1 - a) * (1 - b) * d[i, j]
            + a * (1 - b) * d[i + 1, j]
            + (1 - a) * b * d[i, j + 1]
            + a * b * d[i + 1, j + 1]
        )


@functools.lru_cache(maxsize=8)
def natural_model(name: str, interpolate: bool = True) -> NaturalModel:
    """The natural-unit model with its tables, built (or loaded) once per process.

    Parameters
    ----------
    name : str
        One of :data:`POTENTIAL_NAMES`.
    interpolate : bool, optional
        Integrate ``mcm17`` orbits in the interpolated model (default True; ignored for the others).
    """
    pot, vc1 = _rescaled_components(_check_name(name))
    shipped = _shipped()
    spec, t = TableSpec(), None
    if shipped is not None and name in shipped[1]:
        spec, t = shipped[0], shipped[1][name]
        if not _tables_match(name, pot, vc1, spec, t):
            logger.warning("shipped orbit tables for %s do not match galpy here; rebuilding in memory "
                           "(rerun scripts/build_orbit_tables.py)", name)
            t = None
    if t is None:
        logger.warning("building orbit tables for %s in memory (slow for mcm17)", name)
        t = build_tables(name, spec)
    use_interp = bool(interpolate) and name == "mcm17"
    integ = _interpolated(pot, spec, t) if use_interp else pot
    return NaturalModel(
        name=name,
        galpy_pot=pot,
        integration_pot=integ,
        interpolated=use_interp,
        vc1_native=vc1,
        spec=spec,
        lc=np.asarray(t["lc"], float),
        delta=np.asarray(t["delta"], float),
    )
