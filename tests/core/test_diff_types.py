"""Pure diff typing: label-schema classification, metric deltas, environment and inputs diffs."""

from __future__ import annotations

import pytest

from lifecycle_ext.core.diff_types import (
    affected_classes,
    classify_schema,
    env_packages,
    inputs_diff,
    metric_deltas,
    normalize_schema,
    source_diff,
)
from lifecycle_ext.core.errors import UsageInputError


def S(*classes):
    return normalize_schema({"classes": [dict(zip(("name", "description", "parent"), c)) for c in classes]})


def types(changes):
    return [(c.type, c.old, c.new, c.retroactive) for c in changes]


def test_merge_into_new_and_existing_class_and_definition_change():
    old = S(("a", "A"), ("b", "B"), ("c", "C"))
    new = S(("ab", "A or B"), ("c", "C, strictly"))
    assert types(classify_schema(old, new, {"a": "ab", "b": "ab"})) == [
        ("merged", ["a", "b"], ["ab"], True),
        ("definition_changed", ["c"], ["c"], True),
    ]
    new2 = S(("b", "B"), ("c", "C"))
    assert types(classify_schema(old, new2, {"a": "b"})) == [("merged", ["a", "b"], ["b"], True)]
    assert affected_classes(classify_schema(old, new2, {"a": "b"})) == ["a", "b"]


def test_removed_added_parent_change_and_validation():
    old = S(("a", "A"), ("b", "B"), ("x", "X", "a"))
    new = S(("a", "A"), ("x", "X", None), ("n", "N"))
    assert types(classify_schema(old, new)) == [
        ("added", [], ["n"], False),
        ("removed", ["b"], [], True),
        ("definition_changed", ["x"], ["x"], True),
    ]
    with pytest.raises(UsageInputError, match="parent 'zz'"):
        S(("a", "A", "zz"))
    with pytest.raises(UsageInputError, match="twice"):
        S(("a", "A"), ("a", "B"))
    with pytest.raises(UsageInputError, match="not in the new schema"):
        classify_schema(old, new, {"a": ["q", "r"]})


def test_metric_direction_env_inputs_and_source():
    rows = {r["metric"]: r for r in metric_deltas({"rmse": 2.0, "acc": 0.9, "gone": 1}, {"rmse": 1.5, "acc": 0.9})}
    assert rows["rmse"]["direction"] == "down" and rows["rmse"]["better"] is True
    assert rows["acc"]["direction"] == "same" and rows["acc"]["better"] is None
    assert rows["gone"]["new"] is None and rows["gone"]["delta"] is None
    assert env_packages(["numpy==2.0", "pandas == 3.0"]) == {"numpy": "2.0", "pandas": "3.0"}
    assert env_packages({"packages": [{"name": "x", "version": "1"}]}) == {"x": "1"}
    assert inputs_diff(["dataset:a@1", "dataset:b@2"], ["dataset:a@2", "dataset:c@1"]) == [
        {"asset": "dataset:a", "change": "changed", "old": "dataset:a@1", "new": "dataset:a@2"},
        {"asset": "dataset:b", "change": "removed", "old": "dataset:b@2", "new": None},
        {"asset": "dataset:c", "change": "added", "old": None, "new": "dataset:c@1"},
    ]
    assert source_diff("x\n", "x\n") == "" and "+y" in source_diff("x\n", "x\ny\n")
