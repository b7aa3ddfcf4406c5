"""One way to run a stage's tasks: on a Dask cluster (``client.map``) or one after another in this process.

Every stage (mock, ingest, the per-star stages, gradients) maps its tasks through :class:`Executor`, so the
in-process path (a plain debugger, a plain benchmark) and the cluster path run the same functions.

``client`` in the functions of ``mwdisk.pipelines`` is a ``distributed.Client`` or ``None``/``False`` (in this
process). Only :func:`mwdisk.pipelines.run.run_pipeline` starts a cluster itself, and there ``None`` means
"start the configured one" (``client=False`` runs in-process).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Iterator

__all__ = ["Executor", "as_executor"]

logger = logging.getLogger(__name__)


class Executor:
    """``map`` tasks on ``client`` (a ``distributed.Client``) or, with ``client=None``, in this process."""

    def __init__(self, client=None):
        self.client = client or None

    @property
    def in_process(self) -> bool:
        return self.client is None

    def map(self, fn: Callable, *iterables: Iterable, **kwargs: Any) -> Iterator:
        """Yield ``fn(*args, **kwargs)`` for each tuple of ``iterables``, in the order they finish.

        On a cluster the tasks are submitted at once (``pure=False``) and a worker's exception is re-raised
        here, with its message.
        """
        its = [list(i) for i in iterables]
        if self.client is None:
            return (fn(*args, **kwargs) for args in zip(*its, strict=False))
        if not its or not its[0]:
            return iter(())
        from distributed import as_completed

        futures = self.client.map(fn, *its, pure=False, **kwargs)
        return (f.result() for f in as_completed(futures))

    def n_workers(self) -> int:
        return 1 if self.client is None else max(len(self.client.nthreads()), 1)


def as_executor(client) -> Executor:
    """An :class:`Executor` from a client, ``None``/``False`` (in-process) or an executor."""
    return client if isinstance(client, Executor) else Executor(client)
