"""The age stage's partition adapter: missing observables, M_G from the parallax, loud warnings, options."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from mwdisk.ages import AgeFlag, AgeOptions, estimate_ages
from mwdisk.ages.options import AgeOptionError
from mwdisk.ages.zeropoint import absolute_mag_from_parallax, parallax_zeropoint_mas
from mwdisk.config import load_config
from mwdisk.ingest import finalize_partition
from mwdisk.isochrones import load_grid
from mwdisk.mock import generate_partition
from mwdisk.partitions.ages import star_absolute_mag
from mwdisk.pipelines.mock import mock_options
from mwdisk.stages import compute_partition


@pytest.fixture(scope="module")
def stars() -> pd.DataFrame:
    """300 default-mock stars with their extinction columns, as the age stage reads them."""
    cfg = load_config(overrides=["mock.duplicate_fraction=0.0"])
    opts = mock_options(cfg)
    cat = finalize_partition(generate_partition(300, opts.seed, 0, 300, opts))
    ext = compute_partition("extinction", cat, cfg)
    return pd.concat([cat, ext.drop(columns="source_id")], axis=1)


def test_star_without_g_or_distance_gets_an_age_from_teff_and_logg(stars):
    cfg = load_config()
    df = stars.copy()
    df.loc[df.index[:20], "g_mag"] = np.nan
    df.loc[df.index[20:40], "dist_med_pc"] = np.nan
    out = compute_partition("ages", df, cfg)
    f = out["age_flags"].to_numpy()
    partial = (f & int(AgeFlag.PARTIAL_OBS)) != 0
    assert partial[:40].all() and not (f[:40] & int(AgeFlag.BAD_INPUT)).any()
    assert out["age_mode_gyr"].iloc[:40].notna().all()
    # exactly the ages of a Teff + log g fit
    opts = AgeOptions.from_config(cfg["ages"])
    kw = opts.estimate_kwargs() | {"observables": ("teff", "logg")}
    g = lambda c: df[c].to_numpy(float)[:40]  # noqa: E731
    ref = estimate_ages(load_grid(cfg["run"]["isochrones"]), g("teff_k"), g("teff_err_k"), g("logg"),
                        g("logg_err"), None, None, g("feh"), g("feh_err"), g("afe"), g("afe_err"), **kw)
    np.testing.assert_allclose(out["age_median_gyr"].to_numpy()[:40], ref.age_median_gyr, rtol=1e-12)
    # the others keep all three observables
    assert not partial[40:][np.isfinite(df["g_mag"].to_numpy()[40:])].any()


def test_stage_warns_loudly_when_most_stars_get_no_age(stars, caplog):
    df = stars.copy()
    df["feh"] = np.nan
    with caplog.at_level(logging.WARNING, logger="mwdisk.partitions.ages"):
        out = compute_partition("ages", df, load_config())
    assert out["age_mode_gyr"].isna().all()
    assert any("got no age" in r.message for r in caplog.records)


def test_phase_columns_are_written(stars):
    out = compute_partition("ages", stars, load_config(overrides=["run.isochrones=parsec"]))
    ok = out["age_mode_gyr"].notna()
    p = out.loc[ok, "p_cheb"]
    assert p.between(0, 1).all()
    assert set(out.loc[ok, "evo_phase"]) <= {"ms", "subgiant", "rgb", "cheb", "agb"}
    assert (((out["age_flags"].to_numpy() & int(AgeFlag.CHEB)) != 0) == (out["p_cheb"] >= 0.5)).all()


def test_mg_from_parallax_with_lindegren_zeropoint(stars):
    cfg = load_config(overrides=["ages.distance_source=parallax"])
    opts = AgeOptions.from_config(cfg["ages"])
    df = stars.copy()
    n = len(df)
    df["nu_eff_used_in_astrometry"] = 1.55
    df["pseudocolour"] = np.nan
    df["astrometric_params_solved"] = 31.0
    mg, err = star_absolute_mag(df, opts)
    zp, fb = parallax_zeropoint_mas(df["g_mag"], np.full(n, 1.55), np.full(n, np.nan), df["ra_deg"],
                                    df["dec_deg"], np.full(n, 31.0))
    assert not fb[(df["g_mag"] > 6) & (df["g_mag"] < 21)].any() and np.all(np.abs(zp) < 0.1)
    expect, _ = absolute_mag_from_parallax(df["g_mag"], df["parallax_mas"], df["parallax_error_mas"], zp,
                                           df["A_G_mag"])
    np.testing.assert_allclose(mg, expect, rtol=0, atol=1e-12, equal_nan=True)
    # without the zero-point inputs: the quasar offset
    mg_fb, _ = star_absolute_mag(stars, opts)
    expect_fb, _ = absolute_mag_from_parallax(stars["g_mag"], stars["parallax_mas"],
                                              stars["parallax_error_mas"], -0.017, stars["A_G_mag"])
    np.testing.assert_allclose(mg_fb, expect_fb, atol=1e-12, equal_nan=True)
    # a star with a non-positive parallax has no M_G, and the age stage fits it on Teff and log g
    df.loc[df.index[0], "parallax_mas"] = -0.5
    out = compute_partition("ages", df, cfg)
    assert out["age_flags"].iloc[0] & int(AgeFlag.PARTIAL_OBS)


def test_extinction_error_enters_mg_error(stars):
    base = AgeOptions.from_config(load_config(overrides=["ages.a_g_err_frac=0.0"])["ages"])
    frac = AgeOptions.from_config(load_config(overrides=["ages.a_g_err_frac=0.5"])["ages"])
    df = stars.copy()
    own = np.arange(len(df)) % 2 == 0  # a catalogue's own A_G error is used as is; maps get the fraction
    df["ext_source"] = np.where(own, "catalog", "analytic")
    _, e0 = star_absolute_mag(df, base)
    _, e1 = star_absolute_mag(df, frac)
    a_g = df["A_G_mag"].to_numpy()
    ok = np.isfinite(e0)
    assert (~own & ok).sum() > 100
    np.testing.assert_allclose((e1**2 - e0**2)[~own & ok], (0.5 * a_g[~own & ok]) ** 2, rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(e1[own & ok], e0[own & ok])


@pytest.mark.parametrize("key,value,words", [
    ("likelihood", "nearest", "ages.likelihood"),
    ("interval", "hpd", "ages.interval"),
    ("interval_percentiles", "[84.0, 16.0]", "increasing"),
    ("teff_err_floor_k", "-5.0", "ages.teff_err_floor_k"),
    ("min_observables", "4", "ages.min_observables"),
    ("distance_source", "photometric", "ages.distance_source"),
    ("cheb_threshold", "1.5", "ages.cheb_threshold"),
])
def test_options_refuse_bad_values_naming_the_key(key, value, words):
    with pytest.raises(AgeOptionError, match=words.replace(".", r"\.")):
        AgeOptions.from_config(load_config(overrides=[f"ages.{key}={value}"])["ages"])
