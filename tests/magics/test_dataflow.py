"""Notebook dataflow (issue 16): lineage survives the patterns people use, run in a real InteractiveShell.

(a) split in an earlier untracked cell, fit in a tracked one; (b) ``reg.load`` inside the tracked cell;
(c) a frame passed to ``reg.save`` earlier, then read. Each used to record no inputs at all.
"""

from __future__ import annotations

from typing import Any

LOAD_IRIS = "from sklearn.datasets import load_iris\ndf = load_iris(as_frame=True).frame\n"
SPLIT = (
    "from sklearn.model_selection import train_test_split\n"
    "X_train, X_test, y_train, y_test = train_test_split(df.drop(columns='target'), df['target'], random_state=0)\n"
)
FIT = (
    "%%track -o model=model:iris-lr\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from lifecycle_ext.adapters import sklearn_state\n"
    "clf = LogisticRegression(max_iter=300).fit(X_train, y_train)\n"
    "model = sklearn_state(clf)\n"
)


def _save_iris(cell: Any) -> None:
    r = cell("%%track -o df=dataset:iris --kind-meta label=target\n" + LOAD_IRIS)
    assert r.error is None, r.error


def test_a_split_in_an_untracked_cell_then_fit_keeps_the_dataset(ip: Any, reg: Any, cell: Any) -> None:
    _save_iris(cell)
    assert cell(SPLIT).error is None
    r = cell(FIT)
    assert r.error is None, r.error
    m = reg.get("model:iris-lr@1")
    assert m.inputs == ["dataset:iris@1"]
    assert m.record["derived_inputs"] == {"X_train": ["dataset:iris@1"], "y_train": ["dataset:iris@1"]}
    assert "dataset:iris@1" in r.text  # the plain-text summary names where the inputs came from


def test_a_rebinding_and_in_place_fit_carry_lineage_across_cells(ip: Any, reg: Any, cell: Any) -> None:
    _save_iris(cell)
    assert cell("df = df.dropna()\nX = df.drop(columns='target')\ny = df['target']").error is None
    assert (
        cell("from sklearn.tree import DecisionTreeClassifier\nclf = DecisionTreeClassifier(max_depth=2)").error is None
    )
    assert cell("clf.fit(X, y)").error is None  # fitted in place: clf now derives from the data
    r = cell(
        "%%track -o model=model:tree\nfrom lifecycle_ext.adapters import sklearn_state\nmodel = sklearn_state(clf)\n"
    )
    assert r.error is None, r.error
    assert reg.get("model:tree@1").inputs == ["dataset:iris@1"]


def test_b_load_inside_the_tracked_cell_is_an_input(ip: Any, reg: Any, cell: Any) -> None:
    _save_iris(cell)
    ip.user_ns["reg"] = reg
    r = cell(
        "%%track -o model=model:iris-lr\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from lifecycle_ext.adapters import sklearn_state\n"
        "data = reg.load('dataset:iris@1')\n"
        "clf = LogisticRegression(max_iter=300).fit(data.drop(columns='target'), data['target'])\n"
        "model = sklearn_state(clf)\n"
    )
    assert r.error is None, r.error
    m = reg.get("model:iris-lr@1")
    assert m.inputs == ["dataset:iris@1"]
    assert m.record["loaded"] == ["dataset:iris@1"]


def test_c_a_frame_saved_with_reg_save_then_read_is_an_input(ip: Any, reg: Any, cell: Any) -> None:
    ip.user_ns["reg"] = reg
    assert cell(LOAD_IRIS + "v = reg.save(df, 'dataset:iris', label='target')").error is None
    assert cell(SPLIT).error is None
    r = cell(FIT)
    assert r.error is None, r.error
    assert reg.get("model:iris-lr@1").inputs == ["dataset:iris@1"]


def test_c_direct_read_of_a_saved_frame(ip: Any, reg: Any, cell: Any) -> None:
    ip.user_ns["reg"] = reg
    assert cell(LOAD_IRIS + "reg.save(df, 'dataset:iris')").error is None
    r = cell("%%track -o n=dataset:iris-head\nn = df.head(10)\n")
    assert r.error is None, r.error
    assert reg.get("dataset:iris-head@1").inputs == ["dataset:iris@1"]
    assert reg.get("dataset:iris-head@1").record["inputs_by_var"] == {"df": "dataset:iris@1"}


def test_untraceable_input_is_listed_in_the_plain_text_output(ip: Any, reg: Any, cell: Any) -> None:
    assert cell("import numpy as np\nX = np.random.rand(30, 2)\ny = (X[:, 0] > 0.5).astype(int)").error is None
    r = cell(
        "%%track -o model=model:blind\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from lifecycle_ext.adapters import sklearn_state\n"
        "model = sklearn_state(LogisticRegression().fit(X, y))\n"
    )
    assert r.error is None, r.error
    assert "not captured: X (numpy.ndarray), y (numpy.ndarray)" in r.text
    assert reg.get("model:blind@1").inputs == []


def test_unrelated_cells_do_not_inherit_lineage(ip: Any, reg: Any, cell: Any) -> None:
    _save_iris(cell)
    assert cell(SPLIT).error is None
    assert cell("import numpy as np\nnoise = np.zeros(3)").error is None
    r = cell("%%track -o n=dataset:noise\nn = noise + 1\n")
    assert r.error is None
    assert reg.get("dataset:noise@1").inputs == []


def test_lineage_gate_fails_a_model_with_no_upstream_data(ip: Any, reg: Any, cell: Any) -> None:
    reg.set_policy('version = 1\n[[gates.staging]]\ntype = "lineage"\nkinds = ["model"]\nlicences = ["CC-BY-4.0"]\n')
    assert cell("import numpy as np\nX = np.random.rand(30, 2)\ny = (X[:, 0] > 0.5).astype(int)").error is None
    r = cell(
        "%%track -o model=model:blind\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from lifecycle_ext.adapters import sklearn_state\n"
        "model = sklearn_state(LogisticRegression().fit(X, y))\n"
    )
    assert r.error is None
    report = reg.gates("model:blind@1", to="staging")
    lineage = next(c for c in report.checks if c.type == "lineage")
    assert lineage.status == "fail"
    assert "no upstream data" in lineage.message


def test_an_unchanged_rerun_records_a_rerun_not_a_new_version(ip: Any, reg: Any, cell: Any) -> None:
    _save_iris(cell)
    assert cell(SPLIT).error is None
    fit = FIT.replace("%%track -o model=model:iris-lr", "%%track -o model=model:iris-lr --params hp") + "hp = {}\n"
    assert cell(fit).error is None
    r = cell(fit)  # the same notebook run again: same outputs, params, inputs and source
    assert r.error is None, r.error
    assert "re-run of model:iris-lr@1" in r.text
    a = reg.state["assets"]["model:iris-lr"]
    assert len(a["versions"]) == 1
    reruns = a["versions"][0]["reruns"]
    assert len(reruns) == 1 and reruns[0]["run_id"] != a["versions"][0]["record"]["run_id"]
    assert [e["type"] for e in reg.context.log.events()][-1] == "VersionRerun"
    # a changed source is a new version
    assert cell(fit.replace("max_iter=300", "max_iter=301")).error is None
    assert len(reg.state["assets"]["model:iris-lr"]["versions"]) == 2
