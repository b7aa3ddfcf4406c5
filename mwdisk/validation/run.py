"""``run_validation(data_dir, out_dir)``: every validation table, figure and a summary JSON in one call.

Writes ``OUT/validation/``:

=================================  ========================================================================
file                               contents
=================================  ========================================================================
``seismic_ages_<obs>.csv``         per star: KIC, state, seismic age, our ages and flags, M_G (obs = the
                                   observable set, :data:`~.seismic.OBSERVABLE_SETS`)
``fig4_stats.csv``                 offset, robust scatter, 68 % coverage per state and observable set
``fig4_seismic_ages.png``          Fig. 4 analogue (Teff, log g, M_G)
``orbits_vs_miglio.csv``           per star: our Z_max, R_peri, R_apo, e (both frames) and Miglio's
``orbit_stats.csv``                median difference / ratio and robust scatter per quantity and variant
``orbits_vs_miglio.png``           the comparison
``cluster_members.csv``            NGC 6791 / NGC 6819 (and any other significant cluster) members
``cluster_candidates.csv``         every Dias cluster with a member candidate, field estimate, significance
``fig1_clusters.csv`` / ``.png``   per-cluster offsets against Dias 2021 with member counts
``clusters_addable.csv``           OCCAM clusters a user with member parameters can add
``summary.json``                   the numbers above, the inputs used and what is missing
=================================  ========================================================================
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..frame import GalacticFrame
from ..isochrones import load_grid
from .clusters import cluster_age_table, clusters_addable, select_members
from .data import (
    BC_TABLE_FILE,
    MONTALBAN_FILE,
    find_file,
    load_cluster_tables,
    load_occam_members,
    load_seismic_join,
)
from .figures import plot_clusters, plot_orbit_comparison, plot_seismic_ages, save_figure
from .magnitudes import read_bc_bands
from .orbitcheck import (
    MIGLIO_LIKE_FRAME,
    ORBIT_QUANTITIES,
    orbit_comparison_table,
    orbits_from_catalog,
    orbits_from_miglio,
)
from .seismic import OBSERVABLE_SETS, seismic_age_inputs, seismic_age_table, seismic_ages

__all__ = ["MONTALBAN_COLUMNS", "FIG3_STATEMENT", "run_validation"]

logger = logging.getLogger(__name__)

#: Column map of Montalban2021_X_APOGEE_DR17.fits onto the canonical schema (for ``read_table``).
MONTALBAN_COLUMNS = {
    "product": "Montalban et al. 2021 x APOGEE DR17 (95 Kepler giants)",
    "columns": {
        "source_id": "GAIAEDR3_SOURCE_ID", "obs_id": "KIC", "ra_deg": "RA", "dec_deg": "DEC",
        "parallax_mas": "GAIAEDR3_PARALLAX", "parallax_error_mas": "GAIAEDR3_PARALLAX_ERROR",
        "pmra_masyr": "GAIAEDR3_PMRA", "pmra_error_masyr": "GAIAEDR3_PMRA_ERROR",
        "pmdec_masyr": "GAIAEDR3_PMDEC", "pmdec_error_masyr": "GAIAEDR3_PMDEC_ERROR",
        "g_mag": "GAIAEDR3_PHOT_G_MEAN_MAG", "bp_mag": "GAIAEDR3_PHOT_BP_MEAN_MAG",
        "rp_mag": "GAIAEDR3_PHOT_RP_MEAN_MAG", "dist_med_pc": "GAIAEDR3_R_MED_GEO",
        "dist_lo_pc": "GAIAEDR3_R_LO_GEO", "dist_hi_pc": "GAIAEDR3_R_HI_GEO", "rv_kms": "VHELIO_AVG",
        "rv_error_kms": "VERR", "teff_k": "TEFF", "teff_err_k": "TEFF_ERR", "logg": "LOGG",
        "logg_err": "LOGG_ERR", "feh": "FE_H", "feh_err": "FE_H_ERR", "afe": "ALPHA_M",
        "afe_err": "ALPHA_M_ERR",
    },
}

FIG3_STATEMENT = (
    "No second isochrone-age catalogue of LAMOST stars (Xiang et al. 2017; Sanders & Das 2018, the paper's "
    "Fig. 3) can be obtained offline, so the Fig. 3 analogue is not made. The only other age catalogues at "
    "hand are asteroseismic: Miglio+2021 (used for Fig. 4) and Montalban+2021 (95 stars, compared in the "
    "real-data run benchmarks/validation/run_real_sets.py)."
)

INPUT_NOTES = {
    "join": "APOKASC-3 table 4 (alpha-poor gold RGB+RC) x Miglio+2021 on KIC",
    "teff": "APOKASC-3 Teff, S_Teff",
    "logg": "APOKASC-3 Logg_Seis, S_Logg_Seis (seismic)",
    "feh_afe": "APOKASC-3 [Fe/H], S_[Fe/H], [Alp/Fe], S_[Alp/Fe]",
    "mg": ("M_G from Miglio Ksmag (2MASS), Dist (b_Dist, b_dist_lc), Av (b_Av, b_av_lc) through MIST v1.2 "
           "BC_Ks - BC_G at the star's Teff, log g, [Fe/H]; no Gaia G in either table"),
    "evstate": "APOKASC-3 Evol_State (RGB / RC); Miglio evstate kept as evstate_miglio",
    "age_reference": "Miglio+2021 Age, b_Age, b_age_lc",
    "orbits_reference": "Miglio+2021 zmax, Rperi, Rap, Ecc; their GalR, Galphi, GalZ, vR, vT, vZ as input",
    "missing_for_orbits": ("the Miglio table has no proper motions or RVs: our own phase space only for the "
                           "Montalban x Miglio overlap (Gaia EDR3 + Bailer-Jones + APOGEE RV)"),
}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for r in df.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and not math.isfinite(v) else
                        (v.item() if hasattr(v, "item") else v)) for k, v in r.items()})
    return out


def run_validation(data_dir: str | Path, out_dir: str | Path, *, isochrones: str | None = None,
                   frame: GalacticFrame | None = None, potential: str = "mw14",
                   orbit_method: str = "staeckel",
                   seed: int = 20210615, cluster_radius_r50: float = 2.0, cluster_dist_tol_frac: float = 0.10,
                   cluster_feh_tol_dex: float = 0.2, logg_err_floor: float = 0.0,
                   age_options=None) -> dict[str, Any]:
    """Run the Fig. 4, orbit and Fig. 1 validations on the real tables in ``data_dir``.

    Parameters
    ----------
    data_dir : path
        The data folder (holding ``validation/`` and ``isochrones/``; see :mod:`.data`).
    out_dir : path
        Outputs go to ``out_dir/validation/``.
    isochrones : str, optional
        Isochrone family or path (:func:`mwdisk.isochrones.load_grid`); default the configuration's
        ``run.isochrones``.
    frame : GalacticFrame, optional
        Our frame (default: the pipeline's, R0 8.27 kpc, v_c 236 km/s).
    potential, orbit_method : str
        Orbit potential and method (pipeline defaults ``mw14``, ``staeckel``).
    seed : int
        Seed of the Monte-Carlo phase space of the Montalban stars.
    cluster_radius_r50, cluster_dist_tol_frac, cluster_feh_tol_dex : float
        Membership criteria (:func:`~.clusters.select_members`).
    logg_err_floor : float
        Added in quadrature to the seismic log g errors (default 0).
    age_options : AgeOptions, optional
        The age stage's options (default: the configuration's defaults), so that the validation judges the
        configuration a run uses.

    Returns
    -------
    dict
        The summary also written to ``summary.json``.
    """
    frame = frame or GalacticFrame()
    if isochrones is None:
        from ..config import load_config

        isochrones = load_config()["run"]["isochrones"]
    out = Path(out_dir) / "validation"
    out.mkdir(parents=True, exist_ok=True)
    grid = load_grid(isochrones)
    grid_range = (float(grid.ages_gyr[0]), float(grid.ages_gyr[-1]))
    join = load_seismic_join(data_dir)
    bc_path = find_file(data_dir, BC_TABLE_FILE, required=False)
    bc = read_bc_bands(bc_path) if bc_path is not None else None
    if bc is None:
        logger.warning("no MIST BC table under %s: ages from Teff and log g only", data_dir)
    inputs = seismic_age_inputs(join, bc)
    summary: dict[str, Any] = {"data_dir": str(data_dir), "n_join": len(join), "inputs": INPUT_NOTES,
                               "isochrones": isochrones, "grid_age_range_gyr": grid_range,
                               "n_with_mg": int(np.isfinite(inputs["mg_mag"]).sum())}

    # Fig. 4 analogue
    stats, ages_by_set = [], {}
    sets = OBSERVABLE_SETS if bc is not None else {"teff_logg": OBSERVABLE_SETS["teff_logg"]}
    for label, obs in sets.items():
        ours = seismic_ages(inputs, grid, obs, options=age_options, logg_err_floor=logg_err_floor)
        ages_by_set[label] = ours
        per = ours.merge(join[["kic", "age_seis_gyr", "age_seis_lo_gyr", "age_seis_hi_gyr", "mass_msun"]],
                         on="kic").merge(inputs[["kic", "mg_mag", "mg_err_mag"]], on="kic")
        per.to_csv(out / f"seismic_ages_{label}.csv", index=False)
        t = seismic_age_table(ours, join, grid_range)
        t.insert(0, "observables", label)
        stats.append(t)
    fig4 = pd.concat(stats, ignore_index=True)
    fig4.to_csv(out / "fig4_stats.csv", index=False)
    main_label = "teff_logg_mg" if "teff_logg_mg" in ages_by_set else "teff_logg"
    main = ages_by_set[main_label]
    ref = join.set_index("kic").loc[main["kic"], "age_seis_gyr"].to_numpy(float)
    save_figure(plot_seismic_ages(main, ref, fig4[fig4.observables == main_label], main_label),
                out / "fig4_seismic_ages.png")
    summary["fig4"] = {"main_observables": main_label, "stats": _records(fig4)}

    # orbits against Miglio
    o_ours = orbits_from_miglio(join, frame, potential, orbit_method)
    o_like = orbits_from_miglio(join, MIGLIO_LIKE_FRAME, "mw14", orbit_method)
    per = join[["kic", *ORBIT_QUANTITIES.values()]].merge(o_ours, on="kic").merge(
        o_like.drop(columns="orbit_flags"), on="kic", suffixes=("", "_miglio_like_frame"))
    ostats = [orbit_comparison_table(o_ours, join, f"miglio_phase_space_our_frame_{potential}"),
              orbit_comparison_table(o_like, join, "miglio_phase_space_mw14_R0_8.125_v0_220")]
    merged = {"Miglio phase space, our frame": o_ours.merge(join, on="kic", suffixes=("", "_j")),
              "Miglio phase space, R0 8.125 v0 220": o_like.merge(join, on="kic", suffixes=("", "_j"))}
    mont = find_file(data_dir, MONTALBAN_FILE, required=False)
    if mont is not None:
        from ..readers import read_table

        cat = read_table(mont, MONTALBAN_COLUMNS)
        oc = orbits_from_catalog(cat, frame, seed=seed, potential=potential, method=orbit_method)
        oc = oc.rename(columns={"obs_id": "kic"})
        ostats.append(orbit_comparison_table(oc, join_all := _miglio_all(data_dir),
                                             "gaia_edr3_montalban_our_frame"))
        mm = oc.merge(join_all, on="kic", suffixes=("", "_j"))
        merged["Gaia EDR3 astrometry (Montalban), our frame"] = mm
        mm[["kic", "source_id", *ORBIT_QUANTITIES, *ORBIT_QUANTITIES.values()]].to_csv(
            out / "orbits_montalban_vs_miglio.csv", index=False)
    per.to_csv(out / "orbits_vs_miglio.csv", index=False)
    ostat = pd.concat(ostats, ignore_index=True)
    ostat.to_csv(out / "orbit_stats.csv", index=False)
    save_figure(plot_orbit_comparison(merged), out / "orbits_vs_miglio.png")
    summary["orbits"] = {"frame": frame.as_dict(), "potential": potential, "method": orbit_method,
                         "stats": _records(ostat)}

    # Fig. 1 analogue
    tables = load_cluster_tables(data_dir)
    dias = tables["dias2021"]
    members, cand = select_members(join, dias, cluster_radius_r50, cluster_dist_tol_frac, cluster_feh_tol_dex)
    members.to_csv(out / "cluster_members.csv", index=False)
    cand.to_csv(out / "cluster_candidates.csv", index=False)
    ctab = cluster_age_table(members, main, join, dias)
    ctab.to_csv(out / "fig1_clusters.csv", index=False)
    if len(ctab):
        save_figure(plot_clusters(ctab, members, main), out / "fig1_clusters.png")
    occam = load_occam_members(data_dir)
    addable = clusters_addable(occam, dias) if occam is not None else pd.DataFrame()
    addable.to_csv(out / "clusters_addable.csv", index=False)
    summary["clusters"] = {
        "criteria": {"radius_r50": cluster_radius_r50, "dist_tol_frac": cluster_dist_tol_frac,
                     "feh_tol_dex": cluster_feh_tol_dex,
                     "reference": "Dias+2021 RA_ICRS, DE_ICRS, r50, Dist, [Fe/H]"},
        "candidates": _records(cand), "per_cluster": _records(ctab),
        "mean_offset_gyr": float(ctab["offset_ours_dias_gyr"].mean()) if len(ctab) else None,
        "addable_from_occam": _records(addable),
    }
    summary["fig3"] = FIG3_STATEMENT
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    logger.info("validation outputs in %s", out)
    return summary


def _miglio_all(data_dir) -> pd.DataFrame:
    from .data import load_miglio

    return load_miglio(data_dir)
