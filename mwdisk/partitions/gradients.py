"""Per-partition step of the gradients stage: cuts, selections and age-bin groups of one partition.

The partition's stage outputs (ingest, ages, phase space, orbits) are joined on row position (every stage
keeps its ingest partition's order). The result is a small object: the cut counts, the age-bin groups of
every (selection, potential, R0, v0, radius) for :func:`mwdisk.gradients.combine_groups`, and the per-star
table of the stars that pass the quality cuts, with one boolean column per selection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..ages import AgeFlag, decode_G, grid_has_cheb
from ..gradients import combine_groups, draw_bin_index, expanded_ages, partition_groups
from ..isochrones import load_grid
from ..selections import EXTRA_SELECTIONS, SELECTION_NAMES, cut_masks, selection_masks

__all__ = ["PartitionReduction", "gradients_partition", "CUT_STEPS"]

#: rows of OUT/cuts.csv, in order
CUT_STEPS = ("ingested", "snr", "age_err", "high_quality_all")


@dataclass
class PartitionReduction:
    counts: dict[str, int]
    groups: dict
    selected: pd.DataFrame

    def merge(self, other: "PartitionReduction") -> "PartitionReduction":
        counts = {k: self.counts.get(k, 0) + other.counts.get(k, 0) for k in {*self.counts, *other.counts}}
        return PartitionReduction(counts, combine_groups(self.groups, other.groups), self.selected.iloc[:0])


def _hist_edges(gcfg: dict) -> np.ndarray:
    n = int(round(gcfg["age_hist_max_gyr"] / gcfg["age_hist_step_gyr"]))
    return np.linspace(0.0, gcfg["age_hist_max_gyr"], n + 1)


def gradients_partition(df: pd.DataFrame, cfg: dict, potential: str, R0_kpc: float, v0_kms: float,
                        isochrones: str) -> PartitionReduction:
    """Cuts, selections and age-bin groups of one partition.

    ``df`` holds the ingest columns with the ages, phase-space and orbit columns of one (frame, potential).
    """
    gcfg = cfg["gradients"]
    params = {**cfg["cuts"], **cfg["selections"]}
    zcol = f"zmax_kpc_{potential}"
    cuts = cut_masks(df, params)
    flags = df["age_flags"].to_numpy(np.int64)
    edge = (flags & int(AgeFlag.EDGE_LO | AgeFlag.EDGE_HI)) != 0
    # with a grid that has core-helium burning, the disks are also fitted without the stars classified so
    cheb = (flags & int(AgeFlag.CHEB)) != 0 if grid_has_cheb(isochrones) else None
    masks = selection_masks(df, params, {"zmax_kpc": zcol}, base=cuts["age_err"], edge_flag=edge,
                            cheb_flag=cheb)
    counts = {"ingested": len(df), **{k: int(v.sum()) for k, v in cuts.items()},
              **{f"selection:{k}": int(v.sum()) for k, v in masks.items()}}

    base = cuts["age_err"]
    groups: dict = {}
    if base.any():
        grid = load_grid(isochrones)
        sub = df[base]
        g = decode_G(sub["age_G_u16"].to_numpy(), len(grid.ages_gyr))
        draws = expanded_ages(g, grid.ages_gyr, sub["source_id"].to_numpy(), int(cfg["run"]["seed"]),
                              int(gcfg["expanded_ages_per_star"]))
        draw_bins = draw_bin_index(draws, _hist_edges(gcfg))
        n_hist = len(_hist_edges(gcfg)) - 1
        radii = {
            ("rg", potential): (f"rg_kpc_{potential}", f"rg_kpc_std_{potential}"),
            ("rpresent", "none"): ("R_present_kpc", "R_kpc_std"),
        }
        for sel, m in masks.items():
            ms = m[base]
            if not ms.any():
                continue
            for (radius, pot), (rc, rec) in radii.items():
                key = (sel, pot, float(R0_kpc), float(v0_kms), radius)
                part = partition_groups(
                    key, sub["source_id"].to_numpy()[ms], sub["age_mode_gyr"].to_numpy()[ms],
                    sub[rc].to_numpy()[ms], sub[rec].to_numpy()[ms], sub["feh"].to_numpy()[ms],
                    sub["feh_err"].to_numpy()[ms], draw_bins[ms], n_hist=n_hist,
                )
                groups = combine_groups(groups, part)
    selected = df[base].drop(columns=["age_G_u16"], errors="ignore").copy()
    for sel in list(SELECTION_NAMES) + list(EXTRA_SELECTIONS):
        if sel in masks:
            selected[f"sel_{sel}"] = masks[sel][base]
    return PartitionReduction(counts, groups, selected.reset_index(drop=True))
