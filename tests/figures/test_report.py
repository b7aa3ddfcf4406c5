"""OUT/report.html: every section, no broken image, no external resource; renders in headless Chromium."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mwdisk.figures import FIGURES, figure_index, make_figures
from mwdisk.report import SECTIONS, write_report

CHROMIUM = Path("/usr/bin/chromium")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.imgs: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        for key in ("href", "src"):
            if key in a and tag != "img":
                self.links.append((tag, a[key]))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def report(drawn_run) -> Path:
    return write_report(drawn_run, redraw=False)


def test_every_section_and_figure(report, drawn_run):
    page = _parse(report)
    for sid, _ in SECTIONS:
        assert sid in page.ids, f"section {sid} missing"
    drawn = [e for e in figure_index(drawn_run) if not e["skipped"]]
    assert len(drawn) == len(FIGURES)
    assert len(page.imgs) == len(drawn)
    text = report.read_text()
    for word in ("Cut cascade", "high_quality_all", "thin disk", "slope_dex_per_kpc_per_gyr", "git_commit",
                 "Versions", "Timings", "Configuration", "mcm17"):
        assert word in text, word


def test_no_broken_image(report):
    page = _parse(report)
    assert page.imgs
    for src in page.imgs:
        assert src.startswith("data:image/png;base64,"), src[:60]
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(io.BytesIO(data)) as im:
            im.verify()


def test_self_contained(report):
    page = _parse(report)
    assert "script" not in page.tags and "link" not in page.tags
    for tag, url in page.links:
        assert not url.startswith(("http:", "https:", "//")), (tag, url)
        assert url.startswith("#") or url.startswith("figures/"), (tag, url)


def test_without_sweep_says_how(plain_run):
    # only three figures are drawn here, to keep the test short; the full set is drawn in ``drawn_run``
    make_figures(plain_run, only=["fig05_chemistry", "fig11_potentials", "fig12_solar_parameters"],
                 formats=("png",), strict=True)
    path = write_report(plain_run, redraw=False)
    page = _parse(path)
    assert all(sid in page.ids for sid, _ in SECTIONS)
    text = path.read_text()
    sweep = text[text.index('id="sweep"'):text.index('id="mock"')]
    assert "mwdisk sweep" in sweep
    assert "fig11_potentials" not in [e["name"] for e in figure_index(plain_run) if not e["skipped"]]
    # Fig. 11 and 12 appear as explained gaps (with the how-to), Fig. 5 as an image
    assert len(page.imgs) == 1
    assert text.count("not drawn.") == 2


def test_report_of_an_empty_folder_has_every_section(tmp_path):
    out = tmp_path / "OUT"
    out.mkdir()
    path = write_report(out)
    page = _parse(path)
    assert all(sid in page.ids for sid, _ in SECTIONS)
    assert page.imgs == []
    assert "mwdisk run" in path.read_text()


@pytest.mark.browser
def test_renders_in_headless_chromium(report, tmp_path):
    if os.environ.get("MWDISK_TEST_BROWSER") != "1":
        pytest.skip("set MWDISK_TEST_BROWSER=1 to render the report in headless Chromium")
    if not CHROMIUM.is_file() and shutil.which("chromium") is None:
        pytest.skip("no Chromium: apt-get install -y --no-install-recommends chromium")
    exe = str(CHROMIUM) if CHROMIUM.is_file() else shutil.which("chromium")
    shot = tmp_path / "shot.png"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--user-data-dir={tmp_path / 'prof'}", f"--screenshot={shot}", "--window-size=1400,4000",
           report.resolve().as_uri()]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), f"no screenshot (exit {res.returncode}): {res.stderr[-2000:]}"
    with Image.open(shot) as im:
        a = np.asarray(im.convert("RGB"), dtype=np.int16)
    assert a.shape[0] >= 3000 and a.shape[1] >= 1000
    grey = a.mean(axis=2)
    # not blank: text, tables and the embedded figures darken a real share of the page, in many shades
    assert (grey < 200).mean() > 0.02
    assert np.unique(grey.astype(np.uint8)).size > 50
    # the header bar is drawn (the inline style sheet was applied): dark blue at the top left
    r, g, b = a[10, 10]
    assert b > r + 30 and b > 60
