"""Monitoring in the pure domain: the ``[monitoring]`` policy section, warn/alert levels, and the fold handlers.

Policy section (in ``lifecycle.toml``)::

    [monitoring]
    stage = "production"            # what `monitor NAME` watches when no version is given
    on_alert = "record"             # "record" | "revalidate" | "rollback"
    time_column = "event_time"      # optional: freshness = now - latest timestamp in this column
    min_batch_rows = 100            # smaller batches are recorded but raise no drift warnings or alerts
    psi = { warn = 0.1, alert = 0.25 }          # per feature; any metric below may be given
    ks = { warn = 0.1, alert = 0.2 }
    latency_p95_ms = { warn = 40, alert = 50 }
    error_rate = { alert = 0.05 }
    freshness_hours = { warn = 24, alert = 72 }

    [monitoring.schema]             # level of each schema problem: "ignore" | "warn" | "alert"
    missing = "alert"
    extra = "warn"
    dtype = "warn"

Every metric is "higher is worse": a value at or above ``alert`` is an alert, at or above ``warn`` a warning.

State kept by the handlers (under ``state["monitoring"][asset]``): ``batches`` (one summary per
``BatchMonitored``: seq, version number, observation time, level), ``alerts`` (``AlertRaised``, open until the
version's revalidation is cleared) and on the version record: ``revalidation`` (required/cleared), ``reviews``,
``prediction_baseline`` and the monitoring ``blobs`` (so verify and gc see them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import PolicyError
from .records import Event, State, version_record

__all__ = [
    "POLICY_ACTOR",
    "METRICS",
    "RESPONSES",
    "DEFAULT_THRESHOLDS",
    "DEFAULT_MIN_BATCH_ROWS",
    "DRIFT_METRICS",
    "parse_monitoring",
    "evaluate",
    "worst",
    "monitoring_state",
    "LEVELS",
    "MONITORING_HANDLERS",
]

POLICY_ACTOR = "policy"  # the acting user of automatic responses (a rollback on alert)
METRICS = (
    "psi",
    "ks",
    "null_rate_change",
    "confidence_psi",
    "confidence_shift",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "error_rate",
    "freshness_hours",
)
RESPONSES = ("record", "revalidate", "rollback")
LEVELS = ("ok", "warn", "alert")
SCHEMA_PROBLEMS = ("missing", "extra", "dtype")
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "psi": {"warn": 0.1, "alert": 0.25},  # the customary PSI rule of thumb
    "ks": {"warn": 0.1, "alert": 0.2},
    "null_rate_change": {"warn": 0.05, "alert": 0.2},
    "confidence_psi": {"warn": 0.1, "alert": 0.25},
}
DEFAULT_SCHEMA = {"missing": "alert", "extra": "warn", "dtype": "warn"}
DEFAULT_MIN_BATCH_ROWS = 100
DRIFT_METRICS = ("psi", "ks", "null_rate_change", "confidence_psi", "confidence_shift")
"""Statistical findings, silenced on batches smaller than ``min_batch_rows`` (too few rows to tell drift)."""


def _line_of(text: str | None, key: str) -> int | None:
    """The line of ``key`` inside the [monitoring] tables of ``text`` (for error messages)."""
    if not text:
        return None
    inside = False
    for i, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("["):
            inside = s.startswith("[monitoring")
            if inside and key in s:
                return i
        elif inside and (s.startswith(key + " ") or s.startswith(key + "=")):
            return i
    return None


def parse_monitoring(section: Any, text: str | None = None) -> dict[str, Any]:
    """Validate and normalise the ``[monitoring]`` section (None means defaults). Raises :class:`PolicyError`."""
    sec = {} if section is None else section
    if not isinstance(sec, dict):
        raise PolicyError("[monitoring] must be a table", _line_of(text, "monitoring"))

    def fail(key: str, why: str) -> PolicyError:
        return PolicyError(f"[monitoring] {key}: {why}", _line_of(text, key))

    out: dict[str, Any] = {
        "stage": "production",
        "on_alert": "record",
        "time_column": None,
        "min_batch_rows": DEFAULT_MIN_BATCH_ROWS,
        "thresholds": {k: dict(v) for k, v in DEFAULT_THRESHOLDS.items()},
        "schema": dict(DEFAULT_SCHEMA),
    }
    for key, value in sec.items():
        if key in ("stage", "time_column"):
            if not isinstance(value, str) or not value:
                raise fail(key, "must be a non-empty string")
            out[key] = value
        elif key == "min_batch_rows":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise fail(key, f"must be a whole number of rows (0 or more); got {value!r}")
            out[key] = value
        elif key == "on_alert":
            if value not in RESPONSES:
                raise fail(key, f"must be one of {', '.join(RESPONSES)}; got {value!r}")
            out[key] = value
        elif key == "schema":
            if not isinstance(value, dict):
                raise fail(key, "must be a table")
            for prob, level in value.items():
                if prob not in SCHEMA_PROBLEMS:
                    raise fail(prob, f"unknown schema problem (known: {', '.join(SCHEMA_PROBLEMS)})")
                if level not in ("ignore", "warn", "alert"):
                    raise fail(prob, f"level must be ignore, warn or alert; got {level!r}")
                out["schema"][prob] = level
        elif key in METRICS:
            if not isinstance(value, dict) or not value or set(value) - {"warn", "alert"}:
                raise fail(key, "must be a table with warn and/or alert, e.g. { warn = 0.1, alert = 0.25 }")
            for lvl, x in value.items():
                if isinstance(x, bool) or not isinstance(x, (int, float)) or x < 0 or x != x:
                    raise fail(key, f"{lvl} must be a non-negative number; got {x!r}")
            if "warn" in value and "alert" in value and value["warn"] > value["alert"]:
                raise fail(key, f"warn ({value['warn']}) is above alert ({value['alert']})")
            out["thresholds"][key] = {k: float(v) for k, v in value.items()}
        else:
            raise fail(
                key,
                f"unknown setting (known: stage, on_alert, time_column, min_batch_rows, schema, {', '.join(METRICS)})",
            )
    return out


def level_of(value: float, limits: dict[str, float]) -> str:
    if "alert" in limits and value >= limits["alert"]:
        return "alert"
    if "warn" in limits and value >= limits["warn"]:
        return "warn"
    return "ok"


def evaluate(
    values: list[tuple[str, str | None, float]], schema: list[dict[str, Any]], policy: dict[str, Any]
) -> list[dict[str, Any]]:
    """Findings at warn or alert level: ``{"metric", "feature", "value", "level", "warn", "alert"}``."""
    out: list[dict[str, Any]] = []
    for metric, feature, value in values:
        limits = policy["thresholds"].get(metric)
        if not limits:
            continue
        lvl = level_of(value, limits)
        if lvl != "ok":
            out.append({"metric": metric, "feature": feature, "value": value, "level": lvl, **limits})
    for prob in schema:
        lvl = policy["schema"].get(prob["problem"], "warn")
        if lvl != "ignore":
            what = {
                "missing": f"missing (expected {prob.get('expected')})",
                "extra": f"unexpected column ({prob.get('found')})",
                "dtype": f"{prob.get('expected')} -> {prob.get('found')}",
            }.get(prob["problem"], prob["problem"])
            out.append({"metric": f"schema.{prob['problem']}", "feature": prob["column"], "value": what, "level": lvl})
    return out


def worst(findings: list[dict[str, Any]]) -> str:
    return max((f["level"] for f in findings), key=LEVELS.index, default="ok")


def monitoring_state(state: State, asset: str) -> dict[str, Any]:
    mon: dict[str, Any] = state.setdefault("monitoring", {}).setdefault(asset, {"batches": [], "alerts": []})
    return mon


def _attach_blobs(rec: dict[str, Any] | None, blobs: list[str]) -> None:
    if rec is not None:
        have = rec.setdefault("blobs", [])
        have.extend(b for b in blobs if b not in have)


def _batch_monitored(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    _attach_blobs(rec, d.get("blobs", []))
    if rec is not None and d.get("prediction_baseline") and not rec.get("prediction_baseline"):
        rec["prediction_baseline"] = {"blob": d["prediction_baseline"], "source": f"batch at event {e['seq']}"}
    monitoring_state(state, d["asset"])["batches"].append(
        {"seq": e["seq"], "number": d["number"], "at": d.get("observed_at", e["at"]), "level": d.get("level", "ok")}
    )


def _alert_raised(state: State, e: Event) -> None:
    d = e["data"]
    monitoring_state(state, d["asset"])["alerts"].append(
        {
            "seq": e["seq"],
            "number": d["number"],
            "at": e["at"],
            "batch_seq": d.get("batch_seq"),
            "findings": d.get("findings", []),
            "response": d.get("response", "record"),
            "open": True,
        }
    )
    rec = version_record(state, d["asset"], d["number"])
    if rec is not None and d.get("response") == "revalidate":
        rec["revalidation"] = {"required": True, "alert_seq": e["seq"], "since": e["at"]}


def _revalidation_cleared(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is not None:
        rec["revalidation"] = {
            "required": False,
            "cleared_seq": e["seq"],
            "cleared_by": e["actor"],
            "reason": d.get("reason", ""),
        }
    for alert in monitoring_state(state, d["asset"])["alerts"]:
        if alert["number"] == d["number"] and alert["open"]:
            alert["open"] = False
            alert["closed_seq"] = e["seq"]


def _review_recorded(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is not None:
        rec.setdefault("reviews", []).append(
            {
                "seq": e["seq"],
                "at": e["at"],
                "by": e["actor"],
                "summary": d.get("summary", ""),
                "lessons": d.get("lessons", []),
                "criteria_changes": d.get("criteria_changes", []),
            }
        )


MONITORING_HANDLERS: Mapping[str, Callable[[State, Event], None]] = {
    "BatchMonitored": _batch_monitored,
    "AlertRaised": _alert_raised,
    "RevalidationCleared": _revalidation_cleared,
    "ReviewRecorded": _review_recorded,
}
