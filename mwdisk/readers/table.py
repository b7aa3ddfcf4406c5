"""One user-joined table (TOPCAT, the Gaia archive, ...) plus a column map: ``mwdisk ingest --table F
--columns MAP.yaml``.

The map is YAML. ``columns`` maps canonical names (``mwdisk schema``) onto the table: a column name, a
``{column: NAME, unit: UNIT}`` pair (converted to the schema's unit, see :data:`UNIT_FACTORS`), an
``{expr: "..."}`` arithmetic expression of columns (pandas ``DataFrame.eval``), or a number (a constant the
user states; not flagged). ``fill`` optionally overrides the fill defaults below; ``product`` names the
table in messages::

    product: Gaia DR3 x LAMOST DR9 sample
    columns:
      source_id: source_id
      obs_id: combined_obsid
      ra_deg: ra_gaia
      parallax_error_mas: {expr: "parallax / parallax_over_error"}
      dist_med_pc: {column: dist_kpc, unit: kpc}
    fill:
      afe: 0.05

Required (no default exists): ``source_id, ra_deg, dec_deg, parallax_mas, pmra_masyr, pmdec_masyr, g_mag,
teff_k, logg, feh``. ``obs_id`` defaults to the row number (1, 2, ...). Missing ``rv_kms``, ``bp_mag``,
``rp_mag`` are NaN (no RV: no orbit, flagged ``NO_RV`` at ingest).

Fill defaults (:data:`DEFAULT_FILL`; config ``ingest.fill_*``), used where the table lacks a quantity (the
column is not mapped, or a star's value is NaN), each star that got one is marked in ``filled_flags``
(:class:`FilledFlag`):

- astrometric errors (``ra/dec_error_mas``, ``parallax_error_mas``, ``pm*_error_masyr``): by default from
  the star's G with the Gaia eDR3 summary precisions (Gaia Collaboration, Brown et al. 2021, A&A 649, A1:
  parallax 0.02-0.03 mas for G < 15, 0.07 at G = 17, 0.5 at G = 20, 1.3 at G = 21; proper motions 0.03,
  0.07, 0.5, 1.4 mas/yr; positions 0.02, 0.05, 0.4, 1.0 mas), interpolated in log error; the constants
  ``fill_*_error_*`` (the G = 17 values) where G is unknown or with ``fill_astrometry_errors: constant``.
- the 10 correlations: 0 (uncorrelated; real eDR3 |corr| reach 0.3-0.9, so the Monte-Carlo spread of
  velocities is approximate for these stars).
- ``teff_err_k`` 110 K, ``logg_err`` 0.2 dex, ``feh_err`` 0.1 dex: the LAMOST LASP precision at moderate SNR
  (Luo et al. 2015, RAA 15, 1095; Xiang et al. 2019 quote smaller DD-Payne errors, so these are cautious).
- ``afe`` 0.0 (solar-scaled, the thin-disk majority) and ``afe_err`` 0.1 dex (half the thin/thick
  [alpha/Fe] separation): ages then rest on [Fe/H]; chemical thin/thick selections of these stars mean
  nothing (select them out with ``filled_flags & FilledFlag.AFE``).
- ``snr_g, snr_r, snr_i`` 100 (above the paper's cut of 50, so the SNR cut does not remove a star whose
  table has no SNR); with ``fill_snr_from_g`` a missing r or i SNR copies the star's g SNR instead.
- ``rv_error_kms`` 5 km/s (LAMOST LRS radial-velocity precision, DR5 documentation) where RV is known.
- distances: with ``fill_distance: inverse_parallax`` (default) ``1000/parallax`` pc, percentiles
  ``1000/(parallax +- parallax_error)`` (hi NaN when parallax <= its error: the star is then flagged
  ``NAN_DISTANCE`` at ingest and gets no phase space). ``none`` leaves NaN.
"""

from __future__ import annotations

import difflib
import enum
import logging
import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import yaml

from ..schema import CATALOG_COLUMNS, CORRELATION_COLUMNS, SchemaError
from ._io import column_names, read_columns, to_float, to_int64

__all__ = ["FilledFlag", "DEFAULT_FILL", "UNIT_FACTORS", "REQUIRED_MAPPED", "load_column_map", "check_table",
           "read_table", "fill_missing", "astrometric_error_from_g"]

logger = logging.getLogger(__name__)


class FilledFlag(enum.IntFlag):
    """Bits of ``filled_flags``: which quantities of a star are documented defaults, not measurements."""

    POS_ERROR = 1 << 0  #: ra_error_mas / dec_error_mas
    PARALLAX_ERROR = 1 << 1  #: parallax_error_mas
    PM_ERROR = 1 << 2  #: pmra_error_masyr / pmdec_error_masyr
    CORRELATIONS = 1 << 3  #: one or more of the 10 Gaia correlations (set to 0)
    TEFF_ERROR = 1 << 4
    LOGG_ERROR = 1 << 5
    FEH_ERROR = 1 << 6
    AFE = 1 << 7  #: [alpha/Fe] itself
    AFE_ERROR = 1 << 8
    SNR = 1 << 9  #: one or more of snr_g, snr_r, snr_i
    RV_ERROR = 1 << 10
    DISTANCE = 1 << 11  #: distances from 1/parallax instead of Bailer-Jones


#: fill defaults (the lead maps them onto config ``ingest.fill_<key>``)
DEFAULT_FILL: dict[str, Any] = {
    "astrometry_errors": "gaia_edr3_g",  # gaia_edr3_g | constant
    "pos_error_mas": 0.05,
    "parallax_error_mas": 0.07,
    "pm_error_masyr": 0.07,
    "correlation": 0.0,
    "teff_err_k": 110.0,
    "logg_err": 0.2,
    "feh_err": 0.1,
    "afe": 0.0,
    "afe_err": 0.1,
    "snr": 100.0,
    "snr_from_g": True,
    "rv_error_kms": 5.0,
    "distance": "inverse_parallax",  # inverse_parallax | none
}

#: source unit -> factor to the schema unit, per schema unit
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "deg": {"deg": 1.0, "rad": 180.0 / np.pi},
    "mas": {"mas": 1.0, "arcsec": 1e3, "uas": 1e-3, "deg": 3.6e6},
    "mas/yr": {"mas/yr": 1.0, "arcsec/yr": 1e3, "uas/yr": 1e-3},
    "pc": {"pc": 1.0, "kpc": 1e3},
    "km/s": {"km/s": 1.0, "m/s": 1e-3},
    "K": {"K": 1.0},
    "mag": {"mag": 1.0},
    "dex": {"dex": 1.0},
    "": {"": 1.0},
}

REQUIRED_MAPPED = ("source_id", "ra_deg", "dec_deg", "parallax_mas", "pmra_masyr", "pmdec_masyr", "g_mag",
                   "teff_k", "logg", "feh")

# Gaia eDR3 summary precisions (Brown et al. 2021) at G = 15, 17, 20, 21
_G_NODES = np.array([15.0, 17.0, 20.0, 21.0])
_ERR_NODES = {
    "pos": np.array([0.02, 0.05, 0.4, 1.0]),
    "parallax": np.array([0.03, 0.07, 0.5, 1.3]),
    "pm": np.array([0.03, 0.07, 0.5, 1.4]),
}


def astrometric_error_from_g(g_mag: np.ndarray, kind: str) -> np.ndarray:
    """Typical Gaia eDR3 uncertainty (mas or mas/yr) at magnitude G; ``kind`` is pos, parallax or pm.

    Log-linear interpolation between the published values; constant below G = 15 and above G = 21; NaN
    where G is NaN.
    """
    g = np.asarray(g_mag, float)
    out = np.exp(np.interp(g, _G_NODES, np.log(_ERR_NODES[kind])))
    return np.where(np.isfinite(g), out, np.nan)


def _product(m: Mapping, path) -> str:
    return str(m.get("product") or f"user table (column map {path})")


def load_column_map(path: str | Path) -> dict:
    """Read and check a column-map YAML: known canonical keys, well-formed entries, known units."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"column map {str(p)!r} does not exist")
    try:
        m = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SchemaError(f"column map {p}: not valid YAML: {exc}") from exc
    if not isinstance(m, Mapping) or not isinstance(m.get("columns"), Mapping):
        raise SchemaError(f"column map {p}: needs a 'columns:' mapping of canonical name -> your column "
                          f"(see mwdisk.readers.table)")
    unknown_top = set(m) - {"columns", "fill", "product"}
    if unknown_top:
        raise SchemaError(f"column map {p}: unknown section(s) {sorted(unknown_top)}; use columns, fill, product")
    for key, spec in m["columns"].items():
        if key not in CATALOG_COLUMNS:
            near = difflib.get_close_matches(str(key), list(CATALOG_COLUMNS), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else "; see `mwdisk schema`"
            raise SchemaError(f"column map {p}: {key!r} is not a canonical column{hint}")
        if isinstance(spec, Mapping):
            if not ("column" in spec) ^ ("expr" in spec):
                raise SchemaError(f"column map {p}: {key!r} needs exactly one of 'column' or 'expr', got {dict(spec)}")
            unit = spec.get("unit")
            if unit is not None:
                want = CATALOG_COLUMNS[key].unit
                if unit not in UNIT_FACTORS.get(want, {}):
                    raise SchemaError(f"column map {p}: unit {unit!r} of {key!r} cannot be converted to "
                                      f"{want!r}; known: {sorted(UNIT_FACTORS.get(want, {}))}")
        elif not isinstance(spec, (str, int, float)) or isinstance(spec, bool):
            raise SchemaError(f"column map {p}: {key!r} -> {spec!r} must be a column name, a number, "
                              f"{{column: NAME, unit: UNIT}} or {{expr: ...}}")
    fill = m.get("fill") or {}
    bad = set(fill) - set(DEFAULT_FILL)
    if bad:
        raise SchemaError(f"column map {p}: unknown fill key(s) {sorted(bad)}; known: {sorted(DEFAULT_FILL)}")
    return dict(m)


def _source_columns(spec: Any, header: list[str]) -> list[str]:
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, Mapping) and "column" in spec:
        return [spec["column"]]
    if isinstance(spec, Mapping) and "expr" in spec:
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(spec["expr"])))
        return [h for h in header if h in words]
    return []


def check_table(path: str | Path, column_map: str | Path | Mapping) -> dict:
    """Check a user table against its column map from the header only; returns the loaded map.

    Raises
    ------
    SchemaError
        A required canonical quantity is not mapped, or a mapped column is not in the file (naming the file,
        the column and the map).
    """
    m = column_map if isinstance(column_map, Mapping) else load_column_map(column_map)
    product = _product(m, column_map if not isinstance(column_map, Mapping) else "given")
    header = column_names(path)
    cols = m["columns"]
    for key in REQUIRED_MAPPED:
        if key not in cols:
            raise SchemaError(f"{path}: the {product} maps no column to {key!r} "
                              f"({CATALOG_COLUMNS[key].description}), which has no default; add "
                              f"'{key}: <your column>' under 'columns:'")
    hs = set(header)
    for key, spec in cols.items():
        for c in _source_columns(spec, header):
            if c not in hs:
                near = difflib.get_close_matches(c, header, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise SchemaError(f"{path}: missing column {c!r}{hint}, mapped to {key!r} by the {product}")
        if isinstance(spec, Mapping) and "expr" in spec and not _source_columns(spec, header):
            raise SchemaError(f"{path}: expression {spec['expr']!r} for {key!r} names no column of the file")
    return m


def read_table(path: str | Path, column_map: str | Path | Mapping, fill: Mapping | None = None) -> pd.DataFrame:
    """Read a user table into the canonical schema, filling missing quantities and flagging them.

    Parameters
    ----------
    path : path
        FITS, CSV, ECSV or VOTable.
    column_map : path or mapping
        The YAML column map (see the module docstring).
    fill : mapping, optional
        Fill defaults overriding :data:`DEFAULT_FILL` (the map's own ``fill:`` section overrides these).

    Returns
    -------
    pandas.DataFrame
        Every canonical column plus ``filled_flags`` (int32, :class:`FilledFlag` bits).
    """
    m = check_table(path, column_map)
    header = column_names(path)
    cols = m["columns"]
    need = sorted({c for spec in cols.values() for c in _source_columns(spec, header)})
    raw = read_columns(path, need)
    out = pd.DataFrame(index=range(len(raw)))
    for key, spec in cols.items():
        col = CATALOG_COLUMNS[key]
        if isinstance(spec, (int, float)) and not isinstance(spec, str):
            out[key] = np.full(len(raw), float(spec)) if col.kind == "float" else np.full(len(raw), int(spec))
            continue
        name = spec if isinstance(spec, str) else spec.get("column")
        if col.kind == "int":
            if name is None:
                raise SchemaError(f"{path}: {key!r} is an id and must map to a column, not an expression")
            out[key] = to_int64(raw[name], path, name, _product(m, "given"))
            continue
        if name is not None:
            v = to_float(raw[name])
        else:
            srcs = _source_columns(spec, header)
            num = raw[srcs].apply(pd.to_numeric, errors="coerce").astype("float64")
            v = pd.to_numeric(num.eval(str(spec["expr"])), errors="coerce").to_numpy(float)
        unit = spec.get("unit") if isinstance(spec, Mapping) else None
        if unit is not None:
            v = v * UNIT_FACTORS[col.unit][unit]
        out[key] = v
    if "obs_id" not in out:
        out["obs_id"] = np.arange(1, len(out) + 1, dtype=np.int64)
        logger.info("%s: no obs_id mapped; rows numbered 1..%d", path, len(out))
    for c in ("rv_kms", "bp_mag", "rp_mag"):
        if c not in out:
            logger.warning("%s: no %s mapped; NaN for every star", path, c)
            out[c] = np.nan
    f = dict(DEFAULT_FILL)
    f.update(fill or {})
    f.update(m.get("fill") or {})
    out, flags = fill_missing(out, f)
    out["filled_flags"] = flags
    order = [c for c in CATALOG_COLUMNS if c in out.columns] + ["filled_flags"]
    return out[order]


def fill_missing(df: pd.DataFrame, fill: Mapping | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Fill absent columns and NaN values with the documented defaults; return the frame and the flags.

    Errors are filled only where their value is known (an error of a NaN parallax means nothing);
    [alpha/Fe], SNRs and correlations wherever missing. See the module docstring for every default.
    """
    f = dict(DEFAULT_FILL)
    f.update(fill or {})
    out = df.copy()
    n = len(out)
    flags = np.zeros(n, np.int32)

    def col(name):
        return out[name].to_numpy(float) if name in out else np.full(n, np.nan)

    def put(name, values, where, bit):
        cur = col(name)
        where = where & ~np.isfinite(cur)
        out[name] = np.where(where, values, cur)
        flags[where] |= int(bit)

    g = col("g_mag")
    by_g = f["astrometry_errors"] == "gaia_edr3_g"
    if f["astrometry_errors"] not in ("gaia_edr3_g", "constant"):
        raise ValueError(f"fill astrometry_errors {f['astrometry_errors']!r} is not 'gaia_edr3_g' or 'constant'")

    def err(kind, const):
        e = astrometric_error_from_g(g, kind) if by_g else np.full(n, np.nan)
        return np.where(np.isfinite(e), e, const)

    pos = err("pos", f["pos_error_mas"])
    put("ra_error_mas", pos, np.isfinite(col("ra_deg")), FilledFlag.POS_ERROR)
    put("dec_error_mas", pos, np.isfinite(col("dec_deg")), FilledFlag.POS_ERROR)
    put("parallax_error_mas", err("parallax", f["parallax_error_mas"]), np.isfinite(col("parallax_mas")),
        FilledFlag.PARALLAX_ERROR)
    pm = err("pm", f["pm_error_masyr"])
    put("pmra_error_masyr", pm, np.isfinite(col("pmra_masyr")), FilledFlag.PM_ERROR)
    put("pmdec_error_masyr", pm, np.isfinite(col("pmdec_masyr")), FilledFlag.PM_ERROR)
    for c in CORRELATION_COLUMNS:
        put(c, float(f["correlation"]), np.ones(n, bool), FilledFlag.CORRELATIONS)
    put("teff_err_k", float(f["teff_err_k"]), np.isfinite(col("teff_k")), FilledFlag.TEFF_ERROR)
    put("logg_err", float(f["logg_err"]), np.isfinite(col("logg")), FilledFlag.LOGG_ERROR)
    put("feh_err", float(f["feh_err"]), np.isfinite(col("feh")), FilledFlag.FEH_ERROR)
    put("afe", float(f["afe"]), np.ones(n, bool), FilledFlag.AFE)
    put("afe_err", float(f["afe_err"]), np.isfinite(col("afe")), FilledFlag.AFE_ERROR)
    snr_g = col("snr_g")
    put("snr_g", float(f["snr"]), np.ones(n, bool), FilledFlag.SNR)
    for c in ("snr_r", "snr_i"):
        if f["snr_from_g"]:
            put(c, snr_g, np.isfinite(snr_g), FilledFlag.SNR)
        put(c, float(f["snr"]), np.ones(n, bool), FilledFlag.SNR)
    put("rv_error_kms", float(f["rv_error_kms"]), np.isfinite(col("rv_kms")), FilledFlag.RV_ERROR)
    if f["distance"] == "inverse_parallax":
        plx, eplx = col("parallax_mas"), col("parallax_error_mas")
        need = ~np.isfinite(col("dist_med_pc")) & np.isfinite(plx) & (plx > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            med = 1000.0 / plx
            lo = 1000.0 / (plx + eplx)
            hi = np.where(plx > eplx, 1000.0 / (plx - eplx), np.nan)
        for c, v in (("dist_med_pc", med), ("dist_lo_pc", lo), ("dist_hi_pc", hi)):
            cur = col(c)
            out[c] = np.where(need, v, cur)
        flags[need] |= int(FilledFlag.DISTANCE)
    elif f["distance"] != "none":
        raise ValueError(f"fill distance {f['distance']!r} is not 'inverse_parallax' or 'none'")
    for c in ("dist_med_pc", "dist_lo_pc", "dist_hi_pc"):
        if c not in out:
            out[c] = np.nan
    return out, flags
