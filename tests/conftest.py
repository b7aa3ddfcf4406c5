"""Shared test fixtures.

``shared_dir`` gives the read-only ``../shared`` folder of the development checkout and skips the test with a
reason where it is absent (users and CI clones without it still pass the suite). ``rng`` is a seeded
generator, so no test depends on global random state.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MWDISK_SHARED", REPO.parent / "shared"))
TEST_DATA = Path(__file__).resolve().parent / "data"

# tests share small helpers (tests/factory.py); with --import-mode=importlib the folder must be importable
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip(f"needs the development data folder {SHARED} (set MWDISK_SHARED); absent here")
    return SHARED


@pytest.fixture(scope="session")
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20210615)


# Tests that need a service a laptop lacks run only when asked (.ci/run asks for them and starts the service).
_SERVICES = {
    "slurm": ("MWDISK_TEST_SLURM", "needs the single-node SLURM of deploy/slurm/start.sh: "
                                   "run it, eval its export "
                                   "line, and set MWDISK_TEST_SLURM=1 (.ci/run does)"),
    "browser": ("MWDISK_TEST_BROWSER", "needs headless Chromium (apt-get install chromium) and "
                                       "MWDISK_TEST_BROWSER=1 (.ci/run does)"),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, (env, reason) in _SERVICES.items():
            if marker in item.keywords and os.environ.get(env) != "1":
                item.add_marker(pytest.mark.skip(reason=reason))
