"""Natural-unit tables of the potentials: their grids, how they are built, saved, loaded and checked.

Tables (built once by ``scripts/build_orbit_tables.py``, shipped as ``mwdisk/data/orbit_tables.npz``):

- ``lc``: the circular angular momentum ``L_c(R) = R v_c(R)`` on one fixed log grid in R / R0, inverted for
  the guiding radius (:func:`mwdisk.orbits.guiding_radius`);
- ``delta``: the Staeckel focal distance of Sanders (2012, eq. 9, as galpy's ``estimateDeltaStaeckel``) on
  a (ln R, asinh(|z| / z_s)) grid, interpolated bilinearly per star;
- ``mcm17`` only: potential, radial and vertical force on the (ln R, |z|) grid of galpy's
  ``interpRZPotential`` (see :mod:`mwdisk.potentials.interpolated`).

The tables are in natural units (v_c(1) = 1, :mod:`mwdisk.potentials.models`), so one file serves every
(R0, v0). :func:`_shipped` loads the file once per process; :func:`_tables_match` checks a few nodes against
live galpy.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .models import _rescaled_components

__all__ = [
    "TABLES_PATH",
    "TableSpec",
    "build_tables",
    "save_tables",
]

logger = logging.getLogger(__name__)

#: The shipped tables.
TABLES_PATH = Path(str(resources.files("mwdisk.data").joinpath("orbit_tables.npz")))
#: Relative tolerance of the load-time check of the tables against live galpy.
_CHECK_RTOL = 1e-8


@dataclass(frozen=True)
class TableSpec:
    """Grids of the natural-unit tables (lengths in units of R0).

    Parameters
    ----------
    rg_min_r0, rg_max_r0, rg_size : float, float, int
        Log-spaced radius grid on which ``L_c = R v_c(R)`` is tabulated for the guiding radius. Stars whose
        |L_z| falls outside ``L_c`` of this range get ``R_g = NaN``.
    delta_rmin_r0, delta_rmax_r0, delta_nr : float, float, int
        Log-spaced radius axis of the focal-distance table (clamped outside).
    delta_zmax_r0, delta_nz, delta_zscale_r0 : float, int, float
        |z| axis of the focal-distance table, uniform in ``asinh(|z| / delta_zscale_r0)`` (fine near the
        plane where delta changes fast).
    interp_rmin_r0, interp_rmax_r0, interp_nr : float, float, int
        Log-spaced R axis of the interpolated McMillan17 (galpy ``interpRZPotential``).
    interp_zmax_r0, interp_nz : float, int
        Uniform z >= 0 nodes of the interpolated McMillan17 (the shipped half). The interpolation itself
        runs on the mirrored grid of ``2 * interp_nz - 1`` nodes from -zmax to zmax (41 pc spacing at the
        defaults): galpy's ``zsym=True`` spline has a boundary artefact at z = 0 that biased Z_max of orbits
        staying within ~100 pc of the plane by up to 40 %; the mirrored grid brings that below 0.5 %.
    """

    rg_min_r0: float = 1.0e-3
    rg_max_r0: float = 20.0
    rg_size: int = 4001
    delta_rmin_r0: float = 0.05
    delta_rmax_r0: float = 6.0
    delta_nr: int = 40
    delta_zmax_r0: float = 2.0
    delta_nz: int = 20
    delta_zscale_r0: float = 0.01
    interp_rmin_r0: float = 0.01
    interp_rmax_r0: float = 10.0
    interp_nr: int = 151
    interp_zmax_r0: float = 1.0
    interp_nz: int = 201

    def rg_grid(self) -> np.ndarray:
        """Radius nodes (natural units) of the L_c table."""
        return np.exp(np.linspace(np.log(self.rg_min_r0), np.log(self.rg_max_r0), self.rg_size))

    def delta_axes(self) -> tuple[np.ndarray, np.ndarray]:
        """(ln R nodes, asinh(|z|/z_s) nodes) of the focal-distance table."""
        lnr = np.linspace(np.log(self.delta_rmin_r0), np.log(self.delta_rmax_r0), self.delta_nr)
        u = np.linspace(0.0, np.arcsinh(self.delta_zmax_r0 / self.delta_zscale_r0), self.delta_nz)
        return lnr, u

    def interp_axes(self) -> tuple[np.ndarray, np.ndarray]:
        """(R nodes, z >= 0 nodes) of the shipped interpolation table."""
        r = np.exp(np.linspace(np.log(self.interp_rmin_r0), np.log(self.interp_rmax_r0), self.interp_nr))
        z = np.linspace(0.0, self.interp_zmax_r0, self.interp_nz)
        return r, z

    def interp_kwargs(self) -> dict[str, Any]:
        """Grid arguments of ``galpy.potential.interpRZPotential`` (mirrored in z, ``zsym=False``)."""
        return {
            "rgrid": (np.log(self.interp_rmin_r0), np.log(self.interp_rmax_r0), self.interp_nr),
            "zgrid": (-self.interp_zmax_r0, self.interp_zmax_r0, 2 * self.interp_nz - 1),
            "logR": True,
            "zsym": False,
        }


def _lc_table(pot: Any, spec: TableSpec) -> np.ndarray:
    from galpy.potential import vcirc

    r = spec.rg_grid()
    return r * np.asarray(vcirc(pot, r, use_physical=False), dtype=float)


def _delta_at(pot: Any, r_nat: np.ndarray, absz_nat: np.ndarray) -> np.ndarray:
    """galpy's per-point focal-distance estimate (slow for SCF-based models: ~2-30 ms per point)."""
    from galpy.actionAngle import estimateDeltaStaeckel

    z = np.maximum(np.asarray(absz_nat, dtype=float).copy(), 1e-4)  # galpy moves z = 0 to 1e-4
    return np.asarray(estimateDeltaStaeckel(pot, np.asarray(r_nat, float), z, no_median=True), float)


def _delta_table(pot: Any, spec: TableSpec) -> np.ndarray:
    lnr, u = spec.delta_axes()
    rr, uu = np.meshgrid(np.exp(lnr), spec.delta_zscale_r0 * np.sinh(u), indexing="ij")
    return _delta_at(pot, rr.ravel(), uu.ravel()).reshape(rr.shape)


def _interp_tables(pot: Any, spec: TableSpec) -> dict[str, np.ndarray]:
    from galpy.potential.interpRZPotential import calc_potential_c

    r, z = spec.interp_axes()
    out = {}
    todo = (("interp_pot", {}), ("interp_rforce", {"rforce": True}), ("interp_zforce", {"zforce": True}))
    for key, kw in todo:
        grid, err = calc_potential_c(pot, r, z, **kw)
        if err != 0:
            raise RuntimeError(f"galpy's C grid evaluation of {key} failed with code {err}")
        out[key] = np.asarray(grid, dtype=float)
    return out


def build_tables(name: str, spec: TableSpec | None = None) -> dict[str, np.ndarray]:
    """Compute the natural-unit tables of one potential (slow for ``mcm17``: ~80 s on one core).

    Parameters
    ----------
    name : str
        Short name, one of :data:`POTENTIAL_NAMES`.
    spec : TableSpec, optional
        Grids; default :class:`TableSpec()`.

    Returns
    -------
    dict
        ``lc`` (``rg_size``), ``delta`` (``delta_nr`` x ``delta_nz``), ``vc1_native`` (scalar), and for
        ``mcm17`` ``interp_pot``, ``interp_rforce``, ``interp_zforce`` (``interp_nr`` x ``interp_nz``).
    """
    spec = spec or TableSpec()
    pot, vc1 = _rescaled_components(name)
    out = {"lc": _lc_table(pot, spec), "delta": _delta_table(pot, spec), "vc1_native": np.float64(vc1)}
    if name == "mcm17":
        out.update(_interp_tables(pot, spec))
    return out


def save_tables(path: Path, tables: dict[str, dict[str, np.ndarray]], spec: TableSpec) -> None:
    """Write ``{name: build_tables(name)}`` to one compressed npz with the spec and galpy version."""
    import galpy

    flat: dict[str, Any] = {f"{n}__{k}": v for n, t in tables.items() for k, v in t.items()}
    meta = {"spec": dataclasses.asdict(spec), "galpy": galpy.__version__, "names": sorted(tables)}
    flat["meta_json"] = np.array(json.dumps(meta))
    np.savez_compressed(path, **flat)


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[TableSpec, dict[str, dict[str, np.ndarray]]] | None:
    if not TABLES_PATH.is_file():
        logger.warning("orbit tables %s are missing; they will be rebuilt in memory (run "
                       "scripts/build_orbit_tables.py to ship them)", TABLES_PATH)
        return None
    with np.load(TABLES_PATH) as f:
        meta = json.loads(str(f["meta_json"]))
        tables: dict[str, dict[str, np.ndarray]] = {}
        for key in f.files:
            if "__" in key:
                n, k = key.split("__", 1)
                tables.setdefault(n, {})[k] = f[key]
    return TableSpec(**meta["spec"]), tables


def _tables_match(name: str, pot: Any, vc1: float, spec: TableSpec, t: dict[str, np.ndarray]) -> bool:
    """Check a few nodes of the loaded tables against live galpy (guards against a changed model)."""
    if not np.isclose(float(t["vc1_native"]), vc1, rtol=_CHECK_RTOL, atol=0):
        return False
    r = spec.rg_grid()
    idx = np.array([spec.rg_size // 3, spec.rg_size // 2])
    if not np.allclose(_lc_table_at(pot, r[idx]), t["lc"][idx], rtol=_CHECK_RTOL, atol=0):
        return False
    lnr, u = spec.delta_axes()
    i, j = spec.delta_nr // 2, spec.delta_nz // 3
    d = _delta_at(pot, np.exp(lnr[[i]]), spec.delta_zscale_r0 * np.sinh(u[[j]]))
    if not np.allclose(d, t["delta"][i, j], rtol=1e-6, atol=0):
        return False
    if name == "mcm17":
        from galpy.potential import evaluatePotentials

        rr, zz = spec.interp_axes()
        ii, jj = spec.interp_nr // 2, spec.interp_nz // 10
        ref = float(evaluatePotentials(pot, rr[ii], zz[jj], use_physical=False))
        if not np.isclose(t["interp_pot"][ii, jj], ref, rtol=_CHECK_RTOL, atol=0):
            return False
    return True


def _lc_table_at(pot: Any, r: np.ndarray) -> np.ndarray:
    from galpy.potential import vcirc

    return r * np.asarray(vcirc(pot, r, use_physical=False), dtype=float)
