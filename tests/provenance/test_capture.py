from __future__ import annotations

import os
import random
import sys

import numpy as np
import pytest

from lifecycle_ext.core.errors import UsageInputError
from lifecycle_ext.provenance.capture import MAX_CONFIG_BYTES, classify_reads, config_value
from lifecycle_ext.provenance.environment import EnvironmentCache, capture_environment, git_info
from lifecycle_ext.provenance.records import kind_record, parse_kind_meta
from lifecycle_ext.provenance.seeding import restore_rng_states, rng_fingerprints, save_rng_states, seed_all
from lifecycle_ext.provenance.tracker import TrackSpec, parse_outputs


def test_classify_reads_sorts_inputs_configs_modules_and_uncaptured() -> None:
    arr = np.zeros(2)
    ns = {
        "arr": arr,
        "cfg": {"lr": 0.1},
        "n": 3,
        "np": np,
        "path": os.path.join,
        "obj": object(),
        "big": list(range(MAX_CONFIG_BYTES)),
        "nan": float("nan"),
        "tup": (1, 2),
    }
    reads = classify_reads(list(ns) + ["missing"], ns, lambda o: "dataset:a@1" if o is arr else None)
    assert reads.inputs == {"arr": "dataset:a@1"}
    assert reads.configs == {"cfg": {"lr": 0.1}, "n": 3}
    assert reads.modules == {"np": "numpy", "path": f"{os.path.join.__module__}:join"}
    assert set(reads.uncaptured) == {"obj", "big", "nan", "tup"}


def test_config_value_bounds() -> None:
    assert config_value({"a": [1, 2]}) == ({"a": [1, 2]}, None)
    assert config_value("x" * (MAX_CONFIG_BYTES + 1))[1] is not None
    assert config_value({1: 2})[1] is not None  # non-string key would not round-trip
    assert config_value({"a": float("inf")})[1] is not None


def test_seed_all_is_deterministic_and_only_restricts() -> None:
    seed_all(5)
    a = (random.random(), np.random.rand())
    seed_all(5)
    assert (random.random(), np.random.rand()) == a
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    assert seed_all(5, only=["random"]) == ["random"]
    assert (np.random.get_state()[1] == before).all()
    with pytest.raises(UsageInputError):
        seed_all(-1)


def test_rng_fingerprints_change_with_state_and_states_restore() -> None:
    fp = rng_fingerprints()
    saved = save_rng_states()
    random.random()
    np.random.rand()
    fp2 = rng_fingerprints()
    assert fp2["random"] != fp["random"] and fp2["numpy"] != fp["numpy"]
    restore_rng_states(saved)
    assert rng_fingerprints() == fp


def test_environment_has_python_packages_and_git(tmp_path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f.txt").write_text("a")
    subprocess.run(["git", "-C", str(tmp_path), "add", "f.txt"], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x"], check=True
    )
    g = git_info(str(tmp_path))
    assert g is not None and len(g["commit"]) == 40 and g["dirty"] is False
    (tmp_path / "f.txt").write_text("b")
    assert git_info(str(tmp_path))["dirty"] is True
    env = capture_environment(str(tmp_path))
    assert env["python"] == sys.version.split()[0] and "numpy" in env["packages"]
    assert git_info("/") is None


def test_environment_cache_captures_once() -> None:
    c = EnvironmentCache()
    e1 = c.get()
    assert c.get() is e1 and c.captures == 1


def test_parse_outputs_and_kind_meta() -> None:
    assert parse_outputs(["m=model:churn", "d = dataset:x"]) == {"m": "model:churn", "d": "dataset:x"}
    for bad in (["m"], ["m=model:churn@2"], ["m=model:a", "m=model:b"], ["m=notaref"]):
        with pytest.raises(UsageInputError):
            parse_outputs(bad)
    assert parse_kind_meta(["annotators=3", "label=churn", 'thresholds={"a": 0.9}', "tool=label-studio"]) == {
        "annotators": 3,
        "label": "churn",
        "thresholds": {"a": 0.9},
        "tool": "label-studio",
    }
    with pytest.raises(UsageInputError):
        TrackSpec.from_args([], "not a name", None, None, [], "", [], False)


def test_kind_records() -> None:
    import pandas as pd

    df = pd.DataFrame({"x": range(5), "y": ["a", "a", "b", "b", "b"]})
    d = kind_record(
        "dataset",
        df,
        {"label": "y", "labeling_tool": "label-studio"},
        seed=None,
        params=None,
        metrics=None,
        estimators=[],
    )
    assert d["n_samples"] == 5 and d["class_distribution"] == {"b": 3, "a": 2}
    assert d["labeling_tool"] == "label-studio" and d["columns"] == ["x", "y"]
    bad = kind_record("dataset", df, {"label": "nope"}, seed=None, params=None, metrics=None, estimators=[])
    assert bad["class_distribution"] is None and "nope" in bad["class_distribution_note"]
    s = kind_record(
        "label_schema", {"cat": "a feline", "dog": "a canine"}, {}, seed=None, params=None, metrics=None, estimators=[]
    )
    assert s["classes"] == [{"name": "cat", "description": "a feline"}, {"name": "dog", "description": "a canine"}]
    m = kind_record(
        "model",
        {"w": np.zeros(2)},
        {"framework": "torch"},
        seed=3,
        params={"lr": 0.1},
        metrics={"auc": 0.9},
        estimators=[],
        object_type="state_dict",
    )
    assert m["framework"] == "torch" and m["seed"] == 3 and m["hyperparameters"] == {"lr": 0.1}
    assert m["metrics"] == {"auc": 0.9} and m["serialization"]["object_type"] == "state_dict"


def test_only_reimportable_callables_are_modules_and_shell_names_are_skipped() -> None:
    class Local:
        def m(self) -> None: ...

    ns = {"bound": Local().m, "get_ipython": lambda: None, "In": ["a"], "rand": np.random.rand, "zeros": np.zeros}
    reads = classify_reads(list(ns), ns, lambda o: None)
    assert reads.modules == {"zeros": "numpy:zeros"}
    assert set(reads.uncaptured) == {"bound", "rand"}
    assert "In" not in reads.configs
