"""Adding a storable type is one module: a toy codec registered here round-trips through a real registry."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import lifecycle_ext
from lifecycle_ext.core.errors import UnsupportedType
from lifecycle_ext.storage import codecs
from lifecycle_ext.storage.codecs import Codec, registered_codec
from lifecycle_ext.storage.payload import Payload, restore_array


class Toy:
    """A small custom class holding a list of numbers (stands in for a framework model)."""

    def __init__(self, values: list[float]) -> None:
        self.values = list(values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Toy) and other.values == self.values


def encode_toy(toy: Toy) -> Payload:
    p = Payload("toy")
    p.attrs["values"] = p.add_array("values", np.asarray(toy.values, dtype=np.float64))
    p.finish()
    return p


def decode_toy(group, attrs, dest):
    return Toy(restore_array(group, attrs["values"]).tolist())


TOY = Codec(
    "toy",
    "tests.Toy (a list of numbers)",
    encode_toy,
    decode_toy,
    types=(Toy,),
    summary=lambda t: {"n": len(t.values), "total": float(sum(t.values))},
    diff=lambda a, b: f"{len(a.values)} -> {len(b.values)} values",
)


@pytest.fixture
def toy_codec():
    with registered_codec(TOY) as codec:
        yield codec


def test_toy_codec_round_trips_through_a_registry(toy_codec, tmp_path):
    reg = lifecycle_ext.open_registry(tmp_path / "reg")
    v = reg.save(Toy([1.0, 2.5, 3.0]), "model:toy")
    assert v.object_type == "toy"
    assert reg.get(v.ref).summary == {"n": 3, "total": 6.5}
    assert reg.load(v.ref) == Toy([1.0, 2.5, 3.0])
    assert reg.save(Toy([1.0, 2.5, 3.0]), "model:toy").ref == v.ref  # same content: the same version
    assert codecs.describe_difference(Toy([1]), Toy([1, 2])) == "1 -> 2 values"
    assert "tests.Toy (a list of numbers)" in codecs.supported()


def test_unregistering_restores_the_unsupported_type_error(tmp_path):
    reg = lifecycle_ext.open_registry(tmp_path / "reg")
    with registered_codec(TOY):
        ref = reg.save(Toy([4.0]), "model:toy").ref
    with pytest.raises(UnsupportedType, match="cannot store an object of type .*Toy.*supported:") as exc:
        reg.save(Toy([4.0]), "model:toy")
    assert "Toy (a list of numbers)" not in str(exc.value)
    assert "numpy.ndarray" in str(exc.value)
    with pytest.raises(UnsupportedType, match="'toy' is not known"):
        reg.load(ref)
    with registered_codec(TOY):  # the stored version is readable again once the codec is back
        assert reg.load(ref) == Toy([4.0])


def test_registration_does_not_leak_between_tests():
    assert "toy" not in {c.object_type for c in codecs.registered_codecs()}


def test_priority_decides_and_replacing_a_builtin_is_restored():
    class Tagged(np.ndarray):
        pass

    def enc(arr):
        p = Payload("tagged")
        p.attrs["data"] = p.add_array("data", np.asarray(arr))
        p.finish()
        return p

    tagged = np.arange(3).view(Tagged)
    assert codecs.codec_for(tagged).object_type == "ndarray"
    low = Codec("tagged", "Tagged", enc, lambda g, a, d: restore_array(g, a["data"]).view(Tagged), types=(Tagged,))
    with registered_codec(low):
        assert codecs.codec_for(tagged).object_type == "ndarray"  # equal priority: the built-in came first
    high = Codec("tagged", "Tagged", low.encode, low.decode, types=(Tagged,), priority=10)
    with registered_codec(high):
        assert codecs.codec_for(tagged) is high
        assert codecs.codec_for(np.arange(3)).object_type == "ndarray"
    builtin = codecs.codec_named("ndarray")
    with pytest.raises(ValueError, match="already registered"):
        codecs.register_codec(Codec("ndarray", "x", enc, low.decode, types=(Tagged,)))
    with registered_codec(Codec("ndarray", "x", enc, low.decode, types=(Tagged,)), replace=True):
        assert codecs.codec_named("ndarray") is not builtin
    assert codecs.codec_named("ndarray") is builtin
    assert [c.object_type for c in codecs.registered_codecs()][0] == "ndarray"


def test_dotted_type_names_never_import_their_module():
    lazy = Codec("lazy", "not_a_real_pkg.Thing", encode_toy, decode_toy, types=("not_a_real_pkg.sub.Thing",))
    with registered_codec(lazy):
        with pytest.raises(UnsupportedType):
            codecs.encode(object())
    assert "not_a_real_pkg" not in sys.modules


def test_a_codec_must_declare_what_it_handles_and_write_its_own_type():
    with pytest.raises(ValueError, match="neither types nor an accepts"):
        Codec("nothing", "nothing", encode_toy, decode_toy)
    liar = Codec("liar", "Toy", encode_toy, decode_toy, types=(Toy,))
    with registered_codec(liar), pytest.raises(TypeError, match="payload of type 'toy'"):
        codecs.encode(Toy([1]))


@pytest.mark.parametrize(
    "old,new,expected",
    [
        (np.zeros(3), np.array([0.0, 1.0, 0.0]), "1 of 3 values differ, max abs diff 1"),
        (np.zeros(3), np.zeros(4), "shape/dtype (3,) float64 -> (4,) float64"),
        ({"w": np.zeros(2)}, {"w": np.ones(2)}, "w: 2 of 2 values differ, max abs diff 1"),
        ({"a": 1}, {"b": 1}, "keys removed ['a'] added ['b']"),
        ([1], [2], "values differ"),
        ([1], "x", "type list -> str"),
    ],
)
def test_builtin_diff_hooks(old, new, expected):
    assert codecs.describe_difference(old, new) == expected


def test_builtin_schema_keys():
    assert codecs.schema_keys("ndarray") == ("shape", "dtype")
    assert codecs.schema_keys("no-such-type") == ()
