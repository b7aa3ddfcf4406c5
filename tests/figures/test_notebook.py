"""notebooks/explore_run.ipynb runs top to bottom on a synthetic run folder.

nbclient/ipykernel are not dependencies, so the code cells are executed in order in one namespace, as a kernel
would (the notebook uses no IPython magics). The notebook is also checked to be valid nbformat 4 JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore_run.ipynb"


def _cells():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    for c in nb["cells"]:
        assert c["cell_type"] in ("markdown", "code")
        assert isinstance(c["source"], list)
    return nb["cells"]


def test_notebook_is_documented():
    cells = _cells()
    prose = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "MWDISK_RUN_DIR" in code and '"mwdisk-out"' in code
    for word in ("Fig. 5", "Fig. 6", "Fig. 7", "Fig. 8", "Fig. 13", "mwdisk sweep", "error-expanded"):
        assert word in prose, word
    assert not any(line.lstrip().startswith(("%", "!")) for c in cells if c["cell_type"] == "code"
                   for line in c["source"]), "no IPython magics: the notebook must also run as plain Python"


@pytest.mark.parametrize("with_sweep", [False, True])
def test_notebook_runs_top_to_bottom(with_sweep, sweep_run, plain_run, monkeypatch):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = sweep_run if with_sweep else plain_run
    monkeypatch.setenv("MWDISK_RUN_DIR", str(run))
    ns: dict = {"__name__": "__main__"}
    try:
        for k, cell in enumerate(_cells()):
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            exec(compile(src, f"{NOTEBOOK.name}[cell {k}]", "exec"), ns)
        assert ns["RUN_DIR"] == run
        assert len(ns["stars"]) > 100
        assert len(plt.get_fignums()) >= 6
    finally:
        plt.close("all")


def test_notebook_executes_in_a_real_kernel(plain_run, monkeypatch, tmp_path):
    """The notebook as a user runs it: nbclient with an IPython kernel, on a small run folder."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("MWDISK_RUN_DIR", str(plain_run))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs",
                                                                          []) if o.output_type == "error"]
    assert not errors
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert len(images) >= 6
