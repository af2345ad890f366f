"""Issue 16 in a real kernel (nbclient): lineage patterns (a) split then fit, (b) load inside the tracked cell,
(c) a frame saved with ``reg.save`` then read; an untraceable input in the plain-text output; the lineage gate."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from lifecycle_ext import open_registry
from tests.integration.test_track_notebook import kernel_name  # noqa: F401 - the fixture

TRACK_FIT = (
    "%%track -o model=model:{name}\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from lifecycle_ext.adapters import sklearn_state\n"
    "model = sklearn_state(LogisticRegression(max_iter=300).fit({x}, {y}))"
)
CELLS = [
    "%load_ext lifecycle_ext",
    "%lifecycle registry {reg}",
    "import lifecycle_ext\nreg = lifecycle_ext.open_registry({reg!r})",
    # (c) saved with reg.save in a plain cell
    "from sklearn.datasets import load_iris\ndf = load_iris(as_frame=True).frame\n"
    "v = reg.save(df, 'dataset:iris', label='target')",
    # (a) split in an untracked cell, fitted in a tracked one
    "from sklearn.model_selection import train_test_split\n"
    "X_train, X_test, y_train, y_test = train_test_split(df.drop(columns='target'), df['target'], random_state=0)",
    TRACK_FIT.format(name="split-fit", x="X_train", y="y_train"),
    # (b) loaded inside the tracked cell
    "%%track -o model=model:in-cell\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from lifecycle_ext.adapters import sklearn_state\n"
    "data = reg.load('dataset:iris@1')\n"
    "model = sklearn_state(LogisticRegression(max_iter=300).fit(data.drop(columns='target'), data['target']))",
    # (c) the saved frame read directly
    TRACK_FIT.format(name="saved-frame", x="df.drop(columns='target')", y="df['target']"),
    # untraceable
    "import numpy as np\nXr = np.random.rand(40, 2)\nyr = (Xr[:, 0] > 0.5).astype(int)",
    TRACK_FIT.format(name="blind", x="Xr", y="yr"),
]


@pytest.mark.slow
def test_lineage_patterns_in_a_real_kernel(tmp_path: Path, kernel_name: str) -> None:  # noqa: F811
    reg_path = str(tmp_path / "reg")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.format(reg=reg_path)) for c in CELLS[:5]]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in CELLS[5:]]
    NotebookClient(nb, kernel_name=kernel_name, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()

    def text(i: int) -> str:
        return "".join(o.get("data", {}).get("text/plain", "") for o in nb.cells[i].outputs)

    reg = open_registry(reg_path)
    assert reg.get("model:split-fit@1").inputs == ["dataset:iris@1"]  # (a)
    assert reg.get("model:in-cell@1").inputs == ["dataset:iris@1"]  # (b)
    assert reg.get("model:saved-frame@1").inputs == ["dataset:iris@1"]  # (c)
    assert "X_train derived from dataset:iris@1" in text(5)
    assert "not captured: Xr (numpy.ndarray), yr (numpy.ndarray)" in text(9)
    assert reg.get("model:blind@1").inputs == []

    reg.set_policy('version = 1\n[[gates.staging]]\ntype = "lineage"\nkinds = ["model"]\n')
    blind = next(c for c in reg.gates("model:blind@1", to="staging").checks if c.type == "lineage")
    assert blind.status == "fail" and "no upstream data" in blind.message
    ok = next(c for c in reg.gates("model:split-fit@1", to="staging").checks if c.type == "lineage")
    assert ok.status == "pass", ok.message
