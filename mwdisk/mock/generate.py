"""Generate the rows of the mock catalogue for a range of stars, identical for any partitioning.

Star ``i`` (global index, 0 <= i < n) owns the counter-based random stream ``(seed, i, STREAM_MOCK)`` of
:mod:`mwdisk.rng`. Its *proposals* (population, age, position, velocity, chemistry, mass) are drawn at fixed
counters (proposal k uses uniforms ``PROPOSAL_BASE + 16 k .. + 15``); the first proposal that passes the
selection (inside the distance sphere, in the footprint, alive on the isochrone and within the magnitude
limits) is the star. Its observation noise uses counters below PROPOSAL_BASE. So star i is the same whatever
partition it is generated in, and ``concat(generate_partition(n, s, a, b) for (a, b) in splits)`` equals
``generate_partition(n, s, 0, n)``.

Model ingredients and their sources are listed in :class:`MockOptions` (every default) and in the module
docstrings of :mod:`~mwdisk.mock.populations`, :mod:`~mwdisk.mock.chemistry`, :mod:`~mwdisk.mock.stars` and
:mod:`~mwdisk.mock.observe`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field

import numba
import numpy as np
import pandas as pd

from mwdisk.frame import GalacticFrame
from mwdisk.rng import STREAM_MOCK, _uniforms, normals, star_keys, uniforms
from mwdisk.schema import CORRELATION_COLUMNS

from . import observe as obs
from .observe import dust_av
from .chemistry import chemistry_params, mean_afe, mean_feh
from .populations import THICK, THIN, dispersions_kms, mean_vphi_kms, population_params, \
    thin_scale_height_kpc, vcirc_and_slope
from .stars import grid_arrays, kroupa_segments, kroupa_sample, place_on_isochrone

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

#: Defect kinds written to ``true_defect`` ("none" for a clean row).
DEFECTS = ("nan", "negative_parallax", "off_grid", "missing_rv")
#: source_id = SOURCE_ID_BASE + global star index (Gaia-like 19-digit magnitude).
SOURCE_ID_BASE = 4_000_000_000_000_000_000
#: First uniform counter used by the proposals (observation noise lives below it).
PROPOSAL_BASE = 1024
_NU = 16  # uniforms per proposal
_BATCH = 32  # proposals per call of the counter generator
_OBS_NORMALS = 48  # normals per observation (row); repeat rows use the next block
_DECISION_OFFSET = 2 * 2 * _OBS_NORMALS  # uniform counters of the per-star decisions (after two obs blocks)


@dataclass(frozen=True)
class MockOptions:
    """Every option of the mock, with its default and source.

    Sizes and switches: ``n`` stars (60000: `mwdisk run` in < 5 min), ``seed``, ``isochrones`` family that
    makes the stars ("dsep" | "parsec"), ``with_true_zmax`` (orbit integration for true_zmax_kpc, default
    True), ``integration_time_gyr`` (3.0, METHOD.md section 4 CHOICE), ``integration_steps`` (3001),
    ``potential`` ("mw14"), ``frame`` (:class:`GalacticFrame`, Schoenrich & Aumer 2017).

    Injected chemistry (paper's findings): ``thin_gradient`` -0.075 dex/kpc at 1 Gyr, ``thin_flattening``
    +0.003 dex/kpc/Gyr, ``thick_gradient`` +0.02 dex/kpc; [Fe/H] at R0 ``thin_feh0`` +0.05 at 1 Gyr falling
    ``thin_amr_slope`` -0.025 dex/Gyr (a flat local age-metallicity relation with large scatter, Casagrande et
    al. 2011), ``thick_feh0`` -0.45 at 10 Gyr, ``thick_amr_slope`` -0.10 dex/Gyr; intrinsic scatter
    ``thin_feh_scatter`` 0.10 and ``thick_feh_scatter`` 0.10 dex. [alpha/Fe]: thin ``thin_afe0`` 0.0 +
    ``thin_afe_age`` 0.005 dex/Gyr * age + ``thin_afe_feh`` -0.08 [Fe/H], scatter 0.02; thick ``thick_afe0``
    0.20 at [Fe/H] = -0.5 with slope ``thick_afe_feh`` -0.15, scatter 0.03 (Bensby et al. 2014; Hayden et
    al. 2015).

    Populations: ``thick_fraction`` 0.12 (thick share of the local surface density; BHG16 12 +- 4 %); thin
    ages uniform (constant star formation) in ``thin_age_min_gyr``..``thin_age_max_gyr`` = 1..12; thick
    uniform in 8..13 Gyr (Haywood et al. 2013); ``young_fraction`` 0.0 of the thin disk with ages uniform in
    ``young_age_min_gyr`` 0.1..1 Gyr (option: the grid starts at 1 Gyr); ``young_alpha_rich_fraction`` 0.0 of
    the thick disk re-aged uniform in 1..4 Gyr keeping thick chemistry and kinematics (option; Chiappini et
    al. 2015, Martig et al. 2015). Structure and kinematics: see :mod:`mwdisk.mock.populations` (BHG16 scale
    lengths and heights, Sharma et al. 2021 dispersion relation, Soubiran et al. 2003 thick-disk dispersions).

    Stars: Kroupa (2001) IMF between ``mass_min_msun`` 0.6 (K dwarfs, Teff ~ 4000 K, the cool end of
    DD-Payne) and the grid's largest initial mass.

    Survey: footprint ``dec_min_deg``..``dec_max_deg`` = -10..60 (LAMOST), ``g_mag_min``..``g_mag_max`` 9..17
    (LAMOST's 9 < r < 17.8, as G), stars within ``dist_max_kpc`` 5 kpc of the Sun. Dust, SNR, error models:
    see :mod:`mwdisk.mock.observe`. Data defects: ``duplicate_fraction`` 0.05 of stars observed twice, the
    repeat within ``duplicate_max_offset_arcsec`` 1.0 arcsec; ``bad_fraction`` 0.0 of rows with one of
    :data:`DEFECTS` (chosen uniformly).
    """

    n: int = 60000
    seed: int = 20210615
    isochrones: str = "dsep"
    potential: str = "mw14"
    frame: GalacticFrame = field(default_factory=GalacticFrame)
    with_true_zmax: bool = True
    integration_time_gyr: float = 3.0
    integration_steps: int = 3001
    # injected chemistry
    thin_gradient: float = -0.075
    thin_flattening: float = 0.003
    thick_gradient: float = 0.02
    thin_feh0: float = 0.05
    thin_amr_slope: float = -0.025
    thick_feh0: float = -0.45
    thick_amr_slope: float = -0.10
    thin_feh_scatter: float = 0.10
    thick_feh_scatter: float = 0.10
    thin_afe0: float = 0.0
    thin_afe_age: float = 0.005
    thin_afe_feh: float = -0.08
    thin_afe_scatter: float = 0.02
    thick_afe0: float = 0.20
    thick_afe_feh: float = -0.15
    thick_afe_scatter: float = 0.03
    # populations
    thick_fraction: float = 0.12
    thin_age_min_gyr: float = 1.0
    thin_age_max_gyr: float = 12.0
    thick_age_min_gyr: float = 8.0
    thick_age_max_gyr: float = 13.0
    young_fraction: float = 0.0
    young_age_min_gyr: float = 0.1
    young_alpha_rich_fraction: float = 0.0
    young_alpha_rich_age_min_gyr: float = 1.0
    young_alpha_rich_age_max_gyr: float = 4.0
    thin_h_R_kpc: float = 2.6
    thin_h_z10_kpc: float = 0.30
    thin_sigma_R10_kms: float = 39.0
    thin_beta_R: float = 0.25
    thin_sigma_z10_kms: float = 21.0
    thin_beta_z: float = 0.44
    thin_R_sigma_kpc: float = 5.2
    thick_h_R_kpc: float = 2.0
    thick_h_z_kpc: float = 0.90
    thick_sigma_R_kms: float = 63.0
    thick_sigma_z_kms: float = 39.0
    thick_R_sigma_kpc: float = math.inf
    mass_min_msun: float = 0.6
    # survey
    dec_min_deg: float = -10.0
    dec_max_deg: float = 60.0
    g_mag_min: float = 9.0
    g_mag_max: float = 17.0
    dist_max_kpc: float = 5.0
    # dust (the mock's own model, see observe.py)
    dust_av_per_kpc: float = 0.8
    dust_h_R_kpc: float = 2.5
    dust_h_z_kpc: float = 0.134
    dust_clump_sigma: float = 0.4
    dust_clump_scale_deg: float = 5.0
    ag_cat_err_floor_mag: float = 0.05
    ag_cat_err_frac: float = 0.10
    # spectroscopy
    snr_at_ref: float = 50.0
    snr_ref_g_mag: float = 15.0
    snr_slope_dex_per_mag: float = 0.32
    snr_scatter_dex: float = 0.12
    snr_max: float = 2000.0
    teff_err_k: float = 22.6
    logg_err: float = 0.05
    feh_err: float = 0.03
    afe_err: float = 0.02
    spec_err_snr_scale: float = 15.0
    rv_err_floor_kms: float = 3.5
    rv_err_snr_coeff_kms: float = 100.0
    # astrometry and distances
    gaia_err_scatter_dex: float = 0.1
    gaia_corr_scale: float = 0.5
    dist_frac_err_cap: float = 0.35
    # defects
    duplicate_fraction: float = 0.05
    duplicate_max_offset_arcsec: float = 1.0
    bad_fraction: float = 0.0
    max_proposals: int = 1_000_000

    def __post_init__(self) -> None:
        for name in ("thick_fraction", "young_fraction", "young_alpha_rich_fraction", "duplicate_fraction",
                     "bad_fraction"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"mock option {name} = {v!r} must be a fraction in [0, 1]")
        if self.n < 0 or self.seed < 0:
            raise ValueError(f"mock n = {self.n} and seed = {self.seed} must be non-negative integers")
        if not 0 < self.dist_max_kpc < self.frame.R0_kpc:
            raise ValueError(f"dist_max_kpc = {self.dist_max_kpc} must be in (0, R0 = {self.frame.R0_kpc})")
        if not (self.g_mag_min < self.g_mag_max and self.dec_min_deg < self.dec_max_deg):
            raise ValueError("need g_mag_min < g_mag_max and dec_min_deg < dec_max_deg (mock survey limits)")
        if not 0 <= self.duplicate_max_offset_arcsec < 5.0:
            raise ValueError(f"duplicate_max_offset_arcsec = {self.duplicate_max_offset_arcsec}: "
                             "repeats must " "lie within 5 arcsec (the ingest de-duplication radius)")

    def as_dict(self) -> dict:
        """Plain dict for provenance (the frame as its own dict)."""
        d = dataclasses.asdict(self)
        d["frame"] = self.frame.as_dict()
        return d


#: Truth columns written by :func:`generate_partition` (besides the canonical schema columns).
TRUTH_COLUMNS = (
    "true_population", "true_young_alpha_rich", "true_age_gyr", "true_chem_age_gyr", "true_feh", "true_afe",
    "true_mh", "true_mass_msun", "true_teff_k", "true_logg", "true_abs_g_mag", "true_g_mag", "true_bp_mag",
    "true_rp_mag", "true_A_V_mag", "true_A_G_mag", "true_A_BP_mag", "true_A_RP_mag", "true_dist_pc",
    "true_ra_deg", "true_dec_deg", "true_parallax_mas", "true_pmra_masyr", "true_pmdec_masyr", "true_rv_kms",
    "true_X_kpc", "true_Y_kpc", "true_R_kpc", "true_z_kpc", "true_vR_kms", "true_vphi_kms", "true_vz_kms",
    "true_Lz_kpckms", "true_rg_kpc", "true_zmax_kpc", "true_obs_index", "true_defect", "true_n_proposals",
)

# ---------------------------------------------------------------------------------------------------------
# the per-star rejection kernel

_F_COLS = ("age", "chem_age", "mass", "feh", "afe", "mh", "X", "Y", "Z", "vX", "vY", "vZ", "A_V", "rg",
           "teff", "logg", "Mg", "Mbp", "Mrp", "ag", "abp", "arp")
_NF = len(_F_COLS)


@numba.njit(cache=True)
def _sample_kernel(keys, stream, max_prop, P, pop_par, chem_par, afe_age, afe_feh, kseg, ages, mh_nodes,
                   iso_index, iso_start, eep, mass_pts, props, rg_grid, lc, M, sun, waves, phases, gl_x, gl_w,
                   out_f, out_i):
    R0, D, c_thick = P[0], P[1], P[2]
    young_frac, young_min, a_min, a_max = P[3], P[4], P[5], P[6]
    t_min, t_max, yar_frac, yar_min, yar_max = P[7], P[8], P[9], P[10], P[11]
    sin_dmin, sin_dmax = math.sin(math.radians(P[12])), math.sin(math.radians(P[13]))
    g_min, g_max = P[14], P[15]
    av0, dust_hR, dust_hz, clump = P[16], P[17], P[18], P[19]
    R0_sun = math.hypot(sun[0], sun[1])
    R_min = R0_sun - D
    two_pi = 2.0 * math.pi
    star = np.empty(8)
    key1 = np.empty(1, np.uint64)
    for i in range(keys.shape[0]):
        key1[0] = keys[i]
        k = 0
        found = False
        while not found and k < max_prop:
            u_all = _uniforms(key1, stream, PROPOSAL_BASE + k * _NU, _BATCH * _NU)
            for b in range(_BATCH):
                kk = k + b
                u = u_all[0, b * _NU:(b + 1) * _NU]
                pop = THICK if u[0] < c_thick else THIN
                yar = 0
                if pop == THIN:
                    if u[1] < young_frac:
                        age = young_min + u[2] * (1.0 - young_min)
                    else:
                        age = a_min + u[2] * (a_max - a_min)
                    chem_age = age
                    hz = thin_scale_height_kpc(age, pop_par[THIN, 1], pop_par[THIN, 5])
                else:
                    age = t_min + u[2] * (t_max - t_min)
                    chem_age = age
                    if u[1] < yar_frac:
                        yar = 1
                        age = yar_min + u[2] * (yar_max - yar_min)
                        chem_age = t_min + u[15] * (t_max - t_min)
                    hz = pop_par[THICK, 1]
                z = -hz * math.log(u[5])
                if u[4] < 0.5:
                    z = -z
                dz = z - sun[2]
                if abs(dz) > D:
                    continue
                r = D * math.sqrt(u[6])
                th = two_pi * u[7]
                X = sun[0] + r * math.cos(th)
                Y = sun[1] + r * math.sin(th)
                R = math.hypot(X, Y)
                if u[8] > math.exp(-(R - R_min) / pop_par[pop, 0]):
                    continue
                dx, dy = X - sun[0], Y - sun[1]
                d2 = dx * dx + dy * dy + dz * dz
                if d2 > D * D:
                    continue
                d = math.sqrt(d2)
                sdec = (M[0, 2] * dx + M[1, 2] * dy + M[2, 2] * dz) / d
                if sdec < sin_dmin or sdec > sin_dmax:
                    continue
                # kinematics
                sR, sz = dispersions_kms(pop_par, pop, age, R, R0)
                vc, slope = vcirc_and_slope(R, rg_grid, lc)
                vbar, sphi = mean_vphi_kms(vc, slope, sR, R, pop_par[pop, 0], pop_par[pop, 6])
                r1 = math.sqrt(-2.0 * math.log(u[9]))
                r2 = math.sqrt(-2.0 * math.log(u[11]))
                r3 = math.sqrt(-2.0 * math.log(u[13]))
                vR = sR * r1 * math.cos(two_pi * u[10])
                vphi = -(vbar + sphi * r1 * math.sin(two_pi * u[10]))
                vz = sz * r2 * math.cos(two_pi * u[12])
                lz = R * vphi
                # guiding radius: L_c(R) table, log-linear inversion
                alz = abs(lz)
                if alz <= lc[0] or alz >= lc[lc.shape[0] - 1]:
                    continue
                j = np.searchsorted(lc, alz) - 1
                t = (math.log(alz) - math.log(lc[j])) / (math.log(lc[j + 1]) - math.log(lc[j]))
                rg = math.exp(math.log(rg_grid[j]) + t * (math.log(rg_grid[j + 1]) - math.log(rg_grid[j])))
                # chemistry
                feh = mean_feh(chem_par, pop, chem_age, rg, R0)
                feh += chem_par[pop, 4] * r2 * math.sin(two_pi * u[12])
                afe = mean_afe(chem_par, afe_age, afe_feh, pop, chem_age, feh)
                afe += chem_par[pop, 6] * r3 * math.cos(two_pi * u[14])
                mh = feh + math.log10(0.638 * 10.0**afe + 0.362)
                mass = kroupa_sample(u[3], kseg)
                status = place_on_isochrone(mass, age, mh, ages, mh_nodes, iso_index, iso_start, eep,
                                            mass_pts, props, star)
                if status != 0:
                    continue
                av = dust_av(dx, dy, dz, R0_sun, av0, dust_hR, dust_hz, clump, waves, phases, gl_x, gl_w)
                g = star[2] + 5.0 * math.log10(100.0 * d) + av * star[5]
                if g < g_min or g > g_max:
                    continue
                cR, sRphi = X / R, Y / R
                out_f[i, 0] = age
                out_f[i, 1] = chem_age
                out_f[i, 2] = mass
                out_f[i, 3] = feh
                out_f[i, 4] = afe
                out_f[i, 5] = mh
                out_f[i, 6] = X
                out_f[i, 7] = Y
                out_f[i, 8] = z
                out_f[i, 9] = vR * cR - vphi * sRphi
                out_f[i, 10] = vR * sRphi + vphi * cR
                out_f[i, 11] = vz
                out_f[i, 12] = av
                out_f[i, 13] = rg
                for q in range(8):
                    out_f[i, 14 + q] = star[q]
                out_i[i, 0] = pop
                out_i[i, 1] = yar
                out_i[i, 2] = kk + 1
                found = True
                break
            k += _BATCH
        if not found:
            out_i[i, 2] = -1


def _kernel_inputs(opts: MockOptions):
    from mwdisk.potentials import get_potential

    frame = opts.frame
    pot = get_potential(opts.potential, frame.R0_kpc, frame.vcirc_kms)
    ages, mh_nodes, idx, start, eep, mass_pts, props, m_max = grid_arrays(opts.isochrones)
    pop_par = population_params(opts)
    D = opts.dist_max_kpc
    w_thick = opts.thick_fraction * math.exp(D / pop_par[THICK, 0])
    w_thin = (1.0 - opts.thick_fraction) * math.exp(D / pop_par[THIN, 0])
    P = np.array([
        frame.R0_kpc, D, w_thick / (w_thick + w_thin), opts.young_fraction, opts.young_age_min_gyr,
        opts.thin_age_min_gyr, opts.thin_age_max_gyr, opts.thick_age_min_gyr, opts.thick_age_max_gyr,
        opts.young_alpha_rich_fraction, opts.young_alpha_rich_age_min_gyr, opts.young_alpha_rich_age_max_gyr,
        opts.dec_min_deg, opts.dec_max_deg, opts.g_mag_min, opts.g_mag_max, opts.dust_av_per_kpc,
        opts.dust_h_R_kpc, opts.dust_h_z_kpc, opts.dust_clump_sigma,
    ], dtype=np.float64)
    waves, phases = obs.dust_waves(float(opts.dust_clump_scale_deg))
    spec = pot.model.spec
    return dict(
        P=P, pop_par=pop_par, chem_par=chemistry_params(opts), afe_age=float(opts.thin_afe_age),
        afe_feh=np.array([opts.thin_afe_feh, opts.thick_afe_feh]),
        kseg=kroupa_segments(opts.mass_min_msun, m_max), ages=ages, mh_nodes=mh_nodes, iso_index=idx,
        iso_start=start, eep=eep, mass_pts=mass_pts, props=props,
        rg_grid=spec.rg_grid() * frame.R0_kpc, lc=np.asarray(pot.model.lc) * frame.R0_kpc * frame.vcirc_kms,
        M=np.ascontiguousarray(frame.icrs_to_galcen_matrix()), sun=np.array(obs.sun_position_kpc(frame)),
        waves=waves, phases=phases, gl_x=obs._GL_X, gl_w=obs._GL_W,
    ), pot


def sample_truth(keys: np.ndarray, opts: MockOptions) -> tuple[dict[str, np.ndarray], object]:
    """Run the rejection kernel for the stars with these keys: intrinsic truth per star.

    Returns
    -------
    dict
        Arrays named as in ``_F_COLS`` plus ``pop``, ``yar`` (young alpha-rich) and ``n_prop``.
    pot : OrbitPotential
        The potential used (for R_g and Z_max).

    Raises
    ------
    RuntimeError
        If a star finds no accepted proposal within ``opts.max_proposals``.
    """
    kin, pot = _kernel_inputs(opts)
    n = keys.size
    out_f = np.full((n, _NF), np.nan)
    out_i = np.zeros((n, 3), np.int64)
    if n:
        _sample_kernel(np.ascontiguousarray(keys, dtype=np.uint64), np.uint64(STREAM_MOCK),
                       int(opts.max_proposals), **kin, out_f=out_f, out_i=out_i)
    if np.any(out_i[:, 2] < 0):
        bad = int(np.flatnonzero(out_i[:, 2] < 0)[0])
        raise RuntimeError(
            f"mock star {bad} (in this call) found no star passing the selection in {opts.max_proposals} "
            "proposals; widen the survey limits (g_mag_min/max, dec, dist_max_kpc) or raise max_proposals"
        )
    out = {name: out_f[:, j] for j, name in enumerate(_F_COLS)}
    out.update(pop=out_i[:, 0], yar=out_i[:, 1].astype(bool), n_prop=out_i[:, 2])
    return out, pot


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


def _apply_defects(rows: dict, sel: np.ndarray, kind_u: np.ndarray, val_u: np.ndarray) -> np.ndarray:
    """Apply one defect per selected row (kind chosen by ``kind_u``); return the ``true_defect`` labels."""
    labels = np.full(sel.size, "none", dtype=object)
    kind = np.minimum((kind_u * len(DEFECTS)).astype(int), len(DEFECTS) - 1)
    for j, name in enumerate(DEFECTS):
        m = sel & (kind == j)
        if not m.any():
            continue
        labels[m] = name
        if name == "nan":
            for c in ("teff_k", "logg", "feh", "afe"):
                rows[c][m] = np.nan
        elif name == "negative_parallax":
            rows["parallax_mas"][m] = -np.abs(rows["parallax_mas"][m]) - rows["parallax_error_mas"][m]
        elif name == "off_grid":  # a hot star no isochrone of the grid reaches
            rows["teff_k"][m] = 9000.0 + 6000.0 * val_u[m, 0]
            rows["logg"][m] = 4.0 + 0.5 * val_u[m, 1]
        else:
            rows["rv_kms"][m] = np.nan
            rows["rv_error_kms"][m] = np.nan
    return labels


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
