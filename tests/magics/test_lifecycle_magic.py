"""%lifecycle subcommands through the shared table, reproduce from the magic, and %lifecycle load."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError

SEEDED_MODEL = """%%track -o model=model:lr --seed 11
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from lifecycle_ext.adapters import sklearn_state
X, y = make_classification(n_samples=120, n_features=6, random_state=3)
clf = RandomForestClassifier(n_estimators=4, max_depth=3).fit(X, y)   # no random_state: --seed drives it
model = sklearn_state(clf)
"""


def test_reproduce_matches_for_a_seeded_sklearn_model(ip: Any, reg: Any, cell: Any) -> None:
    assert cell(SEEDED_MODEL).error is None
    state_before = np.random.get_state()[1].copy()
    r = cell("%lifecycle reproduce model:lr@1")
    assert r.error is None
    assert "match" in r.html and "model:lr@1" in r.html
    report = reg.reproduce("model:lr@1")
    assert report.ok and report.status == "match"
    assert report.outputs[0].reproduced == reg.get("model:lr@1").content_hash
    # reproduce restores the kernel's RNG state afterwards
    assert (np.random.get_state()[1] == state_before).all()


def test_reproduce_reports_a_mismatch_for_an_unseeded_random_output(ip: Any, reg: Any, cell: Any) -> None:
    assert cell("%%track -o noise=dataset:noise\nimport numpy as np\nnoise = np.random.rand(5, 3)\n").error is None
    report = reg.reproduce("dataset:noise@1")
    assert report.status == "mismatch" and not report.ok
    check = report.outputs[0]
    assert check.recorded != check.reproduced
    assert "15 of 15 values differ" in check.diff and "max abs diff" in check.diff
    r = cell("%lifecycle reproduce dataset:noise")
    assert "mismatch" in r.html and "max abs diff" in r.html


def test_reproduce_with_inputs_configs_and_modules(ip: Any, reg: Any, cell: Any) -> None:
    assert cell("%%track -o base=dataset:base\nbase = {'w': [1.0, 2.0, 3.0]}\n").error is None
    ip.user_ns["scale"] = {"factor": 3}
    ip.run_cell("import numpy as np")
    assert cell("%%track -o out=dataset:scaled\nout = np.asarray(base['w']) * scale['factor']\n").error is None
    rec = reg.get("dataset:scaled@1").record
    assert rec["inputs_by_var"] == {"base": "dataset:base@1"}
    assert rec["configs"] == {"scale": {"factor": 3}} and rec["modules"] == {"np": "numpy"}
    assert reg.reproduce("dataset:scaled@1").status == "match"


def test_reproduce_names_what_was_not_captured(ip: Any, reg: Any, cell: Any) -> None:
    ip.run_cell("def helper(x):\n    return [x, x]\n")
    assert cell("%%track -o v=dataset:v\nv = helper(2)\n").error is None
    report = reg.reproduce("dataset:v@1")
    assert report.status == "error" and "NameError" in (report.error or "")
    assert "helper" in report.uncaptured and "helper" in repr(report)


def test_reproduce_of_an_untracked_version_is_a_usage_error(ip: Any, reg: Any, cell: Any) -> None:
    reg.save([1, 2], "dataset:plain")
    r = cell("%lifecycle reproduce dataset:plain@1")
    assert isinstance(r.error, UsageError) and "not created by %%track" in str(r.error)


def test_multi_output_run_reproduces_every_output(ip: Any, reg: Any, cell: Any) -> None:
    assert (
        cell(
            "%%track -o a=dataset:a -o b=dataset:b --seed 5\nimport random\na = [random.random()]\nb = {'n': len(a)}\n"
        ).error
        is None
    )
    report = reg.reproduce("dataset:b@1")
    assert report.ok and {c.var for c in report.outputs} == {"a", "b"}


def test_load_as_var_binds_and_becomes_a_lineage_input(ip: Any, reg: Any, cell: Any) -> None:
    reg.save(np.arange(6.0), "dataset:raw")
    r = cell("%lifecycle load dataset:raw as arr")
    assert r.error is None and "dataset:raw@1" in r.html
    assert (ip.user_ns["arr"] == np.arange(6.0)).all()
    assert cell("%%track -o tot=dataset:total\ntot = {'sum': float(arr.sum())}\n").error is None
    assert reg.get("dataset:total@1").inputs == ["dataset:raw@1"]
    r = cell("%lifecycle load dataset:raw")
    assert r.error is None and "raw" in ip.user_ns


def test_objects_loaded_with_reg_load_are_inputs_too(ip: Any, reg: Any, cell: Any) -> None:
    reg.save({"w": np.ones(3)}, "model:sd")
    ip.user_ns["sd"] = reg.load("model:sd")
    assert cell("%%track -o y=dataset:y\ny = sd['w'] * 2\n").error is None
    assert reg.get("dataset:y@1").inputs == ["model:sd@1"]


def test_saved_outputs_feed_later_cells(ip: Any, reg: Any, cell: Any) -> None:
    assert cell("%%track -o a=dataset:a\nimport numpy as np\na = np.zeros(3)\n").error is None
    assert cell("%%track -o b=dataset:b\nb = a + 1\n").error is None
    assert reg.get("dataset:b@1").inputs == ["dataset:a@1"]


@pytest.mark.parametrize(
    "line, needle",
    [
        ("show model:nope@1", "NotFound"),
        ("show not a ref", "unrecognized arguments"),
        ("frobnicate", "invalid choice"),
        ("load dataset:x as", "as VAR"),
        ("lineage 'unbalanced", "quotation"),
    ],
)
def test_bad_lifecycle_input_is_a_clear_usage_error(ip: Any, cell: Any, line: str, needle: str) -> None:
    r = cell(f"%lifecycle {line}")
    assert isinstance(r.error, UsageError), r.error
    assert needle in str(r.error)


def test_listing_commands_display_rich_results(ip: Any, reg: Any, cell: Any) -> None:
    assert cell("%%track -o a=dataset:a --tag t1\na = [1, 2, 3]\n").error is None
    assert "dataset:a" in cell("%lifecycle ls").html
    assert "dataset:a" in cell("%lifecycle ls dataset").html
    assert "dataset:a@1" in cell("%lifecycle versions dataset:a").html
    assert "lifecycle-version" in cell("%lifecycle show dataset:a@1").html
    assert "no lineage recorded" in cell("%lifecycle lineage dataset:a --up").html
    assert "verified" in cell("%lifecycle verify").html
    assert '"python"' in cell("%lifecycle --json environment dataset:a@1").text
    assert "reg" in cell("%lifecycle registry").html


def test_verify_covers_the_environment_blob(ip: Any, reg: Any, cell: Any) -> None:
    assert cell("%%track -o a=dataset:a\na = [1]\n").error is None
    cid = reg.get("dataset:a@1").record["environment"]
    reg.storage.delete(reg.blobs.key(cid))
    report = reg.verify()
    assert not report.ok and any("record blob" in p["object"] and p["problem"] == "missing" for p in report.problems)


def test_switching_registry(ip: Any, tmp_path: Any, cell: Any) -> None:
    other = tmp_path / "other"
    r = cell(f"%lifecycle registry {other}")
    assert r.error is None and str(other) in r.html
    assert cell("%%track -o a=dataset:a\na = [1]\n").error is None
    from lifecycle_ext import open_registry

    assert open_registry(other).get("dataset:a@1").object_type == "json"
