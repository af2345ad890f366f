"""The facts every export format draws on, gathered once from the registry's records.

:class:`ExportFacts` holds the exported version's record, every version linked to it by lineage (both ways,
transitively) and the label schemas its datasets follow, the events about those versions (creation, requests,
approvals, promotions, refusals, rollbacks, retirement, monitoring alerts), a stable namespace for the registry,
and helpers the formats share (approvals of a version, its deployment history, SHA-256 digests, SPDX ids).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...core.records import VersionRecord
from ...core.refs import exact_ref

__all__ = ["ExportFacts", "gather", "DOC_FIELDS", "PRODUCER", "spdx_id", "registry_namespace"]

DOC_FIELDS = ("intended_use", "out_of_scope_use", "risks")
"""The optional documentation fields of a version's metadata (accepted at save, see ``core/doc_fields.py``)."""

PRODUCER = "https://github.com/lifecycle-ext/lifecycle-ext"

_VERSION_EVENTS = {
    "VersionCreated",
    "PromotionRequested",
    "PromotionApproved",
    "PromotionRejected",
    "PromotionRefused",
    "VersionPromoted",
    "VersionRetired",
    "AlertRaised",
    "RevalidationCleared",
    "ReviewRecorded",
    "TagAdded",
    "TagRemoved",
}


@dataclass(frozen=True)
class ExportFacts:
    """The exported version and what the registry knows around it."""

    namespace: str  # "urn:lifecycle:registry:<16 hex>", stable for the life of the registry
    location: str
    record: VersionRecord
    records: dict[str, VersionRecord]  # exact ref -> record: the version, its lineage both ways, label schemas
    edges: tuple[tuple[str, str], ...]  # (input, output) pairs of the lineage
    events: tuple[dict[str, Any], ...]  # every event about a version in ``records``, oldest first
    exported_at: str
    sha256_of: Callable[[str], str] = field(compare=False, repr=False)
    package_version: str = ""

    @property
    def ref(self) -> str:
        return exact_ref(self.record)

    # -- lineage -------------------------------------------------------------------------------------------
    def upstream(self, ref: str | None = None) -> list[str]:
        """Versions ``ref`` (default: the exported one) was made from, transitively, nearest first."""
        return self._walk(ref or self.ref, up=True)

    def downstream(self, ref: str | None = None) -> list[str]:
        """Versions made from ``ref`` (default: the exported one), transitively, nearest first."""
        return self._walk(ref or self.ref, up=False)

    def _walk(self, start: str, *, up: bool) -> list[str]:
        out: list[str] = []
        frontier = [start]
        while frontier:
            nxt = []
            for n in frontier:
                for a, b in self.edges:
                    m = a if up and b == n else b if not up and a == n else None
                    if m is not None and m not in out and m != start:
                        out.append(m)
                        nxt.append(m)
            frontier = nxt
        return out

    def datasets(self) -> list[str]:
        """Dataset versions upstream of the exported version (its training data), nearest first."""
        return [r for r in self.upstream() if self.records[r].kind == "dataset"]

    def label_schemas(self) -> list[str]:
        """Label-schema versions the upstream datasets follow (or that are themselves upstream)."""
        out: list[str] = []
        for r in [self.ref, *self.upstream()]:
            rec = self.records[r]
            cands = [r] if rec.kind == "label_schema" else [str((rec.get("dataset") or {}).get("schema") or "")]
            for c in cands:
                if c and c in self.records and c not in out:
                    out.append(c)
        return out

    # -- events --------------------------------------------------------------------------------------------
    def events_of(self, ref: str, *types: str) -> list[dict[str, Any]]:
        """Events about version ``ref`` (of the given types; all when none given), oldest first."""
        rec = self.records[ref]
        out = []
        for e in self.events:
            if types and e["type"] not in types:
                continue
            d = e["data"]
            if e["type"] == "VersionCreated":
                hit = d["kind"] == rec.kind and d["name"] == rec.name and d["number"] == rec.number
            elif e["type"] == "RolledBack":
                hit = d["asset"] == rec.asset and rec.number in (d["from_number"], d["to_number"])
            else:
                hit = d.get("asset") == rec.asset and d.get("number") == rec.number
            if hit:
                out.append(e)
        return out

    def approvals(self, ref: str | None = None) -> list[dict[str, Any]]:
        """``{"user", "at", "to", "roles", "reason"}`` per approval of ``ref``, oldest first."""
        return [
            {
                "user": e["actor"],
                "at": e["at"],
                "to": e["data"]["to"],
                "roles": list(e["data"].get("roles", [])),
                "reason": e["data"].get("reason", ""),
            }
            for e in self.events_of(ref or self.ref, "PromotionApproved")
        ]

    def promotions(self, ref: str | None = None) -> list[dict[str, Any]]:
        """``{"by", "at", "from", "to", "reason", "checks", "forced"}`` per promotion of ``ref``."""
        return [
            {
                "by": e["actor"],
                "at": e["at"],
                "from": e["data"].get("from"),
                "to": e["data"]["to"],
                "reason": e["data"].get("reason", ""),
                "checks": list(e["data"].get("checks", [])),
                "forced": bool(e["data"].get("forced")),
            }
            for e in self.events_of(ref or self.ref, "VersionPromoted")
        ]

    def gate_evidence(self, ref: str | None = None) -> list[dict[str, Any]]:
        """Every gate check recorded when ``ref`` was promoted: ``{"stage", "at", "name", "type", "status",
        "message", "evidence"}``."""
        return [{"stage": p["to"], "at": p["at"], **c} for p in self.promotions(ref) for c in p["checks"]]

    def history(self, ref: str | None = None) -> list[dict[str, Any]]:
        """The lifecycle of ``ref`` as rows ``{"seq", "at", "actor", "type", "summary"}``."""
        out = []
        for e in self.events_of(ref or self.ref):
            d = e["data"]
            t = e["type"]
            if t == "VersionCreated":
                s = f"created ({d.get('object_type')})"
            elif t in ("PromotionRequested", "PromotionApproved", "PromotionRejected"):
                s = f"{t[len('Promotion') :].lower()} promotion to {d['to']}"
            elif t == "PromotionRefused":
                s = f"promotion to {d['to']} refused"
            elif t == "VersionPromoted":
                s = f"promoted to {d['to']}" + (" (forced)" if d.get("forced") else "")
            elif t == "RolledBack":
                s = f"{d['stage']} rolled back from @{d['from_number']} to @{d['to_number']}"
            elif t == "VersionRetired":
                s = "retired" + (f", replaced by {d['replaced_by']}" if d.get("replaced_by") else "")
            else:
                s = t
            reason = d.get("reason")
            out.append(
                {"seq": e["seq"], "at": e["at"], "actor": e["actor"], "type": t, "summary": s, "reason": reason or ""}
            )
        return out

    def people(self) -> list[str]:
        """Everybody who acted on the versions in these facts (authors, requesters, approvers, releasers)."""
        return sorted({e["actor"] for e in self.events})

    # -- identifiers and digests ---------------------------------------------------------------------------
    def uuid_for(self, *parts: str) -> str:
        """A stable UUID for ``parts`` inside this registry's namespace (the same export gives the same ids)."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join((self.namespace, *parts))))

    def doc(self, name: str, ref: str | None = None) -> Any:
        """A documentation field of a version's metadata (``intended_use``, ``risks``, ``licence`` ...)."""
        md = self.records[ref or self.ref].metadata
        if name == "licence":
            return md.get("licence", md.get("license"))
        return md.get(name)


def registry_namespace(ctx: Any) -> str:
    """The stable namespace of the registry: ``urn:lifecycle:registry:`` and 16 hex digits of its first event."""
    first = ctx.event(0)
    return "urn:lifecycle:registry:" + str(first["hash"])[:16]


def _sha256_of(services: Any) -> Callable[[str], str]:
    """``sha256(ref)``: a SHA-256 over the version's manifest with every blob id replaced by the SHA-256 of the
    blob's bytes, so the digest covers every stored byte and needs no trust in the xxh3 ids."""
    cache: dict[str, str] = {}

    def digest(ref: str) -> str:
        if ref not in cache:
            manifest = services.versions.manifest(ref)
            entries = {
                key: "sha256:" + hashlib.sha256(bytes(services.ctx.blobs.get(cid))).hexdigest()
                for key, cid in sorted(manifest["entries"].items())
            }
            doc = {"format": manifest.get("format", 1), "type": manifest.get("type"), "entries": entries}
            canonical = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
            cache[ref] = hashlib.sha256(canonical).hexdigest()
        return cache[ref]

    return digest


def gather(services: Any, ref: str) -> ExportFacts:
    """The facts about version ``ref`` (its latest version when it names an asset)."""
    from ... import __version__
    from ...core.clock import iso

    ctx = services.ctx
    rec = ctx.resolve(ref)
    root = exact_ref(rec)
    lin = services.lineage.lineage(root, "both")
    refs = [root, *sorted(set(lin.nodes) - {root})]
    records: dict[str, VersionRecord] = {r: ctx.resolve(r) for r in refs}
    for r in list(records):
        schema = (records[r].get("dataset") or {}).get("schema")
        if schema and schema not in records:
            records[str(schema)] = ctx.resolve(schema)
    assets = {r.asset for r in records.values()}
    keys = {(r.asset, r.number) for r in records.values()}
    events = []
    for e in ctx.log.events():
        d = e["data"]
        t = e["type"]
        if t == "VersionCreated":
            hit = (f"{d['kind']}:{d['name']}", d["number"]) in keys
        elif t == "RolledBack":
            hit = d["asset"] in assets and (
                (d["asset"], d["from_number"]) in keys or (d["asset"], d["to_number"]) in keys
            )
        else:
            hit = t in _VERSION_EVENTS and (d.get("asset"), d.get("number")) in keys
        if hit:
            events.append(dict(e))
    return ExportFacts(
        namespace=registry_namespace(ctx),
        location=ctx.location,
        record=rec,
        records=records,
        edges=tuple((a, b) for a, b in lin.edges),
        events=tuple(events),
        exported_at=iso(ctx.clock.now()),
        sha256_of=_sha256_of(services),
        package_version=__version__,
    )


# -- licences ------------------------------------------------------------------------------------------------
_SPDX = {
    s.lower(): s
    for s in (
        "MIT",
        "Apache-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "GPL-2.0-only",
        "GPL-2.0-or-later",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "LGPL-2.1-only",
        "LGPL-3.0-only",
        "AGPL-3.0-only",
        "MPL-2.0",
        "ISC",
        "Unlicense",
        "CC0-1.0",
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-ND-4.0",
        "CC-BY-3.0",
        "ODbL-1.0",
        "ODC-By-1.0",
        "PDDL-1.0",
        "CDLA-Permissive-2.0",
        "CDLA-Sharing-1.0",
        "Zlib",
        "BSL-1.0",
        "EPL-2.0",
    )
}
_ALIASES = {"apache 2.0": "Apache-2.0", "apache-2": "Apache-2.0", "apache2": "Apache-2.0", "cc-by 4.0": "CC-BY-4.0"}


def spdx_id(licence: Any) -> str | None:
    """The SPDX licence id ``licence`` names (case-insensitive, a few common spellings), else None."""
    if not isinstance(licence, str) or not licence.strip():
        return None
    key = licence.strip().lower()
    return _SPDX.get(key) or _ALIASES.get(key)
