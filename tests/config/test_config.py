import math

import pytest
import yaml

from mwdisk.config import ConfigError, config_hash, load_config, load_defaults
from mwdisk.frame import GalacticFrame


def test_defaults_hold_method_choices():
    cfg = load_defaults()
    assert cfg["frame"] == {"R0_kpc": 8.27, "z_sun_kpc": 0.0, "vcirc_kms": 236.0,
                            "U_kms": 13.0, "V_kms": 12.24, "W_kms": 7.24}
    assert cfg["phasespace"]["n_draws"] == 100
    assert cfg["ages"]["n_sigma_window"] == 10.0
    assert cfg["selections"]["zmax_edges_kpc"][:4] == [0.0, 0.25, 0.75, 2.0]
    assert math.isinf(cfg["selections"]["zmax_edges_kpc"][4])
    assert cfg["sweeps"]["R0_kpc"] == [8.0, 8.27, 8.5]
    assert cfg["gradients"]["bin_width_gyr"] == 1.25


def test_user_yaml_and_overrides(tmp_path):
    f = tmp_path / "my.yaml"
    f.write_text(yaml.safe_dump({"phasespace": {"n_draws": 20}, "frame": {"R0_kpc": 8}}))
    cfg = load_config(f, ["run.seed=7"])
    assert cfg["phasespace"]["n_draws"] == 20
    assert cfg["frame"]["R0_kpc"] == 8.0 and isinstance(cfg["frame"]["R0_kpc"], float)
    assert cfg["run"]["seed"] == 7
    assert cfg["phasespace"]["chunk_stars"] == load_defaults()["phasespace"]["chunk_stars"]


@pytest.mark.parametrize(
    "override, match",
    [
        ("phasespace.n_draw=3", r"unknown config key 'phasespace.n_draw'; did you mean 'phasespace.n_draws'"),
        ("phasespaces.n_draws=3", r"unknown config key 'phasespaces'"),
        ("phasespace.n_draws=3.5", r"'phasespace.n_draws' must be int"),
        ("frame.R0_kpc=far", r"'frame.R0_kpc' must be float"),
        ("mock.with_true_zmax=1", r"'mock.with_true_zmax' must be bool"),
        ("selections.zmax_edges_kpc=[0, x]", r"'selections.zmax_edges_kpc\[1\]' must be float"),
        ("run.catalog=[1]", r"'run.catalog' takes a string or null"),
        ("nokey", r"not of the form section.key=value"),
    ],
)
def test_bad_keys_are_named(override, match):
    with pytest.raises(ConfigError, match=match):
        load_config(overrides=[override])


def test_bad_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    f = tmp_path / "bad.yaml"
    f.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(f)


def test_hash_changes_with_config():
    a = load_config()
    b = load_config(overrides=["ages.n_sigma_window=5"])
    assert config_hash(a) == config_hash(load_config())
    assert config_hash(a) != config_hash(b)


def test_frame_from_config_builds_both_packages():
    f = GalacticFrame.from_config(load_defaults()["frame"])
    assert f.galpy_kwargs() == {"ro": 8.27, "vo": 236.0, "zo": 0.0, "solarmotion": [-13.0, 12.24, 7.24]}
    gc = f.to_astropy()
    assert gc.galcen_distance.to_value("kpc") == 8.27
    assert tuple(gc.galcen_v_sun.xyz.to_value("km/s")) == (13.0, 248.24, 7.24)
    with pytest.raises(ValueError, match="must both be positive"):
        GalacticFrame(R0_kpc=-1)


def test_yaml_defaults_match_kernel_defaults():
    """The kernels' documented defaults and the shipped YAML must not drift apart."""
    from mwdisk.gradients import DEFAULT_GRADIENT_PARAMS
    from mwdisk.selections import DEFAULT_SELECTION_PARAMS

    cfg = load_defaults()
    assert {**cfg["cuts"], **cfg["selections"]} == DEFAULT_SELECTION_PARAMS
    assert cfg["gradients"] == DEFAULT_GRADIENT_PARAMS
