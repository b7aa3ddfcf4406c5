"""The canonical catalogue: the schema's columns (parameter and RV sources chosen, ``filled_flags`` set) from
a joined frame, and its validated parquet partitions.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import CATALOG_COLUMNS, SchemaError, validate_catalog

__all__ = [
    "canonical_frame",
    "write_catalog",
]

logger = logging.getLogger(__name__)


def canonical_frame(df: pd.DataFrame, params: str = "ddpayne", rv_source: str = "lamost",
                    keep: tuple[str, ...] = ("xm_sep_arcsec", "xm_n_within", "filled_flags")) -> pd.DataFrame:
    """The canonical columns (schema order) from a joined frame, plus the ``keep`` extras.

    Parameters
    ----------
    params : {"ddpayne", "lamost"}
        [CHOICE] Teff, log g, [Fe/H] (and errors) from DD-Payne (the paper, section 2.1) or from the LAMOST
        pipeline (its conclusions); [alpha/Fe] always comes from DD-Payne (LASP has none).
    rv_source : {"lamost", "gaia", "lamost_then_gaia"}
        [CHOICE] line-of-sight velocity: LAMOST's (default, the paper), Gaia's, or LAMOST's with Gaia's where
        LAMOST has none.
    """
    out = df.copy()
    if params == "lamost":
        need = ["lamost_teff_k", "lamost_teff_err_k", "lamost_logg", "lamost_logg_err", "lamost_feh",
                "lamost_feh_err"]
        missing = [c for c in need if c not in out]
        if missing:
            raise SchemaError(f"params='lamost' needs the LAMOST A/F/G/K stellar catalogue (columns teff, "
                              f"teff_err, logg, logg_err, feh, feh_err); missing {missing}")
        for c in need:
            out[c[len("lamost_"):]] = out[c]
    elif params != "ddpayne":
        raise ValueError(f"params {params!r} is not 'ddpayne' or 'lamost'")
    if rv_source not in ("lamost", "gaia", "lamost_then_gaia"):
        raise ValueError(f"rv_source {rv_source!r} is not 'lamost', 'gaia' or 'lamost_then_gaia'")
    rv_l = out["rv_kms"].to_numpy(float) if "rv_kms" in out else np.full(len(out), np.nan)
    er_l = out["rv_error_kms"].to_numpy(float) if "rv_error_kms" in out else np.full(len(out), np.nan)
    rv_g = out["gaia_rv_kms"].to_numpy(float) if "gaia_rv_kms" in out else np.full(len(out), np.nan)
    er_g = (out["gaia_rv_error_kms"].to_numpy(float) if "gaia_rv_error_kms" in out
            else np.full(len(out), np.nan))
    if rv_source == "gaia":
        rv, er = rv_g, er_g
    elif rv_source == "lamost_then_gaia":
        use_g = ~np.isfinite(rv_l)
        rv, er = np.where(use_g, rv_g, rv_l), np.where(use_g, er_g, er_l)
    else:
        rv, er = rv_l, er_l
    out["rv_kms"], out["rv_error_kms"] = rv, er
    if "filled_flags" not in out:
        out["filled_flags"] = np.zeros(len(out), np.int32)
    cols = [c for c in CATALOG_COLUMNS if c in out.columns]
    missing = [c for c, col in CATALOG_COLUMNS.items() if col.required and c not in out.columns]
    if missing:
        raise SchemaError(f"joined catalogue lacks {missing}: give the product that carries them "
                          f"(Gaia for astrometry/photometry, DD-Payne or LAMOST for parameters)")
    res = out[cols + [k for k in keep if k in out.columns]].copy()
    res["obs_id"] = res["obs_id"].astype(np.int64)
    res["source_id"] = res["source_id"].astype(np.int64)
    return res


def write_catalog(df: pd.DataFrame, out_dir: str | Path, partition_rows: int = 50_000,
                  extra: dict[str, pd.DataFrame] | None = None) -> Path:
    """Validate and write a canonical catalogue as ``out_dir/part-00000.parquet, ...``.

    Rows are sorted by declination, so partitions are sky strips. ``extra`` frames (e.g. unmatched spectra)
    are written as ``out_dir/_<name>.parquet``: a leading underscore keeps them out of what
    ``mwdisk run --catalog out_dir`` reads. Existing ``part-*.parquet`` files in ``out_dir`` are replaced.

    Raises
    ------
    SchemaError
        From :func:`mwdisk.schema.validate_catalog` (e.g. a repeated ``obs_id``), before anything is written.
    """
    validate_catalog(df, where=f"catalogue for {out_dir}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.parquet"):
        old.unlink()
    df = df.sort_values(["dec_deg", "obs_id"], kind="stable").reset_index(drop=True)
    n = max(1, int(partition_rows))
    for k, start in enumerate(range(0, max(len(df), 1), n)):
        part = df.iloc[start:start + n]
        tmp = out / f".part-{k:05d}.parquet.tmp"
        part.to_parquet(tmp, index=False)
        tmp.replace(out / f"part-{k:05d}.parquet")
    for name, frame in (extra or {}).items():
        frame.to_parquet(out / f"_{name}.parquet", index=False)
    logger.info("wrote %d rows in %d partition(s) to %s", len(df), math.ceil(max(len(df), 1) / n), out)
    return out
