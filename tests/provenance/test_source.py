from __future__ import annotations

from lifecycle_ext.provenance.source import analyse, source_hash


def test_free_names_in_first_read_order_excluding_names_bound_earlier_and_builtins() -> None:
    info = analyse("X = df.values\nmodel.fit(X, y)\nprint(len(X))\nz = [w for w in ws if w > t]\n")
    assert info.reads == ["df", "model", "y", "ws", "t"]
    assert info.binds == ["X", "z"]


def test_augassign_and_self_reference_read_the_old_value() -> None:
    assert analyse("n += 1\n").reads == ["n"]
    assert analyse("df = df.dropna()\n").reads == ["df"]
    assert analyse("cfg['a'] = 1\n").reads == ["cfg"]


def test_function_bodies_read_their_free_names_only() -> None:
    info = analyse("def f(a):\n    b = a + k\n    return b\nf(v)\nlam = lambda q: q * s\n")
    assert info.reads == ["k", "v", "s"]
    assert "f" in info.binds and "lam" in info.binds


def test_imports_bind_names() -> None:
    assert analyse("import numpy as np\nfrom os import path\nnp.zeros(1); path.join(a)\n").reads == ["a"]


def test_seed_literals_found_by_ast() -> None:
    src = (
        "clf = RF(random_state=42)\nrng = np.random.default_rng(7)\ntorch.manual_seed(3)\n"
        "split(X, seed=s)\nrandom.seed(99)\n"
    )
    lits = [(d["name"], d["value"]) for d in analyse(src).seed_literals]
    assert lits == [
        ("random_state", 42),
        ("default_rng()", 7),
        ("manual_seed()", 3),
        ("seed", {"expr": "s"}),
        ("seed()", 99),
    ]


def test_syntax_errors_are_reported_not_raised() -> None:
    info = analyse("def (:\n")
    assert info.reads == [] and info.syntax_error and "line 1" in info.syntax_error


def test_source_hash_is_exact() -> None:
    assert source_hash("a = 1\n") != source_hash("a = 1")
    assert source_hash("x").startswith("sha256:")
