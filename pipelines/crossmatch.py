"""The LAMOST -> Gaia positional crossmatch on the cluster, in declination strips.

Spectra are cut into strips of about equal counts; each strip is matched on a worker against the Gaia rows
of its declination range widened by :func:`mwdisk.readers.join.dec_margin_deg` (matching radius plus the
largest proper-motion drift between the epochs), so every candidate of every spectrum is in its strip and the
result is the same as one crossmatch of everything (tested).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mwdisk.readers.join import crossmatch_partition, dec_margin_deg

from .progress import track

__all__ = ["strip_crossmatch"]


def strip_crossmatch(client, n_strips: int | None = None, rows_per_strip: int = 200_000):
    """A drop-in for :func:`crossmatch_partition` that maps it over declination strips on ``client``."""

    def run(spec: pd.DataFrame, gaia: pd.DataFrame, radius_arcsec: float = 1.0, spec_epoch_yr: float = 2000.0,
            propagate_pm: bool = True, ra_col: str = "lamost_ra_deg", dec_col: str = "lamost_dec_deg"):
        k = n_strips or max(1, int(np.ceil(len(spec) / rows_per_strip)))
        dec = spec[dec_col].to_numpy(float)
        edges = (
            np.quantile(dec[np.isfinite(dec)], np.linspace(0, 1, k + 1)) if np.isfinite(dec).any() else [0, 0]
        )
        edges = np.unique(edges)
        edges[0], edges[-1] = -90.0, 90.0 + 1e-9
        own = np.clip(np.searchsorted(edges, dec, side="right") - 1, 0, len(edges) - 2)
        own[~np.isfinite(dec)] = 0
        margin = dec_margin_deg(radius_arcsec, dt_yr=abs(2016.0 - spec_epoch_yr))
        gdec = gaia["dec_deg"].to_numpy(float)
        futures = []
        for s in range(len(edges) - 1):
            part = spec[own == s]
            if part.empty:
                continue
            lo, hi = edges[s] - margin, edges[s + 1] + margin
            g = gaia[(gdec >= lo) & (gdec <= hi)]
            futures.append(client.submit(crossmatch_partition, part, g, radius_arcsec, spec_epoch_yr,
                                         propagate_pm,
                                         ra_col, dec_col, pure=False))
        from distributed import as_completed

        for _ in track(as_completed(futures), len(futures), "ingest: crossmatch", "strip"):
            pass
        results = client.gather(futures)
        matched = pd.concat([m for m, _ in results], ignore_index=True)
        unmatched = pd.concat([u for _, u in results], ignore_index=True)
        return _reorder(matched, spec), _reorder(unmatched, spec) if len(unmatched) else unmatched

    return run


def _reorder(df: pd.DataFrame, spec: pd.DataFrame) -> pd.DataFrame:
    key = "obs_id" if "obs_id" in df.columns and "obs_id" in spec.columns else None
    if key is None or df.empty:
        return df.reset_index(drop=True)
    pos = pd.Series(np.arange(len(spec)), index=spec[key].to_numpy())
    return df.iloc[np.argsort(pos.loc[df[key].to_numpy()].to_numpy(), kind="stable")].reset_index(drop=True)
