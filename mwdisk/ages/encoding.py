"""Compact storage of G functions: uint16 bytes per star (the parquet column ``age_G_u16``) and back.

Each row is scaled so its max is 65535; decoding gives float64 with max 1 per star.
"""

from __future__ import annotations

import numpy as np

__all__ = ["encode_G", "decode_G"]


def encode_G(G) -> list[bytes]:
    """G functions as bytes per star: uint16 little-endian, each row scaled so its max is 65535.

    Parameters
    ----------
    G : array_like, shape (n, n_age)
        Non-negative G functions; rows of zeros (stars without an age) encode as zeros.

    Returns
    -------
    list of bytes
        ``2 * n_age`` bytes per star (the parquet column ``age_G_u16``).

    Examples
    --------
    >>> encode_G([[0.0, 0.5, 1.0]])[0].hex()
    '00000080ffff'
    """
    G = np.atleast_2d(np.asarray(G, dtype=float))
    G = np.where(np.isfinite(G) & (G > 0), G, 0.0)
    gmax = G.max(axis=1, keepdims=True) if G.shape[1] else np.zeros((G.shape[0], 1))
    scale = np.divide(65535.0, gmax, out=np.zeros_like(gmax), where=gmax > 0)
    q = np.rint(G * scale).astype("<u2")
    return [row.tobytes() for row in q]


def decode_G(blobs, n_age: int | None = None) -> np.ndarray:
    """Inverse of :func:`encode_G`: (n, n_age) float64 with max 1 per star (zeros stay zeros).

    Parameters
    ----------
    blobs : sequence of bytes
        One value per star (``None`` decodes to a NaN row).
    n_age : int, optional
        Ages per star; inferred from the first non-null value when omitted.
    """
    blobs = list(blobs)
    if n_age is None:
        first = next((b for b in blobs if b is not None), None)
        n_age = 0 if first is None else len(first) // 2
    out = np.full((len(blobs), n_age), np.nan)
    for i, b in enumerate(blobs):
        if b is None:
            continue
        if len(b) != 2 * n_age:
            raise ValueError(f"G value {i} has {len(b)} bytes; expected {2 * n_age} (uint16 x {n_age} ages)")
        out[i] = np.frombuffer(b, dtype="<u2") / 65535.0
    return out
