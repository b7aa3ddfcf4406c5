"""One configuration: shipped defaults, a user's YAML on top, then command-line settings.

The defaults live in ``mwdisk/defaults.yaml`` with a comment on every key. The type of each default is the
key's type: a user value of another type, or a key the defaults do not have, is a :class:`ConfigError`
naming the key (with the nearest valid key where one is close). Keys whose default is ``null`` take a string
or null. :func:`check_config` then checks values: the range or choice set of every key (:data:`CONSTRAINTS`),
the ``ages`` section through :meth:`mwdisk.ages.AgeOptions.from_config`, and relations between keys; the CLI
calls it right after loading, so a bad value is refused before any cluster starts or folder is written.

Examples
--------
>>> cfg = load_config(overrides=["phasespace.n_draws=50"])
>>> cfg["phasespace"]["n_draws"], cfg["frame"]["R0_kpc"]
(50, 8.27)
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

__all__ = ["ConfigError", "load_defaults", "load_config", "check_config", "CONSTRAINTS", "merge",
           "config_hash", "parse_override"]


class ConfigError(ValueError):
    """An unknown or ill-typed configuration key; the message names the key and the fix."""


_DEFAULTS_CACHE: dict | None = None


def load_defaults() -> dict:
    """The shipped defaults, as a fresh nested dict."""
    global _DEFAULTS_CACHE
    if _DEFAULTS_CACHE is None:
        text = resources.files("mwdisk").joinpath("defaults.yaml").read_text()
        _DEFAULTS_CACHE = yaml.safe_load(text)
    return copy.deepcopy(_DEFAULTS_CACHE)


def _type_name(v: Any) -> str:
    return "null" if v is None else type(v).__name__


def _coerce(key: str, default: Any, value: Any) -> Any:
    """Check ``value`` against the default's type; ints are accepted for floats."""
    if default is None:
        if value is None or isinstance(value, str):
            return value
        raise ConfigError(f"config key {key!r} takes a string or null, got {value!r} ({_type_name(value)})")
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
    elif isinstance(default, list):
        if isinstance(value, list):
            if default:
                proto = default[0]
                return [_coerce(f"{key}[{i}]", proto, v) for i, v in enumerate(value)]
            return value
    elif isinstance(default, dict):
        if isinstance(value, Mapping):
            return merge(default, value, prefix=key + ".")
    raise ConfigError(
        f"config key {key!r} must be {_type_name(default)} like its default {default!r}, "
        f"got {value!r} ({_type_name(value)}); fix the value in your YAML or --set {key}=..."
    )


def merge(base: Mapping, user: Mapping, prefix: str = "") -> dict:
    """``base`` updated with ``user``, refusing keys ``base`` lacks and values of the wrong type."""
    out = copy.deepcopy(dict(base))
    for k, v in user.items():
        key = prefix + str(k)
        if k not in base:
            near = difflib.get_close_matches(str(k), [str(b) for b in base], n=1)
            hint = f"; did you mean {prefix + near[0]!r}?" if near else f"; valid keys: {sorted(base)}"
            raise ConfigError(f"unknown config key {key!r}{hint}")
        out[k] = _coerce(key, base[k], v)
    return out


def parse_override(text: str) -> dict:
    """``"a.b=3"`` -> ``{"a": {"b": 3}}`` (the value is parsed as YAML)."""
    if "=" not in text:
        raise ConfigError(
            f"setting {text!r} is not of the form section.key=value, e.g. phasespace.n_draws=50"
        )
    path, raw = text.split("=", 1)
    value = yaml.safe_load(raw) if raw.strip() else None
    node: dict = {}
    cur = node
    parts = path.strip().split(".")
    for p in parts[:-1]:
        cur[p] = {}
        cur = cur[p]
    cur[parts[-1]] = value
    return node


def load_config(path: str | Path | None = None, overrides: Iterable[str] | Mapping | None = None) -> dict:
    """Resolve the configuration: defaults, then the YAML file at ``path``, then ``overrides``.

    Parameters
    ----------
    path : path, optional
        A YAML file holding only the keys to change.
    overrides : list of "section.key=value" strings, or a nested mapping, optional

    Raises
    ------
    ConfigError
        For an unreadable file, an unknown key or a value of the wrong type.
    """
    cfg = load_defaults()
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {str(p)!r} does not exist")
        try:
            user = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {str(p)!r} is not valid YAML: {exc}") from exc
        if not isinstance(user, Mapping):
            raise ConfigError(
                f"config file {str(p)!r} must hold a mapping of sections, got {type(user).__name__}"
            )
        cfg = merge(cfg, user)
    if overrides:
        items = [overrides] if isinstance(overrides, Mapping) else [parse_override(o) for o in overrides]
        for item in items:
            cfg = merge(cfg, item)
    return cfg


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float) and math.isinf(obj):
        return "inf" if obj > 0 else "-inf"
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def to_json(cfg: Mapping) -> str:
    """Stable JSON text of a configuration (infinities as strings)."""
    return json.dumps(_jsonable(cfg), sort_keys=True)


def config_hash(*parts: Any) -> str:
    """Short sha256 of JSON-able parts; stages use it to tell whether a finished partition is still valid."""
    return hashlib.sha256(to_json({"p": list(parts)}).encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------------------------------------
# value checks: range and choice of every key, applied by the CLI right after loading (before any work starts)

#: potentials the run knows (mwdisk.potentials.models.POTENTIAL_NAMES; a test keeps the two equal)
POTENTIALS = ("mw14", "mcm17", "irr13")
#: mwdust maps mwdisk knows the files of (mwdisk.extinction.MAP_FILES)
DUST_MAPS = ("Combined19", "Combined15", "Green15", "Green17", "Green19", "Marshall06", "SFD")
#: extinction fallbacks (mwdisk.extinction._FALLBACKS)
EXTINCTION_FALLBACKS = ("catalog", "analytic")
#: gradient error models (mwdisk.odr.ERROR_MODELS)
ERROR_MODELS = ("scatter", "naive")
#: galpy orbit integrators (C and Python versions)
INTEGRATORS = ("dop853_c", "dopr54_c", "ias15_c", "leapfrog_c", "rk4_c", "rk6_c", "symplec4_c", "symplec6_c",
               "dop853", "dopr54", "leapfrog", "odeint", "rk4", "rk6", "symplec4", "symplec6")
#: selections ``selections.hq_within`` may name (mwdisk.selections.selection_masks), or none
HQ_WITHIN = ("none", "thin_disk", "thick_disk", "zmax_1", "zmax_2", "zmax_3", "zmax_4",
             "chem_1", "chem_2", "chem_3", "chem_4")


def _gt(lo: float) -> tuple:
    return ("range", lo, None, False, True)


def _ge(lo: float) -> tuple:
    return ("range", lo, None, True, True)


def _within(lo: float, hi: float) -> tuple:
    return ("range", lo, hi, True, True)


def _one_of(*choices: str) -> tuple:
    return ("choice", choices)


_FINITE = ("range", None, None, True, True)

#: Constraint of every key whose value has a meaningful range or choice set (list keys: each element).
#: Keys of the ``ages`` section are checked by :meth:`mwdisk.ages.AgeOptions.from_config`; keys in
#: :data:`UNCHECKED` take any value of their type.
CONSTRAINTS: dict[str, tuple] = {
    "run.seed": _ge(0),
    "run.partition_rows": _gt(0),
    "run.isochrones": ("isochrones",),
    "run.potential": _one_of(*POTENTIALS),
    "cluster.n_workers": _gt(0),
    "cluster.threads_per_worker": _gt(0),
    "cluster.memory_limit": ("bytes",),
    "cluster.dashboard_address": ("address",),
    "frame.R0_kpc": _gt(0),
    "frame.z_sun_kpc": _within(-1.0, 1.0),
    "frame.vcirc_kms": _gt(0),
    "frame.U_kms": _FINITE,
    "frame.V_kms": _FINITE,
    "frame.W_kms": _FINITE,
    "mock.n": _gt(0),
    "mock.partitions": _gt(0),
    "mock.isochrones": ("family",),
    "mock.thin_gradient": _FINITE,
    "mock.thin_flattening": _FINITE,
    "mock.thick_gradient": _FINITE,
    "mock.duplicate_fraction": _within(0.0, 1.0),
    "mock.bad_fraction": _within(0.0, 1.0),
    "mock.integration_time_gyr": _gt(0),
    "mock.integration_steps": _ge(2),
    "mock.thick_fraction": _within(0.0, 1.0),
    "mock.thin_feh_scatter": _ge(0),
    "mock.thick_feh_scatter": _ge(0),
    "mock.young_fraction": _within(0.0, 1.0),
    "mock.young_alpha_rich_fraction": _within(0.0, 1.0),
    "mock.duplicate_max_offset_arcsec": _ge(0),
    "mock.g_mag_min": _FINITE,
    "mock.g_mag_max": _FINITE,
    "mock.dec_min_deg": _within(-90.0, 90.0),
    "mock.dec_max_deg": _within(-90.0, 90.0),
    "mock.dist_max_kpc": _gt(0),
    "mock.mass_min_msun": _gt(0),
    "ingest.dedup_radius_arcsec": _ge(0),
    "ingest.dec_bin_deg": ("range", 0.0, 180.0, False, True),
    "ingest.params": _one_of("ddpayne", "lamost"),
    "ingest.rv_source": _one_of("lamost", "gaia", "lamost_then_gaia"),
    "ingest.distance_kind": _one_of("geo", "photogeo"),
    "ingest.alpha_column": _one_of("alpha_fe", "mg_fe"),
    "ingest.xm_radius_arcsec": _gt(0),
    "ingest.lamost_epoch_yr": _within(1900.0, 2100.0),
    "extinction.dust_map": _one_of(*DUST_MAPS),
    "extinction.coeff_G": _gt(0),
    "extinction.coeff_BP": _gt(0),
    "extinction.coeff_RP": _gt(0),
    "extinction.ebv_sfd_to_sf11": _gt(0),
    "extinction.fallback": _one_of(*EXTINCTION_FALLBACKS),
    "extinction.dust_dir": ("folder",),
    "extinction.analytic_av_per_kpc": _ge(0),
    "extinction.analytic_rv": _gt(0),
    "extinction.analytic_h_R_kpc": _gt(0),
    "extinction.analytic_h_z_kpc": _gt(0),
    "phasespace.n_draws": _gt(0),
    "phasespace.chunk_stars": _gt(0),
    "orbits.method": _one_of("staeckel", "integrate"),
    "orbits.staeckel_delta": ("delta",),
    "orbits.integration_time_gyr": _gt(0),
    "orbits.n_steps": _ge(2),
    "orbits.integrator": _one_of(*INTEGRATORS),
    "orbits.chunk_size": _gt(0),
    "cuts.snr_min": _ge(0),
    "cuts.age_err_max": _gt(0),
    "cuts.hq_age_err_max": _gt(0),
    "cuts.hq_teff_hot_k": _gt(0),
    "cuts.hq_teff_giant_k": _gt(0),
    "cuts.hq_logg_giant": _FINITE,
    "selections.alpha_split": _FINITE,
    "selections.alpha_line_slope": _FINITE,
    "selections.alpha_line_intercept": _FINITE,
    "selections.thin_zmax_max_kpc": _gt(0),
    "selections.thick_zmax_min_kpc": _gt(0),
    "selections.zmax_edges_kpc": ("range", 0.0, None, True, False),  # the last edge may be .inf
    "selections.chem_line_feh": _FINITE,
    "selections.chem_line_afe": _FINITE,
    "selections.chem_shift": _ge(0),
    "selections.hq_within": _one_of(*HQ_WITHIN),
    "gradients.age_min_gyr": _ge(0),
    "gradients.age_max_gyr": _gt(0),
    "gradients.bin_width_gyr": _gt(0),
    "gradients.min_stars": _ge(1),
    "gradients.error_model": _one_of(*ERROR_MODELS),
    "gradients.scatter_passes": _ge(1),
    "gradients.expanded_ages_per_star": _gt(0),
    "gradients.age_hist_step_gyr": _gt(0),
    "gradients.age_hist_max_gyr": _gt(0),
    "gradients.age_err_percentiles": _within(0.0, 100.0),
    "gradients.trend_age": _one_of("mid", "median"),
    "gradients.reduce_shards": _ge(0),
    "validation.cluster_radius_r50": _gt(0),
    "validation.cluster_dist_tol_frac": _gt(0),
    "validation.cluster_feh_tol_dex": _gt(0),
    "validation.logg_err_floor": _ge(0),
    "sweeps.potentials": _one_of(*POTENTIALS),
    "sweeps.R0_kpc": _gt(0),
    "sweeps.vcirc_kms": _gt(0),
}

#: Keys any value of the right type suits (booleans, free names and paths), so the coverage test knows
#: they were not forgotten.
UNCHECKED = frozenset({
    "run.out", "run.catalog", "cluster.name", "ingest.xm_propagate_pm", "ingest.stars_only",
    "mock.with_true_zmax", "phasespace.distance_z_from_parallax", "orbits.interpolate_mcm17", "orbits.rg_std",
})

_BYTES = re.compile(r"^\s*(auto|\d+(\.\d*)?\s*([kmgtp]i?)?b?)\s*$", re.IGNORECASE)
_ADDRESS = re.compile(r"^[\w.\-\[\]]*:(\d{1,5})$")


def _show(value: Any) -> str:
    return repr(_jsonable(value))


def _fail(key: str, value: Any, want: str, default: Any) -> ConfigError:
    base = key.split("[", 1)[0]  # a list element: the fix sets the whole list
    shown = default if isinstance(default, str) else json.dumps(_jsonable(default)).replace(" ", "")
    return ConfigError(
        f"config key {key!r} = {_show(value)} {want}; fix it in your YAML or with --set {base}={shown} "
        f"(the default)"
    )


def _check_value(key: str, rule: tuple, value: Any, default: Any) -> None:
    kind = rule[0]
    if kind == "range":
        _, lo, hi, lo_incl, finite = rule
        v = float(value)
        if math.isnan(v) or (finite and math.isinf(v)):
            raise _fail(key, value, "is not a finite number", default)
        if lo is not None and (v < lo or (v == lo and not lo_incl)):
            what = f"in [{lo:g}, {hi:g}]" if hi is not None else f"{'>=' if lo_incl else '>'} {lo:g}"
            raise _fail(key, value, f"must be {what}", default)
        if hi is not None and v > hi:
            what = f"in [{lo:g}, {hi:g}]" if lo is not None else f"<= {hi:g}"
            raise _fail(key, value, f"must be {what}", default)
    elif kind == "choice":
        if value not in rule[1]:
            near = difflib.get_close_matches(str(value), rule[1], n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise _fail(key, value, f"is not one of {', '.join(rule[1])}{hint}", default)
    elif kind in ("isochrones", "family"):
        from .isochrones.storage import FAMILIES  # the families shipped in mwdisk/data

        if value in FAMILIES or (kind == "isochrones" and Path(str(value)).expanduser().exists()):
            return
        what = "an isochrone family" + ("" if kind == "family" else " or an existing file or folder")
        raise _fail(key, value, f"is not {what} ({', '.join(FAMILIES)})", default)
    elif kind == "bytes":
        if not _BYTES.match(str(value)):
            raise _fail(key, value, "is not a memory size such as 4GiB, 3500MB or auto", default)
    elif kind == "address":
        m = _ADDRESS.match(str(value))
        if not m or int(m.group(1)) > 65535:
            raise _fail(key, value, "is not an address host:port such as ':8787' (':0' picks a free port)",
                        default)
    elif kind == "folder":
        if value is not None and not Path(str(value)).expanduser().is_dir():
            raise _fail(key, value, "is not an existing folder (give the folder of the mwdust maps, or null "
                                    "for $DUST_DIR)", default)
    elif kind == "delta":
        if value not in ("table", "exact"):
            try:
                ok = float(value) > 0 and math.isfinite(float(value))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise _fail(key, value, "is not table, exact or a focal distance in kpc > 0 (e.g. '0.45')",
                            default)
    else:  # pragma: no cover - a typo in CONSTRAINTS
        raise AssertionError(f"unknown constraint kind {kind!r} for {key}")


def _get(cfg: Mapping, key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        node = node[part]
    return node


def check_config(cfg: Mapping) -> dict:
    """Refuse values out of range or outside their choice set; return ``cfg`` unchanged.

    Every key of :data:`CONSTRAINTS` (each element of a list), the ``ages`` section through
    :meth:`mwdisk.ages.AgeOptions.from_config`, and the relations between keys (minimum below maximum, Z_max
    edges increasing, ...). The CLI calls it right after :func:`load_config`, before any cluster starts or
    folder is written.

    Raises
    ------
    ConfigError
        One line naming the key, the value and the fix.

    Examples
    --------
    >>> check_config(load_config(overrides=["phasespace.n_draws=-5"]))
    Traceback (most recent call last):
    ...
    mwdisk.config.ConfigError: config key 'phasespace.n_draws' = -5 must be > 0; fix it in your YAML or with \
--set phasespace.n_draws=100 (the default)
    """
    defaults = load_defaults()
    for key, rule in CONSTRAINTS.items():
        try:
            value, default = _get(cfg, key), _get(defaults, key)
        except KeyError:
            continue  # a key a newer defaults.yaml dropped: nothing to check
        if isinstance(value, list):
            for i, v in enumerate(value):
                _check_value(f"{key}[{i}]", rule, v, default)
        else:
            _check_value(key, rule, value, default)
    _check_relations(cfg, defaults)
    from .ages.options import AgeOptions

    try:
        AgeOptions.from_config(cfg["ages"])
    except (ValueError, TypeError, KeyError) as err:
        raise ConfigError(
            f"config key {err} (in your YAML or with --set; defaults in mwdisk/defaults.yaml)"
        ) from err
    return dict(cfg)


def _check_relations(cfg: Mapping, defaults: Mapping) -> None:
    def below(lo_key: str, hi_key: str, strict: bool = True) -> None:
        lo, hi = _get(cfg, lo_key), _get(cfg, hi_key)
        if lo > hi or (strict and lo == hi):
            raise ConfigError(
                f"config keys {lo_key!r} = {_show(lo)} and {hi_key!r} = {_show(hi)}: the first must be "
                f"{'below' if strict else 'at most'} the second; fix one of them (defaults "
                f"{_show(_get(defaults, lo_key))} and {_show(_get(defaults, hi_key))})"
            )

    below("mock.g_mag_min", "mock.g_mag_max")
    below("mock.dec_min_deg", "mock.dec_max_deg")
    below("gradients.age_min_gyr", "gradients.age_max_gyr")
    below("selections.thin_zmax_max_kpc", "selections.thick_zmax_min_kpc", strict=False)
    dmax, r0 = cfg["mock"]["dist_max_kpc"], cfg["frame"]["R0_kpc"]
    if dmax >= r0:
        raise ConfigError(f"config key 'mock.dist_max_kpc' = {dmax!r} must be below frame.R0_kpc = {r0!r} "
                          f"(stars are drawn within it of the Sun); fix: --set mock.dist_max_kpc=5.0 "
                          f"(the default)")
    off, rad = cfg["mock"]["duplicate_max_offset_arcsec"], cfg["ingest"]["dedup_radius_arcsec"]
    if cfg["run"]["catalog"] is None and off >= min(rad, 5.0):  # the mock's repeats must be found again
        raise ConfigError(f"config key 'mock.duplicate_max_offset_arcsec' = {off!r} must stay below the "
                          f"de-duplication radius ({min(rad, 5.0):g} arcsec) or repeats are not found; fix: "
                          f"--set mock.duplicate_max_offset_arcsec=1.0 (the default)")
    if cfg["gradients"]["bin_width_gyr"] > cfg["gradients"]["age_max_gyr"] - cfg["gradients"]["age_min_gyr"]:
        raise ConfigError(f"config key 'gradients.bin_width_gyr' = {cfg['gradients']['bin_width_gyr']!r} is "
                          f"wider than the age range [{cfg['gradients']['age_min_gyr']}, "
                          f"{cfg['gradients']['age_max_gyr']}] Gyr; fix: --set gradients.bin_width_gyr=1.25")
    pct = cfg["gradients"]["age_err_percentiles"]
    if len(pct) != 2 or not pct[0] < pct[1]:
        raise ConfigError(f"config key 'gradients.age_err_percentiles' = {_show(pct)} must be two increasing "
                          f"percentiles; fix: --set gradients.age_err_percentiles=[16.0,84.0] (the default)")
    step, top = cfg["gradients"]["age_hist_step_gyr"], cfg["gradients"]["age_hist_max_gyr"]
    if abs(top / step - round(top / step)) > 1e-6 or top < cfg["gradients"]["age_max_gyr"]:
        raise ConfigError(f"config key 'gradients.age_hist_max_gyr' = {top!r} must be a whole number of "
                          f"gradients.age_hist_step_gyr = {step!r} and reach gradients.age_max_gyr; fix: "
                          f"--set gradients.age_hist_max_gyr=15.0 with age_hist_step_gyr=0.01 (the defaults)")
    if not cfg["sweeps"]["potentials"]:
        raise ConfigError("config key 'sweeps.potentials' = [] names no potential; fix: "
                          "--set sweeps.potentials=[mw14,mcm17,irr13] (the default)")
    from .selections import resolve_params

    try:
        resolve_params({**cfg["cuts"], **cfg["selections"]})
    except ValueError as err:
        raise ConfigError(f"config section selections: {err}") from err
