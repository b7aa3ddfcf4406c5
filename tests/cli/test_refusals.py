"""Issue 20: bad input is refused before any work, in one line naming the value and the fix; no tracebacks."""

import logging
import subprocess
import sys

import pytest

from mwdisk import __version__
from mwdisk.cli import error_line, main


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("mwdisk: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "setting, named, fix",
    [
        ("phasespace.n_draws=-5", "'phasespace.n_draws' = -5", "--set phasespace.n_draws=100"),
        ("run.potential=foo", "'run.potential' = 'foo'", "--set run.potential=mw14"),
    ],
)
def test_run_refuses_bad_values_before_any_stage(tmp_path, capsys, setting, named, fix):
    out = tmp_path / "OUT"
    assert main(["run", "--no-dask", "--out", str(out), "--set", setting]) == 2
    line = _one_line(capsys.readouterr().err)
    assert named in line and fix in line
    assert not out.exists()  # no stage folder, not even OUT


def test_mock_and_ingest_check_values_too(tmp_path, capsys):
    assert main(["mock", "--no-dask", "--out", str(tmp_path / "m"), "--n", "-3"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "'mock.n' = -3 must be > 0" in line
    assert main(["ingest", "--table", "t.csv", "--columns", "m.yaml", "--out", str(tmp_path / "c"),
                 "--set", "run.partition_rows=0"]) == 2
    assert "'run.partition_rows' = 0" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "m").exists() and not (tmp_path / "c").exists()


def test_as_a_program_no_traceback_and_debug_shows_it(tmp_path):
    cmd = [sys.executable, "-m", "mwdisk.cli", "run", "--out", str(tmp_path / "o"), "--set",
           "run.potential=foo"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2
    assert _one_line(r.stderr).endswith("fix it in your YAML or with --set run.potential=mw14 (the default)")
    r = subprocess.run(cmd[:3] + ["--debug"] + cmd[3:], capture_output=True, text=True)
    assert r.returncode != 0 and "Traceback" in r.stderr and "ConfigError" in r.stderr
    assert not (tmp_path / "o").exists()


def test_unexpected_errors_are_one_line_too(monkeypatch, capsys):
    import mwdisk.cli as cli

    def boom(args):
        raise KeyError("ra_deg")

    monkeypatch.setattr(cli, "_cmd_stages", boom)
    assert main(["stages"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "unexpected KeyError" in line and "--debug" in line
    with pytest.raises(KeyError):
        main(["--debug", "stages"])
    with pytest.raises(KeyError):
        main(["stages", "--debug"])


def test_error_line_collapses_multiline_messages():
    code, line = error_line(ValueError("bad value\n  in line 3\n"))
    assert code == 2 and line == "mwdisk: error: bad value in line 3"
    assert error_line(FileNotFoundError("no such file"))[0] == 2
    assert error_line(RuntimeError("x"))[0] == 1


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"mwdisk {__version__}"


def test_third_party_chatter_is_silenced():
    assert main(["stages"]) == 0
    for name in ("fontTools.subset", "fontTools", "matplotlib.font_manager", "distributed.scheduler", "bokeh",
                 "numexpr.utils", "PIL.PngImagePlugin", "asyncio"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
    assert logging.getLogger("mwdisk.pipelines.runner").isEnabledFor(logging.INFO)
    assert not logging.getLogger("bokeh.server.util").isEnabledFor(logging.WARNING)  # "Host wildcard '*'"
    code = ("import logging; from mwdisk.cli import main; main(['stages']); "
            "logging.getLogger('fontTools.subset').info('Glyph names: x'); "
            "logging.getLogger('mwdisk.report').info('report written')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Glyph" not in r.stderr and "report written" in r.stderr
