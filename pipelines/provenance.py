"""``OUT/provenance.json``: what produced a run folder.

The resolved configuration, package versions, the git commit of mwdisk, the seed, sha256 checksums of the
input files and per-stage timings (timings are appended run after run; everything else is rewritten).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from mwdisk.config import _jsonable
from mwdisk.layout import atomic_write_text

__all__ = ["package_versions", "git_commit", "sha256_file", "write_provenance", "record_timing"]

_PACKAGES = ("mwdisk", "numpy", "scipy", "pandas", "pyarrow", "dask", "distributed", "dask-jobqueue",
             "astropy", "galpy", "mwdust", "numba", "odrpack", "h5py", "matplotlib", "bokeh")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def git_commit() -> str:
    """The commit of the mwdisk checkout (with ``-dirty`` when it has changes), or ``unknown``."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _load(out: Path) -> dict:
    p = out / "provenance.json"
    if p.is_file():
        try:
            return json.loads(p.read_text())
        except json.JSONDecodeError:
            return {}
    return {}


def write_provenance(out: Path, cfg: dict, inputs: list[Path], checksums: dict[str,
                                                                               str] | None = None) -> None:
    """Start (or refresh) the provenance of a run; earlier timings are kept.

    ``checksums`` (path -> sha256, as the ingest stage keys on them) saves reading the inputs twice.
    """
    old = _load(out)
    checksums = checksums or {}
    prov = {
        "mwdisk_version": package_versions()["mwdisk"],
        "written_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "seed": cfg["run"]["seed"],
        "config": _jsonable(cfg),
        "versions": package_versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine()},
        "inputs": {str(p): checksums.get(str(p)) or sha256_file(p) for p in inputs},
        "timings": old.get("timings", []),
    }
    atomic_write_text(out / "provenance.json", json.dumps(prov, indent=1))


def record_timing(out: Path, summary: dict) -> None:
    prov = _load(out)
    prov.setdefault("timings", []).append(
        {**{k: v for k, v in summary.items() if k in ("stage", "variant", "partitions", "computed",
                                                      "seconds")},
         "finished_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    )
    atomic_write_text(out / "provenance.json", json.dumps(prov, indent=1))
