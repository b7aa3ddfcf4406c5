#!/usr/bin/env python
"""Build the isochrone grids shipped in ``mwdisk/data`` from the development inputs.

Usage::

    python scripts/build_grids.py [INPUT_DIR] [--out-dir mwdisk/data] [--families dsep parsec mist]

INPUT_DIR (default ``../shared/data/isochrones`` relative to the repository) holds
``lachesis/dartmouth_dsep.h5``, ``lachesis/parsec_v1.25.h5``, ``lachesis/mist_v2.5_vvcrit0.4.h5`` (sparse_v1
HDF5 cubes on native EEPs) and ``mist-bc-gaia/mist_bc_ubvriplus_gaia_2mass.h5`` (MIST Gaia EDR3 bolometric
corrections).

Method: the native isochrones (scaled-solar, [Fe/H] = [M/H]) are interpolated linearly in log10(age) and then
in [Fe/H], always at fixed EEP over the EEPs common to the bracketing nodes, onto the paper's ages and the
default [M/H]_eff axis; points with non-increasing initial mass are dropped; Gaia G/BP/RP = Mbol - BC(Teff,
log g, [M/H], A_V=0) from the MIST table; band extinction per A_V = BC(A_V=0) - BC(A_V=1). DSEP ends at the
tip of the red giant branch; PARSEC keeps the core-helium burning (to the TACHeB) and MIST the core-helium
burning and the early AGB (cut before the TP-AGB), both without the He-flash EEPs, with float32 mass ties
resolved (:func:`spread_ties`). Each point carries its phase code (``mwdisk.isochrones.phases``). The files
record their provenance (what was kept, how ties were handled).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import hashlib
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np

from mwdisk.isochrones.bolometric import BCTable, read_mist_bc_table
from mwdisk.isochrones.composition import default_ages_gyr, default_mh_nodes
from mwdisk.isochrones.grid import (
    MASS_QUANTUM_FINE_MSUN,
    POINT_COLUMNS,
    QUANTA,
    IsochroneGrid,
    quantize,
    write_grid_h5,
)
from mwdisk.isochrones.interpolate import NativeCube, interpolate_isochrone
from mwdisk.isochrones.phases import AGB, CHEB, MS, SUBGIANT, derive_phases

logger = logging.getLogger("build_grids")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = REPO.parent / "shared" / "data" / "isochrones"
INPUTS = {
    "dsep": "lachesis/dartmouth_dsep.h5",
    "parsec": "lachesis/parsec_v1.25.h5",
    "mist": "lachesis/mist_v2.5_vvcrit0.4.h5",
    "bc": "mist-bc-gaia/mist_bc_ubvriplus_gaia_2mass.h5",
}
MBOL_SUN = 4.74  # MIST convention, also DSEP's Mbol column (checked: Mbol = 4.74 - 2.5 log L to 1e-6)
#: Only native ages from this log10(age/yr) up are read (the grid starts at 1 Gyr).
LOG_AGE_MIN = 8.9
#: MIST-numbered primary EEPs (PARSEC and MIST lachesis cubes): TAMS, RGB tip, ZACHeB, TACHeB, TP-AGB start.
EEP_TAMS, EEP_RGB_TIP, EEP_ZACHEB, EEP_TACHEB, EEP_TPAGB = 454, 605, 631, 707, 808
#: Last EEP kept per family. DSEP ends at the RGB tip (its own EEPs 2..279); the lachesis PARSEC cube ends at
#: the TACHeB (707) for log age >= 9.3 (at 1200 for younger ones: cut there too, so that no age has an early
#: AGB the others lack); MIST keeps the early AGB up to the TP-AGB start (exclusive).
EEP_LAST = {"dsep": None, "parsec": EEP_TACHEB, "mist": EEP_TPAGB - 1}
#: Families with core-helium burning, whose He-flash EEPs (RGB tip < EEP < ZACHeB) are dropped.
POST_TIP = ("parsec", "mist")
#: Initial-mass interval given to the He-flash segment (RGB tip -> ZACHeB) of each native track [Msun]: the
#: flash carries ~no IMF weight (1e-9 vs 1e-3..1e-2 Msun over the CHeB); MIST's flash interval (~2e-4 Msun
#: at 4 Gyr, the sub-flash phase) moves into the first CHeB segment, which sits at the ZACHeB.
FLASH_DM_MSUN = 1e-9
#: Storage quanta overriding storage.QUANTA per family (the finer mass quantum keeps CHeB masses distinct).
FAMILY_QUANTA = {"dsep": {}, "parsec": {"mass_init_msun": MASS_QUANTUM_FINE_MSUN},
                 "mist": {"mass_init_msun": MASS_QUANTUM_FINE_MSUN}}


def native_coarse_phase(family: str, label: np.ndarray) -> np.ndarray:
    """Coarse phase of native labels: MS, SUBGIANT (any post-TAMS pre-tip point), CHEB, AGB; -1 = cut/drop."""
    lab = np.floor(np.asarray(label, float) + 1e-6)
    out = np.full(lab.size, -1, np.int8)
    if family == "parsec":  # 0 PMS, 1 MS, 2 SGB, 3 RGB, 4 CHeB, 5 EAGB
        frac = (label > 3 + 1e-6) & (label < 4 - 1e-6)  # He-flash bridge
        out[lab <= 1] = MS
        out[(lab == 2) | (lab == 3)] = SUBGIANT
        out[lab == 4] = CHEB
        out[lab == 5] = AGB
        out[frac] = -1
    elif family == "mist":  # -1 PMS, 0 MS, 2 RGB, 3 CHeB, 4 EAGB, 5 TP-AGB, 6 post-AGB
        out[lab <= 0] = MS
        out[lab == 2] = SUBGIANT
        out[lab == 3] = CHEB
        out[lab == 4] = AGB
    return out


def eep_coarse_phase(family: str, eep: np.ndarray) -> np.ndarray:
    """The coarse phase the EEP numbering implies (PARSEC, MIST); the native labels are checked against it."""
    eep = np.asarray(eep)
    out = np.where(eep < EEP_TAMS, MS, SUBGIANT).astype(np.int8)
    out[eep > EEP_RGB_TIP] = -1
    out[eep >= EEP_ZACHEB] = CHEB
    out[eep > (EEP_TACHEB if family == "parsec" else EEP_TACHEB - 1)] = AGB
    return out


def spread_ties(eep: np.ndarray, mass: np.ndarray) -> tuple[np.ndarray, int]:
    """Resolve float32 ties of initial mass: each run of equal values v is spread linearly in EEP over its
    rounding interval v +- ulp(v)/2 (ulp of float32), so no value moves by more than its storage precision and
    every phase keeps its IMF weight to within one ulp. Returns (float64 masses, number of tied points)."""
    m = np.asarray(mass, np.float64).copy()
    n_tied = 0
    i = 0
    while i < m.size:
        j = i
        while j + 1 < m.size and m[j + 1] == m[i]:
            j += 1
        if j > i:
            ulp = float(np.spacing(np.float32(m[i])))
            pos = (eep[i : j + 1] - eep[i] + 0.5) / (eep[j] - eep[i] + 1.0)
            m[i : j + 1] = m[i] + ulp * (pos - 0.5)
            n_tied += j - i + 1
        i = j + 1
    return m, n_tied


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


def read_lachesis_cube(path: Path, family: str, log_age_min: float = LOG_AGE_MIN) -> tuple[NativeCube, dict]:
    """Read a lachesis sparse_v1 grid into a dense (feh, log age, EEP) cube of mass, log Teff, log g, log L.

    DSEP: tracks lose their final point where float32 initial masses tie at the RGB tip (as in the grids
    shipped before the phase column, which this keeps bit-identical). PARSEC, MIST: rows with non-finite
    values are dropped; EEPs past :data:`EEP_LAST` are cut, the He-flash EEPs (605 < EEP < 631) dropped; the
    native labels are checked against the EEP numbering; float32 ties of initial mass are spread over their
    rounding interval (:func:`spread_ties`); the ZACHeB mass is set to the RGB-tip mass + FLASH_DM_MSUN; then
    points whose mass does not exceed every earlier one (genuine decreases, a few lachesis PARSEC tracks of
    ~1.6 Msun at the SGB/RGB label change) are dropped.

    Returns
    -------
    cube : NativeCube
    stats : dict
        Counts of what was dropped and tied (for the provenance).
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
    keep_feh = np.flatnonzero(feh >= -2.0 - 1e-6) if family == "mist" else np.arange(feh.size)
    eep_last = EEP_LAST[family]
    eep_int = np.round(eep_nodes[np.isfinite(eep_nodes)]).astype(int)
    eep_int = eep_int[eep_int <= eep_last] if eep_last is not None else eep_int
    eep_min = eep_int.min()
    cube = np.full((keep_feh.size, keep_age.size, eep_int.max() - eep_min + 1, 4), np.nan)
    qcols = [cols.index(c) for c in ("initial_mass", "log_Teff", "log_g", "log_L")]
    ic_eep, ic_age, ic_phase = cols.index("eep"), cols.index("age"), cols.index("phase")
    stats = {"tracks": 0, "flash_points_dropped": 0, "tied_points_spread": 0, "tie_points_dropped": 0,
             "decreasing_points_dropped": 0, "label_mismatches": 0}
    for ii, i in enumerate(keep_feh):
        for jj, j in enumerate(keep_age):
            k = i * log_age.size + j
            if lengths[k] == 0:
                continue
            t = values[starts[k] : starts[k + 1]].astype(np.float64)
            t = t[np.all(np.isfinite(t[:, [ic_eep, ic_age, *qcols]]), axis=1)]
            if not np.allclose(t[:, ic_age], log_age[j], atol=1e-3):
                raise ValueError(f"{path}: track {k} has age {t[0, ic_age]}, expected {log_age[j]}")
            stats["tracks"] += 1
            eep = np.round(t[:, ic_eep]).astype(int)
            if family in POST_TIP:
                keep = eep <= eep_last
                t, eep = t[keep], eep[keep]
                flash = (eep > EEP_RGB_TIP) & (eep < EEP_ZACHEB)
                coarse = native_coarse_phase(family, t[:, ic_phase])
                want = eep_coarse_phase(family, eep)
                # MIST labels its RGB-tip EEP (605) as CHeB; it is the last RGB point here
                tip_label = (family == "mist") & (eep == EEP_RGB_TIP) & (coarse == CHEB)
                bad = (coarse != want) & ~flash & ~tip_label
                stats["label_mismatches"] += int(bad.sum())
                if bad.any():
                    raise ValueError(
                        f"{path}: track [Fe/H]={feh[i]} log age={log_age[j]}: native phase labels "
                        f"{t[bad, ic_phase][:5]} at EEPs {eep[bad][:5]} disagree with the EEP numbering"
                    )
                stats["flash_points_dropped"] += int(flash.sum())
                t, eep = t[~flash], eep[~flash]
                mass, n_tied = spread_ties(eep, t[:, qcols[0]])
                stats["tied_points_spread"] += n_tied
                tip = np.flatnonzero(eep == EEP_RGB_TIP)
                zac = np.flatnonzero(eep == EEP_ZACHEB)
                if tip.size and zac.size:
                    mass[zac[0]] = mass[tip[0]] + FLASH_DM_MSUN
                t[:, qcols[0]] = mass
                # genuine decreases (lachesis PARSEC near the SGB/RGB label change of ~1.6 Msun tracks): drop
                # the points that do not exceed every earlier mass, as before
                prev = np.maximum.accumulate(np.concatenate([[-np.inf], mass[:-1]]))
                stats["decreasing_points_dropped"] += int((mass <= prev).sum())
                t, eep = t[mass > prev], eep[mass > prev]
            else:
                mass = t[:, qcols[0]]
                prev = np.maximum.accumulate(np.concatenate([[-np.inf], mass[:-1]]))
                stats["tie_points_dropped"] += int((mass <= prev).sum())
                t, eep = t[mass > prev], eep[mass > prev]
            cube[ii, jj, eep - eep_min] = t[:, qcols]
    eeps = np.arange(eep_min, eep_int.max() + 1)
    has = np.any(np.isfinite(cube[..., 0]), axis=(0, 1))
    cube_obj = NativeCube(comp=feh[keep_feh], log_age=log_age[keep_age], eep=eeps[has].astype(float),
                          values=cube[:, :, has])
    return cube_obj, stats


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
                "eep": iso["eep"], "mass_init_msun": iso["mass_init_msun"], "teff_k": teff,
                "logg": iso["logg"],
                "logl": iso["logl"], "mbol_mag": mbol, "g_mag": mags[:, 0], "bp_mag": mags[:, 1],
                "rp_mag": mags[:, 2], "ag_per_av": ext[:, 0], "abp_per_av": ext[:, 1],
                "arp_per_av": ext[:, 2],
            }
            for c in POINT_COLUMNS:
                cols[c].append(new[c])
            iso_age_idx.append(j)
            iso_mh.append(mh)
            lengths.append(n)
    iso_mh_arr = np.asarray(iso_mh)
    iso_start = np.concatenate([[0], np.cumsum(lengths)])
    flat = {c: np.concatenate(v) for c, v in cols.items()}
    phase = derive_phases(family, flat["eep"], flat["logg"], flat["teff_k"], iso_start)
    return IsochroneGrid(
        family=family,
        comp_axis="mh",
        ages_gyr=ages_gyr,
        iso_age_idx=np.asarray(iso_age_idx),
        iso_mh=iso_mh_arr,
        iso_feh=iso_mh_arr,
        iso_afe=np.zeros_like(iso_mh_arr),
        iso_start=iso_start,
        provenance=provenance,
        phase=phase,
        **flat,
    )


METHOD = (
    "Native scaled-solar isochrones ([Fe/H]=[M/H]_eff, [alpha/Fe]=0) interpolated linearly in log10(age) "
    "then "
    "linearly in [Fe/H] at fixed EEP (never across EEPs), over the EEPs common to the bracketing nodes; "
    "nodes within 1e-4 dex are taken as they are. Points whose initial mass does not exceed all earlier "
    "points are dropped after interpolation (none are for PARSEC/MIST, whose native ties are resolved "
    "first). "
    "Teff = 10**logTeff, Mbol = 4.74 - 2.5 log L. Gaia EDR3 "
    "G, BP, RP = Mbol - BC(Teff, log g, [M/H], A_V=0), BC multilinear in the MIST v1.2 table (Rv=3.1); "
    "band/A_V = BC(A_V=0) - BC(A_V=1). Stored as integers of fixed quanta (see storage_quanta), delta-coded, "
    "gzip level 9 + shuffle. Phase codes per point (points/phase): mwdisk.isochrones.phases."
)
EEP_CUT = {
    "dsep": "RGB tip (DSEP ends there). Native float32 initial-mass ties (the last point of some tracks, "
            "at the "
            "tip) are dropped, as in the grids built before the phase column (point columns unchanged).",
    "parsec": "Kept: PMS/MS, SGB, RGB up to the tip (EEP 605), core-He burning from the ZACHeB (631) to the "
              "TACHeB (707), where the lachesis PARSEC cube ends for log age >= 9.3 (younger tracks, "
              "which go on, "
              "are cut there too). Dropped: the fractional-label points 3 < phase < 4 at EEPs 606..630 (an "
              "interpolated He-flash bridge from the tip back to the ZACHeB at the tip's initial mass).",
    "mist": "Kept: PMS/MS, RGB (incl. subgiants) up to the tip (EEP 605), core-He burning from the ZACHeB "
            "(631), "
            "early AGB from the TACHeB (707) up to EEP 807; cut: TP-AGB (808..) and post-AGB. Dropped: the "
            "He-flash EEPs 606..630 (sub-flashes jumping 0.5 dex in log g per EEP at nearly fixed mass). "
            "[Fe/H] nodes below -2.0 are not read.",
}
TIES = (
    "Native float32 ties of initial mass (runs of equal values, e.g. ~45 per MIST track in the CHeB, mostly "
    "duplicated points after the ZACHeB) are spread linearly in EEP over the value's float32 rounding "
    "interval "
    "(v +- ulp/2): no mass moves by more than its stored precision, every phase keeps its IMF weight. "
    "The He-flash segment (RGB tip -> ZACHeB) gets an initial-mass interval of FLASH_DM_MSUN = 1e-9 Msun "
    "(the "
    "ZACHeB mass is set to the tip mass + 1e-9; MIST's ~2e-4 Msun flash interval moves into the first CHeB "
    "segment, at the ZACHeB), so it carries ~no IMF weight; its ends have phases rgb -> cheb. Initial mass "
    "is "
    "then strictly increasing along every native track, hence along every interpolated isochrone; it is "
    "stored at a quantum of 1e-10 Msun (int64 deltas where needed), which keeps it strictly increasing."
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
    cube, stats = read_lachesis_cube(src, family)
    quanta = {**QUANTA, **FAMILY_QUANTA[family]}
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
        "eep_cut": EEP_CUT[family],
        "phases_kept": {"dsep": ["ms", "subgiant", "rgb"], "parsec": ["ms", "subgiant", "rgb", "cheb"],
                        "mist": ["ms", "subgiant", "rgb", "cheb", "agb"]}[family],
        "phase_codes": "points/phase int8: -1 unknown, 0 ms (incl. pre-MS), 1 subgiant, 2 rgb, 3 cheb, 4 agb "
                       "(early AGB); subgiant/rgb boundary log g 3.6 after the TAMS "
                       "(EEP 454 for PARSEC/MIST; "
                       "DSEP: the hottest point with log g > 3.4); see mwdisk/isochrones/phases.py",
        "ties": TIES if family in POST_TIP else EEP_CUT["dsep"],
        "native_stats": stats,
        "script": "scripts/build_grids.py",
        "script_commit": git_commit(),
        "build_date_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numpy": np.__version__,
        "storage_quanta": quanta,
    }
    grid = quantize(build_grid(cube, bc, family, ages_gyr, mh_nodes, provenance), quanta)
    # phases from the stored (quantized) values, so that a file re-derives exactly what it stores
    grid = dataclasses.replace(
        grid, phase=derive_phases(family, grid.eep, grid.logg, grid.teff_k, grid.iso_start)
    )
    if out_path is not None:
        sub = bc.subset(
            (float(mh_nodes.min()), float(mh_nodes.max())),
            (float(grid.teff_k.min()), float(grid.teff_k.max())),
        )
        write_grid_h5(grid, out_path, bc_table=sub, quanta=quanta)
    return grid


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input_dir", nargs="?", type=Path, default=DEFAULT_INPUT, help="isochrone inputs folder")
    ap.add_argument("--out-dir", type=Path, default=REPO / "mwdisk" / "data")
    ap.add_argument("--families", nargs="+", default=["dsep", "parsec", "mist"],
                    choices=["dsep", "parsec", "mist"])
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.input_dir.is_dir():
        ap.error(
            f"input folder {args.input_dir} not found; pass the folder holding lachesis/ and mist-bc-gaia/"
        )
    bc = read_mist_bc_table(args.input_dir / INPUTS["bc"])
    for fam in args.families:
        out = args.out_dir / f"isochrones_{fam}.h5"
        grid = build_family(fam, args.input_dir, out, bc=bc)
        logger.info("%s: %d isochrones, %d points, %.2f MB", out, grid.n_iso, grid.n_pts,
                    out.stat().st_size / 1e6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
