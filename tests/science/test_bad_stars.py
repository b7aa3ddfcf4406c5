"""A mock with real catalogues' defects runs through every stage: bad stars are flagged and kept."""

import numpy as np
import pandas as pd

from mwdisk.ages import AgeFlag
from mwdisk.config import load_config
from mwdisk.phasespace import PhaseSpaceFlag
from mwdisk.pipelines.run import run_pipeline
from mwdisk.schema import QualityFlag


def test_defects_are_flagged_never_fatal(tmp_path):
    out = tmp_path / "out"
    cfg = load_config(overrides=[f"run.out={out}", "mock.n=4000", "mock.partitions=2",
                                 "mock.bad_fraction=0.2",
                                 "run.partition_rows=1500", "phasespace.n_draws=20"])
    run_pipeline(cfg, until="gradients", client=False)
    ing = pd.read_parquet(out / "ingest")
    truth = pd.read_parquet(out / "mock")[["obs_id", "true_defect"]]
    s = ing.merge(truth, on="obs_id")
    for stage in ("extinction", "ages", "phasespace", "orbits"):
        part = pd.read_parquet(out / stage)
        assert len(part) == len(ing) and set(part.source_id) == set(ing.source_id), stage
        s = s.merge(part, on="source_id")
    d = s["true_defect"].astype(str)
    assert (d != "none").sum() > 300
    nan_rows = d == "nan"
    assert (s.loc[nan_rows, "age_flags"].to_numpy() & int(AgeFlag.BAD_INPUT)).all()
    assert s.loc[nan_rows, "age_mode_gyr"].isna().all()
    neg = d == "negative_parallax"
    assert (s.loc[neg, "quality_flags"].to_numpy() & int(QualityFlag.NONPOS_PARALLAX)).all()
    no_rv = d == "missing_rv"
    assert (s.loc[no_rv, "ps_flags"].to_numpy() & int(PhaseSpaceFlag.NO_RV)).all()
    assert s.loc[no_rv, "vphi_kms"].isna().all() and s.loc[no_rv, "R_kpc"].notna().all()
    off = d == "off_grid"
    flagged = s.loc[off,
                    "age_flags"].to_numpy() & int(AgeFlag.NO_ISOCHRONE | AgeFlag.EDGE_LO | AgeFlag.EDGE_HI)
    assert np.mean(flagged != 0) > 0.9  # hot off-grid stars: no isochrone, or pinned at a grid edge
    assert (out / "gradients.csv").is_file()
