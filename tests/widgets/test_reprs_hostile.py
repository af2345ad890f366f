"""Every rich repr escapes user text: hostile strings in notes, reasons, metadata and params never appear raw."""

from __future__ import annotations

import pytest

from lifecycle_ext import GateFailed

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'

RAW = ["<script>", "<img src=x", "onerror=alert(1)>"]


def _assert_escaped(html: str) -> None:
    for raw in RAW:
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;img src=x onerror=alert(1)&gt;" in html


def test_every_view_escapes_hostile_text(built):
    _, reg = built
    with pytest.raises(GateFailed):  # refusal recorded with a hostile reason
        reg.promote("model:churn@2", "staging", reason=HOSTILE)
    reg.as_user("bob").approve("model:churn@2", "staging", reason=HOSTILE)
    views = {
        "version": reg.get("model:churn@2"),
        "dataset": reg.get("dataset:churn@1"),
        "gates": reg.gates("model:churn@2", "staging"),
        "explain": reg.explain("model:churn@2"),
        "audit_view": reg.audit_view(),
        "audit_frame": reg.audit(),
        "lineage": reg.lineage("model:churn@2"),
        "history": reg.metric_history("model:churn"),
        "browse": reg.browse(),
        "diff": reg.diff("model:churn@1", "model:churn@2"),
        "policy": reg.policy(),
    }
    for name, view in views.items():
        html = view._repr_html_()
        if name in ("lineage", "history", "policy", "gates"):
            for raw in RAW:
                assert raw not in html, name
        else:
            _assert_escaped(html)
        assert repr(view)  # a plain-text repr exists and does not fail


def test_version_html_shows_stage_badge_and_explain_highlights_changes(built):
    _, reg = built
    html = reg.get("model:churn@2")._repr_html_()
    assert "lifecycle-badge" in html and "development" in html
    ex = reg.explain("model:churn@2")._repr_html_()
    assert 'class="lifecycle-old"' in ex and 'class="lifecycle-new"' in ex
    assert ">0.7<" in ex and ">0.9<" in ex


def test_gate_report_html_has_marks_and_evidence(built):
    _, reg = built
    html = reg.gates("model:churn@1", "staging")._repr_html_()
    assert "&#10008; fail" in html and "<details><summary>evidence</summary>" in html
    assert "accuracy" in html


def test_lineage_svg_lays_out_inputs_left_of_outputs(built):
    _, reg = built
    from lifecycle_ext.registry.views.lineage_layout import columns

    lin = reg.lineage("dataset:churn@1")
    cols = columns(lin)
    assert cols[0] == ["dataset:churn@1"]
    assert set(cols[1]) == {"model:churn@1", "model:churn@2"}
    assert "<svg" in lin._repr_html_() and "development" in lin._repr_html_()


def test_metric_history_marks_stages_reached(built):
    _, reg = built
    h = reg.metric_history("model:churn")
    assert [r["reached"] for r in h.rows] == [["development"], ["development"]]
    assert h.metrics == ["accuracy"]
    assert "<circle" in h._repr_html_() and "reached development" in h.svg()
    assert "@2: accuracy=0.9 reached development" in repr(h)


def test_metric_history_unknown_metric_is_a_clear_error(built):
    _, reg = built
    from lifecycle_ext import NotFound

    with pytest.raises(NotFound, match="no metric 'f1'.*accuracy"):
        reg.metric_history("model:churn", "f1")


def test_browse_filters_by_kind_name_tag_and_metadata(built):
    _, reg = built
    assert [a["asset"] for a in reg.browse().assets] == ["dataset:churn", "model:churn"]
    assert [a["asset"] for a in reg.browse("model").assets] == ["model:churn"]
    assert [a["asset"] for a in reg.browse(tag="gold").assets] == ["dataset:churn"]
    only = reg.browse(metadata="owner")
    assert [v["number"] for v in only.assets[0]["versions"]] == [2]
    assert reg.browse(metadata="licence=MIT").assets[0]["asset"] == "dataset:churn"
    assert len(reg.browse(metadata="licence=GPL")) == 0
    assert len(reg.browse(name="nomatch")) == 0
