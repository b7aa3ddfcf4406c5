"""DD-Payne value-added catalogue of LAMOST DR5 (Xiang et al. 2019, ApJS 245, 34).

Product: the DD-Payne catalogue of stellar labels for LAMOST DR5 low-resolution spectra, distributed as a
FITS table among the DR5 value-added catalogues (http://dr5.lamost.org/doc/vac, "LAMOST DR5 DD-Payne",
Xiang et al. 2019). One row per spectrum. The paper (section 2.1) takes Teff, log g, [Fe/H] and [alpha/Fe]
from it.

Column names. Documented by usage of the released table: ``teff, teff_err, teff_flag, logg, logg_err,
logg_flag, feh, feh_err, feh_flag, snr_u .. snr_z, chi2, chi2ratio, qflag_chi2 ('good'), flag_singlestar
('YES'), subclass`` (the LSD ingestion of the DR5 table by G. Green, used for Bayestar), and upper-case
``SPECID, FEH, FEH_ERR, MG_FE, MG_FE_ERR, FLAG_MG_FE`` in the later DR9 release of the same pipeline.
[alpha/Fe] is read from ``alpha_fe``/``alpha_fe_err`` (also accepted: ``alpha_m``, ``a_fe``); a file
without it can use ``mg_fe`` as the alpha proxy (``alpha_column="mg_fe"``, a [CHOICE]). The spectrum key
is ``obsid`` where present, else ``specid`` (``YYYYMMDD-PLANID-SP-FIB``). We could not read the DR5 table
itself here; every name is matched case-insensitively and the accepted aliases are listed in the refusal
message, so a differently spelled release fails loudly, never silently.

Null convention: -9999 (and NaN) become NaN. Units are the schema's (K, dex): no conversion.

Output columns: ``ddp_obsid`` or ``ddp_specid`` (key), ``ddp_ra_deg, ddp_dec_deg``, ``teff_k, teff_err_k,
logg, logg_err, feh, feh_err, afe, afe_err``, ``ddp_snr_g, ddp_snr_r, ddp_snr_i`` where present, and the
quality flags ``ddp_qflag_chi2, ddp_flag_singlestar`` as strings where present (kept, never used to drop).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ._io import Need, column_names, read_columns, resolve_columns, to_float, to_int64

__all__ = ["PRODUCT", "ALPHA_ALIASES", "check_ddpayne", "read_ddpayne"]

logger = logging.getLogger(__name__)

PRODUCT = "DD-Payne LAMOST DR5 value-added catalogue (Xiang et al. 2019)"
ALPHA_ALIASES = {
    "alpha_fe": (("alpha_fe", "alpha_m", "a_fe", "alphafe"), ("alpha_fe_err", "alpha_m_err", "a_fe_err")),
    "mg_fe": (("mg_fe",), ("mg_fe_err",)),
}
_NULL = (-9999.0,)

_NEEDS = (
    Need("teff", ("teff",), what="effective temperature, K"),
    Need("teff_err", ("teff_err",), what="its error, K"),
    Need("logg", ("logg",), what="log g, dex"),
    Need("logg_err", ("logg_err",), what="its error, dex"),
    Need("feh", ("feh", "fe_h"), what="[Fe/H], dex"),
    Need("feh_err", ("feh_err", "fe_h_err"), what="its error, dex"),
)
_OPTIONAL = (
    Need("ra", ("ra",), False), Need("dec", ("dec",), False),
    Need("snr_g", ("snr_g", "snrg"), False), Need("snr_r", ("snr_r", "snrr"), False),
    Need("snr_i", ("snr_i", "snri"), False),
    Need("qflag_chi2", ("qflag_chi2",), False), Need("flag_singlestar", ("flag_singlestar",), False),
)


def check_ddpayne(path: str | Path, alpha_column: str = "alpha_fe") -> dict[str, str]:
    """Check a DD-Payne file's columns from its header; returns the key -> column-name map.

    Parameters
    ----------
    alpha_column : {"alpha_fe", "mg_fe"}
        [CHOICE] where [alpha/Fe] comes from: the catalogue's [alpha/Fe] (default) or [Mg/Fe] as its proxy.

    Raises
    ------
    SchemaError
        A needed column (or both spectrum keys ``obsid`` and ``specid``) is missing.
    """
    if alpha_column not in ALPHA_ALIASES:
        raise ValueError(f"alpha_column {alpha_column!r} is not one of {sorted(ALPHA_ALIASES)}")
    names = column_names(path)
    val, err = ALPHA_ALIASES[alpha_column]
    needs = list(_NEEDS) + [Need("afe", val, what="[alpha/Fe], dex"), Need("afe_err", err, what="its error")]
    cols = resolve_columns(path, names, needs, PRODUCT)
    key = resolve_columns(path, names, [Need("obsid", ("obsid",), False), Need("specid", ("specid",), False)],
                          PRODUCT)
    if not key:
        resolve_columns(path, names, [Need("obsid", ("obsid", "specid"), what="spectrum key")], PRODUCT)
    opt = resolve_columns(path, names, _OPTIONAL, PRODUCT)
    return {**opt, **key, **cols}


def read_ddpayne(path: str | Path, alpha_column: str = "alpha_fe") -> pd.DataFrame:
    """Read the DD-Payne catalogue into canonical-named stellar parameters (one row per spectrum).

    Parameters
    ----------
    path : path
        The DD-Payne FITS table (CSV also read).
    alpha_column : {"alpha_fe", "mg_fe"}
        [CHOICE] source of [alpha/Fe] (see :func:`check_ddpayne`).

    Returns
    -------
    pandas.DataFrame
        See the module docstring. Units unchanged (K, dex); -9999 becomes NaN.
    """
    cols = check_ddpayne(path, alpha_column)
    raw = read_columns(path, list(cols.values()))
    c = {k: raw[v] for k, v in cols.items()}
    out = pd.DataFrame(index=range(len(raw)))
    if "obsid" in c:
        out["ddp_obsid"] = to_int64(c["obsid"], path, cols["obsid"], PRODUCT)
    if "specid" in c:
        out["ddp_specid"] = c["specid"].astype(str).str.strip().to_numpy(dtype=object)
    for k in ("ra", "dec"):
        if k in c:
            out[f"ddp_{k}_deg"] = to_float(c[k], _NULL)
    out["teff_k"] = to_float(c["teff"], _NULL)
    out["teff_err_k"] = to_float(c["teff_err"], _NULL)
    for k in ("logg", "logg_err", "feh", "feh_err", "afe", "afe_err"):
        out[k] = to_float(c[k], _NULL)
    for k in ("snr_g", "snr_r", "snr_i"):
        if k in c:
            out[f"ddp_{k}"] = to_float(c[k], _NULL)
    for k in ("qflag_chi2", "flag_singlestar"):
        if k in c:
            out[f"ddp_{k}"] = c[k].astype(str).str.strip().to_numpy(dtype=object)
    return out
