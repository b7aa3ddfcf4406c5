"""Isochrone interpolation at fixed EEP (equivalent evolutionary phase).

A native grid is held as a dense cube ``values[i_comp, i_age, i_eep, q]`` with NaN where an EEP is absent.
Interpolation is linear in log10(age) and in composition between the two bracketing nodes, always at the same
EEP (never across EEPs). Where the two neighbours cover different EEP ranges, only their common range survives
(NaN propagates). Age is interpolated first (at each bracketing composition node), then composition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

__all__ = [
    "NATIVE_QUANTITIES",
    "NativeCube",
    "axis_weights",
    "interpolate_isochrone",
    "clean_isochrone",
    "interpolate_between",
]

logger = logging.getLogger(__name__)

#: Quantities interpolated at fixed EEP, in cube order.
NATIVE_QUANTITIES = ("mass_init_msun", "log_teff", "logg", "logl")

#: Nodes closer than this (in the axis unit, dex) count as exact matches: no interpolation, no EEP loss.
SNAP_TOL = 1e-4


@dataclass(frozen=True)
class NativeCube:
    """A native isochrone grid on (composition, log age, EEP).

    Attributes
    ----------
    comp : numpy.ndarray
        (n_comp,) composition nodes ([Fe/H] = [M/H] for scaled-solar grids), increasing.
    log_age : numpy.ndarray
        (n_age,) log10(age / yr) nodes, increasing.
    eep : numpy.ndarray
        (n_eep,) EEP numbers.
    values : numpy.ndarray
        (n_comp, n_age, n_eep, 4) float64: initial mass, log Teff, log g, log L; NaN where absent.
    """

    comp: np.ndarray
    log_age: np.ndarray
    eep: np.ndarray
    values: np.ndarray

    def drop(self, comp_index: int | None = None, age_index: int | None = None) -> NativeCube:
        """The same cube without one composition node and/or one age node (for leave-one-out tests)."""
        comp, age, vals = self.comp, self.log_age, self.values
        if comp_index is not None:
            comp = np.delete(comp, comp_index)
            vals = np.delete(vals, comp_index, axis=0)
        if age_index is not None:
            age = np.delete(age, age_index)
            vals = np.delete(vals, age_index, axis=1)
        return NativeCube(comp=comp, log_age=age, eep=self.eep, values=vals)


def axis_weights(nodes: np.ndarray, x: float, name: str = "axis") -> tuple[int, int, float]:
    """Bracketing node indices ``(i0, i1)`` and weight ``w`` of ``i1`` for linear interpolation at ``x``.

    ``i0 == i1`` (``w = 0``) when ``x`` is within :data:`SNAP_TOL` of a node.

    Raises
    ------
    ValueError
        If ``x`` lies outside the node range.
    """
    nodes = np.asarray(nodes, float)
    j = int(np.argmin(np.abs(nodes - x)))
    if abs(nodes[j] - x) <= SNAP_TOL:
        return j, j, 0.0
    if x < nodes[0] or x > nodes[-1]:
        raise ValueError(
            f"{name} = {x} is outside the grid range {nodes[0]}..{nodes[-1]}; do not extrapolate"
        )
    i1 = int(np.searchsorted(nodes, x, side="right"))
    i0 = i1 - 1
    return i0, i1, float((x - nodes[i0]) / (nodes[i1] - nodes[i0]))


def _lerp(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    return a if w == 0.0 else (1.0 - w) * a + w * b


def interpolate_isochrone(cube: NativeCube, comp: float, log_age: float) -> dict[str, np.ndarray]:
    """The isochrone at (composition, log age), interpolated at fixed EEP from the cube.

    Returns
    -------
    dict
        ``eep`` and the :data:`NATIVE_QUANTITIES`, over the EEPs common to all bracketing nodes, cleaned by
        :func:`clean_isochrone`.
    """
    a0, a1, wa = axis_weights(cube.log_age, log_age, "log10 age")
    c0, c1, wc = axis_weights(cube.comp, comp, "composition")
    at_c0 = _lerp(cube.values[c0, a0], cube.values[c0, a1], wa)
    at_c1 = _lerp(cube.values[c1, a0], cube.values[c1, a1], wa)
    vals = _lerp(at_c0, at_c1, wc)
    iso = {"eep": cube.eep.astype(float)}
    iso.update({q: vals[:, k] for k, q in enumerate(NATIVE_QUANTITIES)})
    return clean_isochrone(iso)


def clean_isochrone(iso: dict[str, np.ndarray], mass_key: str = "mass_init_msun") -> dict[str, np.ndarray]:
    """Drop non-finite points and points whose initial mass does not exceed every earlier one (ties).

    Parameters
    ----------
    iso : dict of numpy.ndarray
        Columns of equal length in EEP order.

    Returns
    -------
    dict of numpy.ndarray
        The same columns, only rows that are finite in every column and strictly increasing in mass.
    """
    finite = np.ones(iso[mass_key].size, bool)
    for v in iso.values():
        finite &= np.isfinite(v)
    iso = {k: v[finite] for k, v in iso.items()}
    mass = iso[mass_key]
    if mass.size == 0:
        return iso
    prev_max = np.maximum.accumulate(np.concatenate([[-np.inf], mass[:-1]]))
    keep = mass > prev_max
    if not keep.all():
        logger.debug("dropped %d points with non-increasing initial mass", int((~keep).sum()))
    return {k: v[keep] for k, v in iso.items()}


def interpolate_between(
    iso_a: dict[str, np.ndarray], iso_b: dict[str, np.ndarray], w: float
) -> dict[str, np.ndarray]:
    """Interpolate two isochrones at fixed EEP: ``(1 - w) a + w b`` on their common EEPs, then clean.

    Both must carry an ``eep`` column; every column present in both is interpolated.
    """
    if w == 0.0:
        return dict(iso_a)
    if w == 1.0:
        return dict(iso_b)
    common, ia, ib = np.intersect1d(iso_a["eep"], iso_b["eep"], return_indices=True)
    out = {"eep": common}
    for k in iso_a:
        if k == "eep" or k not in iso_b:
            continue
        out[k] = (1.0 - w) * iso_a[k][ia] + w * iso_b[k][ib]
    return clean_isochrone(out)
