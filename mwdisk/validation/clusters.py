"""Fig. 1 analogue: cluster members among the seismic stars, their ages against Dias et al. (2021).

The OCCAM member list has no stellar parameters, but Kepler-field clusters have members in the APOKASC-3 x
Miglio+2021 join. A star is taken as a member of a Dias (2021) cluster when all three hold
(:func:`select_members`):

- position: angular separation from the cluster centre (Dias ``RA_ICRS``, ``DE_ICRS``) below
  ``radius_r50 x r50`` (Dias' radius holding half the members; default 2);
- distance: Miglio's distance within ``dist_tol_frac`` (default 10 %) of Dias' ``Dist`` (the literature
  distances of NGC 6791 and NGC 6819 spread by 4-6 % between Dias 2021, Cantat-Gaudin 2020 and Hunt & Reffert
  2023; the seismic distances carry 1-2 %);
- metallicity: APOKASC-3 [Fe/H] within ``feh_tol_dex`` (default 0.2 dex, about three times the APOKASC-3
  error plus the 0.1 dex by which APOKASC-3 sits below Dias for NGC 6791) of Dias' ``[Fe/H]``.

Field contamination is estimated per cluster from the stars passing the distance and [Fe/H] criteria in an
annulus between ``radius_r50`` and ``4 x radius_r50`` r50, scaled by area; a cluster is kept
(``significant``) when it has at least ``min_members`` members and more than ``min_contrast`` times the
expected field count (this drops large, young, nearby clusters such as ASCC 108 whose "members" are field
giants).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .stats import robust_offset_scatter

__all__ = ["angular_separation_deg", "select_members", "cluster_age_table", "clusters_addable"]

logger = logging.getLogger(__name__)


def angular_separation_deg(ra1_deg, dec1_deg, ra2_deg, dec2_deg) -> np.ndarray:
    """Great-circle separation (deg), haversine formula.

    Examples
    --------
    >>> round(float(angular_separation_deg(10.0, 0.0, 11.0, 0.0)), 6)
    1.0
    """
    r1, d1, r2, d2 = (np.radians(np.asarray(x, float)) for x in (ra1_deg, dec1_deg, ra2_deg, dec2_deg))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def select_members(stars: pd.DataFrame, clusters: pd.DataFrame, radius_r50: float = 2.0,
                   dist_tol_frac: float = 0.10, feh_tol_dex: float = 0.2, min_members: int = 2,
                   min_contrast: float = 3.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Members of each cluster among ``stars`` by position, distance and [Fe/H] (module docstring).

    Parameters
    ----------
    stars : DataFrame
        ``kic, ra_deg, dec_deg, dist_kpc, feh`` (the seismic join).
    clusters : DataFrame
        Dias 2021 rows: ``name, RA_ICRS, DE_ICRS, r50, Dist`` (pc), ``[Fe/H]``, ``logage``, ``e_logage``.
    radius_r50, dist_tol_frac, feh_tol_dex : float
        The three criteria.
    min_members, min_contrast : int, float
        Significance: at least ``min_members`` members and ``n_members > min_contrast * n_field_expected``.

    Returns
    -------
    members : DataFrame
        ``cluster, kic, sep_deg, sep_r50, dist_kpc, dist_cl_kpc, feh, feh_cl`` of significant clusters.
    candidates : DataFrame
        Per cluster with at least one member: ``cluster, n_members, n_field_expected`` (annulus estimate),
        ``significant``.
    """
    ra, dec = stars["ra_deg"].to_numpy(float), stars["dec_deg"].to_numpy(float)
    dist, feh = stars["dist_kpc"].to_numpy(float), stars["feh"].to_numpy(float)
    # only clusters whose 4 x radius circle can reach a star (cheap box pre-filter)
    box = ((clusters["RA_ICRS"] > ra.min() - 5) & (clusters["RA_ICRS"] < ra.max() + 5)
           & (clusters["DE_ICRS"] > dec.min() - 5) & (clusters["DE_ICRS"] < dec.max() + 5))
    rows, cand = [], []
    for _, c in clusters[box].iterrows():
        if not (np.isfinite(c["r50"]) and np.isfinite(c["Dist"]) and np.isfinite(c["[Fe/H]"])):
            continue
        sep = angular_separation_deg(c["RA_ICRS"], c["DE_ICRS"], ra, dec)
        d_cl = float(c["Dist"]) / 1000.0
        with np.errstate(invalid="ignore"):
            ok_d = np.abs(dist / d_cl - 1.0) < dist_tol_frac
            ok_f = np.abs(feh - float(c["[Fe/H]"])) < feh_tol_dex
        r_in = radius_r50 * float(c["r50"])
        inner = sep < r_in
        mem = inner & ok_d & ok_f
        ann = (sep >= r_in) & (sep < 4 * r_in) & ok_d & ok_f
        if not mem.any():
            continue
        n_field = float(ann.sum()) * (r_in**2) / ((4 * r_in) ** 2 - r_in**2)
        sig = bool(mem.sum() >= min_members and mem.sum() > min_contrast * n_field)
        cand.append({"cluster": c["name"], "n_members": int(mem.sum()), "n_field_expected": n_field,
                     "significant": sig})
        if not sig:
            continue
        for i in np.flatnonzero(mem):
            rows.append({"cluster": c["name"], "kic": int(stars["kic"].iloc[i]), "sep_deg": float(sep[i]),
                         "sep_r50": float(sep[i] / c["r50"]), "dist_kpc": float(dist[i]), "dist_cl_kpc": d_cl,
                         "feh": float(feh[i]), "feh_cl": float(c["[Fe/H]"])})
    cols = ["cluster", "kic", "sep_deg", "sep_r50", "dist_kpc", "dist_cl_kpc", "feh", "feh_cl"]
    return pd.DataFrame(rows, columns=cols), pd.DataFrame(
        cand, columns=["cluster", "n_members", "n_field_expected", "significant"])


def cluster_age_table(members: pd.DataFrame, ages: pd.DataFrame, join: pd.DataFrame,
                      clusters: pd.DataFrame) -> pd.DataFrame:
    """Per cluster: member counts, our median age and spread, seismic median age, Dias age, offsets.

    Parameters
    ----------
    members : DataFrame
        From :func:`select_members`.
    ages : DataFrame
        Our ages (``kic, age_median_gyr, age_lo_gyr, age_hi_gyr``).
    join : DataFrame
        The seismic join (``kic, age_seis_gyr, evstate``).
    clusters : DataFrame
        Dias 2021 (``name, logage, e_logage, [Fe/H]``).

    Returns
    -------
    pandas.DataFrame
        ``cluster, feh_dias, age_dias_gyr`` (10**logage / 1e9) ``, age_dias_err_gyr, n_members, n_rgb, n_rc,
        n_with_age, age_ours_median_gyr, age_ours_spread_gyr`` (1.4826 MAD), ``age_seis_median_gyr,
        offset_ours_dias_gyr, offset_ours_dias_rgb_gyr, offset_seis_dias_gyr``.
    """
    m = members.merge(ages[["kic", "age_median_gyr"]], on="kic", how="left").merge(
        join[["kic", "age_seis_gyr", "evstate"]], on="kic", how="left")
    dias = clusters.set_index("name")
    rows = []
    for name, g in m.groupby("cluster", sort=True):
        c = dias.loc[name]
        age_d = 10 ** float(c["logage"]) / 1e9
        ours = g["age_median_gyr"].to_numpy(float)
        med, spread, n_age = robust_offset_scatter(ours)
        rgb = g["evstate"].to_numpy(str) == "RGB"
        med_rgb, _, _ = robust_offset_scatter(ours[rgb])
        seis, _, _ = robust_offset_scatter(g["age_seis_gyr"])
        rows.append({
            "cluster": name, "feh_dias": float(c["[Fe/H]"]), "age_dias_gyr": age_d,
            "age_dias_err_gyr": age_d * np.log(10) * float(c["e_logage"]), "n_members": len(g),
            "n_rgb": int(rgb.sum()), "n_rc": int((g["evstate"] == "RC").sum()), "n_with_age": n_age,
            "age_ours_median_gyr": med, "age_ours_spread_gyr": spread, "age_seis_median_gyr": seis,
            "offset_ours_dias_gyr": med - age_d, "offset_ours_dias_rgb_gyr": med_rgb - age_d,
            "offset_seis_dias_gyr": seis - age_d,
        })
    return pd.DataFrame(rows)


def clusters_addable(occam_members: pd.DataFrame, dias: pd.DataFrame, min_members: int = 10,
                     prob_min: float = 0.5, age_min_gyr: float = 1.0) -> pd.DataFrame:
    """OCCAM clusters with Dias 2021 ages of at least ``age_min_gyr`` (the grid's youngest age) and at least
    ``min_members`` likely members (``CG_PROB >= prob_min``): those a user can add to the Fig. 1 analogue once
    the members' Teff, log g, [Fe/H] (e.g. from the APOGEE DR16/17 allStar rows of these APOGEE_IDs) and Gaia
    photometry are at hand.

    Returns ``cluster, n_members, age_dias_gyr, feh_dias`` sorted by member count.
    """
    om = occam_members.copy()
    om["name"] = om["CLUSTER"].astype(str).str.strip().str.replace(" ", "_")
    good = om[om["CG_PROB"] >= prob_min]
    n = good.groupby("name").size().rename("n_members").reset_index()
    d = dias[["name", "logage", "[Fe/H]"]].copy()
    d["age_dias_gyr"] = 10 ** d["logage"].astype(float) / 1e9
    out = n.merge(d, on="name", how="inner")
    out = out[(out["n_members"] >= min_members) & (out["age_dias_gyr"] >= age_min_gyr)].rename(
        columns={"name": "cluster", "[Fe/H]": "feh_dias"}
    )
    return out[["cluster", "n_members", "age_dias_gyr", "feh_dias"]].sort_values(
        "n_members", ascending=False, ignore_index=True)
