"""Mock stars on isochrones: Kroupa initial masses placed on the isochrone of the star's age and [M/H].

Placement: the four grid isochrones bracketing (age, [M/H]_eff) are combined bilinearly at fixed EEP (over the
EEPs all four share), which gives an isochrone at the star's own age and composition; the star's initial mass
is then located on it (initial mass increases along an isochrone) and Teff, log g, absolute G/BP/RP and the
band extinction coefficients are interpolated linearly in mass. A mass above the isochrone's last point is a
dead star (remnant, not observed); the rejection loop draws again. The last point is the RGB tip for DSEP and
the end of the core-helium burning (PARSEC) or of the early AGB (MIST) for grids that go past the tip: there
masses above the tip land on the red clump, and the He-flash segment (tip -> ZACHeB) spans only 1e-9 Msun.
Ages outside the grid (the optional < 1 Gyr population) and [M/H] outside it are clamped to the grid edge *for
the photometry only*: a 0.5 Gyr star looks like a 1 Gyr one of the same mass (its main sequence barely moves;
stars above the 1 Gyr turn-off mass are missing), a [M/H] = +0.6 star like a +0.5 one. Their true ages and
abundances are kept.
"""

from __future__ import annotations

import functools
import logging

import numba
import numpy as np

__all__ = ["grid_arrays", "kroupa_segments", "kroupa_sample", "place_on_isochrone",
           "place_stars"]

logger = logging.getLogger(__name__)

#: Kroupa (2001) IMF: slopes alpha (xi ~ m^-alpha) and break masses (Msun).
KROUPA_BREAKS = (0.08, 0.5)
KROUPA_ALPHAS = (0.3, 1.3, 2.3)

#: Point columns interpolated onto the star (order of the output vector).
STAR_COLUMNS = ("teff_k", "logg", "g_mag", "bp_mag", "rp_mag", "ag_per_av", "abp_per_av", "arp_per_av")


@functools.lru_cache(maxsize=4)
def grid_arrays(family: str):
    """(ages, mh_nodes, iso_index[k_mh, j_age], iso_start, eep, mass, props[n_pts, 8], m_max) of a grid.

    Parameters
    ----------
    family : str
        Passed to :func:`mwdisk.isochrones.load_grid` ("dsep", "parsec", "mist" or a path); must be on the
        "mh" axis.
    """
    from mwdisk.isochrones import load_grid

    grid = load_grid(family)
    if grid.comp_axis != "mh":
        raise ValueError(f"the mock needs an [M/H]_eff grid; {family!r} has comp_axis={grid.comp_axis!r}")
    mh_nodes = np.unique(grid.iso_mh)
    idx = np.full((mh_nodes.size, grid.ages_gyr.size), -1, dtype=np.int64)
    k = np.searchsorted(mh_nodes, grid.iso_mh)
    idx[k, grid.iso_age_idx] = np.arange(grid.n_iso)
    if np.any(idx < 0):
        raise ValueError(f"isochrone grid {family!r} is not a full (age x [M/H]) rectangle; the mock "
                         "needs one")
    props = np.ascontiguousarray(np.column_stack([getattr(grid, c) for c in STAR_COLUMNS]))
    return (
            np.ascontiguousarray(grid.ages_gyr, dtype=np.float64),
            np.ascontiguousarray(mh_nodes, dtype=np.float64),
            idx,
            np.ascontiguousarray(grid.iso_start, dtype=np.int64),
            np.ascontiguousarray(grid.eep, dtype=np.float64),
            np.ascontiguousarray(grid.mass_init_msun, dtype=np.float64),
            props,
            float(grid.mass_init_msun.max()),
    )


def kroupa_segments(m_min: float, m_max: float) -> np.ndarray:
    """(n_seg, 4) rows (m_lo, m_hi, alpha, cumulative probability at m_hi) of Kroupa on [m_min, m_max]."""
    if not 0 < m_min < m_max:
        raise ValueError(f"IMF mass range [{m_min}, {m_max}] Msun is empty; need 0 < mass_min < mass_max")
    edges = [0.0, *KROUPA_BREAKS, np.inf]
    # continuity coefficients: xi = k_i m^-alpha_i
    kco = [1.0]
    for b, a0, a1 in zip(KROUPA_BREAKS, KROUPA_ALPHAS[:-1], KROUPA_ALPHAS[1:], strict=True):
        kco.append(kco[-1] * b ** (a1 - a0))
    rows = []
    for i, alpha in enumerate(KROUPA_ALPHAS):
        lo, hi = max(edges[i], m_min), min(edges[i + 1], m_max)
        if hi <= lo:
            continue
        w = kco[i] * ((hi ** (1 - alpha) - lo ** (1 - alpha)) / (1 - alpha))
        rows.append([lo, hi, alpha, w])
    out = np.array(rows, dtype=np.float64)
    out[:, 3] = np.cumsum(out[:, 3]) / out[:, 3].sum()
    return out


@numba.njit(cache=True)
def kroupa_sample(u, seg):
    """Initial mass for a uniform ``u``: exact inversion of the piecewise power law (kroupa_segments)."""
    n = seg.shape[0]
    i = 0
    while i < n - 1 and u > seg[i, 3]:
        i += 1
    c0 = seg[i - 1, 3] if i > 0 else 0.0
    t = (u - c0) / (seg[i, 3] - c0)
    lo, hi, alpha = seg[i, 0], seg[i, 1], seg[i, 2]
    e = 1.0 - alpha
    return (lo**e + t * (hi**e - lo**e)) ** (1.0 / e)


@numba.njit(cache=True)
def _bracket(nodes, x):
    n = nodes.shape[0]
    if x <= nodes[0]:
        return 0, 0, 0.0
    if x >= nodes[n - 1]:
        return n - 1, n - 1, 0.0
    j = np.searchsorted(nodes, x) - 1
    return j, j + 1, (x - nodes[j]) / (nodes[j + 1] - nodes[j])


@numba.njit(cache=True)
def place_on_isochrone(mass, age_gyr, mh, ages, mh_nodes, iso_index, iso_start, eep, mass_pts, props, out):
    """Fill ``out`` (8,) with the star's STAR_COLUMNS; return 0 (placed), 1 (dead: above the isochrone's last
    mass) or 2 (below its first mass)."""
    j0, j1, wa = _bracket(ages, age_gyr)
    k0, k1, wm = _bracket(mh_nodes, mh)
    iso = (iso_index[k0, j0], iso_index[k0, j1], iso_index[k1, j0], iso_index[k1, j1])
    w = ((1 - wm) * (1 - wa), (1 - wm) * wa, wm * (1 - wa), wm * wa)
    p = np.empty(4, np.int64)
    end = np.empty(4, np.int64)
    prev = np.empty(4, np.int64)
    for c in range(4):
        p[c] = iso_start[iso[c]]
        end[c] = iso_start[iso[c] + 1]
    have_prev = False
    m_prev = 0.0
    while True:
        # advance to the next EEP shared by all four isochrones
        e = eep[p[0]]
        for c in range(1, 4):
            if eep[p[c]] > e:
                e = eep[p[c]]
        done = False
        for c in range(4):
            while p[c] < end[c] and eep[p[c]] < e:
                p[c] += 1
            if p[c] >= end[c]:
                done = True
        if done:
            return 1
        same = True
        for c in range(4):
            if eep[p[c]] != e:
                same = False
        if not same:
            continue
        m_cur = 0.0
        for c in range(4):
            m_cur += w[c] * mass_pts[p[c]]
        if m_cur >= mass:
            if not have_prev:
                return 2
            t = (mass - m_prev) / (m_cur - m_prev)
            for q in range(out.shape[0]):
                a = 0.0
                b = 0.0
                for c in range(4):
                    a += w[c] * props[prev[c], q]
                    b += w[c] * props[p[c], q]
                out[q] = a + t * (b - a)
            return 0
        for c in range(4):
            prev[c] = p[c]
            p[c] += 1
            if p[c] >= end[c]:
                return 1
        m_prev = m_cur
        have_prev = True


def place_stars(mass_msun, age_gyr, mh, family: str = "dsep"):
    """Vectorised :func:`place_on_isochrone` (for tests and diagnostics).

    Returns
    -------
    props : numpy.ndarray
        (n, 8) STAR_COLUMNS, NaN where not placed.
    status : numpy.ndarray
        (n,) int: 0 placed, 1 dead, 2 below the grid's lowest mass.
    """
    ages, mh_nodes, idx, start, eep, mass_pts, props, _ = grid_arrays(family)
    mass_msun, age_gyr, mh = np.broadcast_arrays(*(np.asarray(a, float) for a in (mass_msun, age_gyr, mh)))
    out = np.full((mass_msun.size, len(STAR_COLUMNS)), np.nan)
    status = np.zeros(mass_msun.size, np.int64)
    buf = np.empty(len(STAR_COLUMNS))
    for i, (m, a, z) in enumerate(zip(mass_msun.ravel(), age_gyr.ravel(), mh.ravel(), strict=True)):
        status[i] = place_on_isochrone(m, a, z, ages, mh_nodes, idx, start, eep, mass_pts, props, buf)
        if status[i] == 0:
            out[i] = buf
    return out, status

