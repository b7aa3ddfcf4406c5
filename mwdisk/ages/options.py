"""The age stage's options: the ``ages`` section of the configuration as one frozen, checked object.

:meth:`AgeOptions.from_config` reads the section (``mwdisk/defaults.yaml`` holds every default and why),
checks each value's range and choice, and :meth:`AgeOptions.estimate_kwargs` gives the keyword arguments of
:func:`~.estimate.estimate_ages`. The pipeline's age stage and ``mwdisk validate`` both go through it, so the
validation judges exactly the configuration a run uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .estimate import ErrorFloors
from .flags import RCBox
from .observables import _check_observables
from .summary import INTERVALS

__all__ = ["AgeOptions", "LIKELIHOODS", "DISTANCE_SOURCES", "PARALLAX_ZEROPOINTS"]

LIKELIHOODS = ("segment", "closest")
DISTANCE_SOURCES = ("bailer_jones", "parallax")
PARALLAX_ZEROPOINTS = ("lindegren21", "none")


class AgeOptionError(ValueError):
    """A value of the ``ages`` configuration section out of range or not one of its choices."""


def _choice(key: str, value, choices) -> str:
    if value not in choices:
        raise AgeOptionError(f"ages.{key} = {value!r}; use one of {', '.join(map(repr, choices))}")
    return value


def _positive(key: str, value, allow_zero: bool = False) -> float:
    v = float(value)
    if not (v >= 0 if allow_zero else v > 0) or v != v or v == float("inf"):
        raise AgeOptionError(f"ages.{key} = {value!r}; give a finite value {'>=' if allow_zero else '>'} 0")
    return v


@dataclass(frozen=True)
class AgeOptions:
    """Everything the age stage reads from the configuration (see ``defaults.yaml``, section ``ages``)."""

    observables: tuple[str, ...]
    comp_axis: str
    n_sigma: float
    window: str
    likelihood: str
    min_observables: int
    clip_composition: bool
    interval: str
    interval_percentiles: tuple[float, float]
    interval_level: float
    floors: ErrorFloors
    a_g_err_frac: float
    distance_source: str
    parallax_zeropoint: str
    parallax_zeropoint_fallback_mas: float
    distance_error: str
    cheb_threshold: float
    rc_box: RCBox

    @classmethod
    def from_config(cls, a: Mapping) -> AgeOptions:
        """Build from the ``ages`` section, refusing out-of-range values and unknown choices by key."""
        try:
            obs = _check_observables(a["observables"])
        except ValueError as err:
            raise AgeOptionError(f"ages.observables: {err}") from None
        pct = tuple(float(x) for x in a["interval_percentiles"])
        if len(pct) != 2 or not 0.0 <= pct[0] < pct[1] <= 100.0:
            raise AgeOptionError(f"ages.interval_percentiles = {list(a['interval_percentiles'])}; give two "
                                 "increasing percentiles in [0, 100] (default [15.87, 84.13])")
        level = float(a["interval_level"])
        if not 0.0 < level <= 1.0:
            raise AgeOptionError(f"ages.interval_level = {level}; give a fraction in (0, 1] (default 0.6065)")
        n_min = int(a["min_observables"])
        if not 1 <= n_min <= len(obs):
            raise AgeOptionError(f"ages.min_observables = {n_min}; give 1..{len(obs)} (the number of "
                                 f"observables, {list(obs)})")
        cheb = float(a["cheb_threshold"])
        if not 0.0 < cheb <= 1.0:
            raise AgeOptionError(f"ages.cheb_threshold = {cheb}; give a probability in (0, 1] (default 0.5)")
        return cls(
            observables=obs,
            comp_axis=_choice("comp_axis", a["comp_axis"], ("mh", "feh_afe")),
            n_sigma=_positive("n_sigma_window", a["n_sigma_window"]),
            window=_choice("window", a["window"], ("ellipsoid", "box")),
            likelihood=_choice("likelihood", a["likelihood"], LIKELIHOODS),
            min_observables=n_min,
            clip_composition=bool(a["clip_composition"]),
            interval=_choice("interval", a["interval"], INTERVALS),
            interval_percentiles=pct,
            interval_level=level,
            floors=ErrorFloors(
                teff_k=_positive("teff_err_floor_k", a["teff_err_floor_k"], True),
                logg=_positive("logg_err_floor", a["logg_err_floor"], True),
                feh=_positive("feh_err_floor", a["feh_err_floor"], True),
                mg_mag=_positive("mg_err_floor", a["mg_err_floor"], True),
            ),
            a_g_err_frac=_positive("a_g_err_frac", a["a_g_err_frac"], True),
            distance_source=_choice("distance_source", a["distance_source"], DISTANCE_SOURCES),
            parallax_zeropoint=_choice("parallax_zeropoint", a["parallax_zeropoint"], PARALLAX_ZEROPOINTS),
            parallax_zeropoint_fallback_mas=float(a["parallax_zeropoint_fallback_mas"]),
            distance_error=_choice("distance_error", a["distance_error"], ("log", "linear")),
            cheb_threshold=cheb,
            rc_box=RCBox(float(a["rc_teff_min_k"]), float(a["rc_teff_max_k"]), float(a["rc_logg_min"]),
                         float(a["rc_logg_max"]), float(a["rc_feh_min"])),
        )

    def estimate_kwargs(self) -> dict:
        """Keyword arguments of :func:`~.estimate.estimate_ages` (the star's arrays are passed separately)."""
        return {
            "observables": self.observables, "n_sigma": self.n_sigma, "window": self.window,
            "likelihood": self.likelihood, "interval": self.interval, "interval_level": self.interval_level,
            "interval_percentiles": self.interval_percentiles, "floors": self.floors,
            "min_observables": self.min_observables, "rc_box": self.rc_box,
            "clip_composition": self.clip_composition, "cheb_threshold": self.cheb_threshold,
        }
