"""Each selection rule against hand-made stars, boundary values included."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mwdisk.selections import (
    CUT_NAMES,
    DEFAULT_SELECTION_PARAMS,
    SELECTION_NAMES,
    afe_line,
    chem_group,
    chem_line,
    cut_masks,
    resolve_params,
    selection_masks,
)


def _stars(**cols):
    """A frame of hand-made stars: a good thin-disk turn-off star, with the given columns overridden."""
    n = max(len(np.atleast_1d(v)) for v in cols.values()) if cols else 1
    base = {
        "snr_g": 80.0,
        "snr_r": 80.0,
        "snr_i": 80.0,
        "age_err_frac": 0.05,
        "teff_k": 6000.0,
        "logg": 4.2,
        "feh": 0.0,
        "afe": 0.0,
        "zmax_kpc": 0.1,
    }
    base.update(cols)
    return pd.DataFrame({k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in base.items()})


def _sel(df, name, **kw):
    return selection_masks(df, **kw)[name].tolist()


def test_snr_cut_is_strict_in_each_band():
    df = _stars(snr_g=[50.0, 50.001, 80.0, 80.0, np.nan], snr_i=[80.0, 80.0, 50.0, 49.0, 80.0])
    assert cut_masks(df)["snr"].tolist() == [False, True, False, False, False]


def test_age_error_cut_and_cascade_is_cumulative():
    df = _stars(age_err_frac=[0.25, 0.2499, 0.1, np.nan, 0.05, 0.05],
                snr_r=[80.0, 80.0, 10.0, 80.0, 80.0, 80.0],
                teff_k=[6000.0, 6000.0, 6000.0, 6000.0, 6000.0, 5000.0], afe=0.3)
    m = cut_masks(df)
    assert list(m) == list(CUT_NAMES)
    assert m["snr"].tolist() == [True, True, False, True, True, True]
    assert m["age_err"].tolist() == [False, True, False, False, True, True]
    # the paper's high-quality count is before the thin-disk intersection: alpha-rich stars count here
    assert m["high_quality_all"].tolist() == [False, False, False, False, True, False]


def test_division_line_through_the_papers_knots():
    # Fig. 5: (-0.5, 0.15), (-0.25, 0.15), (0.25, 0.05); flat to lower [Fe/H], slope -0.2 beyond 0.25
    feh = np.array([-2.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0])
    expect = [0.15, 0.15, 0.15, 0.1, 0.05, 0.0, -0.1]
    np.testing.assert_allclose(chem_line(feh), expect, atol=1e-15)
    # the thin/thick boundary written as in the paper's text is the same line
    np.testing.assert_allclose(afe_line(feh), expect, atol=1e-15)
    x = np.linspace(-2.5, 0.8, 1001)
    np.testing.assert_allclose(afe_line(x), chem_line(x), atol=1e-15)
    # other knots: flat before the first, last segment continued after the last
    np.testing.assert_allclose(chem_line(np.array([-1.0, 0.0, 1.0, 2.0]), [0.0, 1.0], [0.2, 0.0]),
                               [0.2, 0.2, 0.0, -0.2], atol=1e-15)


def test_thin_disk_boundaries():
    # feh = -1: line is the 0.15 plateau; feh = 0.5: line is -0.2*0.5 + 0.1 = 0 (the "and" second clause)
    df = _stars(
        feh=[-1.0, -1.0, 0.5, 0.5, 0.0, 0.0, 0.0],
        afe=[0.1499, 0.15, -0.001, 0.001, 0.0, 0.0, np.nan],
        zmax_kpc=[0.1, 0.1, 0.1, 0.1, 0.25, 0.2499, 0.1],
    )
    assert _sel(df, "thin_disk") == [True, False, True, False, False, True, False]


def test_thick_disk_boundaries():
    df = _stars(
        feh=[-1.0, -1.0, 0.5, 0.5, -1.0, -1.0],
        afe=[0.15, 0.1501, 0.001, 0.0, 0.3, 0.3],
        zmax_kpc=[3.0, 3.0, 3.0, 3.0, 2.0, 2.0001],
    )
    # afe on the line is neither thin nor thick; the "or" clause: afe 0.001 < 0.15 but > -0.2*0.5 + 0.1
    assert _sel(df, "thick_disk") == [False, True, True, False, False, True]


def test_zmax_slices_are_half_open_and_tile():
    z = [0.0, 0.2499, 0.25, 0.7499, 0.75, 1.9999, 2.0, 50.0, np.nan]
    m = selection_masks(_stars(zmax_kpc=z))
    got = [[bool(m[f"zmax_{k}"][i]) for k in range(1, 5)].index(True) + 1 if any(
        m[f"zmax_{k}"][i] for k in range(1, 5)) else 0 for i in range(len(z))]
    assert got == [1, 1, 2, 2, 3, 3, 4, 4, 0]


def test_chem_groups_default_line():
    # feh = -1 (line 0.15): groups by afe - 0.15; feh = 0.5 (line 0.0)
    df = _stars(feh=[-1.0, -1.0, -1.0, -1.0, 0.5, 0.5, 0.5, 0.5],
                afe=[0.0, 0.1, 0.2, 0.3, -0.15, -0.05, 0.05, 0.15])
    m = selection_masks(df)
    groups = [[k for k in range(1, 5) if m[f"chem_{k}"][i]] for i in range(len(df))]
    assert groups == [[1], [2], [3], [4], [1], [2], [3], [4]]


def test_chem_group_boundaries_exact():
    # dyadic parameters so that the band edges are exact in floating point
    kw = {"shift": 0.125, "knots_feh": [-1.0, 0.5], "knots_afe": [0.25, 0.25]}
    feh = np.full(6, -2.0)  # on the 0.25 plateau
    afe = np.array([0.125 - 1e-9, 0.125, 0.25 - 1e-9, 0.25, 0.375 - 1e-9, 0.375])
    got = np.array([[chem_group(feh, afe, k, **kw)[i] for k in range(1, 5)] for i in range(6)])
    assert got.sum(axis=1).tolist() == [1] * 6  # each star in exactly one group
    assert (got.argmax(axis=1) + 1).tolist() == [1, 2, 2, 3, 3, 4]
    with pytest.raises(ValueError, match="numbered 1"):
        chem_group(feh, afe, 5)


def test_chem_1_and_2_are_the_chemical_thin_disk(rng):
    n = 5000
    df = _stars(feh=rng.uniform(-1.0, 0.6, n), afe=rng.uniform(-0.1, 0.4, n), zmax_kpc=rng.uniform(0, 0.5, n))
    m = selection_masks(df)
    low_z = df["zmax_kpc"].to_numpy() < 0.25
    np.testing.assert_array_equal(m["thin_disk"], (m["chem_1"] | m["chem_2"]) & low_z)
    np.testing.assert_array_equal(m["chem_1"].astype(int) + m["chem_2"] + m["chem_3"] + m["chem_4"], 1)


def test_high_quality_rule():
    df = _stars(
        teff_k=[5750.0, 5750.1, 5300.0, 5250.0, 5250.1, 6000.0, 6000.0, 6000.0],
        logg=[4.5, 4.5, 4.0, 3.5, 3.99, 4.5, 4.5, 4.5],
        age_err_frac=[0.05, 0.05, 0.05, 0.05, 0.05, 0.10, 0.0999, 0.05],
        afe=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3],  # last: thick chemistry, so not in the thin disk
    )
    assert _sel(df, "high_quality") == [False, True, False, False, True, False, True, False]
    # without the thin-disk intersection the alpha-rich turn-off star is high quality
    assert _sel(df, "high_quality", params={"hq_within": None})[-1] is True


def test_every_selection_lies_in_the_base_sample():
    # a perfect thin-disk star with one bad SNR band is in no selection
    df = _stars(snr_r=[80.0, 49.0])
    m = selection_masks(df)
    assert list(m) == list(SELECTION_NAMES)
    assert [name for name, v in m.items() if v[0]] == ["thin_disk", "zmax_1", "chem_2", "high_quality"]
    assert not any(v[1] for v in m.values())


def test_column_mapping_edge_flag_and_params():
    df = _stars(zmax_kpc=[0.1, 0.1]).rename(columns={"zmax_kpc": "zmax_kpc_mw14"})
    with pytest.raises(KeyError, match="zmax_kpc_mw14|zmax_kpc"):
        selection_masks(df)
    m = selection_masks(df, columns={"zmax_kpc": "zmax_kpc_mw14"}, edge_flag=np.array([False, True]))
    assert m["thin_disk"].tolist() == [True, True]
    assert m["thin_disk_noedge"].tolist() == [True, False]
    m = selection_masks(df, params={"thin_zmax_max_kpc": 0.05}, columns={"zmax_kpc": "zmax_kpc_mw14"})
    assert not m["thin_disk"].any()
    # plain dicts of arrays work as well as DataFrames
    d = {c: df[c].to_numpy() for c in df.columns}
    assert selection_masks(d, columns={"zmax_kpc": "zmax_kpc_mw14"})["zmax_1"].tolist() == [True, True]


def test_params_validation():
    with pytest.raises(ValueError, match="unknown selection parameter"):
        resolve_params({"snr_minimum": 40})
    with pytest.raises(ValueError, match="5 strictly increasing"):
        resolve_params({"zmax_edges_kpc": [0, 1, 0.5, 2, None]})
    with pytest.raises(ValueError, match="chem_line_feh"):
        resolve_params({"chem_line_feh": [0.0, -0.5, 0.25]})
    assert resolve_params({"hq_within": "none"})["hq_within"] is None
    p = resolve_params({"zmax_edges_kpc": [0, 0.25, 0.75, 2, None]})
    assert p["zmax_edges_kpc"][-1] == math.inf
    assert DEFAULT_SELECTION_PARAMS["zmax_edges_kpc"][-1] == math.inf  # the defaults are not mutated
