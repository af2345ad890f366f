"""Typed read access to the folded state: :class:`VersionRecord` and the lookups every fold handler shares.

The state stays plain JSON-able data (checkpoints are a JSON snapshot of it), so a version record is a
``dict`` subclass: ``rec["kind"]`` keeps working while code moves to ``rec.kind`` and ``rec.ref``. The fold
(:mod:`.state`) creates every record it stores through :meth:`VersionRecord.of`, and a checkpoint read back
turns its version dicts into records again, so a state never mixes the two.
"""

from __future__ import annotations

from typing import Any

from .refs import version_ref

__all__ = ["State", "Event", "VersionRecord", "version_record", "asset_state"]

State = dict[str, Any]
Event = dict[str, Any]


class VersionRecord(dict[str, Any]):
    """One version as the fold keeps it: a JSON object with typed, read-only properties.

    Keys written by ``VersionCreated``: kind, name, number, parent, content_hash, meta_hash, object_type,
    summary, size, new_bytes, params, metrics, metadata, inputs, tags, note, record (plus what save hooks
    add: blobs, baseline, dataset, ...); by the fold: created_at, author, seq, stage; later events add
    history, deployment, rolled_back, retired, retirement, revalidation, reviews, prediction_baseline.
    The properties read these keys; writes go through the fold only.
    """

    __slots__ = ()

    @classmethod
    def of(cls, data: dict[str, Any]) -> VersionRecord:
        """``data`` as a record (itself when it already is one)."""
        return data if isinstance(data, cls) else cls(data)

    def copy(self) -> VersionRecord:  # dict.copy would return a plain dict
        return type(self)(self)

    # -- identity ----------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return str(self["kind"])

    @property
    def name(self) -> str:
        return str(self["name"])

    @property
    def number(self) -> int:
        return int(self["number"])

    @property
    def asset(self) -> str:
        """``kind:name``."""
        return f"{self['kind']}:{self['name']}"

    @property
    def ref(self) -> str:
        """``kind:name@number``, the exact reference of this version."""
        return version_ref(self["kind"], self["name"], self["number"])

    @property
    def parent(self) -> int | None:
        p = self.get("parent")
        return None if p is None else int(p)

    @property
    def parent_ref(self) -> str | None:
        p = self.parent
        return None if p is None else version_ref(self["kind"], self["name"], p)

    # -- content -----------------------------------------------------------------------------------
    @property
    def content_hash(self) -> str:
        return str(self["content_hash"])

    @property
    def meta_hash(self) -> str | None:
        v = self.get("meta_hash")
        return None if v is None else str(v)

    @property
    def object_type(self) -> str | None:
        v = self.get("object_type")
        return None if v is None else str(v)

    @property
    def size(self) -> int:
        return int(self.get("size") or 0)

    @property
    def summary(self) -> dict[str, Any]:
        return dict(self.get("summary") or {})

    # -- who and when ------------------------------------------------------------------------------
    @property
    def created_at(self) -> str:
        return str(self["created_at"])

    @property
    def author(self) -> str:
        return str(self["author"])

    @property
    def seq(self) -> int:
        """Sequence number of the ``VersionCreated`` event."""
        return int(self["seq"])

    # -- metadata (copies: the record itself changes only through the fold) -----------------------------
    @property
    def params(self) -> dict[str, Any]:
        return dict(self.get("params") or {})

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.get("metrics") or {})

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.get("metadata") or {})

    @property
    def record(self) -> dict[str, Any]:
        """The creation record (source, seeds, configs, environment...)."""
        return dict(self.get("record") or {})

    @property
    def note(self) -> str:
        return str(self.get("note") or "")

    @property
    def inputs(self) -> tuple[str, ...]:
        """Exact references of the versions this one was made from."""
        return tuple(self.get("inputs") or ())

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.get("tags") or ())

    @property
    def blobs(self) -> tuple[str, ...]:
        """Other blobs this version references (creation record files, monitoring sketches...)."""
        return tuple(self.get("blobs") or ())

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def stage(self) -> str | None:
        v = self.get("stage")
        return None if v is None else str(v)

    @property
    def history(self) -> tuple[dict[str, Any], ...]:
        """``{"stage", "entered", "left"}`` for each stage this version served in, oldest first."""
        return tuple(dict(h) for h in self.get("history") or ())

    @property
    def deployment(self) -> dict[str, Any] | None:
        v = self.get("deployment")
        return None if v is None else dict(v)

    @property
    def retired(self) -> bool:
        return bool(self.get("retired"))

    @property
    def retirement(self) -> dict[str, Any] | None:
        v = self.get("retirement")
        return None if v is None else dict(v)

    @property
    def rolled_back(self) -> dict[str, Any] | None:
        v = self.get("rolled_back")
        return None if v is None else dict(v)

    @property
    def revalidation_required(self) -> bool:
        return bool((self.get("revalidation") or {}).get("required"))


def asset_state(state: State, asset: str) -> dict[str, Any] | None:
    """``{"kind", "name", "versions", "stages", "aliases"}`` of ``asset`` (``kind:name``), or None."""
    a: dict[str, Any] | None = state["assets"].get(asset)
    return a


def version_record(state: State, asset: str, number: int) -> VersionRecord | None:
    a = asset_state(state, asset)
    if a is None or not 1 <= number <= len(a["versions"]):
        return None
    rec: VersionRecord = a["versions"][number - 1]
    return rec
