"""Composition axes of the isochrone grid: the Salaris effective metallicity and the paper's nodes.

Under the Salaris, Chieffi & Straniero (1993) approximation an alpha-enhanced isochrone looks like a
scaled-solar one at the effective metallicity ``[M/H] = [Fe/H] + log10(0.638 f + 0.362)`` with ``f =
10**[alpha/Fe]`` (METHOD.md section 1). The default composition axis of mwdisk is that one [M/H]_eff axis; the
paper's ([Fe/H], [alpha/Fe]) node grid is the paper-faithful option.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = [
    "SALARIS_A",
    "SALARIS_B",
    "salaris_mh",
    "default_mh_nodes",
    "paper_feh_afe_nodes",
    "default_ages_gyr",
]

logger = logging.getLogger(__name__)

#: Coefficients of the Salaris et al. (1993) formula: [M/H] = [Fe/H] + log10(A 10**[a/Fe] + B).
SALARIS_A = 0.638
SALARIS_B = 0.362


def salaris_mh(feh, afe):
    """Effective metallicity [M/H]_eff of a star or node from [Fe/H] and [alpha/Fe] (Salaris et al. 1993).

    Parameters
    ----------
    feh : float or array_like
        Iron abundance [Fe/H] in dex.
    afe : float or array_like
        Alpha enhancement [alpha/Fe] in dex (broadcast against ``feh``).

    Returns
    -------
    numpy.ndarray or float
        ``feh + log10(0.638 * 10**afe + 0.362)``.

    Examples
    --------
    >>> float(salaris_mh(0.0, 0.0))
    0.0
    >>> round(float(salaris_mh(-1.0, 0.4)), 4)
    -0.7067
    """
    feh = np.asarray(feh, dtype=float)
    afe = np.asarray(afe, dtype=float)
    out = feh + np.log10(SALARIS_A * 10.0**afe + SALARIS_B)
    return out if out.ndim else float(out)


def default_mh_nodes(mh_min: float = -2.0, mh_max: float = 0.5, step_dex: float = 0.05) -> np.ndarray:
    """The default [M/H]_eff axis: ``mh_min .. mh_max`` at ``step_dex`` (51 nodes by default).

    Nodes are rounded to 1e-6 dex so that they compare exactly with stored values.
    """
    if step_dex <= 0 or mh_max < mh_min:
        raise ValueError(
            f"bad [M/H] axis {mh_min}..{mh_max} step {step_dex}; give mh_min <= mh_max, step > 0"
        )
    n = int(round((mh_max - mh_min) / step_dex)) + 1
    return np.round(mh_min + step_dex * np.arange(n), 6)


def paper_feh_afe_nodes(
    feh_min: float = -2.0,
    feh_max: float = 0.5,
    feh_step: float = 0.1,
    afe_min: float = -0.2,
    afe_max: float = 0.8,
    afe_step: float = 0.2,
    afe_max_supersolar: float = 0.2,
) -> tuple[np.ndarray, np.ndarray]:
    """The paper's composition nodes: [Fe/H] x [alpha/Fe], with [alpha/Fe] <= +0.2 where [Fe/H] > 0.

    The paper's [Fe/H] starts at -2.4; the default here starts at -2.0, the bottom of the DSEP grid
    available offline.

    Returns
    -------
    feh, afe : numpy.ndarray
        Flat arrays of the node coordinates, [Fe/H]-major then [alpha/Fe] ascending.
    """
    fehs = np.round(feh_min + feh_step * np.arange(int(round((feh_max - feh_min) / feh_step)) + 1), 6)
    afes = np.round(afe_min + afe_step * np.arange(int(round((afe_max - afe_min) / afe_step)) + 1), 6)
    feh_out, afe_out = [], []
    for feh in fehs:
        for afe in afes:
            if feh > 1e-9 and afe > afe_max_supersolar + 1e-9:
                continue
            feh_out.append(feh)
            afe_out.append(afe)
    return np.array(feh_out), np.array(afe_out)


def default_ages_gyr() -> np.ndarray:
    """The paper's age grid: 1..5 Gyr at 0.25 Gyr, then 5.5..14.5 Gyr at 0.5 Gyr (36 ages)."""
    young = 1.0 + 0.25 * np.arange(17)
    old = 5.5 + 0.5 * np.arange(19)
    return np.round(np.concatenate([young, old]), 6)
