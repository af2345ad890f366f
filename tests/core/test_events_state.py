import pytest

from lifecycle_ext.core.errors import IntegrityError
from lifecycle_ext.core.events import GENESIS, check_event, make_event
from lifecycle_ext.core.state import fold


def _created(seq, prev, name="m", number=1):
    return make_event(
        seq,
        prev,
        "VersionCreated",
        "alice",
        "2026-01-01T00:00:00.000000Z",
        {
            "kind": "model",
            "name": name,
            "number": number,
            "parent": None,
            "content_hash": f"xxh3-128:{seq:032x}",
            "meta_hash": "x",
            "object_type": "json",
            "summary": {},
            "size": 1,
            "inputs": [],
        },
    )


def test_chain_links_and_detects_edits():
    e0 = _created(0, GENESIS)
    e1 = _created(1, e0["hash"], number=2)
    check_event(e0, 0, GENESIS)
    check_event(e1, 1, e0["hash"])
    tampered = dict(e1, actor="mallory")
    with pytest.raises(IntegrityError, match="does not match its hash"):
        check_event(tampered, 1, e0["hash"])
    with pytest.raises(IntegrityError, match="chain broken"):
        check_event(e1, 1, GENESIS)


def test_fold_is_pure_and_numbers_versions():
    e0 = _created(0, GENESIS)
    e1 = _created(1, e0["hash"], number=2)
    s1, s2 = fold([e0, e1]), fold([e0, e1])
    assert s1 == s2
    assert [v["number"] for v in s1["assets"]["model:m"]["versions"]] == [1, 2]
    assert s1["seq"] == 1 and s1["head"] == e1["hash"]


def test_out_of_order_version_number_is_an_integrity_error():
    e0 = _created(0, GENESIS, number=2)
    with pytest.raises(IntegrityError, match="out of order"):
        fold([e0])


def test_subjects_name_the_assets_and_versions_an_event_is_about():
    """One answer for the packs' index, the audit filter and change polling (they were two functions)."""
    from lifecycle_ext.core.events import subjects

    created = {"type": "VersionCreated", "data": {"kind": "model", "name": "m", "number": 3}}
    assert subjects(created) == ["model:m", "model:m@3"]
    back = {"type": "RolledBack", "data": {"asset": "model:m", "from_number": 3, "to_number": 2}}
    assert subjects(back) == ["model:m", "model:m@3", "model:m@2"]
    erased = {
        "type": "ContentErased",
        "data": {
            "versions": [{"asset": "dataset:d", "number": 1, "successor": 4}, {"asset": "dataset:e", "number": 2}]
        },
    }
    assert subjects(erased) == ["dataset:d", "dataset:d@1", "dataset:d@4", "dataset:e", "dataset:e@2"]
    assert subjects({"type": "PolicySet", "data": {"blob": "x"}}) == []
    assert subjects({"type": "VersionCreated", "data": {"kind": 1, "name": "m"}}) == []  # hostile shapes: nothing
