"""Shared test fixtures.

``shared_dir`` gives the read-only ``../shared`` folder of the development checkout and skips the test with a
reason where it is absent (users and CI clones without it still pass the suite). ``rng`` is a seeded
generator, so no test depends on global random state.
"""

from __future__ import annotations

import os
from pathlib import Path

import sys

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
