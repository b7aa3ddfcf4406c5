"""The associative reduction of a selection's members into age-bin groups (steps 1 and 2).

:func:`partition_groups` turns the members of one (selection, potential, R0, v0, radius) in one partition into
one :class:`AgeBinGroup` per age bin: the members' compact arrays (source_id, age, R, R error, [Fe/H], [Fe/H]
error; 48 bytes a star) sorted canonically, and an integer histogram of their error-expanded ages.
:func:`combine_groups` merges two such dicts. It is associative and commutative *exactly*: the result is the
canonically sorted multiset of members whatever the partitioning or the shape of the reduction tree, so the
fits are bit-identical for 1 or 7 partitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .bins import HIST_EDGES_GYR, age_bin_edges, assign_age_bins

__all__ = [
    "GROUP_KEY_FIELDS",
    "AgeBinGroup",
    "partition_groups",
    "combine_groups",
]

#: Fields of a group key, followed by the age-bin index: (selection, potential, R0_kpc, v0_kms, radius, bin).
GROUP_KEY_FIELDS = ("selection", "potential", "R0_kpc", "v0_kms", "radius")

_MEMBER_FIELDS = ("source_id", "age_gyr", "radius_kpc", "radius_err_kpc", "feh", "feh_err")


@dataclass(frozen=True, eq=False)
class AgeBinGroup:
    """Members of one (selection, potential, R0, v0, radius, age bin), canonically sorted.

    Attributes
    ----------
    source_id : int64 array
    age_gyr : float64 array
        Maximum-likelihood (mode) ages that put the stars in this bin.
    radius_kpc, radius_err_kpc : float64 arrays
        R_g (or R_present) and its Monte-Carlo standard deviation.
    feh, feh_err : float64 arrays
        [Fe/H] and its error, dex.
    age_hist : int64 array
        Counts of the members' error-expanded age draws on the fine grid.
    n_rejected : int
        Stars that fell in this bin but could not be fitted (NaN radius or [Fe/H], error <= 0 or NaN).
    """

    source_id: np.ndarray
    age_gyr: np.ndarray
    radius_kpc: np.ndarray
    radius_err_kpc: np.ndarray
    feh: np.ndarray
    feh_err: np.ndarray
    age_hist: np.ndarray
    n_rejected: int = 0

    @property
    def n(self) -> int:
        """Number of members."""
        return int(self.source_id.shape[0])

    def sorted(self) -> AgeBinGroup:
        """The same members in canonical order: by source_id, ties broken by every other field."""
        order = np.lexsort(
            (self.feh_err, self.feh, self.radius_err_kpc, self.radius_kpc, self.age_gyr, self.source_id)
        )
        return AgeBinGroup(
            *(getattr(self, f)[order] for f in _MEMBER_FIELDS),
            age_hist=self.age_hist,
            n_rejected=self.n_rejected,
        )

    def merge(self, other: AgeBinGroup) -> AgeBinGroup:
        """Union of the members (canonically sorted) and sum of the histograms."""
        if other.age_hist.shape != self.age_hist.shape:
            raise ValueError(
                f"cannot merge age histograms of {self.age_hist.size} and {other.age_hist.size} bins; "
                f"every partition must use the same hist_edges"
            )
        merged = AgeBinGroup(
            *(np.concatenate([getattr(self, f), getattr(other, f)]) for f in _MEMBER_FIELDS),
            age_hist=self.age_hist + other.age_hist,
            n_rejected=self.n_rejected + other.n_rejected,
        )
        return merged.sorted()


def partition_groups(
    key_prefix: tuple,
    source_id: np.ndarray,
    age_gyr: np.ndarray,
    radius_kpc: np.ndarray,
    radius_err_kpc: np.ndarray,
    feh: np.ndarray,
    feh_err: np.ndarray,
    draw_bins: np.ndarray,
    *,
    edges: np.ndarray | None = None,
    n_hist: int = HIST_EDGES_GYR.size - 1,
) -> dict[tuple, AgeBinGroup]:
    """Split the selected stars of one partition into age-bin groups (step 1 of the reduction).

    Parameters
    ----------
    key_prefix : tuple
        (selection, potential, R0_kpc, v0_kms, radius), see :data:`GROUP_KEY_FIELDS`; the age-bin index is
        appended to make each group's key. Use ``"none"`` as potential for R_present.
    source_id, age_gyr, radius_kpc, radius_err_kpc, feh, feh_err : arrays, shape (n,)
        The selected stars only (apply the selection mask first): keys, mode ages in Gyr, R_g or
        R_present and its MC std in kpc, [Fe/H] and its error in dex.
    draw_bins : int array, shape (n, n_draws)
        :func:`draw_bin_index` of the stars' error-expanded ages.
    edges : array of float, optional
        Age-bin edges (default :func:`age_bin_edges`).
    n_hist : int
        Number of bins of the fine histogram (``len(hist_edges) - 1``).

    Returns
    -------
    dict
        ``key_prefix + (bin_index,)`` -> :class:`AgeBinGroup`, only for bins with at least one star.
        Stars with unusable radius or [Fe/H] values are counted in ``n_rejected`` and contribute neither
        members nor age draws.
    """
    if len(key_prefix) != len(GROUP_KEY_FIELDS):
        raise ValueError(f"key_prefix = {key_prefix!r}; it must be a tuple {GROUP_KEY_FIELDS}")
    edges = age_bin_edges() if edges is None else np.asarray(edges, dtype=np.float64)
    sid = np.asarray(source_id).astype(np.int64, copy=False)
    cols = [np.asarray(a, dtype=np.float64) for a in (age_gyr, radius_kpc, radius_err_kpc, feh, feh_err)]
    n = sid.shape[0]
    draw_bins = np.asarray(draw_bins)
    if draw_bins.ndim != 2 or draw_bins.shape[0] != n or any(c.shape != (n,) for c in cols):
        raise ValueError(
            f"partition_groups: every array must have {n} rows (source_id); got "
            f"{[c.shape for c in cols]} and draw_bins {draw_bins.shape}"
        )
    age, r, r_err, y, y_err = cols
    b = assign_age_bins(age, edges)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(r) & np.isfinite(y) & np.isfinite(r_err) & np.isfinite(y_err)
        usable &= (r_err > 0) & (y_err > 0)
    out: dict[tuple, AgeBinGroup] = {}
    for k in np.unique(b[b >= 0]):
        in_bin = b == k
        m = in_bin & usable
        idx = draw_bins[m].ravel()
        hist = np.bincount(idx[idx >= 0].astype(np.int64), minlength=n_hist).astype(np.int64)
        if hist.size != n_hist:
            raise ValueError(
                f"draw_bins has index {hist.size - 1} >= n_hist = {n_hist}; pass n_hist = len(hist_edges) - 1"
            )
        group = AgeBinGroup(
            sid[m],
            age[m],
            r[m],
            r_err[m],
            y[m],
            y_err[m],
            age_hist=hist,
            n_rejected=int(in_bin.sum() - m.sum()),
        )
        out[(*key_prefix, int(k))] = group.sorted()
    return out


def combine_groups(
    a: Mapping[tuple, AgeBinGroup], b: Mapping[tuple, AgeBinGroup]
) -> dict[tuple, AgeBinGroup]:
    """Merge two dicts of groups (step 2 of the reduction); associative and commutative exactly.

    Groups under the same key are merged with :meth:`AgeBinGroup.merge`; the inputs are not modified.
    """
    out = dict(a)
    for key, g in b.items():
        out[key] = out[key].merge(g) if key in out else g
    return out
