"""Gaia eDR3 ``gaia_source`` rows as the archive gives them (FITS, CSV or ECSV; VOTable also read).

Product: Gaia Early Data Release 3, table ``gaiaedr3.gaia_source`` (Gaia Collaboration, Brown et al. 2021,
A&A 649, A1; astrometry Lindegren et al. 2021, A&A 649, A2), column names and units as in the Gaia eDR3
documentation, chapter "Datamodel description", ``gaia_source``
(https://gea.esac.esa.int/archive/documentation/GEDR3/Gaia_archive/chap_datamodel/sec_dm_main_tables/ssec_dm_gaia_source.html).
Archive downloads keep these names in every format; nulls are empty fields (CSV), masked values (FITS,
ECSV, VOTable). Gaia DR3 ``gaia_source`` rows have the same names and are read the same way.

Columns read (archive name -> canonical, unit):

- ``source_id`` -> ``source_id`` (int64, read exactly)
- ``ra, dec`` (deg, ICRS, epoch ``ref_epoch`` = J2016.0) -> ``ra_deg, dec_deg``
- ``ra_error`` (mas; the error in ra*cos(dec)), ``dec_error`` (mas) -> ``ra_error_mas, dec_error_mas``
- ``parallax, parallax_error`` (mas) -> ``parallax_mas, parallax_error_mas``
- ``pmra`` (mas/yr, includes cos dec), ``pmdec``, and errors -> ``pmra_masyr`` ...
- the 10 ``*_corr`` (dimensionless) -> same names
- ``phot_g_mean_mag, phot_bp_mean_mag, phot_rp_mean_mag`` (mag) -> ``g_mag, bp_mag, rp_mag``
- optional ``radial_velocity, radial_velocity_error`` (km/s; in eDR3 ``dr2_radial_velocity`` and
  ``dr2_radial_velocity_error``) -> ``gaia_rv_kms, gaia_rv_error_kms``
- optional ``ref_epoch`` (yr) -> ``gaia_ref_epoch_yr`` (2016.0 for every eDR3 row)

The schema's units are Gaia's (deg, mas, mas/yr, mag, km/s): no conversion is made. Two-parameter solutions
(no parallax or proper motion) keep NaN there and are flagged at ingest, never dropped.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..schema import CORRELATION_COLUMNS
from ._io import Need, column_names, read_columns, resolve_columns, to_float, to_int64

__all__ = ["PRODUCT", "GAIA_TO_CANONICAL", "check_gaia", "read_gaia"]

logger = logging.getLogger(__name__)

PRODUCT = "Gaia eDR3 gaia_source"

#: archive name -> canonical name (all required)
GAIA_TO_CANONICAL = {
    "ra": "ra_deg", "dec": "dec_deg", "ra_error": "ra_error_mas", "dec_error": "dec_error_mas",
    "parallax": "parallax_mas", "parallax_error": "parallax_error_mas",
    "pmra": "pmra_masyr", "pmra_error": "pmra_error_masyr", "pmdec": "pmdec_masyr",
    "pmdec_error": "pmdec_error_masyr",
    **{c: c for c in CORRELATION_COLUMNS},
    "phot_g_mean_mag": "g_mag", "phot_bp_mean_mag": "bp_mag", "phot_rp_mean_mag": "rp_mag",
}
_OPTIONAL = (
    Need("rv", ("radial_velocity", "dr2_radial_velocity"), False),
    Need("rv_err", ("radial_velocity_error", "dr2_radial_velocity_error"), False),
    Need("ref_epoch", ("ref_epoch",), False),
)


def check_gaia(path: str | Path) -> dict[str, str]:
    """Check a Gaia file's columns from its header; returns the key -> column-name map.

    Raises
    ------
    SchemaError
        Naming the file, the first missing archive column and the product.
    """
    names = column_names(path)
    needs = [Need("source_id", ("source_id",), what="Gaia eDR3 source identifier")]
    needs += [Need(k, (k,)) for k in GAIA_TO_CANONICAL]
    return {**resolve_columns(path, names, _OPTIONAL, PRODUCT), **resolve_columns(path, names, needs,
                                                                                  PRODUCT)}


def read_gaia(path: str | Path) -> pd.DataFrame:
    """Read Gaia eDR3 ``gaia_source`` rows into canonical columns (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        ``source_id`` (int64), the astrometry, correlations and photometry under canonical names, and
        ``gaia_rv_kms, gaia_rv_error_kms, gaia_ref_epoch_yr`` (NaN where the file lacks them).
    """
    cols = check_gaia(path)
    raw = read_columns(path, list(cols.values()))
    out = pd.DataFrame({"source_id": to_int64(raw[cols["source_id"]], path, cols["source_id"], PRODUCT)})
    for k, canon in GAIA_TO_CANONICAL.items():
        out[canon] = to_float(raw[cols[k]])
    out["gaia_rv_kms"] = to_float(raw[cols["rv"]]) if "rv" in cols else float("nan")
    out["gaia_rv_error_kms"] = to_float(raw[cols["rv_err"]]) if "rv_err" in cols else float("nan")
    out["gaia_ref_epoch_yr"] = to_float(raw[cols["ref_epoch"]]) if "ref_epoch" in cols else 2016.0
    if out["source_id"].duplicated().any():
        n = int(out["source_id"].duplicated().sum())
        logger.warning("%s: %d repeated source_id rows; the first of each is kept", path, n)
        out = out.drop_duplicates("source_id").reset_index(drop=True)
    return out
