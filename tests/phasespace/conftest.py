"""Fixtures of the phase-space tests: the real Gaia DR3 rows of ``tests/data/gaia`` under canonical names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mwdisk.frame import GalacticFrame
from mwdisk.schema import CORRELATION_COLUMNS, gaia_covariance

_RENAME = {
    "ra": "ra_deg", "dec": "dec_deg", "ra_error": "ra_error_mas", "dec_error": "dec_error_mas",
    "parallax": "parallax_mas", "parallax_error": "parallax_error_mas", "pmra": "pmra_masyr",
    "pmra_error": "pmra_error_masyr", "pmdec": "pmdec_masyr", "pmdec_error": "pmdec_error_masyr",
    "radial_velocity": "rv_kms", "radial_velocity_error": "rv_error_kms",
}


@pytest.fixture(scope="session")
def gaia_rows(test_data) -> pd.DataFrame:
    """200 real Gaia DR3 rows (24 with RV) with canonical astrometry / RV column names.

    Distances (the fixture has no Bailer-Jones values): the GSP-Phot distance percentiles where present,
    else 1/parallax with lo/hi at 1/(parallax +- error) where parallax > error, else NaN (a bad distance).
    """
    df = pd.read_csv(test_data / "gaia" / "gaia_dr3_sample.csv").rename(columns=_RENAME)
    for c in CORRELATION_COLUMNS:
        assert c in df.columns
    plx = df["parallax_mas"].to_numpy(float)
    err = df["parallax_error_mas"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = plx > err
        med = np.where(ok, 1000.0 / plx, np.nan)
        lo = np.where(ok, 1000.0 / (plx + err), np.nan)
        hi = np.where(ok, 1000.0 / (plx - err), np.nan)
    g = df["distance_gspphot"].to_numpy(float)
    has_g = np.isfinite(g)
    df["dist_med_pc"] = np.where(has_g, g, med)
    df["dist_lo_pc"] = np.where(has_g, df["distance_gspphot_lower"].to_numpy(float), lo)
    df["dist_hi_pc"] = np.where(has_g, df["distance_gspphot_upper"].to_numpy(float), hi)
    return df


def ps_args(df: pd.DataFrame, cov: np.ndarray | None = None) -> tuple:
    """Positional arguments of phasespace_summary / regenerate_draws / draw_observables from a frame."""
    cov = gaia_covariance(df) if cov is None else cov
    return (
        df["source_id"].to_numpy(np.int64), df["ra_deg"].to_numpy(float), df["dec_deg"].to_numpy(float),
        df["pmra_masyr"].to_numpy(float), df["pmdec_masyr"].to_numpy(float), cov,
        df["dist_med_pc"].to_numpy(float), df["dist_lo_pc"].to_numpy(float), df["dist_hi_pc"].to_numpy(float),
        df["rv_kms"].to_numpy(float), df["rv_error_kms"].to_numpy(float),
    )


@pytest.fixture(scope="session")
def frame() -> GalacticFrame:
    return GalacticFrame()


@pytest.fixture(scope="session")
def args_of():
    return ps_args
