"""Typed events: one frozen dataclass per event type, with the exact JSON ``data`` each writes.

``to_data()`` gives the wire ``data`` dict (JSON only at the storage edge: :meth:`EventLog.append` accepts an
instance and calls it), ``from_data(dict)`` reads one back. Field names are the wire keys, except ``from_``
(wire ``from``). Three kinds of fields:

- plain fields are always written, ``None`` included (``"from": null`` means "was at no stage");
- fields with ``metadata={"omit_none": True}`` are written only when not None (keys today's writers add only
  sometimes, e.g. ``deployment`` when promoting to the deploy stage);
- ``extra`` holds keys the class does not name (save hooks add ``dataset``, ``label_schema``... to
  ``VersionCreated``; newer writers may add more), written back verbatim.

So ``type(e).from_data(d).to_data() == d`` for every event today's writers produce, and the canonical JSON (so the
hash) of a typed event equals the dict-built one. ``lifecycle_ext/schemas/event.schema.json`` has one definition
per class; ``tests/core/test_event_types.py`` checks the two against each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

__all__ = [
    "EventData",
    "EVENT_CLASSES",
    "parse_data",
    "VersionCreated",
    "TagAdded",
    "TagRemoved",
    "AliasSet",
    "PolicySet",
    "PromotionRequested",
    "PromotionApproved",
    "PromotionRejected",
    "VersionPromoted",
    "PromotionRefused",
    "ActionDenied",
    "RolledBack",
    "VersionRetired",
    "BatchMonitored",
    "AlertRaised",
    "RevalidationCleared",
    "ReviewRecorded",
    "VersionRerun",
    "ContentErased",
    "ErasureAccepted",
]

Json = Mapping[str, Any]
E = TypeVar("E", bound="EventData")
_OMIT: dict[str, Any] = {"omit_none": True}
_KEY_FROM: dict[str, Any] = {"key": "from"}


def _plain(v: Any) -> Any:
    """A fresh JSON value: tuples become lists, mappings dicts (so state built from it never aliases the event)."""
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _frozen(v: Any) -> Any:
    """Top-level lists read from JSON become tuples (the dataclasses are frozen; to_data turns them back)."""
    return tuple(v) if isinstance(v, list) else v


def _omit(default: Any = None) -> Any:
    return field(default=default, metadata=_OMIT)


@dataclass(frozen=True, kw_only=True)
class EventData:
    """Base of the typed events. ``TYPE`` is the wire ``type``."""

    TYPE: ClassVar[str] = ""
    extra: Json = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        """The wire ``data`` dict, exactly as the dict-building writers produce it."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            v = getattr(self, f.name)
            if v is None and f.metadata.get("omit_none"):
                continue
            if f.metadata.get("spread"):
                out.update(_plain(v))
                continue
            out[f.metadata.get("key", f.name)] = _plain(v)
        for k, v in self.extra.items():
            if k in out:
                raise ValueError(f"{self.TYPE}: extra key {k!r} collides with a field")
            out[k] = _plain(v)
        return out

    @classmethod
    def from_data(cls: type[E], data: Json) -> E:
        """Read the wire ``data`` dict; keys the class does not name go to ``extra``. Raises ``ValueError`` when a
        field without a default is missing."""
        kwargs: dict[str, Any] = {}
        used: set[str] = set()
        for f in fields(cls):
            if f.name == "extra":
                continue
            if f.metadata.get("spread"):
                keys = f.metadata["spread"]
                kwargs[f.name] = {k: data[k] for k in keys if k in data}
                used.update(keys)
                continue
            key = f.metadata.get("key", f.name)
            used.add(key)
            if key in data:
                kwargs[f.name] = _frozen(data[key])
            elif f.default is MISSING and f.default_factory is MISSING:
                raise ValueError(f"{cls.TYPE} data lacks {key!r}")
        kwargs["extra"] = {k: v for k, v in data.items() if k not in used}
        return cls(**kwargs)

    @property
    def type(self) -> str:
        return self.TYPE


@dataclass(frozen=True, kw_only=True)
class _OfVersion(EventData):
    """An event about one version: ``asset`` (``kind:name``) and ``number``."""

    asset: str
    number: int

    @property
    def ref(self) -> str:
        return f"{self.asset}@{self.number}"


# -- versions ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class VersionCreated(EventData):
    TYPE: ClassVar[str] = "VersionCreated"
    kind: str
    name: str
    number: int
    parent: int | None
    content_hash: str
    meta_hash: str
    object_type: str
    summary: Json = field(default_factory=dict)
    size: int
    new_bytes: int | None = _omit()
    params: Json = field(default_factory=dict)
    metrics: Json = field(default_factory=dict)
    metadata: Json = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    note: str = ""
    record: Json = field(default_factory=dict)
    blobs: tuple[str, ...] | None = _omit()
    baseline: Json | None = _omit()
    prediction_baseline: Json | None = _omit()
    signature: Json | None = _omit()
    input_example: Json | None = _omit()

    @property
    def asset(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.name}@{self.number}"


@dataclass(frozen=True, kw_only=True)
class TagAdded(_OfVersion):
    TYPE: ClassVar[str] = "TagAdded"
    tag: str


@dataclass(frozen=True, kw_only=True)
class TagRemoved(_OfVersion):
    TYPE: ClassVar[str] = "TagRemoved"
    tag: str


@dataclass(frozen=True, kw_only=True)
class AliasSet(EventData):
    """Point ``alias`` of ``asset`` at version ``number``; ``number=None`` (wire ``null``) removes the alias."""

    TYPE: ClassVar[str] = "AliasSet"
    asset: str
    alias: str
    number: int | None


# -- policy, promotion, deployment -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class PolicySet(EventData):
    TYPE: ClassVar[str] = "PolicySet"
    hash: str
    blob: str
    size: int | None = _omit()
    reason: str = ""
    previous: str | None = None


@dataclass(frozen=True, kw_only=True)
class _Decision(_OfVersion):
    to: str
    reason: str = ""
    from_: str | None = field(default=None, metadata=_KEY_FROM)
    policy_hash: str | None = None
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PromotionRequested(_Decision):
    TYPE: ClassVar[str] = "PromotionRequested"


@dataclass(frozen=True, kw_only=True)
class PromotionApproved(_Decision):
    TYPE: ClassVar[str] = "PromotionApproved"


@dataclass(frozen=True, kw_only=True)
class PromotionRejected(_Decision):
    TYPE: ClassVar[str] = "PromotionRejected"


@dataclass(frozen=True, kw_only=True)
class PromotionRefused(_OfVersion):
    """A promotion the gates refused, recorded for the audit trail (changes no pointer)."""

    TYPE: ClassVar[str] = "PromotionRefused"
    to: str
    from_: str | None = field(default=None, metadata=_KEY_FROM)
    reason: str = ""
    policy_hash: str | None = None
    checks: tuple[Json, ...] = ()
    problem: str | None = None


@dataclass(frozen=True, kw_only=True)
class VersionPromoted(_OfVersion):
    TYPE: ClassVar[str] = "VersionPromoted"
    to: str
    from_: str | None = field(default=None, metadata=_KEY_FROM)
    reason: str = ""
    policy_hash: str | None = None
    checks: tuple[Json, ...] = ()
    problem: str | None = None
    forced: bool = False
    override: Json | None = _omit()  # {"by", "reason", "failed"} when forced past failing checks
    replaced: int | None = None  # the version displaced from ``to``
    deployment: Json | None = _omit()  # the deployment record, when ``to`` is the deploy stage
    # open requests of the displaced version, closed by this promotion ("KIND:NAME@N>STAGE" keys)
    closed_requests: tuple[str, ...] | None = _omit()


_SUBJECT_KEYS = ("asset", "number", "to", "from", "reason")


@dataclass(frozen=True, kw_only=True)
class ActionDenied(EventData):
    """An attempt the policy's roles did not allow, recorded for the audit trail (changes nothing).

    ``subject`` holds what the attempt named, as the action has it: some of asset, number, to, from, reason.
    """

    TYPE: ClassVar[str] = "ActionDenied"
    action: str
    subject: Json = field(default_factory=dict, metadata={"spread": _SUBJECT_KEYS})
    stage: str | None = None
    message: str
    user_roles: tuple[str, ...] = ()
    required_roles: tuple[str, ...] = ()
    policy_hash: str | None = None

    def __post_init__(self) -> None:
        if not set(self.subject) <= set(_SUBJECT_KEYS):
            raise ValueError(f"ActionDenied subject keys must be among {_SUBJECT_KEYS}")


@dataclass(frozen=True, kw_only=True)
class RolledBack(EventData):
    TYPE: ClassVar[str] = "RolledBack"
    asset: str
    reason: str = ""
    stage: str
    from_number: int
    to_number: int
    policy_hash: str | None = None
    #: an automatic response, not a person's decision: ``{"rule", "alert_seq"}`` (the policy rule that fired and
    #: the alert it answered); the actor is the principal whose recorded batch raised the alert, who signs it
    automatic: Json | None = _omit()


@dataclass(frozen=True, kw_only=True)
class VersionRetired(_OfVersion):
    TYPE: ClassVar[str] = "VersionRetired"
    reason: str
    replaced_by: str | None = None
    from_stage: str | None = None
    served: tuple[Json, ...] = ()  # {"stage", "entered", "left"} per stage served
    policy_hash: str | None = None
    promoted_to: str | None = _omit()  # replaced_by enters this (deploy) stage in the same event
    allow_empty: bool | None = _omit()  # retired from the deploy stage with no replacement, on purpose


# -- monitoring ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class BatchMonitored(_OfVersion):
    TYPE: ClassVar[str] = "BatchMonitored"
    ref_: str = field(metadata={"key": "ref"})
    observed_at: str
    rows: int
    baseline: Json
    policy_hash: str | None = None
    level: str
    findings: tuple[Json, ...] = ()
    evidence: Json
    sketch: str
    blobs: tuple[str, ...] = ()
    prediction_baseline: str | None = _omit()


@dataclass(frozen=True, kw_only=True)
class AlertRaised(_OfVersion):
    TYPE: ClassVar[str] = "AlertRaised"
    ref_: str = field(metadata={"key": "ref"})
    batch_seq: int
    findings: tuple[Json, ...]
    response: str
    policy_hash: str | None = None


@dataclass(frozen=True, kw_only=True)
class RevalidationCleared(_OfVersion):
    TYPE: ClassVar[str] = "RevalidationCleared"
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReviewRecorded(_OfVersion):
    TYPE: ClassVar[str] = "ReviewRecorded"
    ref_: str = field(metadata={"key": "ref"})
    summary: str
    lessons: tuple[str, ...] = ()
    criteria_changes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class VersionRerun(_OfVersion):
    """A tracked run that reproduced version ``number`` unchanged (same content, params, inputs and source):
    recorded against that version instead of creating a new one. ``run`` holds the run's own facts."""

    TYPE: ClassVar[str] = "VersionRerun"
    run: Json = field(default_factory=dict)  # run_id, started_at, duration_s, execution_count, notebook


@dataclass(frozen=True, kw_only=True)
class ContentErased(EventData):
    """Rows erased from dataset versions (``reg.erase``, retention). ``versions``: one entry per erased version,
    ``{"asset", "number", "rows", "successor"}`` (rows removed; the redacted version replacing it, or None);
    ``key_hashes``: HMAC-SHA256 of each erased key under the registry's erasure secret (never the keys);
    ``blobs``: the blobs removed; ``records``: record blobs of kept versions replaced by filtered copies
    (``{"asset", "number", "field", "old", "new"}``). Never any row's values."""

    TYPE: ClassVar[str] = "ContentErased"
    reason: str
    basis: str = ""
    versions: tuple[Json, ...] = ()
    key_hashes: tuple[str, ...] = ()
    blobs: tuple[str, ...] = ()
    records: tuple[Json, ...] = ()
    rule: str | None = _omit()  # the retention rule that asked for it (retention erasures)


@dataclass(frozen=True, kw_only=True)
class ErasureAccepted(_OfVersion):
    """A model trained on erased data is accepted as it is (the ``erasure`` gate check then passes)."""

    TYPE: ClassVar[str] = "ErasureAccepted"
    reason: str


#: wire type -> class: every event type there is, in one table (``events.EVENT_TYPES`` is its keys).
EVENT_CLASSES: Mapping[str, type[EventData]] = {
    c.TYPE: c
    for c in (
        VersionCreated,
        TagAdded,
        TagRemoved,
        AliasSet,
        PolicySet,
        PromotionRequested,
        PromotionApproved,
        PromotionRejected,
        VersionPromoted,
        PromotionRefused,
        ActionDenied,
        RolledBack,
        VersionRetired,
        BatchMonitored,
        AlertRaised,
        RevalidationCleared,
        ReviewRecorded,
        VersionRerun,
        ContentErased,
        ErasureAccepted,
    )
}


def parse_data(event_type: str, data: Json) -> EventData:
    """The typed event for a stored event's ``type`` and ``data``. Raises ``ValueError`` for an unknown type."""
    cls = EVENT_CLASSES.get(event_type)
    if cls is None:
        raise ValueError(f"unknown event type {event_type!r}")
    return cls.from_data(data)
