"""Per-star random streams that do not depend on partitioning.

Every random number mwdisk draws for a star is a pure function of (global seed, the star's key, a stream
id, a counter). The key is the star's ``source_id`` (or, for the mock, its index), so the same star gets
the same draws whether it sits in partition 1 of 1 or 5 of 7, on any worker, in any order; and a later stage
can regenerate a star's draws instead of storing them (the orbit stage does this for the R_g errors).

The generator is counter based: a 64-bit value is hashed with the SplitMix64 finaliser (Steele, Lea &
Flood 2014), which passes BigCrush when used this way; uniforms take its top 53 bits and normals come from
the Box-Muller transform. It is vectorised with numba and costs a few ns per number.

Examples
--------
>>> import numpy as np
>>> keys = star_keys(42, np.array([10, 11], dtype=np.int64))
>>> z = normals(keys, stream=STREAM_PHASESPACE, n=4)
>>> z.shape
(2, 4)
>>> bool(np.all(normals(keys[1:], STREAM_PHASESPACE, 4) == z[1:]))
True
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "STREAM_PHASESPACE",
    "STREAM_AGE_EXPANSION",
    "STREAM_MOCK",
    "star_keys",
    "uniforms",
    "normals",
]

#: Stream ids keep the stages' draws independent of one another for the same star.
STREAM_PHASESPACE = 1
STREAM_AGE_EXPANSION = 2
STREAM_MOCK = 3

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, inline="always")
def _splitmix(x):
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True)
def _keys(seed, ids):
    out = np.empty(ids.shape[0], dtype=np.uint64)
    s = _splitmix(np.uint64(seed) * _GOLDEN + np.uint64(0x632BE59BD9B4E019))
    for i in range(ids.shape[0]):
        out[i] = _splitmix(s ^ _splitmix(np.uint64(ids[i]) + _GOLDEN))
    return out


@numba.njit(cache=True)
def _uniforms(keys, stream, offset, n):
    out = np.empty((keys.shape[0], n), dtype=np.float64)
    base = _splitmix(np.uint64(stream) * _GOLDEN)
    for i in range(keys.shape[0]):
        k = keys[i] ^ base
        for j in range(n):
            x = _splitmix(k + (np.uint64(offset + j) + np.uint64(1)) * _GOLDEN)
            # top 53 bits, shifted by half a step: strictly inside (0, 1)
            out[i, j] = ((x >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)
    return out


@numba.njit(cache=True)
def _normals(keys, stream, offset, n):
    out = np.empty((keys.shape[0], n), dtype=np.float64)
    m = (n + 1) // 2
    u = _uniforms(keys, stream, 2 * offset, 2 * m)
    two_pi = 2.0 * np.pi
    for i in range(keys.shape[0]):
        for j in range(m):
            r = np.sqrt(-2.0 * np.log(u[i, 2 * j]))
            t = two_pi * u[i, 2 * j + 1]
            out[i, 2 * j] = r * np.cos(t)
            if 2 * j + 1 < n:
                out[i, 2 * j + 1] = r * np.sin(t)
    return out


def star_keys(seed: int, ids: np.ndarray) -> np.ndarray:
    """Hash (seed, id) into one uint64 key per star.

    Parameters
    ----------
    seed : int
        The run's global seed (config ``run.seed``), a non-negative integer.
    ids : array of int
        The stars' identifiers (``source_id``); int64 or uint64.
    """
    if int(seed) < 0:
        raise ValueError(f"seed = {seed} is negative; use a non-negative integer seed")
    ids = np.ascontiguousarray(ids).astype(np.int64, copy=False).view(np.uint64)
    return _keys(np.uint64(int(seed)), ids)


def uniforms(keys: np.ndarray, stream: int, n: int, offset: int = 0) -> np.ndarray:
    """Uniform numbers in (0, 1), shape ``(len(keys), n)``; counter ``offset + j`` for column j."""
    return _uniforms(np.ascontiguousarray(keys, dtype=np.uint64), np.uint64(stream), offset, int(n))


def normals(keys: np.ndarray, stream: int, n: int, offset: int = 0) -> np.ndarray:
    """Standard normal numbers, shape ``(len(keys), n)``.

    Column j of a star depends only on (key, stream, offset + j // 2 pair): asking for the first ``n``
    numbers of a longer sequence returns its prefix when ``n`` is even.
    """
    return _normals(np.ascontiguousarray(keys, dtype=np.uint64), np.uint64(stream), offset, int(n))
