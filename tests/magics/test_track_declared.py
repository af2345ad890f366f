"""Issue 16: what ``%%track`` declares about a dataset reaches the gates (licence, source, metadata, a typed
label column under a label schema)."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

LICENCE_POLICY = (
    'version = 1\n[[gates.staging]]\ntype = "lineage"\nkinds = ["model"]\nlicences = ["CC-BY-4.0"]\n'
    '[[gates.validated]]\ntype = "provenance"\nkinds = ["dataset"]\nrequire = ["source", "licence"]\n'
)
FIT = (
    "%%track -o model=model:iris-lr\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from lifecycle_ext.adapters import sklearn_state\n"
    "model = sklearn_state(LogisticRegression(max_iter=300).fit(df.drop(columns='target'), df['target']))\n"
)
IRIS = "from sklearn.datasets import load_iris\ndf = load_iris(as_frame=True).frame\n"


def _check(reg: Any, ref: str, to: str, type_: str) -> Any:
    return next(c for c in reg.gates(ref, to=to).checks if c.type == type_)


def test_kind_meta_licence_passes_the_licence_rule(ip: Any, reg: Any, cell: Any) -> None:
    reg.set_policy(LICENCE_POLICY)
    r = cell("%%track -o df=dataset:iris --kind-meta licence=CC-BY-4.0 --kind-meta source=sklearn\n" + IRIS)
    assert r.error is None, r.error
    assert cell(FIT).error is None
    c = _check(reg, "model:iris-lr@1", "staging", "lineage")
    assert c.status == "pass", c.message
    assert c.evidence["dataset:iris@1"]["licence"] == "CC-BY-4.0"
    p = _check(reg, "dataset:iris@1", "validated", "provenance")
    assert p.status == "pass", p.message
    assert p.evidence == {"source": "sklearn", "licence": "CC-BY-4.0"}


def test_a_tracked_cell_without_a_declared_source_fails_require_source(ip: Any, reg: Any, cell: Any) -> None:
    reg.set_policy(LICENCE_POLICY)
    assert cell("%%track -o df=dataset:iris --kind-meta licence=CC-BY-4.0\n" + IRIS).error is None
    p = _check(reg, "dataset:iris@1", "validated", "provenance")
    assert p.status == "fail" and "source" in p.message  # the cell's own code is not a data source


def test_track_makes_a_typed_licensed_dataset(ip: Any, reg: Any, cell: Any) -> None:
    reg.set_policy(LICENCE_POLICY)
    classes = [{"name": n, "description": f"Iris {n}"} for n in ("setosa", "versicolor", "virginica")]
    reg.save({"classes": classes}, "label_schema:iris-classes")
    r = cell(
        "%%track -o df=dataset:iris --metadata licence=CC-BY-4.0 --metadata pii=false --source sklearn.load_iris "
        "--key id --label species --schema label_schema:iris-classes@1\n"
        "from sklearn.datasets import load_iris\n"
        "b = load_iris(as_frame=True)\n"
        "df = b.frame.assign(species=b.target_names[b.target], id=range(150)).drop(columns='target')\n"
    )
    assert r.error is None, r.error
    d = reg.get("dataset:iris@1")
    assert d.metadata == {"licence": "CC-BY-4.0", "pii": False}
    ds = reg.resolve(d.ref)["dataset"]
    assert (ds["key"], ds["labels"], ds["source"]) == ("id", ["species"], "sklearn.load_iris")
    assert ds["schema"] == "label_schema:iris-classes@1"
    assert d.inputs == ["label_schema:iris-classes@1"]
    assert d.record["kind_record"]["class_distribution"] == {"setosa": 50, "versicolor": 50, "virginica": 50}
    assert _check(reg, d.ref, "validated", "provenance").status == "pass"


def test_track_declarations_are_checked(ip: Any, reg: Any, cell: Any) -> None:
    r = cell("%%track -o df=dataset:iris --key nope\n" + IRIS)
    assert isinstance(r.error, UsageError) and "'nope'" in str(r.error)
    r = cell("%%track -o df=dataset:iris --metadata novalue\n" + IRIS)
    assert isinstance(r.error, UsageError) and "KEY=VALUE" in str(r.error)
    assert reg.state["assets"] == {}
