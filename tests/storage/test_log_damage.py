"""Issue 14, bugs 1 and 2: a lost event file never silently truncates history, and a checkpoint's content is
checked against its digest on open."""

import json

import pytest

import lifecycle_ext
from lifecycle_ext.core.errors import IntegrityError, IntegrityWarning
from lifecycle_ext.storage.eventlog import event_key


def _registry_with_history(path):
    r = lifecycle_ext.open_registry(path, user="u")
    for i in range(6):
        r.save({"i": i}, "model:m")
    return r


@pytest.mark.parametrize("how", ["delete", "rename"])
def test_lost_event_is_reported_on_open_and_by_verify_and_blocks_writes(tmp_path, how):
    _registry_with_history(tmp_path)
    lost = tmp_path / event_key(3)
    if how == "delete":
        lost.unlink()
    else:
        lost.rename(lost.with_name("moved-away.bak"))
    with pytest.warns(IntegrityWarning, match=r"000000000003\.json") as caught:
        again = lifecycle_ext.open_registry(tmp_path, user="u")
    assert "000000000004.json" in str(caught[0].message)
    rep = again.verify()
    assert not rep.ok
    text = " ".join(p["problem"] for p in rep.problems)
    assert "000000000003.json" in text and "000000000005.json" in text
    before = sorted(p.name for p in (tmp_path / "log" / "events" / "00000000").iterdir())
    with pytest.raises(IntegrityError, match="damaged"):
        again.save({"i": 99}, "model:m")
    assert sorted(p.name for p in (tmp_path / "log" / "events" / "00000000").iterdir()) == before


def test_append_refuses_to_fill_a_gap_that_appears_after_open(tmp_path):
    r = _registry_with_history(tmp_path)
    # a second writer appended events 6 and 7 and event 6 was then lost: this process never saw either
    other = lifecycle_ext.open_registry(tmp_path, user="u")
    other.save({"i": 6}, "model:m")
    other.save({"i": 7}, "model:m")
    (tmp_path / event_key(6)).unlink()
    with pytest.raises(IntegrityError, match=r"later event .*000000000007\.json exists"):
        r.save({"i": 99}, "model:m")
    assert not (tmp_path / event_key(6)).exists()


def test_intact_log_opens_without_warnings_and_verifies(tmp_path):
    import warnings

    _registry_with_history(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = lifecycle_ext.open_registry(tmp_path, user="u")
    assert again.verify().ok
    again.save({"i": 7}, "model:m")


def test_edited_checkpoint_is_ignored_on_open_with_a_warning(tmp_path):
    r = lifecycle_ext.open_registry(tmp_path, user="u", checkpoint_every=5)
    for i in range(6):
        r.save({"i": i}, "model:m", metrics={"acc": 0.5})
    cp_path = tmp_path / "log" / "checkpoints" / "000000000004.json"
    cp = json.loads(cp_path.read_text())
    asset = json.loads(cp["state"]["assets"]["model:m"])
    asset["versions"][0]["metrics"]["acc"] = 0.99
    cp["state"]["assets"]["model:m"] = json.dumps(asset)
    cp_path.write_text(json.dumps(cp))
    with pytest.warns(IntegrityWarning, match=r"000000000004\.json .*digest.*replayed"):
        again = lifecycle_ext.open_registry(tmp_path, user="u")
    assert again.get("model:m@1").metrics["acc"] == 0.5
