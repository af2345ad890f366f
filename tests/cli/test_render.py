"""Terminal output is for people: ``show`` prints the whole record, ``audit`` one line per event wrapped to the
terminal, ``permissions``/``environment``/``pending`` as labelled lines (never Python reprs); ``--json`` stays."""

from __future__ import annotations

import json

import pytest

from lifecycle_ext.cli import main
from lifecycle_ext.cli.render import render_text


@pytest.fixture
def registry(tmp_path, make_registry):
    reg = make_registry(tmp_path / "registry", user="alice")
    reg.save(
        {"w": [1]},
        "model:churn",
        params={"C": 0.5, "solver": "lbfgs"},
        metrics={"accuracy": 0.93},
        metadata={"team": "risk", "source": {"system": "crm"}},
        note="a long note " * 30,
        tags=["baseline"],
    )
    reg.promote("model:churn@1", to="development", reason="because " * 200)
    reg.request_promotion("model:churn@1", to="staging", reason="please review")
    return tmp_path / "registry"


def run(capsys, *argv):
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def test_show_prints_the_whole_record_one_field_a_line(registry, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = run(capsys, "-R", str(registry), "show", "model:churn@1")
    lines = out.splitlines()
    assert lines[0] == "model:churn@1  [development]"
    for needle in ("created:", "hash:", "tags:     baseline", "C:      0.5", "accuracy: 0.93", "system: crm"):
        assert any(needle in line for line in lines), needle
    assert len(lines) > 15 and max(map(len, lines)) <= 80
    assert "<Version" not in out and "{'" not in out


def test_audit_is_one_line_per_event_wrapped_to_the_terminal(registry, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    out = run(capsys, "-R", str(registry), "audit")
    lines = out.splitlines()
    assert max(map(len, lines)) <= 100
    starts = [line for line in lines if line.startswith("#")]
    assert [s.split()[0] for s in starts] == ["#0", "#1", "#2"]
    assert "VersionPromoted model:churn@1 - -> development: because" in starts[1]
    assert "because" in lines[lines.index(starts[1]) + 1]  # the long reason continues, indented
    data = json.loads(run(capsys, "-R", str(registry), "--json", "audit"))
    assert [e["seq"] for e in data] == [0, 1, 2]  # machines still get JSON


def test_permissions_and_pending_are_labelled_lines_not_reprs(registry, capsys):
    out = run(capsys, "-R", str(registry), "permissions", "model:churn@1")
    assert out.startswith("user:") and "actions:" in out and "{" not in out
    assert any(line.split()[:2] == ["promote", "yes"] for line in out.splitlines())
    out = run(capsys, "-R", str(registry), "pending")
    assert out.startswith("model:churn@1 -> staging (request):") and "requested by alice" in out
    assert "DataFrame" not in out and "NaN" not in out


def test_environment_command_prints_key_value_lines(tmp_path, capsys):
    """``lifecycle environment REF`` end to end: a tracked version's captured environment, as text and JSON."""
    import numpy as np

    from lifecycle_ext import open_registry
    from lifecycle_ext.provenance.tracker import TrackedRun, TrackSpec

    reg = open_registry(tmp_path / "registry", user="alice")
    ns: dict = {"np": np}
    run_ = TrackedRun("out = np.arange(3)\n", TrackSpec(outputs={"out": "dataset:out"}, seed=1))
    run_.start(ns, lambda o: None)
    exec("out = np.arange(3)\n", ns)
    run_.finish(None)
    env = {"python": "3.11.9", "packages": {"numpy": "2.4.0", "pandas": "3.1.0"}, "platform": "Linux"}
    cid, _ = reg.blobs.put(json.dumps(env).encode())
    ref = run_.save(reg, ns, env_blob=cid, env_summary={}, remember=lambda o, r: None)[0]["ref"]
    out = run(capsys, "-R", str(tmp_path / "registry"), "environment", ref)
    lines = out.splitlines()
    assert "{" not in out and lines[0].split() == ["python:", "3.11.9"] and "  numpy:  2.4.0" in lines, out
    assert json.loads(run(capsys, "-R", str(tmp_path / "registry"), "--json", "environment", ref)) == env


def test_environment_is_key_value_lines():
    env = {"python": "3.11.9", "packages": {"numpy": "2.4.0", "pandas": "3.1.0"}, "platform": "Linux"}
    text = render_text(env, "environment")
    assert "{" not in text and "python:" in text and "  numpy:" in text
    assert render_text({}, "environment") == "(no environment recorded)"


def test_the_asset_list_shows_stages_and_metrics_as_text(registry, capsys):
    out = run(capsys, "-R", str(registry), "ls")
    assert "development v1" in out and "accuracy=0.93" in out and "{" not in out
