"""Loaders of the real validation tables: APOKASC-3 x Miglio+2021, Montalban+2021 x APOGEE DR17,
cluster tables.

Every loader takes the data folder as an argument (the package never assumes where it lives) and returns a
pandas DataFrame with unit-suffixed column names. The folder is the one laid out like the development data
folder: ``<data_dir>/validation/<name>/`` (or ``<data_dir>/<name>/``) for

========================  ======================================================  =========================
folder                    file(s)                                                 catalogue
========================  ======================================================  =========================
``asteroseismic-ages``    ``kepler_apogee_miglio2021.fit``                        Miglio et al. 2021, A&A
                                                                                  645, A85 (VizieR
                                                                                  J/A+A/645/A85)
``asteroseismic-ages``    ``Montalban2021_X_APOGEE_DR17.fits``                    Montalban et al. 2021,
                                                                                  Nat. Astron. 5, 640, x
                                                                                  APOGEE DR17 allStar
``apokasc3``              ``Table4_Apoor_RGB+RC_Gold.csv``                        Pinsonneault et al. 2025,
                                                                                  ApJS 276, 69 (table 4)
``open-clusters-ucc``     ``DIAS2021.csv``, ``CANTAT2020.csv``, ``HUNT2023.csv``  Dias+2021, Cantat-Gaudin
                                                                                  +2020, Hunt & Reffert 2023
========================  ======================================================  =========================

and ``<data_dir>/isochrones/mist-bc-gaia/mist_bc_ubvriplus_gaia_2mass.h5`` (MIST v1.2 bolometric corrections,
Choi et al. 2016) for the absolute magnitudes of stars without Gaia photometry (:mod:`.magnitudes`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "MIGLIO_FILE",
    "MONTALBAN_FILE",
    "APOKASC3_FILE",
    "BC_TABLE_FILE",
    "EVSTATE_MIGLIO",
    "find_file",
    "load_miglio",
    "load_apokasc3",
    "load_seismic_join",
    "load_montalban",
    "load_cluster_tables",
    "load_occam_members",
]

logger = logging.getLogger(__name__)

MIGLIO_FILE = "asteroseismic-ages/kepler_apogee_miglio2021.fit"
MONTALBAN_FILE = "asteroseismic-ages/Montalban2021_X_APOGEE_DR17.fits"
APOKASC3_FILE = "apokasc3/Table4_Apoor_RGB+RC_Gold.csv"
BC_TABLE_FILE = "isochrones/mist-bc-gaia/mist_bc_ubvriplus_gaia_2mass.h5"
#: Miglio+2021 ``evstate``: 1 red-giant branch, 2 core-helium burning (red clump).
EVSTATE_MIGLIO = {1: "RGB", 2: "RC"}


def find_file(data_dir: str | Path, relative: str, required: bool = True) -> Path | None:
    """``data_dir/validation/relative`` or ``data_dir/relative`` (or the sibling ``isochrones`` folder).

    Raises
    ------
    FileNotFoundError
        If ``required`` and the file is in none of these places (the message lists where it looked).
    """
    root = Path(data_dir)
    tries = [root / "validation" / relative, root / relative, root.parent / relative]
    for p in tries:
        if p.is_file():
            return p
    if required:
        raise FileNotFoundError(
            f"{relative} not found under the data folder {str(root)!r} (looked at "
            f"{', '.join(str(t) for t in tries)}); "
            f"pass --data the folder that holds validation/ and isochrones/"
        )
    return None


def _fits_frame(path: Path) -> pd.DataFrame:
    from astropy.table import Table

    t = Table.read(path)
    cols = {}
    for name in t.colnames:
        col = t[name]
        if col.ndim > 1:
            continue
        if col.dtype.kind in "SU":
            cols[name] = np.char.strip(np.asarray(col).astype(str))
            continue
        if hasattr(col, "mask"):
            v = np.asarray(col.filled(np.nan) if col.dtype.kind == "f" else col.filled(0))
        else:
            v = np.asarray(col)
        cols[name] = v.astype(v.dtype.newbyteorder("="))  # FITS is big-endian; pandas wants native order
    return pd.DataFrame(cols)


def load_miglio(data_dir: str | Path) -> pd.DataFrame:
    """Miglio+2021 Kepler x APOGEE red giants (3,315 rows) with unit-suffixed names.

    Columns: ``kic``, ``apogee_id``, ``ra_deg``, ``dec_deg``, ``j_mag``, ``h_mag``, ``ks_mag`` (2MASS),
    ``feh_miglio``, ``alpham_miglio`` (APOGEE DR16 [Fe/H], [alpha/M]), ``age_seis_gyr`` and its 68 % bounds
    ``age_seis_lo_gyr`` / ``age_seis_hi_gyr`` (VizieR ``b_Age`` / ``b_age_lc``), ``mass_seis_msun``,
    ``dist_kpc`` with ``dist_lo_kpc`` / ``dist_hi_kpc``, ``av_mag`` with ``av_lo_mag`` / ``av_hi_mag``,
    ``evstate_miglio`` ("RGB" / "RC"), the published orbits ``zmax_kpc_miglio``, ``rperi_kpc_miglio``,
    ``rapo_kpc_miglio``, ``ecc_miglio`` (and ``*_err``), and their Galactocentric phase space ``galR_kpc``,
    ``galphi_rad``, ``galZ_kpc``, ``vR_kms``, ``vT_kms``, ``vZ_kms`` (galpy's left-handed convention, vT > 0
    for disk stars; their positions imply R0 = 8.12 kpc and z_sun = 19 pc).
    """
    path = find_file(data_dir, MIGLIO_FILE)
    t = _fits_frame(path)
    ren = {
        "KIC": "kic", "APOGEE": "apogee_id", "RAdeg": "ra_deg", "DEdeg": "dec_deg", "Jmag": "j_mag",
        "Hmag": "h_mag", "Ksmag": "ks_mag", "__Fe_H_": "feh_miglio", "__alpha_M_": "alpham_miglio",
        "Age": "age_seis_gyr", "b_Age": "age_seis_lo_gyr", "b_age_lc": "age_seis_hi_gyr",
        "Mass": "mass_seis_msun", "Dist": "dist_kpc", "b_Dist": "dist_lo_kpc", "b_dist_lc": "dist_hi_kpc",
        "Av": "av_mag", "b_Av": "av_lo_mag", "b_av_lc": "av_hi_mag", "zmax": "zmax_kpc_miglio",
        "e_zmax": "zmax_err_kpc_miglio", "Ecc": "ecc_miglio", "e_Ecc": "ecc_err_miglio",
        "Rperi": "rperi_kpc_miglio", "e_Rperi": "rperi_err_kpc_miglio", "Rap": "rapo_kpc_miglio",
        "e_Rap": "rapo_err_kpc_miglio", "GalR": "galR_kpc", "Galphi": "galphi_rad", "GalZ": "galZ_kpc",
        "vR": "vR_kms", "vT": "vT_kms", "vZ": "vZ_kms",
    }
    out = t[list(ren)].rename(columns=ren)
    out["kic"] = out["kic"].astype(np.int64)
    out["evstate_miglio"] = t["evstate"].map(EVSTATE_MIGLIO).fillna("unknown").to_numpy()
    return out


def load_apokasc3(data_dir: str | Path) -> pd.DataFrame:
    """APOKASC-3 gold RGB+RC table 4 (6,603 rows): seismic log g, APOGEE Teff, [Fe/H], [alpha/Fe], state.

    Columns: ``kic``, ``evstate`` ("RGB" / "RC", APOKASC-3 ``Evol_State``), ``teff_k``, ``teff_err_k``,
    ``logg_seis``, ``logg_seis_err``, ``feh``, ``feh_err``, ``afe``, ``afe_err``, ``mass_msun``,
    ``mass_err_msun``, ``radius_rsun``, ``radius_err_rsun``.
    """
    path = find_file(data_dir, APOKASC3_FILE)
    t = pd.read_csv(path)
    ren = {
        "KIC": "kic", "Evol_State": "evstate", "Teff": "teff_k", "S_Teff": "teff_err_k",
        "Logg_Seis": "logg_seis", "S_Logg_Seis": "logg_seis_err", "[Fe/H]": "feh", "S_[Fe/H]": "feh_err",
        "[Alp/Fe]": "afe", "S_[Alp/Fe]": "afe_err", "Mass": "mass_msun", "S_Mass": "mass_err_msun",
        "Radius": "radius_rsun", "S_Radius": "radius_err_rsun",
    }
    missing = [c for c in ren if c not in t.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing} of the APOKASC-3 table 4 layout")
    out = t[list(ren)].rename(columns=ren)
    out["kic"] = out["kic"].astype(np.int64)
    out["evstate"] = out["evstate"].astype(str).str.strip()
    return out


def load_seismic_join(data_dir: str | Path) -> pd.DataFrame:
    """APOKASC-3 x Miglio+2021 on KIC (2,396 red giants): our inputs and the asteroseismic ages and orbits.

    The spectroscopic and seismic inputs (Teff, seismic log g, [Fe/H], [alpha/Fe] and errors) and the
    evolutionary state ``evstate`` come from APOKASC-3; ages, distances, A_V, 2MASS photometry and orbits from
    Miglio+2021 (``evstate_miglio`` is kept: the two disagree for 9 stars).
    """
    mig = load_miglio(data_dir)
    apk = load_apokasc3(data_dir)
    j = apk.merge(mig, on="kic", how="inner", validate="one_to_one")
    logger.info("APOKASC-3 x Miglio+2021: %d stars (%d RGB, %d RC by APOKASC-3)", len(j),
                int((j.evstate == "RGB").sum()), int((j.evstate == "RC").sum()))
    return j.sort_values("kic", ignore_index=True)


def load_montalban(data_dir: str | Path) -> pd.DataFrame:
    """Montalban+2021 x APOGEE DR17 (95 Kepler giants) with the published ages (``age_seis_*_gyr``).

    All columns of the file are kept (APOGEE upper-case names), plus ``kic``, ``age_seis_gyr``,
    ``age_seis_lo_gyr``, ``age_seis_hi_gyr`` (Montalban's 16/50/84th percentiles).
    """
    path = find_file(data_dir, MONTALBAN_FILE)
    t = _fits_frame(path)
    t["kic"] = t["KIC"].astype(np.int64)
    t["age_seis_gyr"] = t["age"].astype(float)
    t["age_seis_lo_gyr"] = t["age_16"].astype(float)
    t["age_seis_hi_gyr"] = t["age_84"].astype(float)
    return t


def load_cluster_tables(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The literature cluster tables keyed ``dias2021``, ``cantat2020``, ``hunt2023`` (those present).

    ``Cluster`` / ``Name`` values are stripped and spaces turned into underscores (``NGC_6791``) in a
    ``name`` column.
    """
    out = {}
    for key, rel, col in (("dias2021", "open-clusters-ucc/DIAS2021.csv", "Cluster"),
                          ("cantat2020", "open-clusters-ucc/CANTAT2020.csv", "Cluster"),
                          ("hunt2023", "open-clusters-ucc/HUNT2023.csv", "Name")):
        p = find_file(data_dir, rel, required=(key == "dias2021"))
        if p is None:
            continue
        t = pd.read_csv(p)
        t["name"] = t[col].astype(str).str.strip().str.replace(" ", "_")
        out[key] = t
    return out


def load_occam_members(data_dir: str | Path) -> pd.DataFrame | None:
    """OCCAM DR16 member table (Donor et al. 2020; 10,063 APOGEE stars in 126 cluster fields), or None."""
    p = find_file(data_dir, "occam-apogee-clusters/occam_member-DR16.fits", required=False)
    return None if p is None else _fits_frame(p)
