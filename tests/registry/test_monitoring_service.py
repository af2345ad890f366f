import json

import numpy as np
import pandas as pd
import pytest

from lifecycle_ext.core.errors import ConflictError, NotFound, UsageInputError
from tests.support.monitor_data import frame


@pytest.fixture
def trained(reg):
    reg.save(frame(20_000, seed=1), "dataset:train", time_column="event_time")
    reg.save({"weights": [1, 2, 3]}, "model:churn", inputs=["dataset:train@1"])
    return reg


def _events(reg, etype):
    return [e for e in reg.log.events() if e["type"] == etype]


def test_baseline_is_computed_at_save_and_kept_by_verify_and_gc(reg):
    v = reg.save(frame(3_000, seed=1), "dataset:train")
    rec = reg.resolve(v.ref)
    assert rec["baseline"]["rows"] == 3_000 and rec["baseline"]["columns"] == 6
    assert rec["blobs"] == [rec["baseline"]["blob"]]
    stored = json.loads(reg.blobs.get(rec["baseline"]["blob"]))
    assert set(stored["columns"]) == {"income", "age", "tenure", "plan", "active", "event_time"}
    assert reg.gc(grace_seconds=0).removed == 0 and reg.verify().ok
    assert reg.baseline("dataset:train")["ref"] == "dataset:train@1"
    assert "baseline" not in reg.resolve(reg.save(frame(10, seed=1), "dataset:raw", baseline=False).ref)


def test_models_use_their_training_data_baseline(trained):
    assert trained.baseline("model:churn@1")["ref"] == "dataset:train@1"
    trained.save({"w": 0}, "model:orphan")
    with pytest.raises(NotFound, match="has no baseline"):
        trained.monitor("model:orphan@1", frame(10, seed=2))


def test_undrifted_batch_psi_near_zero_no_alert(trained):
    r = trained.monitor("model:churn@1", frame(5_000, seed=2), at="2026-01-01T12:00:00Z")
    assert r.level == "ok" and r.ok and r.findings == [] and r.alert_seq is None
    assert all(f["psi"] < 0.01 for c, f in r.evidence["features"].items() if "psi" in f)
    assert r.evidence["freshness"]["column"] == "event_time"
    assert len(_events(trained, "BatchMonitored")) == 1 and not _events(trained, "AlertRaised")


def test_shifted_batch_raises_alert_with_evidence(trained):
    r = trained.monitor("model:churn@1", frame(5_000, seed=3, shift=1.0))
    assert r.level == "alert" and not r.ok and r.response == "record"
    alerts = _events(trained, "AlertRaised")
    assert len(alerts) == 1 and alerts[0]["data"]["batch_seq"] == r.seq
    psis = {f["feature"]: f["value"] for f in alerts[0]["data"]["findings"] if f["metric"] == "psi"}
    assert psis["income"] > 0.25 and psis["plan"] > 0.25
    batch = trained.log.read_event(r.seq)["data"]
    assert batch["evidence"]["features"]["income"]["psi"] == psis["income"]  # evidence stored with the batch
    h = trained.health("churn")
    assert h.level == "alert" and [a["seq"] for a in h.open_alerts] == [alerts[0]["seq"]]


def test_missing_column_is_a_schema_problem(trained):
    r = trained.monitor("model:churn@1", frame(2_000, seed=4).drop(columns=["plan"]))
    expected = str(frame(10, seed=1)["plan"].dtype)
    assert r.evidence["schema"] == [{"problem": "missing", "column": "plan", "expected": expected, "found": None}]
    assert [f["metric"] for f in r.findings] == ["schema.missing"] and r.level == "alert"


def test_drift_over_a_series_of_batches_in_order_never_overwritten(trained, clock):
    shifts = [0.0, 0.25, 0.5, 1.0]
    for i, s in enumerate(shifts):
        clock.advance(hours=1)
        trained.monitor("model:churn@1", frame(4_000, seed=10 + i, shift=s))
    hist = trained.drift_history("model:churn")
    assert len(hist) == 4 and [b["seq"] for b in hist] == sorted(b["seq"] for b in hist)
    psi = [b["features"]["income"]["psi"] for b in hist]
    assert psi == sorted(psi) and psi[0] < 0.01 and psi[-1] > 0.25
    assert [b["recorded_at"] for b in hist] == sorted(b["recorded_at"] for b in hist)
    frame_ = hist.to_frame()
    assert list(frame_[frame_.feature == "income"].psi) == psi
    assert len(trained.drift_history("model:churn@1")) == 4 and len(trained.drift_history("dataset:train")) == 0
    trend = trained.health("model:churn").trend
    assert [t["seq"] for t in trend] == [b["seq"] for b in hist]


def test_prediction_baseline_from_save_or_first_batch(reg):
    rng = np.random.default_rng(0)
    reg.save(frame(5_000, seed=1), "dataset:train")
    reg.save({"w": 1}, "model:a", inputs=["dataset:train@1"], prediction_baseline=rng.beta(5, 2, 5_000))
    r = reg.monitor("model:a@1", frame(1_000, seed=2), predictions=rng.beta(2, 5, 1_000))
    assert r.evidence["predictions"]["psi"] > 0.25 and r.findings[0]["metric"] == "confidence_psi"
    reg.save({"w": 2}, "model:b", inputs=["dataset:train@1"])
    first = reg.monitor("model:b@1", frame(1_000, seed=2), predictions=rng.beta(5, 2, 1_000))
    assert first.evidence["predictions"]["baseline"] is None
    assert reg.resolve("model:b@1")["prediction_baseline"]["source"].startswith("batch at event")
    second = reg.monitor("model:b@1", frame(1_000, seed=3), predictions=rng.beta(5, 2, 1_000))
    assert second.evidence["predictions"]["psi"] < 0.05


def test_latency_and_errors_recorded(trained):
    r = trained.monitor("model:churn@1", frame(1_000, seed=5), latency_ms=np.full(1_000, 12.0), errors=3)
    assert r.evidence["latency"]["p95"] == 12.0 and r.evidence["errors"]["rate"] == 0.003


def test_bad_input_changes_nothing(trained):
    n = trained.state["seq"]
    with pytest.raises(UsageInputError, match="batch must be"):
        trained.monitor("model:churn@1", 42)
    with pytest.raises(UsageInputError, match="errors"):
        trained.monitor("model:churn@1", frame(10, seed=1), errors=99)
    with pytest.raises(UsageInputError, match="ISO-8601"):
        trained.monitor("model:churn@1", frame(10, seed=1), at="yesterday")
    with pytest.raises(NotFound, match="no version at stage 'production'"):
        trained.monitor("model:churn", frame(10, seed=1))
    with pytest.raises(UsageInputError, match="summary"):
        trained.review("model:churn@1", summary="  ")
    with pytest.raises(ConflictError, match="not marked"):
        trained.clear_revalidation("model:churn@1", reason="x")
    assert trained.state["seq"] == n


def test_review_recorded_and_listed(trained):
    r = trained.review(
        "model:churn@1",
        summary="income drift after <b>launch</b>",
        lessons=["watch income"],
        criteria_changes={"psi.alert": 0.2},
    )
    assert r.by == "alice" and r.criteria_changes == ["psi.alert: 0.2"]
    assert "&lt;b&gt;launch" in r._repr_html_() and "<b>launch" not in r._repr_html_()
    assert [x.seq for x in trained.reviews("model:churn@1")] == [r.seq]


def test_health_html_escapes_and_plot(reg):
    df = pd.DataFrame({"<script>x</script>": np.random.default_rng(0).normal(size=2_000)})
    reg.save(df, "dataset:evil")
    reg.monitor("dataset:evil@1", df + 3)
    h = reg.health("dataset:evil")
    html = h._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and h.level == "alert"
    assert "<script>" not in reg.drift_history("dataset:evil")._repr_html_()
    import matplotlib

    matplotlib.use("Agg")
    ax = h.plot()
    assert ax.get_ylabel() == "PSI" and len(ax.lines) == 1
    assert reg.health("dataset:evil").to_dict()["level"] == "alert"


def test_health_of_unmonitored_asset(trained):
    h = trained.health("model:churn")
    assert h.ref is None and h.level == "ok" and "nothing monitored" in repr(h)


def test_monitoring_events_match_the_event_schema(trained):
    import json as _json
    from importlib import resources

    import jsonschema

    schema = _json.loads(resources.files("lifecycle_ext.schemas").joinpath("event.schema.json").read_text())
    trained.monitor("model:churn@1", frame(2_000, seed=3, shift=1.0), predictions=np.linspace(0, 1, 2_000))
    trained.review("model:churn@1", summary="s")
    events = list(trained.log.events())
    assert {"VersionCreated", "BatchMonitored", "AlertRaised", "ReviewRecorded"} <= {e["type"] for e in events}
    for e in events:
        jsonschema.validate(e, schema)
    bad = dict(events[-2], data={**events[-2]["data"], "response": "explode"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_checkpoints_equal_replay_with_monitoring_state(tmp_path, monkeypatch):
    import lifecycle_ext
    from lifecycle_ext.core.state import fold
    from lifecycle_ext.storage.eventlog import decode_checkpoint_state

    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    r = lifecycle_ext.open_registry(tmp_path / "r", checkpoint_every=3)
    r.save(frame(2_000, seed=1), "dataset:train")
    r.save({"w": 1}, "model:m", inputs=["dataset:train@1"])
    for i in range(3):
        r.monitor("model:m@1", frame(1_000, seed=5 + i, shift=0.5 * i), predictions=np.linspace(0, 1, 1_000))
    r.review("model:m@1", summary="checked")
    replay = fold(r.log.events())
    again = lifecycle_ext.open_registry(tmp_path / "r")
    assert again.state == replay and len(again.drift_history("model:m")) == 3
    assert again.health("model:m").open_alerts == r.health("model:m").open_alerts != []
    for p in sorted((tmp_path / "r" / "log" / "checkpoints").iterdir()):
        cp = json.loads(p.read_text())
        assert decode_checkpoint_state(cp["state"]) == fold(e for e in r.log.events() if e["seq"] <= cp["seq"])
    assert r.verify().ok
