"""Read what the figures need from a finished run folder (pandas only, never Dask).

A :class:`RunData` opens ``OUT/gradients.csv``, ``OUT/trends.csv``, ``OUT/cuts.csv`` and
``OUT/provenance.json`` when present, and reads the per-star table ``OUT/selected/*.parquet`` lazily, only the
columns asked for (``pandas.read_parquet(..., columns=...)``). The per-star columns of the run's potential are
renamed to generic names so that the figure functions do not depend on it: ``rg_kpc_<pot>`` -> ``rg_kpc``,
``zmax_kpc_<pot>`` -> ``zmax_kpc``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mwdisk.selections import resolve_params

from .context import FigureContext, axis_limits, zmax_limits

__all__ = ["RunData", "injected_from_provenance"]

logger = logging.getLogger(__name__)


def _read_csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return None


def injected_from_provenance(prov: dict) -> dict | None:
    """The mock's injected law when the run's provenance says it ran on the built-in mock, else None."""
    cfg = prov.get("config") or {}
    run = cfg.get("run") or {}
    mock = cfg.get("mock") or {}
    keys = ("thin_gradient", "thin_flattening", "thick_gradient")
    if "catalog" in run and run["catalog"] is None and all(k in mock for k in keys):
        return {k: float(mock[k]) for k in keys}
    return None


def _selection_params(cfg: dict) -> dict:
    from mwdisk.selections import DEFAULT_SELECTION_PARAMS

    p = {k: v for k, v in {**(cfg.get("cuts") or {}), **(cfg.get("selections") or {})}.items()
         if k in DEFAULT_SELECTION_PARAMS}
    p["zmax_edges_kpc"] = [math.inf if e in (None, "inf", ".inf") else e
                           for e in p.get("zmax_edges_kpc", DEFAULT_SELECTION_PARAMS["zmax_edges_kpc"])]
    try:
        return resolve_params(p)
    except ValueError as err:
        logger.warning("selection parameters of the provenance not usable (%s); using the defaults", err)
        return resolve_params(None)


class RunData:
    """The tables of one run folder, read once, and its per-star table read column by column.

    Parameters
    ----------
    out_dir : str or Path
        The run folder (``OUT``).

    Attributes
    ----------
    gradients, trends, cuts : pandas.DataFrame or None
        ``OUT/gradients.csv``, ``OUT/trends.csv``, ``OUT/cuts.csv`` (None when absent).
    provenance : dict
        ``OUT/provenance.json`` ({} when absent).
    ctx : FigureContext
        Default variant, error model, trend settings and selection parameters of the run.
    """

    def __init__(self, out_dir: str | Path):
        self.out = Path(out_dir)
        self.gradients = _read_csv(self.out / "gradients.csv")
        self.trends = _read_csv(self.out / "trends.csv")
        self.cuts = _read_csv(self.out / "cuts.csv")
        p = self.out / "provenance.json"
        try:
            self.provenance = json.loads(p.read_text()) if p.is_file() else {}
        except json.JSONDecodeError as err:
            logger.warning("%s is not valid JSON (%s); provenance left out", p, err)
            self.provenance = {}
        self.selected_dir = self.out / "selected"
        self._cache: pd.DataFrame | None = None
        self._schema: list[str] | None = None
        self.ctx = self._context()

    # ------------------------------------------------------------------ context
    def _context(self) -> FigureContext:
        cfg = self.provenance.get("config") or {}
        g = cfg.get("gradients") or {}
        run = cfg.get("run") or {}
        frame = cfg.get("frame") or {}
        ctx = FigureContext(
            error_model=str(g.get("error_model", "scatter")),
            min_stars=int(g.get("min_stars", 50)),
            trend_age=str(g.get("trend_age", "mid")),
            selection_params=_selection_params(cfg),
        )
        pot = run.get("potential")
        if pot is None:
            pot = self._potential_from_data()
        if pot is not None:
            ctx.potential = str(pot)
        if "R0_kpc" in frame and "vcirc_kms" in frame:
            ctx.R0_kpc, ctx.v0_kms = float(frame["R0_kpc"]), float(frame["vcirc_kms"])
        elif self.gradients is not None and len(self.gradients):
            # without provenance: the frame of most rows (a sweep adds fewer rows per frame than the default)
            fr = self.gradients.groupby(["R0_kpc", "v0_kms"]).size().idxmax()
            ctx.R0_kpc, ctx.v0_kms = float(fr[0]), float(fr[1])
        return ctx

    def _potential_from_data(self) -> str | None:
        cols = self.schema()
        pots = [c[len("rg_kpc_"):] for c in cols
                if c.startswith("rg_kpc_") and not c.startswith("rg_kpc_std")]
        if pots:
            return pots[0]
        if self.gradients is not None:
            g = self.gradients[self.gradients["radius"] == "rg"]
            if len(g):
                return str(g["potential"].value_counts().idxmax())
        return None

    @property
    def injected(self) -> dict | None:
        """The mock's injected law from the provenance (None for a real catalogue)."""
        return injected_from_provenance(self.provenance)

    def member_truth_slopes(self) -> pd.DataFrame | None:
        """On the built-in mock, :func:`mwdisk.figures.mock.member_truth_slopes` of the thin and thick disk.

        The mock's truth is joined on ``obs_id`` from ``OUT/mock`` (the pipeline itself never reads it).
        None when the run is not on the mock, or the mock or the per-star table is absent.
        """
        from .mock import POPULATIONS, member_truth_slopes

        mock_dir = self.out / "mock"
        if self.injected is None or not mock_dir.is_dir() or not self.has_stars():
            return None
        sel_cols = [f"sel_{s}" for s in POPULATIONS if f"sel_{s}" in self.schema()]
        try:
            s = self.stars(["obs_id", "age_mode_gyr", "rg_kpc", "rg_kpc_std", "feh", "feh_err", *sel_cols])
            truth = pd.read_parquet(mock_dir, columns=["obs_id", "true_rg_kpc", "true_feh"])
        except (KeyError, ValueError, OSError) as err:  # a mock written without truth columns, or no obs_id
            logger.info("members' true slopes left out: %s", err)
            return None
        with np.errstate(invalid="ignore"):
            usable = (np.isfinite(s["rg_kpc"]) & (s["rg_kpc_std"] > 0) & np.isfinite(s["feh"])
                      & (s["feh_err"] > 0))
        s = s[usable].merge(truth, on="obs_id", how="left")
        return member_truth_slopes(s, self.age_bins())

    # ------------------------------------------------------------------ per-star table
    def has_stars(self) -> bool:
        """True when ``OUT/selected`` holds at least one parquet file."""
        return self.selected_dir.is_dir() and any(self.selected_dir.glob("*.parquet"))

    def schema(self) -> list[str]:
        """Column names of the per-star table ([] when absent)."""
        if self._schema is None:
            if not self.has_stars():
                self._schema = []
            else:
                import pyarrow.parquet as pq

                first = sorted(self.selected_dir.glob("*.parquet"))[0]
                self._schema = list(pq.read_schema(first).names)
        return self._schema

    def _physical(self, name: str) -> str:
        pot = self.ctx.potential if hasattr(self, "ctx") else None
        if name in ("rg_kpc", "zmax_kpc", "rg_kpc_std") and pot:
            return f"{name}_{pot}"
        return name

    def stars(self, columns: Sequence[str]) -> pd.DataFrame:
        """The per-star table with only ``columns`` (generic names; cached and extended on demand).

        Raises
        ------
        FileNotFoundError
            When ``OUT/selected`` holds no parquet file.
        KeyError
            When a column is not in the table (names the available ones).
        """
        if not self.has_stars():
            raise FileNotFoundError(
                f"{self.selected_dir} holds no parquet file: run the gradients stage first (mwdisk run)"
            )
        want = list(dict.fromkeys(columns))
        have = [] if self._cache is None else list(self._cache.columns)
        missing = [c for c in want if c not in have]
        if missing:
            phys = {self._physical(c): c for c in missing}
            absent = [p for p in phys if p not in self.schema()]
            if absent:
                raise KeyError(f"column(s) {absent} not in {self.selected_dir}; available: {self.schema()}")
            df = pd.read_parquet(self.selected_dir, columns=list(phys)).rename(columns=phys)
            self._cache = df if self._cache is None else pd.concat(
                [self._cache.reset_index(drop=True), df.reset_index(drop=True)], axis=1)
        return self._cache[want]

    def set_limits(self) -> None:
        """Shared axis ranges of [Fe/H], [a/Fe], R_g and Z_max from the whole base sample (so that Figs. 6
        and 7, and the columns of Figs. 9 and 10, are drawn on the same axes, as in the paper)."""
        if not self.has_stars():
            return
        try:
            s = self.stars(["feh", "afe", "rg_kpc", "zmax_kpc"])
        except KeyError as err:
            logger.warning("axis ranges from defaults: %s", err)
            return
        self.ctx.limits = {
            "feh": axis_limits(s["feh"].to_numpy(), 0.2, 99.8),
            "afe": axis_limits(s["afe"].to_numpy(), 0.2, 99.8),
            "rg": axis_limits(s["rg_kpc"].to_numpy(), 0.5, 99.5),
            "zmax": zmax_limits(s["zmax_kpc"].to_numpy()),
        }

    def selection_column(self, selection: str) -> str:
        return f"sel_{selection}"

    def age_bins(self) -> np.ndarray:
        """Age-bin edges of the run (from ``gradients.csv``, else the default bins)."""
        if self.gradients is not None and len(self.gradients):
            lo = np.unique(self.gradients["bin_lo_gyr"].to_numpy(dtype=float))
            hi = np.unique(self.gradients["bin_hi_gyr"].to_numpy(dtype=float))
            return np.unique(np.concatenate([lo, hi]))
        from mwdisk.gradients import age_bin_edges

        return age_bin_edges()
