"""Regenerate ``gaia_dr3_sample.csv`` from the pyia test file (run from the repository root).

Reads ``../shared/data/validation/gaia-pyia-samples/gdr3_sm.fits`` (1,000 Gaia DR3 ``gaia_source`` rows
from github.com/adrn/pyia, MIT) and keeps 200 rows: every row with a Gaia radial velocity (24) and the
first 176 of the others, with the astrometry, its 10 correlations, photometry, (l, b) and the GSP-Phot
distance and A_G columns, under their Gaia names. Values are written at full double precision.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from astropy.table import Table

HERE = Path(__file__).resolve().parent
SRC = Path(sys.argv[1]) if len(sys.argv) > 1 else (
    HERE.parents[3] / "shared" / "data" / "validation" / "gaia-pyia-samples" / "gdr3_sm.fits"
)

CORR = ["ra_dec_corr", "ra_parallax_corr", "ra_pmra_corr", "ra_pmdec_corr", "dec_parallax_corr",
        "dec_pmra_corr", "dec_pmdec_corr", "parallax_pmra_corr", "parallax_pmdec_corr", "pmra_pmdec_corr"]
COLS = ["source_id", "ra", "ra_error", "dec", "dec_error", "parallax", "parallax_error", "pmra", "pmra_error",
        "pmdec", "pmdec_error", *CORR, "radial_velocity", "radial_velocity_error", "phot_g_mean_mag",
        "phot_bp_mean_mag", "phot_rp_mean_mag", "l", "b", "distance_gspphot", "distance_gspphot_lower",
        "distance_gspphot_upper", "ag_gspphot"]


def main() -> None:
    t = Table.read(SRC)[COLS]
    df = t.to_pandas()
    has_rv = np.isfinite(df["radial_velocity"].to_numpy(dtype=float, na_value=np.nan))
    keep = np.flatnonzero(has_rv).tolist() + np.flatnonzero(~has_rv)[:176].tolist()
    out = df.iloc[sorted(keep)].reset_index(drop=True)
    out.to_csv(HERE / "gaia_dr3_sample.csv", index=False)


if __name__ == "__main__":
    main()
