import subprocess
import sys

import pytest

from mwdisk.cli import main
from mwdisk.stages import STAGES, stage_order


def test_help_runs_as_a_program():
    r = subprocess.run([sys.executable, "-m", "mwdisk.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for cmd in ("run", "mock", "stages", "grid", "config", "schema", "jobscript"):
        assert cmd in r.stdout


def test_stages_lists_every_stage(capsys):
    assert main(["stages"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in out] == list(STAGES)
    assert [s for s in STAGES] == ["ingest", "extinction", "ages", "phasespace", "orbits", "gradients",
                                   "report"]


def test_until_runs_only_what_is_needed():
    assert stage_order("orbits") == ["ingest", "phasespace", "orbits"]  # orbits do not need ages
    assert stage_order("ages") == ["ingest", "extinction", "ages"]
    assert stage_order(None)[-1] == "report"
    with pytest.raises(ValueError, match="unknown stage 'age'"):
        stage_order("age")


def test_config_errors_exit_2(capsys):
    assert main(["config", "--set", "ages.n_sigma=3"]) == 2
    assert "unknown config key 'ages.n_sigma'" in capsys.readouterr().err


def test_config_prints_resolved_values(capsys):
    assert main(["config", "--set", "phasespace.n_draws=7"]) == 0
    assert "n_draws: 7" in capsys.readouterr().out


def test_schema_and_jobscript(capsys):
    assert main(["schema"]) == 0
    assert "parallax_pmra_corr" in capsys.readouterr().out
    assert main(["jobscript", "--cluster", "gravity-slurm"]) == 0
    assert "#SBATCH --cpus-per-task=16" in capsys.readouterr().out
