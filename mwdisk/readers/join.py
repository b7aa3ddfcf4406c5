"""Joining the products into canonical rows: by Gaia ``source_id`` where a catalogue carries it, else by a
positional crossmatch LAMOST -> Gaia; then Bailer-Jones distances by ``source_id``.

Crossmatch. Each spectrum is matched to its nearest Gaia source within ``radius_arcsec`` (default 1") with
astropy's :func:`~astropy.coordinates.match_coordinates_sky`; ``xm_sep_arcsec`` keeps the separation and
``xm_n_within`` the number of Gaia sources inside the radius (1 = unambiguous; 2+ = a crowded match worth a
look). Rows joined by ``source_id`` instead get ``xm_n_within = -1`` and the separation where both positions
are known. Unmatched spectra are returned separately, never silently lost.

Epochs. Gaia eDR3 positions are at J2016.0. LAMOST ``ra/dec`` are the input-catalogue positions (UCAC4,
PPMXL, 2MASS, SDSS, Pan-STARRS, ...) at their own epochs, most near J2000. Before matching, each Gaia
position is moved linearly with its proper motion to ``spec_epoch_yr`` (default 2000.0):
Delta dec = pmdec dt, Delta ra = pmra dt / cos(dec) (dt = 2000 - 2016 = -16 yr). The linear step errs by
< 1 mas for |pm| < 1"/yr over 16 yr. What is left: the spread of the input catalogues' real epochs (roughly
1998-2015) leaves |pm| x |epoch error| -- below 0.15" for a typical disk star (|pm| ~ 10 mas/yr) but up to
~1" for |pm| ~ 70 mas/yr, where a match can be missed; Gaia sources without proper motions (2-parameter
solutions) are not moved (they are faint, G > 19, outside the LAMOST range). The canonical ``ra_deg,
dec_deg`` written are Gaia's J2016.0 positions, as the schema says.

Everything here takes pandas frames and returns pandas frames: ``crossmatch_partition`` is the per-partition
function the orchestration runs on the cluster (a partition of spectra, the Gaia rows of its sky region plus
a margin of :func:`dec_margin_deg`).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import CATALOG_COLUMNS, SchemaError, validate_catalog

__all__ = [
    "GAIA_EPOCH_YR",
    "propagate_positions",
    "dec_margin_deg",
    "crossmatch_partition",
    "join_by_source_id",
    "merge_spectra",
    "attach_distances",
    "canonical_frame",
    "write_catalog",
    "ingest_products",
]

logger = logging.getLogger(__name__)

GAIA_EPOCH_YR = 2016.0
_MAS_PER_DEG = 3.6e6


def propagate_positions(ra_deg, dec_deg, pmra_masyr, pmdec_masyr, dt_yr):
    """Positions moved linearly by their proper motion over ``dt_yr`` (NaN proper motions: not moved).

    ``pmra`` includes cos(dec) (Gaia convention), so Delta ra = pmra dt / cos(dec) / 3.6e6 deg.
    """
    ra = np.asarray(ra_deg, float)
    dec = np.asarray(dec_deg, float)
    pmra = np.nan_to_num(np.asarray(pmra_masyr, float))
    pmdec = np.nan_to_num(np.asarray(pmdec_masyr, float))
    dt = np.asarray(dt_yr, float)
    dec2 = dec + pmdec * dt / _MAS_PER_DEG
    cosd = np.maximum(np.cos(np.radians(dec)), 1e-9)
    ra2 = np.mod(ra + pmra * dt / (_MAS_PER_DEG * cosd), 360.0)
    return ra2, dec2


def dec_margin_deg(radius_arcsec: float = 1.0, max_pm_masyr: float = 10_000.0, dt_yr: float = 16.0) -> float:
    """Margin (deg) of Gaia rows to give a partition beyond its declination range: radius + proper motion.

    The default covers every Gaia star (Barnard's star moves 10.4"/yr).
    """
    return (radius_arcsec + max_pm_masyr * abs(dt_yr) / 1000.0) / 3600.0


def _xm_meta(spec: pd.DataFrame, gaia: pd.DataFrame) -> pd.DataFrame:
    cols = {c: spec[c].dtype for c in spec.columns}
    cols.update({c: gaia[c].dtype for c in gaia.columns if c not in cols})
    cols.update({"xm_sep_arcsec": np.dtype(float), "xm_n_within": np.dtype(np.int32)})
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})


def crossmatch_partition(spec: pd.DataFrame, gaia: pd.DataFrame, radius_arcsec: float = 1.0,
                         spec_epoch_yr: float = 2000.0, propagate_pm: bool = True,
                         ra_col: str = "lamost_ra_deg", dec_col: str = "lamost_dec_deg",
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match each spectrum to its nearest Gaia source within ``radius_arcsec``.

    Parameters
    ----------
    spec : pandas.DataFrame
        Spectra with positions in ``ra_col, dec_col`` (deg) at epoch ``spec_epoch_yr``.
    gaia : pandas.DataFrame
        Gaia rows from :func:`mwdisk.readers.gaia.read_gaia` (positions at J2016.0).
    radius_arcsec : float
        Matching radius [CHOICE, default 1"].
    spec_epoch_yr : float
        Epoch of the spectra's positions; Gaia positions are moved to it with their proper motions.
    propagate_pm : bool
        False: match Gaia's J2016.0 positions as they are (the error is then |pm| x 16 yr).

    Returns
    -------
    matched, unmatched : pandas.DataFrame
        ``matched``: the spectrum's columns, the Gaia columns of its match, ``xm_sep_arcsec`` and
        ``xm_n_within`` (Gaia sources within the radius). ``unmatched``: the spectra with no Gaia source
        within the radius. An empty input gives empty frames with the same columns.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord, match_coordinates_sky, search_around_sky

    meta = _xm_meta(spec.drop(columns=["source_id"], errors="ignore"), gaia)
    ra_s = spec[ra_col].to_numpy(float)
    dec_s = spec[dec_col].to_numpy(float)
    ok_s = np.isfinite(ra_s) & np.isfinite(dec_s)
    if propagate_pm and len(gaia):
        if "gaia_ref_epoch_yr" in gaia:
            dt = spec_epoch_yr - gaia["gaia_ref_epoch_yr"].to_numpy(float)
        else:
            dt = np.full(len(gaia), spec_epoch_yr - GAIA_EPOCH_YR)
        ra_g, dec_g = propagate_positions(gaia["ra_deg"], gaia["dec_deg"], gaia["pmra_masyr"],
                                          gaia["pmdec_masyr"], dt)
    else:
        ra_g, dec_g = gaia["ra_deg"].to_numpy(float), gaia["dec_deg"].to_numpy(float)
    gi = np.flatnonzero(np.isfinite(ra_g) & np.isfinite(dec_g))
    si = np.flatnonzero(ok_s)
    if len(si) == 0 or len(gi) == 0:
        return meta, spec.reset_index(drop=True)
    cs = SkyCoord(ra_s[si] * u.deg, dec_s[si] * u.deg)
    cg = SkyCoord(ra_g[gi] * u.deg, dec_g[gi] * u.deg)
    idx, sep2d, _ = match_coordinates_sky(cs, cg, nthneighbor=1)
    sep = sep2d.arcsec
    i1, _, _, _ = search_around_sky(cs, cg, radius_arcsec * u.arcsec)
    n_within = np.bincount(np.asarray(i1, int), minlength=len(si)).astype(np.int32)
    hit = sep <= radius_arcsec
    rows_s = si[hit]
    rows_g = gi[idx[hit]]
    left = spec.iloc[rows_s].reset_index(drop=True)
    right = gaia.iloc[rows_g].reset_index(drop=True)
    right = right.drop(columns=[c for c in right.columns if c in left.columns and c != "source_id"])
    if "source_id" in left.columns:
        left = left.drop(columns=["source_id"])
    matched = pd.concat([left, right], axis=1)
    matched["xm_sep_arcsec"] = sep[hit]
    matched["xm_n_within"] = n_within[hit]
    miss = np.ones(len(spec), bool)
    miss[rows_s] = False
    unmatched = spec[miss].reset_index(drop=True)
    return matched, unmatched


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
            raise SchemaError("a DD-Payne file used without the LAMOST catalogue needs 'ra' and 'dec' for the "
                              "crossmatch; give --lamost as well")
        d = d.rename(columns={"ddp_obsid": "obs_id", "ddp_ra_deg": "lamost_ra_deg", "ddp_dec_deg": "lamost_dec_deg",
                              "ddp_snr_g": "snr_g", "ddp_snr_r": "snr_r", "ddp_snr_i": "snr_i"})
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
        need = ["lamost_teff_k", "lamost_teff_err_k", "lamost_logg", "lamost_logg_err", "lamost_feh", "lamost_feh_err"]
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
    er_g = out["gaia_rv_error_kms"].to_numpy(float) if "gaia_rv_error_kms" in out else np.full(len(out), np.nan)
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


def ingest_products(lamost=None, ddpayne=None, gaia=None, distances=None, table=None, columns=None,
                    out_dir=None, *, params: str = "ddpayne", rv_source: str = "lamost",
                    xm_radius_arcsec: float = 1.0, lamost_epoch_yr: float = 2000.0, propagate_pm: bool = True,
                    distance_kind: str = "geo", alpha_column: str = "alpha_fe", stars_only: bool = True,
                    lamost_gaia_id_column: str | None = None, fill: dict | None = None,
                    partition_rows: int = 50_000, crossmatch=None) -> Path:
    """Read survey products (or one user table), join them and write the canonical parquet catalogue.

    Either ``table`` with ``columns`` (a column-map YAML), or the products: a spectroscopic catalogue
    (``lamost`` and/or ``ddpayne``), ``gaia`` and optionally ``distances``. Every file's columns are checked
    from its header before any rows are read. The result is what ``mwdisk run --catalog out_dir`` (and
    :func:`mwdisk.pipelines.ingest.run_ingest`) takes; de-duplication of repeat spectra happens there.

    Parameters
    ----------
    lamost, ddpayne, gaia, distances, table : path, optional
        Product files (see :mod:`mwdisk.readers`).
    columns : path, optional
        Column map of ``table`` (see :mod:`mwdisk.readers.table`).
    out_dir : path
        Output folder.
    params : {"ddpayne", "lamost"}
        [CHOICE] stellar parameters from DD-Payne (default) or the LAMOST pipeline (needs the A/F/G/K
        stellar catalogue as ``lamost``).
    rv_source : {"lamost", "gaia", "lamost_then_gaia"}
        [CHOICE] radial velocities.
    xm_radius_arcsec, lamost_epoch_yr, propagate_pm
        Crossmatch radius [CHOICE, 1"], epoch of the LAMOST positions, and whether Gaia positions are
        moved to it with their proper motions (see the module docstring).
    distance_kind : {"geo", "photogeo"}
        [CHOICE] Bailer-Jones distance kind.
    alpha_column : {"alpha_fe", "mg_fe"}
        [CHOICE] DD-Payne column taken as [alpha/Fe].
    stars_only : bool
        Keep only LAMOST rows of class STAR.
    lamost_gaia_id_column : str, optional
        A LAMOST column holding Gaia eDR3 source_ids: join by id instead of position.
    fill : dict, optional
        Fill defaults for ``table`` (keys of :data:`mwdisk.readers.table.DEFAULT_FILL`).
    partition_rows : int
        Rows per written partition.
    crossmatch : callable, optional
        Replaces :func:`crossmatch_partition` (same signature), e.g. the declination-strip version that runs
        on a Dask cluster (``mwdisk.pipelines.crossmatch.strip_crossmatch``).

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    SchemaError
        A file lacks a needed column (naming the file, the column and the product), or the joined catalogue
        fails :func:`mwdisk.schema.validate_catalog`.
    """
    from . import bailerjones, ddpayne as ddp, gaia as gaia_mod, lamost as lam, table as tab

    if out_dir is None:
        raise ValueError("out_dir is required: the folder to write the canonical catalogue to")
    if table is not None:
        if columns is None:
            raise SchemaError(f"{table}: a user table needs its column map (--columns MAP.yaml)")
        if any(x is not None for x in (lamost, ddpayne, gaia, distances)):
            raise SchemaError("give either --table (with --columns) or the product files, not both")
        df = tab.read_table(table, columns, fill=fill)
        return write_catalog(df, out_dir, partition_rows)
    if gaia is None:
        raise SchemaError("the product route needs a Gaia eDR3 gaia_source file (--gaia)")
    # 1. refuse bad files before reading any rows
    if lamost is not None:
        lam.check_lamost(lamost, params=(params == "lamost"), gaia_id_column=lamost_gaia_id_column)
    elif params == "lamost":
        raise SchemaError("params='lamost' takes Teff, log g, [Fe/H] from the LAMOST A/F/G/K stellar catalogue: "
                          "give it as --lamost")
    if ddpayne is not None:
        ddp.check_ddpayne(ddpayne, alpha_column)
    elif lamost is None:
        raise SchemaError("no spectroscopic catalogue given: pass --lamost and/or --ddpayne")
    gaia_mod.check_gaia(gaia)
    if distances is not None:
        bailerjones.check_distances(distances, distance_kind)
    # 2. read
    spec = merge_spectra(
        lam.read_lamost(lamost, params=(params == "lamost"), stars_only=stars_only,
                        gaia_id_column=lamost_gaia_id_column) if lamost is not None else None,
        ddp.read_ddpayne(ddpayne, alpha_column) if ddpayne is not None else None,
    )
    g = gaia_mod.read_gaia(gaia)
    # 3. join
    if "source_id" in spec.columns:
        matched, unmatched = join_by_source_id(spec, g, spec_epoch_yr=lamost_epoch_yr)
    else:
        xm = crossmatch or crossmatch_partition  # the cluster's strip-wise version has the same signature
        matched, unmatched = xm(spec, g, xm_radius_arcsec, lamost_epoch_yr, propagate_pm)
    if len(unmatched):
        logger.warning("%d of %d spectra have no Gaia source (within %.2f arcsec or by id); kept in _unmatched",
                       len(unmatched), len(spec), xm_radius_arcsec)
    dist = bailerjones.read_distances(distances, distance_kind) if distances is not None else None
    joined = attach_distances(matched, dist)
    if "afe" not in joined:  # LAMOST alone: LASP has no [alpha/Fe]
        joined["afe"] = np.nan
        joined["afe_err"] = np.nan
    if params == "ddpayne" and "teff_k" not in joined:
        raise SchemaError("params='ddpayne' needs the DD-Payne catalogue (--ddpayne), or choose params='lamost'")
    df = canonical_frame(joined, params=params, rv_source=rv_source)
    return write_catalog(df, out_dir, partition_rows, extra={"unmatched": unmatched} if len(unmatched) else None)
