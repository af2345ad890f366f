"""Events out: ``[notify]`` webhooks against a real HTTP server on loopback started by the test, local commands,
the delivery log, and the policy checks of the section."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lifecycle_ext.core.errors import PolicyError
from lifecycle_ext.registry.notify import NOTIFY_EVENTS, wait_for_deliveries
from tests.support.policy import build_policy
from tests.support.waiting import wait_until

SECRET = "s3cret-for-tests"


class Receiver:
    """A webhook receiver: records every request; ``answers`` is the status codes to give, in order (then 200)."""

    def __init__(self, answers: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers = list(answers or [])
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                rec.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                code = rec.answers.pop(0) if rec.answers else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _policy(url: str, *, events: list[str] | None = None, extra: str = "", **settings: Any) -> str:
    lines = ["[notify]", *(f"{k} = {v!r}" for k, v in settings.items()), extra, "[[notify.webhooks]]"]
    lines += [f'url = "{url}"', 'secret_env = "LC_WEBHOOK_SECRET"']
    if events is not None:
        lines.append(f"events = {json.dumps(events)}")
    return build_policy() + "\n".join(lines) + "\n"


def _promoted(reg: Any) -> tuple[str, float]:
    ref = reg.save(np.arange(3), "model:m").ref
    t0 = time.monotonic()
    reg.promote(ref, "development", reason="try it")
    return ref, time.monotonic() - t0


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LC_WEBHOOK_SECRET", SECRET)
    yield
    assert wait_for_deliveries(30)  # no delivery thread outlives its test


def test_webhook_is_delivered_with_a_valid_signature(make_registry: Any, receiver: Receiver) -> None:
    reg = make_registry(policy=_policy(receiver.url, events=["VersionPromoted"]))
    ref, _ = _promoted(reg)
    req = wait_until(lambda: receiver.requests[0] if receiver.requests else None, timeout=10, what="the webhook")
    expected = "sha256=" + hmac.new(SECRET.encode(), req["body"], hashlib.sha256).hexdigest()
    assert req["headers"]["X-Lifecycle-Signature"] == expected
    assert req["headers"]["X-Lifecycle-Event"] == "VersionPromoted"
    body = json.loads(req["body"])
    assert body["type"] == "VersionPromoted" and body["ref"] == ref and body["data"]["to"] == "development"
    assert body["registry"].startswith("urn:lifecycle:registry:") and body["actor"] == "alice"
    assert wait_for_deliveries(10)
    log = reg.services.notify.deliveries(body["seq"])
    assert [(d["attempt"], d["ok"], d["status"], d["final"]) for d in log] == [(1, True, 200, True)]
    assert len(receiver.requests) == 1  # VersionCreated and PolicySet are not sent


def test_a_tampered_body_fails_the_signature(make_registry: Any, receiver: Receiver) -> None:
    reg = make_registry(policy=_policy(receiver.url))
    _promoted(reg)
    req = wait_until(lambda: receiver.requests[0] if receiver.requests else None, timeout=10, what="the webhook")
    tampered = req["body"].replace(b"development", b"production")
    assert tampered != req["body"]
    assert (
        req["headers"]["X-Lifecycle-Signature"] != "sha256=" + hmac.new(SECRET.encode(), tampered, "sha256").hexdigest()
    )


def test_500_twice_then_200_arrives_on_the_third_try(make_registry: Any) -> None:
    receiver = Receiver(answers=[500, 500])
    try:
        reg = make_registry(policy=_policy(receiver.url, backoff_seconds=0.05, attempts=4))
        _promoted(reg)
        assert wait_for_deliveries(20)
        assert len(receiver.requests) == 3
        assert len({r["headers"]["X-Lifecycle-Delivery"] for r in receiver.requests}) == 1  # one delivery, 3 tries
        assert len({r["body"] for r in receiver.requests}) == 1
        log = reg.services.notify.deliveries()
        assert [(d["attempt"], d["ok"], d["status"], d["final"]) for d in log] == [
            (1, False, 500, False),
            (2, False, 500, False),
            (3, True, 200, True),
        ]
        assert "HTTP 500" in log[0]["error"]
    finally:
        receiver.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_receiver_that_is_down_does_not_delay_the_promotion(make_registry: Any) -> None:
    url = f"http://127.0.0.1:{_free_port()}/hook"  # nothing listens there
    reg = make_registry(policy=_policy(url, backoff_seconds=1.0, attempts=3, timeout_seconds=1.0))
    ref, elapsed = _promoted(reg)
    assert elapsed < 1.5, elapsed  # waiting for the three tries would take 3 s (back-off 1 s + 2 s)
    assert reg.get(ref).stage == "development"
    assert wait_for_deliveries(20)
    log = reg.services.notify.deliveries()
    assert [(d["attempt"], d["ok"], d["final"]) for d in log] == [
        (1, False, False),
        (2, False, False),
        (3, False, True),
    ]
    assert all("ConnectionRefused" in d["error"] or "refused" in d["error"].lower() for d in log)
    assert log[0]["target"] == url and log[0]["event"] == "VersionPromoted"


def test_a_receiver_that_never_answers_times_out_without_delaying(make_registry: Any) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        reg = make_registry(policy=_policy(url, backoff_seconds=0.0, attempts=2, timeout_seconds=1.5))
        _, elapsed = _promoted(reg)
        assert elapsed < 1.5, elapsed  # waiting for the two tries would take 3 s
        assert wait_for_deliveries(20)
    log = reg.services.notify.deliveries()
    assert [(d["attempt"], d["ok"], d["final"]) for d in log] == [(1, False, False), (2, False, True)]
    assert all("timed out" in d["error"].lower() or "timeout" in d["error"].lower() for d in log)


def test_without_the_secret_nothing_is_sent_and_the_log_says_why(
    make_registry: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LC_WEBHOOK_SECRET")
    reg = make_registry(policy=_policy(receiver.url))
    ref, _ = _promoted(reg)
    assert wait_for_deliveries(10)
    assert receiver.requests == []
    (entry,) = reg.services.notify.deliveries()
    assert not entry["ok"] and entry["final"] and "$LC_WEBHOOK_SECRET is not set" in entry["error"]
    assert reg.get(ref).stage == "development"


def test_only_the_listed_events_are_sent(make_registry: Any, receiver: Receiver) -> None:
    reg = make_registry(policy=_policy(receiver.url, events=["RolledBack", "VersionRetired"]))
    ref, _ = _promoted(reg)
    reg.retire(ref, reason="superseded")
    assert wait_for_deliveries(10)
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["VersionRetired"]


def test_a_local_command_gets_the_event_on_stdin(make_registry: Any, tmp_path: Path) -> None:
    out = tmp_path / "got.json"
    script = f"import sys; open({str(out)!r}, 'wb').write(sys.stdin.buffer.read())"
    extra = f'[[notify.commands]]\ncommand = {json.dumps([sys.executable, "-c", script])}\nevents = ["VersionPromoted"]'
    reg = make_registry(policy=build_policy() + "[notify]\n" + extra + "\n")
    ref, _ = _promoted(reg)
    assert wait_for_deliveries(30)
    assert json.loads(out.read_text())["ref"] == ref
    (entry,) = reg.services.notify.deliveries()
    assert entry["ok"] and entry["status"] == 0 and entry["via"] == "command0"


def test_send_sample_reaches_the_receiver(make_registry: Any, receiver: Receiver) -> None:
    reg = make_registry(policy=_policy(receiver.url))
    log = reg.services.notify.send_sample("RolledBack")
    assert [(d["ok"], d["status"]) for d in log] == [(True, 200)]
    body = json.loads(receiver.requests[0]["body"])
    assert body["type"] == "RolledBack" and body["data"]["sample"] is True
    assert reg.services.notify.deliveries() == []  # samples are kept apart from real deliveries


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('[[notify.webhooks]]\nurl = "http://x/hook"', "secret_env must name the environment variable"),
        ('[[notify.webhooks]]\nurl = "ftp://x"\nsecret_env = "S"', "url must be an http:// or https:// URL"),
        ('[[notify.webhooks]]\nurl = "http://x"\nsecret_env = "S"\nevents = ["TagAdded"]', "TagAdded cannot be sent"),
        ("attempts = 10\ntimeout_seconds = 30", "keep it within 60 s"),
        ('[[notify.commands]]\ncommand = "rm -rf /"', "command must be a list of strings"),
        ("colour = 1", "unknown key notify.colour"),
    ],
)
def test_bad_notify_sections_are_refused_with_the_line(reg: Any, section: str, message: str) -> None:
    text = build_policy() + "[notify]\n" + section + "\n"
    with pytest.raises(PolicyError, match=message) as exc:
        reg.set_policy(text)
    assert exc.value.line is not None and exc.value.line > text.count("\n") - section.count("\n") - 2
    assert reg.state.get("policy") is None


def test_every_notifiable_event_reaches_the_receiver(make_registry: Any, receiver: Receiver) -> None:
    """Requests, promotions, a refusal, a rollback, a retirement and a monitoring alert, each sent once."""
    from lifecycle_ext.core.errors import GateFailed
    from tests.support.monitor_data import frame
    from tests.support.policy import metric

    policy = build_policy(gates={"staging": [metric("accuracy >= 0.9")]}, monitoring={"on_alert": "record"})
    reg = make_registry(
        policy=policy + f'[notify]\n[[notify.webhooks]]\nurl = "{receiver.url}"\nsecret_env = "LC_WEBHOOK_SECRET"\n'
    )
    reg.save(frame(5_000, seed=1), "dataset:train")
    weak = reg.save({"w": 0}, "model:churn", inputs=["dataset:train@1"], metrics={"accuracy": 0.5}).ref
    reg.promote(weak, "development")
    with pytest.raises(GateFailed):
        reg.promote(weak, "staging")
    for w in (1, 2):
        ref = reg.save({"w": w}, "model:churn", inputs=["dataset:train@1"], metrics={"accuracy": 0.95}).ref
        reg.promote(ref, "development")
        reg.request_promotion(ref, "staging", reason="good")
        for stage in ("staging", "production"):
            reg.promote(ref, stage, known_limitations="none known" if stage == "production" else None)
    reg.monitor("model:churn", frame(2_000, seed=3, shift=1.0))
    reg.rollback("model:churn", reason="drift")
    reg.retire("model:churn@3", reason="drifted")
    assert wait_for_deliveries(30)
    sent = [json.loads(r["body"])["type"] for r in receiver.requests]
    recorded = [e["type"] for e in reg.log.events() if e["type"] in NOTIFY_EVENTS]
    assert sorted(sent) == sorted(recorded)
    assert set(sent) == set(NOTIFY_EVENTS)
    assert all(d["ok"] for d in reg.services.notify.deliveries())


def test_lifecycle_notify_test_sends_a_sample_from_the_cli(
    make_registry: Any, receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lifecycle_ext.cli import main

    reg = make_registry(tmp_path / "reg", policy=_policy(receiver.url))
    assert main(["-R", str(tmp_path / "reg"), "notify", "--test", "--event", "RolledBack", "--json"]) == 0
    tries = json.loads(capsys.readouterr().out)
    assert [(t["ok"], t["status"]) for t in tries] == [(True, 200)]
    assert json.loads(receiver.requests[0]["body"])["data"]["sample"] is True
    assert main(["-R", str(tmp_path / "reg"), "notify", "--json"]) == 0  # real deliveries only: none yet
    assert json.loads(capsys.readouterr().out) == []
    assert reg.notify(test=True, event="VersionRetired")[0]["ok"]
    with pytest.raises(Exception, match="TagAdded"):
        reg.notify(test=True, event="TagAdded")
