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

Every value is checked before the catalogue is written, by the same rules as any catalogue
(:func:`mwdisk.schema.validate_catalog`: ranges, infinities, unique ``obs_id``): text in a numeric column
(other than an empty cell or a NaN/null spelling) is refused naming the cell, not read as NaN; a constant or a
``fill`` value outside the column's limits, or a constant id, is refused when the map is loaded; an
expression that does not parse, or names a column the table lacks, is refused from the header alone.

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
import io
import logging
import tokenize
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import yaml

from ..schema import CATALOG_COLUMNS, CORRELATION_COLUMNS, SchemaError, out_of_limits, validate_catalog
from ._io import column_names, read_columns, to_int64

__all__ = ["FilledFlag", "DEFAULT_FILL", "UNIT_FACTORS", "REQUIRED_MAPPED", "EXPR_FUNCTIONS", "NULL_TEXT",
           "load_column_map", "check_table", "check_fill", "read_table", "fill_missing",
           "astrometric_error_from_g"]

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


#: functions and words a column-map expression may use besides column names (pandas ``eval``)
EXPR_FUNCTIONS = frozenset({
    "sin", "cos", "tan", "exp", "log", "log10", "expm1", "log1p", "sqrt", "sinh", "cosh", "tanh", "arcsin",
    "arccos", "arctan", "arccosh", "arcsinh", "arctanh", "arctan2", "abs", "floor", "ceil",
    "and", "or", "not", "True", "False",
})

#: text a numeric cell may hold for "no value" (compared stripped and lower-cased)
NULL_TEXT = frozenset({"", "nan", "null", "none", "na", "n/a", "--"})

#: fill key -> the canonical column whose limits its value must respect
_FILL_COLUMN = {
    "pos_error_mas": "ra_error_mas", "parallax_error_mas": "parallax_error_mas",
    "pm_error_masyr": "pmra_error_masyr", "correlation": "ra_dec_corr", "teff_err_k": "teff_err_k",
    "logg_err": "logg_err", "feh_err": "feh_err", "afe": "afe", "afe_err": "afe_err", "snr": "snr_g",
    "rv_error_kms": "rv_error_kms",
}
_FILL_CHOICES = {"astrometry_errors": ("gaia_edr3_g", "constant"), "distance": ("inverse_parallax", "none")}


def _expr_names(expr: str, where: str, key: str) -> list[str]:
    """The names an expression uses (numbers, operators, strings skipped); refuses what does not tokenize."""
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(str(expr)).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise SchemaError(
            f"{where}: expression {expr!r} for {key!r} does not parse ({exc.args[0]}); write it with your "
            f"column names, numbers, + - * / ** ( ), e.g. {{expr: \"parallax / parallax_over_error\"}}"
        ) from None
    return list(dict.fromkeys(t.string for t in toks if t.type == tokenize.NAME))


def check_fill(fill: Mapping, where: str) -> None:
    """Refuse an unknown fill key, a fill value outside its column's limits, or an unknown fill choice."""
    bad = set(fill) - set(DEFAULT_FILL)
    if bad:
        raise SchemaError(f"{where}: unknown fill key(s) {sorted(bad)}; known: {sorted(DEFAULT_FILL)}")
    for k, v in fill.items():
        if k in _FILL_CHOICES:
            if v not in _FILL_CHOICES[k]:
                raise SchemaError(f"{where}: fill {k}: {v!r} is not one of {', '.join(_FILL_CHOICES[k])}; "
                                  f"default {DEFAULT_FILL[k]!r}")
        elif k == "snr_from_g":
            if not isinstance(v, bool):
                raise SchemaError(f"{where}: fill snr_from_g: {v!r} must be true or false")
        else:
            col = CATALOG_COLUMNS[_FILL_COLUMN[k]]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise SchemaError(f"{where}: fill {k}: {v!r} must be a number (default {DEFAULT_FILL[k]!r})")
            bad_v, rule = out_of_limits(col, [v])
            if bad_v[0] or v != v:
                raise SchemaError(
                    f"{where}: fill {k}: {v!r} is out of range; give a value "
                    f"{rule.replace('finite and ', '')} ({col.description}, unit {col.unit or 'none'}; "
                    f"default {DEFAULT_FILL[k]!r})"
                )


def _check_constant(key: str, value: Any, where: str) -> None:
    col = CATALOG_COLUMNS[key]
    if col.kind == "int":
        raise SchemaError(
            f"{where}: {key}: {value!r} is a constant, but {key!r} is an id that every row needs its own "
            f"of; map it to a column of your table (obs_id may be left out: rows are numbered)"
        )
    bad, rule = out_of_limits(col, [float(value)])
    if bad[0]:
        raise SchemaError(
            f"{where}: constant {key}: {value!r} is out of range; give a value "
            f"{rule.replace('finite and ', '')} ({col.description}, unit {col.unit or 'none'}) "
            f"or map {key!r} "
            f"to a column of your table"
        )


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
        raise SchemaError(
            f"column map {p}: unknown section(s) {sorted(unknown_top)}; use columns, fill, product"
        )
    for key, spec in m["columns"].items():
        if key not in CATALOG_COLUMNS:
            near = difflib.get_close_matches(str(key), list(CATALOG_COLUMNS), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else "; see `mwdisk schema`"
            raise SchemaError(f"column map {p}: {key!r} is not a canonical column{hint}")
        if isinstance(spec, Mapping):
            if not ("column" in spec) ^ ("expr" in spec):
                raise SchemaError(
                    f"column map {p}: {key!r} needs exactly one of 'column' or 'expr', got {dict(spec)}"
                )
            unit = spec.get("unit")
            if unit is not None:
                want = CATALOG_COLUMNS[key].unit
                if unit not in UNIT_FACTORS.get(want, {}):
                    raise SchemaError(f"column map {p}: unit {unit!r} of {key!r} cannot be converted to "
                                      f"{want!r}; known: {sorted(UNIT_FACTORS.get(want, {}))}")
            if "expr" in spec:
                _expr_names(spec["expr"], f"column map {p}", key)
        elif not isinstance(spec, (str, int, float)) or isinstance(spec, bool):
            raise SchemaError(f"column map {p}: {key!r} -> {spec!r} must be a column name, a number, "
                              f"{{column: NAME, unit: UNIT}} or {{expr: ...}}")
        elif not isinstance(spec, str):
            _check_constant(key, spec, f"column map {p}")
    fill = m.get("fill") or {}
    if not isinstance(fill, Mapping):
        raise SchemaError(f"column map {p}: 'fill:' must be a mapping of fill key -> value, got {fill!r}")
    check_fill(fill, f"column map {p}")
    return dict(m)


def _source_columns(spec: Any, header: list[str]) -> list[str]:
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, Mapping) and "column" in spec:
        return [spec["column"]]
    if isinstance(spec, Mapping) and "expr" in spec:
        words = set(_expr_names(spec["expr"], "column map", "expression"))
        return [h for h in header if h in words]
    return []


def _eval_expr(frame: pd.DataFrame, expr: str, where: str, key: str) -> np.ndarray:
    """``frame.eval(expr)`` as a float array of one value per row; any failure is one clear SchemaError."""
    try:
        res = frame.eval(str(expr))
    except Exception as exc:  # pandas raises SyntaxError, NameError, TypeError, ValueError, ... by case
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise SchemaError(
            f"{where}: expression {expr!r} for {key!r} cannot be evaluated ({msg}); write it with your "
            f"column names, numbers, + - * / ** ( ) and functions such as sqrt or log10"
        ) from None
    if isinstance(res, pd.DataFrame) or np.ndim(res) > 1:
        raise SchemaError(f"{where}: expression {expr!r} for {key!r} gives a table, not one value per row; "
                          f"write a formula, not an assignment")
    v = pd.to_numeric(pd.Series(np.broadcast_to(np.asarray(res), (len(frame),))), errors="coerce")
    return v.to_numpy(dtype=float, na_value=np.nan)


def _numeric(s: pd.Series, path, name: str, key: str, product: str) -> np.ndarray:
    """Column ``name`` as float64; refuses text that is neither a number nor a null (:data:`NULL_TEXT`)."""
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return v
    text = s.astype("string").str.strip().str.lower()
    null = s.isna().to_numpy() | text.isin(NULL_TEXT).fillna(True).to_numpy(bool)
    bad = np.isnan(v) & ~null
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        col = CATALOG_COLUMNS.get(key)
        what = f" ({col.description}, unit {col.unit or 'none'})" if col is not None else ""
        raise SchemaError(
            f"{path}: column {name!r} (mapped to {key!r} by the {product}) holds the text "
            f"{s.iloc[i]!r} in data row {i + 1} ({int(bad.sum())} such rows), where a number{what} is "
            f"needed; correct or empty these cells (an empty cell is a missing value) or map {key!r} to "
            f"another column"
        )
    return v


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
        if isinstance(spec, Mapping) and "expr" in spec:
            expr = str(spec["expr"])
            names = _expr_names(expr, str(path), key)
            unknown = [w for w in names if w not in hs and w not in EXPR_FUNCTIONS]
            if unknown:
                near = difflib.get_close_matches(unknown[0], header, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise SchemaError(
                    f"{path}: expression {expr!r} for {key!r} names {unknown[0]!r}{hint}, which is neither a "
                    f"column of the file nor a function; fix the expression in the column map"
                )
            srcs = _source_columns(spec, header)
            if not srcs:
                raise SchemaError(f"{path}: expression {expr!r} for {key!r} names no column of the file")
            # the syntax, before any row is read
            _eval_expr(pd.DataFrame({c: np.zeros(1) for c in srcs}), expr, f"{path}", key)
    return m


def read_table(path: str | Path, column_map: str | Path | Mapping,
               fill: Mapping | None = None) -> pd.DataFrame:
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
    product = _product(m, column_map if not isinstance(column_map, Mapping) else "given")
    header = column_names(path)
    cols = m["columns"]
    need = sorted({c for spec in cols.values() for c in _source_columns(spec, header)})
    raw = read_columns(path, need)
    out = pd.DataFrame(index=range(len(raw)))
    for key, spec in cols.items():
        col = CATALOG_COLUMNS[key]
        if isinstance(spec, (int, float)) and not isinstance(spec, str):
            _check_constant(key, spec, product)
            out[key] = np.full(len(raw), float(spec)) if col.kind == "float" else np.full(len(raw), int(spec))
            continue
        name = spec if isinstance(spec, str) else spec.get("column")
        if col.kind == "int":
            if name is None:
                raise SchemaError(f"{path}: {key!r} is an id and must map to a column, not an expression")
            out[key] = to_int64(raw[name], path, name, product)
            continue
        if name is not None:
            v = _numeric(raw[name], path, name, key, product)
        else:
            srcs = _source_columns(spec, header)
            num = pd.DataFrame({c: _numeric(raw[c], path, c, key, product) for c in srcs})
            with np.errstate(all="ignore"):
                v = _eval_expr(num, str(spec["expr"]), str(path), key)
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
    if fill:
        check_fill(fill, "fill defaults")
        f.update(fill)
    f.update(m.get("fill") or {})
    out, flags = fill_missing(out, f)
    out["filled_flags"] = flags
    order = [c for c in CATALOG_COLUMNS if c in out.columns] + ["filled_flags"]
    out = out[order]
    validate_catalog(out, where=f"{path} (read through the {product})")
    return out


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
        raise ValueError(
            f"fill astrometry_errors {f['astrometry_errors']!r} is not 'gaia_edr3_g' or 'constant'"
        )

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
