"""``mwdisk sweep``: the gradients under other potentials and other (R0, v0), reusing what does not change.

Variants (METHOD.md section 5, paper Figs. 11 and 12): every potential of ``sweeps.potentials`` in the run's
frame, every R0 of ``sweeps.R0_kpc`` at the run's v0, and every v0 of ``sweeps.vcirc_kms`` at the run's R0,
each in the run's default potential. Ages and extinction never change; phase space is recomputed per
(R0, v0) (the frame changes L_z), orbits per (potential, R0, v0). Outputs go to ``OUT/sweeps/<variant>/``
and the gradient and trend rows are added to ``OUT/gradients.csv`` and ``OUT/trends.csv``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mwdisk.layout import Variant
from mwdisk.stages import default_variant

from .gradients import run_gradients
from .lock import run_lock
from .provenance import record_timing
from .runner import run_partition_stage

__all__ = ["sweep_variants", "run_sweep"]

logger = logging.getLogger("mwdisk")


def sweep_variants(cfg: dict) -> list[Variant]:
    """The sweep's variants other than the run's default, in a fixed order without repeats."""
    d = default_variant(cfg)
    s = cfg["sweeps"]
    out: list[Variant] = []
    for pot in s["potentials"]:
        out.append(Variant(d.R0_kpc, d.vcirc_kms, pot))
    for r0 in s["R0_kpc"]:
        out.append(Variant(float(r0), d.vcirc_kms, d.potential))
    for v0 in s["vcirc_kms"]:
        out.append(Variant(d.R0_kpc, float(v0), d.potential))
    seen, uniq = set(), []
    for v in out:
        if v != d and v not in seen:
            seen.add(v)
            uniq.append(v)
    return uniq


def run_sweep(client, cfg: dict, force: bool = False) -> dict:
    """Run every sweep variant on a finished run folder (ingest, extinction and ages must be done).

    ``client``: a ``distributed.Client``, or ``None`` to run in this process. Holds the run folder's lock.
    """
    out = Path(cfg["run"]["out"])
    summaries = {}
    with run_lock(out):
        for v in sweep_variants(cfg):
            for stage in ("phasespace", "orbits"):
                s = run_partition_stage(client, stage, cfg, out, variant=v, force=force)
                record_timing(out, s)
                summaries[(stage, v)] = s
            s = run_gradients(client, "gradients", cfg, out, variant=v, force=force)
            record_timing(out, s)
            summaries[("gradients", v)] = s
    return summaries
