"""Ingest kernels: validation, declination strips, and 5-arcsec de-duplication.

De-duplication must be right across partition boundaries, so ingest redistributes rows into declination
strips (each wider than the matching radius) and gives every strip a margin: the rows of its neighbours that
lie within the radius of its edges. A strip then decides, for each of its own rows, whether a *better* row
exists within the radius (or with the same ``source_id``) among its own and its margin rows. That rule looks
at pairs only, so it is the same whatever the strips are and however the input was partitioned.

"Better" (Vickers et al. 2021, section 2.2): higher sqrt(snrg^2 + snrr^2 + snri^2); ties go to the lower
``obs_id``. A row with NaN SNRs counts as SNR 0. A removed row is written to ``OUT/duplicates`` with the
``obs_id`` of the row that beat it: nothing is lost.

A shared ``source_id`` alone does not make two rows one star: rows sharing a ``source_id`` are duplicates only
when they lie within the radius of each other, or when one of them has no position. Rows sharing a
``source_id`` farther apart than the radius (a faulty join, or a table whose ids are not Gaia's) are different
stars: they are kept, with a warning, and keep unique keys this way: of the rows of one ``source_id`` that
survive de-duplication, the best (as above) keeps it, every other gets ``source_id = -obs_id`` (negative, so
never a Gaia id, and unique because ``obs_id`` is; the original id is the input row's, found by ``obs_id``).
This is decided within a strip and its margin; rows of one ``source_id`` in different declination strips are
not compared (see :func:`deduplicate`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .schema import TRUTH_PREFIX, quality_flags

__all__ = ["snr_total", "dec_histogram", "strip_edges", "split_to_strips", "deduplicate",
           "finalize_partition"]

logger = logging.getLogger(__name__)

CORE = "_core"
STRIP = "_strip"


def snr_total(df: pd.DataFrame) -> np.ndarray:
    """sqrt(snr_g^2 + snr_r^2 + snr_i^2), NaN counted as 0."""
    s = np.zeros(len(df))
    for c in ("snr_g", "snr_r", "snr_i"):
        v = df[c].to_numpy(dtype=float, na_value=np.nan)
        s += np.where(np.isfinite(v), v, 0.0) ** 2
    return np.sqrt(s)


def dec_histogram(dec_deg: np.ndarray, bin_deg: float) -> np.ndarray:
    """Counts of declinations in bins of ``bin_deg`` from -90 to +90 (an associative summary: sum them)."""
    nb = int(round(180.0 / bin_deg))
    idx = np.clip(np.floor((np.asarray(dec_deg, float) + 90.0) / bin_deg).astype(np.int64), 0, nb - 1)
    return np.bincount(idx, minlength=nb)


def strip_edges(hist: np.ndarray, bin_deg: float, n_strips: int) -> np.ndarray:
    """Declination edges (deg) of ``n_strips`` strips with about equal counts, on the histogram's bin edges.

    The first edge is -90 and the last +90; empty strips are merged away, so fewer strips may come back.
    """
    cum = np.cumsum(hist)
    total = cum[-1]
    edges = [-90.0]
    for k in range(1, n_strips):
        j = int(np.searchsorted(cum, total * k / n_strips, side="left"))
        e = -90.0 + (j + 1) * bin_deg
        if e > edges[-1] + 1e-12 and e < 90.0:
            edges.append(round(e, 10))
    edges.append(90.0)
    return np.array(edges)


def split_to_strips(df: pd.DataFrame, edges: np.ndarray, margin_deg: float) -> dict[int, pd.DataFrame]:
    """Rows of ``df`` for each strip: its own rows (``_core`` True) and margin rows from next to its edges."""
    dec = df["dec_deg"].to_numpy(dtype=float)
    n = len(edges) - 1
    own = np.clip(np.searchsorted(edges, dec, side="right") - 1, 0, n - 1)
    out: dict[int, list[pd.DataFrame]] = {}
    for k in np.unique(own):
        part = df[own == k].copy()
        part[CORE] = True
        out.setdefault(int(k), []).append(part)
    # margins: a row near the lower edge of its strip belongs to the margin of the strip below, and so on
    lower = own > 0
    near_lo = lower & (dec - edges[own] < margin_deg)
    upper = own < n - 1
    near_hi = upper & (edges[np.minimum(own + 1, n)] - dec < margin_deg)
    for mask, shift in ((near_lo, -1), (near_hi, +1)):
        if mask.any():
            tgt = own[mask] + shift
            sub = df[mask]
            for k in np.unique(tgt):
                part = sub[tgt == k].copy()
                part[CORE] = False
                out.setdefault(int(k), []).append(part)
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def _unit_vectors(ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=1)


def deduplicate(df: pd.DataFrame, radius_arcsec: float = 5.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a strip (core + margin rows) into its kept core rows and its removed core rows.

    A core row is removed when another row (core or margin) within ``radius_arcsec``, or with the same
    ``source_id`` where either row has no position, is better (higher total SNR; ties: lower ``obs_id``).
    Removed rows get ``dup_of_obs_id``.

    Rows sharing a ``source_id`` farther apart than the radius are kept as separate stars, with a warning
    naming the ``source_id``: the best keeps it, every other one gets ``source_id = -obs_id`` (see the module
    docstring). Only the rows of this strip and its margin are compared, so rows of one ``source_id`` in
    different strips keep their ``source_id``; a global check belongs to the orchestration.
    """
    core = df[CORE].to_numpy(bool) if CORE in df.columns else np.ones(len(df), bool)
    snr = snr_total(df)
    oid = df["obs_id"].to_numpy(np.int64)
    sid = df["source_id"].to_numpy(np.int64)
    # rank: position in the order best first (SNR descending, obs_id ascending)
    order = np.lexsort((oid, -snr))
    rank = np.empty(len(df), np.int64)
    rank[order] = np.arange(len(df))
    best_rank = rank.copy()  # the best rank among each row's neighbours (itself included)

    ok = np.isfinite(df["ra_deg"].to_numpy(float)) & np.isfinite(df["dec_deg"].to_numpy(float))
    if ok.sum() > 1:
        idx = np.flatnonzero(ok)
        xyz = _unit_vectors(df["ra_deg"].to_numpy(float)[idx], df["dec_deg"].to_numpy(float)[idx])
        chord = 2.0 * np.sin(np.radians(radius_arcsec / 3600.0) / 2.0)
        pairs = cKDTree(xyz).query_pairs(chord, output_type="ndarray")
        if len(pairs):
            a, b = idx[pairs[:, 0]], idx[pairs[:, 1]]
            np.minimum.at(best_rank, a, rank[b])
            np.minimum.at(best_rank, b, rank[a])
    # same source_id where a position is missing: nothing says the rows are apart, so they are one star
    big = np.iinfo(np.int64).max
    by_sid = pd.Series(rank).groupby(sid)
    s_all = by_sid.transform("min").to_numpy()
    s_nopos = pd.Series(np.where(ok, big, rank)).groupby(sid).transform("min").to_numpy()
    best_rank = np.minimum(best_rank, np.where(ok, s_nopos, s_all))

    removed = core & (best_rank < rank)
    kept = core & ~removed
    winner = order[best_rank]  # row index of the best neighbour
    dups = df[removed].copy()
    dups["dup_of_obs_id"] = oid[winner[removed]]
    out = df[kept].drop(columns=[CORE], errors="ignore")
    # survivors (core or margin) that share a source_id are stars farther apart than the radius
    alive = best_rank == rank
    first = pd.Series(np.where(alive, rank, big)).groupby(sid).transform("min").to_numpy()
    rekey = kept & (rank != first)
    if rekey.any():
        new_sid = sid.copy()
        new_sid[rekey] = -oid[rekey]
        out = out.assign(source_id=new_sid[kept])
        shared = np.unique(sid[rekey])
        n_rows = int((alive & np.isin(sid, shared)).sum())
        logger.warning(
            "%d source_id(s) (e.g. %d) are shared by %d rows farther apart than the %.3g arcsec "
            "de-duplication radius: kept as separate stars; all but the best of each got "
            "source_id = -obs_id. Check the join that gave these rows their source_id.",
            len(shared), int(shared[0]), n_rows, radius_arcsec,
        )
    return out, dups.drop(columns=[CORE], errors="ignore")


def finalize_partition(df: pd.DataFrame) -> pd.DataFrame:
    """Sort by ``source_id``, drop any ``true_*`` columns, add ``snr_total`` and ``quality_flags``."""
    df = df[[c for c in df.columns if not c.startswith(TRUTH_PREFIX) and not c.startswith("_")]]
    df = df.sort_values(["source_id", "obs_id"], kind="stable").reset_index(drop=True)
    df = df.assign(snr_total=snr_total(df), quality_flags=quality_flags(df))
    cols = ["source_id"] + [c for c in df.columns if c != "source_id"]
    return df[cols]
