"""%%track in a real InteractiveShell: provenance records, lineage, failures, dry runs, errors."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from IPython.core.error import UsageError

DATASET_CELL = """%%track -o df=dataset:iris --kind-meta label=target --kind-meta source=sklearn.load_iris \
 --kind-meta annotators=3 --kind-meta guideline_version=v2 --tag raw -m "first cut"
import pandas as pd
from sklearn.datasets import load_iris
df = load_iris(as_frame=True).frame
"""

MODEL_CELL = """%%track -o model=model:iris-rf --params hp --metrics scores
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from lifecycle_ext.adapters import sklearn_state
hp = {"n_estimators": cfg["trees"], "max_depth": 3}
X_tr, X_te, y_tr, y_te = train_test_split(df.drop(columns="target"), df["target"], random_state=7)
clf = RandomForestClassifier(**hp, random_state=0).fit(X_tr, y_tr)
scores = {"accuracy": float(clf.score(X_te, y_te))}
model = sklearn_state(clf)
"""


def test_dataset_then_model_links_lineage_both_ways(ip: Any, reg: Any, cell: Any) -> None:
    r = cell(DATASET_CELL)
    assert r.error is None
    assert "dataset:iris@1" in r.html
    ip.user_ns["cfg"] = {"trees": 5}
    r = cell(MODEL_CELL)
    assert r.error is None, r.error
    assert "model:iris-rf@1" in r.html and "dataset:iris@1" in r.html  # summary: created + inputs

    m = reg.get("model:iris-rf@1")
    assert m.inputs == ["dataset:iris@1"]
    assert reg.lineage("dataset:iris@1", direction="down").downstream == ["model:iris-rf@1"]
    assert reg.lineage("model:iris-rf@1", direction="up").upstream == ["dataset:iris@1"]
    assert m.params == {"n_estimators": 5, "max_depth": 3}
    assert 0.8 < m.metrics["accuracy"] <= 1.0

    rec = m.record
    assert rec["source"] == MODEL_CELL.split("\n", 1)[1]
    assert rec["source_hash"].startswith("sha256:")
    assert rec["status"] == "ok" and rec["duration_s"] > 0 and rec["started_at"]
    assert rec["execution_count"] == ip.execution_count - 1  # In[n] of the last cell run
    assert reg.get("dataset:iris@1").record["execution_count"] == rec["execution_count"] - 1
    assert rec["inputs_by_var"] == {"df": "dataset:iris@1"}
    assert rec["configs"] == {"cfg": {"trees": 5}}
    assert rec["uncaptured"] == {} and rec["modules"] == {}  # names bound by the cell itself are not reads
    lits = {(s["name"], s["value"]) for s in rec["seed"]["literals"]}
    assert ("random_state", 0) in lits and ("random_state", 7) in lits
    assert set(rec["seed"]["rng_fingerprints"]) >= {"random", "numpy"}
    kr = rec["kind_record"]
    assert kr["framework"] == "scikit-learn" and kr["framework_version"]
    assert kr["hyperparameters"]["n_estimators"] == 5 and kr["hyperparameters"]["random_state"] == 0
    assert kr["metrics"] == {"accuracy": m.metrics["accuracy"]}
    assert kr["serialization"]["object_type"] == "state_dict"

    env = reg.environment("model:iris-rf@1")
    assert env["python"] and env["hostname"] and env["user"] == "alice"
    assert "scikit-learn" in env["packages"] and "pandas" in env["packages"]
    # the environment is stored once and referenced by both versions, and verify covers it
    d = reg.get("dataset:iris@1")
    assert d.record["environment"] == rec["environment"]
    assert reg.state["assets"]["model:iris-rf"]["versions"][0]["blobs"] == [rec["environment"]]

    dk = d.record["kind_record"]
    assert dk["n_samples"] == 150 and dk["class_distribution"] == {"0": 50, "1": 50, "2": 50}
    assert dk["source"] == "sklearn.load_iris" and dk["annotators"] == 3 and dk["guideline_version"] == "v2"
    assert d.tags == ["raw"] and d.note == "first cut"


def test_seed_option_seeds_random_and_numpy_and_is_recorded(ip: Any, reg: Any, cell: Any) -> None:
    src = (
        "%%track -o a=dataset:noise --seed 42\nimport numpy as np, random\na = np.random.rand(4)\nb = random.random()\n"
    )
    assert cell(src).error is None
    a1, b1 = ip.user_ns["a"].copy(), ip.user_ns["b"]
    assert cell(src).error is None
    assert (ip.user_ns["a"] == a1).all() and ip.user_ns["b"] == b1
    rec = reg.get("dataset:noise@1").record
    torch = ["torch"] if "torch" in sys.modules else []  # seeded too once imported (other tests import it)
    assert rec["seed"]["given"] == 42 and rec["seed"]["seeded"] == ["random", "numpy", *torch]
    assert rec["seed"]["rng_fingerprints"] == {}


def test_failed_cell_saves_nothing_and_raises_the_cells_error(ip: Any, reg: Any, cell: Any) -> None:
    r = cell("%%track -o x=dataset:x\nx = [1, 2]\nraise ValueError('<script>alert(1)</script>')\n")
    assert isinstance(r.error, ValueError)
    assert "nothing was saved" in r.html
    assert "<script>alert" not in r.html and "&lt;script&gt;" in r.html
    assert reg.state["assets"] == {}
    assert ip.user_ns["x"] == [1, 2]


def test_unsupported_output_errors_after_the_cell_ran_and_keeps_the_result(ip: Any, reg: Any, cell: Any) -> None:
    # (fitted estimators are stored in their framework's format now; a lock has no safe format)
    r = cell("%%track -o clf=model:lr\nimport threading\nclf = threading.Lock()\n")
    assert isinstance(r.error, UsageError)
    assert "UnsupportedType" in str(r.error) and "never pickled" in str(r.error)
    assert "the cell ran" in str(r.error)
    assert type(ip.user_ns["clf"]).__name__ == "lock"
    assert reg.state["assets"] == {}


def test_multiple_outputs_are_checked_before_any_is_saved(ip: Any, reg: Any, cell: Any) -> None:
    r = cell("%%track -o a=dataset:a -o b=dataset:b\na = [1]\nb = object()\n")
    assert isinstance(r.error, UsageError) and "output 'b'" in str(r.error)
    assert reg.state["assets"] == {}


def test_missing_output_variable_is_named(ip: Any, reg: Any, cell: Any) -> None:
    r = cell("%%track -o nope=dataset:a\nx = 1\n")
    assert isinstance(r.error, UsageError) and "'nope' is not defined" in str(r.error)


@pytest.mark.parametrize(
    "line, needle",
    [
        ("-o bad", "VAR=KIND:NAME"),
        ("-o x=dataset:a@3", "not a version"),
        ("-o 1x=dataset:a", "VAR=KIND:NAME"),
        ("--seed abc", "invalid int"),
        ("--params 'a b'", "variable name"),
        ("--kind-meta novalue", "KEY=VALUE"),
        ("--bogus", "unrecognized"),
    ],
)
def test_bad_options_raise_usage_error_before_the_cell_runs(ip: Any, cell: Any, line: str, needle: str) -> None:
    r = cell(f"%%track {line}\nran = True\n")
    assert isinstance(r.error, UsageError), r.error
    assert needle in str(r.error)
    assert "ran" not in ip.user_ns


def test_dry_run_shows_the_capture_and_saves_nothing(ip: Any, reg: Any, cell: Any) -> None:
    ip.user_ns["lr"] = 0.1
    r = cell("%%track -o y=dataset:y --dry-run --kind-meta source='<b>crm</b>'\ny = [lr * 2]\n")
    assert r.error is None
    assert "dry-run" in r.html and "&quot;lr&quot;: 0.1" in r.html and "python" in r.html
    assert "<b>crm</b>" not in r.html
    assert reg.state["assets"] == {}


def test_trailing_expression_is_the_cells_result(ip: Any, cell: Any) -> None:
    r = cell("%%track\nx = 20\nx + 1\n")
    assert r.error is None
    assert "21" in r.text
    assert ip.user_ns["_"] == 21


def test_no_outputs_does_not_open_the_registry_and_shows_a_summary(ip: Any, cell: Any) -> None:
    r = cell("%%track --seed 1\nimport random\nv = random.random()\n")
    assert r.error is None and "no outputs" in r.html and "--seed 1" in r.html


def test_magics_inside_the_tracked_cell_are_transformed(ip: Any, reg: Any, cell: Any) -> None:
    r = cell("%%track -o xs=dataset:xs\nxs = [1, 2]\n%lifecycle ls\n")
    assert r.error is None
    rec = reg.get("dataset:xs@1").record
    assert "get_ipython" in rec["python_source"] and "%lifecycle ls" in rec["source"]


FIT_AND_SAVE_CELL = """%%track -o clf=model:iris-pipe --metrics scores
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
features = df.drop(columns="target")
clf = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=10, random_state=0))
clf.fit(features.iloc[::2], df["target"].iloc[::2])
scores = {"accuracy": float(clf.score(features.iloc[1::2], df["target"].iloc[1::2]))}
"""


def test_tracked_cell_saves_the_fitted_model_itself_with_its_signature(ip: Any, reg: Any, cell: Any) -> None:
    assert cell(DATASET_CELL).error is None
    r = cell(FIT_AND_SAVE_CELL)
    assert r.error is None, r.error
    v = reg.get("model:iris-pipe@1")
    assert v.object_type == "sklearn" and v.summary["framework"] == "scikit-learn"
    assert v.inputs == ["dataset:iris@1"]
    # the signature is inferred from the training frame the cell read, restricted to the model's features
    assert [c["name"] for c in v.signature["inputs"]] == list(ip.user_ns["features"].columns)
    assert {c["dtype"] for c in v.signature["inputs"]} == {"float64"}
    assert v.signature["outputs"] == [{"name": "prediction", "dtype": "int64"}]
    assert len(v.input_example["data"]) == 5
    # loaded back, it predicts what the fitted one predicts on held-out rows
    clf, held_out = ip.user_ns["clf"], ip.user_ns["features"].iloc[1::2]
    back = reg.load("model:iris-pipe@1")
    assert back is not clf
    assert (back.predict(held_out) == clf.predict(held_out)).all()
    assert (reg.predictor("model:iris-pipe").predict(held_out) == clf.predict(held_out)).all()
