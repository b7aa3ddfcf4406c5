"""The interpolated McMillan17, rebuilt from the shipped table.

galpy's ``interpRZPotential`` integrates McMillan17 orbits ~50 times faster than the exact model (whose
DiskSCF component is slow in galpy). :func:`_interpolated` rebuilds it from the tabulated potential and
forces (:mod:`mwdisk.potentials.tables`) instead of evaluating the slow model on every node. Private to
:mod:`mwdisk.potentials`: :func:`mwdisk.potentials.natural_model` uses it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tables import TableSpec

__all__: list[str] = []


def _grid_lookup_potential(pot_true: Any, spec: TableSpec, t: dict[str, np.ndarray]):
    """A galpy potential that returns the tabulated values at the table nodes (and the exact model elsewhere).

    Feeding it to ``interpRZPotential`` with the same grid rebuilds the interpolated McMillan17 from the
    shipped table, without evaluating the slow model on 30,000 nodes.
    """
    from galpy.potential import Potential, evaluatePotentials, evaluateRforces, evaluatezforces

    r_nodes, z_nodes = spec.interp_axes()
    lnr0, dlnr = np.log(r_nodes[0]), np.log(r_nodes[1]) - np.log(r_nodes[0])
    dz = z_nodes[1] - z_nodes[0]

    class _GridLookup(Potential):
        def __init__(self):
            Potential.__init__(self, amp=1.0)
            self._roSet = self._voSet = False
            self.hasC = False

        def _lookup(self, key, evaluator, R, z, odd=False):
            R, z = np.broadcast_arrays(np.asarray(R, float), np.asarray(z, float))
            shape = R.shape
            R, z = R.ravel(), z.ravel()
            fi = (np.log(R) - lnr0) / dlnr
            fj = np.abs(z) / dz
            i, j = np.rint(fi), np.rint(fj)
            on = (np.abs(fi - i) < 1e-6) & (np.abs(fj - j) < 1e-6)
            on &= (i >= 0) & (i < r_nodes.size) & (j >= 0) & (j < z_nodes.size)
            out = np.empty(R.size)
            vals = t[key][i[on].astype(int), j[on].astype(int)]
            out[on] = np.where(z[on] < 0, -vals, vals) if odd else vals
            if not on.all():
                out[~on] = evaluator(pot_true, R[~on], z[~on], use_physical=False)
            return out.reshape(shape) if shape else float(out[0])

        def _evaluate(self, R, z, phi=0.0, t=0.0):
            return self._lookup("interp_pot", evaluatePotentials, R, z)

        def _Rforce(self, R, z, phi=0.0, t=0.0):
            return self._lookup("interp_rforce", evaluateRforces, R, z)

        def _zforce(self, R, z, phi=0.0, t=0.0):
            return self._lookup("interp_zforce", evaluatezforces, R, z, odd=True)

    return _GridLookup()


def _interpolated(pot_true: Any, spec: TableSpec, t: dict[str, np.ndarray]):
    from galpy.potential import interpRZPotential

    return interpRZPotential(
        _grid_lookup_potential(pot_true, spec, t),
        **spec.interp_kwargs(),
        interpPot=True,
        interpRforce=True,
        interpzforce=True,
        use_c=False,
        enable_c=True,
    )
