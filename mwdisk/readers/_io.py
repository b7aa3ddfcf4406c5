"""Shared reading helpers: table formats, column lookup by alias, null sentinels, refusal before reading.

Every reader first lists a file's column names without reading its rows (FITS header, CSV first line, ECSV
YAML header, VOTable FIELD elements), checks that the columns it needs are there, and only then reads the
needed columns. Names are matched case-insensitively, because the same product comes with upper-case (FITS
tables written by IDL/STILTS) or lower-case (archive, CSV) names.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..schema import SchemaError

__all__ = ["Need", "table_format", "column_names", "resolve_columns", "read_columns", "to_float", "to_int64"]

logger = logging.getLogger(__name__)

_FITS = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fz")
_CSV = (".csv", ".csv.gz")
_ECSV = (".ecsv", ".ecsv.gz")
_VOT = (".vot", ".votable", ".xml", ".vot.gz")


@dataclass(frozen=True)
class Need:
    """A column a reader needs: its key, the names it may have in the product (first found wins)."""

    key: str
    aliases: tuple[str, ...]
    required: bool = True
    what: str = ""


def table_format(path: str | Path) -> str:
    """``"fits"``, ``"csv"``, ``"ecsv"`` or ``"votable"`` from the file name; refuses anything else."""
    name = str(path).lower()
    for fmt, exts in (("fits", _FITS), ("ecsv", _ECSV), ("csv", _CSV), ("votable", _VOT)):
        if name.endswith(exts):
            return fmt
    raise SchemaError(
        f"{path}: unknown table format (expected a name ending in one of "
        f"{', '.join(_FITS + _CSV + _ECSV + _VOT)}); rename the file or convert it, e.g. with TOPCAT/STILTS."
    )


def _ecsv_names(path: Path) -> list[str]:
    import yaml

    opener = _opener(path)
    head: list[str] = []
    with opener(path, "rt") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            head.append(line[2:] if line.startswith("# ") else line[1:])
    if not head or not head[0].startswith("%ECSV"):
        raise SchemaError(f"{path}: not an ECSV file (first line must be '# %ECSV <version>')")
    meta = yaml.safe_load("".join(head[1:]).replace("---\n", "", 1)) or {}
    return [c["name"] for c in meta.get("datatype", [])]


def _votable_names(path: Path) -> list[str]:
    names: list[str] = []
    opener = _opener(path)
    with opener(path, "rb") as fh:
        for _event, elem in ET.iterparse(fh, events=("start",)):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "FIELD":
                names.append(elem.attrib.get("name", ""))
            elif tag == "DATA":
                break
    return names


def _opener(path: Path):
    if str(path).lower().endswith(".gz"):
        import gzip

        return gzip.open
    return open


def column_names(path: str | Path, hdu: int = 1) -> list[str]:
    """Column names of a table file, read from its header only (no rows are read)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such file")
    fmt = table_format(p)
    if fmt == "fits":
        from astropy.io import fits

        with fits.open(p, memmap=True) as hl:
            if len(hl) <= hdu or not hasattr(hl[hdu], "columns"):
                raise SchemaError(f"{p}: HDU {hdu} is not a table; give the FITS table extension")
            return list(hl[hdu].columns.names)
    if fmt == "csv":
        return list(pd.read_csv(p, nrows=0).columns)
    if fmt == "ecsv":
        return _ecsv_names(p)
    return _votable_names(p)


def resolve_columns(path: str | Path, available: Sequence[str], needs: Iterable[Need],
                    product: str) -> dict[str, str]:
    """Map each :class:`Need` key to the file's actual column name; refuse a missing required column.

    Raises
    ------
    SchemaError
        Naming the file, the missing column (with the names accepted) and the product expected.
    """
    lower = {c.lower(): c for c in available}
    out: dict[str, str] = {}
    for n in needs:
        hit = next((lower[a.lower()] for a in n.aliases if a.lower() in lower), None)
        if hit is not None:
            out[n.key] = hit
        elif n.required:
            alts = " / ".join(repr(a) for a in n.aliases)
            raise SchemaError(
                f"{path}: missing column {n.aliases[0]!r}{' (' + n.what + ')' if n.what else ''}, "
                f"expected in a "
                f"{product} file (accepted names: {alts}). Check that this is the {product} product, "
                f"or give its "
                f"columns the documented names."
            )
    return out


def read_columns(path: str | Path, names: Sequence[str], hdu: int = 1) -> pd.DataFrame:
    """Read only ``names`` from a table file into pandas; masked/empty values become NaN (floats) or <NA>.

    Integer columns keep their exact values (no trip through float): Gaia ``source_id`` needs all 19 digits.
    """
    p = Path(path)
    fmt = table_format(p)
    names = list(dict.fromkeys(names))
    if fmt == "csv":
        df = pd.read_csv(p, usecols=names, dtype_backend="numpy_nullable")
        return df[names]
    from astropy.table import Table

    if fmt == "fits":
        t = Table.read(p, format="fits", hdu=hdu, memmap=True)[names]  # memmap: only these columns load
    elif fmt == "ecsv":
        t = Table.read(p, format="ascii.ecsv")[names]
    else:
        t = Table.read(p, format="votable", use_names_over_ids=True)
        t = t[names]
    cols = {}
    for n in names:
        c = t[n]
        data = np.array(c.data if not hasattr(c, "mask") else c.filled(_fill_for(c)))
        if data.dtype.kind in "SU":
            data = np.char.strip(data.astype(str)).astype(object)
        elif data.dtype.byteorder not in ("=", "|"):
            data = data.astype(data.dtype.newbyteorder("="))
        s = pd.Series(data, name=n)
        if hasattr(c, "mask") and np.any(c.mask):
            mask = np.asarray(c.mask)
            if data.dtype.kind in "iu":
                s = pd.Series(pd.array(data, dtype="Int64"), name=n)
                s[mask] = pd.NA
            elif data.dtype.kind == "f":
                s = s.where(~mask, np.nan)
        cols[n] = s
    return pd.DataFrame(cols)


def _fill_for(c):
    kind = c.dtype.kind
    if kind == "f":
        return np.nan
    if kind in "iu":
        return 0
    if kind == "b":
        return False
    return ""


def to_float(s: pd.Series, sentinels: Iterable[float] = (), scale: float = 1.0) -> np.ndarray:
    """A float64 array with NaN for nulls and for any value equal to a sentinel (e.g. LAMOST's -9999)."""
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    for x in sentinels:
        v = np.where(np.isclose(v, x, rtol=0.0, atol=1e-6), np.nan, v)
    return v * scale


def to_int64(s: pd.Series, path: str | Path, name: str, product: str) -> np.ndarray:
    """An exact int64 array; a null or non-integer id is a bad file (ids are keys), refused naming the row."""
    if pd.api.types.is_integer_dtype(s.dtype) and not s.isna().any():
        return s.to_numpy(dtype=np.int64)
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(
            f"{path}: column {name!r} of the {product} file has a null or non-integer id at row {i} "
            f"(value {s.iloc[i]!r}; {int(bad.sum())} such rows); ids are join keys: remove these rows."
        )
    if pd.api.types.is_float_dtype(num.dtype):
        raise SchemaError(
            f"{path}: column {name!r} of the {product} file is stored as floating point; ids above 2^53 "
            f"(every Gaia source_id) lose digits. Store it as a 64-bit integer."
        )
    return num.to_numpy(dtype=np.int64)


def lookup(mapping: Mapping[str, str], key: str) -> str | None:
    """The actual column name for ``key`` or None."""
    return mapping.get(key)
