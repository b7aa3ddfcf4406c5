"""Cut the small validation fixtures from the development data folder (run once; outputs are committed).

    .venv/bin/python tests/data/validation/make_fixtures.py ../shared/data

Writes, in the layout ``mwdisk.validation`` reads (see README.md for provenance):
asteroseismic-ages/kepler_apogee_miglio2021.fit, apokasc3/Table4_Apoor_RGB+RC_Gold.csv,
open-clusters-ucc/DIAS2021.csv, isochrones/mist-bc-gaia/mist_bc_ubvriplus_gaia_2mass.h5 (subset).
"""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from astropy.table import Table

HERE = Path(__file__).resolve().parent
# NGC 6791 / NGC 6819 members of the join, ASCC 108 "members" (field giants), and one star of each cluster
# field that fails a criterion
CLUSTER_KICS = [2435987, 2436209, 2436688, 2436900, 2569618, 2570172, 5111949, 5112072, 5112373, 5112387,
                5112467, 5112730, 5112938, 5112974, 4946632, 4950323, 4952516, 5035304, 2437191, 5024043,
                5025021]


def main(data: Path) -> None:
    mig = Table.read(data / "validation/asteroseismic-ages/kepler_apogee_miglio2021.fit")
    apk = pd.read_csv(data / "validation/apokasc3/Table4_Apoor_RGB+RC_Gold.csv")
    common = np.intersect1d(np.asarray(mig["KIC"]), apk["KIC"].to_numpy())
    rest = np.setdiff1d(common, CLUSTER_KICS)
    state = apk.set_index("KIC").loc[rest, "Evol_State"].to_numpy()
    rgb, rc = rest[state == "RGB"], rest[state == "RC"]
    pick = np.concatenate([CLUSTER_KICS, rgb[::120][:16], rc[::60][:10]])  # every n-th by KIC: deterministic
    (HERE / "asteroseismic-ages").mkdir(exist_ok=True)
    sub = mig[np.isin(np.asarray(mig["KIC"]), pick)]
    sub.write(HERE / "asteroseismic-ages/kepler_apogee_miglio2021.fit", overwrite=True)
    (HERE / "apokasc3").mkdir(exist_ok=True)
    apk[apk["KIC"].isin(pick)].to_csv(HERE / "apokasc3/Table4_Apoor_RGB+RC_Gold.csv", index=False)
    (HERE / "open-clusters-ucc").mkdir(exist_ok=True)
    dias = pd.read_csv(data / "validation/open-clusters-ucc/DIAS2021.csv")
    keep = dias["Cluster"].str.strip().isin(["NGC_6791", "NGC_6819", "ASCC_108", "NGC_6811"])
    dias[keep].to_csv(HERE / "open-clusters-ucc/DIAS2021.csv", index=False)
    # MIST BC subset: [Fe/H] -1..+0.75, Teff 3500-7000 K, every log g, A_V 0, 0.2, 0.4, 1; G and Ks only
    src = data / "isochrones/mist-bc-gaia/mist_bc_ubvriplus_gaia_2mass.h5"
    with h5py.File(src, "r") as f:
        cols = [c.decode() if isinstance(c, bytes) else str(c) for c in f["columns"][...]]
        d = f["data"][...]
        feh = f["feh_values"][...]
    keep_c = [cols.index(c) for c in ("Teff", "logg", "feh", "Av", "Gaia_G_EDR3", "2MASS_Ks")]
    fk = (feh >= -1.0) & (feh <= 0.75)
    row = d[0]
    rk = ((row[:, cols.index("Teff")] >= 3500) & (row[:, cols.index("Teff")] <= 7000)
          & np.isin(row[:, cols.index("Av")], [0.0, 0.2, 0.4, 1.0]))
    out = HERE / "isochrones/mist-bc-gaia"
    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(out / "mist_bc_ubvriplus_gaia_2mass.h5", "w") as g:
        g.create_dataset("data", data=d[fk][:, rk][:, :, keep_c], compression="gzip", shuffle=True)
        g.create_dataset("columns", data=np.array([cols[i] for i in keep_c], dtype="S"))
        g.create_dataset("feh_values", data=feh[fk])
    print(f"{len(sub)} Miglio rows, {int(keep.sum())} Dias rows, BC subset written to {HERE}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
