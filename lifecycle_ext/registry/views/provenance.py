"""View models for tracked runs and reproduce reports: plain data, text and escaped HTML reprs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .html import esc, kv_table, mark, table

__all__ = ["OutputCheck", "ReproduceReport", "TrackSummary"]


@dataclass(frozen=True)
class OutputCheck:
    var: str
    ref: str
    recorded: str
    reproduced: str | None
    match: bool
    diff: str = ""


@dataclass(frozen=True)
class ReproduceReport:
    ref: str
    status: str  # "match" | "mismatch" | "error"
    outputs: list[OutputCheck]
    seed: int | None
    seconds: float
    uncaptured: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "match"

    def __bool__(self) -> bool:
        return self.ok

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        lines = [f"reproduce {self.ref}: {self.status.upper()} (seed {self.seed}, {self.seconds:.2f} s)"]
        for c in self.outputs:
            lines.append(
                f"  {c.var} -> {c.ref}: {'match' if c.match else 'MISMATCH'}" + (f" ({c.diff})" if c.diff else "")
            )
        if self.error:
            lines.append(f"  error: {self.error}")
        if self.uncaptured and self.status == "error":
            lines.append(
                "  not captured by the original run: " + ", ".join(f"{k} ({v})" for k, v in self.uncaptured.items())
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        st = {"match": "pass", "mismatch": "fail", "error": "fail"}[self.status]
        rows = [
            [
                esc(c.var),
                esc(c.ref),
                mark("pass" if c.match else "fail"),
                f"<code>{esc(c.recorded[:25])}</code>",
                f"<code>{esc((c.reproduced or '-')[:25])}</code>",
                esc(c.diff),
            ]
            for c in self.outputs
        ]
        body = (
            table(["variable", "version", "", "recorded hash", "reproduced hash", "difference"], rows, raw=True)
            if rows
            else ""
        )
        extra = f"<div><b>error:</b> <code>{esc(self.error)}</code></div>" if self.error else ""
        if self.uncaptured and self.status == "error":
            extra += (
                "<div>not captured by the original run: "
                + esc(", ".join(f"{k} ({v})" for k, v in self.uncaptured.items()))
                + "</div>"
            )
        return (
            f'<div class="lifecycle-reproduce"><b>reproduce {esc(self.ref)}</b> {mark(st)} '
            f"{esc(self.status)} &middot; seed {esc(self.seed)} &middot; {self.seconds:.2f} s{body}{extra}</div>"
        )


@dataclass(frozen=True)
class TrackSummary:
    """What one ``%%track`` run did: refs created, inputs, seeds, duration (and errors)."""

    status: str  # "saved" | "failed" | "dry-run" | "not saved" | "no outputs"
    duration_s: float
    created: list[dict[str, Any]] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    derived: dict[str, list[str]] = field(default_factory=dict)  # variable -> versions it was computed from
    loaded: list[str] = field(default_factory=list)  # versions the cell loaded itself
    seeds: dict[str, Any] = field(default_factory=dict)
    configs: list[str] = field(default_factory=list)
    uncaptured: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    record: dict[str, Any] | None = None  # the captured record (shown by --dry-run)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _seed_text(self) -> str:
        s = self.seeds
        if s.get("given") is not None:
            return f"--seed {s['given']} ({', '.join(s.get('seeded') or [])})"
        lits = ", ".join(f"{d['name']}={d['value']}" for d in s.get("literals") or [])
        fp = ", ".join(f"{k}:{v[:8]}" for k, v in (s.get("rng_fingerprints") or {}).items())
        return "; ".join(x for x in (lits and f"in cell: {lits}", fp and f"RNG state {fp}") if x) or "-"

    def __repr__(self) -> str:
        lines = [f"%%track: {self.status} in {self.duration_s * 1000:.1f} ms"]
        lines += [
            f"  {c['var']}: re-run of {c['ref']} (unchanged; no new version)"
            if c.get("rerun")
            else f"  saved {c['var']} -> {c['ref']}"
            for c in self.created
        ]
        lines += [f"  input {k} = {v}" for k, v in self.inputs.items()]
        lines += [f"  input {k} derived from {', '.join(v)}" for k, v in self.derived.items()]
        lines += [f"  input loaded in the cell: {r}" for r in self.loaded]
        if self.uncaptured:
            lines.append(f"  not captured: {self._uncaptured_text()}")
        lines.append(f"  seeds: {self._seed_text()}")
        if self.error:
            lines.append(f"  {self.error}")
        return "\n".join(lines)

    def _uncaptured_text(self) -> str:
        return ", ".join(f"{k} ({v})" for k, v in self.uncaptured.items())

    def _repr_html_(self) -> str:
        colour = {"saved": "pass", "dry-run": "pending", "no outputs": "pending"}.get(self.status, "fail")
        if colour == "pass" and self.uncaptured:
            colour = "pending"  # saved, but some of what the cell read is not in the record
        pairs: list[tuple[str, Any]] = []
        if self.created:
            pairs.append(
                (
                    "created",
                    "<br>".join(
                        f"{esc(c['var'])} &rarr; <b>{esc(c['ref'])}</b>"
                        + (" (re-run, unchanged: no new version)" if c.get("rerun") else "")
                        for c in self.created
                    ),
                )
            )
        inputs = [f"{esc(k)} = {esc(v)}" for k, v in self.inputs.items()]
        inputs += [f"{esc(k)} &larr; {esc(', '.join(v))}" for k, v in self.derived.items()]
        inputs += [f"loaded: {esc(r)}" for r in self.loaded]
        pairs.append(("inputs", "<br>".join(inputs) or "-"))
        pairs.append(("seeds", esc(self._seed_text())))
        if self.configs:
            pairs.append(("configs", esc(", ".join(self.configs))))
        if self.uncaptured:
            pairs.append(("not captured", esc(self._uncaptured_text())))
        pairs.append(("duration", f"{self.duration_s:.3f} s"))
        if self.error:
            pairs.append(("error", f"<code>{esc(self.error)}</code>"))
        if self.record is not None:
            import json

            pairs.append(
                (
                    "captured",
                    f"<pre style='max-height:20em;overflow:auto'>"
                    f"{esc(json.dumps(self.record, indent=1, default=str)[:20000])}</pre>",
                )
            )
        return (
            f'<div class="lifecycle-track">{mark(colour)} <b>%%track</b> {esc(self.status)}'
            f"{kv_table(pairs, raw_values=True)}</div>"
        )
