"""The gradient-age law fitted by likelihood on the cluster (issue 19): a map-reduce per evaluation.

Each partition's members of every (selection, radius) are loaded once on the workers
(:func:`load_partition`: cuts and selections exactly as the gradients stage's
:func:`mwdisk.partitions.gradients.gradients_partition`, the stored G functions, [Fe/H], its error, the
radius and its Monte-Carlo spread; 104 bytes a star) and stay there as futures. The optimiser runs on the
client (:func:`mwdisk.gradients.fit_law`); every evaluation maps :func:`mwdisk.gradients.law_block_sums`
over the partitions for the current parameters and adds the returned exact block sums (a few thousand
Python integers per partition). Nothing per star leaves the workers, so the client's memory does not grow
with the number of stars, and the fit is bit-identical for any partitioning and any number of workers.

``client=None`` runs every partition in this process (same code, same numbers).

Output ``OUT/gradient_law.csv`` (:data:`mwdisk.gradients.LAW_COLUMNS`): per (selection, potential, R0, v0,
radius) one row per derived quantity (:data:`mwdisk.gradients.DERIVED` and the gradient at each of
``curve_ages_gyr``) with its Hessian error, its bootstrap standard deviation and the number of stars fitted,
and the model in words (``model``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mwdisk.ages import AgeFlag, decode_G, grid_has_cheb
from mwdisk.gradients.law import (
    LAW_COLUMNS,
    LawData,
    LawOptions,
    LawSpec,
    fit_law,
    law_block_sums,
    law_data,
    sum_blocks,
)
from mwdisk.isochrones import load_grid
from mwdisk.layout import RunLayout, Variant
from mwdisk.selections import cut_masks, selection_masks
from mwdisk.stages import default_variant, read_partition_inputs

__all__ = ["fit_gradient_law", "load_partition", "fit_law_partitions", "write_law_table"]

logger = logging.getLogger(__name__)


def _radius_columns(potential: str) -> dict[str, tuple[str, str, str]]:
    """radius name -> (potential label, radius column, its Monte-Carlo spread column)."""
    return {"rg": (potential, f"rg_kpc_{potential}", f"rg_kpc_std_{potential}"),
            "rpresent": ("none", "R_present_kpc", "R_kpc_std")}


def partition_law_data(df: pd.DataFrame, cfg: dict, potential: str, isochrones: str,
                       options: LawOptions) -> tuple[dict[tuple[str, str], LawData], dict[str, int]]:
    """The law's members of one partition frame: {(selection, radius): LawData} and counts of stars dropped.

    ``df`` holds the ingest, ages, phase-space and orbit columns (what the gradients stage reads). The
    selections are those of the gradients stage (same cuts, same edge and core-helium flags).
    """
    params = {**cfg["cuts"], **cfg["selections"]}
    cuts = cut_masks(df, params)
    flags = df["age_flags"].to_numpy(np.int64)
    edge = (flags & int(AgeFlag.EDGE_LO | AgeFlag.EDGE_HI)) != 0
    cheb = (flags & int(AgeFlag.CHEB)) != 0 if grid_has_cheb(isochrones) else None
    masks = selection_masks(df, params, {"zmax_kpc": f"zmax_kpc_{potential}"}, base=cuts["age_err"],
                            edge_flag=edge, cheb_flag=cheb)
    unknown = sorted(set(options.selections) - set(masks))
    if unknown:
        raise ValueError(f"gradient_law.selections has {unknown}, not selections of this run; "
                         f"known: {sorted(masks)}")
    seed, nb = int(cfg["run"]["seed"]), options.n_blocks
    out: dict[tuple[str, str], LawData] = {}
    dropped: dict[str, int] = {}
    n_age = len(load_grid(isochrones).ages_gyr)
    for sel in options.selections:
        m = np.asarray(masks[sel], dtype=bool)
        sub = df[m]
        G = decode_G(sub["age_G_u16"].to_numpy(), n_age) if len(sub) else np.zeros((0, n_age))
        for radius in options.radii:
            _, rc, rec = _radius_columns(potential)[radius]
            data, n_drop = law_data(G, sub["feh"].to_numpy(), sub["feh_err"].to_numpy(), sub[rc].to_numpy(),
                                    sub[rec].to_numpy(), sub["source_id"].to_numpy(), seed=seed, n_blocks=nb)
            out[(sel, radius)] = data
            dropped[f"{sel}:{radius}"] = n_drop
    return out, dropped


def load_partition(i: int, out: str, cfg: dict, variant: Variant, options: LawOptions) -> dict:
    """Worker task: partition ``i``'s members of every (selection, radius), kept on the worker."""
    layout = RunLayout(out, default_variant(cfg))
    df = read_partition_inputs(layout, "gradients", i, variant)
    parts, _ = partition_law_data(df, cfg, variant.potential, cfg["run"]["isochrones"], options)
    return parts


def _eval(parts: dict, key: tuple, theta: np.ndarray, spec: LawSpec, n_blocks: int) -> np.ndarray:
    return law_block_sums(theta, spec, parts[key], n_blocks)


def _size(parts: dict, key: tuple) -> int:
    return parts[key].n


def fit_law_partitions(client, parts: list, key: tuple, spec: LawSpec, *, seed: int = 0):
    """Fit the law on the members ``key`` of every partition.

    Parameters
    ----------
    client : distributed.Client or None
        With a client, ``parts`` are futures of the per-partition dicts (on the workers); without, the dicts.
    parts : list
        Per partition, {(selection, radius): LawData} (or a future of it).
    key : tuple
        (selection, radius).
    spec : LawSpec
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    LawFit or None
        None when fewer than ``spec.options.min_stars`` stars are usable.
    """
    nb = spec.options.n_blocks
    if client is None:
        n = sum(p[key].n for p in parts)

        def evaluate(theta):
            return sum_blocks([law_block_sums(theta, spec, p[key], nb) for p in parts])
    else:
        n = sum(client.gather([client.submit(_size, p, key, pure=False) for p in parts]))
        [spec_f] = client.scatter([spec], broadcast=True)

        def evaluate(theta):
            futs = [client.submit(_eval, p, key, theta, spec_f, nb, pure=False) for p in parts]
            return sum_blocks(client.gather(futs))
    if n < spec.options.min_stars:
        logger.info("gradient law %s: %d stars, fewer than min_stars = %d; not fitted", key, n,
                    spec.options.min_stars)
        return None
    return fit_law(evaluate, spec, n, seed=seed)


def fit_gradient_law(client, cfg: dict, out: str | Path, variant: Variant | None = None,
                     options: LawOptions | None = None, write: bool = True) -> pd.DataFrame:
    """Fit the gradient-age law for every selection and radius of one (frame, potential) variant.

    Needs the run's ingest, ages, phasespace and orbits outputs of the variant (what the gradients stage
    reads). Writes (or updates this variant's rows of) ``OUT/gradient_law.csv`` when ``write``.

    Parameters
    ----------
    client : distributed.Client or None
        None runs in this process.
    cfg : dict
        The resolved configuration; section ``gradient_law`` (optional) gives the :class:`LawOptions`.
    out : path
        The run folder.
    variant : Variant, optional
        Default: the run's frame and potential.
    options : LawOptions, optional
        Overrides ``cfg["gradient_law"]``.

    Returns
    -------
    pandas.DataFrame
        The rows written, columns :data:`mwdisk.gradients.LAW_COLUMNS`.
    """
    out = Path(out)
    options = options or LawOptions.from_config(cfg.get("gradient_law"))
    variant = variant or default_variant(cfg)
    layout = RunLayout(out, default_variant(cfg))
    n = layout.n_partitions()
    spec = LawSpec.build(load_grid(cfg["run"]["isochrones"]).ages_gyr, options)
    seed = int(cfg["run"]["seed"])
    t0 = time.time()
    if client is None:
        parts = [load_partition(i, str(out), cfg, variant, options) for i in range(n)]
    else:
        parts = client.map(load_partition, range(n), out=str(out), cfg=cfg, variant=variant, options=options,
                           pure=False)
    rows = []
    try:
        for sel in options.selections:
            for radius in options.radii:
                t1 = time.time()
                fit = fit_law_partitions(client, parts, (sel, radius), spec, seed=seed)
                if fit is None:
                    continue
                pot = _radius_columns(variant.potential)[radius][0]
                for r in fit.rows():
                    rows.append({"selection": sel, "potential": pot, "R0_kpc": float(variant.R0_kpc),
                                 "v0_kms": float(variant.vcirc_kms), "radius": radius, **r,
                                 "n_stars": fit.n_stars, "model": options.model_label()})
                g1, fl = "gradient_at_1gyr_dex_per_kpc", "flattening_dex_per_kpc_per_gyr"
                logger.info("gradient law %s %s: %d stars, %d evaluations, %.1f s; g(1 Gyr) %+.4f +- %.4f, "
                            "flattening %+.5f +- %.5f", sel, radius, fit.n_stars, fit.n_eval,
                            time.time() - t1,
                            fit.derived[g1], fit.err[g1], fit.derived[fl], fit.err[fl])
    finally:
        if client is not None:
            client.cancel(parts)
    table = pd.DataFrame(rows, columns=list(LAW_COLUMNS))
    if write:
        write_law_table(out, table)
    n_fits = table.groupby(["selection", "radius"]).ngroups if len(table) else 0
    logger.info("gradient law: %d fits in %.1f s", n_fits, time.time() - t0)
    return table


def write_law_table(out: str | Path, table: pd.DataFrame) -> None:
    """Write ``OUT/gradient_law.csv``, replacing the rows of the variants (R0, v0, potential) in ``table``."""
    path = Path(out) / "gradient_law.csv"
    keys = ["selection", "potential", "R0_kpc", "v0_kms", "radius"]
    df = table
    if path.is_file():
        old = pd.read_csv(path)
        if len(table):
            variants = table[["potential", "R0_kpc", "v0_kms"]].drop_duplicates()
            hit = old.merge(variants, on=["potential", "R0_kpc", "v0_kms"], how="left", indicator=True)
            old = old[(hit["_merge"] == "left_only").to_numpy()]
        df = pd.concat([old, table], ignore_index=True)
    if len(df):
        order = {p: k for k, p in enumerate(dict.fromkeys(table["parameter"]))} if len(table) else {}
        df = df.assign(_o=df["parameter"].map(order).fillna(len(order))).sort_values(
            [*keys, "_o"], kind="stable").drop(columns="_o")
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False)
    tmp.replace(path)
