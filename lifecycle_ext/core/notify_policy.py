"""The ``[notify]`` section of the policy: webhooks and local commands told about promotions, refusals, rollbacks,
retirements and monitoring alerts.

```toml
[notify]
attempts = 4                 # tries per delivery (default 4)
backoff_seconds = 1.0        # wait before the 2nd try, doubled before each later one (default 1)
timeout_seconds = 5.0        # per try (default 5); attempts x timeout + back-off must stay within 60 s

[[notify.webhooks]]
url = "https://hooks.example.com/lifecycle"
events = ["VersionPromoted", "RolledBack"]      # default: every event below
secret_env = "LIFECYCLE_WEBHOOK_SECRET"          # required: the HMAC-SHA256 key is read from this variable

[[notify.commands]]
command = ["/usr/local/bin/page-oncall", "--team", "ml"]   # the event JSON arrives on stdin
events = ["AlertRaised"]
```
"""

from __future__ import annotations

import re
from typing import Any

from .errors import PolicyError

__all__ = ["NOTIFY_EVENTS", "parse_notify", "MAX_DELIVERY_SECONDS"]

NOTIFY_EVENTS = (
    "PromotionRequested",
    "VersionPromoted",
    "PromotionRefused",
    "RolledBack",
    "VersionRetired",
    "AlertRaised",
)
MAX_DELIVERY_SECONDS = 60.0
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _line(text: str | None, key: str) -> int | None:
    if not text:
        return None
    for i, raw in enumerate(text.splitlines(), 1):
        s = raw.split("#", 1)[0].strip()
        if re.match(rf"{re.escape(key)}\s*=", s) or s in (f"[{key}]", f"[[{key}]]"):
            return i
    return None


def _events(value: Any, where: str, text: str | None) -> list[str]:
    if value is None:
        return list(NOTIFY_EVENTS)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where}.events must be a non-empty list of event types", _line(text, "events"))
    unknown = [v for v in value if v not in NOTIFY_EVENTS]
    if unknown:
        raise PolicyError(
            f"{where}.events: {', '.join(unknown)} cannot be sent; events: {', '.join(NOTIFY_EVENTS)}",
            _line(text, "events"),
        )
    return list(dict.fromkeys(value))


def _number(sec: dict[str, Any], key: str, default: float, text: str | None, *, minimum: float) -> float:
    v = sec.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < minimum:
        raise PolicyError(f"notify.{key} must be a number >= {minimum:g}, got {v!r}", _line(text, key))
    return float(v)


def parse_notify(section: Any, text: str | None = None) -> dict[str, Any]:
    """Validate and normalise ``[notify]`` (None: nothing is sent). Raises :class:`PolicyError` naming the line."""
    if section is None:
        return {"webhooks": [], "commands": [], "attempts": 4, "backoff_seconds": 1.0, "timeout_seconds": 5.0}
    if not isinstance(section, dict):
        raise PolicyError("[notify] must be a table", _line(text, "notify"))
    for key in section:
        if key not in ("webhooks", "commands", "attempts", "backoff_seconds", "timeout_seconds"):
            raise PolicyError(
                f"unknown key notify.{key}; expected webhooks, commands, attempts, backoff_seconds, timeout_seconds",
                _line(text, key),
            )
    attempts = section.get("attempts", 4)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 10:
        raise PolicyError(f"notify.attempts must be an integer from 1 to 10, got {attempts!r}", _line(text, "attempts"))
    backoff = _number(section, "backoff_seconds", 1.0, text, minimum=0.0)
    timeout = _number(section, "timeout_seconds", 5.0, text, minimum=0.1)
    worst = attempts * timeout + backoff * (2 ** (attempts - 1) - 1)
    if worst > MAX_DELIVERY_SECONDS:
        raise PolicyError(
            f"[notify] attempts x timeout_seconds + back-off is {worst:g} s; keep it within {MAX_DELIVERY_SECONDS:g} s",
            _line(text, "attempts") or _line(text, "notify"),
        )
    hooks = []
    for i, h in enumerate(section.get("webhooks", [])):
        where = f"notify.webhooks[{i}]"
        if not isinstance(h, dict):
            raise PolicyError(f"{where} must be a table ([[notify.webhooks]])", _line(text, "notify.webhooks"))
        extra = set(h) - {"url", "events", "secret_env"}
        if extra:
            raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(extra))}", _line(text, sorted(extra)[0]))
        url = h.get("url")
        if not isinstance(url, str) or not re.match(r"https?://[^\s/]+", url):
            raise PolicyError(f"{where}.url must be an http:// or https:// URL, got {url!r}", _line(text, "url"))
        secret = h.get("secret_env")
        if not isinstance(secret, str) or not _ENV_RE.fullmatch(secret):
            raise PolicyError(
                f"{where}.secret_env must name the environment variable holding the signing secret "
                "(webhooks are always signed)",
                _line(text, "secret_env") or _line(text, "url"),
            )
        hooks.append({"url": url, "events": _events(h.get("events"), where, text), "secret_env": secret})
    commands = []
    for i, c in enumerate(section.get("commands", [])):
        where = f"notify.commands[{i}]"
        if not isinstance(c, dict):
            raise PolicyError(f"{where} must be a table ([[notify.commands]])", _line(text, "notify.commands"))
        extra = set(c) - {"command", "events"}
        if extra:
            raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(extra))}", _line(text, sorted(extra)[0]))
        argv = c.get("command")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) and a for a in argv):
            raise PolicyError(
                f"{where}.command must be a list of strings (the program and its arguments; no shell)",
                _line(text, "command"),
            )
        commands.append({"command": list(argv), "events": _events(c.get("events"), where, text)})
    return {
        "webhooks": hooks,
        "commands": commands,
        "attempts": attempts,
        "backoff_seconds": backoff,
        "timeout_seconds": timeout,
    }
