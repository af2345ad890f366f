"""Events out: after a notifiable event is recorded (``PromotionRequested``, ``VersionPromoted``,
``PromotionRefused``, ``RolledBack``, ``VersionRetired``, ``AlertRaised``), the policy's ``[notify]`` webhooks and
local commands are told, each on a background thread, so a slow or dead receiver never delays or fails the
action that recorded the event.

A webhook gets ``POST url`` with the event as JSON, signed with HMAC-SHA256 over the body using the secret in the
environment variable ``secret_env`` (header ``X-Lifecycle-Signature: sha256=<hex>``); ``X-Lifecycle-Delivery`` is
the same on every try of one delivery, so a receiver can drop duplicates. A command gets the same JSON on stdin.
A try fails on a non-2xx answer, a network error, a timeout or a non-zero exit; it is retried after
``backoff_seconds``, doubling, up to ``attempts`` tries (all within 60 s, checked when the policy is set).

Every try is written to the delivery log, ``notify/deliveries/<seq>/<target>-<try>.json`` in the registry's
storage (created exclusively; outside the hash-chained event log, which records what happened to assets, not who
was told): event seq and type, target, try number, time, outcome, HTTP status or exit code, error text and
duration. ``NotifyService.deliveries()`` reads it. At interpreter exit, deliveries still running are waited for
up to ``$LIFECYCLE_NOTIFY_EXIT_WAIT`` seconds (default 10); a delivery still retrying after that stops with the
process, and its last logged try is not marked ``final``.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from ..core.clock import iso
from ..core.notify_policy import NOTIFY_EVENTS
from .context import RegistryContext, Service

__all__ = ["NotifyService", "dispatch", "event_body", "signature", "wait_for_deliveries", "NOTIFY_EVENTS"]

LOG_PREFIX = "notify/deliveries/"
SIGNATURE_HEADER = "X-Lifecycle-Signature"

_pending: set[threading.Thread] = set()
_pending_lock = threading.Lock()


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` with ``secret`` (what a receiver recomputes to check it)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(ctx: RegistryContext, event: dict[str, Any]) -> bytes:
    """The JSON a receiver gets: the registry's namespace and location, and the event as recorded."""
    from .exports.facts import registry_namespace

    d = event["data"]
    ref = f"{d['asset']}@{d['number']}" if d.get("asset") and d.get("number") is not None else d.get("asset")
    doc = {
        "registry": registry_namespace(ctx),
        "location": ctx.location,
        "seq": event["seq"],
        "type": event["type"],
        "at": event["at"],
        "actor": event["actor"],
        "ref": ref,
        "data": d,
        "hash": event.get("hash"),
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()


def dispatch(ctx: RegistryContext, event: dict[str, Any]) -> list[threading.Thread]:
    """Start the deliveries the policy asks for after ``event``; never raises (a failure is logged instead)."""
    if event.get("type") not in NOTIFY_EVENTS:
        return []
    try:
        cfg = ctx.policy_in(ctx.log.state).notify
        targets = [("webhook", i, h) for i, h in enumerate(cfg.get("webhooks", []))]
        targets += [("command", i, c) for i, c in enumerate(cfg.get("commands", []))]
        targets = [t for t in targets if event["type"] in t[2]["events"]]
        if not targets:
            return []
        body = event_body(ctx, event)
    except Exception as exc:  # noqa: BLE001 - notification must never break the action
        _log(ctx, event, "policy", 0, 1, ok=False, error=f"could not prepare the notification: {exc}", final=True)
        return []
    threads = []
    for kind, index, target in targets:
        t = threading.Thread(
            target=_deliver,
            args=(ctx, event, kind, index, target, body, cfg),
            name=f"lifecycle-notify-{event['seq']}-{kind}{index}",
            daemon=True,
        )
        with _pending_lock:
            _pending.add(t)
        t.start()
        threads.append(t)
    return threads


def _deliver(
    ctx: RegistryContext,
    event: dict[str, Any],
    kind: str,
    index: int,
    target: dict[str, Any],
    body: bytes,
    cfg: dict[str, Any],
) -> None:
    try:
        attempts, backoff, timeout = int(cfg["attempts"]), float(cfg["backoff_seconds"]), float(cfg["timeout_seconds"])
        name = f"{kind}{index}"
        delivery = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ctx.location}|{event['seq']}|{name}"))
        secret = None
        if kind == "webhook":
            secret = os.environ.get(target["secret_env"])
            if not secret:
                _log(
                    ctx,
                    event,
                    name,
                    1,
                    attempts,
                    ok=False,
                    final=True,
                    target=target["url"],
                    error=f"${target['secret_env']} is not set: nothing sent (webhooks are always signed)",
                )
                return
        for attempt in range(1, attempts + 1):
            t0 = time.monotonic()
            if kind == "webhook":
                assert secret is not None
                ok, status, error = _post(target["url"], body, secret, event["type"], delivery, timeout)
                where = target["url"]
            else:
                ok, status, error = _run(target["command"], body, event["type"], timeout)
                where = target["command"][0]
            final = ok or attempt == attempts
            _log(
                ctx,
                event,
                name,
                attempt,
                attempts,
                ok=ok,
                status=status,
                error=error,
                final=final,
                target=where,
                elapsed_ms=round((time.monotonic() - t0) * 1000, 1),
            )
            if ok:
                return
            if attempt < attempts:
                time.sleep(backoff * 2 ** (attempt - 1))
    except Exception as exc:  # noqa: BLE001 - a delivery thread must not die silently
        _log(ctx, event, f"{kind}{index}", 0, 0, ok=False, error=f"delivery crashed: {exc}", final=True)
    finally:
        with _pending_lock:
            _pending.discard(threading.current_thread())


def _post(url: str, body: bytes, secret: str, etype: str, delivery: str, timeout: float) -> tuple[bool, Any, str]:
    from .. import __version__

    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": f"lifecycle-ext/{__version__}",
            "X-Lifecycle-Event": etype,
            "X-Lifecycle-Delivery": delivery,
            SIGNATURE_HEADER: signature(secret, body),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only, checked by the policy
            return 200 <= resp.status < 300, resp.status, ""
    except urllib.error.HTTPError as exc:
        return False, exc.code, f"HTTP {exc.code} {exc.reason}"
    except (OSError, ValueError) as exc:  # refused, unreachable, timed out, bad answer
        return False, None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"


def _run(argv: list[str], body: bytes, etype: str, timeout: float) -> tuple[bool, Any, str]:
    try:
        p = subprocess.run(
            argv, input=body, capture_output=True, timeout=timeout, env={**os.environ, "LIFECYCLE_EVENT": etype}
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, None, f"{type(exc).__name__}: {exc}"
    return p.returncode == 0, p.returncode, p.stderr.decode(errors="replace")[-500:] if p.returncode else ""


def _log(
    ctx: RegistryContext,
    event: dict[str, Any],
    name: str,
    attempt: int,
    attempts: int,
    *,
    ok: bool,
    final: bool,
    status: Any = None,
    error: str = "",
    target: str = "",
    elapsed_ms: float | None = None,
) -> None:
    rec = {
        "seq": event["seq"],
        "event": event["type"],
        "target": target,
        "via": name,
        "attempt": attempt,
        "attempts": attempts,
        "at": iso(ctx.clock.now()),
        "ok": ok,
        "final": final,
        "status": status,
        "error": error,
        "elapsed_ms": elapsed_ms,
    }
    folder = f"{event['seq']:012d}" if event["seq"] >= 0 else f"sample-{event.get('sample_id')}"
    if event["seq"] < 0:
        rec["sample"] = event.get("sample_id")
    key = f"{LOG_PREFIX}{folder}/{name}-{attempt:02d}.json"
    try:
        ctx.storage.create(key, json.dumps(rec, sort_keys=True).encode(), durable=False)
    except Exception:  # noqa: BLE001, S110 - the log is best effort; the action already succeeded
        pass


def wait_for_deliveries(timeout: float = 60.0) -> bool:
    """Wait for running deliveries (tests, scripts that exit right after an action); True if none is left."""
    deadline = time.monotonic() + timeout
    while True:
        with _pending_lock:
            left = list(_pending)
        if not left:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        left[0].join(min(remaining, 0.5))


@atexit.register
def _at_exit() -> None:
    try:
        wait = float(os.environ.get("LIFECYCLE_NOTIFY_EXIT_WAIT", "10"))
    except ValueError:
        wait = 10.0
    wait_for_deliveries(wait)


class NotifyService(Service):
    """The delivery log, and a sample event to check that receivers are wired up."""

    def deliveries(self, seq: int | None = None) -> list[dict[str, Any]]:
        """Every logged delivery try of recorded events (of event ``seq`` only, when given), in order."""
        if seq is not None:
            return self._read(f"{seq:012d}")
        folders = [f for f in self.ctx.storage.list(LOG_PREFIX.rstrip("/")) if not f.startswith("sample-")]
        return [d for f in sorted(folders) for d in self._read(f)]

    def _read(self, folder: str) -> list[dict[str, Any]]:
        prefix = f"{LOG_PREFIX}{folder}"
        names = sorted(n for n in self.ctx.storage.list(prefix) if n.endswith(".json"))
        return [json.loads(self.ctx.storage.read(f"{prefix}/{n}")) for n in names]

    def send_sample(self, event_type: str = "VersionPromoted", *, wait: float = 60.0) -> list[dict[str, Any]]:
        """Send a sample ``event_type`` (seq -1, marked ``"sample": true``) to every matching target and return
        the delivery log of the tries (waits for them, up to ``wait`` seconds)."""
        if event_type not in NOTIFY_EVENTS:
            from ..core.errors import UsageInputError

            raise UsageInputError(f"{event_type!r} is not sent; events: {', '.join(NOTIFY_EVENTS)}")
        sample_id = uuid.uuid4().hex[:12]
        sample = {
            "sample_id": sample_id,
            "seq": -1,
            "type": event_type,
            "at": iso(self.ctx.clock.now()),
            "actor": self.ctx.user,
            "data": {"asset": "model:sample", "number": 1, "to": "production", "sample": True},
        }
        for t in dispatch(self.ctx, sample):
            t.join(wait)
        return self._read(f"sample-{sample_id}")
