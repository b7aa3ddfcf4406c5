"""Progress of a stage on the client: a bar in a terminal, plain log lines in a log file.

In a terminal the bar is tqdm's. When stderr is not a terminal (a batch job's log, CI) there is no
carriage-return redraw: one log line at start, about every 10 % and at the end.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Iterable, Iterator, TypeVar

__all__ = ["track"]

logger = logging.getLogger("mwdisk")
T = TypeVar("T")


def track(items: Iterable[T], total: int, desc: str, unit: str = "partition") -> Iterator[T]:
    """Yield ``items`` (e.g. ``distributed.as_completed(futures)``) while showing progress."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(items, total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True)
        return
    t0 = time.perf_counter()
    step = max(1, -(-total // 10))  # ceil: at most about ten lines
    logger.info("%s: 0/%d %ss", desc, total, unit)
    done = 0
    for item in items:
        done += 1
        if done % step == 0 or done == total:
            logger.info("%s: %d/%d %ss (%.1f s)", desc, done, total, unit, time.perf_counter() - t0)
        yield item
