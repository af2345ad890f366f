from __future__ import annotations

import gc

import numpy as np

from lifecycle_ext.registry.object_refs import IdentityMap


def test_weakref_entries_disappear_with_the_object() -> None:
    m = IdentityMap()
    a = np.zeros(3)
    assert m.remember(a, "dataset:a@1", "loc")
    assert m.lookup(a) == "dataset:a@1" and m.lookup(a, "loc") == "dataset:a@1"
    assert m.lookup(a, "other") is None
    assert m.lookup(np.zeros(3)) is None  # equal but not the same object
    del a
    gc.collect()
    assert len(m) == 0


def test_state_dicts_match_only_while_holding_the_same_arrays() -> None:
    m = IdentityMap()
    w = np.ones(2)
    sd = {"w": w}
    assert m.remember(sd, "model:m@1")
    assert m.lookup(sd) == "model:m@1"
    sd["w"] = np.ones(2)
    assert m.lookup(sd) is None


def test_scalars_are_never_recorded_and_small_lists_are_kept_strongly() -> None:
    m = IdentityMap()
    assert not m.remember(5, "dataset:n@1")
    assert not m.remember("text", "dataset:t@1")
    assert m.lookup(5) is None
    xs = [1, 2]
    assert m.remember(xs, "dataset:xs@1")
    assert m.lookup(xs) == "dataset:xs@1" and m.lookup([1, 2]) is None
    assert not m.remember(list(range(20_000)), "dataset:big@1")


def test_id_reuse_does_not_inherit_a_ref() -> None:
    m = IdentityMap()
    sd = {"w": np.ones(2)}
    m.remember(sd, "model:m@1")
    key = id(sd)
    del sd
    gc.collect()
    other = {"w": np.ones(2)}
    if id(other) == key:  # pragma: no cover - depends on the allocator
        assert m.lookup(other) is None
    assert m.lookup(other) is None
