"""Range and choice checks of every configuration key (issue 20): refused by key, value and fix."""

import pytest

from mwdisk.config import CONSTRAINTS, UNCHECKED, ConfigError, check_config, load_config, load_defaults


def _leaves(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _leaves(v, f"{prefix}{k}.")
        else:
            yield prefix + k


def test_defaults_pass_the_checks():
    cfg = load_config()
    assert check_config(cfg) == cfg


def test_every_key_is_checked_or_declared_free():
    """A new key of defaults.yaml needs a constraint (or an entry in UNCHECKED): this test names it."""
    keys = [k for k in _leaves(load_defaults()) if not k.startswith("ages.")]  # ages: AgeOptions.from_config
    forgotten = [k for k in keys if k not in CONSTRAINTS and k not in UNCHECKED]
    assert forgotten == []
    assert [k for k in CONSTRAINTS if k not in keys] == []  # no constraint on a key that does not exist


def test_choice_sets_match_the_modules():
    from mwdisk import config as c
    from mwdisk.extinction import _FALLBACKS, MAP_FILES
    from mwdisk.odr import ERROR_MODELS
    from mwdisk.potentials.models import POTENTIAL_NAMES

    assert c.POTENTIALS == tuple(POTENTIAL_NAMES)
    assert set(c.DUST_MAPS) == set(MAP_FILES)
    assert c.EXTINCTION_FALLBACKS == tuple(_FALLBACKS)
    assert set(c.ERROR_MODELS) == set(ERROR_MODELS)


@pytest.mark.parametrize(
    "override, named, fix",
    [
        ("phasespace.n_draws=-5", "'phasespace.n_draws' = -5 must be > 0", "--set phasespace.n_draws=100"),
        ("phasespace.n_draws=0", "'phasespace.n_draws' = 0 must be > 0", "--set phasespace.n_draws=100"),
        ("run.potential=foo", "'run.potential' = 'foo' is not one of mw14, mcm17, irr13",
         "--set run.potential=mw14"),
        ("run.potential=mw15", "did you mean 'mw14'", "--set run.potential=mw14"),
        ("run.partition_rows=0", "'run.partition_rows' = 0 must be > 0", "--set run.partition_rows=50000"),
        ("run.seed=-1", "'run.seed' = -1 must be >= 0", "--set run.seed=20210615"),
        ("run.isochrones=/no/such/grid", "is not an isochrone family or an existing file",
         "--set run.isochrones=mist"),
        ("mock.bad_fraction=1.5", "'mock.bad_fraction' = 1.5 must be in [0, 1]",
         "--set mock.bad_fraction=0.0"),
        ("frame.R0_kpc=.nan", "'frame.R0_kpc' = nan is not a finite number", "--set frame.R0_kpc=8.27"),
        ("cluster.memory_limit=lots", "is not a memory size", "--set cluster.memory_limit=4GiB"),
        ("cluster.n_workers=0", "'cluster.n_workers' = 0 must be > 0", "--set cluster.n_workers=2"),
        ("orbits.method=euler", "is not one of staeckel, integrate", "--set orbits.method=staeckel"),
        ("orbits.staeckel_delta=wide", "is not table, exact or a focal distance",
         "--set orbits.staeckel_delta=table"),
        ("ingest.rv_source=apogee", "is not one of lamost, gaia, lamost_then_gaia",
         "--set ingest.rv_source=lamost"),
        ("extinction.fallback=[catalog,sfd]", "'extinction.fallback[1]' = 'sfd'",
         '--set extinction.fallback=["catalog","analytic"]'),
        ("sweeps.potentials=[mw14,foo]", "'sweeps.potentials[1]' = 'foo'", "--set sweeps.potentials="),
        ("gradients.age_err_percentiles=[16,140]", "must be in [0, 100]",
         "--set gradients.age_err_percentiles="),
        ("gradients.age_min_gyr=20", "'gradients.age_min_gyr' = 20.0 and 'gradients.age_max_gyr' = 12.25",
         "fix one of them"),
        ("selections.hq_within=thin", "did you mean 'thin_disk'", "--set selections.hq_within=thin_disk"),
        ("selections.zmax_edges_kpc=[0,1,0.5,2,.inf]", "zmax_edges_kpc = [0.0, 1.0, 0.5, 2.0, inf]",
         "give 5 strictly increasing edges"),
        # AgeOptions' check
        ("ages.interval_level=3", "ages.interval_level = 3.0", "give a fraction in (0, 1]"),
        ("ages.likelihood=best", "ages.likelihood = 'best'", "use one of"),
    ],
)
def test_bad_values_are_refused_by_key_value_and_fix(override, named, fix):
    cfg = load_config(overrides=[override])  # the type is right: only the value check refuses it
    with pytest.raises(ConfigError) as err:
        check_config(cfg)
    msg = str(err.value)
    assert named in msg and fix in msg
    assert "\n" not in msg


def test_mock_relation_applies_only_to_the_mock():
    with pytest.raises(ConfigError, match="duplicate_max_offset_arcsec"):
        check_config(load_config(overrides=["ingest.dedup_radius_arcsec=0.5"]))
    check_config(load_config(overrides=["ingest.dedup_radius_arcsec=0.5", "run.catalog=somewhere"]))
