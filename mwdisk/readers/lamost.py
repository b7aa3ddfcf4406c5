"""LAMOST DR5 low-resolution catalogues (general catalogue, or the A/F/G/K stellar-parameter catalogue).

Product: "LAMOST DR5 v3 general catalog" (``dr5_v3.fits``, one row per spectrum, 9,026,365 rows) and the
"A, F, G and K type stars catalog" (``dr5_stellar.fits``), Luo et al. 2019, documented at
http://dr5.lamost.org/v3/doc/data-production-description (sections 3.1, 3.2) and VizieR V/164. Column names
(lower case in the FITS files): ``obsid`` (unique spectrum id), ``designation``, ``obsdate``, ``lmjd``,
``planid``, ``spid``, ``fiberid``, ``ra_obs``/``dec_obs`` (fibre pointing), ``ra``/``dec`` (input-catalogue
position, deg, J2000 equinox), ``snru snrg snrr snri snrz`` (S/N per band), ``class``, ``subclass``, ``z``
and ``z_err`` (redshift); the stellar catalogue adds ``rv``/``rv_err`` (km/s), ``teff``/``teff_err`` (K),
``logg``/``logg_err`` (dex), ``feh``/``feh_err`` (dex) from the LAMOST stellar parameter pipeline (LASP, Wu
et al. 2011, 2014). Later releases (DR7+) also carry ``rv`` in the general catalogue and (DR8+)
``gaia_source_id`` -- a Gaia **DR2** id, not an eDR3 one, so it is not used as the join key by default.

Null convention: missing values are ``-9999`` (e.g. ``z = -9999`` where the pipeline measured no redshift);
they become NaN here.

Conversions to the canonical schema:

- ``rv_kms``: ``rv`` (km/s, unchanged) where the file has it, else ``z * c`` with c = 299792.458 km/s (for
  stars LAMOST's redshift is the heliocentric line-of-sight velocity divided by c); ``rv_error_kms`` likewise
  ``rv_err`` or ``z_err * c``.
- ``snr_g, snr_r, snr_i``: ``snrg, snrr, snri`` (dimensionless, unchanged).
- positions ``ra``/``dec`` (deg) are kept as ``lamost_ra_deg``/``lamost_dec_deg`` for the crossmatch; the
  canonical ``ra_deg``/``dec_deg`` come from Gaia (J2016.0).
- ``obs_id``: ``obsid`` (int64).
- stellar-parameter catalogue only: ``lamost_teff_k`` ... ``lamost_feh_err`` (K, dex: unchanged), used when
  the stellar parameters are taken from the LAMOST pipeline instead of DD-Payne (a [CHOICE]).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ._io import Need, column_names, read_columns, resolve_columns, to_float, to_int64

__all__ = ["PRODUCT", "C_KMS", "NULL_SENTINEL", "check_lamost", "read_lamost"]

logger = logging.getLogger(__name__)

PRODUCT = "LAMOST DR5 general (or A/F/G/K stellar) catalogue"
C_KMS = 299792.458
NULL_SENTINEL = -9999.0

_NEEDS = (
    Need("obsid", ("obsid",), what="unique spectrum id"),
    Need("ra", ("ra",), what="input-catalogue right ascension, deg"),
    Need("dec", ("dec",), what="input-catalogue declination, deg"),
    Need("snrg", ("snrg",), what="g-band S/N"),
    Need("snrr", ("snrr",), what="r-band S/N"),
    Need("snri", ("snri",), what="i-band S/N"),
)
_OPTIONAL = (
    Need("rv", ("rv",), False), Need("rv_err", ("rv_err",), False),
    Need("z", ("z",), False), Need("z_err", ("z_err",), False),
    Need("class", ("class",), False),
    Need("teff", ("teff",), False), Need("teff_err", ("teff_err",), False),
    Need("logg", ("logg",), False), Need("logg_err", ("logg_err",), False),
    Need("feh", ("feh",), False), Need("feh_err", ("feh_err",), False),
    Need("obsdate", ("obsdate",), False), Need("planid", ("planid",), False),
    Need("spid", ("spid",), False), Need("fiberid", ("fiberid",), False),
)
_PARAMS = ("teff", "teff_err", "logg", "logg_err", "feh", "feh_err")
_PARAM_NAMES = {"teff": "lamost_teff_k", "teff_err": "lamost_teff_err_k", "logg": "lamost_logg",
                "logg_err": "lamost_logg_err", "feh": "lamost_feh", "feh_err": "lamost_feh_err"}


def check_lamost(path: str | Path, params: bool = False, gaia_id_column: str | None = None) -> dict[str, str]:
    """Check a LAMOST file's columns from its header; returns the key -> column-name map.

    Parameters
    ----------
    path : path
        FITS (or CSV) general or stellar catalogue.
    params : bool
        Also require the LASP stellar parameters (``teff, logg, feh`` and errors: the A/F/G/K catalogue).
    gaia_id_column : str, optional
        A column holding Gaia **eDR3** source_ids, to join by id instead of position.

    Raises
    ------
    SchemaError
        A needed column is missing (naming the file, the column and the product).
    """
    names = column_names(path)
    needs = list(_NEEDS)
    if params:
        needs += [Need(p, (p,), what="LASP stellar parameter (A/F/G/K stellar catalogue)") for p in _PARAMS]
    if gaia_id_column:
        needs.append(Need("gaia_source_id", (gaia_id_column,), what="Gaia eDR3 source_id"))
    cols = resolve_columns(path, names, needs, PRODUCT)
    opt = resolve_columns(path, names, _OPTIONAL, PRODUCT)
    if "rv" not in opt and "z" not in opt:
        resolve_columns(path, names, [Need("z", ("z", "rv"), what="redshift (rv = z c) or rv in km/s")],
                        PRODUCT)
    return {**opt, **cols}


def read_lamost(path: str | Path, params: bool = False, stars_only: bool = True,
                gaia_id_column: str | None = None) -> pd.DataFrame:
    """Read a LAMOST DR5 catalogue into canonical-named columns (one row per spectrum).

    Parameters
    ----------
    path : path
        The general catalogue (``dr5_v3.fits``) or the A/F/G/K stellar catalogue.
    params : bool
        Also return the LASP stellar parameters as ``lamost_teff_k, lamost_teff_err_k, lamost_logg,
        lamost_logg_err, lamost_feh, lamost_feh_err`` (requires the stellar catalogue).
    stars_only : bool
        Keep only rows with ``class == "STAR"`` where the file has a ``class`` column (default True).
    gaia_id_column : str, optional
        Column with Gaia eDR3 source_ids; returned as ``source_id``.

    Returns
    -------
    pandas.DataFrame
        ``obs_id, lamost_ra_deg, lamost_dec_deg, snr_g, snr_r, snr_i, rv_kms, rv_error_kms`` (+ the
        parameters, ``source_id`` and ``lamost_specid`` where available). -9999 becomes NaN; ``z`` is
        converted to km/s with c = 299792.458 km/s where there is no ``rv`` column.
    """
    cols = check_lamost(path, params=params, gaia_id_column=gaia_id_column)
    raw = read_columns(path, list(cols.values()))
    c = {k: raw[v] for k, v in cols.items()}
    out = pd.DataFrame({
        "obs_id": to_int64(c["obsid"], path, cols["obsid"], PRODUCT),
        "lamost_ra_deg": to_float(c["ra"], (NULL_SENTINEL,)),
        "lamost_dec_deg": to_float(c["dec"], (NULL_SENTINEL,)),
        "snr_g": to_float(c["snrg"], (NULL_SENTINEL,)),
        "snr_r": to_float(c["snrr"], (NULL_SENTINEL,)),
        "snr_i": to_float(c["snri"], (NULL_SENTINEL,)),
    })
    if "rv" in c:
        out["rv_kms"] = to_float(c["rv"], (NULL_SENTINEL,))
        out["rv_error_kms"] = to_float(c["rv_err"], (NULL_SENTINEL,)) if "rv_err" in c else np.nan
    else:
        out["rv_kms"] = to_float(c["z"], (NULL_SENTINEL,), scale=C_KMS)
        out["rv_error_kms"] = to_float(c["z_err"], (NULL_SENTINEL,), scale=C_KMS) if "z_err" in c else np.nan
    if params:
        for p in _PARAMS:
            out[_PARAM_NAMES[p]] = to_float(c[p], (NULL_SENTINEL,))
    if gaia_id_column:
        out["source_id"] = to_int64(c["gaia_source_id"], path, cols["gaia_source_id"], PRODUCT)
    if all(k in c for k in ("obsdate", "planid", "spid", "fiberid")):
        out["lamost_specid"] = _specid(c["obsdate"], c["planid"], c["spid"], c["fiberid"])
    if stars_only and "class" in c:
        keep = c["class"].astype(str).str.strip().str.upper().to_numpy() == "STAR"
        if (~keep).any():
            logger.info("%s: %d non-STAR rows (galaxies, QSOs, unknown) left out", path, int((~keep).sum()))
        out = out[keep].reset_index(drop=True)
    return out


def _specid(obsdate: pd.Series, planid: pd.Series, spid: pd.Series, fiberid: pd.Series) -> np.ndarray:
    """``YYYYMMDD-PLANID-SP-FIB`` (e.g. ``20111024-F5902-01-001``), the spectrum key of LAMOST value-added
    catalogues such as DD-Payne's ``specid``."""
    d = obsdate.astype(str).str.replace("-", "", regex=False).str.strip()
    sp = pd.to_numeric(spid, errors="coerce").fillna(-1).astype(int)
    fib = pd.to_numeric(fiberid, errors="coerce").fillna(-1).astype(int)
    return (d + "-" + planid.astype(str).str.strip() + "-" + sp.map("{:02d}".format) + "-"
            + fib.map("{:03d}".format)).to_numpy(dtype=object)
