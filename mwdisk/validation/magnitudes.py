"""Absolute Gaia G of stars with 2MASS Ks but no Gaia photometry, through MIST bolometric corrections.

The Miglio+2021 table carries 2MASS J, H, Ks, a distance and A_V but no Gaia G. With the MIST v1.2 bolometric
corrections (Choi et al. 2016; ``M_band = Mbol - BC_band(Teff, log g, [Fe/H], A_V)``, Rv = 3.1)::

    Mbol = Ks - 5 log10(d / 10 pc) + BC_Ks(Teff, log g, [Fe/H], A_V)      (extinction inside BC_Ks(A_V))
    M_G  = Mbol - BC_G(Teff, log g, [Fe/H], 0)

so the star's M_G is what the isochrone grid's G would be for its bolometric magnitude (the grid's G comes
from the same BC table). Its error adds in quadrature the distance half-width in modulus, the Ks error, the
A_V bounds times dA_Ks/dA_V, and the change of ``BC_Ks - BC_G`` over the star's Teff error (about 0.1 mag per
50 K for red giants; this term shares the Teff error with the Teff observable, a correlation the age kernel
does not model).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.interpolate import RegularGridInterpolator

__all__ = ["KS_ERR_MAG", "BandBC", "read_bc_bands", "mg_from_ks"]

logger = logging.getLogger(__name__)

#: Ks error used when the table gives none (2MASS PSC: ~0.02 mag for Ks < 12).
KS_ERR_MAG = 0.02


@dataclass(frozen=True)
class BandBC:
    """Multilinear interpolator of BCs of a few bands on (Teff, log g, [Fe/H], A_V) (inputs clipped)."""

    bands: tuple[str, ...]
    axes: tuple[np.ndarray, ...]  # feh, av, teff, logg
    values: np.ndarray  # (n_feh, n_av, n_teff, n_logg, n_band)

    def bc(self, band: str, teff_k, logg, feh, av=0.0) -> np.ndarray:
        """BC of ``band`` at the given points (array broadcast; clipped to the table's range)."""
        k = self.bands.index(band)
        feh, av, teff_k, logg = np.broadcast_arrays(*(np.asarray(x, float) for x in (feh, av, teff_k, logg)))
        pts = np.column_stack([np.clip(v.ravel(), ax[0], ax[-1])
                               for v, ax in zip((feh, av, teff_k, logg), self.axes, strict=True)])
        ok = np.all(np.isfinite(pts), axis=1)
        out = np.full(pts.shape[0], np.nan)
        if ok.any():
            f = RegularGridInterpolator(self.axes, self.values[..., k], method="linear")
            out[ok] = f(pts[ok])
        return out.reshape(teff_k.shape)


def read_bc_bands(path: str | Path, bands=("Gaia_G_EDR3", "2MASS_Ks"), teff_max_k: float = 10000.0) -> BandBC:
    """Read bands of the MIST table ``mist_bc_ubvriplus_gaia_2mass.h5`` into a :class:`BandBC`.

    Parameters
    ----------
    path : path
        The HDF5 file (``data`` (n_feh, n_rows, n_col), ``columns``, ``feh_values``; rows the product of A_V,
        Teff, log g).
    bands : sequence of str
        Column names of the table.
    teff_max_k : float
        Teff nodes above this are dropped (memory; giants and dwarfs of the disk are far below).
    """
    import h5py

    with h5py.File(path, "r") as f:
        cols = [c.decode() if isinstance(c, bytes) else str(c) for c in f["columns"][...]]
        missing = [b for b in bands if b not in cols]
        if missing:
            raise ValueError(f"{path}: no column(s) {missing}; the table has {cols[4:]}")
        data = f["data"][...]
        feh = np.asarray(f["feh_values"][...], float)
    teff = np.unique(data[0, :, cols.index("Teff")])
    logg = np.unique(data[0, :, cols.index("logg")])
    av = np.unique(data[0, :, cols.index("Av")])
    cube = data.reshape(feh.size, av.size, teff.size, logg.size, len(cols))
    if not (np.all(cube[0, 0, :, 0, cols.index("Teff")] == teff)
            and np.all(cube[0, 0, 0, :, cols.index("logg")] == logg)
            and np.all(cube[0, :, 0, 0, cols.index("Av")] == av)):
        raise ValueError(f"{path}: rows are not the (A_V, Teff, logg) product this reader expects")
    keep = teff <= teff_max_k
    vals = cube[:, :, keep][..., [cols.index(b) for b in bands]].astype(np.float64)
    return BandBC(bands=tuple(bands), axes=(feh, av, teff[keep], logg), values=np.ascontiguousarray(vals))


def mg_from_ks(bc: BandBC, ks_mag, dist_kpc, dist_lo_kpc, dist_hi_kpc, av_mag, av_lo_mag, av_hi_mag, teff_k,
               teff_err_k, logg, feh, ks_err_mag=KS_ERR_MAG, teff_term: bool = True):
    """Absolute Gaia G and its error from 2MASS Ks, a distance, A_V and the star's Teff, log g, [Fe/H].

    Parameters
    ----------
    bc : BandBC
        With bands ``Gaia_G_EDR3`` and ``2MASS_Ks``.
    ks_mag : array_like
        Apparent Ks.
    dist_kpc, dist_lo_kpc, dist_hi_kpc : array_like
        Distance and its 68 % bounds (kpc).
    av_mag, av_lo_mag, av_hi_mag : array_like
        A_V and its bounds (negative A_V, which the Miglio table has, is clipped to 0 for the BC lookup).
    teff_k, teff_err_k, logg, feh : array_like
        Stellar parameters for the BCs ([Fe/H] stands for the BC table's metallicity).
    ks_err_mag : float or array_like
        Ks error (default :data:`KS_ERR_MAG`).
    teff_term : bool
        Add ``|d(BC_Ks - BC_G)/dTeff| * teff_err`` to the error (default True).

    Returns
    -------
    mg_mag, mg_err_mag : numpy.ndarray
        NaN where an input is missing or a distance is non-positive.

    Examples
    --------
    >>> import numpy as np
    >>> bc = BandBC(("Gaia_G_EDR3", "2MASS_Ks"), tuple(np.array([0.0, 1.0]) for _ in range(4)),
    ...             np.zeros((2, 2, 2, 2, 2)))
    >>> mg, err = mg_from_ks(bc, 10.0, 1.0, 0.9, 1.1, 0.0, 0.0, 0.0, 0.5, 0.0, 0.5, 0.5)
    >>> round(float(mg), 3)
    0.0
    """
    ks, d, dlo, dhi, av, avlo, avhi, t, te, g, fe = (np.asarray(x, float) for x in (
        ks_mag, dist_kpc, dist_lo_kpc, dist_hi_kpc, av_mag, av_lo_mag, av_hi_mag, teff_k, teff_err_k, logg,
        feh))
    with np.errstate(invalid="ignore", divide="ignore"):
        bad = ~((d > 0) & (dlo > 0) & (dhi > 0))
        dm = np.where(bad, np.nan, 5.0 * np.log10(d * 100.0))
        s_dm = np.where(bad, np.nan, 2.5 * np.abs(np.log10(dhi) - np.log10(dlo)))
    avc = np.clip(av, 0.0, None)
    mbol = ks - dm + bc.bc("2MASS_Ks", t, g, fe, avc)
    mg = mbol - bc.bc("Gaia_G_EDR3", t, g, fe, 0.0)
    # A_Ks per A_V at the star, for the A_V bounds
    aks1 = bc.bc("2MASS_Ks", t, g, fe, 0.0) - bc.bc("2MASS_Ks", t, g, fe, 1.0)
    s_av = 0.5 * np.abs(avhi - avlo) * aks1
    var = s_dm**2 + np.asarray(ks_err_mag, float) ** 2 + s_av**2
    if teff_term:
        step = 25.0
        col = lambda tt: bc.bc("2MASS_Ks", tt, g, fe, 0.0) - bc.bc("Gaia_G_EDR3", tt, g, fe, 0.0)  # noqa: E731
        slope = (col(t + step) - col(t - step)) / (2.0 * step)
        var = var + (slope * te) ** 2
    err = np.sqrt(var)
    return mg, np.where(np.isfinite(mg), err, np.nan)
