"""One run at a time per run folder: ``OUT/_state/run.lock``, held with ``flock`` while a run writes to OUT.

The lock is an advisory ``flock`` on an open file, so the kernel drops it when the process ends in any way
(``kill -9`` included): a killed run never leaves a stale lock, and the same command resumes. A second run on
the same ``--out`` is refused at once with :class:`RunLockedError`, naming the process that holds it. Nested
use in one process (``mwdisk sweep`` runs the pipeline, then the variants) is allowed.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import Iterator

__all__ = ["RunLockedError", "run_lock"]

logger = logging.getLogger(__name__)

_HELD: dict[str, tuple[int, int]] = {}  # resolved lock path -> (fd, depth), this process only


class RunLockedError(BlockingIOError):
    """Another mwdisk run is writing to the same run folder (an OSError: the CLI refuses it in one line,
    exit 2)."""


@contextlib.contextmanager
def run_lock(out: str | Path) -> Iterator[Path]:
    """Hold the run folder's lock for the body; raise :class:`RunLockedError` when another run holds it."""
    path = Path(out) / "_state" / "run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    if key in _HELD:
        fd, depth = _HELD[key]
        _HELD[key] = (fd, depth + 1)
        try:
            yield path
        finally:
            fd, depth = _HELD[key]
            _HELD[key] = (fd, depth - 1)
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise RunLockedError(
            f"run folder {Path(out)} is in use by another mwdisk run ({holder}); "
            f"wait for it to finish, or give "
            f"this run another --out"
        ) from None
    try:
        os.ftruncate(fd, 0)
        stamp = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {stamp}\n".encode(), 0)
        _HELD[key] = (fd, 1)
        yield path
    finally:
        _HELD.pop(key, None)
        os.close(fd)  # releases the flock
