"""The search query language: parse a query into a typed tree and match version records against it.

Pure (standard library only). :func:`parse` turns text into a :data:`Node`; :func:`matches` decides whether one
version record (the fold's ``VersionRecord`` mapping) satisfies it, given two functions that return the
records upstream and downstream of a record (the registry's lineage). Malformed queries raise
:class:`~.errors.QueryError` naming the column.

Grammar (keywords are case-insensitive)::

    query      := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | "(" query ")" | lineage | comparison
    lineage    := ("trained_on" | "derived_from" | "feeds") REF
    comparison := FIELD OP value | FIELD "in" "(" value ("," value)* ")" | FIELD ("exists" | "missing")
    OP         := "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "~"
    value      := NUMBER | "quoted string" | 'quoted string' | bare-word | true | false

Fields: ``params.KEY``, ``metrics.KEY``, ``metadata.KEY`` (or ``meta.KEY``), ``kind``, ``name``, ``asset``
(``KIND:NAME``), ``ref``, ``version`` (the number), ``stage``, ``author``, ``created`` (ISO-8601 text, so
``created >= 2026-11-01`` compares dates), ``tag``, ``type`` (the stored object type), ``note``, ``retired``,
``size``; ``upstream.FIELD`` / ``downstream.FIELD`` hold when some version up/downstream (transitively)
satisfies the comparison -- there a bare key that is not a field is a metadata key (``upstream.licence``).

Semantics: ``~`` is a glob (``name ~ "churn*"``); ``tag = x`` means "has tag x", ``tag != x`` "has not";
numbers compare as numbers, text as text (a number compared with a text field compares its spelling, so
``created > 2026`` works); a comparison on a field the version lacks is false, whatever the operator
(use ``not`` or ``missing``). ``trained_on REF`` holds when REF is a direct input (``KIND:NAME`` for any
version of it); ``derived_from REF`` when REF is anywhere upstream; ``feeds REF`` when REF is downstream.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from .errors import QueryError

__all__ = [
    "Compare",
    "Member",
    "Presence",
    "Lineage",
    "Not",
    "And",
    "Or",
    "Node",
    "FIELDS",
    "PREFIXES",
    "LINEAGE_PREDICATES",
    "parse",
    "matches",
    "field_value",
    "MISSING",
]

#: fields with one value per version (the record key each reads)
FIELDS: Mapping[str, str] = {
    "kind": "kind",
    "name": "name",
    "asset": "asset",
    "ref": "ref",
    "version": "number",
    "stage": "stage",
    "author": "author",
    "created": "created_at",
    "created_at": "created_at",
    "tag": "tags",
    "tags": "tags",
    "type": "object_type",
    "note": "note",
    "retired": "retired",
    "size": "size",
}
#: prefixes that take a key: ``params.C``
PREFIXES: Mapping[str, str] = {"params": "params", "metrics": "metrics", "metadata": "metadata", "meta": "metadata"}
LINEAGE_PREDICATES = ("trained_on", "derived_from", "feeds")
_WALKS = ("upstream", "downstream")
_OPS = ("=", "==", "!=", "<", "<=", ">", ">=", "~")
_KEYWORDS = {"and", "or", "not", "in", "exists", "missing", "true", "false"}


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


# -- the tree ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Compare:
    """``field op value``; ``field`` is the path (``("params", "C")``, ``("upstream", "metadata", "licence")``)."""

    field: tuple[str, ...]
    op: str
    value: Any
    text: str  # the value as written (for text comparisons of number literals)
    pos: int = 0


@dataclass(frozen=True)
class Member:
    """``field in (v1, v2, ...)``."""

    field: tuple[str, ...]
    values: tuple[Any, ...]
    pos: int = 0


@dataclass(frozen=True)
class Presence:
    """``field exists`` (present=True) or ``field missing``."""

    field: tuple[str, ...]
    present: bool
    pos: int = 0


@dataclass(frozen=True)
class Lineage:
    """``trained_on REF`` / ``derived_from REF`` / ``feeds REF``."""

    predicate: str
    ref: str
    pos: int = 0


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


Node = Union[Compare, Member, Presence, Lineage, Not, And, Or]


# -- tokens --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Tok:
    kind: str  # "word", "string", "op", "(", ")", ",", "end"
    text: str
    pos: int
    value: Any = None


_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_BARE = re.compile(r"[A-Za-z0-9_.:@*?\-+/\[\]]+")
_OP = re.compile(r"==|!=|<=|>=|=|<|>|~")


def _tokens(query: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
            continue
        if c in "(),":
            out.append(_Tok(c, c, i))
            i += 1
            continue
        if c in "\"'":
            j, buf = i + 1, []
            while j < n and query[j] != c:
                if query[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(query[j])
                j += 1
            if j >= n:
                raise QueryError(f"unterminated string (opened with {c})", query, i)
            out.append(_Tok("string", query[i : j + 1], i, "".join(buf)))
            i = j + 1
            continue
        m = _OP.match(query, i)
        if m:
            out.append(_Tok("op", m.group(), i))
            i = m.end()
            continue
        m = _BARE.match(query, i)
        if m:
            out.append(_Tok("word", m.group(), i))
            i = m.end()
            continue
        raise QueryError(f"unexpected character {c!r}", query, i)
    out.append(_Tok("end", "", n))
    return out


# -- the parser ----------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.toks = _tokens(query)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, message: str, tok: _Tok | None = None) -> QueryError:
        return QueryError(message, self.query, (tok or self.peek()).pos)

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok.kind == "word" and tok.text.lower() == word:
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("the query is empty")
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(f"expected 'and', 'or' or the end of the query, not {tok.text!r}")
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while self.keyword("or"):
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.unary()]
        while self.keyword("and"):
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "end":
            raise self.error("the query ends where a condition was expected")
        if self.keyword("not"):
            return Not(self.unary())
        if tok.kind == "(":
            self.take()
            node = self.or_()
            close = self.peek()
            if close.kind != ")":
                raise self.error(f"expected ')' to close the '(' at column {tok.pos + 1}", close)
            self.take()
            return node
        if tok.kind != "word" or tok.text.lower() in _KEYWORDS:
            raise self.error(f"expected a field name or '(', not {tok.text!r}" if tok.text else "expected a field")
        word = tok.text
        if word.lower() in LINEAGE_PREDICATES:
            self.take()
            ref = self.take()
            if ref.kind not in ("word", "string") or ":" not in (ref.value if ref.kind == "string" else ref.text):
                raise self.error(f"{word.lower()} needs a reference like dataset:churn@3", ref)
            return Lineage(word.lower(), ref.value if ref.kind == "string" else ref.text, tok.pos)
        self.take()
        path = self.field(word, tok)
        if self.keyword("in"):
            return Member(path, self.value_list(), tok.pos)
        if self.keyword("exists"):
            return Presence(path, True, tok.pos)
        if self.keyword("missing"):
            return Presence(path, False, tok.pos)
        op = self.peek()
        if op.kind != "op":
            raise self.error(f"expected an operator (= != < <= > >= ~, in, exists) after {word!r}", op)
        self.take()
        val = self.peek()
        if val.kind not in ("word", "string") or (val.kind == "word" and val.text.lower() in ("and", "or", "not")):
            raise self.error(f"expected a value after {op.text!r}", val)
        self.take()
        value, text = self.literal(val)
        if op.text == "~" and not isinstance(value, str):
            raise self.error("~ matches text against a glob pattern; quote the pattern", val)
        return Compare(path, "=" if op.text == "==" else op.text, value, text, tok.pos)

    def value_list(self) -> tuple[Any, ...]:
        open_ = self.peek()
        if open_.kind != "(":
            raise self.error("expected '(' after 'in'", open_)
        self.take()
        values = []
        while True:
            val = self.peek()
            if val.kind not in ("word", "string"):
                raise self.error("expected a value in the list", val)
            self.take()
            values.append(self.literal(val)[0])
            sep = self.take()
            if sep.kind == ")":
                return tuple(values)
            if sep.kind != ",":
                raise self.error("expected ',' or ')' in the list", sep)

    def literal(self, tok: _Tok) -> tuple[Any, str]:
        if tok.kind == "string":
            return tok.value, tok.value
        low = tok.text.lower()
        if low in ("true", "false"):
            return low == "true", low
        if _NUMBER.fullmatch(tok.text):
            num = float(tok.text)
            return (int(num) if num.is_integer() and "." not in tok.text and "e" not in low else num), tok.text
        return tok.text, tok.text

    def field(self, word: str, tok: _Tok) -> tuple[str, ...]:
        head, _, rest = word.partition(".")
        head = head.lower()
        if head in _WALKS:
            if not rest:
                raise self.error(f"{head} needs a field: {head}.metadata.licence, {head}.kind, ...", tok)
            inner_head = rest.partition(".")[0].lower()
            if inner_head in FIELDS or inner_head in PREFIXES or inner_head in _WALKS:
                return (head, *self.field(rest, tok))
            return (head, "metadata", rest)  # upstream.licence: a metadata key
        if head in PREFIXES:
            if not rest:
                raise self.error(f"{head} needs a key: {head}.NAME", tok)
            return (PREFIXES[head], rest)
        if head in FIELDS and not rest:
            return (FIELDS[head],)
        known = ", ".join([*FIELDS, *(f"{p}.KEY" for p in PREFIXES), "upstream.FIELD", "downstream.FIELD"])
        raise self.error(f"unknown field {word!r}; fields are {known}", tok)


def parse(query: str) -> Node:
    """Parse ``query`` into a tree; raise :class:`QueryError` (with the column) when it is malformed."""
    if not isinstance(query, str):
        raise QueryError(f"a query must be text, not {type(query).__name__}", "", 0)
    return _Parser(query).parse()


# -- matching ------------------------------------------------------------------------------------------
Related = Callable[[Mapping[str, Any]], Iterable[Mapping[str, Any]]]


def _none(_: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    return ()


def field_value(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` (a parsed field without walks) in a version record, or :data:`MISSING`."""
    key = path[0]
    if key in ("params", "metrics", "metadata"):
        bag = record.get(key) or {}
        if path[1] in bag:
            return bag[path[1]]
        cur: Any = bag  # a dotted key reaching into nested values: metadata.source.system
        for part in path[1].split("."):
            if not isinstance(cur, Mapping) or part not in cur:
                return MISSING
            cur = cur[part]
        return cur
    if key == "asset":
        return f"{record.get('kind')}:{record.get('name')}"
    if key == "ref":
        return f"{record.get('kind')}:{record.get('name')}@{record.get('number')}"
    if key == "retired":
        return bool(record.get("retired"))
    value = record.get(key)
    return MISSING if value is None else value


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _compare(actual: Any, op: str, value: Any, text: str) -> bool:
    if actual is MISSING or actual is None:
        return False
    if isinstance(actual, (list, tuple)):  # tags: = means "has", != "has not", ~ "some matches"
        if op == "!=":
            return not any(_compare(a, "=", value, text) for a in actual)
        return any(_compare(a, op, value, text) for a in actual)
    if op == "~":
        return isinstance(actual, str) and fnmatch.fnmatchcase(actual, str(value))
    if isinstance(actual, bool) or isinstance(value, bool):
        same = isinstance(actual, bool) and isinstance(value, bool) and actual == value
        return same if op == "=" else (not same) if op == "!=" else False
    if _is_number(actual) and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return op == "!="
    if isinstance(actual, str) and _is_number(value):
        value = text
    if _is_number(actual) and _is_number(value):
        if isinstance(actual, float) and math.isnan(actual):
            return op == "!="
    elif not (isinstance(actual, str) and isinstance(value, str)):
        return op == "!="  # a list, a mapping: not equal to a scalar, not ordered against it
    if op == "=":
        return bool(actual == value)
    if op == "!=":
        return bool(actual != value)
    if op == "<":
        return bool(actual < value)
    if op == "<=":
        return bool(actual <= value)
    if op == ">":
        return bool(actual > value)
    return bool(actual >= value)


def _walk(record: Mapping[str, Any], step: Related) -> list[Mapping[str, Any]]:
    """Every record reachable from ``record`` through ``step`` (breadth first, each once)."""
    seen: set[tuple[Any, Any, Any]] = set()
    out: list[Mapping[str, Any]] = []
    frontier = list(step(record))
    while frontier:
        nxt: list[Mapping[str, Any]] = []
        for r in frontier:
            key = (r.get("kind"), r.get("name"), r.get("number"))
            if key in seen:
                continue
            seen.add(key)
            out.append(r)
            nxt.extend(step(r))
        frontier = nxt
    return out


def _ref_matches(pattern: str, record: Mapping[str, Any]) -> bool:
    asset = f"{record.get('kind')}:{record.get('name')}"
    if "@" not in pattern:
        return fnmatch.fnmatchcase(asset, pattern)
    want_asset, _, number = pattern.rpartition("@")
    return fnmatch.fnmatchcase(asset, want_asset) and str(record.get("number")) == number


def matches(node: Node, record: Mapping[str, Any], *, upstream: Related = _none, downstream: Related = _none) -> bool:
    """Whether version ``record`` satisfies ``node``; ``upstream(r)``/``downstream(r)`` give the records one
    lineage step away from ``r`` (its inputs; the versions that name it as an input)."""

    def m(n: Node, rec: Mapping[str, Any]) -> bool:
        if isinstance(n, And):
            return all(m(i, rec) for i in n.items)
        if isinstance(n, Or):
            return any(m(i, rec) for i in n.items)
        if isinstance(n, Not):
            return not m(n.item, rec)
        if isinstance(n, Lineage):
            if n.predicate == "trained_on":
                return any(_ref_matches(n.ref, r) for r in upstream(rec))
            step = upstream if n.predicate == "derived_from" else downstream
            return any(_ref_matches(n.ref, r) for r in _walk(rec, step))
        if n.field[0] in _WALKS:
            step = upstream if n.field[0] == "upstream" else downstream
            inner: Node
            if isinstance(n, Compare):
                inner = Compare(n.field[1:], n.op, n.value, n.text, n.pos)
            elif isinstance(n, Member):
                inner = Member(n.field[1:], n.values, n.pos)
            else:
                inner = Presence(n.field[1:], n.present, n.pos)
            return any(m(inner, r) for r in _walk(rec, step))
        actual = field_value(rec, n.field)
        if isinstance(n, Presence):
            return (actual is not MISSING) == n.present
        if isinstance(n, Member):
            return any(_compare(actual, "=", v, str(v)) for v in n.values)
        return _compare(actual, n.op, n.value, n.text)

    return m(node, record)
