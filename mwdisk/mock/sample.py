"""The per-star rejection sampler of the mock: intrinsic truth (population, age, phase space, chemistry, mass,
isochrone point and dust) of each star, drawn from its own counter-based random stream.

Star ``i`` owns the stream ``(seed, i, STREAM_MOCK)`` of :mod:`mwdisk.rng`. Its *proposals* are drawn at fixed
counters (proposal k uses uniforms ``PROPOSAL_BASE + 16 k .. + 15``); the first proposal that passes the
selection (inside the distance sphere, in the footprint, alive on the isochrone and within the magnitude
limits) is the star. Counters below PROPOSAL_BASE are left to the observation (:mod:`mwdisk.mock.generate`).
"""

from __future__ import annotations

import logging
import math

import numba
import numpy as np

from mwdisk.rng import STREAM_MOCK, _uniforms

from . import observe as obs
from .chemistry import chemistry_params, mean_afe, mean_feh
from .observe import dust_av
from .options import MockOptions
from .populations import (
    THICK,
    THIN,
    dispersions_kms,
    mean_vphi_kms,
    population_params,
    thin_scale_height_kpc,
    vcirc_and_slope,
)
from .stars import grid_arrays, kroupa_sample, kroupa_segments, place_on_isochrone

__all__ = ["PROPOSAL_BASE", "sample_truth"]

logger = logging.getLogger(__name__)

#: First uniform counter used by the proposals (observation noise lives below it).
PROPOSAL_BASE = 1024
_NU = 16  # uniforms per proposal
_BATCH = 32  # proposals per call of the counter generator

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
