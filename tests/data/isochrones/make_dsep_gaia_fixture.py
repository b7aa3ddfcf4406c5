"""Write the small native-format DSEP *.Gaia test files from the shipped DSEP grid (see README.md).

Run from the repository root: ``.venv/bin/python tests/data/isochrones/make_dsep_gaia_fixture.py``.
"""

from pathlib import Path

import numpy as np

from mwdisk.isochrones import load_grid
from mwdisk.isochrones.dsep_reader import write_dsep_gaia_file

HERE = Path(__file__).resolve().parent
Z_SUN_DSEP = 0.0189  # DSEP solar Z (Dotter et al. 2008), used only to fill the header line
STRIDE = 6  # keep every 6th point (plus the last) to keep the file small
AGES_GYR = (4.5, 10.0)


def _pick(grid, feh, afe):
    out = []
    for age in AGES_GYR:
        i = np.flatnonzero(
            np.isclose(grid.iso_feh, feh) & np.isclose(grid.iso_afe, afe) & np.isclose(grid.iso_age_gyr, age)
        )[0]
        iso = grid.isochrone(int(i))
        keep = np.unique(np.r_[np.arange(0, iso["eep"].size, STRIDE), iso["eep"].size - 1])
        cols = {k: iso[k][keep] for k in ("eep", "mass_init_msun", "logg", "logl", "g_mag", "bp_mag",
                                          "rp_mag")}
        cols["log_teff"] = np.log10(iso["teff_k"][keep])
        out.append((age, cols))
    return out


def main() -> None:
    mh = load_grid("dsep", "mh")
    write_dsep_gaia_file(HERE / "fehp00afep0.Gaia", _pick(mh, 0.0, 0.0), feh=0.0, afe=0.0, y=0.2720,
                         z=Z_SUN_DSEP)
    fa = load_grid("dsep", "feh_afe")
    z = Z_SUN_DSEP * 10 ** (-1.0)
    write_dsep_gaia_file(HERE / "fehm10afep4.Gaia", _pick(fa, -1.0, 0.4), feh=-1.0, afe=0.4, y=0.2535, z=z)


if __name__ == "__main__":
    main()
