import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle_ext.core.errors import InvalidRef
from lifecycle_ext.core.refs import MAX_NAME_LENGTH, parse_ref, validate_name


@pytest.mark.parametrize(
    "text,kind,name,version,number",
    [
        ("model:churn@3", "model", "churn", "3", 3),
        ("model:churn@v3", "model", "churn", "v3", 3),
        ("dataset:team/a.b-c_d@latest", "dataset", "team/a.b-c_d", "latest", None),
        ("label_schema:x@production", "label_schema", "x", "production", None),
        ("pipeline:p", "pipeline", "p", None, None),
        ("model:m@deadbeef00", "model", "m", "deadbeef00", None),
    ],
)
def test_parse_valid(text, kind, name, version, number):
    r = parse_ref(text)
    assert (r.kind, r.name, r.version, r.number) == (kind, name, version, number)
    assert str(r) == text


def test_hash_prefix_forms():
    assert parse_ref("model:m@xxh3-128:abcdef12").hash_prefix == "abcdef12"
    assert parse_ref("model:m@abcdef").hash_prefix == "abcdef"
    assert parse_ref("model:m@12").hash_prefix is None


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("", "empty"),
        ("churn@3", "no kind"),
        ("gizmo:churn@3", "unknown kind"),
        ("model:../etc/passwd", "'..'"),
        ("model:/abs", "may not start"),
        ("model:a//b", "empty"),
        ("model:a b", "contains"),
        ("model:a@", "no version"),
        ("model:a@1@2", "more than one"),
        ("model:a@!!", "not a number"),
        ("model:" + "x" * (MAX_NAME_LENGTH + 1), "limit"),
        ("model:a\\b", "contains"),
        ("model:a\x00b", "contains"),
    ],
)
def test_invalid_refs_name_the_problem(text, fragment):
    with pytest.raises(InvalidRef) as exc:
        parse_ref(text)
    assert fragment in str(exc.value)


@given(st.text(max_size=60))
def test_validate_name_never_accepts_path_tricks(name):
    try:
        validate_name(name)
    except InvalidRef:
        return
    parts = name.split("/")
    assert ".." not in parts and not name.startswith("/") and "" not in parts
    assert all(c.isascii() and (c.isalnum() or c in "-_./") for c in name)
