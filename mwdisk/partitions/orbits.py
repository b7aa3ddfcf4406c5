"""Partition adapter of the orbit stage, for one potential: R_g (and its spread), Z_max, R_peri, R_apo, e.

The orbit is that of the star's mean phase-space coordinates (the paper's choice): mean position and mean
cylindrical velocities from the phase-space stage. ``rg_kpc_std_<pot>`` is the standard deviation of R_g over
the star's Monte-Carlo draws, regenerated from (seed, source_id) rather than stored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..orbits import guiding_radius, orbit_parameters
from ..phasespace import regenerate_draws
from ..potentials import get_potential
from .phasespace import phasespace_inputs

__all__ = ["orbits_partition", "orbit_columns"]


def orbit_columns(pot: str) -> tuple[str, ...]:
    return tuple(f"{c}_{pot}" for c in ("rg_kpc", "rg_kpc_std", "zmax_kpc", "rperi_kpc", "rapo_kpc", "ecc",
                                        "orbit_flags"))


def _delta(value: str):
    try:
        return float(value)
    except ValueError:
        return value


def orbits_partition(df: pd.DataFrame, ctx) -> pd.DataFrame:
    o = ctx.cfg["orbits"]
    name = ctx.potential
    cols = orbit_columns(name)
    if df.empty:  # the declared meta, without building a galpy potential on the client
        return pd.DataFrame({"source_id": np.empty(0, np.int64), **{c: np.empty(0) for c in cols[:-1]},
                             cols[-1]: np.empty(0, np.int32)})
    pot = get_potential(name, ctx.frame.R0_kpc, ctx.frame.vcirc_kms,
                        interpolate=bool(o["interpolate_mcm17"]) or name != "mcm17")
    X, Y, Z = (df[c].to_numpy(float) for c in ("X_kpc", "Y_kpc", "Z_kpc"))
    vR, vphi, vz = (df[c].to_numpy(float) for c in ("vR_kms", "vphi_kms", "vz_kms"))
    phi = np.arctan2(Y, X)
    vx = vR * np.cos(phi) - vphi * np.sin(phi)
    vy = vR * np.sin(phi) + vphi * np.cos(phi)
    R = np.hypot(X, Y)
    rg = guiding_radius(R * vphi, pot)
    op = orbit_parameters(X, Y, Z, vx, vy, vz, pot, ctx.frame, o["method"], delta=_delta(o["staeckel_delta"]),
                          integration_time_gyr=o["integration_time_gyr"], n_steps=int(o["n_steps"]),
                          integrator=o["integrator"], chunk_size=int(o["chunk_size"]))
    zmax, rperi, rapo, ecc, flags = op.zmax_kpc, op.rperi_kpc, op.rapo_kpc, op.ecc, op.flags
    rg_std = np.full(len(df), np.nan)
    if o["rg_std"]:
        p = ctx.cfg["phasespace"]
        draws = regenerate_draws(*phasespace_inputs(df), frame=ctx.frame, seed=ctx.seed,
                                 n_draws=int(p["n_draws"]),
                                 distance_z_from_parallax=bool(p["distance_z_from_parallax"]))
        lz = np.asarray(draws["Lz_kpckms"])
        rg_draws = guiding_radius(lz.ravel(), pot).reshape(lz.shape)
        ok = np.isfinite(rg_draws).all(axis=1)
        rg_std[ok] = rg_draws[ok].std(axis=1)
    return pd.DataFrame({
        "source_id": df["source_id"].to_numpy(np.int64),
        cols[0]: rg, cols[1]: rg_std, cols[2]: zmax, cols[3]: rperi, cols[4]: rapo, cols[5]: ecc,
        cols[6]: np.asarray(flags).astype(np.int32),
    })
