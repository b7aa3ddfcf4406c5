"""The built-in mock Milky Way: a LAMOST x Gaia-like catalogue with known truth (issue 5).

Pure functions; the Dask orchestration and the ``mwdisk mock`` CLI call :func:`generate_partition` once per
partition of global star indices.
"""

from .chemistry import injected_gradient
from .defects import DEFECTS
from .generate import generate_partition
from .options import TRUTH_COLUMNS, MockOptions

__all__ = ["MockOptions", "generate_partition", "injected_gradient", "DEFECTS", "TRUTH_COLUMNS"]
