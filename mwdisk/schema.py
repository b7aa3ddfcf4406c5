"""The canonical per-star catalogue: columns, units, dtypes, and the checks made before any work starts.

Column names carry their units (``_deg``, ``_mas``, ``_masyr``, ``_pc``, ``_kms``, ``_k``); dimensionless
quantities ([Fe/H], [alpha/Fe], log g in dex, correlations, SNRs) have none. Names follow the products they
come from: Gaia eDR3 ``gaia_source`` (astrometry, the 10 correlations, photometry), Bailer-Jones et al. (2021)
geometric distances, LAMOST DR5 (SNRs, RV) and DD-Payne (Teff, log g, [Fe/H], [alpha/Fe]).

A malformed *file* (missing column, wrong dtype, impossible value) is refused with :class:`SchemaError`
naming the column, the value and the fix. A bad *star* (NaN, non-positive parallax, no RV) is kept and
flagged in the ``quality_flags`` bit mask (:class:`QualityFlag`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Column",
    "CATALOG_COLUMNS",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "CORRELATION_COLUMNS",
    "QualityFlag",
    "SchemaError",
    "validate_catalog",
    "out_of_limits",
    "quality_flags",
    "TRUTH_PREFIX",
    "drop_truth",
    "gaia_covariance",
]

TRUTH_PREFIX = "true_"


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``kind`` is ``"int"``, ``"float"`` or ``"str"``; ``lo``/``hi`` are hard physical limits (a value outside
    them means the file is wrong, not the star: a wrong unit, a sentinel such as -9999, a swapped column);
    ``nonneg`` marks errors and SNRs. The limits are generous on purpose: [Fe/H] in [-10, 2] (the most
    iron-poor stars known are near -7), [alpha/Fe] in [-2, 2], log g in [-2, 10] (white dwarfs reach 9),
    Teff in [1000, 300000] K, G, BP, RP in [-5, 30] mag, |parallax| <= 1000 mas (Proxima Cen: 768),
    |proper motion| <= 20000 mas/yr (Barnard's star: 10400), |RV| <= 3000 km/s (hypervelocity stars: ~1000).
    """

    name: str
    kind: str
    unit: str
    description: str
    required: bool = True
    lo: float | None = None
    hi: float | None = None
    nonneg: bool = False


def _c(name, kind, unit, desc, required=True, lo=None, hi=None, nonneg=False):
    return Column(name, kind, unit, desc, required, lo, hi, nonneg)


CORRELATION_COLUMNS = (
    "ra_dec_corr",
    "ra_parallax_corr",
    "ra_pmra_corr",
    "ra_pmdec_corr",
    "dec_parallax_corr",
    "dec_pmra_corr",
    "dec_pmdec_corr",
    "parallax_pmra_corr",
    "parallax_pmdec_corr",
    "pmra_pmdec_corr",
)

_COLUMNS: list[Column] = [
    _c("obs_id", "int", "", "unique id of the input row (one spectrum)"),
    _c("source_id", "int", "", "Gaia eDR3 source_id: the star's key, unique after ingest"),
    _c("ra_deg", "float", "deg", "right ascension (ICRS, Gaia epoch J2016.0)", lo=0.0, hi=360.0),
    _c("dec_deg", "float", "deg", "declination (ICRS, J2016.0)", lo=-90.0, hi=90.0),
    _c("ra_error_mas", "float", "mas", "Gaia ra_error (already times cos dec)", nonneg=True),
    _c("dec_error_mas", "float", "mas", "Gaia dec_error", nonneg=True),
    _c("parallax_mas", "float", "mas", "Gaia parallax", lo=-1000.0, hi=1000.0),
    _c("parallax_error_mas", "float", "mas", "Gaia parallax_error", nonneg=True),
    _c("pmra_masyr", "float", "mas/yr", "Gaia pmra (includes cos dec)", lo=-20000.0, hi=20000.0),
    _c("pmra_error_masyr", "float", "mas/yr", "Gaia pmra_error", nonneg=True),
    _c("pmdec_masyr", "float", "mas/yr", "Gaia pmdec", lo=-20000.0, hi=20000.0),
    _c("pmdec_error_masyr", "float", "mas/yr", "Gaia pmdec_error", nonneg=True),
    *[_c(n, "float", "", f"Gaia {n}", lo=-1.0, hi=1.0) for n in CORRELATION_COLUMNS],
    _c("g_mag", "float", "mag", "Gaia phot_g_mean_mag", lo=-5.0, hi=30.0),
    _c("bp_mag", "float", "mag", "Gaia phot_bp_mean_mag", lo=-5.0, hi=30.0),
    _c("rp_mag", "float", "mag", "Gaia phot_rp_mean_mag", lo=-5.0, hi=30.0),
    _c("dist_med_pc", "float", "pc", "Bailer-Jones (2021) r_med_geo", nonneg=True),
    _c("dist_lo_pc", "float", "pc", "Bailer-Jones r_lo_geo (16th percentile)", nonneg=True),
    _c("dist_hi_pc", "float", "pc", "Bailer-Jones r_hi_geo (84th percentile)", nonneg=True),
    _c("rv_kms", "float", "km/s", "line-of-sight velocity (LAMOST or Gaia); NaN where none", lo=-3000.0,
       hi=3000.0),
    _c("rv_error_kms", "float", "km/s", "its error", nonneg=True),
    _c("teff_k", "float", "K", "effective temperature (DD-Payne)", lo=1000.0, hi=300000.0),
    _c("teff_err_k", "float", "K", "its error", nonneg=True),
    _c("logg", "float", "dex", "surface gravity log10(g / cm s^-2)", lo=-2.0, hi=10.0),
    _c("logg_err", "float", "dex", "its error", nonneg=True),
    _c("feh", "float", "dex", "[Fe/H]", lo=-10.0, hi=2.0),
    _c("feh_err", "float", "dex", "its error", nonneg=True),
    _c("afe", "float", "dex", "[alpha/Fe]", lo=-2.0, hi=2.0),
    _c("afe_err", "float", "dex", "its error", nonneg=True),
    _c("snr_g", "float", "", "LAMOST snrg", nonneg=True),
    _c("snr_r", "float", "", "LAMOST snrr", nonneg=True),
    _c("snr_i", "float", "", "LAMOST snri", nonneg=True),
    _c("A_G_cat_mag", "float", "mag", "extinction A_G carried by the catalogue (e.g. survey-derived)",
       required=False),
    _c("A_G_cat_err_mag", "float", "mag", "its error", required=False, nonneg=True),
    # Gaia eDR3 inputs of the Lindegren et al. (2021) parallax zero-point (ages.distance_source = parallax)
    _c("nu_eff_used_in_astrometry", "float", "1/um", "Gaia effective wavenumber (5-parameter solutions)",
       required=False),
    _c("pseudocolour", "float", "1/um", "Gaia pseudocolour (6-parameter solutions)", required=False),
    _c("astrometric_params_solved", "float", "", "Gaia 31 (5-parameter) or 95 (6-parameter)",
       required=False),
]

CATALOG_COLUMNS: dict[str, Column] = {c.name: c for c in _COLUMNS}
REQUIRED_COLUMNS = tuple(c.name for c in _COLUMNS if c.required)
OPTIONAL_COLUMNS = tuple(c.name for c in _COLUMNS if not c.required)


class QualityFlag(enum.IntFlag):
    """Bits of the ``quality_flags`` column set at ingest. A flagged star is kept, never dropped."""

    NAN_ASTROMETRY = 1 << 0  #: ra, dec, parallax, proper motion or one of their errors is NaN
    NONPOS_PARALLAX = 1 << 1  #: parallax <= 0 (kept: Bailer-Jones distances do not need it positive)
    NO_RV = 1 << 2  #: no radial velocity: no 3-D velocity, no orbit
    NAN_SPECTRO = 1 << 3  #: Teff, log g, [Fe/H] or [alpha/Fe] (or an error) is NaN: no age
    NAN_PHOTOMETRY = 1 << 4  #: G magnitude is NaN: no M_G
    NAN_DISTANCE = 1 << 5  #: Bailer-Jones percentiles missing or not ordered lo <= med <= hi
    BAD_COVARIANCE = 1 << 6  #: the 5x5 Gaia covariance is not positive definite


class SchemaError(ValueError):
    """A catalogue that cannot be processed; the message names the column, the value and the fix."""


def _kind_ok(series: pd.Series, kind: str) -> bool:
    if kind == "int":
        return pd.api.types.is_integer_dtype(series.dtype)
    if kind == "float":
        return pd.api.types.is_float_dtype(series.dtype) or pd.api.types.is_integer_dtype(series.dtype)
    return True


def out_of_limits(col: Column, values) -> tuple[np.ndarray, str]:
    """Which ``values`` break the hard limits of ``col`` (NaN never does, infinity always does), and the rule.

    Examples
    --------
    >>> bad, rule = out_of_limits(CATALOG_COLUMNS["feh"], [0.1, 12.0, float("nan")])
    >>> bad.tolist(), rule
    ([False, True, False], 'finite and in [-10, 2]')
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(v)
        rule = "finite"
        if col.nonneg:
            bad |= v < 0
            rule = "finite and >= 0"
        if col.lo is not None:
            bad |= v < col.lo
            rule = f"finite and >= {col.lo:g}"
        if col.hi is not None:
            bad |= v > col.hi
            rule = (f"finite and in [{col.lo:g}, {col.hi:g}]" if col.lo is not None
                    else f"finite and <= {col.hi:g}")
    return bad, rule


def validate_catalog(df: pd.DataFrame, where: str = "catalogue") -> None:
    """Refuse a malformed catalogue before any work starts.

    Checks: every required column is present; dtypes are numeric where they must be (``obs_id`` and
    ``source_id`` integer); no value is infinite or outside its hard limits (:func:`out_of_limits`: dec in
    [-90, 90], ra in [0, 360], correlations in [-1, 1], errors and SNRs non-negative, [Fe/H], log g, Teff,
    magnitudes, parallax, proper motions and RV within generous physical bounds, see :class:`Column`);
    ``obs_id`` is unique. NaNs are allowed: they are
    bad stars, flagged by :func:`quality_flags`, not a bad file.

    Parameters
    ----------
    df : pandas.DataFrame
        The catalogue or one of its partitions.
    where : str
        Name of the file or partition, for the message.

    Raises
    ------
    SchemaError
        Naming the column, the offending value (and its row's ``obs_id`` where known) and the fix.
    """
    missing = [n for n in REQUIRED_COLUMNS if n not in df.columns]
    if missing:
        raise SchemaError(
            f"{where}: missing required column(s) {', '.join(repr(m) for m in missing)}. "
            f"Rename your columns to the canonical names "
            f"(see `mwdisk schema` / mwdisk.schema.CATALOG_COLUMNS) "
            f"or map them with `mwdisk ingest --table F --columns MAP.yaml`."
        )
    for name, col in CATALOG_COLUMNS.items():
        if name not in df.columns:
            continue
        s = df[name]
        if not _kind_ok(s, col.kind):
            want = "an integer" if col.kind == "int" else "a numeric (float)"
            first = repr(s.iloc[0]) if len(s) else "none"
            cast = '.astype("int64")' if col.kind == "int" else ""
            raise SchemaError(
                f"{where}: column {name!r} has dtype {s.dtype}, expected {want} column "
                f"(first value {first}). Convert it, e.g. df[{name!r}] = pd.to_numeric(df[{name!r}]){cast}."
            )
        if len(s) == 0 or col.kind != "float":
            continue
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad, rule = out_of_limits(col, v)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            oid = df["obs_id"].iloc[i] if "obs_id" in df.columns else i
            raise SchemaError(
                f"{where}: column {name!r} has value {float(v[i])!r} at obs_id {oid} "
                f"({int(bad.sum())} such rows); "
                f"it must be {rule} ({col.description}, unit {col.unit or 'none'}). "
                f"Fix or remove these rows; "
                f"use NaN for a missing value."
            )
    if df["obs_id"].duplicated().any():
        dup = df["obs_id"][df["obs_id"].duplicated()].iloc[0]
        raise SchemaError(
            f"{where}: column 'obs_id' repeats the value {dup!r}; every input row needs a unique obs_id "
            f"(repeat spectra of one star share source_id, not obs_id)."
        )


def quality_flags(df: pd.DataFrame) -> np.ndarray:
    """The ``quality_flags`` bit mask (int32) of every row; see :class:`QualityFlag`."""

    def nan(*cols):
        out = np.zeros(len(df), bool)
        for c in cols:
            out |= ~np.isfinite(df[c].to_numpy(dtype=float, na_value=np.nan))
        return out

    f = np.zeros(len(df), np.int32)
    ast = ("ra_deg", "dec_deg", "parallax_mas", "pmra_masyr", "pmdec_masyr", "ra_error_mas",
           "dec_error_mas", "parallax_error_mas", "pmra_error_masyr", "pmdec_error_masyr")
    f[nan(*ast)] |= QualityFlag.NAN_ASTROMETRY
    plx = df["parallax_mas"].to_numpy(dtype=float, na_value=np.nan)
    f[plx <= 0] |= QualityFlag.NONPOS_PARALLAX
    f[nan("rv_kms", "rv_error_kms")] |= QualityFlag.NO_RV
    f[nan("teff_k", "teff_err_k", "logg", "logg_err", "feh", "feh_err", "afe", "afe_err")] |= (
        QualityFlag.NAN_SPECTRO
    )
    f[nan("g_mag")] |= QualityFlag.NAN_PHOTOMETRY
    lo, med, hi = (df[c].to_numpy(dtype=float, na_value=np.nan) for c in ("dist_lo_pc", "dist_med_pc",
                                                                          "dist_hi_pc"))
    with np.errstate(invalid="ignore"):
        bad_d = ~(
            np.isfinite(lo) & np.isfinite(med) & np.isfinite(hi) & (lo <= med) & (med <= hi) & (med > 0)
        )
    f[bad_d] |= QualityFlag.NAN_DISTANCE
    f[~_covariance_ok(df)] |= QualityFlag.BAD_COVARIANCE
    return f


def gaia_covariance(df: pd.DataFrame) -> np.ndarray:
    """The (n, 5, 5) Gaia covariance of (ra*, dec, parallax, pmra, pmdec) in mas and mas/yr.

    C_ii = e_i^2 and C_ij = corr_ij e_i e_j (the e_i e_j factors are a common omission).
    """
    e = np.stack(
        [df[c].to_numpy(dtype=float, na_value=np.nan) for c in
         ("ra_error_mas", "dec_error_mas", "parallax_error_mas", "pmra_error_masyr", "pmdec_error_masyr")],
        axis=1,
    )
    names = ("ra", "dec", "parallax", "pmra", "pmdec")
    corr = np.repeat(np.eye(5)[None], len(df), axis=0)
    for i in range(5):
        for j in range(i + 1, 5):
            r = df[f"{names[i]}_{names[j]}_corr"].to_numpy(dtype=float, na_value=np.nan)
            corr[:, i, j] = corr[:, j, i] = r
    return corr * e[:, :, None] * e[:, None, :]


def _covariance_ok(df: pd.DataFrame) -> np.ndarray:
    cov = gaia_covariance(df)
    ok = np.all(np.isfinite(cov.reshape(len(df), -1)), axis=1)
    out = np.zeros(len(df), bool)
    if ok.any():
        eig = np.linalg.eigvalsh(cov[ok])
        out[ok] = eig[:, 0] > 0
    return out


def drop_truth(df: pd.DataFrame) -> pd.DataFrame:
    """The catalogue without the mock's ``true_*`` columns (pipeline code never reads them)."""
    return df[[c for c in df.columns if not c.startswith(TRUTH_PREFIX)]]
