"""Bit-for-bit reproducibility at any partitioning, and flags (never exceptions) for bad stars."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from mwdisk.phasespace import SUMMARY_COLUMNS, PhaseSpaceFlag, phasespace_summary

KIN = ("vR_kms", "vphi_kms", "vz_kms", "Lz_kpckms")
POS = ("X_kpc", "Y_kpc", "Z_kpc", "R_kpc", "phi_rad")


def _with_rv(gaia_rows):
    """All 200 rows; the 176 without a Gaia RV get a synthetic one (rv from a fixed law, error 2 km/s) except
    every 10th, which stays without RV."""
    df = gaia_rows.copy()
    miss = ~np.isfinite(df["rv_kms"].to_numpy(float))
    idx = np.flatnonzero(miss)
    fill = idx[np.arange(idx.size) % 10 != 0]
    df.loc[fill, "rv_kms"] = 40.0 * np.sin(fill.astype(float))
    df.loc[fill, "rv_error_kms"] = 2.0
    return df


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint64 if a.dtype == np.float64 else a.dtype)


def _assert_bitwise_equal(a: dict, b: dict) -> None:
    assert set(a) == set(b) == set(SUMMARY_COLUMNS)
    for k in SUMMARY_COLUMNS:
        np.testing.assert_array_equal(_bits(a[k]), _bits(b[k]), err_msg=k)


def _split_run(df, parts, frame, args_of, **kw):
    pieces = []
    for p in parts:
        sub = df.iloc[np.sort(p)]
        out = phasespace_summary(*args_of(sub), frame=frame, seed=2021, **kw)
        pieces.append(pd.DataFrame(out, index=sub.index))
    return pd.concat(pieces).loc[df.index]


def test_same_bits_whole_or_in_7_partitions_in_any_order(gaia_rows, args_of, frame, rng):
    df = _with_rv(gaia_rows)
    whole = phasespace_summary(*args_of(df), frame=frame, seed=2021, n_draws=100)
    assert np.isfinite(whole["vphi_kms"]).sum() > 100  # the test exercises real kinematics
    parts = np.array_split(rng.permutation(len(df)), 7)
    rng.shuffle(parts)
    split = _split_run(df, parts, frame, args_of, n_draws=100, chunk_stars=5)
    _assert_bitwise_equal(whole, {k: split[k].to_numpy() for k in SUMMARY_COLUMNS})
    for chunk in (1, 17, 10_000):
        again = phasespace_summary(*args_of(df), frame=frame, seed=2021, chunk_stars=chunk)
        _assert_bitwise_equal(whole, again)


def test_same_bits_on_two_worker_processes(gaia_rows, args_of, frame):
    df = _with_rv(gaia_rows)
    whole = phasespace_summary(*args_of(df), frame=frame, seed=2021)
    halves = np.array_split(np.arange(len(df)), 2)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        futs = [ex.submit(phasespace_summary, *args_of(df.iloc[h]), frame=frame, seed=2021) for h in halves]
        outs = [f.result() for f in futs]
    _assert_bitwise_equal(whole, {k: np.concatenate([o[k] for o in outs]) for k in SUMMARY_COLUMNS})


def test_bad_stars_are_flagged_keep_rows_and_get_nan(gaia_rows, args_of, frame):
    good = _with_rv(gaia_rows)
    usable = np.isfinite(good["rv_kms"]) & np.isfinite(good["dist_med_pc"])
    good = good[usable].iloc[:9].reset_index(drop=True)
    df = good.copy()
    df.loc[1, "rv_kms"] = np.nan
    df.loc[2, "pmra_masyr"] = np.nan
    df.loc[3, ["dist_med_pc", "dist_lo_pc", "dist_hi_pc"]] = np.nan
    df.loc[4, ["ra_dec_corr", "ra_parallax_corr", "dec_parallax_corr"]] = [0.9, 0.9, -0.9]  # not PD
    df.loc[5, "dist_lo_pc"] = df.loc[5, "dist_med_pc"] * 1.1  # lo > med
    df.loc[6, "rv_error_kms"] = np.nan
    df.loc[7, "ra_error_mas"] = np.nan
    out = phasespace_summary(*args_of(df), frame=frame, seed=1)
    f = out["ps_flags"]
    assert len(f) == len(df)
    F = PhaseSpaceFlag
    assert f[0] == 0 and f[8] == 0
    assert f[1] == F.NO_RV and f[6] == F.NO_RV
    assert f[2] & F.BAD_ASTROMETRY and f[7] & F.BAD_ASTROMETRY
    assert f[3] & F.BAD_DISTANCE and f[5] & F.BAD_DISTANCE
    assert f[4] == F.NON_PD_COVARIANCE
    for i in (0, 8):
        assert all(np.isfinite(out[k][i]) for k in SUMMARY_COLUMNS)
    for i in (1, 6):  # positions but no velocities
        assert all(np.isfinite(out[k][i]) for k in POS)
        assert all(np.isnan(out[k][i]) and np.isnan(out[k + "_std"][i]) for k in KIN)
    for i in (2, 3, 4, 5, 7):
        assert all(np.isnan(out[k][i]) for k in SUMMARY_COLUMNS if k not in ("ps_flags", "R_present_kpc"))
    assert np.isfinite(out["R_present_kpc"][[0, 1, 2, 4, 5, 6, 7, 8]]).all()
    assert np.isnan(out["R_present_kpc"][3])
    # good stars are unaffected by bad neighbours
    alone = phasespace_summary(*args_of(df.iloc[[0, 8]]), frame=frame, seed=1)
    for k in SUMMARY_COLUMNS:
        np.testing.assert_array_equal(_bits(alone[k]), _bits(out[k][[0, 8]]), err_msg=k)


def test_empty_input_returns_empty_columns(gaia_rows, args_of, frame):
    out = phasespace_summary(*args_of(gaia_rows.iloc[:0]), frame=frame, seed=1)
    assert set(out) == set(SUMMARY_COLUMNS)
    assert all(len(v) == 0 for v in out.values())
    assert out["ps_flags"].dtype == np.int32
