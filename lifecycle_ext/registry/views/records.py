"""Read-side view models returned by the service: plain data with text and HTML reprs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...core.refs import exact_ref
from .html import badge, esc, kv_table, table

__all__ = ["Version", "Lineage", "VerifyReport", "GcReport", "RegistryInfo"]


@dataclass(frozen=True)
class Version:
    """One immutable version of an asset, with everything recorded when it was created."""

    ref: str
    kind: str
    name: str
    number: int
    content_hash: str
    created_at: str
    author: str
    parent: str | None
    object_type: str
    summary: dict[str, Any]
    size: int
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    note: str = ""
    stage: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
    new_bytes: int = 0
    retired: bool = False
    displaced: str | None = None  # set on the result of promote: the version it displaced from that stage
    displaced_from: str | None = None
    rerun: bool = False  # set on the result of save: an unchanged tracked re-run of this existing version
    signature: dict[str, Any] | None = None
    input_example: dict[str, Any] | None = None

    @property
    def asset(self) -> str:
        return f"{self.kind}:{self.name}"

    @classmethod
    def from_record(cls, rec: dict[str, Any], stage: str | None = None) -> Version:
        return cls(
            ref=exact_ref(rec),
            kind=rec["kind"],
            name=rec["name"],
            number=rec["number"],
            content_hash=rec["content_hash"],
            created_at=rec["created_at"],
            author=rec["author"],
            parent=(f"{rec['kind']}:{rec['name']}@{rec['parent']}" if rec.get("parent") else None),
            object_type=rec["object_type"],
            summary=rec.get("summary", {}),
            size=rec.get("size", 0),
            params=rec.get("params") or {},
            metrics=rec.get("metrics") or {},
            metadata=rec.get("metadata") or {},
            inputs=list(rec.get("inputs") or []),
            tags=list(rec.get("tags") or []),
            note=rec.get("note") or "",
            stage=stage,
            record=rec.get("record") or {},
            new_bytes=rec.get("new_bytes", 0),
            retired=bool(rec.get("retired")),
            signature=rec.get("signature"),
            input_example=rec.get("input_example"),
        )

    def __repr__(self) -> str:
        stage = f" [{self.stage}]" if self.stage else ""
        displaced = f"; displaces {self.displaced} from {self.displaced_from}" if self.displaced else ""
        sig = ""
        if self.signature:
            ins = ", ".join(f"{c['name']}: {c['dtype']}" for c in self.signature.get("inputs", []))
            outs = ", ".join(f"{c['name']}: {c['dtype']}" for c in self.signature.get("outputs", []))
            sig = f" signature ({ins if len(ins) <= 60 else ins[:57] + '...'}) -> ({outs or '?'})"
        return (
            f"<Version {self.ref}{stage} {self.object_type} {self.content_hash[:21]} "
            f"by {self.author} at {self.created_at}{sig}{displaced}>"
        )

    def _repr_html_(self) -> str:
        pairs: list[tuple[str, Any]] = [
            ("content", f"{esc(self.object_type)} {esc(self.summary)}"),
            ("hash", f"<code>{esc(self.content_hash)}</code>"),
            ("created", f"{esc(self.created_at)} by {esc(self.author)}"),
            ("parent", esc(self.parent or "-")),
        ]
        for label, d in (("params", self.params), ("metrics", self.metrics), ("metadata", self.metadata)):
            if d:
                pairs.append((label, table(["key", "value"], [[k, v] for k, v in d.items()])))
        if self.signature:
            pairs.append(("signature", _signature_html(self.signature)))
        if self.input_example:
            ex = self.input_example
            pairs.append(("input example", table(ex["columns"], ex["data"])))
        if self.inputs:
            pairs.append(("inputs", "<br>".join(esc(i) for i in self.inputs)))
        if self.tags:
            pairs.append(("tags", esc(", ".join(self.tags))))
        if self.note:
            pairs.append(("note", esc(self.note)))
        if self.displaced:
            pairs.append(("displaces", f"{esc(self.displaced)} from {esc(self.displaced_from or '')}"))
        head = f"<b>{esc(self.ref)}</b> {badge(self.stage)}{' ' + badge('retired') if self.retired else ''}"
        return f'<div class="lifecycle-version">{head}{kv_table(pairs, raw_values=True)}</div>'


def _signature_html(sig: dict[str, Any]) -> str:
    def cols(cs: list[dict[str, Any]]) -> str:
        return ", ".join(f"{esc(c['name'])}: <code>{esc(c['dtype'])}</code>" for c in cs) or "?"

    return f"({cols(sig.get('inputs', []))}) &rarr; ({cols(sig.get('outputs', []))})"


@dataclass(frozen=True)
class Lineage:
    """The lineage graph around ``root``: ``edges`` are (input, output) pairs of exact refs."""

    root: str
    direction: str
    nodes: dict[str, dict[str, Any]]
    edges: list[tuple[str, str]]

    @property
    def upstream(self) -> list[str]:
        return self._walk(up=True)

    @property
    def downstream(self) -> list[str]:
        return self._walk(up=False)

    def _walk(self, up: bool) -> list[str]:
        seen: list[str] = []
        frontier = [self.root]
        while frontier:
            nxt = []
            for n in frontier:
                for a, b in self.edges:
                    m = a if up and b == n else b if not up and a == n else None
                    if m is not None and m not in seen:
                        seen.append(m)
                        nxt.append(m)
            frontier = nxt
        return seen

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"input": a, "output": b} for a, b in self.edges], columns=["input", "output"])

    def __repr__(self) -> str:
        lines = [f"Lineage of {self.root} ({self.direction})"]
        lines += [f"  {a} -> {b}" for a, b in self.edges]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .lineage_layout import lineage_svg

        rows = [
            [
                esc(a) + " " + badge(self.nodes.get(a, {}).get("stage")),
                "&rarr;",
                esc(b) + " " + badge(self.nodes.get(b, {}).get("stage")),
            ]
            for a, b in self.edges
        ]
        body = (
            f'<div style="overflow-x:auto">{lineage_svg(self)}</div><details><summary>edges</summary>'
            f"{table(['input', '', 'output'], rows, raw=True)}</details>"
            if rows
            else "<i>no lineage recorded</i>"
        )
        return (
            f'<div class="lifecycle-lineage"><b>Lineage of {esc(self.root)}</b> '
            f"{badge(self.nodes.get(self.root, {}).get('stage'))}{body}</div>"
        )


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    problems: list[dict[str, str]]
    events: int
    blobs: int
    bytes: int
    seconds: float
    unsigned: str = ""  # the events without a verified signature, as ranges ("0-41, 57"); "" when all signed
    refused: int = 0  # writes refused at write time (recorded beside the log in log/refused/)
    erased: list[dict[str, Any]] = field(default_factory=list)  # {"ref", "blob", "event"}: removed by an erasure

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        head = (
            f"verify: {'OK' if self.ok else 'FAILED'}: {self.events} events, {self.blobs} blobs, "
            f"{self.bytes / 1e6:.1f} MB in {self.seconds:.2f} s"
        )
        notes = [f"  unsigned events: {self.unsigned}"] if self.unsigned else []
        notes += [f"  refused writes recorded: {self.refused}"] if self.refused else []
        if self.erased:
            events = sorted({e["event"] for e in self.erased})
            notes.append(f"  {len(self.erased)} blobs erased by event(s) {', '.join(map(str, events))} (not missing)")
        return "\n".join([head] + [f"  {p['ref']}: {p['object']}: {p['problem']}" for p in self.problems] + notes)

    def _repr_html_(self) -> str:
        colour = "#1e7e34" if self.ok else "#c82333"
        rows = [[p["ref"], p["object"], p["problem"]] for p in self.problems]
        detail = table(["ref", "object", "problem"], rows) if rows else ""
        return (
            f'<div><b style="color:{colour}">{"&#10004; verified" if self.ok else "&#10008; problems found"}'
            f"</b> {self.events} events, {self.blobs} blobs, {self.bytes / 1e6:.1f} MB{detail}</div>"
        )


@dataclass(frozen=True)
class GcReport:
    removed: int
    bytes: int
    kept: int

    def __repr__(self) -> str:
        return f"gc: removed {self.removed} unreferenced blobs ({self.bytes} bytes), kept {self.kept}"


@dataclass(frozen=True)
class RegistryInfo:
    """Where a registry is and what it holds."""

    location: str
    events: int
    assets: list[dict[str, Any]]

    def __str__(self) -> str:
        n = sum(a["versions"] for a in self.assets)
        lines = [f"registry: {self.location}", f"{len(self.assets)} assets, {n} versions, {self.events} events"]
        for a in self.assets:
            stages = ", ".join(f"{s}=v{v}" for s, v in a["stages"].items())
            lines.append(
                f"  {a['asset']}: {a['versions']} versions, latest v{a['latest']}" + (f" ({stages})" if stages else "")
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [
            [
                esc(a["asset"]),
                str(a["versions"]),
                f"v{a['latest']}",
                " ".join(f"{badge(s)} v{v}" for s, v in a["stages"].items()),
            ]
            for a in self.assets
        ]
        return (
            f"<div><b>Registry</b> <code>{esc(self.location)}</code>: {len(self.assets)} assets, "
            f"{self.events} events{table(['asset', 'versions', 'latest', 'stages'], rows, raw=True)}</div>"
        )
