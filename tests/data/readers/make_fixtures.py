"""Make the small product-layout fixtures of tests/readers (see README.md here for provenance).

Usage::

    python tests/data/readers/make_fixtures.py [SHARED_VALIDATION_DIR]

SHARED_VALIDATION_DIR defaults to ../shared/data/validation of the development checkout. The output is
deterministic (seeded), so rerunning it reproduces the committed files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from astropy.table import Table

HERE = Path(__file__).resolve().parent
C_KMS = 299792.458

GAIA_COLS = [
    "source_id", "ref_epoch", "ra", "ra_error", "dec", "dec_error", "parallax", "parallax_error",
    "pmra", "pmra_error", "pmdec", "pmdec_error",
    "ra_dec_corr", "ra_parallax_corr", "ra_pmra_corr", "ra_pmdec_corr", "dec_parallax_corr", "dec_pmra_corr",
    "dec_pmdec_corr", "parallax_pmra_corr", "parallax_pmdec_corr", "pmra_pmdec_corr",
    "ruwe", "phot_g_mean_mag", "phot_bp_mean_mag", "phot_rp_mean_mag",
    "dr2_radial_velocity", "dr2_radial_velocity_error",
]


def gaia_rows(shared: Path) -> Table:
    """30 real Gaia EDR3 rows: 27 five-parameter solutions with 9 < G < 17.5 (the LAMOST range; the five with
    a DR2 RV first) and 3 two-parameter solutions (NaN parallax and proper motions)."""
    t = Table.read(shared / "gaia-pyia-samples" / "gedr3_sm.fits")
    plx = np.asarray(t["parallax"].filled(np.nan) if hasattr(t["parallax"], "filled") else t["parallax"],
                     float)
    g = np.asarray(t["phot_g_mean_mag"], float)
    rv = np.asarray(t["dr2_radial_velocity"].filled(np.nan) if hasattr(t["dr2_radial_velocity"], "filled")
                    else t["dr2_radial_velocity"], float)
    five = np.isfinite(plx) & (g > 9) & (g < 17.5)
    with_rv = np.flatnonzero(five & np.isfinite(rv))[:5]
    rest = np.flatnonzero(five & ~np.isfinite(rv))[: 27 - len(with_rv)]
    two = np.flatnonzero(~np.isfinite(plx))[:3]
    idx = np.concatenate([with_rv, rest, two])
    return t[idx][GAIA_COLS]


def write_gaia(t: Table) -> None:
    t.meta = {}
    t.write(HERE / "gaia_edr3.fits", overwrite=True)
    t.write(HERE / "gaia_edr3.ecsv", overwrite=True)
    t.write(HERE / "gaia_edr3.csv", format="ascii.csv", overwrite=True)


def write_distances(t: Table, rng: np.random.Generator) -> np.ndarray:
    """Bailer-Jones-layout distances (synthetic values) for the Gaia sources with a parallax, but 2."""
    plx = np.asarray(t["parallax"], float)
    eplx = np.asarray(t["parallax_error"], float)
    ok = np.flatnonzero(np.isfinite(plx) & (plx > 0))[2:]
    med = 1000.0 / plx[ok] * rng.uniform(0.97, 1.03, len(ok))
    lo = med * (1 - np.clip(eplx[ok] / plx[ok], 0.005, 0.5))
    hi = med * (1 + np.clip(eplx[ok] / plx[ok], 0.005, 0.5) * 1.1)
    d = Table()
    d["source_id"] = np.asarray(t["source_id"])[ok].astype(np.int64)
    d["r_med_geo"] = med.astype(np.float32)
    d["r_lo_geo"] = lo.astype(np.float32)
    d["r_hi_geo"] = hi.astype(np.float32)
    d["r_med_photogeo"] = (med * 0.99).astype(np.float32)
    d["r_lo_photogeo"] = (lo * 0.99).astype(np.float32)
    d["r_hi_photogeo"] = (hi * 0.99).astype(np.float32)
    d["flag"] = ["10033"] * len(ok)
    for c in d.colnames[1:7]:
        d[c].unit = "pc"
    d.write(HERE / "bj_distances.csv", format="ascii.csv", overwrite=True)
    d.write(HERE / "bj_distances.vot", format="votable", overwrite=True)
    v = Table()  # VizieR I/352 names
    v["Source"] = d["source_id"]
    v["rgeo"], v["b_rgeo"], v["B_rgeo"] = d["r_med_geo"], d["r_lo_geo"], d["r_hi_geo"]
    v["rpgeo"], v["b_rpgeo"], v["B_rpgeo"] = d["r_med_photogeo"], d["r_lo_photogeo"], d["r_hi_photogeo"]
    v["Flag"] = d["flag"]
    v.write(HERE / "bj_distances_vizier.csv", format="ascii.csv", overwrite=True)
    return d["source_id"]


def liu_rows(shared: Path, n: int) -> Table:
    """The first n real LAMOST DR3 giants of Liu et al. 2017 (obsid, LASP teff/logg/feh, rv)."""
    lines = (shared / "lamost-dr3-rgb-liu2017" / "LMDR3_diskRGB2.dat").read_text().splitlines()
    names = lines[0].lstrip("#").split()
    rows = [ln.split() for ln in lines[1:n + 1]]
    return Table(rows=rows, names=names, dtype=[np.int64] + [float] * (len(names) - 1))


def lamost_tables(gaia: Table, liu: Table, rng: np.random.Generator):
    """LAMOST DR5 general- and stellar-catalogue rows placed on the Gaia stars (positions at J2000)."""
    ra, dec = np.asarray(gaia["ra"], float), np.asarray(gaia["dec"], float)
    pmra = np.nan_to_num(np.asarray(gaia["pmra"], float))
    pmdec = np.nan_to_num(np.asarray(gaia["pmdec"], float))
    dt = -16.0
    ra2000 = ra + pmra * dt / 3.6e6 / np.cos(np.radians(dec))
    dec2000 = dec + pmdec * dt / 3.6e6
    star = list(range(24))  # the 24 brightest-first Gaia rows with 5 parameters get spectra
    star += [0, 1, 2]  # three repeat spectra
    n = len(star) + 3  # + 2 spectra with no Gaia source + 1 galaxy
    jit = rng.normal(0, 0.05 / 3600, (n, 2))
    r = np.empty(n)
    d = np.empty(n)
    r[: len(star)] = ra2000[star] + jit[: len(star), 0] / np.cos(np.radians(dec2000[star]))
    d[: len(star)] = dec2000[star] + jit[: len(star), 1]
    r[len(star):] = rng.uniform(0, 360, 3)
    d[len(star):] = rng.uniform(-5, 60, 3)
    obsid = np.asarray(liu["obsid"][:n], np.int64)
    rv = np.asarray(liu["rv"][:n], float)
    z = rv / C_KMS
    z_err = rng.uniform(3, 12, n) / C_KMS
    cls = np.array(["STAR"] * n, dtype="U6")
    cls[-1] = "GALAXY"
    z[5] = -9999.0
    z_err[5] = -9999.0
    snr = rng.uniform(15, 300, (n, 5)).astype(np.float32)
    snr[len(star) - 3:len(star), :] *= 0.5  # repeats are fainter spectra
    dates = ["2013-10-31", "2014-01-12", "2015-03-02", "2016-11-20"]
    base = Table()
    base["obsid"] = obsid
    base["designation"] = [f"J{x:09.5f}{y:+09.5f}" for x, y in zip(r, d, strict=True)]
    base["obsdate"] = [dates[i % 4] for i in range(n)]
    base["lmjd"] = np.full(n, 56597, np.int32)
    base["mjd"] = np.full(n, 56596, np.int32)
    base["planid"] = ["GAC121N02V1" if i % 2 else "HD094450N044504B" for i in range(n)]
    base["spid"] = (np.arange(n) % 16 + 1).astype(np.int16)
    base["fiberid"] = (np.arange(n) * 7 % 250 + 1).astype(np.int16)
    base["ra_obs"] = r + rng.normal(0, 0.3 / 3600, n)
    base["dec_obs"] = d + rng.normal(0, 0.3 / 3600, n)
    for k, b in enumerate("ugriz"):
        base[f"snr{b}"] = snr[:, k]
    base["objtype"] = ["Star"] * n
    base["class"] = cls
    base["subclass"] = ["K3"] * (n - 1) + ["Non"]
    general = base.copy()
    general["z"] = z
    general["z_err"] = z_err
    general["magtype"] = ["gri"] * n
    for k in range(1, 8):
        general[f"mag{k}"] = np.where(k <= 3, rng.uniform(12, 17, n), 99.0).astype(np.float32)
    general["tsource"] = ["LEGUE"] * n
    general["fibertype"] = ["Obj"] * n
    general["tfrom"] = ["PanSTARRS"] * n
    general["tcomment"] = [""] * n
    general["offsets"] = ["F"] * n
    general["offset_v"] = np.zeros(n, np.float32)
    general["ra"] = r
    general["dec"] = d
    general["fibermask"] = np.zeros(n, np.int32)
    stellar = base.copy()
    stellar["ra"] = r
    stellar["dec"] = d
    teff = np.array(liu["teff"][:n], float)  # a copy: liu stays as read
    teff[7] = -9999.0
    stellar["teff"] = teff
    stellar["teff_err"] = np.where(teff > 0, rng.uniform(30, 150, n), -9999.0)
    stellar["logg"] = np.asarray(liu["logg"][:n], float)
    stellar["logg_err"] = rng.uniform(0.05, 0.3, n)
    stellar["feh"] = np.asarray(liu["feh"][:n], float)
    stellar["feh_err"] = rng.uniform(0.03, 0.15, n)
    stellar["rv"] = np.where(z > -9000, rv, -9999.0)
    stellar["rv_err"] = np.where(z > -9000, z_err * C_KMS, -9999.0)
    general.write(HERE / "lamost_dr5_general.fits", overwrite=True)
    stellar.write(HERE / "lamost_dr5_stellar.fits", overwrite=True)
    truth = Table()
    truth["obsid"] = obsid
    truth["source_id"] = np.concatenate([np.asarray(gaia["source_id"])[star],
                                         np.full(3, -1)]).astype(np.int64)
    truth.write(HERE / "expected_matches.csv", format="ascii.csv", overwrite=True)
    return general, stellar


def write_ddpayne(general: Table, liu: Table, rng: np.random.Generator) -> None:
    """DD-Payne-layout rows for all LAMOST stars but two (illustrative values near the LASP ones)."""
    n = len(general) - 1  # no galaxy
    keep = [i for i in range(n) if i not in (3, 11)]
    m = len(keep)
    t = Table()
    t["SPECID"] = [
        f"{general['obsdate'][i].replace('-', '')}-{general['planid'][i]}-{general['spid'][i]:02d}-"
        f"{general['fiberid'][i]:03d}"
        for i in keep
    ]
    t["OBSID"] = np.asarray(general["obsid"])[keep]
    t["RA"] = np.asarray(general["ra"])[keep]
    t["DEC"] = np.asarray(general["dec"])[keep]
    for b in "ugriz":
        t[f"SNR_{b.upper()}"] = np.asarray(general[f"snr{b}"])[keep]
    t["TEFF"] = (np.asarray(liu["teff"], float)[keep] + rng.normal(30, 40, m)).astype(np.float32)
    t["TEFF_ERR"] = rng.uniform(20, 60, m).astype(np.float32)
    t["TEFF_FLAG"] = np.zeros(m, np.int16)
    t["LOGG"] = (np.asarray(liu["logg"], float)[keep] + rng.normal(0.05, 0.1, m)).astype(np.float32)
    t["LOGG_ERR"] = rng.uniform(0.03, 0.12, m).astype(np.float32)
    t["LOGG_FLAG"] = np.zeros(m, np.int16)
    t["FEH"] = (np.asarray(liu["feh"], float)[keep] + rng.normal(0.0, 0.05, m)).astype(np.float32)
    t["FEH_ERR"] = rng.uniform(0.02, 0.08, m).astype(np.float32)
    t["FEH_FLAG"] = np.zeros(m, np.int16)
    afe = rng.uniform(-0.05, 0.3, m).astype(np.float32)
    afe[4] = -9999.0
    t["ALPHA_FE"] = afe
    t["ALPHA_FE_ERR"] = np.where(afe > -9000, rng.uniform(0.02, 0.06, m), -9999.0).astype(np.float32)
    t["MG_FE"] = (afe + rng.normal(0, 0.03, m)).astype(np.float32)
    t["MG_FE_ERR"] = rng.uniform(0.03, 0.08, m).astype(np.float32)
    t["CHI2"] = rng.uniform(0.5, 3, m).astype(np.float32)
    t["CHI2RATIO"] = rng.uniform(0.8, 1.5, m).astype(np.float32)
    t["QFLAG_CHI2"] = ["good"] * (m - 1) + ["bad"]
    t["FLAG_SINGLESTAR"] = ["YES"] * (m - 2) + ["NO", "YES"]
    t["SUBCLASS"] = ["K3"] * m
    t.write(HERE / "ddpayne_dr5.fits", overwrite=True)


def write_user_table(shared: Path) -> None:
    """The first 25 rows of the real Gaia DR3 x LAMOST DR9 sample (a user-joined table), as CSV."""
    src = shared / "gaia-lamost-dr9-sample" / "gaia_lamost_chemo_kinematic_features.csv"
    lines = src.read_text().splitlines()
    (HERE / "user_gaia_lamost_dr9.csv").write_text("\n".join(lines[:26]) + "\n")


def main(shared: Path) -> None:
    rng = np.random.default_rng(20210615)
    gaia = gaia_rows(shared)
    write_gaia(gaia)
    write_distances(gaia, rng)
    liu = liu_rows(shared, 40)
    general, _ = lamost_tables(gaia, liu, rng)
    write_ddpayne(general, liu, rng)
    write_user_table(shared)


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "validation"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
