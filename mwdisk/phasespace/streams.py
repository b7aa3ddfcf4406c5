"""Layout of a star's random stream (:data:`mwdisk.rng.STREAM_PHASESPACE`) in the phase-space draws.

Draw j of a star uses normals ``6 j .. 6 j + 5`` of its stream (parallax, ra*, dec, pmra, pmdec, rv), so the
first k draws do not depend on ``n_draws``; the independent distance normals and the redraws of non-positive
distances sit at fixed offsets far beyond any draw index.
"""

from __future__ import annotations

__all__: list[str] = []

#: Normals per draw in the star's stream: parallax, ra*, dec, pmra, pmdec, rv.
_NORMALS_PER_DRAW = 6
#: Stream offsets (in pairs of normals, see mwdisk.rng.normals) of the independent distance normals and of
#: the redraws of non-positive distances; far beyond any draw index.
_OFFSET_DISTANCE = 1 << 40
_OFFSET_REDRAW = 1 << 41
_REDRAW_STRIDE = 1 << 28
_MAX_REDRAWS = 64
