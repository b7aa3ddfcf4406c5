"""Bailer-Jones et al. (2021) distances to Gaia eDR3 sources (CSV or VOTable; FITS and ECSV also read).

Product: "Estimating distances from parallaxes. V. Geometric and photogeometric distances to 1.47 billion
stars in Gaia Early Data Release 3", Bailer-Jones, Rybizki, Fouesneau, Demleitner & Andrae 2021, AJ 161,
147. Served as the Gaia archive table ``external.gaiaedr3_distance`` and the GAVO DC table
``gedr3dist.main`` with columns ``source_id, r_med_geo, r_lo_geo, r_hi_geo, r_med_photogeo,
r_lo_photogeo, r_hi_photogeo, flag`` (pc; lo/hi are the 16th/84th percentiles), and as VizieR I/352
``gedr3dis`` with ``Source, rgeo, b_rgeo, B_rgeo, rpgeo, b_rpgeo, B_rpgeo, Flag``. Both namings are read.

Conversion: the schema's distances are in pc like the product's (``dist_med_pc`` = ``r_med_geo`` etc.): no
scaling. Stages needing kpc divide by 1000 themselves. [CHOICE] ``kind="geo"`` (default, the paper's
geometric distances) or ``"photogeo"``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ._io import Need, column_names, read_columns, resolve_columns, to_float, to_int64

__all__ = ["PRODUCT", "check_distances", "read_distances"]

logger = logging.getLogger(__name__)

PRODUCT = "Bailer-Jones et al. (2021) Gaia eDR3 distances"
_ALIASES = {
    "geo": {"med": ("r_med_geo", "rgeo"), "lo": ("r_lo_geo", "b_rgeo"), "hi": ("r_hi_geo", "B_rgeo")},
    "photogeo": {"med": ("r_med_photogeo", "rpgeo"), "lo": ("r_lo_photogeo", "b_rpgeo"),
                 "hi": ("r_hi_photogeo", "B_rpgeo")},
}


def _needs(kind: str) -> list[Need]:
    if kind not in _ALIASES:
        raise ValueError(f"distance kind {kind!r} is not one of {sorted(_ALIASES)} (geo: the paper's choice)")
    a = _ALIASES[kind]
    return [Need("source_id", ("source_id", "Source"), what="Gaia eDR3 source_id"),
            Need("med", a["med"], what=f"median {kind} distance, pc"),
            Need("lo", a["lo"], what="16th percentile, pc"),
            Need("hi", a["hi"], what="84th percentile, pc")]


def check_distances(path: str | Path, kind: str = "geo") -> dict[str, str]:
    """Check a Bailer-Jones file's columns from its header; returns the key -> column-name map.

    The VizieR names ``b_rgeo`` and ``B_rgeo`` differ only in case; they are told apart exactly first.
    """
    names = column_names(path)
    exact = {n: n for n in names}
    out: dict[str, str] = {}
    rest = []
    for n in _needs(kind):
        hit = next((exact[a] for a in n.aliases if a in exact), None)
        if hit is not None:
            out[n.key] = hit
        else:
            rest.append(n)
    out.update(resolve_columns(path, names, rest, PRODUCT))
    return out


def read_distances(path: str | Path, kind: str = "geo") -> pd.DataFrame:
    """Read ``source_id, dist_med_pc, dist_lo_pc, dist_hi_pc`` (pc, unchanged) from a Bailer-Jones file."""
    cols = check_distances(path, kind)
    raw = read_columns(path, list(cols.values()))
    out = pd.DataFrame({
        "source_id": to_int64(raw[cols["source_id"]], path, cols["source_id"], PRODUCT),
        "dist_med_pc": to_float(raw[cols["med"]]),
        "dist_lo_pc": to_float(raw[cols["lo"]]),
        "dist_hi_pc": to_float(raw[cols["hi"]]),
    })
    if out["source_id"].duplicated().any():
        logger.warning("%s: repeated source_id rows; the first of each is kept", path)
        out = out.drop_duplicates("source_id").reset_index(drop=True)
    return out
