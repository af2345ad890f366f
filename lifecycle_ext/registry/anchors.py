"""Anchors: signed statements of ``{registry id, sequence, head hash}`` kept outside the registry.

``reg.anchor(output=FILE)`` writes one (commit it to the project's git repository, keep it as a CI artifact);
``reg.verify(anchor=FILE)`` then fails, naming the first divergent event, when the log no longer contains that
head at that sequence: a truncation or a rewrite of anything up to the anchor is detected. An anchor also keeps
the hashes of a few earlier events (every one of the last 16, then at power-of-two distances back, and event
0) so a divergence is located, exactly near the head. What happens after the newest anchor is not covered.

The registry id is the hash of event 0. The anchor is signed with the process's key (``signature`` over the
SHA-256 of the canonical JSON of the rest; ``public_key`` says which key) when there is one.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..core.clock import iso
from ..core.errors import IntegrityError, UsageInputError
from ..core.events import canonical
from .context import Service
from .keys import verify_signature

__all__ = ["AnchorService", "ANCHOR_FORMAT"]

ANCHOR_FORMAT = "lifecycle-anchor/1"


def _marks(head: int) -> list[int]:
    seqs = {0, *range(max(0, head - 15), head + 1)}
    d = 16
    while head - d > 0:
        seqs.add(head - d)
        d *= 2
    return sorted(seqs)


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in body.items() if k != "signature"})).hexdigest()


class AnchorService(Service):
    def anchor(self, output: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """The signed anchor of the current head (written to ``output`` when given)."""
        st = self.ctx.state
        if st["seq"] < 0:
            raise UsageInputError("the registry has no events yet: nothing to anchor")
        marks = {str(s): self.ctx.event(s)["hash"] for s in _marks(st["seq"])}
        body: dict[str, Any] = {
            "format": ANCHOR_FORMAT,
            "registry": marks["0"],
            "location": self.ctx.location,
            "seq": st["seq"],
            "head": st["head"],
            "marks": marks,
            "at": iso(self.ctx.clock.now()),
            "by": self.ctx.user,
        }
        key = self.ctx.key
        if key is not None:
            body["public_key"] = key.public
            body["signature"] = key.sign(_digest(body))
        if output is not None:
            Path(output).write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")
        return body

    def check(self, anchor: str | os.PathLike[str] | dict[str, Any]) -> list[str]:
        """What is wrong with the log against ``anchor`` (a file or its parsed content); [] when it holds."""
        doc = _read(anchor)
        problems: list[str] = []
        if "signature" in doc:
            line = str(doc.get("public_key", ""))
            if not verify_signature(line, _digest(doc), doc["signature"]):
                problems.append("the anchor's signature does not verify (the anchor file was edited)")
            else:
                bound = self.ctx.policy_in(self.ctx.state).user_of_fingerprint(doc["signature"]["key"])
                if bound is None and self.ctx.policy_in(self.ctx.state).require_signatures:
                    problems.append("the anchor is signed by a key the policy in force binds to nobody")
        seq, head = int(doc["seq"]), str(doc["head"])
        first = self.ctx.log.read_event(0)
        if first is None or first.get("hash") != doc.get("registry"):
            problems.append("the anchor is for another registry, or event 0 was rewritten")
        stored = self.ctx.log.read_event(seq)
        if stored is None:
            last = self.ctx.log.state["seq"]
            problems.append(
                f"the log is truncated: event {seq}, the head the anchor names, is missing (the log now ends at "
                f"event {last})"
            )
            return problems
        if stored.get("hash") == head:
            return problems
        marks = sorted((int(s), h) for s, h in doc.get("marks", {}).items())
        good = -1
        for s, h in marks:
            ev = self.ctx.log.read_event(s)
            if ev is None or ev.get("hash") != h:
                where = f"event {s}" if s == good + 1 else f"an event in {good + 1}..{s}"
                problems.append(
                    f"the log diverges from the anchor (sequence {seq}, head {head[:12]}): the first divergent "
                    f"event is {where} (rewritten since the anchor was taken)"
                )
                return problems
            good = s
        problems.append(f"event {seq} differs from the anchor's head {head[:12]} (rewritten)")
        return problems


def _read(anchor: str | os.PathLike[str] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(anchor, dict):
        return anchor
    try:
        doc = json.loads(Path(anchor).read_text())
    except OSError as exc:
        raise UsageInputError(f"cannot read the anchor {anchor}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise IntegrityError(f"the anchor {anchor} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != ANCHOR_FORMAT or "seq" not in doc or "head" not in doc:
        raise UsageInputError(f"{anchor} is not a lifecycle anchor (format {ANCHOR_FORMAT})")
    return doc
