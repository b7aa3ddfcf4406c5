"""Joining the products into canonical rows: by Gaia ``source_id`` where a catalogue carries it, else by a
positional crossmatch LAMOST -> Gaia; then Bailer-Jones distances by ``source_id``.

:func:`ingest_products` is the entry point (files in, parquet catalogue out). The steps it runs live in
modules of one concept each, and are re-exported here:

- :mod:`mwdisk.readers.crossmatch`: :func:`crossmatch_partition`, the positional crossmatch with Gaia
  positions moved to the spectra's epoch (:func:`propagate_positions`, :data:`GAIA_EPOCH_YR`), and the
  partition margin :func:`dec_margin_deg` (the epoch and matching choices are described there).
- :mod:`mwdisk.readers.keyjoin`: :func:`join_by_source_id`, :func:`merge_spectra` (LAMOST + DD-Payne) and
  :func:`attach_distances` (Bailer-Jones).
- :mod:`mwdisk.readers.canonical`: :func:`canonical_frame` (schema columns, parameter and RV sources) and
  :func:`write_catalog` (parquet partitions).

Everything here takes pandas frames and returns pandas frames: ``crossmatch_partition`` is the per-partition
function the orchestration runs on the cluster.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..schema import SchemaError
from .canonical import canonical_frame, write_catalog
from .crossmatch import GAIA_EPOCH_YR, crossmatch_partition, dec_margin_deg, propagate_positions
from .keyjoin import attach_distances, join_by_source_id, merge_spectra

__all__ = [
    "GAIA_EPOCH_YR",
    "propagate_positions",
    "dec_margin_deg",
    "crossmatch_partition",
    "join_by_source_id",
    "merge_spectra",
    "attach_distances",
    "canonical_frame",
    "write_catalog",
    "ingest_products",
]

logger = logging.getLogger(__name__)


def ingest_products(lamost=None, ddpayne=None, gaia=None, distances=None, table=None, columns=None,
                    out_dir=None, *, params: str = "ddpayne", rv_source: str = "lamost",
                    xm_radius_arcsec: float = 1.0, lamost_epoch_yr: float = 2000.0, propagate_pm: bool = True,
                    distance_kind: str = "geo", alpha_column: str = "alpha_fe", stars_only: bool = True,
                    lamost_gaia_id_column: str | None = None, fill: dict | None = None,
                    partition_rows: int = 50_000, crossmatch=None) -> Path:
    """Read survey products (or one user table), join them and write the canonical parquet catalogue.

    Either ``table`` with ``columns`` (a column-map YAML), or the products: a spectroscopic catalogue
    (``lamost`` and/or ``ddpayne``), ``gaia`` and optionally ``distances``. Every file's columns are checked
    from its header before any rows are read. The result is what ``mwdisk run --catalog out_dir`` (and
    :func:`mwdisk.pipelines.ingest.run_ingest`) takes; de-duplication of repeat spectra happens there.

    Parameters
    ----------
    lamost, ddpayne, gaia, distances, table : path, optional
        Product files (see :mod:`mwdisk.readers`).
    columns : path, optional
        Column map of ``table`` (see :mod:`mwdisk.readers.table`).
    out_dir : path
        Output folder.
    params : {"ddpayne", "lamost"}
        [CHOICE] stellar parameters from DD-Payne (default) or the LAMOST pipeline (needs the A/F/G/K
        stellar catalogue as ``lamost``).
    rv_source : {"lamost", "gaia", "lamost_then_gaia"}
        [CHOICE] radial velocities.
    xm_radius_arcsec, lamost_epoch_yr, propagate_pm
        Crossmatch radius [CHOICE, 1"], epoch of the LAMOST positions, and whether Gaia positions are
        moved to it with their proper motions (see :mod:`mwdisk.readers.crossmatch`).
    distance_kind : {"geo", "photogeo"}
        [CHOICE] Bailer-Jones distance kind.
    alpha_column : {"alpha_fe", "mg_fe"}
        [CHOICE] DD-Payne column taken as [alpha/Fe].
    stars_only : bool
        Keep only LAMOST rows of class STAR.
    lamost_gaia_id_column : str, optional
        A LAMOST column holding Gaia eDR3 source_ids: join by id instead of position.
    fill : dict, optional
        Fill defaults for ``table`` (keys of :data:`mwdisk.readers.table.DEFAULT_FILL`).
    partition_rows : int
        Rows per written partition.
    crossmatch : callable, optional
        Replaces :func:`crossmatch_partition` (same signature), e.g. the declination-strip version that runs
        on a Dask cluster (``mwdisk.pipelines.crossmatch.strip_crossmatch``).

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    SchemaError
        A file lacks a needed column (naming the file, the column and the product), or the joined catalogue
        fails :func:`mwdisk.schema.validate_catalog`.
    """
    from . import bailerjones
    from . import ddpayne as ddp
    from . import gaia as gaia_mod
    from . import lamost as lam
    from . import table as tab

    if out_dir is None:
        raise ValueError("out_dir is required: the folder to write the canonical catalogue to")
    if table is not None:
        if columns is None:
            raise SchemaError(f"{table}: a user table needs its column map (--columns MAP.yaml)")
        if any(x is not None for x in (lamost, ddpayne, gaia, distances)):
            raise SchemaError("give either --table (with --columns) or the product files, not both")
        df = tab.read_table(table, columns, fill=fill)
        return write_catalog(df, out_dir, partition_rows)
    if gaia is None:
        raise SchemaError("the product route needs a Gaia eDR3 gaia_source file (--gaia)")
    # 1. refuse bad files before reading any rows
    if lamost is not None:
        lam.check_lamost(lamost, params=(params == "lamost"), gaia_id_column=lamost_gaia_id_column)
    elif params == "lamost":
        raise SchemaError("params='lamost' takes Teff, log g, [Fe/H] from the LAMOST A/F/G/K stellar "
                          "catalogue: give it as --lamost")
    if ddpayne is not None:
        ddp.check_ddpayne(ddpayne, alpha_column)
    elif lamost is None:
        raise SchemaError("no spectroscopic catalogue given: pass --lamost and/or --ddpayne")
    gaia_mod.check_gaia(gaia)
    if distances is not None:
        bailerjones.check_distances(distances, distance_kind)
    # 2. read
    spec = merge_spectra(
        lam.read_lamost(lamost, params=(params == "lamost"), stars_only=stars_only,
                        gaia_id_column=lamost_gaia_id_column) if lamost is not None else None,
        ddp.read_ddpayne(ddpayne, alpha_column) if ddpayne is not None else None,
    )
    g = gaia_mod.read_gaia(gaia)
    # 3. join
    if "source_id" in spec.columns:
        matched, unmatched = join_by_source_id(spec, g, spec_epoch_yr=lamost_epoch_yr)
    else:
        xm = crossmatch or crossmatch_partition  # the cluster's strip-wise version has the same signature
        matched, unmatched = xm(spec, g, xm_radius_arcsec, lamost_epoch_yr, propagate_pm)
    if len(unmatched):
        logger.warning("%d of %d spectra have no Gaia source (within %.2f arcsec or by id); "
                       "kept in _unmatched", len(unmatched), len(spec), xm_radius_arcsec)
    dist = bailerjones.read_distances(distances, distance_kind) if distances is not None else None
    joined = attach_distances(matched, dist)
    if "afe" not in joined:  # LAMOST alone: LASP has no [alpha/Fe]
        joined["afe"] = np.nan
        joined["afe_err"] = np.nan
    if params == "ddpayne" and "teff_k" not in joined:
        raise SchemaError(
            "params='ddpayne' needs the DD-Payne catalogue (--ddpayne), or choose params='lamost'"
        )
    df = canonical_frame(joined, params=params, rv_source=rv_source)
    return write_catalog(
        df, out_dir, partition_rows, extra={"unmatched": unmatched} if len(unmatched) else None
    )
