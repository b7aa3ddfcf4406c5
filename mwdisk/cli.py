"""The ``mwdisk`` command line.

::

    mwdisk run [--catalog DIR] [--out DIR] [--config FILE] [--cluster NAME] [--until STAGE] [--force]
    mwdisk ingest --lamost F --ddpayne F --gaia F --distances F --out DIR   (or --table F --columns MAP.yaml)
    mwdisk mock --n N --seed S --out DIR [--partitions K] [--isochrones dsep|parsec] [...]
    mwdisk validate --data PATH [--out DIR]
    mwdisk stages
    mwdisk grid info [--isochrones dsep|parsec]
    mwdisk config [--config FILE] [--set KEY=VALUE ...]
    mwdisk schema
    mwdisk jobscript --cluster NAME
    mwdisk --version

Bad input is refused before any work starts, with one line on stderr, ``mwdisk: error: <what>, <value>,
<fix>``, and exit code 2 (:data:`REFUSALS`); an unexpected failure gives one line and exit code 1. ``--debug``
shows the traceback instead. Only mwdisk's own loggers log at INFO (``-v``: DEBUG); every other library
(fontTools, matplotlib, bokeh, distributed, ...) logs warnings and errors only.
"""

from __future__ import annotations

import argparse
import logging
import sys

import yaml

from . import __version__
from .config import _jsonable, check_config, load_config

__all__ = ["main", "build_parser", "REFUSALS", "error_line"]

#: Exceptions that mean bad input (a configuration value, a file, a column, an argument): one line, exit 2.
#: ``ConfigError``, ``SchemaError`` and ``AgeOptionError`` are ``ValueError`` subclasses.
REFUSALS: tuple[type[BaseException], ...] = (ValueError, OSError, yaml.YAMLError)

#: Loggers whose own level is INFO (``-v``: DEBUG); the root logger, so every other library, is at WARNING.
OWN_LOGGERS = ("mwdisk",)
#: Loggers quieter still: their warnings are not the user's concern (bokeh: "Host wildcard '*' ...").
QUIET_LOGGERS = {"bokeh.server.util": logging.ERROR}


def error_line(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line ``mwdisk: error: ...`` for an exception that ends a command."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, REFUSALS):
        return 2, f"mwdisk: error: {text}"
    return 1, (f"mwdisk: error: unexpected {type(exc).__name__}: {text}; rerun with --debug for the "
               f"traceback and report it")


def _setup_logging(verbose: bool) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_mwdisk", False)]:
        root.removeHandler(old)  # main() called again in one process (tests): write to the current stderr
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S"))
    h._mwdisk = True  # type: ignore[attr-defined]
    root.addHandler(h)
    root.setLevel(logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)


def _common_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="YAML with the configuration keys to change")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[],
                   help="change one configuration key, e.g. --set phasespace.n_draws=50 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="mwdisk",
        description="Ages, Monte-Carlo phase space, orbits and age-resolved metallicity gradients of "
                    "Milky Way disk stars (Vickers, Shen & Li 2021), on a laptop or a cluster with Dask.",
    )
    ap.add_argument("--version", action="version", version=f"mwdisk {__version__}")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    ap.add_argument("--debug", action="store_true", help="show the traceback of an error")
    # the same two flags after the command (mwdisk run --debug); SUPPRESS keeps a value given before it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="debug logging")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an error")
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", parents=[common],
                       help="run the pipeline (on the built-in mock when no --catalog is given)")
    r.add_argument("--catalog", metavar="DIR", help="partitioned parquet catalogue in the canonical schema")
    r.add_argument("--out", metavar="DIR", help="output folder (default: run.out, mwdisk-out)")
    r.add_argument("--cluster", metavar="NAME",
                   help="local (default), a profile in deploy/ (e.g. gravity-slurm), or tcp://scheduler:port")
    r.add_argument("--workers", type=int, metavar="N", help="LocalCluster workers (default 2)")
    r.add_argument("--until", metavar="STAGE", help="run only the stages this stage needs")
    r.add_argument("--force", action="store_true", help="recompute finished partitions")
    r.add_argument("--isochrones", metavar="FAMILY", help="isochrones for the ages: dsep, parsec or a path")
    r.add_argument("--no-dask", action="store_true", help="run every partition in this process (debugging)")
    _common_config_args(r)

    m = sub.add_parser("mock", parents=[common],
                       help="write the built-in mock catalogue (with true_* columns)")
    m.add_argument("--n", type=int, help="number of stars (default mock.n)")
    m.add_argument("--seed", type=int, help="seed (default run.seed)")
    m.add_argument("--out", required=True, metavar="DIR")
    m.add_argument("--partitions", type=int, metavar="K")
    m.add_argument("--isochrones", choices=["dsep", "parsec", "mist"], help="family used to make the stars")
    m.add_argument("--thin-gradient", type=float, help="dex/kpc at 1 Gyr (default -0.075)")
    m.add_argument("--thin-flattening", type=float, help="dex/kpc/Gyr (default +0.003)")
    m.add_argument("--thick-gradient", type=float, help="dex/kpc (default +0.02)")
    m.add_argument("--duplicate-fraction", type=float)
    m.add_argument("--bad-fraction", type=float, help="share of rows with real-catalogue defects")
    m.add_argument("--true-zmax", action=argparse.BooleanOptionalAction, default=None,
                   help="integrate true orbits for true_zmax_kpc (default: mock.with_true_zmax, off)")
    m.add_argument("--cluster", metavar="NAME")
    m.add_argument("--no-dask", action="store_true")
    _common_config_args(m)

    i = sub.add_parser("ingest", parents=[common],
                       help="survey products (or one joined table) -> a canonical parquet catalogue")
    i.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the catalogue (give it to run --catalog)")
    i.add_argument("--lamost", metavar="F", help="LAMOST DR5 catalogue (FITS)")
    i.add_argument("--ddpayne", metavar="F", help="DD-Payne value-added catalogue (FITS)")
    i.add_argument("--gaia", metavar="F", help="Gaia eDR3 gaia_source rows (FITS, CSV, ECSV or VOTable)")
    i.add_argument("--distances", metavar="F", help="Bailer-Jones (2021) distances (CSV or VOTable)")
    i.add_argument("--table", metavar="F", help="one table you joined yourself (TOPCAT, Gaia archive)")
    i.add_argument("--columns", metavar="MAP.yaml", help="column map of --table onto the canonical schema")
    i.add_argument("--cluster", metavar="NAME", help="where the crossmatch runs (default: a LocalCluster)")
    i.add_argument("--no-dask", action="store_true", help="crossmatch in this process")
    _common_config_args(i)

    w = sub.add_parser("sweep", parents=[common],
                       help="gradients under the other potentials and (R0, v0) of the sweeps section")
    w.add_argument("--out", metavar="DIR", help="the run folder (default: run.out)")
    w.add_argument("--catalog", metavar="DIR", help="as given to mwdisk run (default: the built-in mock)")
    w.add_argument("--cluster", metavar="NAME")
    w.add_argument("--workers", type=int, metavar="N")
    w.add_argument("--force", action="store_true")
    w.add_argument("--no-dask", action="store_true")
    _common_config_args(w)

    v = sub.add_parser("validate", parents=[common],
                       help="ages, orbits and cluster ages against real reference data (Figs. 1, 3, 4)")
    v.add_argument(
        "--data",
        required=True,
        metavar="PATH",
        help="data folder holding validation/ (asteroseismic-ages, apokasc3, open-clusters-ucc) and "
        "isochrones/mist-bc-gaia",
    )
    v.add_argument("--out", metavar="DIR", help="run folder; tables and figures go to OUT/validation")
    _common_config_args(v)

    f = sub.add_parser("figures", parents=[common],
                       help="redraw the figures and the report of a finished run")
    f.add_argument("out", metavar="OUT", help="the run folder")

    sub.add_parser("stages", parents=[common], help="list the stages and what each needs")
    g = sub.add_parser("grid", parents=[common], help="isochrone grids")
    g.add_argument("action", choices=["info"])
    g.add_argument("--isochrones", default="dsep", metavar="FAMILY", help="dsep, parsec or a path")
    c = sub.add_parser("config", parents=[common], help="print the resolved configuration")
    _common_config_args(c)
    sub.add_parser("schema", parents=[common], help="print the canonical catalogue columns")
    j = sub.add_parser("jobscript", parents=[common], help="print the batch job script of a cluster profile")
    j.add_argument("--cluster", required=True, metavar="NAME")
    return ap


def _cfg(args, extra: list[str] | None = None) -> dict:
    """The resolved configuration, its types and then its values' ranges and choices checked."""
    return check_config(load_config(args.config, list(args.set) + (extra or [])))


def _cmd_run(args) -> int:
    extra = []
    if args.catalog:
        extra.append(f"run.catalog={args.catalog}")
    if args.out:
        extra.append(f"run.out={args.out}")
    if args.cluster:
        extra.append(f"cluster.name={args.cluster}")
    if args.workers:
        extra.append(f"cluster.n_workers={args.workers}")
    if args.isochrones:
        extra.append(f"run.isochrones={args.isochrones}")
    cfg = _cfg(args, extra)
    from mwdisk.pipelines.run import run_pipeline
    from mwdisk.pipelines.summary import print_summary

    summaries = run_pipeline(cfg, until=args.until, force=args.force, client=False if args.no_dask else None)
    print_summary(cfg, summaries)
    return 0


def _cmd_ingest(args) -> int:
    from .readers import ingest_products

    cfg = _cfg(args, [f"cluster.name={args.cluster}"] if args.cluster else [])
    ic = cfg["ingest"]

    def job(client):
        if client is not None:
            from mwdisk.pipelines.crossmatch import strip_crossmatch

        return ingest_products(
            lamost=args.lamost, ddpayne=args.ddpayne, gaia=args.gaia, distances=args.distances,
            table=args.table, columns=args.columns, out_dir=args.out, params=ic["params"],
            rv_source=ic["rv_source"], xm_radius_arcsec=ic["xm_radius_arcsec"],
            lamost_epoch_yr=ic["lamost_epoch_yr"], propagate_pm=ic["xm_propagate_pm"],
            distance_kind=ic["distance_kind"], alpha_column=ic["alpha_column"], stars_only=ic["stars_only"],
            partition_rows=int(cfg["run"]["partition_rows"]),
            crossmatch=strip_crossmatch(client) if client is not None else None,
        )

    # only a positional crossmatch needs workers; a user table or source_id joins run in this process
    if args.no_dask or args.table is not None or args.gaia is None:
        path = job(None)
    else:
        from mwdisk.pipelines.run import with_client

        path = with_client(cfg, job, no_dask=False)
    print(f"canonical catalogue written to {path}; next: mwdisk run --catalog {path}")
    return 0


def _cmd_sweep(args) -> int:
    extra = [f"run.{k}={getattr(args, k)}" for k in ("out", "catalog") if getattr(args, k)]
    if args.cluster:
        extra.append(f"cluster.name={args.cluster}")
    if args.workers:
        extra.append(f"cluster.n_workers={args.workers}")
    cfg = _cfg(args, extra)
    from mwdisk.pipelines.run import run_pipeline, with_client
    from mwdisk.pipelines.sweep import run_sweep

    def job(client):
        run_pipeline(cfg, until="gradients", client=client if client is not None else False)
        run_sweep(client, cfg, force=args.force)
        from mwdisk.pipelines.run import run_report_stage

        run_report_stage(cfg)

    with_client(cfg, job, no_dask=args.no_dask)
    print(f"sweep finished: rows added to {cfg['run']['out']}/gradients.csv and trends.csv")
    return 0


def _cmd_validate(args) -> int:
    from .ages import AgeOptions
    from .frame import GalacticFrame
    from .validation import run_validation

    cfg = _cfg(args, [f"run.out={args.out}"] if args.out else [])
    v = cfg["validation"]
    summary = run_validation(
        args.data, cfg["run"]["out"], isochrones=cfg["run"]["isochrones"],
        frame=GalacticFrame.from_config(cfg["frame"]), potential=cfg["run"]["potential"],
        orbit_method=cfg["orbits"]["method"], seed=int(cfg["run"]["seed"]),
        cluster_radius_r50=v["cluster_radius_r50"], cluster_dist_tol_frac=v["cluster_dist_tol_frac"],
        cluster_feh_tol_dex=v["cluster_feh_tol_dex"], logg_err_floor=v["logg_err_floor"],
        age_options=AgeOptions.from_config(cfg["ages"]),
    )
    print(f"validation written to {cfg['run']['out']}/validation ({len(summary)} summary entries); "
          f"`mwdisk figures {cfg['run']['out']}` adds it to the report")
    return 0


def _cmd_figures(args) -> int:
    from .report import write_report

    path = write_report(args.out)
    print(f"figures in {args.out}/figures, report {path}")
    return 0


def _cmd_mock(args) -> int:
    extra = []
    for key, val in (("n", args.n), ("partitions", args.partitions), ("isochrones", args.isochrones),
                     ("thin_gradient", args.thin_gradient), ("thin_flattening", args.thin_flattening),
                     ("thick_gradient", args.thick_gradient), ("duplicate_fraction", args.duplicate_fraction),
                     ("bad_fraction", args.bad_fraction)):
        if val is not None:
            extra.append(f"mock.{key}={val}")
    if args.true_zmax is not None:
        extra.append(f"mock.with_true_zmax={'true' if args.true_zmax else 'false'}")
    if args.seed is not None:
        extra.append(f"run.seed={args.seed}")
    if args.cluster:
        extra.append(f"cluster.name={args.cluster}")
    cfg = _cfg(args, extra)
    from mwdisk.pipelines.mock import ensure_mock

    if args.no_dask:
        path = ensure_mock(None, cfg, args.out)
    else:
        from mwdisk.pipelines.clusters import start_client

        client, cluster = start_client(cfg["cluster"])
        print(f"Dask dashboard: {client.dashboard_link}", flush=True)
        try:
            path = ensure_mock(client, cfg, args.out)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    print(f"mock catalogue written to {path}")
    return 0


def _cmd_stages(args) -> int:
    from .stages import STAGES

    for s in STAGES.values():
        needs = ", ".join(s.needs) or "-"
        dep = ", ".join(sorted(s.depends)) or "-"
        print(f"{s.name:<11} needs: {needs:<38} varies with: {dep:<16} {s.description}")
    return 0


def _cmd_grid(args) -> int:
    from .isochrones.info import grid_info

    print(grid_info(args.isochrones))
    return 0


def _cmd_config(args) -> int:
    print(yaml.safe_dump(_jsonable(_cfg(args)), sort_keys=False), end="")
    return 0


def _cmd_schema(args) -> int:
    from .schema import CATALOG_COLUMNS

    for c in CATALOG_COLUMNS.values():
        req = "required" if c.required else "optional"
        print(f"{c.name:<22} {c.kind:<6} {c.unit or '-':<7} {req:<9} {c.description}")
    return 0


def _cmd_jobscript(args) -> int:
    from mwdisk.pipelines.clusters import find_profile, make_jobqueue_cluster

    cluster = make_jobqueue_cluster(find_profile(args.cluster), preview=True)
    try:
        print(cluster.job_script())
    finally:
        cluster.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    handler = {"run": _cmd_run, "mock": _cmd_mock, "sweep": _cmd_sweep, "ingest": _cmd_ingest,
               "validate": _cmd_validate, "figures": _cmd_figures, "stages": _cmd_stages, "grid": _cmd_grid,
               "config": _cmd_config, "schema": _cmd_schema, "jobscript": _cmd_jobscript}[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("mwdisk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one place an exception becomes the user's line
        if args.debug:
            raise
        code, line = error_line(exc)
        print(line, file=sys.stderr)
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
