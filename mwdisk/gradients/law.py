"""Likelihood fit of the gradient-age law over the stars' whole G functions (no binning by modal age).

Issue 19. Binning stars by their most likely age moves them between bins, so the members of a bin are not a
fair sample of the stars of that age (a thick-disk bin younger than the thick disk holds only stars whose
ages were underestimated). Here every star contributes its full age likelihood instead:

.. math::

    \\ell_i = \\log \\sum_k W_k\\, G_i(\\tau_k)\\, p(\\tau_k)\\,
        \\mathcal{N}\\big([\\mathrm{Fe/H}]_i \\mid a(\\tau_k) + g(\\tau_k)(R_i - R_\\mathrm{ref}),\\;
        s(\\tau_k)^2 + e_i^2 + g(\\tau_k)^2 \\sigma_{R,i}^2\\big)

on the isochrone grid's ages :math:`\\tau_k` with trapezoid weights :math:`W_k` (the integral over age of the
linearly interpolated G, as everywhere in mwdisk). :math:`G_i` is the stored ``age_G_u16`` of the star,
e_i its [Fe/H] error, R_i its radius (R_g of the run's potential or R_present) and sigma_R,i the Monte-Carlo
spread of that radius. That is the issue's formula, kept as ``radius_model="conditional"``. It treats the
measured radius as the true one, which attenuates the gradient by var(R) / (var(R) + sigma_R^2): -0.0713 +-
0.0007 for an injected -0.075 on 40,000 synthetic stars with sigma_R of 0.1-0.5 kpc. The default
(``radius_model="structural"``) also models the true radii of the stars of age tau as N(m(tau), w(tau)^2)
(m and log w linear in age), so each term of the sum becomes
N(R_i | m, w^2 + sigma_R,i^2) N([Fe/H]_i | a + g (R-hat_i - R_ref), s^2 + e_i^2 + g^2 lambda sigma_R,i^2) with
lambda = w^2 / (w^2 + sigma_R,i^2) and R-hat_i = m + lambda (R_i - m) the expected true radius: the
classical structural errors-in-variables model, unbiased (-0.0748 +- 0.0007 on the same stars); it also lets
each star's age posterior know that the radius distribution changes with age. The model functions of age
(:class:`LawSpec`):

``g(tau)`` the gradient (dex/kpc)
    ``linear`` (default; the paper's law): g(1 Gyr) + flattening (tau - 1 Gyr). ``spline``: piecewise linear
    between nodes (``gradient_nodes_gyr``), constant beyond the end nodes.
``a(tau)`` [Fe/H] at ``R_ref`` (the age-metallicity relation)
    ``quadratic`` (default) in age, or ``spline`` (piecewise linear between ``feh_nodes_gyr``).
``s(tau)`` the intrinsic [Fe/H] scatter (dex)
    exp(polynomial of degree ``scatter_degree`` in age); default 1.
``p(tau)`` the age distribution of the selected stars
    ``p_nodes`` hat functions evenly spaced over the grid (default 8), each normalised with the trapezoid
    weights, mixed with softmax weights (the first node's log-weight is fixed at 0; a weak Gaussian prior,
    ``p_prior_sigma``, keeps empty nodes finite), so that :math:`\\sum_k W_k p(\\tau_k) = 1` always.

``R_ref`` (``ref_radius_kpc``, default 8.27 kpc, the default frame's R0) only sets where a(tau) is read: with
a(tau) at least linear in age and g(tau) linear (or a and g splines on the same nodes), a shift of R_ref is
absorbed exactly by a(tau), and the fitted gradients do not depend on it.

Exactness. Each star's log-likelihood and gradient are computed on their own (a loop over stars, numba) and
rounded to the quantum 2^-50 before they are summed as integers, in two int64 limbs, into blocks; a star's
block is a hash of (seed, source_id) (:func:`star_blocks`). :func:`law_block_sums` returns the block sums as
Python integers, which add exactly. So the total over any partitioning of the stars, combined in any order,
is the same integer: 1 or 8 partitions and 1 or 2 workers give bit-identical function values, hence the same
optimiser path and the same fit. The blocks also carry the bootstrap (:func:`fit_law`): a replicate weights
the blocks with multinomial counts, which does not depend on the partitioning either.

Fit (:func:`fit_law`, on the client, given a function that returns the block sums for a parameter vector):
L-BFGS-B with the analytic gradient on the mean negative log-likelihood, then Newton steps on the Hessian
(forward finite differences of the exact gradient); the covariance is its inverse (parameters at a bound
left out), the errors of the derived quantities (:data:`DERIVED`) follow by the delta method; then
``n_bootstrap`` replicates over blocks, warm-started at the fit, whose standard deviation is reported beside
the Hessian error.

Examples
--------
>>> import numpy as np
>>> spec = LawSpec.build(np.array([1.0, 2.0, 4.0, 8.0, 12.0]), LawOptions(p_nodes=3))
>>> spec.names[:7]
('a0', 'a1', 'a2', 'g0', 'g1', 's0', 's1')
>>> theta = spec.initial()
>>> bool(np.isclose(spec.unpack(theta)["p"] @ spec.weights, 1.0))
True
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields

import numba
import numpy as np

__all__ = [
    "LawOptions",
    "LawSpec",
    "LawData",
    "LawFit",
    "DERIVED",
    "LAW_COLUMNS",
    "QUANTUM_BITS",
    "star_blocks",
    "law_data",
    "law_block_sums",
    "law_loglike_grad",
    "sum_blocks",
    "blocks_to_float",
    "fit_law",
]

logger = logging.getLogger(__name__)

#: Per-star terms are rounded to 2^-QUANTUM_BITS before the exact integer sums.
QUANTUM_BITS = 50
_HI_BITS = 20  # hi limb: floor(x 2^20); lo limb: the remainder in units of 2^-50 (0 .. 2^30)
_CLAMP = float(2**20)  # per-star terms are clamped to +-2^20 (only reached far outside the bounds' interior)
_CHUNK = 2**20  # stars per kernel call: int64 limb sums cannot overflow

#: Stream id of the star -> block hash (kept apart from mwdisk.rng's streams 1-3).
STREAM_LAW_BLOCKS = 19

#: Columns of ``OUT/gradient_law.csv``.
LAW_COLUMNS = ("selection", "potential", "R0_kpc", "v0_kms", "radius", "parameter", "value", "err",
               "err_bootstrap", "n_stars", "model")

#: Derived quantities reported per fit (besides the gradient at each of ``curve_ages_gyr``):
#: name -> meaning. p-weighted means use the fitted age distribution of the selection.
DERIVED = {
    "gradient_at_1gyr_dex_per_kpc": "g(1 Gyr)",
    "flattening_dex_per_kpc_per_gyr": "d g / d tau: the slope for the linear form; for the spline form the "
                                      "p-weighted least-squares slope of g over age",
    "gradient_mean_dex_per_kpc": "p-weighted mean of g over age (the thick disk's gradient)",
    "mean_age_gyr": "mean age of the fitted p(tau)",
    "feh_at_1gyr_dex": "a(1 Gyr): [Fe/H] at R_ref and 1 Gyr",
    "scatter_mean_dex": "p-weighted mean intrinsic [Fe/H] scatter s(tau)",
}


@dataclass(frozen=True)
class LawOptions:
    """Choices of the gradient-age law fit (config section ``gradient_law:``).

    Attributes
    ----------
    selections : tuple of str
        Selections fitted (names of :data:`mwdisk.selections.SELECTION_NAMES` / ``EXTRA_SELECTIONS``).
    radii : tuple of str
        ``rg`` (R_g of the variant's potential) and/or ``rpresent``.
    gradient_form : {"linear", "spline"}
        g(tau): the paper's linear law (default) or piecewise linear between ``gradient_nodes_gyr``.
    gradient_nodes_gyr : tuple of float
        Nodes of the spline form of g.
    feh_form : {"quadratic", "spline"}
        a(tau): quadratic in age (default) or piecewise linear between ``feh_nodes_gyr``.
    feh_nodes_gyr : tuple of float
        Nodes of the spline form of a.
    scatter_degree : int
        log s(tau) is a polynomial of this degree in age (0, 1 default, or 2).
    radius_model : {"structural", "conditional"}
        How the radius errors enter. ``structural`` (default): the true radius of the stars of age tau is
        N(m(tau), w(tau)^2), fitted too, so that [Fe/H] is regressed on the expected true radius given the
        measured one (no attenuation of the gradient by the radius errors) and the stars' age posteriors
        know that the radius distribution changes with age. ``conditional``: the issue's formula,
        N([Fe/H] | a + g (R - R_ref), s^2 + e^2 + g^2 sigma_R^2) given the measured R, which attenuates the
        gradient by var(R) / (var(R) + sigma_R^2) (3 % on the mock: -0.0728 for -0.075).
    radius_degree : int
        m(tau) and log w(tau) are polynomials of this degree in age (structural model only; default 1).
    p_nodes : int
        Hat-function nodes of p(tau), evenly spaced over the grid's ages (default 8, at least 2).
    p_prior_sigma : float
        Width of a weak Gaussian prior on the node log-weights of p about their mean (0: none). It only
        keeps empty nodes (the thick disk has no young stars) from drifting without bound.
    ref_radius_kpc : float
        R_ref (default 8.27 kpc, the default frame's R0); the fitted gradients do not depend on it.
    curve_ages_gyr : tuple of float
        Ages at which g(tau) is also reported with its error (``gradient_at_<age>gyr_dex_per_kpc``), to draw
        the law and its band beside the binned points.
    min_stars : int
        Selections with fewer usable stars are not fitted.
    n_blocks : int
        Blocks of stars (hash of seed and source_id) of the exact sums and of the bootstrap.
    n_bootstrap : int
        Bootstrap replicates over blocks (0: none; each costs ``bootstrap_iter - 1`` evaluations).
    max_iter : int
        L-BFGS-B iteration limit (first phase of the fit).
    ftol, gtol : float
        L-BFGS-B tolerances (relative reduction, projected gradient of the mean negative log-likelihood
        per star); the Newton polish then converges the rest.
    hessian_step : float
        Central finite-difference step of the Hessian, in the internal parameter units.
    newton_iter : int
        Newton steps at most after L-BFGS-B (each costs P + 1 evaluations or a few more).
    newton_tol : float
        The polish stops when the predicted gain in log-likelihood (total, not per star) is below this.
    bootstrap_iter : int
        Newton steps (with the fit's Hessian) per bootstrap replicate.
    """

    selections: tuple[str, ...] = ("thin_disk", "thick_disk", "high_quality")
    radii: tuple[str, ...] = ("rg", "rpresent")
    gradient_form: str = "linear"
    gradient_nodes_gyr: tuple[float, ...] = (1.0, 3.0, 5.0, 8.0, 11.0, 14.0)
    feh_form: str = "quadratic"
    feh_nodes_gyr: tuple[float, ...] = (1.0, 3.0, 5.0, 8.0, 11.0, 14.0)
    scatter_degree: int = 1
    radius_model: str = "structural"
    radius_degree: int = 1
    p_nodes: int = 8
    p_prior_sigma: float = 3.0
    ref_radius_kpc: float = 8.27
    curve_ages_gyr: tuple[float, ...] = (1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0)
    min_stars: int = 200
    n_blocks: int = 64
    n_bootstrap: int = 8
    max_iter: int = 500
    ftol: float = 1e-7
    gtol: float = 1e-9
    hessian_step: float = 1e-4
    newton_iter: int = 6
    newton_tol: float = 1e-3
    bootstrap_iter: int = 2

    def __post_init__(self) -> None:
        if self.gradient_form not in ("linear", "spline"):
            raise ValueError(f"gradient_law.gradient_form = {self.gradient_form!r}; use 'linear' or 'spline'")
        if self.feh_form not in ("quadratic", "spline"):
            raise ValueError(f"gradient_law.feh_form = {self.feh_form!r}; use 'quadratic' or 'spline'")
        if self.scatter_degree not in (0, 1, 2):
            raise ValueError(f"gradient_law.scatter_degree = {self.scatter_degree}; use 0, 1 or 2")
        if self.radius_model not in ("structural", "conditional"):
            raise ValueError(f"gradient_law.radius_model = {self.radius_model!r}; use 'structural' or "
                             f"'conditional'")
        if self.radius_degree not in (0, 1, 2):
            raise ValueError(f"gradient_law.radius_degree = {self.radius_degree}; use 0, 1 or 2")
        if self.p_nodes < 2:
            raise ValueError(f"gradient_law.p_nodes = {self.p_nodes}; use at least 2 (e.g. 8)")
        for name in ("gradient_nodes_gyr", "feh_nodes_gyr"):
            nodes = np.asarray(getattr(self, name), dtype=float)
            if nodes.size < 2 or np.any(np.diff(nodes) <= 0):
                raise ValueError(f"gradient_law.{name} = {list(nodes)}; give >= 2 increasing ages in Gyr")
        bad = sorted(set(self.radii) - {"rg", "rpresent"})
        if bad:
            raise ValueError(f"gradient_law.radii has {bad}; use 'rg' and/or 'rpresent'")
        if self.n_blocks < 2 or self.n_bootstrap < 0:
            raise ValueError(f"gradient_law.n_blocks = {self.n_blocks}, n_bootstrap = {self.n_bootstrap}; "
                             f"use n_blocks >= 2 (e.g. 64) and n_bootstrap >= 0")

    @classmethod
    def from_config(cls, section: Mapping | None) -> "LawOptions":
        """Options from the ``gradient_law:`` config section (missing keys take the defaults).

        Raises
        ------
        ValueError
            For an unknown key (naming the known ones) or a bad value.
        """
        section = dict(section or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(section) - set(known))
        if unknown:
            raise ValueError(f"unknown gradient_law key(s) {unknown}; known ones are {sorted(known)}")
        kw = {}
        for k, v in section.items():
            default = getattr(cls, k)
            if isinstance(default, tuple):
                kw[k] = tuple(v)
            elif isinstance(default, bool):
                kw[k] = bool(v)
            elif isinstance(default, int):
                kw[k] = int(v)
            elif isinstance(default, float):
                kw[k] = float(v)
            else:
                kw[k] = v
        return cls(**kw)

    def model_label(self) -> str:
        """Short description written in the ``model`` column."""
        g = "linear" if self.gradient_form == "linear" else f"spline{len(self.gradient_nodes_gyr)}"
        a = "quadratic" if self.feh_form == "quadratic" else f"spline{len(self.feh_nodes_gyr)}"
        r = f"structural{self.radius_degree}" if self.radius_model == "structural" else "conditional"
        return (f"g={g};a={a};logs=poly{self.scatter_degree};R={r};"
                f"p=hat{self.p_nodes}/prior{self.p_prior_sigma:g};Rref={self.ref_radius_kpc:g}")


def _trapezoid_weights(ages: np.ndarray) -> np.ndarray:
    w = np.zeros_like(ages)
    d = np.diff(ages)
    w[:-1] += d / 2
    w[1:] += d / 2
    return w


def _hats(ages: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """(len(ages), len(nodes)) piecewise-linear hat functions, constant beyond the end nodes."""
    eye = np.eye(nodes.size)
    return np.stack([np.interp(ages, nodes, eye[j]) for j in range(nodes.size)], axis=1)


def _poly(x: np.ndarray, degree: int) -> np.ndarray:
    return np.stack([x**d for d in range(degree + 1)], axis=1)


@dataclass(frozen=True, eq=False)
class LawSpec:
    """The parameter layout and the fixed matrices of the law on one age grid.

    Attributes
    ----------
    ages_gyr, weights : (K,) arrays
        Grid ages and their trapezoid weights.
    options : LawOptions
    names : tuple of str
        Slot names of the flat parameter vector, in channel order: ``a*`` (a(tau)), ``g*`` (g(tau)),
        ``s*`` (log s(tau)), ``m*`` (mean true radius minus R_ref), ``w*`` (log of its spread), ``eta1..``
        (log-weights of the p nodes 1..; node 0 has log-weight 0). ``m`` and ``w`` only in the structural
        radius model.
    slices : dict
        ``"a"``, ``"g"``, ``"s"``, ``"m"``, ``"w"``, ``"eta"`` -> slice of the vector.
    bases : dict
        ``"a"``, ``"g"``, ``"s"``, ``"m"``, ``"w"`` -> (K, n) basis on the grid (a = bases["a"] @ theta[a]).
    H : (K, p_nodes) array
        Hat functions of p, each normalised to a unit trapezoid integral.
    bounds : list of (lo, hi)
        L-BFGS-B bounds (they keep every evaluation finite).
    """

    ages_gyr: np.ndarray
    weights: np.ndarray
    options: LawOptions
    names: tuple[str, ...]
    slices: dict
    bases: dict
    H: np.ndarray
    bounds: list = field(repr=False)

    _CHANNELS = ("a", "g", "s", "m", "w", "eta")

    def _x(self, ages: np.ndarray) -> np.ndarray:
        # a, log s, m, log w: polynomials in (tau - centre) / half-range of the grid
        c, h = 0.5 * (self.ages_gyr[0] + self.ages_gyr[-1]), 0.5 * (self.ages_gyr[-1] - self.ages_gyr[0])
        return (ages - c) / h

    def basis(self, which: str, ages) -> np.ndarray:
        """Basis of ``which`` (one of "a", "g", "s", "m", "w") at arbitrary ages, (n_ages, n_params)."""
        o, ages = self.options, np.atleast_1d(np.asarray(ages, dtype=float))
        if which == "g":
            if o.gradient_form == "linear":  # internal slope: per 10 Gyr
                return _poly((ages - 1.0) / 10.0, 1)
            return _hats(ages, np.asarray(o.gradient_nodes_gyr, dtype=float))
        if which == "a":
            if o.feh_form == "quadratic":
                return _poly(self._x(ages), 2)
            return _hats(ages, np.asarray(o.feh_nodes_gyr, dtype=float))
        if which == "s":
            return _poly(self._x(ages), o.scatter_degree)
        if which in ("m", "w"):
            if o.radius_model != "structural":
                return np.zeros((ages.size, 0))
            return _poly(self._x(ages), o.radius_degree)
        raise ValueError(f"which = {which!r}; use 'a', 'g', 's', 'm' or 'w'")

    @classmethod
    def build(cls, ages_gyr: np.ndarray, options: LawOptions | None = None) -> "LawSpec":
        """The spec of ``options`` on the grid ``ages_gyr`` (increasing, Gyr)."""
        options = options or LawOptions()
        ages = np.asarray(ages_gyr, dtype=np.float64)
        if ages.ndim != 1 or ages.size < 3 or np.any(np.diff(ages) <= 0):
            raise ValueError(f"ages_gyr must be >= 3 increasing ages; got {ages!r}")
        w = _trapezoid_weights(ages)
        proto = cls(ages, w, options, (), {}, {}, np.empty(0), [])
        bases = {c: proto.basis(c, ages) for c in cls._CHANNELS[:-1]}
        hats = _hats(ages, np.linspace(ages[0], ages[-1], options.p_nodes))
        H = hats / (w @ hats)
        sizes = {**{c: b.shape[1] for c, b in bases.items()}, "eta": options.p_nodes - 1}
        names, slices, start = [], {}, 0
        for c in cls._CHANNELS:
            slices[c] = slice(start, start + sizes[c])
            names += [f"{c}{j + 1}" if c == "eta" else f"{c}{j}" for j in range(sizes[c])]
            start += sizes[c]
        lead = {"a": (-5.0, 5.0), "g": (-1.0, 1.0), "s": (math.log(0.003), math.log(2.0)),
                "m": (-15.0, 15.0), "w": (math.log(0.05), math.log(10.0)), "eta": (-15.0, 15.0)}
        rest = {"a": (-5.0, 5.0), "g": (-1.0, 1.0), "s": (-5.0, 5.0), "m": (-15.0, 15.0), "w": (-5.0, 5.0),
                "eta": (-15.0, 15.0)}
        poly = {"a": options.feh_form == "quadratic", "g": options.gradient_form == "linear", "s": True,
                "m": True, "w": True, "eta": False}
        bounds = []
        for c in cls._CHANNELS:
            for j in range(sizes[c]):
                bounds.append(lead[c] if (j == 0 or not poly[c]) else rest[c])
        return cls(ages, w, options, tuple(names), slices, bases, H, bounds)

    @property
    def n_params(self) -> int:
        return len(self.names)

    def initial(self) -> np.ndarray:
        """Start: [Fe/H] -0.1, gradient -0.03 dex/kpc, scatter 0.1 dex, radii R_ref + 0.5 +- 2 kpc, flat p."""
        th = np.zeros(self.n_params)
        start = {"a": -0.1, "g": -0.03, "s": math.log(0.1), "m": 0.5, "w": math.log(2.0)}
        for c, v in start.items():
            if self.bases[c].shape[1]:
                th[self.slices[c]] = np.linalg.lstsq(self.bases[c], np.full(self.ages_gyr.size, v),
                                                     rcond=None)[0]
        return th

    def unpack(self, theta: np.ndarray) -> dict:
        """The model on the grid: a, g, s2, m, w2 (K,); p, log p (K,); pi (nodes); Dp = d log p / d eta."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta has shape {theta.shape}; expected ({self.n_params},) for {self.names}")
        f = {c: self.bases[c] @ theta[self.slices[c]] for c in self.bases}
        eta = np.concatenate([[0.0], theta[self.slices["eta"]]])
        pi = np.exp(eta - eta.max())
        pi /= pi.sum()
        p = self.H @ pi
        Dp = pi[None, 1:] * (self.H[:, 1:] / p[:, None] - 1.0)
        return {"a": f["a"], "g": f["g"], "s2": np.exp(2.0 * f["s"]), "m": f["m"], "w2": np.exp(2.0 * f["w"]),
                "p": p, "logp": np.log(p), "pi": pi, "Dp": Dp}

    def design(self, u: dict) -> tuple[np.ndarray, np.ndarray]:
        """(K, P) matrix of every channel's basis (and d log p / d eta) and the channels' column bounds."""
        B = np.zeros((self.ages_gyr.size, self.n_params))
        for c in self._CHANNELS:
            B[:, self.slices[c]] = u["Dp"] if c == "eta" else self.bases[c]
        cols = np.array([self.slices[c].start for c in self._CHANNELS] + [self.n_params], dtype=np.int64)
        return np.ascontiguousarray(B), cols


@dataclass(frozen=True, eq=False)
class LawData:
    """One partition's members of one (selection, radius): what the kernel reads (104 bytes a star).

    Attributes
    ----------
    G_u16 : (n, K) uint16
        The stored G functions (``age_G_u16``), 65535 = 1.
    feh, feh_err, radius_kpc, radius_err_kpc : (n,) float64
    block : (n,) int32
        Each star's block (:func:`star_blocks`).
    """

    G_u16: np.ndarray
    feh: np.ndarray
    feh_err: np.ndarray
    radius_kpc: np.ndarray
    radius_err_kpc: np.ndarray
    block: np.ndarray

    @property
    def n(self) -> int:
        return int(self.feh.size)


def star_blocks(source_id: np.ndarray, seed: int, n_blocks: int) -> np.ndarray:
    """Block of each star, a hash of (seed, source_id): the same whatever the partitioning."""
    from ..rng import star_keys, uniforms

    u = uniforms(star_keys(seed, np.asarray(source_id, dtype=np.int64)), STREAM_LAW_BLOCKS, 1)[:, 0]
    return np.minimum((u * n_blocks).astype(np.int32), n_blocks - 1)


def law_data(G: np.ndarray, feh, feh_err, radius_kpc, radius_err_kpc, source_id, *, seed: int,
             n_blocks: int) -> tuple[LawData, int]:
    """Pack the usable members (finite inputs, a G with some positive value, e > 0) into a :class:`LawData`.

    Parameters
    ----------
    G : (n, K) float array
        G functions scaled to max 1 (as :func:`mwdisk.ages.decode_G` returns them; NaN rows are unusable),
        or the raw uint16 values.
    feh, feh_err, radius_kpc, radius_err_kpc, source_id : (n,) arrays
    seed, n_blocks : int
        For :func:`star_blocks`.

    Returns
    -------
    LawData, int
        The packed stars and the number dropped as unusable.
    """
    f = [np.asarray(x, dtype=np.float64) for x in (feh, feh_err, radius_kpc, radius_err_kpc)]
    G = np.asarray(G)
    if G.dtype == np.uint16:
        G16 = G
        okG = G16.max(axis=1, initial=0) > 0
    else:
        with np.errstate(invalid="ignore"):
            okG = np.all(np.isfinite(G), axis=1) & (np.nanmax(np.where(np.isfinite(G), G, 0), axis=1,
                                                              initial=0) > 0)
        G16 = np.rint(np.clip(np.where(okG[:, None], G, 0.0), 0, 1) * 65535.0).astype(np.uint16)
        okG &= G16.max(axis=1, initial=0) > 0
    ok = okG & np.all([np.isfinite(x) for x in f], axis=0) & (f[1] > 0) & (f[3] >= 0)
    sid = np.asarray(source_id, dtype=np.int64)[ok]
    data = LawData(np.ascontiguousarray(G16[ok]), *(np.ascontiguousarray(x[ok]) for x in f),
                   star_blocks(sid, seed, n_blocks))
    return data, int((~ok).sum())


_LOG_U16 = np.concatenate([[-np.inf], np.log(np.arange(1, 65536) / 65535.0)])
_LOG_2PI = math.log(2.0 * math.pi)


@numba.njit(cache=True)
def _quantise_add(x, hi, lo, b, j, clamp):
    """Add x (rounded to 2^-50) to the limbs hi[b, j] (units 2^-20) and lo[b, j] (units 2^-50)."""
    n_clamped = 0
    if not (x <= clamp):  # also NaN
        x = clamp
        n_clamped = 1
    elif x < -clamp:
        x = -clamp
        n_clamped = 1
    y = x * 1048576.0  # 2^20, exact
    h = math.floor(y)
    rem = y - h  # exact, in [0, 1)
    hi[b, j] += np.int64(h)
    lo[b, j] += np.int64(math.floor(rem * 1073741824.0 + 0.5))  # 2^30, round half up
    return n_clamped


@numba.njit(cache=True)
def _law_kernel(G16, logtab, y, e2, Rs, sR2, block, logwp, a, g, s2, m, w2, B, cols, hi, lo, clamp,
                structural):
    """Per-star log-likelihood and gradient, rounded and added into the block limbs.

    ``B`` stacks the bases of the channels a, g, log s, m, log w and the Jacobian of log p (K, P) and
    ``cols[c]:cols[c + 1]`` are the parameter columns of channel c. ``Rs`` is R - R_ref.
    """
    n, K = G16.shape
    P = hi.shape[1] - 1
    L = np.empty(K)
    ch = np.empty((6, K))
    grad = np.empty(P)
    n_clamped = 0
    nlog2pi = 2.0 * _LOG_2PI if structural else _LOG_2PI
    for i in range(n):
        mx = -np.inf
        for k in range(K):
            u = G16[i, k]
            if u == 0:
                L[k] = -np.inf
                continue
            if structural:
                VR = w2[k] + sR2[i]
                iVR = 1.0 / VR
                dRm = Rs[i] - m[k]
                lam = w2[k] * iVR
                c = lam * sR2[i]
                rhat = m[k] + lam * dRm
            else:
                VR = 1.0
                iVR = 1.0
                dRm = 0.0
                lam = 1.0
                c = sR2[i]
                rhat = Rs[i]
            mu = a[k] + g[k] * rhat
            v = s2[k] + e2[i] + g[k] * g[k] * c
            iv = 1.0 / v
            d = y[i] - mu
            q = d * d * iv
            qR = dRm * dRm * iVR
            # one log for both Gaussians (VR = 1, qR = 0 without the radius model)
            L[k] = logwp[k] + logtab[u] - 0.5 * (nlog2pi + math.log(v * VR)) - 0.5 * (q + qR)
            z1 = d * iv
            z2 = 0.5 * (q - 1.0) * iv
            ch[0, k] = z1
            ch[1, k] = z1 * rhat + 2.0 * g[k] * c * z2
            ch[2, k] = 2.0 * s2[k] * z2
            if structural:
                ch[3, k] = z1 * g[k] * (1.0 - lam) + dRm * iVR
                t = sR2[i] * iVR * iVR
                ch[4, k] = 2.0 * w2[k] * (0.5 * (qR - 1.0) * iVR + z1 * g[k] * dRm * t
                                          + z2 * g[k] * g[k] * sR2[i] * t)
            else:
                ch[3, k] = 0.0
                ch[4, k] = 0.0
            ch[5, k] = 1.0
            if L[k] > mx:
                mx = L[k]
        tot = 0.0
        for k in range(K):
            if G16[i, k] != 0:
                L[k] = math.exp(L[k] - mx)
                tot += L[k]
            else:
                L[k] = 0.0
        ll = mx + math.log(tot)
        for j in range(P):
            grad[j] = 0.0
        for k in range(K):
            if G16[i, k] == 0:
                continue
            r = L[k] / tot
            for c_ in range(6):
                rc = r * ch[c_, k]
                for j in range(cols[c_], cols[c_ + 1]):
                    grad[j] += rc * B[k, j]
        b = block[i]
        n_clamped += _quantise_add(ll, hi, lo, b, 0, clamp)
        for j in range(P):
            n_clamped += _quantise_add(grad[j], hi, lo, b, j + 1, clamp)
    return n_clamped


def law_block_sums(theta: np.ndarray, spec: LawSpec, data: LawData, n_blocks: int) -> np.ndarray:
    """Exact per-block sums of the stars' log-likelihoods and gradients, in units of 2^-50.

    Parameters
    ----------
    theta : (P,) array
        Parameters in the layout of ``spec``.
    spec : LawSpec
    data : LawData
        One partition's members (the ``block`` of each star must be < ``n_blocks``).
    n_blocks : int

    Returns
    -------
    (n_blocks, 1 + P) object array of Python int
        Column 0 the summed log-likelihood, columns 1.. its gradient, each star's terms rounded to 2^-50.
        Sums of such arrays (over partitions, in any order) are exact.
    """
    u = spec.unpack(theta)
    m = 1 + spec.n_params
    out = np.zeros((n_blocks, m), dtype=object)
    out[:] = 0
    if data.n == 0:
        return out
    if data.G_u16.shape[1] != spec.ages_gyr.size:
        raise ValueError(f"G has {data.G_u16.shape[1]} ages but the spec's grid has {spec.ages_gyr.size}; "
                         f"build the LawSpec on the grid the ages were computed on")
    logwp = np.log(spec.weights) + u["logp"]
    B, cols = spec.design(u)
    structural = spec.options.radius_model == "structural"
    n_clamped = 0
    for start in range(0, data.n, _CHUNK):
        s = slice(start, start + _CHUNK)
        hi = np.zeros((n_blocks, m), dtype=np.int64)
        lo = np.zeros((n_blocks, m), dtype=np.int64)
        n_clamped += _law_kernel(
            data.G_u16[s], _LOG_U16, data.feh[s], data.feh_err[s] ** 2,
            data.radius_kpc[s] - spec.options.ref_radius_kpc, data.radius_err_kpc[s] ** 2, data.block[s],
            logwp, u["a"], u["g"], u["s2"], u["m"], u["w2"], B, cols, hi, lo, _CLAMP, structural,
        )
        shift = 1 << (QUANTUM_BITS - _HI_BITS)
        for b in range(n_blocks):
            for j in range(m):
                out[b, j] += int(hi[b, j]) * shift + int(lo[b, j])
    if n_clamped:
        logger.warning("gradient law: %d per-star terms clamped to +-2^20 at theta=%s", n_clamped, theta)
    return out


def sum_blocks(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Exact sum of block-sum arrays (Python ints) from several partitions."""
    tot = None
    for p in parts:
        tot = np.array(p, dtype=object, copy=True) if tot is None else tot + p
    if tot is None:
        raise ValueError("no block sums to add: give at least one partition's result")
    return tot


def blocks_to_float(blocks: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """(log-likelihood, gradient) as floats from block sums, optionally weighting blocks by integers."""
    if weights is None:
        row = blocks.sum(axis=0)
    else:
        w = [int(x) for x in np.asarray(weights)]
        row = sum((blocks[b] * w[b] for b in range(blocks.shape[0])), np.zeros(blocks.shape[1], dtype=object))
    scale = 1 << QUANTUM_BITS
    vals = np.array([int(v) / scale for v in row], dtype=np.float64)
    return float(vals[0]), vals[1:]


def law_loglike_grad(theta: np.ndarray, spec: LawSpec, data: LawData) -> tuple[float, np.ndarray]:
    """Log-likelihood and its analytic gradient of one partition's members (sums of rounded star terms).

    Examples
    --------
    >>> import numpy as np
    >>> ages = np.array([1.0, 2.0, 4.0, 8.0, 12.0])
    >>> spec = LawSpec.build(ages, LawOptions(p_nodes=3))
    >>> G = np.array([[0.2, 1.0, 0.5, 0.0, 0.0]])
    >>> data, dropped = law_data(G, [0.0], [0.05], [9.0], [0.2], [1], seed=1, n_blocks=4)
    >>> ll, grad = law_loglike_grad(spec.initial(), spec, data)
    >>> grad.shape  # a (3), g (2), log s (2), m (2), log w (2), eta (2)
    (13,)
    """
    nb = int(data.block.max()) + 1 if data.n else 1
    return blocks_to_float(law_block_sums(theta, spec, data, nb))


# ---------------------------------------------------------------------------------------------------------
# client side: the fit


def _derived(spec: LawSpec, theta: np.ndarray) -> dict[str, float]:
    u = spec.unpack(theta)
    wp = spec.weights * u["p"]
    tau = spec.ages_gyr
    g = u["g"]
    mean_age = float(wp @ tau)
    if spec.options.gradient_form == "linear":
        flat = float(theta[spec.slices["g"]][1] / 10.0)  # internal slope is per 10 Gyr
    else:
        dt = tau - mean_age
        flat = float((wp * dt) @ g / ((wp * dt) @ dt))
    out = {
        "gradient_at_1gyr_dex_per_kpc": float(spec.basis("g", 1.0)[0] @ theta[spec.slices["g"]]),
        "flattening_dex_per_kpc_per_gyr": flat,
        "gradient_mean_dex_per_kpc": float(wp @ g),
        "mean_age_gyr": mean_age,
        "feh_at_1gyr_dex": float(spec.basis("a", 1.0)[0] @ theta[spec.slices["a"]]),
        "scatter_mean_dex": float(wp @ np.sqrt(u["s2"])),
    }
    for t in spec.options.curve_ages_gyr:
        name = f"gradient_at_{float(t):g}gyr_dex_per_kpc"
        if name not in out:
            out[name] = float(spec.basis("g", t)[0] @ theta[spec.slices["g"]])
    return out


@dataclass
class LawFit:
    """Result of :func:`fit_law`.

    Attributes
    ----------
    theta : (P,) array
        Maximum-likelihood parameters.
    cov : (P, P) array
        Covariance from the inverse Hessian (NaN rows/columns for parameters at a bound).
    loglike : float
    n_stars : int
    derived, err, err_bootstrap : dict
        Derived quantities (:data:`DERIVED` and the g curve), their delta-method errors and bootstrap
        standard deviations (NaN without replicates).
    converged : bool
    n_eval : int
        Function evaluations of the main fit (one map over partitions each).
    message : str
    """

    theta: np.ndarray
    cov: np.ndarray
    loglike: float
    n_stars: int
    derived: dict
    err: dict
    err_bootstrap: dict
    converged: bool
    n_eval: int
    message: str
    bootstrap: np.ndarray | None = None

    def rows(self) -> list[dict]:
        """(parameter, value, err, err_bootstrap) rows: the derived quantities, then the raw parameters."""
        out = [{"parameter": k, "value": v, "err": self.err[k], "err_bootstrap": self.err_bootstrap[k]}
               for k, v in self.derived.items()]
        out.append({"parameter": "log_likelihood", "value": self.loglike, "err": np.nan,
                    "err_bootstrap": np.nan})
        return out


def _minimise(fun, theta0, spec: LawSpec, options: LawOptions):
    from scipy.optimize import minimize

    return minimize(fun, theta0, jac=True, method="L-BFGS-B", bounds=spec.bounds,
                    options={"maxiter": options.max_iter, "gtol": options.gtol, "ftol": options.ftol,
                             "maxcor": 20})


def _p_prior(spec: LawSpec, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Log of a weak Gaussian prior on the p node log-weights about their mean (node 0's is 0), and its
    gradient: it gives the directions of empty nodes (weights -> 0) a curvature, so the Newton polish
    converges; with sigma 3 an empty node keeps a share of order 1 / n_stars."""
    sig = spec.options.p_prior_sigma
    grad = np.zeros(spec.n_params)
    if sig <= 0:
        return 0.0, grad
    eta = np.concatenate([[0.0], theta[spec.slices["eta"]]])
    d = eta - eta.mean()
    grad[spec.slices["eta"]] = -d[1:] / sig**2
    return float(-0.5 * (d @ d) / sig**2), grad


def _free_set(theta: np.ndarray, spec: LawSpec, h: float) -> np.ndarray:
    lo = np.array([b[0] for b in spec.bounds])
    hi = np.array([b[1] for b in spec.bounds])
    return (theta - lo > 2 * h) & (hi - theta > 2 * h)


def _clip(theta: np.ndarray, spec: LawSpec) -> np.ndarray:
    lo = np.array([b[0] for b in spec.bounds])
    hi = np.array([b[1] for b in spec.bounds])
    return np.clip(theta, lo, hi)


def _newton_step(H: np.ndarray, grad: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, float]:
    """Newton step of the log-likelihood on the free parameters (negative curvature made positive) and
    the predicted gain (half the Newton decrement)."""
    idx = np.flatnonzero(free)
    step = np.zeros_like(grad)
    if idx.size == 0:
        return step, 0.0
    A = -H[np.ix_(idx, idx)]
    lam, V = np.linalg.eigh(0.5 * (A + A.T))
    floor = max(float(np.abs(lam).max()) * 1e-12, 1e-300)
    lam = np.maximum(np.abs(lam), floor)
    step[idx] = V @ ((V.T @ grad[idx]) / lam)
    return step, 0.5 * float(grad[idx] @ step[idx])


def fit_law(evaluate: Callable[[np.ndarray], np.ndarray], spec: LawSpec, n_stars: int, *, seed: int = 0,
            theta0: np.ndarray | None = None) -> LawFit:
    """Maximum-likelihood fit of the law, its Hessian errors and the bootstrap over blocks.

    Three steps, each a deterministic function of the exact block sums (so the same for any partitioning):

    1. L-BFGS-B with the analytic gradient on the mean negative log-likelihood per star, from ``theta0``,
       stopped at ``ftol`` / ``gtol``;
    2. Newton polish: the Hessian of the total log-likelihood by forward differences of the exact gradient
       (forward, step ``hessian_step``, parameters at a bound held fixed), a Newton step with backtracking,
       until the
       predicted gain is below ``newton_tol`` (at most ``newton_iter`` times); the last Hessian is at the
       final point and gives the covariance;
    3. bootstrap: ``n_bootstrap`` multinomial reweightings of the blocks, each refitted from the fit by
       ``bootstrap_iter`` Newton steps with the full sample's Hessian (the first step needs no evaluation:
       the weighted gradient at the fit comes from the blocks already summed).

    Parameters
    ----------
    evaluate : callable
        ``evaluate(theta) -> (n_blocks, 1 + P)`` exact block sums over every star (e.g. one map over the
        partitions and :func:`sum_blocks`). Called once per evaluation.
    spec : LawSpec
    n_stars : int
        Stars in the sums (the objective is the mean negative log-likelihood per star).
    seed : int
        Seed of the bootstrap's block weights.
    theta0 : array, optional
        Starting point (default :meth:`LawSpec.initial`).

    Returns
    -------
    LawFit
    """
    options = spec.options
    if n_stars <= 0:
        raise ValueError(f"n_stars = {n_stars}; the fit needs stars")
    calls = {"n": 0}
    cache: dict[bytes, np.ndarray] = {}

    def blocks(theta):
        key = np.asarray(theta, dtype=np.float64).tobytes()
        if key not in cache:
            calls["n"] += 1
            if len(cache) > 4:
                cache.pop(next(iter(cache)))
            cache[key] = evaluate(np.asarray(theta, dtype=np.float64))
        return cache[key]

    def total(theta, weights=None):
        """Log-likelihood plus the log-prior on the p node weights, and its gradient."""
        ll, grad = blocks_to_float(blocks(theta), weights)
        lp, glp = _p_prior(spec, theta)
        return ll + lp, grad + glp

    def fun(theta):
        ll, grad = total(theta)
        return -ll / n_stars, -grad / n_stars

    # 1. L-BFGS-B
    theta = spec.initial() if theta0 is None else _clip(np.asarray(theta0, dtype=np.float64), spec)
    res = _minimise(fun, theta, spec, options)
    theta = np.asarray(res.x, dtype=np.float64)
    n_lbfgs = calls["n"]

    # 2. Newton polish with the finite-difference Hessian
    P, h = spec.n_params, options.hessian_step

    def hessian(th, free):
        # forward differences of the exact gradient (P evaluations), symmetrised
        Hm = np.zeros((P, P))
        g0 = total(th)[1]
        for j in np.flatnonzero(free):
            tp = th.copy()
            tp[j] += h
            Hm[:, j] = (total(tp)[1] - g0) / h
        return 0.5 * (Hm + Hm.T)

    ll, grad = total(theta)
    converged = False
    for _ in range(options.newton_iter + 1):
        free = _free_set(theta, spec, h)
        Hm = hessian(theta, free)
        step, gain = _newton_step(Hm, grad, free)
        logger.debug("gradient law Newton: log L %.6f, predicted gain %.3g, %d free", ll, gain, free.sum())
        if gain < options.newton_tol:
            converged = True
            break
        t = 1.0
        for _ in range(20):
            cand = _clip(theta + t * step, spec)
            ll_c, grad_c = total(cand)
            if ll_c > ll:
                theta, ll, grad = cand, ll_c, grad_c
                break
            t *= 0.5
        else:
            break  # no ascent along the Newton direction: at the optimum to the precision of the sums
    if not converged:
        logger.warning("gradient law: Newton polish stopped before its tolerance (L-BFGS-B: %s)", res.message)
    n_eval = calls["n"]
    ll = blocks_to_float(blocks(theta))[0]
    logger.info("gradient law fit: %d evaluations (%d L-BFGS-B), log L = %.6f", n_eval, n_lbfgs, ll)

    free = _free_set(theta, spec, h)
    idx = np.flatnonzero(free)
    cov = np.full((P, P), np.nan)
    try:
        cov[np.ix_(idx, idx)] = np.linalg.inv(-Hm[np.ix_(idx, idx)])
    except np.linalg.LinAlgError:
        logger.warning("gradient law: singular Hessian; errors are NaN")

    derived = _derived(spec, theta)
    # delta method, with the parameters at a bound held fixed
    covf = np.where(np.isfinite(cov), cov, 0.0)
    jac = np.zeros((len(derived), P))
    for j in idx:
        e = np.zeros(P)
        e[j] = 1e-6
        dp, dm = _derived(spec, theta + e), _derived(spec, theta - e)
        jac[:, j] = [(dp[k] - dm[k]) / 2e-6 for k in derived]
    var = np.einsum("ij,jk,ik->i", jac, covf, jac)
    ok_cov = bool(idx.size) and bool(np.all(np.isfinite(cov[np.ix_(idx, idx)])))
    err = {k: (float(np.sqrt(v)) if ok_cov and v >= 0 else np.nan) for k, v in zip(derived, var, strict=True)}

    # 3. bootstrap over blocks
    boot = None
    err_boot = {k: np.nan for k in derived}
    if options.n_bootstrap > 0 and ok_cov:
        n_blocks = blocks(theta).shape[0]
        rng = np.random.default_rng([int(seed), STREAM_LAW_BLOCKS])
        draws = []
        for _ in range(options.n_bootstrap):
            w = rng.multinomial(n_blocks, np.full(n_blocks, 1.0 / n_blocks))
            th = theta.copy()
            for _it in range(options.bootstrap_iter):
                g_w = total(th, w)[1]
                step, _ = _newton_step(Hm, g_w, free)
                th = _clip(th + step, spec)
            d = _derived(spec, th)
            draws.append([d[k] for k in derived])
        boot = np.array(draws)
        if boot.shape[0] > 1:
            err_boot = dict(zip(derived, boot.std(axis=0, ddof=1).tolist(), strict=True))
    return LawFit(theta, cov, ll, int(n_stars), derived, err, err_boot, converged, n_eval,
                  str(res.message), boot)
