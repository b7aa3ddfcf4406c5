"""Generate the rows of the mock catalogue for a range of stars, identical for any partitioning.

Star ``i`` (global index, 0 <= i < n) owns the counter-based random stream ``(seed, i, STREAM_MOCK)`` of
:mod:`mwdisk.rng`. Its *proposals* (population, age, position, velocity, chemistry, mass) are drawn at fixed
counters (proposal k uses uniforms ``PROPOSAL_BASE + 16 k .. + 15``); the first proposal that passes the
selection (inside the distance sphere, in the footprint, alive on the isochrone and within the magnitude
limits) is the star. Its observation noise uses counters below PROPOSAL_BASE. So star i is the same whatever
partition it is generated in, and ``concat(generate_partition(n, s, a, b) for (a, b) in splits)`` equals
``generate_partition(n, s, 0, n)``.

Modules: :mod:`~mwdisk.mock.options` (:class:`MockOptions`, :data:`TRUTH_COLUMNS`), :mod:`~mwdisk.mock.sample`
(the rejection sampler of the intrinsic truth), :mod:`~mwdisk.mock.defects` (:data:`DEFECTS`); this module
observes the accepted stars and builds the rows. Model ingredients and their sources are listed in
:class:`MockOptions` (every default) and in the module docstrings of :mod:`~mwdisk.mock.populations`,
:mod:`~mwdisk.mock.chemistry`, :mod:`~mwdisk.mock.stars` and :mod:`~mwdisk.mock.observe`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from mwdisk.rng import STREAM_MOCK, normals, star_keys, uniforms
from mwdisk.schema import CORRELATION_COLUMNS

from . import observe as obs
from .defects import DEFECTS, _apply_defects
from .options import TRUTH_COLUMNS, MockOptions
from .populations import THICK
from .sample import PROPOSAL_BASE, sample_truth

__all__ = [
    "MockOptions",
    "DEFECTS",
    "TRUTH_COLUMNS",
    "SOURCE_ID_BASE",
    "PROPOSAL_BASE",
    "generate_partition",
    "sample_truth",
]

logger = logging.getLogger(__name__)

#: source_id = SOURCE_ID_BASE + global star index (Gaia-like 19-digit magnitude).
SOURCE_ID_BASE = 4_000_000_000_000_000_000
_OBS_NORMALS = 48  # normals per observation (row); repeat rows use the next block
_DECISION_OFFSET = 2 * 2 * _OBS_NORMALS  # uniform counters of the per-star decisions (after two obs blocks)


# ---------------------------------------------------------------------------------------------------------
# observation of the accepted stars


def _observe_spectra(t: dict, z: np.ndarray, opts: MockOptions) -> dict[str, np.ndarray]:
    """SNRs, spectroscopic parameters, RV and catalogue A_G of one observation (z: (n, 48) normals)."""
    snr_g, snr_r, snr_i = obs.snr_model(t["g_mag"], t["bp_mag"] - t["rp_mag"], z[:, 11], opts)
    te, le, fe, ae = obs.spectro_errors(snr_g, opts)
    rve = obs.rv_error_kms(snr_g, opts)
    a_g = t["A_G"]
    ag_err = opts.ag_cat_err_floor_mag + opts.ag_cat_err_frac * a_g
    return {
        "rv_kms": t["rv"] + rve * z[:, 5], "rv_error_kms": rve,
        "teff_k": t["teff"] + te * z[:, 6], "teff_err_k": te,
        "logg": t["logg"] + le * z[:, 7], "logg_err": le,
        "feh": t["feh"] + fe * z[:, 8], "feh_err": fe,
        "afe": t["afe"] + ae * z[:, 9], "afe_err": ae,
        "snr_g": snr_g, "snr_r": snr_r, "snr_i": snr_i,
        "A_G_cat_mag": a_g + ag_err * z[:, 10], "A_G_cat_err_mag": ag_err,
    }


def _observe_gaia(t: dict, z: np.ndarray, opts: MockOptions) -> dict[str, np.ndarray]:
    """Gaia astrometry with correlated noise, photometry and Bailer-Jones-like distances (one per star)."""
    err = obs.gaia_errors(t["g_mag"], z[:, 17], opts.gaia_err_scatter_dex)
    corr = obs.gaia_correlations(z[:, 22:37], opts.gaia_corr_scale)
    cov = corr * err[:, :, None] * err[:, None, :]
    chol = np.linalg.cholesky(cov)
    noise = np.einsum("nij,nj->ni", chol, z[:, 0:5])
    zplx = noise[:, 2] / err[:, 2]
    dec_rad = np.radians(t["dec"])
    out = {
        "ra_deg": np.mod(t["ra"] + noise[:, 0] / (3.6e6 * np.cos(dec_rad)), 360.0),
        "dec_deg": t["dec"] + noise[:, 1] / 3.6e6,
        "ra_error_mas": err[:, 0], "dec_error_mas": err[:, 1],
        "parallax_mas": t["parallax"] + noise[:, 2], "parallax_error_mas": err[:, 2],
        "pmra_masyr": t["pmra"] + noise[:, 3], "pmra_error_masyr": err[:, 3],
        "pmdec_masyr": t["pmdec"] + noise[:, 4], "pmdec_error_masyr": err[:, 4],
    }
    for name, (i, j) in zip(CORRELATION_COLUMNS, obs.CORR_PAIRS, strict=True):
        out[name] = corr[:, i, j]
    sig_g = 3e-4 + 2e-3 * 10.0 ** (0.4 * (t["g_mag"] - 17.0))
    out["g_mag"] = t["g_mag"] + sig_g * z[:, 14]
    out["bp_mag"] = t["bp_mag"] + 3 * sig_g * z[:, 15]
    out["rp_mag"] = t["rp_mag"] + 3 * sig_g * z[:, 16]
    med, lo, hi = obs.distance_percentiles(t["dist_pc"], err[:, 2], zplx, opts.dist_frac_err_cap)
    out.update(dist_med_pc=med, dist_lo_pc=lo, dist_hi_pc=hi)
    return out


def generate_partition(n_total: int, seed: int, start: int, stop: int, options: MockOptions | None = None
                       ) -> pd.DataFrame:
    """Rows of the mock catalogue for the stars with global index ``start .. stop - 1``.

    Parameters
    ----------
    n_total : int
        Size of the whole mock (stars); checks ``0 <= start <= stop <= n_total``.
    seed : int
        Global seed (overrides ``options.seed``).
    start, stop : int
        Global star indices of this partition.
    options : MockOptions, optional
        All other options (default ``MockOptions()``).

    Returns
    -------
    pandas.DataFrame
        The canonical schema columns (:mod:`mwdisk.schema`) and the truth columns :data:`TRUTH_COLUMNS`,
        one row per observation, ordered by (star index, observation index). ``obs_id = 2 i + k`` (k = 0
        first observation, 1 repeat) and ``source_id = SOURCE_ID_BASE + i``.

    Examples
    --------
    >>> df = generate_partition(10, 1, 0, 3, MockOptions(with_true_zmax=False, duplicate_fraction=0.0))
    >>> len(df), int(df["obs_id"].iloc[2])
    (3, 4)
    """
    opts = options or MockOptions()
    if not 0 <= start <= stop <= n_total:
        raise ValueError(f"need 0 <= start <= stop <= n_total, got start={start}, stop={stop}, "
                         f"n_total={n_total}")
    idx = np.arange(start, stop, dtype=np.int64)
    keys = star_keys(seed, idx)
    tr, pot = sample_truth(keys, opts)
    n = idx.size
    frame = opts.frame
    from mwdisk.orbits import guiding_radius, orbit_parameters

    X, Y, Z, vX, vY, vZ = (tr[c] for c in ("X", "Y", "Z", "vX", "vY", "vZ"))
    R = np.hypot(X, Y)
    with np.errstate(invalid="ignore", divide="ignore"):
        vR = (X * vX + Y * vY) / R
        vphi = (X * vY - Y * vX) / R
    lz = X * vY - Y * vX
    rg = guiding_radius(lz, pot)
    ra, dec, d_kpc, pmra, pmdec, rv = obs.galcen_to_icrs(X, Y, Z, vX, vY, vZ, frame)
    dm = 5.0 * np.log10(100.0 * d_kpc)
    t = {
        "teff": tr["teff"], "logg": tr["logg"], "feh": tr["feh"], "afe": tr["afe"],
        "A_G": tr["A_V"] * tr["ag"], "g_mag": tr["Mg"] + dm + tr["A_V"] * tr["ag"],
        "bp_mag": tr["Mbp"] + dm + tr["A_V"] * tr["abp"], "rp_mag": tr["Mrp"] + dm + tr["A_V"] * tr["arp"],
        "ra": ra, "dec": dec, "parallax": 1.0 / d_kpc, "pmra": pmra, "pmdec": pmdec, "rv": rv,
        "dist_pc": 1000.0 * d_kpc,
    }
    if opts.with_true_zmax and n:
        zmax = orbit_parameters(X, Y, Z, vX, vY, vZ, pot, frame, method="integrate",
                                integration_time_gyr=opts.integration_time_gyr,
                                n_steps=opts.integration_steps).zmax_kpc
    else:
        zmax = np.full(n, np.nan)
    z0 = normals(keys, STREAM_MOCK, _OBS_NORMALS, offset=0)
    z1 = normals(keys, STREAM_MOCK, _OBS_NORMALS, offset=_OBS_NORMALS)
    u = uniforms(keys, STREAM_MOCK, 16, offset=_DECISION_OFFSET)
    gaia = _observe_gaia(t, z0, opts)
    spec0 = _observe_spectra(t, z0, opts)
    spec1 = _observe_spectra(t, z1, opts)
    dup = u[:, 0] < opts.duplicate_fraction
    # rows: each star's first observation, then its repeat; order by (star, obs index)
    star_of_row = np.repeat(np.arange(n), 1 + dup.astype(int))
    obs_index = np.zeros(star_of_row.size, np.int64)
    obs_index[1:] = (star_of_row[1:] == star_of_row[:-1]).astype(np.int64)
    rep = obs_index == 1
    rows: dict[str, np.ndarray] = {}
    rows["obs_id"] = 2 * idx[star_of_row] + obs_index
    rows["source_id"] = SOURCE_ID_BASE + idx[star_of_row]
    for name, v in gaia.items():
        rows[name] = v[star_of_row].copy()
    for name in spec0:
        rows[name] = np.where(rep, spec1[name][star_of_row], spec0[name][star_of_row])
    # the repeat spectrum's position: the LAMOST fibre, within duplicate_max_offset_arcsec of the star
    r_as = opts.duplicate_max_offset_arcsec * np.sqrt(u[star_of_row, 1])
    th = 2 * np.pi * u[star_of_row, 2]
    ddec = np.where(rep, r_as * np.sin(th) / 3600.0, 0.0)
    dra = np.where(rep, r_as * np.cos(th) / 3600.0 / np.cos(np.radians(rows["dec_deg"])), 0.0)
    rows["ra_deg"] = np.mod(rows["ra_deg"] + dra, 360.0)
    rows["dec_deg"] = rows["dec_deg"] + ddec
    bad_u = np.where(rep, u[star_of_row, 5], u[star_of_row, 3])
    kind_u = np.where(rep, u[star_of_row, 6], u[star_of_row, 4])
    val_u = np.where(rep[:, None], u[star_of_row][:, 9:11], u[star_of_row][:, 7:9])
    defect = _apply_defects(rows, bad_u < opts.bad_fraction, kind_u, val_u)
    s = star_of_row
    pop_name = np.where(tr["pop"] == THICK, "thick", "thin")
    truth = {
        "true_population": pop_name[s], "true_young_alpha_rich": tr["yar"][s],
        "true_age_gyr": tr["age"][s], "true_chem_age_gyr": tr["chem_age"][s], "true_feh": tr["feh"][s],
        "true_afe": tr["afe"][s], "true_mh": tr["mh"][s], "true_mass_msun": tr["mass"][s],
        "true_teff_k": tr["teff"][s], "true_logg": tr["logg"][s], "true_abs_g_mag": tr["Mg"][s],
        "true_g_mag": t["g_mag"][s], "true_bp_mag": t["bp_mag"][s], "true_rp_mag": t["rp_mag"][s],
        "true_A_V_mag": tr["A_V"][s], "true_A_G_mag": t["A_G"][s],
        "true_A_BP_mag": (tr["A_V"] * tr["abp"])[s], "true_A_RP_mag": (tr["A_V"] * tr["arp"])[s],
        "true_dist_pc": t["dist_pc"][s], "true_ra_deg": ra[s], "true_dec_deg": dec[s],
        "true_parallax_mas": t["parallax"][s], "true_pmra_masyr": pmra[s], "true_pmdec_masyr": pmdec[s],
        "true_rv_kms": rv[s], "true_X_kpc": X[s], "true_Y_kpc": Y[s], "true_R_kpc": R[s], "true_z_kpc": Z[s],
        "true_vR_kms": vR[s], "true_vphi_kms": vphi[s], "true_vz_kms": vZ[s], "true_Lz_kpckms": lz[s],
        "true_rg_kpc": rg[s], "true_zmax_kpc": zmax[s], "true_obs_index": obs_index,
        "true_defect": defect, "true_n_proposals": tr["n_prop"][s],
    }
    from mwdisk.schema import CATALOG_COLUMNS

    cols = {c: rows[c] for c in CATALOG_COLUMNS if c in rows}
    cols.update(truth)
    df = pd.DataFrame(cols)
    df["true_population"] = df["true_population"].astype("str")
    df["true_defect"] = df["true_defect"].astype("str")
    return df
