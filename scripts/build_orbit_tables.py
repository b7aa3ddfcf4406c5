"""Build the natural-unit orbit tables shipped as ``mwdisk/data/orbit_tables.npz``.

Run once (about 80 s on one core, almost all of it McMillan17, whose DiskSCF model galpy evaluates
slowly in Python), and again after a galpy upgrade if ``mwdisk.potentials`` warns that the tables do not
match:

    python scripts/build_orbit_tables.py [--out PATH] [--names mw14 mcm17 irr13]

The tables are in natural units (v_c(1) = 1 after the homologous rescaling of METHOD.md section 4), so one
file serves every (R0, v0) of a run or a sweep. See ``mwdisk.potentials.TableSpec`` for the grids.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from mwdisk.potentials import POTENTIAL_NAMES, TABLES_PATH, TableSpec, build_tables, save_tables


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=TABLES_PATH)
    ap.add_argument("--names", nargs="+", default=list(POTENTIAL_NAMES), choices=POTENTIAL_NAMES)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    spec = TableSpec()
    tables = {}
    for name in args.names:
        t0 = time.perf_counter()
        tables[name] = build_tables(name, spec)
        logging.info("%s: tables built in %.1f s", name, time.perf_counter() - t0)
    save_tables(args.out, tables, spec)
    logging.info("wrote %s (%.0f kB)", args.out, args.out.stat().st_size / 1024)


if __name__ == "__main__":
    main()
