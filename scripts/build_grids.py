#!/usr/bin/env python
"""Build the isochrone grids shipped in ``mwdisk/data`` from the development inputs.

Usage::

    python scripts/build_grids.py [INPUT_DIR] [--out-dir mwdisk/data] [--families dsep parsec]

INPUT_DIR (default ``../shared/data/isochrones`` relative to the repository) holds
``lachesis/dartmouth_dsep.h5``, ``lachesis/parsec_v1.25.h5`` (sparse_v1 HDF5 cubes on native EEPs) and
``mist-bc-gaia/mist_bc_ubvriplus_gaia_2mass.h5`` (MIST Gaia EDR3 bolometric corrections).

Method: the native isochrones (scaled-solar, [Fe/H] = [M/H]) are interpolated linearly in log10(age) and then in
[Fe/H], always at fixed EEP over the EEPs common to the bracketing nodes, onto the paper's ages and the default
[M/H]_eff axis; points with non-increasing initial mass are dropped; Gaia G/BP/RP = Mbol - BC(Teff, log g,
[M/H], A_V=0) from the MIST table; band extinction per A_V = BC(A_V=0) - BC(A_V=1). PARSEC is cut at the tip of
the red giant branch (last point of phase label <= 3) like DSEP. The files record their provenance.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np

from mwdisk.isochrones.bolometric import BCTable, read_mist_bc_table
from mwdisk.isochrones.composition import default_ages_gyr, default_mh_nodes
from mwdisk.isochrones.grid import POINT_COLUMNS, QUANTA, IsochroneGrid, quantize, write_grid_h5
from mwdisk.isochrones.interpolate import NativeCube, interpolate_isochrone

logger = logging.getLogger("build_grids")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = REPO.parent / "shared" / "data" / "isochrones"
INPUTS = {
    "dsep": "lachesis/dartmouth_dsep.h5",
    "parsec": "lachesis/parsec_v1.25.h5",
    "bc": "mist-bc-gaia/mist_bc_ubvriplus_gaia_2mass.h5",
}
MBOL_SUN = 4.74  # MIST convention, also DSEP's Mbol column (checked: Mbol = 4.74 - 2.5 log L to 1e-6)
#: PARSEC phase label of the red giant branch (lachesis labels: 0 PMS, 1 MS, 2 SGB, 3 RGB, 4 CHeB, ...).
PARSEC_RGB_LABEL = 3.0
#: Only native ages from this log10(age/yr) up are read (the grid starts at 1 Gyr).
LOG_AGE_MIN = 8.9


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "scripts/build_grids.py", "mwdisk/isochrones"],
            cwd=REPO, capture_output=True, text=True, timeout=10,
        ).stdout.strip()
        return out.stdout.strip() + ("+uncommitted-changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def read_lachesis_cube(path: Path, family: str, log_age_min: float = LOG_AGE_MIN) -> NativeCube:
    """Read a lachesis sparse_v1 grid into a dense (feh, log age, EEP) cube of mass, log Teff, log g, log L.

    DSEP tracks lose their final point where float32 initial masses tie at the RGB tip. PARSEC tracks are cut
    after the last point with phase label <= 3 (tip of the RGB).
    """
    import h5py

    with h5py.File(path, "r") as f:
        cols = [c.decode() if isinstance(c, bytes) else str(c) for c in f.attrs["columns"]]
        feh = np.asarray(f["feh_values"][...], float)
        log_age = np.asarray(f["age_values"][...], float)
        eep_nodes = np.asarray(f["eep_values"][...], float)
        lengths = np.asarray(f["lengths"][...], np.int64)
        values = f["values"][...]
    starts = np.concatenate([[0], np.cumsum(lengths)])
    keep_age = np.flatnonzero(log_age >= log_age_min - 1e-9)
    eep_int = np.round(eep_nodes).astype(int)
    eep_min = eep_int.min()
    cube = np.full((feh.size, keep_age.size, eep_int.size, 4), np.nan)
    qcols = [cols.index(c) for c in ("initial_mass", "log_Teff", "log_g", "log_L")]
    ic_eep, ic_age, ic_phase = cols.index("eep"), cols.index("age"), cols.index("phase")
    for i in range(feh.size):
        for jj, j in enumerate(keep_age):
            k = i * log_age.size + j
            if lengths[k] == 0:
                continue
            t = values[starts[k] : starts[k + 1]].astype(np.float64)
            if not np.allclose(t[:, ic_age], log_age[j], atol=1e-3):
                raise ValueError(f"{path}: track {k} has age {t[0, ic_age]}, expected {log_age[j]}")
            if family == "parsec":
                rgb = np.flatnonzero(t[:, ic_phase] <= PARSEC_RGB_LABEL + 1e-6)
                t = t[: rgb[-1] + 1]
            eep = np.round(t[:, ic_eep]).astype(int)
            mass = t[:, qcols[0]]
            prev = np.maximum.accumulate(np.concatenate([[-np.inf], mass[:-1]]))
            t = t[mass > prev]
            eep = eep[mass > prev]
            cube[i, jj, eep - eep_min] = t[:, qcols]
    return NativeCube(comp=feh, log_age=log_age[keep_age], eep=eep_int.astype(float), values=cube)


def build_grid(
    cube: NativeCube,
    bc: BCTable,
    family: str,
    ages_gyr: np.ndarray,
    mh_nodes: np.ndarray,
    provenance: dict,
) -> IsochroneGrid:
    """Interpolate the cube onto (mh_nodes x ages_gyr) at fixed EEP and attach Gaia magnitudes."""
    cols: dict[str, list] = {c: [] for c in POINT_COLUMNS}
    iso_age_idx, iso_mh, lengths = [], [], []
    for mh in mh_nodes:
        for j, age in enumerate(ages_gyr):
            iso = interpolate_isochrone(cube, float(mh), float(np.log10(age * 1e9)))
            n = iso["eep"].size
            if n < 2:
                raise ValueError(f"{family}: isochrone at [M/H]={mh}, age={age} Gyr has {n} points")
            teff = 10.0 ** iso["log_teff"]
            mbol = MBOL_SUN - 2.5 * iso["logl"]
            mags = bc.magnitudes(mbol, mh, teff, iso["logg"])
            ext = bc.extinction_per_av(mh, teff, iso["logg"], 1.0)
            new = {
                "eep": iso["eep"], "mass_init_msun": iso["mass_init_msun"], "teff_k": teff, "logg": iso["logg"],
                "logl": iso["logl"], "mbol_mag": mbol, "g_mag": mags[:, 0], "bp_mag": mags[:, 1],
                "rp_mag": mags[:, 2], "ag_per_av": ext[:, 0], "abp_per_av": ext[:, 1], "arp_per_av": ext[:, 2],
            }
            for c in POINT_COLUMNS:
                cols[c].append(new[c])
            iso_age_idx.append(j)
            iso_mh.append(mh)
            lengths.append(n)
    iso_mh_arr = np.asarray(iso_mh)
    return IsochroneGrid(
        family=family,
        comp_axis="mh",
        ages_gyr=ages_gyr,
        iso_age_idx=np.asarray(iso_age_idx),
        iso_mh=iso_mh_arr,
        iso_feh=iso_mh_arr,
        iso_afe=np.zeros_like(iso_mh_arr),
        iso_start=np.concatenate([[0], np.cumsum(lengths)]),
        provenance=provenance,
        **{c: np.concatenate(v) for c, v in cols.items()},
    )


METHOD = (
    "Native scaled-solar isochrones ([Fe/H]=[M/H]_eff, [alpha/Fe]=0) interpolated linearly in log10(age) then "
    "linearly in [Fe/H] at fixed EEP (never across EEPs), over the EEPs common to the bracketing nodes; "
    "nodes within 1e-4 dex are taken as they are. Points whose initial mass does not exceed all earlier "
    "points are dropped (float32 ties at the RGB tip). Teff = 10**logTeff, Mbol = 4.74 - 2.5 log L. Gaia EDR3 "
    "G, BP, RP = Mbol - BC(Teff, log g, [M/H], A_V=0), BC multilinear in the MIST v1.2 table (Rv=3.1); "
    "band/A_V = BC(A_V=0) - BC(A_V=1). Stored as integers of fixed quanta (see storage_quanta), delta-coded, "
    "gzip level 9 + shuffle."
)


def build_family(
    family: str,
    input_dir: Path,
    out_path: Path | None,
    ages_gyr: np.ndarray | None = None,
    mh_nodes: np.ndarray | None = None,
    bc: BCTable | None = None,
) -> IsochroneGrid:
    """Build one family's grid (optionally a slice: given ages / [M/H] nodes) and write it if out_path."""
    input_dir = Path(input_dir)
    ages_gyr = default_ages_gyr() if ages_gyr is None else np.asarray(ages_gyr, float)
    mh_nodes = default_mh_nodes() if mh_nodes is None else np.asarray(mh_nodes, float)
    src = input_dir / INPUTS[family]
    bc_path = input_dir / INPUTS["bc"]
    if bc is None:
        bc = read_mist_bc_table(bc_path)
    cube = read_lachesis_cube(src, family)
    provenance = {
        "family": family,
        "inputs": {
            str(INPUTS[family]): {"sha256": sha256(src), "bytes": src.stat().st_size},
            str(INPUTS["bc"]): {"sha256": sha256(bc_path), "bytes": bc_path.stat().st_size},
        },
        "input_origin": "see SOURCES.md next to each input (lachesis-grids 0.0.9 wheel; astroLACHESIS 1.0.9)",
        "method": METHOD,
        "native_feh_nodes": cube.comp.tolist(),
        "native_log_age_nodes": np.round(cube.log_age, 4).tolist(),
        "ages_gyr": ages_gyr.tolist(),
        "mh_nodes": mh_nodes.tolist(),
        "eep_cut": "RGB tip (DSEP ends there; PARSEC cut at last phase<=3 point)",
        "script": "scripts/build_grids.py",
        "script_commit": git_commit(),
        "build_date_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numpy": np.__version__,
        "storage_quanta": QUANTA,
    }
    grid = quantize(build_grid(cube, bc, family, ages_gyr, mh_nodes, provenance))
    if out_path is not None:
        sub = bc.subset(
            (float(mh_nodes.min()), float(mh_nodes.max())),
            (float(grid.teff_k.min()), float(grid.teff_k.max())),
        )
        write_grid_h5(grid, out_path, bc_table=sub)
    return grid


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input_dir", nargs="?", type=Path, default=DEFAULT_INPUT, help="isochrone inputs folder")
    ap.add_argument("--out-dir", type=Path, default=REPO / "mwdisk" / "data")
    ap.add_argument("--families", nargs="+", default=["dsep", "parsec"], choices=["dsep", "parsec"])
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.input_dir.is_dir():
        ap.error(f"input folder {args.input_dir} not found; pass the folder holding lachesis/ and mist-bc-gaia/")
    bc = read_mist_bc_table(args.input_dir / INPUTS["bc"])
    for fam in args.families:
        out = args.out_dir / f"isochrones_{fam}.h5"
        grid = build_family(fam, args.input_dir, out, bc=bc)
        logger.info("%s: %d isochrones, %d points, %.2f MB", out, grid.n_iso, grid.n_pts, out.stat().st_size / 1e6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
