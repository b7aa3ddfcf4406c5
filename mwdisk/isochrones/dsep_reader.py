"""Native Dartmouth (DSEP) isochrone files with Gaia magnitudes (``*.Gaia``): reader and writer.

Format (METHOD.md section 1; e.g. ``fehp00afep0.Gaia``): 8 header lines starting with ``#``; line 4 holds
Y, Z, Zeff, [Fe/H], [a/Fe]. Then one block per age, starting ``#AGE= x.xxx EEPS=n`` (age in Gyr), a column
header line ``#EEP M/Mo LogTeff LogG LogL/Lo Gaia_G Gaia_BP Gaia_RP`` and n rows. One file holds one
composition; a folder of files makes a grid. Users with the real (alpha-enhanced) DSEP Gaia grid load it with
``load_grid("/path/to/folder")``: its own ([Fe/H], [alpha/Fe]) nodes are used, no Salaris mapping.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from .composition import salaris_mh
from .interpolate import clean_isochrone

__all__ = ["read_dsep_gaia_file", "read_dsep_native", "write_dsep_gaia_file"]

logger = logging.getLogger(__name__)

_AGE_RE = re.compile(r"#\s*AGE\s*=\s*([0-9.Ee+-]+)\s+EEPS\s*=\s*(\d+)")
MBOL_SUN = 4.74
_N_HEADER = 8


def _floats(tokens: list[str]) -> list[float]:
    out = []
    for t in tokens:
        try:
            out.append(float(t))
        except ValueError:
            continue
    return out


def _column_map(header: list[str], path: Path) -> dict[str, int]:
    names = [h.lower() for h in header]
    cmap = {}
    for key, want in (("eep", "eep"), ("mass_init_msun", "m/mo"), ("log_teff", "logteff"), ("logg", "logg"),
                      ("logl", "logl")):
        hits = [i for i, n in enumerate(names) if n.startswith(want)]
        if not hits:
            raise ValueError(f"{path}: no column {want!r} in header {header}; is this a DSEP isochrone file?")
        cmap[key] = hits[0]
    for key, tag in (("bp_mag", "bp"), ("rp_mag", "rp")):
        hits = [i for i, n in enumerate(names) if "gaia" in n and tag in n]
        if not hits:
            raise ValueError(f"{path}: no Gaia {tag.upper()} column in header {header}; need a *.Gaia file")
        cmap[key] = hits[0]
    hits = [i for i, n in enumerate(names) if "gaia" in n and i not in (cmap["bp_mag"], cmap["rp_mag"])]
    if not hits:
        raise ValueError(f"{path}: no Gaia G column in header {header}")
    cmap["g_mag"] = hits[0]
    return cmap


def read_dsep_gaia_file(path: str | Path) -> dict:
    """Read one native DSEP ``*.Gaia`` file.

    Returns
    -------
    dict
        ``y, z, zeff, feh, afe`` (floats from header line 4) and ``isochrones``: a list of
        ``(age_gyr, columns)`` with columns
        ``eep, mass_init_msun, log_teff, logg, logl, g_mag, bp_mag, rp_mag``.

    Raises
    ------
    ValueError
        If the header or a block does not follow the format (the message names the line).
    """
    path = Path(path)
    lines = path.read_text().splitlines()
    if len(lines) < _N_HEADER or not all(ln.startswith("#") for ln in lines[:_N_HEADER] if ln.strip()):
        raise ValueError(f"{path}: expected {_N_HEADER} header lines starting with '#'")
    comp = _floats(lines[3].lstrip("#").split())
    if len(comp) < 5:
        raise ValueError(f"{path}: header line 4 {lines[3]!r} must hold Y, Z, Zeff, [Fe/H], [a/Fe]")
    y, z, zeff, feh, afe = comp[-5:]
    isochrones = []
    i = _N_HEADER
    while i < len(lines):
        m = _AGE_RE.match(lines[i].strip())
        if not m:
            if lines[i].strip() and not lines[i].lstrip().startswith("#"):
                raise ValueError(f"{path}:{i + 1}: data line outside an '#AGE= ... EEPS=' block")
            i += 1
            continue
        age, n = float(m.group(1)), int(m.group(2))
        header = lines[i + 1].lstrip("#").split()
        cmap = _column_map(header, path)
        rows = np.array([ln.split() for ln in lines[i + 2 : i + 2 + n]], dtype=float)
        if rows.shape[0] != n:
            raise ValueError(
                f"{path}:{i + 1}: block at age {age} announces {n} EEPS but has {rows.shape[0]} rows"
            )
        isochrones.append((age, {k: rows[:, c] for k, c in cmap.items()}))
        i += 2 + n
    if not isochrones:
        raise ValueError(f"{path}: no '#AGE= x EEPS=n' blocks found")
    return {"y": y, "z": z, "zeff": zeff, "feh": feh, "afe": afe, "isochrones": isochrones}


def write_dsep_gaia_file(
    path: str | Path,
    isochrones: list[tuple[float, dict[str, np.ndarray]]],
    feh: float,
    afe: float,
    y: float,
    z: float,
    zeff: float | None = None,
) -> Path:
    """Write isochrones in the native DSEP ``*.Gaia`` layout (the inverse of :func:`read_dsep_gaia_file`).

    Each isochrone's columns: ``eep, mass_init_msun, log_teff, logg, logl, g_mag, bp_mag, rp_mag``.
    Precision as DSEP's: 8 decimals for mass, 4 for the rest.
    """
    path = Path(path)
    zeff = z if zeff is None else zeff
    out = [
        f"#NUMBER OF AGES={len(isochrones):3d} MAGNITUDES=  3",
        "#----------------------------------------------------",
        "#  MIX  Y      Z          Zeff        [Fe/H] [a/Fe]",
        f"#       {y:6.4f} {z:10.4E} {zeff:10.4E} {feh:6.2f} {afe:6.2f}",
        "#**PHOTOMETRIC SYSTEM**: Gaia EDR3 (Vega)",
        "#----------------------------------------------------",
        "#  written by mwdisk.isochrones.dsep_reader.write_dsep_gaia_file",
        "#----------------------------------------------------",
    ]
    for age, c in isochrones:
        n = c["eep"].size
        out.append("")
        out.append(f"#AGE={age:6.3f} EEPS={n:3d}")
        out.append("#EEP   M/Mo      LogTeff  LogG   LogL/Lo  Gaia_G   Gaia_BP  Gaia_RP")
        for k in range(n):
            out.append(
                f"{int(round(c['eep'][k])):4d} {c['mass_init_msun'][k]:11.8f} {c['log_teff'][k]:8.4f} "
                f"{c['logg'][k]:8.4f} {c['logl'][k]:8.4f} {c['g_mag'][k]:8.4f} {c['bp_mag'][k]:8.4f} "
                f"{c['rp_mag'][k]:8.4f}"
            )
    path.write_text("\n".join(out) + "\n")
    return path


def read_dsep_native(path: str | Path, bc_table=None):
    """A grid from a folder of native DSEP ``*.Gaia`` files (or one file), on the files' own nodes.

    Isochrones are sorted by ([Fe/H], [alpha/Fe]) then age; the age axis is the union of the files' ages.
    ``iso_mh`` is the Salaris [M/H]_eff of each node. Band extinction per A_V comes from the MIST BC subset
    shipped in the built DSEP grid (A_V = 1), at the node's [M/H]_eff.

    Parameters
    ----------
    path : str or Path
        A ``*.Gaia`` file or a folder holding them.
    bc_table : BCTable, optional
        BC table for the extinction coefficients; default: the subset stored in the shipped DSEP grid.

    Returns
    -------
    IsochroneGrid
        family "dsep-native"; comp_axis "mh" if every file has [alpha/Fe] = 0, else "feh_afe".
    """
    from .layout import IsochroneGrid
    from .storage import read_bc_table_h5, shipped_grid_path

    path = Path(path)
    files = sorted(path.glob("*.Gaia")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"no *.Gaia files in {path}; give a folder of native DSEP Gaia isochrones")
    if bc_table is None:
        bc_table = read_bc_table_h5(shipped_grid_path("dsep"))
    parsed = [read_dsep_gaia_file(f) for f in files]
    parsed.sort(key=lambda p: (p["feh"], p["afe"]))
    ages = np.unique(np.round([a for p in parsed for a, _ in p["isochrones"]], 6))
    cols: dict[str, list] = {}
    iso_age_idx, iso_feh, iso_afe, lengths = [], [], [], []
    for p in parsed:
        mh = float(salaris_mh(p["feh"], p["afe"]))
        for age, c in sorted(p["isochrones"], key=lambda t: t[0]):
            iso = clean_isochrone(dict(c))
            teff = 10.0 ** iso.pop("log_teff")
            ext = bc_table.extinction_per_av(mh, teff, iso["logg"], 1.0)
            iso.update(
                teff_k=teff, mbol_mag=MBOL_SUN - 2.5 * iso["logl"],
                ag_per_av=ext[:, 0], abp_per_av=ext[:, 1], arp_per_av=ext[:, 2],
            )
            for k, v in iso.items():
                cols.setdefault(k, []).append(v)
            iso_age_idx.append(int(np.searchsorted(ages, round(age, 6))))
            iso_feh.append(p["feh"])
            iso_afe.append(p["afe"])
            lengths.append(iso["eep"].size)
    iso_feh_a, iso_afe_a = np.asarray(iso_feh), np.asarray(iso_afe)
    provenance = {
        "family": "dsep-native",
        "inputs": [str(f) for f in files],
        "method": "native DSEP *.Gaia files read as they are; "
                  "extinction per A_V from the MIST BC subset (A_V=1)",
    }
    return IsochroneGrid(
        family="dsep-native",
        comp_axis="mh" if np.all(iso_afe_a == 0) else "feh_afe",
        ages_gyr=ages,
        iso_age_idx=np.asarray(iso_age_idx),
        iso_mh=np.asarray(salaris_mh(iso_feh_a, iso_afe_a)),
        iso_feh=iso_feh_a,
        iso_afe=iso_afe_a,
        iso_start=np.concatenate([[0], np.cumsum(lengths)]),
        provenance=provenance,
        **{k: np.concatenate(v) for k, v in cols.items()},
    )
