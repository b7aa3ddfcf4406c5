"""One configuration: shipped defaults, a user's YAML on top, then command-line settings.

The defaults live in ``mwdisk/defaults.yaml`` with a comment on every key. The type of each default is the
key's type: a user value of another type, or a key the defaults do not have, is a :class:`ConfigError`
naming the key (with the nearest valid key where one is close). Keys whose default is ``null`` take a string
or null.

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
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

__all__ = ["ConfigError", "load_defaults", "load_config", "merge", "config_hash", "parse_override"]


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
        raise ConfigError(f"setting {text!r} is not of the form section.key=value, e.g. phasespace.n_draws=50")
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
            raise ConfigError(f"config file {str(p)!r} must hold a mapping of sections, got {type(user).__name__}")
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
