"""The answer of ``reg.search(query)``: the matching versions, one page of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .html import badge, esc, fmt, table

__all__ = ["SearchResult"]


@dataclass(frozen=True)
class SearchResult:
    """``rows`` are the matching versions (``ref``, ``kind``, ``name``, ``number``, ``stage``, ``author``,
    ``created_at``, ``tags``, ``params``, ``metrics``, ``metadata``, ``inputs``, ``retired``), ordered by asset
    then version number; ``next`` is the cursor of the next page (None on the last)."""

    query: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    next: str | None = None

    @property
    def refs(self) -> list[str]:
        return [r["ref"] for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "versions": self.rows, "next": self.next}

    def __repr__(self) -> str:
        n = len(self.rows)
        head = f"{n} version{'s' if n != 1 else ''} match {self.query!r}" + (
            " (more on the next page)" if self.next else ""
        )
        lines = [head]
        width = max((len(r["ref"]) for r in self.rows), default=0)
        for r in self.rows:
            metrics = ", ".join(f"{k}={fmt(v)}" for k, v in r["metrics"].items())
            bits = [r["stage"] or "-", r["author"] or "", (r["created_at"] or "")[:19]]
            if metrics:
                bits.append(metrics)
            if r["tags"]:
                bits.append("#" + " #".join(r["tags"]))
            lines.append(f"  {r['ref']:<{width}}  " + "  ".join(bits))
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        rows = [
            [
                esc(r["ref"]),
                badge(r["stage"]),
                esc(r["author"] or ""),
                esc((r["created_at"] or "")[:19]),
                esc(", ".join(f"{k}={fmt(v)}" for k, v in r["metrics"].items())),
                esc(", ".join(r["tags"])),
            ]
            for r in self.rows
        ]
        head = f"<div><b>{len(self.rows)}</b> version(s) match <code>{esc(self.query)}</code></div>"
        return head + table(["version", "stage", "author", "created", "metrics", "tags"], rows, raw=True)
