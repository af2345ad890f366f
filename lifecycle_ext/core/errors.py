"""The one exception tree of lifecycle_ext.

::

    LifecycleError (Exception)
    ├── InvalidRef (ValueError)          a reference or asset name that cannot be parsed or is unsafe
    ├── NotFound (LookupError)           an asset, version, stage or blob that does not exist
    │   └── Erased                       a version whose rows were erased (names the event and the successor)
    ├── IntegrityError                   stored bytes or events do not match their recorded hash
    ├── ConflictError                    a concurrent writer won, or the action conflicts with current state
    ├── UnsupportedType (TypeError)      an object the store cannot save without pickling
    │   └── UntrustedType                a stored model names a type not trusted to load (nothing executed)
    ├── MissingDependency (ImportError)  an optional framework is not installed (names the extra)
    ├── PolicyError (ValueError)         a malformed or inconsistent policy file (names the line)
    ├── PermissionDenied (PermissionError)  the acting user's role does not allow the action
    ├── GateFailed                       a promotion whose gates did not all pass (carries the report)
    └── UsageInputError (ValueError)     any other bad argument (names the argument)
        └── QueryError                   a malformed search query (names the position)

    IntegrityWarning (UserWarning)       a problem found while reading that does not stop reading (a damaged
                                         checkpoint replaced by a replay, a gap in the event log)

Every surface translates these in exactly one place: an HTTP status map in the server's base handler,
``UsageError`` in the magics, an exit code in the CLI.
"""

from __future__ import annotations

__all__ = [
    "LifecycleError",
    "InvalidRef",
    "NotFound",
    "Erased",
    "IntegrityError",
    "ConflictError",
    "UnsupportedType",
    "UntrustedType",
    "MissingDependency",
    "PolicyError",
    "PermissionDenied",
    "GateFailed",
    "UsageInputError",
    "QueryError",
    "IntegrityWarning",
]


class LifecycleError(Exception):
    """Base of every error raised by lifecycle_ext."""


class InvalidRef(LifecycleError, ValueError):
    """A reference (``KIND:NAME@VERSION``) or name that cannot be used."""


class NotFound(LifecycleError, LookupError):
    """The asset, version, stage or object does not exist."""


class Erased(NotFound):
    """The version's content was erased (``reg.erase`` or retention): ``seq`` is the ``ContentErased`` event,
    ``successor`` the redacted version that replaces it (None when every row was erased)."""

    def __init__(self, ref: str, seq: int, reason: str, successor: str | None) -> None:
        instead = f"; load its redacted successor {successor}" if successor else "; it has no successor"
        super().__init__(f"{ref} was erased by event {seq} (reason: {reason or 'none given'}){instead}")
        self.ref = ref
        self.seq = seq
        self.reason = reason
        self.successor = successor


class IntegrityError(LifecycleError):
    """Stored content does not match its content id, or the event chain is broken."""


class ConflictError(LifecycleError):
    """The change conflicts with the registry's current state (e.g. a concurrent writer)."""


class UnsupportedType(LifecycleError, TypeError):
    """The object's type cannot be stored without pickling."""


class UntrustedType(UnsupportedType):
    """A stored model file names types that are not trusted to be loaded; nothing of them was executed."""

    def __init__(self, message: str, types: list[str] | None = None) -> None:
        super().__init__(message)
        self.types = list(types or [])


class MissingDependency(LifecycleError, ImportError):
    """An optional framework (an extra of lifecycle-ext) is needed but not installed."""


class PolicyError(LifecycleError, ValueError):
    """The policy file is malformed; the message names the line and the reason."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


class PermissionDenied(LifecycleError, PermissionError):
    """The acting user's roles do not allow this action."""


class GateFailed(LifecycleError):
    """A promotion was refused because at least one gate check did not pass."""

    def __init__(self, message: str, report: object = None) -> None:
        super().__init__(message)
        self.report = report


class UsageInputError(LifecycleError, ValueError):
    """An argument was not acceptable; the message names it."""


class QueryError(UsageInputError):
    """A search query that cannot be parsed; ``position`` is the 0-based offset of the problem in ``query``.

    The message names the column and draws a caret under it::

        query error at column 20: expected a value after '>'
          metrics.accuracy > and
                             ^
    """

    def __init__(self, message: str, query: str, position: int) -> None:
        position = max(0, min(position, len(query)))
        line = query.replace("\n", " ")
        super().__init__(f"query error at column {position + 1}: {message}\n  {line}\n  {' ' * position}^")
        self.query = query
        self.position = position
        self.reason = message


class IntegrityWarning(UserWarning):
    """Something stored is damaged but reading can go on (the message says what was done instead)."""
