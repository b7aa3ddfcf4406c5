"""Age-binned metallicity gradients and their trend with age, as an associative reduction.

METHOD.md section 6. Stars of one selection are put into half-open age bins [lo, hi) of 1.25 Gyr from 1 to
12.25 Gyr by their maximum-likelihood age (a mode exactly on an edge such as 2.25 Gyr goes to the bin that
starts there). In each bin [Fe/H] = a + b R is fitted by orthogonal distance regression (:mod:`mwdisk.odr`)
with both error models; b is the gradient in dex/kpc. The trend is a weighted line through the gradients of
the bins with enough members, against bin age.

The reduction has three steps, so that the catalogue is never gathered in one place (one module each:
:mod:`~mwdisk.gradients.bins` the age bins and defaults, :mod:`~mwdisk.gradients.expansion` the
error-expanded ages, :mod:`~mwdisk.gradients.groups` the reduction, :mod:`~mwdisk.gradients.tables` the fits):

1. per partition, :func:`partition_groups` turns the members of one (selection, potential, R0, v0, radius)
   into one :class:`AgeBinGroup` per age bin: the members' compact arrays (source_id, age, R, R error,
   [Fe/H], [Fe/H] error; 48 bytes a star) sorted canonically, and an integer histogram of their
   error-expanded ages on a fine grid;
2. :func:`combine_groups` merges two such dicts (concatenate and re-sort the members, add the histograms).
   It is associative and commutative *exactly*: the result is the canonically sorted multiset of members
   whatever the partitioning or the shape of the reduction tree, so the fits are bit-identical for 1 or
   7 partitions;
3. :func:`gradient_table` fits every bin and writes the rows of ``OUT/gradients.csv``;
   :func:`trend_table` fits the trends and writes the rows of ``OUT/trends.csv``.

Beside this binned method (the paper's), :mod:`~mwdisk.gradients.law` fits the gradient-age law by likelihood
over each star's whole G function (issue 19): no binning by modal age, so no star moves between bins; its
per-partition step returns exact integer sums, so the fit is the same for any partitioning.

Error-expanded ages (the x error bars): each member's age is drawn ``n_draws`` times from its G function
(the linearly interpolated G on the isochrone age grid, used as a density in linear age; inverse CDF), with
uniforms from :mod:`mwdisk.rng` keyed by (seed, source_id, draw number), so a star's draws do not depend on
the partitioning. The 16th and 84th percentiles of the pooled draws of a bin's members are
``age_err_lo_gyr`` and ``age_err_hi_gyr`` (ages, not offsets); they are read from the summed fine histogram
(0.01 Gyr bins by default, linear within a bin).

Examples
--------
>>> import numpy as np
>>> edges = age_bin_edges()
>>> edges[:3]
array([1.  , 2.25, 3.5 ])
>>> assign_age_bins(np.array([0.9, 1.0, 2.25, 12.2, 12.25]), edges)
array([-1,  0,  1,  8, -1])
"""

from __future__ import annotations

from . import bins, expansion, groups, law, tables
from .bins import *  # noqa: F403  (the public names of each module, listed in its __all__)
from .expansion import *  # noqa: F403
from .groups import *  # noqa: F403
from .law import *  # noqa: F403
from .tables import *  # noqa: F403

__all__ = [*bins.__all__, *expansion.__all__, *groups.__all__, *law.__all__, *tables.__all__]
