"""environment.yml (conda) and pyproject.toml (pip) must list the same dependencies with the same bounds.

conda cannot be reached where the tests run, so this comparison is what keeps the conda file honest.
"""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", req)
    name, spec = m.group(1).lower().replace("_", "-"), m.group(3).replace(" ", "")
    return name, spec


def test_environment_matches_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda = []
    for d in env:
        if isinstance(d, dict):
            conda += d["pip"]
        elif not d.startswith(("python", "pip")):
            conda.append(d)
        elif d.startswith("python"):
            assert d == "python>=3.11"
    assert dict(map(_norm, py)) == dict(map(_norm, conda))


def test_every_package_directory_is_in_the_wheel():
    """A package directory missing from pyproject's list installs in editable mode but not from a wheel."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "mwdisk").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    found |= {"mwdisk.pipelines", "mwdisk.deploy"}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"
