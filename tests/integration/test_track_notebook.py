"""One real kernel through nbclient: a notebook tracks a dataset and a model, then reproduces them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from lifecycle_ext import open_registry

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    "%load_ext lifecycle_ext",
    "%lifecycle registry {reg}",
    "%%track -o df=dataset:iris --kind-meta label=target --kind-meta source=sklearn\n"
    "from sklearn.datasets import load_iris\n"
    "df = load_iris(as_frame=True).frame",
    "params = {{'C': 0.5, 'max_iter': 400}}",
    "%%track -o model=model:iris-lr --params params --metrics metrics --seed 1\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from lifecycle_ext.adapters import sklearn_state\n"
    "X, y = df.drop(columns='target'), df['target']\n"
    "clf = LogisticRegression(**params, random_state=0).fit(X, y)\n"
    "metrics = {{'train_accuracy': float(clf.score(X, y))}}\n"
    "model = sklearn_state(clf)",
    "%lifecycle reproduce model:iris-lr@1",
    "%%track -o noise=dataset:noise\nimport numpy as np\nnoise = np.random.rand(8)",
    "%lifecycle lineage dataset:iris@1 --down",
    "%lifecycle gates model:iris-lr@1 --to development",
]


@pytest.fixture
def kernel_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec for this interpreter whose kernel imports lifecycle_ext from this checkout."""
    spec = tmp_path / "jupyter" / "kernels" / "lifecycle-test"
    spec.mkdir(parents=True)
    env = {"PYTHONPATH": str(ROOT), "LIFECYCLE_USER": "carol", "JPY_SESSION_NAME": str(tmp_path / "flow.ipynb")}
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "lifecycle test",
                "language": "python",
                "env": env,
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "lifecycle-test"


@pytest.mark.slow
def test_notebook_tracks_links_and_reproduces(tmp_path: Path, kernel_name: str) -> None:
    reg_path = tmp_path / "reg"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.format(reg=reg_path)) for c in CELLS]
    NotebookClient(nb, kernel_name=kernel_name, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    nbformat.write(nb, tmp_path / "flow.ipynb")

    def html(i: int) -> str:
        return "".join(o.get("data", {}).get("text/html", "") for o in nb.cells[i].outputs)

    assert "dataset:iris@1" in html(2)
    assert "model:iris-lr@1" in html(4) and "dataset:iris@1" in html(4)
    assert "match" in html(5) and "mismatch" not in html(5)
    assert "model:iris-lr@1" in html(7)
    # in a kernel, lineage and gates are interactive widgets that keep an HTML rendering for static viewers
    for i in (7, 8):
        mimes = {m for o in nb.cells[i].outputs for m in o.get("data", {})}
        assert "application/vnd.jupyter.widget-view+json" in mimes and "text/html" in mimes
    assert "development" in html(8) and "model:iris-lr@1" in html(8)

    reg = open_registry(reg_path)
    m = reg.get("model:iris-lr@1")
    assert m.inputs == ["dataset:iris@1"] and m.author == "carol"
    assert reg.lineage("dataset:iris@1", direction="down").downstream == ["model:iris-lr@1"]
    rec = m.record
    assert rec["notebook"] == str(tmp_path / "flow.ipynb")
    assert rec["execution_count"] == nb.cells[4].execution_count and rec["seed"]["given"] == 1
    assert rec["configs"] == {"params": {"C": 0.5, "max_iter": 400}}
    assert rec["kind_record"]["framework"] == "scikit-learn"
    assert rec["kind_record"]["hyperparameters"]["C"] == 0.5
    env = reg.environment("model:iris-lr@1")
    assert "ipykernel" in env["packages"] and env["user"] == "carol"
    # reproduced in this process too: seeded model matches, unseeded noise does not
    assert reg.reproduce("model:iris-lr@1").ok
    import numpy as np

    np.random.seed()  # earlier tests in this process may have left the global RNG where the kernel's was
    assert reg.reproduce("dataset:noise@1").status == "mismatch"
    assert reg.verify().ok
