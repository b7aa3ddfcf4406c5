"""The ([Fe/H], [alpha/Fe]) composition axis of a grid, derived from its [M/H]_eff axis (Salaris formula)."""

from __future__ import annotations

import logging

import numpy as np

from .composition import salaris_mh
from .interpolate import axis_weights, interpolate_between
from .layout import ISO_COLUMNS, POINT_COLUMNS, IsochroneGrid

__all__ = ["derive_feh_afe_grid"]

logger = logging.getLogger(__name__)


def derive_feh_afe_grid(grid: IsochroneGrid, feh=None, afe=None) -> IsochroneGrid:
    """The paper's ([Fe/H], [alpha/Fe]) node grid from an [M/H]_eff grid, through the Salaris formula.

    Each node's isochrone is the [M/H]_eff isochrone at ``salaris_mh(feh, afe)``, interpolated at fixed EEP
    between the two bracketing [M/H] nodes. Nodes outside the [M/H] range are dropped (listed in provenance).

    Parameters
    ----------
    grid : IsochroneGrid
        A grid on the "mh" axis.
    feh, afe : array_like, optional
        Node coordinates; default :func:`~mwdisk.isochrones.composition.paper_feh_afe_nodes`.
    """
    from .composition import paper_feh_afe_nodes

    if grid.comp_axis != "mh":
        raise ValueError(f"derive_feh_afe_grid needs an 'mh' grid, got comp_axis={grid.comp_axis!r}")
    if feh is None or afe is None:
        feh, afe = paper_feh_afe_nodes()
    feh = np.asarray(feh, float)
    afe = np.asarray(afe, float)
    mh_nodes = np.unique(grid.iso_mh)
    n_age = grid.ages_gyr.size
    # index of isochrone (mh node k, age j) on the sorted mh grid
    lookup = {}
    for i in range(grid.n_iso):
        lookup[(int(np.searchsorted(mh_nodes, grid.iso_mh[i])), int(grid.iso_age_idx[i]))] = i
    cols: dict[str, list] = {name: [] for name in POINT_COLUMNS}
    iso_rows: dict[str, list] = {name: [] for name in ISO_COLUMNS}
    lengths, dropped = [], []
    for fe, af in zip(feh, afe, strict=True):
        mh = float(salaris_mh(fe, af))
        if mh < mh_nodes[0] - 1e-4 or mh > mh_nodes[-1] + 1e-4:
            dropped.append([float(fe), float(af), round(mh, 4)])
            continue
        k0, k1, w = axis_weights(mh_nodes, min(max(mh, mh_nodes[0]), mh_nodes[-1]), "[M/H]_eff")
        for j in range(n_age):
            if (k0, j) not in lookup or (k1, j) not in lookup:
                continue
            a = grid.isochrone(lookup[(k0, j)])
            b = grid.isochrone(lookup[(k1, j)])
            iso = interpolate_between(
                {c: a[c] for c in POINT_COLUMNS}, {c: b[c] for c in POINT_COLUMNS}, w
            )
            if iso["eep"].size < 2:
                continue
            for c in POINT_COLUMNS:
                cols[c].append(iso[c])
            lengths.append(iso["eep"].size)
            iso_rows["iso_age_idx"].append(j)
            iso_rows["iso_mh"].append(mh)
            iso_rows["iso_feh"].append(fe)
            iso_rows["iso_afe"].append(af)
    if dropped:
        logger.info(
            "feh_afe axis: dropped %d nodes outside [M/H]_eff %.2f..%.2f", len(dropped), *mh_nodes[[0, -1]]
        )
    prov = dict(grid.provenance)
    prov["comp_axis_feh_afe"] = {
        "method": "node isochrone = [M/H]_eff isochrone at salaris_mh(feh, afe), "
                  "linear at fixed EEP in [M/H]",
        "dropped_nodes_feh_afe_mh": dropped,
    }
    return IsochroneGrid(
        family=grid.family,
        comp_axis="feh_afe",
        ages_gyr=grid.ages_gyr,
        iso_start=np.concatenate([[0], np.cumsum(lengths)]),
        provenance=prov,
        **{k: np.asarray(v) for k, v in iso_rows.items()},
        **{c: np.concatenate(v) for c, v in cols.items()},
    )
