"""The documentation fields of a version (``intended_use``, ``out_of_scope_use``, ``risks``) and the
``documentation`` gate check that requires them.

They are optional metadata keys, checked when a version is saved (``reg.save(..., metadata={"intended_use": ...})``):
``intended_use`` and ``out_of_scope_use`` are non-empty text, ``risks`` is a non-empty text or a list of them. A
policy makes them required for a stage with ``[[gates.production]] type = "documentation"`` (``fields`` names
other metadata keys to require instead). Model cards, the CycloneDX model card and the Annex IV outline use them.
"""

from __future__ import annotations

from typing import Any

from .errors import UsageInputError
from .gate_context import FAIL, PASS, CheckResult, GateContext, OptionError, only_keys
from .policy import Check

__all__ = ["DOC_FIELDS", "validate_doc_fields", "validate_documentation", "eval_documentation"]

DOC_FIELDS = ("intended_use", "out_of_scope_use", "risks")


def _text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def validate_doc_fields(metadata: dict[str, Any]) -> None:
    """Raise :class:`UsageInputError` naming the field when a documentation field has the wrong shape."""
    for key in ("intended_use", "out_of_scope_use"):
        if key in metadata and not _text(metadata[key]):
            raise UsageInputError(f"metadata {key!r} must be non-empty text, got {metadata[key]!r}")
    if "risks" in metadata:
        risks = metadata["risks"]
        ok = _text(risks) or (isinstance(risks, list) and bool(risks) and all(_text(r) for r in risks))
        if not ok:
            raise UsageInputError(
                f"metadata 'risks' must be non-empty text or a list of non-empty texts, got {risks!r}"
            )


def validate_documentation(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, {"fields"})
    fields = opts.get("fields", list(DOC_FIELDS))
    if not isinstance(fields, list) or not fields or not all(_text(f) for f in fields):
        raise OptionError("fields must be a non-empty list of metadata keys", "fields")


def eval_documentation(check: Check, ctx: GateContext) -> CheckResult:
    fields = list(check.options.get("fields", DOC_FIELDS))
    md = ctx.record.get("metadata") or {}
    missing = [f for f in fields if md.get(f) in (None, "", [])]
    evidence = {"required": fields, "missing": missing}
    if missing:
        return CheckResult(
            check.name,
            check.type,
            FAIL,
            f"missing documentation field(s): {', '.join(missing)} (save them in the version's metadata)",
            evidence,
        )
    return CheckResult(check.name, check.type, PASS, f"documented: {', '.join(fields)}", evidence)
