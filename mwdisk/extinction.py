"""Extinctions A_G, A_BP, A_RP of every star (METHOD.md section 2).

Sources, tried per star in order; the one used is recorded in the ``ext_source`` column:

1. ``"mwdust:<Map>"``: a 3-D map of mwdust (Bovy et al. 2016), by default ``Combined19`` (Marshall et al. 2006
   + Green et al. 2019 + Drimmel et al. 2003), used only when the map's files are present under ``$DUST_DIR``
   (mwdust cannot download here). The map returns E(B-V) on the SFD (Schlegel et al. 1998) scale; it is
   multiplied by ``ebv_sfd_to_sf11 = 0.884`` to reach the Schlafly & Finkbeiner (2011) scale that the
   coefficients assume (0.884 = A_B - A_V per unit SFD E(B-V) for Landolt B and V in SF11 Table 6,
   R_V = 3.1; it is the factor mwdust itself applies for ``filter='E(B-V)'``). Stars outside the map's
   coverage (NaN) fall through to the next source.
2. ``"catalog"``: an A_G column the catalogue carries (``A_G_cat_mag``); A_BP and A_RP from the same
   coefficient ratios (A_BP = A_G c_BP / c_G).
3. ``"analytic"``: the analytic 3-D dust model of :func:`analytic_ebv` (below).

E(B-V) -> Gaia bands: (A_G, A_BP, A_RP) = (2.740, 3.374, 2.035) x E(B-V) (Casagrande & VandenBerg 2018,
MNRAS 479, L102, Table 2; extinction coefficients for a Cardelli/O'Donnell R_V = 3.1 law, applied to the
E(B-V) of that law, i.e. the SF11-recalibrated scale, not raw SFD). Constant coefficients ignore the
colour / extinction dependence of the broad Gaia bands (Babusiaux et al. 2018 give the colour-dependent
law) [CHOICE].

The dust map object is loaded once per process (:func:`load_dust_map` is cached), not once per partition.
mwdust fixes its map folder when it is first imported (it reads ``DUST_DIR`` at import): this module sets
``DUST_DIR`` before that first import and refuses a different folder later in the same process.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path

import numpy as np

__all__ = [
    "CV18_COEFFS",
    "EBV_SFD_TO_SF11",
    "MAP_FILES",
    "EXT_SOURCE_CATALOG",
    "EXT_SOURCE_ANALYTIC",
    "EXT_SOURCE_NONE",
    "ANALYTIC_AV_PER_KPC",
    "ANALYTIC_RV",
    "ANALYTIC_H_R_KPC",
    "ANALYTIC_H_Z_KPC",
    "resolve_dust_dir",
    "map_available",
    "load_dust_map",
    "map_ebv_sfd",
    "analytic_ebv",
    "radec_to_lb",
    "extinction",
]

logger = logging.getLogger(__name__)

#: A_band / E(B-V) for Gaia (G, BP, RP) (Casagrande & VandenBerg 2018), on the SF11 E(B-V) scale.
CV18_COEFFS = (2.740, 3.374, 2.035)
#: mwdust's SFD-scale E(B-V) -> SF11 scale (SF11 Table 6 Landolt B - V = 3.626 - 2.742; mwdust's own factor).
EBV_SFD_TO_SF11 = 0.884

#: Files each supported mwdust map reads, relative to ``$DUST_DIR`` (from mwdust 1.8's source).
MAP_FILES: dict[str, tuple[str, ...]] = {
    "Combined19": ("combined19/combine19.h5",),
    "Combined15": ("combined15/dust-map-3d.h5",),
    "Green15": ("green15/dust-map-3d.h5",),
    "Green17": ("green17/bayestar2017.h5",),
    "Green19": ("green19/bayestar2019.h5",),
    "Marshall06": ("marshall06/table1.dat", "marshall06/ReadMe"),
    "SFD": ("maps/SFD_dust_4096_ngp.fits", "maps/SFD_dust_4096_sgp.fits"),
}

EXT_SOURCE_CATALOG = "catalog"
EXT_SOURCE_ANALYTIC = "analytic"
EXT_SOURCE_NONE = "none"
_FALLBACKS = (EXT_SOURCE_CATALOG, EXT_SOURCE_ANALYTIC)


# --------------------------------------------------------------------------------------------------------
# mwdust maps
# --------------------------------------------------------------------------------------------------------


def resolve_dust_dir(dust_dir: str | os.PathLike | None = None) -> Path | None:
    """The dust-map folder: ``dust_dir`` if given, else ``$DUST_DIR``, else None (no maps)."""
    if dust_dir is None:
        dust_dir = os.environ.get("DUST_DIR")
    if dust_dir is None or str(dust_dir) == "":
        return None
    return Path(dust_dir).expanduser().resolve()


def _check_map_name(dust_map: str) -> None:
    if dust_map not in MAP_FILES:
        raise ValueError(
            f"extinction.dust_map = {dust_map!r} is not a supported mwdust map; use one of "
            f"{', '.join(sorted(MAP_FILES))} (or null for no map)"
        )


def map_available(dust_map: str | None = "Combined19", dust_dir: str | os.PathLike | None = None) -> bool:
    """True when every file ``dust_map`` reads exists under the dust folder (never downloads or imports)."""
    if dust_map is None:
        return False
    _check_map_name(dust_map)
    root = resolve_dust_dir(dust_dir)
    return root is not None and all((root / f).is_file() for f in MAP_FILES[dust_map])


def _import_mwdust(root: Path):
    if "mwdust" in sys.modules:
        from mwdust.util import download

        current = Path(download.dust_dir).expanduser().resolve()
        if current != root:
            raise RuntimeError(
                f"mwdust was already imported in this process with its map folder {str(current)!r}, but "
                f"the maps were asked from {str(root)!r}. mwdust reads DUST_DIR once, at import: set the "
                f"environment variable DUST_DIR={root} before the worker starts, or pass the same dust_dir "
                f"everywhere."
            )
    else:
        os.environ["DUST_DIR"] = str(root)
    import mwdust

    return mwdust


@functools.lru_cache(maxsize=4)
def _load(dust_map: str, root: Path):
    mwdust = _import_mwdust(root)
    logger.info("loading mwdust map %s from %s", dust_map, root)
    return getattr(mwdust, dust_map)(filter=None)


def load_dust_map(dust_map: str = "Combined19", dust_dir: str | os.PathLike | None = None):
    """The mwdust map object, loaded once per process (cached on (map, folder)).

    Raises
    ------
    FileNotFoundError
        When the map's files are not under the dust folder (this function never downloads).
    """
    _check_map_name(dust_map)
    root = resolve_dust_dir(dust_dir)
    if not map_available(dust_map, root):
        need = ", ".join(MAP_FILES[dust_map])
        raise FileNotFoundError(
            f"mwdust map {dust_map!r} needs {need} under the dust folder {str(root)!r} (DUST_DIR); download "
            f"them where there is network (python -c 'import mwdust; mwdust.{dust_map}()' with DUST_DIR set) "
            f"and copy the folder here, or let the stage fall back to the catalogue / analytic extinction"
        )
    return _load(dust_map, root)


def map_ebv_sfd(l_deg, b_deg, dist_kpc, dust_map: str = "Combined19", dust_dir=None) -> np.ndarray:
    """E(B-V) on the SFD scale from an mwdust map; NaN where the map has no value or the input is invalid."""
    l_deg, b_deg, dist_kpc = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (l_deg, b_deg, dist_kpc))
    out = np.full(l_deg.shape, np.nan)
    good = np.isfinite(l_deg) & np.isfinite(b_deg) & np.isfinite(dist_kpc) & (dist_kpc > 0)
    if not good.any():
        return out
    dmap = load_dust_map(dust_map, dust_dir)
    l_g, b_g, d_g = l_deg[good], b_deg[good], dist_kpc[good]
    try:
        vals = np.asarray(dmap(l_g, b_g, d_g), dtype=np.float64)
    except NotImplementedError:  # maps without array (l, b) support (e.g. Marshall06)
        vals = np.array([float(np.asarray(dmap(li, bi, di)).reshape(-1)[0])
                         for li, bi, di in zip(l_g, b_g, d_g, strict=True)])
    out[good] = vals.reshape(-1)
    return out


# --------------------------------------------------------------------------------------------------------
# analytic model
# --------------------------------------------------------------------------------------------------------


#: Defaults of the analytic dust disk of :func:`analytic_ebv` (documented there).
ANALYTIC_AV_PER_KPC = 1.0
ANALYTIC_RV = 3.1
ANALYTIC_H_R_KPC = 5.0
ANALYTIC_H_Z_KPC = 0.1
_N_NODES = 16


def analytic_ebv(
    l_deg,
    b_deg,
    dist_kpc,
    *,
    R0_kpc: float = 8.27,
    av_per_kpc: float = ANALYTIC_AV_PER_KPC,
    rv: float = ANALYTIC_RV,
    h_R_kpc: float = ANALYTIC_H_R_KPC,
    h_z_kpc: float = ANALYTIC_H_Z_KPC,
) -> np.ndarray:
    """E(B-V) (SF11 scale) of a smooth double-exponential dust disk, integrated along the line of sight.

    Model: dust density rho(R, z) = rho_0 exp(-(R - R0) / h_R) exp(-|z| / h_z) with z measured from the
    Galactic plane through the Sun, normalised so that the midplane extinction at the Sun is
    ``av_per_kpc`` = 1.0 mag/kpc in V (the classical mean local value; Parenago 1940's barometric law is this
    model with h_R -> infinity), converted with R_V = 3.1; h_R = 5.0 kpc and h_z = 0.1 kpc are the cold dust
    disk of Misiriotis et al. (2006, A&A 459, 113). The pole-ward column is then A_V = 0.1 mag. The
    integral is exact in z (substitution t = (1 - exp(-k s)) / k, k = |sin b| / h_z) and uses 16-point
    Gauss-Legendre in t for the slow radial factor.

    This is a smooth fallback for when no map is available, deliberately unlike the mock's dust model; it has
    no clouds or spiral arms and is wrong by large factors along individual sight lines.

    Parameters
    ----------
    l_deg, b_deg : array_like
        Galactic longitude and latitude (deg).
    dist_kpc : array_like
        Distance (kpc).
    R0_kpc : float
        Sun - Galactic centre distance (kpc), from the run's frame.
    av_per_kpc, rv, h_R_kpc, h_z_kpc : float
        Model parameters (above).

    Returns
    -------
    ndarray
        E(B-V) in mag; NaN where an input is not finite or the distance is negative.
    """
    l_deg, b_deg, dist_kpc = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (l_deg, b_deg, dist_kpc)))
    shape = l_deg.shape
    lr, br, d = np.radians(l_deg.ravel()), np.radians(b_deg.ravel()), dist_kpc.ravel()
    good = np.isfinite(lr) & np.isfinite(br) & np.isfinite(d) & (d >= 0)
    out = np.full(d.shape, np.nan)
    lr, br, d = lr[good], br[good], d[good]
    k = np.abs(np.sin(br)) / h_z_kpc
    kd = k * d
    with np.errstate(divide="ignore", invalid="ignore"):
        T = np.where(k > 0, -np.expm1(-kd) / k, d)  # = integral_0^d exp(-k s) ds
    x, w = np.polynomial.legendre.leggauss(_N_NODES)
    t = 0.5 * T[:, None] * (x[None, :] + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(k[:, None] > 0, -np.log1p(-k[:, None] * t) / k[:, None], t)
    cb = np.cos(br)[:, None]
    X = -R0_kpc + s * cb * np.cos(lr)[:, None]
    Y = s * cb * np.sin(lr)[:, None]
    f = np.exp(-(np.hypot(X, Y) - R0_kpc) / h_R_kpc)
    # the quadrature sum column by column, not ``f @ w``: BLAS sums a row in an order that can depend on the
    # row's position in the array, which made a star's extinction depend (in the last bit) on its partition
    acc = np.zeros(T.shape)
    for j in range(w.size):
        acc += f[:, j] * w[j]
    integral = 0.5 * T * acc
    out[good] = av_per_kpc / rv * integral
    return out.reshape(shape)


# --------------------------------------------------------------------------------------------------------
# the stage kernel
# --------------------------------------------------------------------------------------------------------


def radec_to_lb(ra_deg, dec_deg) -> tuple[np.ndarray, np.ndarray]:
    """Galactic (l, b) in degrees from ICRS (ra, dec), with astropy (vectorised)."""
    import astropy.coordinates as coord
    import astropy.units as u

    ra = np.asarray(ra_deg, dtype=np.float64)
    dec = np.asarray(dec_deg, dtype=np.float64)
    out_l = np.full(ra.shape, np.nan)
    out_b = np.full(ra.shape, np.nan)
    good = np.isfinite(ra) & np.isfinite(dec)
    if good.any():
        g = coord.SkyCoord(ra=ra[good] * u.deg, dec=dec[good] * u.deg, frame="icrs").galactic
        out_l[good] = g.l.to_value(u.deg)
        out_b[good] = g.b.to_value(u.deg)
    return out_l, out_b


def extinction(
    l_deg,
    b_deg,
    dist_kpc,
    a_g_cat=None,
    dust_map: str | None = "Combined19",
    dust_dir: str | os.PathLike | None = None,
    *,
    coeffs: tuple[float, float, float] = CV18_COEFFS,
    ebv_sfd_to_sf11: float = EBV_SFD_TO_SF11,
    fallback: tuple[str, ...] | list[str] = _FALLBACKS,
    R0_kpc: float = 8.27,
    analytic: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A_G, A_BP, A_RP of each star and the source used for it.

    Parameters
    ----------
    l_deg, b_deg : array, shape (n,)
        Galactic coordinates (deg) (:func:`radec_to_lb`).
    dist_kpc : array, shape (n,)
        Distance (kpc): the Bailer-Jones median (``dist_med_pc / 1000``).
    a_g_cat : array, shape (n,), optional
        Catalogue A_G (``A_G_cat_mag``); NaN where absent.
    dust_map : str or None, default "Combined19"
        mwdust map class (:data:`MAP_FILES`); used only when its files exist under ``dust_dir``. None: no map.
    dust_dir : path, optional
        The map folder; default ``$DUST_DIR``.
    coeffs : (float, float, float), default (2.740, 3.374, 2.035)
        A_G, A_BP, A_RP per unit SF11-scale E(B-V) (Casagrande & VandenBerg 2018).
    ebv_sfd_to_sf11 : float, default 0.884
        Factor from the map's SFD-scale E(B-V) to the scale of ``coeffs``.
    fallback : sequence of {"catalog", "analytic"}, default ("catalog", "analytic")
        Sources tried, in order, for stars the map does not give.
    R0_kpc : float, default 8.27
        Solar radius for the analytic model (from the run's frame).
    analytic : dict, optional
        Parameters of :func:`analytic_ebv` (``av_per_kpc``, ``rv``, ``h_R_kpc``, ``h_z_kpc``).

    Returns
    -------
    A_G_mag, A_BP_mag, A_RP_mag : ndarray, shape (n,)
        Extinctions (mag); NaN where no source applies.
    ext_source : ndarray of object (str), shape (n,)
        ``"mwdust:<Map>"``, ``"catalog"``, ``"analytic"`` or ``"none"``.

    Raises
    ------
    ValueError
        For an unknown map or fallback name, or arrays of different lengths.
    """
    l_deg, b_deg, dist_kpc = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (l_deg, b_deg, dist_kpc))
    n = l_deg.size
    if b_deg.size != n or dist_kpc.size != n:
        raise ValueError(f"l_deg, b_deg and dist_kpc have {n}, {b_deg.size} and {dist_kpc.size} values; "
                         f"pass one value per star")
    cat = np.full(n, np.nan) if a_g_cat is None else np.asarray(a_g_cat, dtype=np.float64).reshape(-1)
    if cat.size != n:
        raise ValueError(f"a_g_cat has {cat.size} values for {n} stars; pass one per star or None")
    for f in fallback:
        if f not in _FALLBACKS:
            raise ValueError(f"extinction.fallback entry {f!r} is unknown; use a list of {list(_FALLBACKS)}")
    cG, cBP, cRP = (float(c) for c in coeffs)
    ebv = np.full(n, np.nan)
    source = np.full(n, EXT_SOURCE_NONE, dtype=object)
    if dust_map is not None:
        _check_map_name(dust_map)
        if map_available(dust_map, dust_dir):
            e = map_ebv_sfd(l_deg, b_deg, dist_kpc, dust_map, dust_dir) * ebv_sfd_to_sf11
            got = np.isfinite(e)
            ebv[got] = np.maximum(e[got], 0.0)  # the map's spline can dip below 0 before its first node
            source[got] = f"mwdust:{dust_map}"
        else:
            logger.debug("mwdust map %s not found under %s; using %s", dust_map, resolve_dust_dir(dust_dir),
                         list(fallback))
    a_g = cG * ebv
    a_bp = cBP * ebv
    a_rp = cRP * ebv
    for f in fallback:
        todo = source == EXT_SOURCE_NONE
        if not todo.any():
            break
        if f == EXT_SOURCE_CATALOG:
            use = todo & np.isfinite(cat)
            a_g[use] = cat[use]
            a_bp[use] = cat[use] * (cBP / cG)
            a_rp[use] = cat[use] * (cRP / cG)
        else:
            e = np.full(n, np.nan)
            e[todo] = analytic_ebv(
                l_deg[todo], b_deg[todo], dist_kpc[todo], R0_kpc=R0_kpc, **(analytic or {})
            )
            use = todo & np.isfinite(e)
            a_g[use] = cG * e[use]
            a_bp[use] = cBP * e[use]
            a_rp[use] = cRP * e[use]
        source[use] = f
    return a_g, a_bp, a_rp, source
