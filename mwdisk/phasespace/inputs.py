"""Validation of the phase-space kernels' arguments and the per-star status (flags, usable stars, keys).

Arguments that cannot be used (wrong lengths or shapes, non-positive ``n_draws`` / ``chunk_stars``) raise
``ValueError``; bad *stars* never raise: they are flagged with :class:`PhaseSpaceFlag` bits.
"""

from __future__ import annotations

import numpy as np

from mwdisk.rng import star_keys

from .flags import PhaseSpaceFlag

__all__: list[str] = []


def _as1d(name: str, a, n: int | None) -> np.ndarray:
    out = np.ascontiguousarray(np.asarray(a, dtype=np.float64).reshape(-1))
    if n is not None and out.size != n:
        raise ValueError(f"{name} has {out.size} values but source_id has {n}; pass one value per star")
    return out


def _validate_inputs(source_id, ra_deg, dec_deg, pmra_masyr, pmdec_masyr, cov_gaia, dist_med_pc, dist_lo_pc,
                     dist_hi_pc, rv_kms, rv_error_kms, n_draws, chunk_stars):
    ids = np.ascontiguousarray(np.asarray(source_id).reshape(-1))
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"source_id has dtype {ids.dtype}; pass the integer Gaia source_id (or mock index)")
    n = ids.size
    names = ("ra_deg", "dec_deg", "pmra_masyr", "pmdec_masyr", "dist_med_pc", "dist_lo_pc", "dist_hi_pc",
             "rv_kms", "rv_error_kms")
    vals = (ra_deg, dec_deg, pmra_masyr, pmdec_masyr, dist_med_pc, dist_lo_pc, dist_hi_pc, rv_kms,
            rv_error_kms)
    arrs = {k: _as1d(k, v, n) for k, v in zip(names, vals, strict=True)}
    cov = np.asarray(cov_gaia, dtype=np.float64)
    if cov.shape != (n, 5, 5):
        raise ValueError(
            f"cov_gaia has shape {cov.shape}, expected ({n}, 5, 5) in Gaia order (ra*, dec, parallax, pmra, "
            f"pmdec); build it with mwdisk.schema.gaia_covariance(df)"
        )
    if int(n_draws) < 1 or int(n_draws) > (1 << 24):
        raise ValueError(f"n_draws = {n_draws}; use a positive number of draws per star (paper: 100)")
    if int(chunk_stars) < 1:
        raise ValueError(f"chunk_stars = {chunk_stars}; use a positive number of stars per chunk (e.g. 2000)")
    return ids, arrs, cov


def _star_status(arrs, cov):
    """Per-star flags and the (ok, has_rv) masks of stars that get draws."""
    n = cov.shape[0]
    flags = np.zeros(n, np.int32)
    with np.errstate(invalid="ignore"):
        ast_bad = ~(np.isfinite(arrs["ra_deg"]) & np.isfinite(arrs["dec_deg"])
                    & np.isfinite(arrs["pmra_masyr"]) & np.isfinite(arrs["pmdec_masyr"])
                    & (np.abs(arrs["dec_deg"]) < 90.0))
        ast_bad |= ~np.all(np.isfinite(cov.reshape(n, 25)), axis=1)
        ast_bad |= np.any(np.diagonal(cov, axis1=1, axis2=2) < 0, axis=1)
        lo, med, hi = arrs["dist_lo_pc"], arrs["dist_med_pc"], arrs["dist_hi_pc"]
        dist_bad = ~(np.isfinite(lo) & np.isfinite(med) & np.isfinite(hi) & (lo >= 0) & (lo <= med)
                     & (med <= hi) & (med > 0))
        rv, rverr = arrs["rv_kms"], arrs["rv_error_kms"]
        no_rv = ~(np.isfinite(rv) & np.isfinite(rverr) & (rverr >= 0))
    flags[no_rv] |= PhaseSpaceFlag.NO_RV
    flags[ast_bad] |= PhaseSpaceFlag.BAD_ASTROMETRY
    flags[dist_bad] |= PhaseSpaceFlag.BAD_DISTANCE
    return flags, ~(ast_bad | dist_bad), ~no_rv


def _prepare(source_id, ra_deg, dec_deg, pmra_masyr, pmdec_masyr, cov_gaia, dist_med_pc, dist_lo_pc,
             dist_hi_pc, rv_kms, rv_error_kms, seed, n_draws, chunk_stars):
    ids, arrs, cov = _validate_inputs(source_id, ra_deg, dec_deg, pmra_masyr, pmdec_masyr, cov_gaia,
                                      dist_med_pc, dist_lo_pc, dist_hi_pc, rv_kms, rv_error_kms, n_draws,
                                      chunk_stars)
    flags, ok, has_rv = _star_status(arrs, cov)
    arrs["_ok"] = ok
    # a star without RV still gets position draws; its velocities are NaN
    arrs["_rv"] = np.where(has_rv, arrs["rv_kms"], 0.0)
    arrs["_rverr"] = np.where(has_rv, arrs["rv_error_kms"], 0.0)
    keys = star_keys(seed, ids)
    return ids, arrs, cov, flags, has_rv, keys
