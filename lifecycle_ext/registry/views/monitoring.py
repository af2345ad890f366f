"""View models of monitoring: one batch's result, drift history, the health summary, a review.

Plain data with text and HTML reprs (user text always escaped); ``plot()`` imports matplotlib only when called.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .html import badge, esc, kv_table, table

__all__ = ["MonitorResult", "DriftHistory", "Health", "Review"]

_LEVEL_COLOURS = {"ok": "#1e7e34", "warn": "#b8860b", "alert": "#c82333"}


def level_badge(level: str) -> str:
    colour = _LEVEL_COLOURS.get(level, "#6c757d")
    return (
        f'<span class="lifecycle-level" style="background:{colour};color:#fff;border-radius:8px;'
        f'padding:0 6px;font-size:11px">{esc(level)}</span>'
    )


def _num(x: Any) -> str:
    return "-" if x is None else esc(x)


def _finding_rows(findings: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            level_badge(f["level"]),
            esc(f["metric"]),
            esc(f.get("feature") or "-"),
            _num(f.get("value")),
            _num(f.get("warn")),
            _num(f.get("alert")),
        ]
        for f in findings
    ]


def _finding_text(f: dict[str, Any]) -> str:
    where = f" [{f['feature']}]" if f.get("feature") else ""
    limit = f" (alert >= {f['alert']})" if f.get("alert") is not None else ""
    return f"{f['level'].upper():5} {f['metric']}{where} = {f.get('value')}{limit}"


@dataclass(frozen=True)
class MonitorResult:
    """What ``reg.monitor`` recorded for one batch."""

    ref: str
    seq: int
    level: str
    findings: list[dict[str, Any]]
    evidence: dict[str, Any]
    baseline: str
    alert_seq: int | None = None
    response: str | None = None
    outcome: str | None = None

    @property
    def ok(self) -> bool:
        return self.level != "alert"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        lines = [
            f"monitor {self.ref}: {self.level.upper()} (batch event {self.seq}, {self.evidence.get('rows')} rows,"
            f" baseline {self.baseline})"
        ]
        lines += ["  " + _finding_text(f) for f in self.findings]
        if self.alert_seq is not None:
            lines.append(
                f"  alert recorded (event {self.alert_seq}); response: {self.response}"
                + (f" -> {self.outcome}" if self.outcome else "")
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        feats = [
            [esc(c), esc(f.get("kind", "")), _num(f.get("psi")), _num(f.get("ks")), _num(f.get("null_rate"))]
            for c, f in self.evidence.get("features", {}).items()
        ]
        parts = [
            f"<b>monitor {esc(self.ref)}</b> {level_badge(self.level)} "
            f"<small>batch event {self.seq}, {esc(self.evidence.get('rows'))} rows, baseline "
            f"{esc(self.baseline)}</small>"
        ]
        if self.findings:
            parts.append(
                table(["level", "metric", "feature", "value", "warn", "alert"], _finding_rows(self.findings), raw=True)
            )
        if self.alert_seq is not None:
            parts.append(
                f"<div>alert recorded (event {self.alert_seq}); response <b>{esc(self.response)}</b>"
                f"{' &rarr; ' + esc(self.outcome) if self.outcome else ''}</div>"
            )
        parts.append(table(["feature", "kind", "PSI", "KS", "null rate"], feats, raw=True))
        return f'<div class="lifecycle-monitor">{"".join(parts)}</div>'


def _plot(batches: list[dict[str, Any]], title: str, ax: Any = None) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - optional dependency
        raise ImportError("plot() needs matplotlib: pip install 'lifecycle-ext[plot]'") from None
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    feats = sorted({c for b in batches for c, f in b["features"].items() if f.get("psi") is not None})
    xs = list(range(1, len(batches) + 1))
    for c in feats:
        ax.plot(xs, [b["features"].get(c, {}).get("psi") for b in batches], marker="o", label=c)
    ax.set_xlabel("batch")
    ax.set_ylabel("PSI")
    ax.set_title(title)
    if feats and len(feats) <= 12:
        ax.legend(fontsize="small")
    return ax


@dataclass(frozen=True)
class DriftHistory:
    """Monitored batches of an asset (or one version), oldest first."""

    name: str
    batches: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Any:
        return iter(self.batches)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.batches[i]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_frame(self) -> Any:
        """One row per batch and feature: batch, seq, at, ref, level, feature, psi, ks, null_rate."""
        import pandas as pd

        rows = [
            {
                "batch": i,
                "seq": b["seq"],
                "at": b["at"],
                "ref": b["ref"],
                "level": b["level"],
                "feature": c,
                "psi": f.get("psi"),
                "ks": f.get("ks"),
                "null_rate": f.get("null_rate"),
            }
            for i, b in enumerate(self.batches, 1)
            for c, f in b["features"].items()
        ]
        return pd.DataFrame(rows, columns=["batch", "seq", "at", "ref", "level", "feature", "psi", "ks", "null_rate"])

    def plot(self, ax: Any = None) -> Any:
        return _plot(self.batches, f"drift of {self.name}", ax)

    def __repr__(self) -> str:
        lines = [f"drift history of {self.name}: {len(self.batches)} batches"]
        for i, b in enumerate(self.batches, 1):
            lines.append(f"  {i:3} {b['at']} {b['ref']} {b['level']:5} max PSI {b.get('max_psi')}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [
            [
                str(i),
                esc(b["at"]),
                esc(b["ref"]),
                level_badge(b["level"]),
                _num(b.get("max_psi")),
                _num(b.get("max_ks")),
            ]
            for i, b in enumerate(self.batches, 1)
        ]
        return (
            f'<div class="lifecycle-drift"><b>Drift of {esc(self.name)}</b>'
            f"{table(['batch', 'at', 'version', 'level', 'max PSI', 'max KS'], rows, raw=True)}</div>"
        )


@dataclass(frozen=True)
class Health:
    """Production health of an asset: latest drift per feature, trend over batches, open alerts."""

    name: str
    ref: str | None
    stage: str | None
    baseline: str | None
    latest: dict[str, Any] | None
    trend: list[dict[str, Any]]
    open_alerts: list[dict[str, Any]]
    revalidation_required: bool = False
    batches: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def level(self) -> str:
        if self.open_alerts:
            return "alert"
        return self.latest["level"] if self.latest else "ok"

    @property
    def ok(self) -> bool:
        return self.level != "alert"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("batches")
        d["level"] = self.level
        return d

    def plot(self, ax: Any = None) -> Any:
        return _plot(self.batches, f"drift of {self.ref or self.name}", ax)

    def __repr__(self) -> str:
        lines = [
            f"health of {self.name}: {self.level.upper()} -- {self.ref or 'nothing monitored'}"
            f"{' [' + self.stage + ']' if self.stage else ''}, {len(self.trend)} batches"
        ]
        if self.revalidation_required:
            lines.append("  revalidation required (promotion blocked until cleared)")
        if self.latest:
            lines.append(f"  latest batch {self.latest['at']} ({self.latest['level']}):")
            for c, f in self.latest["features"].items():
                lines.append(f"    {c}: PSI {f.get('psi')} KS {f.get('ks')} null rate {f.get('null_rate')}")
        for a in self.open_alerts:
            lines.append(
                f"  open alert (event {a['seq']}, {a['at']}, response {a['response']}): "
                + "; ".join(_finding_text(f) for f in a["findings"])
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = (
            f"<b>Health of {esc(self.name)}</b> {level_badge(self.level)} "
            f"{esc(self.ref or 'nothing monitored')} {badge(self.stage)}"
        )
        pairs: list[tuple[str, Any]] = [("baseline", esc(self.baseline or "-")), ("batches", esc(len(self.trend)))]
        if self.revalidation_required:
            pairs.append(("revalidation", "<b style='color:#c82333'>required</b> (promotion blocked)"))
        if self.trend:
            spark = " ".join(level_badge(t["level"]) for t in self.trend[-20:])
            pairs.append(
                (
                    "trend",
                    spark
                    + "<br>max PSI: "
                    + esc(
                        ", ".join("-" if t.get("max_psi") is None else f"{t['max_psi']:.3g}" for t in self.trend[-20:])
                    ),
                )
            )
        body = kv_table(pairs, raw_values=True)
        if self.latest:
            rows = [
                [esc(c), _num(f.get("psi")), _num(f.get("ks")), _num(f.get("null_rate"))]
                for c, f in self.latest["features"].items()
            ]
            body += f"<div>latest batch {esc(self.latest['at'])}</div>" + table(
                ["feature", "PSI", "KS", "null rate"], rows, raw=True
            )
        if self.open_alerts:
            rows = [
                [
                    esc(a["seq"]),
                    esc(a["at"]),
                    esc(a["response"]),
                    "<br>".join(esc(_finding_text(f)) for f in a["findings"]),
                ]
                for a in self.open_alerts
            ]
            body += "<div><b>open alerts</b></div>" + table(["event", "at", "response", "findings"], rows, raw=True)
        return f'<div class="lifecycle-health">{head}{body}</div>'


@dataclass(frozen=True)
class Review:
    """A post-release review of a version."""

    ref: str
    seq: int
    at: str
    by: str
    summary: str
    lessons: list[str]
    criteria_changes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        lines = [f"review of {self.ref} by {self.by} at {self.at} (event {self.seq}): {self.summary}"]
        lines += [f"  lesson: {x}" for x in self.lessons]
        lines += [f"  criteria change: {x}" for x in self.criteria_changes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        pairs = [("summary", esc(self.summary)), ("by", f"{esc(self.by)} at {esc(self.at)}")]
        if self.lessons:
            pairs.append(("lessons", "<br>".join(esc(x) for x in self.lessons)))
        if self.criteria_changes:
            pairs.append(("criteria changes", "<br>".join(esc(x) for x in self.criteria_changes)))
        return f'<div class="lifecycle-review"><b>Review of {esc(self.ref)}</b>{kv_table(pairs, raw_values=True)}</div>'
