"""A non-default injection (steeper flattening, negative thick-disk gradient) is recovered too."""

import numpy as np
import pandas as pd
import pytest

from mwdisk.config import load_config
from mwdisk.pipelines.run import run_pipeline


@pytest.fixture(scope="module")
def custom_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("custom") / "out"
    cfg = load_config(overrides=[f"run.out={out}", "mock.n=40000", "mock.partitions=2",
                                 "run.partition_rows=20000",
                                 "mock.thin_gradient=-0.05", "mock.thin_flattening=0.006",
                                 "mock.thick_gradient=-0.03", "run.seed=7"])
    run_pipeline(cfg, until="gradients", client=False)
    return cfg, pd.read_csv(out / "gradients.csv"), pd.read_csv(out / "trends.csv")


def test_custom_thin_disk_law_recovered(custom_run):
    cfg, g, t = custom_run
    m = cfg["mock"]
    tr = t[(t.selection == "thin_disk") & (t.radius == "rg") & (t.error_model == "scatter")].iloc[0]
    # 4 standard errors of the trend (about 0.0025 at this size; issue 9's 0.0015 is for >= 300,000 stars)
    assert (abs(tr.slope_dex_per_kpc_per_gyr - m["thin_flattening"])
            < max(0.0015, 4 * tr.slope_err_dex_per_kpc_per_gyr))
    rows = g[(g.selection == "thin_disk") & (g.radius == "rg") & (g.error_model == "scatter")
             & (g.n_stars >= 50)]
    mid = rows.age_median_gyr.to_numpy()
    injected = m["thin_gradient"] + m["thin_flattening"] * (mid - 1.0)
    pull = (rows.slope_dex_per_kpc.to_numpy() - injected) / rows.slope_err_dex_per_kpc.to_numpy()
    # every usable bin within 4 sigma (ages are estimated, so the bin's true mean age differs a little)
    assert np.all(np.abs(pull) < 4), pull
