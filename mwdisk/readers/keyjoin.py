"""Joins on catalogue keys: spectra to Gaia by ``source_id``, LAMOST to DD-Payne by ``obsid`` or ``specid``,
Bailer-Jones distances by ``source_id``.

Rows joined to Gaia by ``source_id`` get ``xm_n_within = -1`` and, in ``xm_sep_arcsec``, the separation
between the spectrum's position and Gaia's moved to the spectra's epoch
(:func:`~mwdisk.readers.crossmatch.propagate_positions`) where both are known. Spectra whose ``source_id`` is
not among the Gaia rows are returned separately, never silently lost.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..schema import SchemaError
from .crossmatch import propagate_positions

__all__ = [
    "join_by_source_id",
    "merge_spectra",
    "attach_distances",
]

logger = logging.getLogger(__name__)


def join_by_source_id(spec: pd.DataFrame, gaia: pd.DataFrame, ra_col: str = "lamost_ra_deg",
                      dec_col: str = "lamost_dec_deg", spec_epoch_yr: float = 2000.0
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join spectra carrying a Gaia eDR3 ``source_id`` to the Gaia rows (``xm_n_within = -1``).

    ``xm_sep_arcsec`` is the separation between the spectrum's position and Gaia's moved to
    ``spec_epoch_yr`` where both are known (a check of the id join), else NaN.
    """
    right = gaia.drop(columns=[c for c in gaia.columns if c in spec.columns and c != "source_id"])
    m = spec.merge(right, on="source_id", how="left", indicator=True)
    found = (m["_merge"] == "both").to_numpy()
    m = m.drop(columns="_merge")
    matched = m[found].reset_index(drop=True)
    unmatched = spec[~spec["source_id"].isin(gaia["source_id"])].reset_index(drop=True)
    sep = np.full(len(matched), np.nan)
    if len(matched) and ra_col in matched and dec_col in matched:
        dt = spec_epoch_yr - matched["gaia_ref_epoch_yr"].to_numpy(float)
        ra_g, dec_g = propagate_positions(matched["ra_deg"], matched["dec_deg"], matched["pmra_masyr"],
                                          matched["pmdec_masyr"], dt)
        sep = _sep_arcsec(matched[ra_col].to_numpy(float), matched[dec_col].to_numpy(float), ra_g, dec_g)
    matched["xm_sep_arcsec"] = sep
    matched["xm_n_within"] = np.full(len(matched), -1, np.int32)
    return matched, unmatched


def _sep_arcsec(ra1, dec1, ra2, dec2):
    r1, d1, r2, d2 = map(np.radians, (ra1, dec1, ra2, dec2))
    s = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(s, 0, 1)))) * 3600.0


def merge_spectra(lamost: pd.DataFrame | None, ddpayne: pd.DataFrame | None) -> pd.DataFrame:
    """One row per spectrum: LAMOST rows with their DD-Payne labels (left join, by obsid or specid).

    Without LAMOST, the DD-Payne rows stand alone (their own positions and SNRs; ``obs_id`` from
    ``obsid``). A LAMOST spectrum DD-Payne did not label keeps NaN parameters (flagged later, not dropped).
    """
    if lamost is None and ddpayne is None:
        raise SchemaError("no spectroscopic catalogue given: pass a LAMOST and/or a DD-Payne file")
    if ddpayne is None:
        return lamost.copy()
    if lamost is None:
        d = ddpayne.copy()
        if "ddp_obsid" not in d:
            raise SchemaError("a DD-Payne file used without the LAMOST catalogue needs its 'obsid' column "
                              "(the unique spectrum id that becomes obs_id); give --lamost as well")
        if "ddp_ra_deg" not in d or "ddp_dec_deg" not in d:
            raise SchemaError("a DD-Payne file used without the LAMOST catalogue needs 'ra' and 'dec' for "
                              "the crossmatch; give --lamost as well")
        d = d.rename(columns={"ddp_obsid": "obs_id", "ddp_ra_deg": "lamost_ra_deg",
                              "ddp_dec_deg": "lamost_dec_deg", "ddp_snr_g": "snr_g", "ddp_snr_r": "snr_r",
                              "ddp_snr_i": "snr_i"})
        for c in ("snr_g", "snr_r", "snr_i"):
            if c not in d:
                d[c] = np.nan
        d["rv_kms"] = np.nan
        d["rv_error_kms"] = np.nan
        return d
    d = ddpayne.drop(columns=[c for c in ("ddp_ra_deg", "ddp_dec_deg") if c in ddpayne])
    if "ddp_obsid" in d:
        key_l, key_r = "obs_id", "ddp_obsid"
    elif "ddp_specid" in d and "lamost_specid" in lamost:
        key_l, key_r = "lamost_specid", "ddp_specid"
    else:
        raise SchemaError("cannot join DD-Payne to LAMOST: DD-Payne has no 'obsid', and 'specid' needs the "
                          "LAMOST columns obsdate, planid, spid, fiberid")
    d = d.drop_duplicates(key_r)
    m = lamost.merge(d, left_on=key_l, right_on=key_r, how="left")
    n_lab = int(m[key_r].notna().sum())
    logger.info("DD-Payne labels for %d of %d LAMOST spectra", n_lab, len(lamost))
    return m.drop(columns=[key_r])


def attach_distances(df: pd.DataFrame, dist: pd.DataFrame | None) -> pd.DataFrame:
    """Bailer-Jones distances by ``source_id`` (left join: a star without one gets NaN, flagged at ingest)."""
    if dist is None:
        out = df.copy()
        for c in ("dist_med_pc", "dist_lo_pc", "dist_hi_pc"):
            if c not in out:
                out[c] = np.nan
        return out
    base = df.drop(columns=[c for c in ("dist_med_pc", "dist_lo_pc", "dist_hi_pc") if c in df])
    return base.merge(dist, on="source_id", how="left")
