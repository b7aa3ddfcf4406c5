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

Tables (built once by ``scripts/build_orbit_tables.py``, shipped as ``mwdisk/data/orbit_tables.npz``):

- ``lc``: the circular angular momentum ``L_c(R) = R v_c(R)`` on one fixed log grid in R / R0, inverted for
  the guiding radius (:func:`mwdisk.orbits.guiding_radius`);
- ``delta``: the Staeckel focal distance of Sanders (2012, eq. 9, as galpy's ``estimateDeltaStaeckel``) on
  a (ln R, asinh(|z| / z_s)) grid, interpolated bilinearly per star;
- ``mcm17`` only: potential, radial and vertical force on the (ln R, |z|) grid of galpy's
  ``interpRZPotential``, which integrates McMillan17 orbits ~50 times faster than the exact model (whose
  DiskSCF component is slow in galpy).

If the file is missing or does not match the installed galpy (a few nodes are checked against live galpy
on load), the tables are rebuilt in memory with a warning: slow for ``mcm17`` (about 80 s).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import logging
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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

logger = logging.getLogger(__name__)

#: Short names of the supported potentials (column suffixes).
POTENTIAL_NAMES = ("mw14", "mcm17", "irr13")
#: The paper's potential.
DEFAULT_POTENTIAL = "mw14"
#: The shipped tables.
TABLES_PATH = Path(__file__).resolve().parent / "data" / "orbit_tables.npz"
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


# ---------------------------------------------------------------------------------------------------------
# tables


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


# ---------------------------------------------------------------------------------------------------------
# interpolated McMillan17 from the shipped table


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


# ---------------------------------------------------------------------------------------------------------
# models


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
