"""The run summary warns loudly when a per-star stage gave a valid value to under half the stars."""

import numpy as np
import pandas as pd

from mwdisk.config import load_config
from mwdisk.pipelines.summary import stage_health, summary_text


def test_stage_with_mostly_invalid_values_is_reported(tmp_path):
    cfg = load_config(overrides=[f"run.out={tmp_path}"])
    (tmp_path / "ages").mkdir()
    (tmp_path / "phasespace").mkdir()
    ages = np.full(100, np.nan)
    ages[:30] = 5.0
    pd.DataFrame({"source_id": np.arange(100),
                  "age_mode_gyr": ages}).to_parquet(tmp_path / "ages" / "p0.parquet")
    pd.DataFrame({"source_id": np.arange(100), "R_kpc": np.full(100, 8.0)}).to_parquet(
        tmp_path / "phasespace" / "p0.parquet")
    warn = stage_health(cfg, ["ages", "phasespace", "gradients"])
    assert len(warn) == 1 and "ages" in warn[0] and "30.0%" in warn[0]
    text = summary_text(cfg, {"ages": {"computed": 1, "seconds": 1.0}, "phasespace": {"computed": 1}})
    assert "WARNING: stage ages" in text and "WARNING: stage phasespace" not in text
