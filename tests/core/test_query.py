"""The search query language: parsing, positioned errors, matching; hypothesis properties for the parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle_ext.core.errors import QueryError, UsageInputError
from lifecycle_ext.core.query import And, Compare, Lineage, Not, Or, matches, parse

REC = {
    "kind": "model",
    "name": "churn-clf",
    "number": 3,
    "stage": "staging",
    "author": "alice",
    "created_at": "2026-11-30T10:00:00+00:00",
    "tags": ["baseline", "exp-7"],
    "params": {"C": 0.5, "solver": "lbfgs"},
    "metrics": {"accuracy": 0.93, "f1": 0.71},
    "metadata": {"team": "risk", "source": {"system": "crm"}},
    "object_type": "sklearn.linear_model.LogisticRegression",
    "inputs": ["dataset:churn@2"],
    "size": 1200,
}
DATA = {"kind": "dataset", "name": "churn", "number": 2, "metadata": {"licence": "CC-BY-4.0"}, "inputs": []}


def up(rec):
    return [DATA] if rec is REC else []


def down(rec):
    return [REC] if rec is DATA else []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("params.C = 0.5 and metrics.accuracy > 0.9", True),
        ("metrics.accuracy > 0.9 and params.C = 1", False),
        ("metrics.accuracy >= 0.93 and metrics.f1 < 0.8", True),
        ("params.solver = lbfgs", True),
        ('params.solver = "liblinear" or kind = model', True),
        ("not kind = model", False),
        ("kind = model and (stage = production or stage = staging)", True),
        ("name ~ 'churn*'", True),
        ("name ~ 'fraud*'", False),
        ("asset = model:churn-clf and version = 3", True),
        ("tag = baseline", True),
        ("tag != baseline", False),
        ("tag ~ 'exp-*'", True),
        ("author in (bob, alice)", True),
        ("created >= 2026-11-01 and created < 2026-12-01", True),
        ("created > 2027", False),
        ("metadata.team = risk and meta.source.system = crm", True),
        ("metrics.recall exists", False),
        ("metrics.recall missing", True),
        ("metrics.recall < 1", False),  # a comparison on an absent field is false, whatever the operator
        ("not metrics.recall < 1", True),
        ("retired = false", True),
        ("size > 1000 and type ~ 'sklearn.*'", True),
        ("trained_on dataset:churn@2", True),
        ("trained_on dataset:churn@1", False),
        ("trained_on dataset:churn", True),
        ('upstream.licence = "CC-BY-4.0"', True),
        ("upstream.metadata.licence = MIT", False),
        ("upstream.kind = dataset", True),
        ("derived_from dataset:churn@2", True),
        ("feeds dataset:churn", False),
        ("params.C = '0.5'", True),  # a quoted number compares with a numeric param as a number
        ("KIND = model AND Stage = staging", True),  # keywords and built-in field names ignore case
    ],
)
def test_queries_match_a_record(query, expected):
    assert matches(parse(query), REC, upstream=up, downstream=down) is expected


def test_downstream_predicates_on_the_dataset():
    assert matches(parse("feeds model:churn-clf@3"), DATA, upstream=up, downstream=down)
    assert matches(parse("downstream.metrics.accuracy > 0.9"), DATA, upstream=up, downstream=down)


def test_precedence_and_binds_tighter_than_or():
    tree = parse("kind = a or kind = b and not kind = c")
    assert isinstance(tree, Or) and isinstance(tree.items[1], And) and isinstance(tree.items[1].items[1], Not)


@pytest.mark.parametrize(
    ("query", "column", "needle"),
    [
        ("metrics.accuracy > and", 20, "expected a value after '>'"),
        ("params.C =", 11, "expected a value"),
        ("foo = 1", 1, "unknown field 'foo'"),
        ("(kind = model", 14, "expected ')' to close the '(' at column 1"),
        ('kind = "model', 8, "unterminated string"),
        ("kind = model or", 16, "ends where a condition was expected"),
        ("trained_on churn", 12, "needs a reference"),
        ("kind & model", 6, "unexpected character '&'"),
        ("kind model", 6, "expected an operator"),
        ("kind = model stage = x", 14, "expected 'and', 'or'"),
        ("", 1, "empty"),
        ("params = 1", 1, "params needs a key"),
        ("name ~ 3", 8, "glob"),
        ("tag in (a b)", 11, "expected ',' or ')'"),
    ],
)
def test_malformed_queries_name_the_column(query, column, needle):
    with pytest.raises(QueryError) as info:
        parse(query)
    err = info.value
    assert isinstance(err, UsageInputError)  # the surfaces' 400 / exit 2
    assert err.position == column - 1, str(err)
    assert needle in str(err) and f"column {column}" in str(err)
    caret_line = str(err).splitlines()[-1]
    assert caret_line.index("^") == 2 + err.position  # the caret sits under the problem


# -- properties ----------------------------------------------------------------------------------------
_names = st.sampled_from(["accuracy", "f1", "C", "loss_2"])
_numbers = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
_ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])


@st.composite
def comparisons(draw):
    prefix = draw(st.sampled_from(["params", "metrics", "metadata"]))
    name, op, num = draw(_names), draw(_ops), draw(_numbers)
    return f"{prefix}.{name} {op} {num!r}", (prefix, name, op, num)


@given(comparisons(), st.dictionaries(_names, _numbers, max_size=4))
@settings(max_examples=200, deadline=None)
def test_numeric_comparison_agrees_with_python(comp, bag):
    text, (prefix, name, op, num) = comp
    tree = parse(text)
    assert isinstance(tree, Compare) and tree.field == (prefix, name) and tree.value == num
    rec = {"kind": "m", "name": "x", "number": 1, prefix: bag}
    if name not in bag:
        assert matches(tree, rec) is False
        return
    have = bag[name]
    py = {
        "=": have == num,
        "!=": have != num,
        "<": have < num,
        "<=": have <= num,
        ">": have > num,
        ">=": have >= num,
    }[op]
    assert matches(tree, rec) is py


@st.composite
def trees(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(comparisons())[0]
    op = draw(st.sampled_from(["and", "or", "not"]))
    if op == "not":
        return f"not ({draw(trees(depth - 1))})"
    return f"({draw(trees(depth - 1))}) {op} ({draw(trees(depth - 1))})"


@given(trees(), st.dictionaries(_names, _numbers, max_size=4))
@settings(max_examples=150, deadline=None)
def test_not_negates_and_parentheses_do_not_change_meaning(text, bag):
    rec = {"kind": "m", "name": "x", "number": 1, "params": bag, "metrics": bag, "metadata": bag}
    assert matches(parse(f"not ({text})"), rec) is (not matches(parse(text), rec))
    assert matches(parse(f"(({text}))"), rec) is matches(parse(text), rec)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_any_text_parses_or_raises_a_positioned_query_error(text):
    try:
        parse(text)
    except QueryError as err:
        assert 0 <= err.position <= len(text)
        assert f"column {err.position + 1}" in str(err)


@given(st.text(alphabet=st.characters(blacklist_characters='"\\', blacklist_categories=("Cs",)), max_size=20))
@settings(max_examples=100, deadline=None)
def test_quoted_strings_round_trip(value):
    tree = parse(f'metadata.note = "{value}"')
    assert isinstance(tree, Compare) and tree.value == value
    assert matches(tree, {"metadata": {"note": value}})


def test_lineage_node_keeps_the_reference():
    assert parse("trained_on 'dataset:churn@3'") == Lineage("trained_on", "dataset:churn@3", 0)
