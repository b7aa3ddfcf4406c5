"""Gaia EDR3 magnitudes from Mbol through the MIST bolometric-correction table.

``M_band = Mbol - BC_band(Teff, log g, [Fe/H], A_V)`` (MIST v1.2, Choi et al. 2016; Mbol_sun = 4.74). The A_V
axis of the table gives the band extinction consistently: ``A_band(A_V) = BC_band(A_V=0) - BC_band(A_V)``.
The table is interpolated multilinearly in ([Fe/H], A_V, Teff, log g), inputs clipped to the table's range.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.interpolate import RegularGridInterpolator

__all__ = ["GAIA_BANDS", "BCTable", "read_mist_bc_table"]

logger = logging.getLogger(__name__)

#: Column names of the Gaia EDR3 bands in the MIST table, in the order G, BP, RP.
GAIA_BANDS = ("Gaia_G_EDR3", "Gaia_BP_EDR3", "Gaia_RP_EDR3")


@dataclass(frozen=True)
class BCTable:
    """A regular bolometric-correction cube for the Gaia G, BP, RP bands.

    Attributes
    ----------
    feh, av, teff_k, logg : numpy.ndarray
        Strictly increasing node values of each axis.
    bc_mag : numpy.ndarray
        Shape (n_feh, n_av, n_teff, n_logg, 3): BC_G, BC_BP, BC_RP in mag.
    """

    feh: np.ndarray
    av: np.ndarray
    teff_k: np.ndarray
    logg: np.ndarray
    bc_mag: np.ndarray

    def __post_init__(self) -> None:
        shape = (self.feh.size, self.av.size, self.teff_k.size, self.logg.size, 3)
        if self.bc_mag.shape != shape:
            raise ValueError(f"bc_mag has shape {self.bc_mag.shape}, expected {shape} from the axes")
        if not np.all(np.isfinite(self.bc_mag)):
            raise ValueError("bc_mag holds non-finite values; the BC table must be complete")
        interp = RegularGridInterpolator(
            (self.feh, self.av, self.teff_k, self.logg), self.bc_mag, method="linear", bounds_error=True
        )
        object.__setattr__(self, "_interp", interp)

    def bc(self, feh, teff_k, logg, av=0.0) -> np.ndarray:
        """Bolometric corrections (n, 3) for G, BP, RP at the given points (inputs clipped to the table)."""
        feh, teff_k, logg, av = np.broadcast_arrays(
            np.asarray(feh, float), np.asarray(teff_k, float), np.asarray(logg, float), np.asarray(av, float)
        )
        pts = np.column_stack(
            [
                np.clip(feh.ravel(), self.feh[0], self.feh[-1]),
                np.clip(av.ravel(), self.av[0], self.av[-1]),
                np.clip(teff_k.ravel(), self.teff_k[0], self.teff_k[-1]),
                np.clip(logg.ravel(), self.logg[0], self.logg[-1]),
            ]
        )
        return self._interp(pts)  # type: ignore[attr-defined]

    def magnitudes(self, mbol_mag, feh, teff_k, logg) -> np.ndarray:
        """Absolute G, BP, RP magnitudes (n, 3) at A_V = 0: ``Mbol - BC``."""
        return np.asarray(mbol_mag, float).reshape(-1, 1) - self.bc(feh, teff_k, logg, 0.0)

    def extinction_per_av(self, feh, teff_k, logg, av_ref: float = 1.0) -> np.ndarray:
        """Band extinction per unit A_V (n, 3): ``(BC(0) - BC(av_ref)) / av_ref`` for G, BP, RP."""
        if av_ref <= 0:
            raise ValueError(f"av_ref = {av_ref} must be > 0 (the table's A_V axis runs 0..6)")
        return (self.bc(feh, teff_k, logg, 0.0) - self.bc(feh, teff_k, logg, av_ref)) / av_ref

    def subset(
        self, feh_range: tuple[float, float], teff_range_k: tuple[float, float], av_keep=(0.0, 1.0)
    ) -> BCTable:
        """A smaller table: the nodes that bracket the given ranges and only the listed A_V nodes."""

        def _bracket(nodes, lo, hi):
            i0 = max(int(np.searchsorted(nodes, lo, side="right")) - 1, 0)
            i1 = min(int(np.searchsorted(nodes, hi, side="left")), nodes.size - 1)
            return slice(i0, i1 + 1)

        sf = _bracket(self.feh, *feh_range)
        st = _bracket(self.teff_k, *teff_range_k)
        ia = [int(np.flatnonzero(np.isclose(self.av, a))[0]) for a in av_keep]
        return BCTable(
            feh=self.feh[sf],
            av=self.av[ia],
            teff_k=self.teff_k[st],
            logg=self.logg,
            bc_mag=np.ascontiguousarray(self.bc_mag[sf][:, ia][:, :, st]),
        )


def read_mist_bc_table(path: str | Path) -> BCTable:
    """Read the MIST UBVRIplus BC table (``mist_bc_ubvriplus_gaia_2mass.h5``, sparse rows) into a cube.

    The file holds ``data`` (n_feh, n_rows, n_col) with columns Teff, logg, feh, Av, BCs...; rows are the full
    product of A_V (slowest), Teff, log g (fastest). The row order is checked, not assumed.
    """
    import h5py

    path = Path(path)
    with h5py.File(path, "r") as f:
        data = f["data"][...].astype(np.float64)
        cols = [c.decode() if isinstance(c, bytes) else str(c) for c in f["columns"][...]]
        feh = np.asarray(f["feh_values"][...], float)
    teff = np.unique(data[0, :, cols.index("Teff")])
    logg = np.unique(data[0, :, cols.index("logg")])
    av = np.unique(data[0, :, cols.index("Av")])
    cube = data.reshape(feh.size, av.size, teff.size, logg.size, len(cols))
    ok = (
        np.all(cube[0, :, 0, 0, cols.index("Av")] == av)
        and np.all(cube[0, 0, :, 0, cols.index("Teff")] == teff)
        and np.all(cube[0, 0, 0, :, cols.index("logg")] == logg)
        and np.allclose(cube[:, 0, 0, 0, cols.index("feh")], feh)
    )
    if not ok:
        raise ValueError(f"{path}: rows are not the (A_V, Teff, logg) product this reader expects")
    bc = cube[..., [cols.index(b) for b in GAIA_BANDS]]
    return BCTable(feh=feh, av=av, teff_k=teff, logg=logg, bc_mag=bc)
