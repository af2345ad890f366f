import pytest

from lifecycle_ext.core.errors import PolicyError
from lifecycle_ext.core.events import GENESIS, make_event
from lifecycle_ext.core.monitoring_policy import DEFAULT_THRESHOLDS, evaluate, parse_monitoring, worst
from lifecycle_ext.core.state import fold

TEXT = """\
[stages]
model = ["development", "staging", "production"]

[monitoring]
on_alert = "revalidate"
time_column = "event_time"
psi = { warn = 0.05, alert = 0.2 }
latency_p95_ms = { alert = 50 }

[monitoring.schema]
extra = "ignore"
"""


def test_defaults_and_full_section():
    d = parse_monitoring(None)
    assert d["on_alert"] == "record" and d["stage"] == "production" and d["thresholds"] == DEFAULT_THRESHOLDS
    p = parse_monitoring(
        {
            "on_alert": "revalidate",
            "time_column": "event_time",
            "psi": {"warn": 0.05, "alert": 0.2},
            "latency_p95_ms": {"alert": 50},
            "schema": {"extra": "ignore"},
        },
        TEXT,
    )
    assert p["on_alert"] == "revalidate" and p["time_column"] == "event_time"
    assert p["thresholds"]["psi"] == {"warn": 0.05, "alert": 0.2}
    assert p["thresholds"]["latency_p95_ms"] == {"alert": 50.0}
    assert p["thresholds"]["ks"] == DEFAULT_THRESHOLDS["ks"]
    assert p["schema"] == {"missing": "alert", "extra": "ignore", "dtype": "warn"}


@pytest.mark.parametrize(
    "section, key, line, why",
    [
        ({"on_alert": "panic"}, "on_alert", 5, "must be one of"),
        ({"psi": {"warn": 0.5, "alert": 0.2}}, "psi", 7, "above alert"),
        ({"psi": {"warn": -1}}, "psi", 7, "non-negative"),
        ({"psi": 0.2}, "psi", 7, "warn and/or alert"),
        ({"latency_p95_ms": {"max": 3}}, "latency_p95_ms", 8, "warn and/or alert"),
        ({"schema": {"extra": "explode"}}, "extra", 11, "ignore, warn or alert"),
        ({"bogus": 1}, "bogus", None, "unknown setting"),
    ],
)
def test_bad_sections_name_the_key_and_line(section, key, line, why):
    with pytest.raises(PolicyError, match=why) as exc:
        parse_monitoring(section, TEXT)
    assert key in str(exc.value)
    assert exc.value.line == line


def test_levels():
    pol = parse_monitoring({"latency_p95_ms": {"warn": 40, "alert": 50}})
    found = evaluate(
        [
            ("psi", "a", 0.05),
            ("psi", "b", 0.12),
            ("ks", "b", 0.3),
            ("latency_p95_ms", None, 50.0),
            ("error_rate", None, 0.9),
        ],  # no error_rate target: not judged
        [{"problem": "missing", "column": "c", "expected": "int64", "found": None}],
        pol,
    )
    got = {(f["metric"], f["feature"]): f["level"] for f in found}
    assert got == {
        ("psi", "b"): "warn",
        ("ks", "b"): "alert",
        ("latency_p95_ms", None): "alert",
        ("schema.missing", "c"): "alert",
    }
    assert worst(found) == "alert" and worst([]) == "ok"


def _ev(seq, prev, etype, data, actor="alice"):
    return make_event(seq, prev, etype, actor, f"2026-01-01T00:00:0{seq}.000000Z", data)


def test_fold_of_monitoring_events():
    evs = [
        _ev(
            0,
            GENESIS,
            "VersionCreated",
            {
                "kind": "model",
                "name": "m",
                "number": 1,
                "parent": None,
                "content_hash": "xxh3-128:" + "0" * 32,
                "meta_hash": "x",
                "object_type": "json",
                "summary": {},
                "size": 1,
                "inputs": [],
            },
        )
    ]
    cid = "xxh3-128:" + "1" * 32
    for etype, data in [
        ("BatchMonitored", {"asset": "model:m", "number": 1, "observed_at": "t1", "level": "alert", "blobs": [cid]}),
        (
            "AlertRaised",
            {
                "asset": "model:m",
                "number": 1,
                "batch_seq": 1,
                "findings": [{"metric": "psi"}],
                "response": "revalidate",
            },
        ),
        ("RevalidationCleared", {"asset": "model:m", "number": 1, "reason": "checked"}),
        ("ReviewRecorded", {"asset": "model:m", "number": 1, "summary": "s", "lessons": ["l"], "criteria_changes": []}),
    ]:
        evs.append(_ev(len(evs), evs[-1]["hash"], etype, data))
    mid = fold(evs[:3])
    rec = mid["assets"]["model:m"]["versions"][0]
    assert rec["revalidation"]["required"] is True and rec["blobs"] == [cid]
    assert mid["monitoring"]["model:m"]["alerts"][0]["open"] is True
    end = fold(evs)
    rec = end["assets"]["model:m"]["versions"][0]
    assert rec["revalidation"]["required"] is False and rec["revalidation"]["reason"] == "checked"
    assert end["monitoring"]["model:m"]["alerts"][0]["open"] is False
    assert end["monitoring"]["model:m"]["batches"] == [{"seq": 1, "number": 1, "at": "t1", "level": "alert"}]
    assert rec["reviews"][0]["summary"] == "s" and rec["reviews"][0]["by"] == "alice"
    assert fold(evs) == end  # pure
