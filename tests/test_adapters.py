from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from lifecycle_ext.adapters import sklearn_state
from lifecycle_ext.core.errors import UnsupportedType


def test_linear_model_state() -> None:
    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=300).fit(X, y)
    sd = sklearn_state(clf)
    assert np.array_equal(sd["coef_"], clf.coef_) and np.array_equal(sd["intercept_"], clf.intercept_)
    assert all(isinstance(v, np.ndarray) and not v.dtype.hasobject for v in sd.values())


def test_forest_state_has_every_tree_and_is_deterministic_with_a_seed() -> None:
    X, y = load_iris(return_X_y=True)
    a = sklearn_state(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y))
    b = sklearn_state(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y))
    assert "estimators_.2.tree_.threshold" in a
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_unfitted_or_foreign_objects_are_refused() -> None:
    with pytest.raises(UnsupportedType, match="fit it first"):
        sklearn_state(LogisticRegression())
    with pytest.raises(UnsupportedType):
        sklearn_state(object())


def test_pipeline_state_holds_each_step_under_its_name() -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)
    sd = sklearn_state(pipe)
    assert np.array_equal(sd["standardscaler.mean_"], pipe[0].mean_)
    assert np.array_equal(sd["logisticregression.coef_"], pipe[-1].coef_)
    with pytest.raises(UnsupportedType, match="fit it first"):
        sklearn_state(make_pipeline(StandardScaler(), LogisticRegression()))
