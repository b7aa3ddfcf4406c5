"""The strip-wise crossmatch on the cluster equals one crossmatch of everything."""

import numpy as np
import pandas as pd

from mwdisk.pipelines.crossmatch import strip_crossmatch
from mwdisk.readers.gaia import read_gaia
from mwdisk.readers.join import crossmatch_partition, merge_spectra
from mwdisk.readers.lamost import read_lamost


def test_strip_crossmatch_matches_whole(client, test_data):
    d = test_data / "readers"
    spec = merge_spectra(read_lamost(d / "lamost_dr5_general.fits"), None)
    gaia = read_gaia(d / "gaia_edr3.fits")
    whole_m, whole_u = crossmatch_partition(spec, gaia, 1.0, 2000.0, True)
    strips_m, strips_u = strip_crossmatch(client, n_strips=4)(spec, gaia, 1.0, 2000.0, True)
    assert len(whole_m) > 10
    pd.testing.assert_frame_equal(whole_m.reset_index(drop=True), strips_m, check_dtype=False)
    assert np.array_equal(np.sort(whole_u["obs_id"].to_numpy()), np.sort(strips_u["obs_id"].to_numpy()))
