"""Figures from a synthetic run folder: every file exists and is valid; absent inputs are skipped with a
reason."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from mwdisk.figures import FIGURES, RunData, figure_index, make_figures
from mwdisk.figures.common import FigureContext, gradient_rows, trend_fit
from mwdisk.figures.mock import injected_gradient, recovery_table
from mwdisk.figures.systematics import potentials_figure, sweep_table, sweep_variants_present


def _valid_png(path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.size[0] > 400 and im.size[1] > 300
        # not blank: more than one grey level in a sizeable share of the pixels
        a = np.asarray(im.convert("L"))
        assert (a < 200).mean() > 0.01, f"{path.name} looks blank"


def _valid_pdf(path) -> None:
    data = path.read_bytes()
    assert data[:5] == b"%PDF-", path
    assert b"%%EOF" in data[-64:], path
    assert len(data) > 5000


def test_every_figure_written_and_valid(drawn_run):
    folder = drawn_run / "figures"
    for spec in FIGURES:
        _valid_png(folder / f"{spec.name}.png")
        _valid_pdf(folder / f"{spec.name}.pdf")
    index = figure_index(drawn_run)
    assert [e["name"] for e in index] == [s.name for s in FIGURES]
    assert all(e["skipped"] is None for e in index), [e for e in index if e["skipped"]]


def test_no_window_and_no_pyplot(drawn_run):
    # drawing never goes through pyplot, so no figure stays open and no GUI backend is selected
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_context_from_provenance(sweep_run, injected_law):
    run = RunData(sweep_run)
    assert (run.ctx.potential, run.ctx.R0_kpc, run.ctx.v0_kms) == ("mw14", 8.27, 236.0)
    assert run.ctx.min_stars == 15 and run.ctx.error_model == "scatter"
    assert run.injected == injected_law
    s = run.stars(["feh", "rg_kpc", "zmax_kpc", "sel_thin_disk"])
    assert list(s.columns) == ["feh", "rg_kpc", "zmax_kpc", "sel_thin_disk"]
    assert len(s) == len(pd.read_parquet(sweep_run / "selected", columns=["feh"]))
    with pytest.raises(KeyError, match="not in"):
        run.stars(["no_such_column"])


def test_drawn_trend_is_the_tables_trend(sweep_run):
    """The trend line is refitted to be drawn (trends.csv has no intercept): its slope must be the table's."""
    run = RunData(sweep_run)
    ctx = run.ctx
    t = run.trends
    for sel in ("thin_disk", "zmax_1", "chem_2"):
        rows = gradient_rows(run.gradients, sel, potential="mw14", R0_kpc=8.27, v0_kms=236.0)
        fit, used = trend_fit(rows, ctx.min_stars, ctx.age_column)
        want = t[(t["selection"] == sel) & (t["potential"] == "mw14") & (t["radius"] == "rg")
                 & (t["error_model"] == "scatter") & np.isclose(t["R0_kpc"], 8.27)
                 & np.isclose(t["v0_kms"], 236.0)]
        assert used.sum() >= 3
        expected = float(want["slope_dex_per_kpc_per_gyr"].iloc[0])
        assert fit.slope == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_sweep_variants_found(sweep_run):
    run = RunData(sweep_run)
    present = sweep_variants_present(run.gradients, run.ctx)
    assert present == {"potentials": ["mcm17", "irr13"], "R0_kpc": [8.0, 8.5], "v0_kms": [220.0, 250.0]}
    tab = sweep_table(run.trends, run.ctx)
    assert tab["variant"].iloc[0] == "run" and (tab["variant"] == "sweep").sum() == 6
    assert tab["d_trend"].iloc[0] == 0.0


def test_without_sweep_rows_fig11_12_skipped_with_how_to(plain_run):
    folder = plain_run / "figures"
    folder.mkdir()
    stale = folder / "fig11_potentials.png"
    stale.write_bytes(b"old")  # a figure of an earlier run must not survive as if it were current
    run = RunData(plain_run)
    assert potentials_figure(run.gradients, run.ctx) is None
    only = ["fig11_potentials", "fig12_solar_parameters", "fig13_high_quality"]
    written = make_figures(plain_run, only=only)
    assert [p.name for p in written] == ["fig13_high_quality.png", "fig13_high_quality.pdf"]
    assert not stale.exists()
    index = {e["name"]: e for e in json.loads((folder / "index.json").read_text())}
    for name in ("fig11_potentials", "fig12_solar_parameters"):
        assert "mwdisk sweep" in index[name]["skipped"]


def test_missing_inputs_are_skipped_not_fatal(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert make_figures(out) == []
    index = figure_index(out)
    assert len(index) == len(FIGURES)
    assert all("gradients" in e["skipped"] or "selected" in e["skipped"] for e in index)
    with pytest.raises(FileNotFoundError, match="run folder"):
        make_figures(tmp_path / "nope")
    with pytest.raises(ValueError, match="unknown figure"):
        make_figures(out, only=["fig99"])


def test_not_a_mock_no_recovery_figure(plain_run):
    prov = json.loads((plain_run / "provenance.json").read_text())
    prov["config"]["run"]["catalog"] = "/data/lamost"
    (plain_run / "provenance.json").write_text(json.dumps(prov))
    make_figures(plain_run, only=["mock_recovery"])
    e = {e["name"]: e for e in figure_index(plain_run)}["mock_recovery"]
    assert "not a run on the built-in mock" in e["skipped"]


def test_injected_law_and_recovery_table(sweep_run, injected_law):
    INJECTED = injected_law
    g = injected_gradient(np.array([1.0, 5.0, 11.0]), "thin", INJECTED)
    assert np.allclose(g, [-0.075, -0.063, -0.045])
    assert np.allclose(injected_gradient(np.array([2.0, 12.0]), "thick", INJECTED), 0.02)
    with pytest.raises(ValueError, match="thin"):
        injected_gradient(np.array([1.0]), "halo", INJECTED)
    with pytest.raises(KeyError, match="thick_gradient"):
        injected_gradient(np.array([1.0]), "thick", {"thin_gradient": 0.0, "thin_flattening": 0.0})
    run = RunData(sweep_run)
    tab = recovery_table(run.gradients, run.ctx, INJECTED)
    thin = tab[(tab["selection"] == "thin_disk") & (tab["error_model"] == "scatter") & tab["in_trend"]]
    assert len(thin) >= 6
    diff = thin["recovered_dex_per_kpc"] - thin["injected_dex_per_kpc"]
    assert np.allclose(thin["difference_dex_per_kpc"], diff)
    # the synthetic thin disk follows the law: recovered within 4 sigma in every bin used
    assert np.all(np.abs(thin["pull"]) < 4), thin[["age_gyr", "recovered_dex_per_kpc", "pull"]]


def test_figure_functions_take_dataframes(rng):
    from mwdisk.figures.chemistry import chemistry_age, chemistry_plane

    n = 300
    stars = pd.DataFrame({"feh": rng.normal(-0.1, 0.2, n), "afe": rng.normal(0.05, 0.05, n),
                          "age_mode_gyr": rng.uniform(1, 12, n)})
    ctx = FigureContext()
    for fig in (chemistry_plane(stars, ctx), chemistry_age(stars, ctx)):
        ax = fig.axes[0]
        assert ax.get_xlabel() == "[Fe/H] (dex)" and "(dex)" in ax.get_ylabel()
    # an empty selection still draws (the report must not lose a figure to one empty panel)
    fig = chemistry_plane(stars.iloc[:0], ctx)
    assert fig.axes


def test_member_truth_slopes_recover_a_known_line():
    from mwdisk.figures.mock import member_truth_slopes

    rng = np.random.default_rng(4)
    n = 600
    age = rng.uniform(1.0, 12.25, n)
    rg = rng.uniform(5.0, 12.0, n)
    slope = np.where(age < 6.0, -0.07, 0.02)  # two laws, split at a bin edge
    stars = pd.DataFrame({"age_mode_gyr": age, "true_rg_kpc": rg, "true_feh": slope * (rg - 8.0),
                          "sel_thin_disk": age < 9.75, "sel_thick_disk": True})
    edges = 1.0 + 1.25 * np.arange(10)
    t = member_truth_slopes(stars, edges).set_index(["selection", "bin_lo_gyr"])[
        "members_true_slope_dex_per_kpc"
    ]
    assert np.allclose(t.loc["thick_disk"].to_numpy(), np.where(edges[:-1] < 6.0, -0.07, 0.02))
    thin = t.loc["thin_disk"]
    assert np.allclose(thin[thin.index < 9.75], np.where(edges[:-1][edges[:-1] < 9.75] < 6.0, -0.07, 0.02))
    assert thin[thin.index >= 9.75].isna().all()  # no members: NaN, not an error
