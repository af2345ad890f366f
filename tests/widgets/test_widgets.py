"""Widget state and actions against a real registry on disk (ipywidgets without a front end)."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

import lifecycle_ext
from lifecycle_ext import PermissionDenied
from lifecycle_ext.widgets import AssetBrowser, GateStatusWidget, LineageWidget, VersionDiffWidget, widget_for


def test_approve_button_records_an_approval_by_the_current_user(built, clock, monkeypatch):
    path, _ = built
    monkeypatch.setenv("LIFECYCLE_USER", "bob")
    reg = lifecycle_ext.open_registry(path, clock=clock)
    gw = GateStatusWidget("model:churn@2", to="staging", registry=reg)
    assert gw.ref == "model:churn@2" and gw.to == "staging"
    assert not gw.buttons["approve"].disabled and not gw.buttons["reject"].disabled
    assert gw.buttons["promote"].disabled  # bob is a reviewer, not a data scientist
    assert "may not promote" in gw.buttons["promote"].tooltip
    assert "review" in gw.checks.value and "&#8230; pending" in gw.checks.value
    gw.reason.value = "looks good"
    gw.buttons["approve"].click()
    fresh = lifecycle_ext.open_registry(path)  # what is on disk
    req = fresh.state["requests"]["model:churn@2>staging"]
    assert [(a["user"], a["reason"]) for a in req["approvals"]] == [("bob", "looks good")]
    assert "lifecycle-ok" in gw.message.value
    assert gw.reason.value == ""
    assert "&#10004; pass" in gw.checks.value  # refreshed: the approvals check passes now
    gw.close()


def test_author_promotes_after_approval_and_widget_refreshes(built, clock):
    path, reg = built
    reg.as_user("bob").approve("model:churn@2", "staging", reason="ok")
    gw = GateStatusWidget("model:churn@2", to="staging", registry=reg)  # alice, the author
    assert gw.buttons["approve"].disabled and "alice may not approve" in gw.buttons["approve"].tooltip
    assert not gw.buttons["promote"].disabled
    gw.reason.value = "ready"
    gw.buttons["promote"].click()
    assert reg.get("model:churn@2").stage == "staging"
    assert gw.buttons["promote"].disabled  # already there now
    assert "already at staging" in gw.checks.value
    gw.close()


def test_user_without_role_sees_disabled_buttons_and_service_refuses(built, clock, monkeypatch):
    path, _ = built
    monkeypatch.setenv("LIFECYCLE_USER", "eve")
    reg = lifecycle_ext.open_registry(path, clock=clock)
    gw = GateStatusWidget("model:churn@2", to="staging", registry=reg)
    assert all(b.disabled for b in gw.buttons.values())
    assert "eve may not approve" in gw.buttons["approve"].tooltip
    n = len(reg.audit())
    gw.act("approve")  # what a forged click would do: the service refuses and records the attempt
    assert "lifecycle-error" in gw.message.value and "PermissionDenied" in gw.message.value
    audit = reg.audit()
    assert len(audit) == n + 1 and audit.iloc[-1]["action"] == "ActionDenied"
    assert (
        "model:churn@2>staging" not in reg.state.get("requests", {})
        or not reg.state["requests"]["model:churn@2>staging"]["approvals"]
    )
    with pytest.raises(PermissionDenied):
        reg.approve("model:churn@2", "staging", reason="x")
    gw.close()


def test_failing_promotion_shows_the_error_in_the_widget(built):
    _, reg = built
    gw = GateStatusWidget("model:churn@1", to="staging", registry=reg)
    gw.buttons["promote"].click()
    assert "GateFailed" in gw.message.value and "lifecycle-error" in gw.message.value
    assert reg.get("model:churn@1").stage is None  # displaced from development by @2; not promoted
    gw.close()


def test_permissions_shape(built):
    _, reg = built
    got = reg.as_user("bob").permissions("model:churn@2", to="staging")["actions"]
    assert set(got) == {"promote", "request_promotion", "approve", "reject", "force", "rollback", "retire"}
    assert got["approve"] == {"allowed": True, "reason": ""}
    assert got["promote"]["allowed"] is False and "requires role" in got["promote"]["reason"]


def test_version_diff_widget_has_five_tabs_with_changes(built):
    _, reg = built
    dw = VersionDiffWidget("model:churn@1", "model:churn@2", registry=reg)
    titles = [dw.tabs.get_title(i) for i in range(len(dw.tabs.children))]
    assert titles == ["params", "metrics", "data changes", "source", "environment"]
    params, metrics = dw.tabs.children[0].value, dw.tabs.children[1].value
    assert "lr" in params and "&lt;script&gt;" in params and "<script>" not in params
    assert "accuracy" in metrics and "0.9" in metrics
    dw.close()


def test_lineage_widget_columns_and_node_click(built):
    _, reg = built
    lw = LineageWidget("model:churn@2", registry=reg)
    assert [[b.tooltip for b in col.children] for col in lw.columns.children] == [
        ["dataset:churn@1"],
        ["model:churn@2"],
    ]
    assert "[development]" in lw.node_buttons["model:churn@2"].description
    assert "model:churn@2" in lw.detail.value
    lw.node_buttons["dataset:churn@1"].click()
    assert lw.selected == "dataset:churn@1" and "dataset:churn@1" in lw.detail.value
    assert "gold" in lw.detail.value
    lw.close()


def test_asset_browser_filters(built):
    _, reg = built
    ab = AssetBrowser(registry=reg)
    assert [v for _, v in ab.assets.options] == ["dataset:churn", "model:churn"]
    assert [v for _, v in ab.kind.options] == ["", "dataset", "model"]
    ab.tag.value = "gold"
    assert [v for _, v in ab.assets.options] == ["dataset:churn"]
    ab.tag.value = ""
    ab.metadata.value = "owner"
    assert [v for _, v in ab.assets.options] == ["model:churn"]
    versions_table = ab.detail.value.split("<svg")[0]
    assert ">@2<" in versions_table and ">@1<" not in versions_table
    ab.metadata.value = ""
    ab.kind.value = "model"
    assert ab.assets.value == "model:churn" and "<svg" in ab.detail.value  # metric history
    ab.name.value = "zzz"
    assert ab.assets.options == () and "no assets match" in ab.detail.value
    ab.close()


def test_widget_for_maps_results_to_widgets(built):
    _, reg = built
    w = widget_for(reg.gates("model:churn@2", "staging"), reg)
    assert isinstance(w, GateStatusWidget) and w.to == "staging"
    assert isinstance(widget_for(reg.lineage("model:churn@2"), reg), LineageWidget)
    assert isinstance(widget_for(reg.diff("model:churn@1", "model:churn@2"), reg), VersionDiffWidget)
    assert widget_for(reg.get("model:churn@2"), reg) is None
    assert widget_for("text", reg) is None


def test_closed_widget_is_collectable(built):
    import ipywidgets

    _, reg = built
    gw = GateStatusWidget("model:churn@2", to="staging", registry=reg)
    ids = [gw.model_id] + [c.model_id for c in gw._owned]
    ref = weakref.ref(gw)
    gw.close()
    del gw
    gc.collect()
    assert ref() is None
    live = ipywidgets.widgets.widget._instances
    assert not set(ids) & set(live)


def test_widgets_package_import_is_lazy():
    import subprocess

    code = (
        "import sys, lifecycle_ext, lifecycle_ext.widgets; "
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_gate_widget_says_who_it_acts_as_and_warns_when_not_the_jupyter_user(built, clock, monkeypatch):
    """Issue 14: a notebook widget never acts as a different person from the sidebar without saying so."""
    path, _ = built
    monkeypatch.setenv("LIFECYCLE_USER", "bob")
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    gw = GateStatusWidget("model:churn@2", to="staging", registry=lifecycle_ext.open_registry(path, clock=clock))
    assert "acting as <b>bob</b>" in gw.user.value and "&#9888;" not in gw.user.value
    gw.close()
    monkeypatch.setenv("JUPYTERHUB_USER", "carol")
    gw = GateStatusWidget("model:churn@2", to="staging", registry=lifecycle_ext.open_registry(path, clock=clock))
    assert "&#9888; not carol, the Jupyter user the sidebar acts as" in gw.user.value
    gw.close()


def test_widgets_name_who_they_act_as_and_refuse_to_act_as_another_person_unconfirmed(built, clock, monkeypatch):
    """Issue 14: the server extension publishes the name the sidebar acts as ($LIFECYCLE_JUPYTER_USER, inherited
    by kernels); a widget acting as somebody else warns naming both, and Approve does nothing until confirmed."""
    path, _ = built
    monkeypatch.setenv("LIFECYCLE_USER", "bob")  # the kernel acts as bob (a reviewer)
    monkeypatch.setenv("LIFECYCLE_JUPYTER_USER", "carol")  # the sidebar on the same page acts as carol
    reg = lifecycle_ext.open_registry(path, clock=clock)
    gw = GateStatusWidget("model:churn@2", to="staging", registry=reg)
    assert "acting as <b>bob</b>" in gw.user.value
    assert "&#9888; not carol, the Jupyter user the sidebar acts as" in gw.user.value
    assert gw.confirm.layout.display != "none" and gw.confirm.description == "act as bob, not carol"
    assert gw.buttons["approve"].disabled and "sidebar acts as carol" in gw.buttons["approve"].tooltip
    gw.reason.value = "looks good"
    assert gw.act("approve") is None  # what a click would do, even with the button re-enabled by hand
    assert "acts as bob, but the Jupyter sidebar acts as carol" in gw.message.value
    assert not lifecycle_ext.open_registry(path).state["requests"]["model:churn@2>staging"]["approvals"]
    gw.confirm.value = True  # "act as bob, not carol"
    assert not gw.buttons["approve"].disabled
    gw.buttons["approve"].click()
    req = lifecycle_ext.open_registry(path).state["requests"]["model:churn@2>staging"]
    assert [a["user"] for a in req["approvals"]] == ["bob"]
    gw.close()
    # the read-only widgets say it too
    for widget in (
        AssetBrowser(registry=reg),
        LineageWidget("model:churn@2", registry=reg),
        VersionDiffWidget("model:churn@1", "model:churn@2", registry=reg),
    ):
        assert "acting as <b>bob</b>" in widget.user.value and "not carol" in widget.user.value
        widget.close()
    # the same person: no warning, no confirmation needed
    monkeypatch.setenv("LIFECYCLE_JUPYTER_USER", "bob")
    gw = GateStatusWidget("model:churn@2", to="staging", registry=lifecycle_ext.open_registry(path, clock=clock))
    assert "&#9888;" not in gw.user.value and gw.confirm.layout.display == "none"
    assert not gw.buttons["reject"].disabled
    gw.close()
