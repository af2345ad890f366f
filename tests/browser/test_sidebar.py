"""The Lifecycle sidebar in a real JupyterLab, driven by Debian's chromium (screenshots in tests/output/)."""

from __future__ import annotations

import lifecycle_ext

PANEL = "#jp-lifecycle-panel"


def _open_version(page, asset: str, ref: str):
    page.locator(f'{PANEL} .jp-lifecycle-asset[data-asset="{asset}"] .jp-lifecycle-asset-head').click()
    page.locator(f'{PANEL} .jp-lifecycle-version[data-ref="{ref}"]').click()
    detail = page.locator(f'{PANEL} .jp-lifecycle-detail[data-ref="{ref}"]')
    detail.wait_for(state="visible")
    return detail


def test_panel_lists_assets_by_kind_and_search_finds_them(open_lab, shot):
    page = open_lab("alice")
    kinds = page.locator(f"{PANEL} .jp-lifecycle-kind h2").all_text_contents()
    assert [k.lower() for k in kinds] == ["dataset", "model"]
    assets = page.locator(f"{PANEL} .jp-lifecycle-asset").evaluate_all("els => els.map(e => e.dataset.asset)")
    assert assets == ["dataset:churn", "model:churn", "model:fraud-detector.v2/eu_west"]
    badge = page.locator(f'{PANEL} .jp-lifecycle-asset[data-asset="model:churn"] .jp-lifecycle-badge')
    assert badge.first.text_content() == "development v1"
    page.locator(f"{PANEL} .jp-lifecycle-search").fill("baseline")  # a tag
    page.wait_for_function("document.querySelectorAll('#jp-lifecycle-panel .jp-lifecycle-asset').length === 1")
    assert page.locator(f"{PANEL} .jp-lifecycle-asset").get_attribute("data-asset") == "model:churn"
    page.locator(f"{PANEL} .jp-lifecycle-search").fill("fraud")
    page.wait_for_function("document.querySelector('#jp-lifecycle-panel .jp-lifecycle-asset')"
                           ".dataset.asset.startsWith('model:fraud')")
    shot(page, "01-search")
    assert not page.js_errors


def test_version_detail_shows_record_metrics_lineage_and_hostile_text_as_text(open_lab, shot, hostile):
    page = open_lab("alice")
    detail = _open_version(page, "model:churn", "model:churn@1")
    text = detail.inner_text()
    assert "accuracy" in text and "0.95" in text
    assert "dataset:churn@2" in detail.locator(".jp-lifecycle-link").all_text_contents()
    # hostile note and request reason: shown literally, never parsed as HTML
    assert hostile["note"] in text
    assert hostile["reason"] in detail.locator(".jp-lifecycle-event-reason").all_text_contents()
    assert page.locator(f"{PANEL} img[src='x'], {PANEL} script").count() == 0
    assert page.evaluate("window.__pwned") is None
    shot(page, "02-version-detail")
    # lineage neighbour opens its own detail; its diff against its parent
    detail.locator(".jp-lifecycle-link", has_text="dataset:churn@2").click()
    ds = page.locator(f'{PANEL} .jp-lifecycle-detail[data-ref="dataset:churn@2"]')
    ds.wait_for(state="visible")
    ds.locator("button", has_text="vs parent").click()
    diff = ds.locator(".jp-lifecycle-diff")
    diff.wait_for(state="visible")
    assert "dataset:churn@1 \u2192 dataset:churn@2" in diff.inner_text()
    diff.scroll_into_view_if_needed()
    shot(page, "02b-diff")
    assert not page.js_errors


def test_viewer_sees_actions_disabled_with_the_reason(open_lab, shot):
    page = open_lab("victor")
    detail = _open_version(page, "model:churn", "model:churn@1")
    detail.locator(".jp-lifecycle-gates").wait_for(state="visible")
    for action in ("approve", "promote", "request_promotion", "reject", "rollback", "retire"):
        button = detail.locator(f'button[data-action="{action}"]')
        assert button.is_disabled(), action
        assert button.get_attribute("title").startswith("Not allowed:")
    why = detail.locator(".jp-lifecycle-why").all_text_contents()
    assert any("victor" in w and "reviewer" in w for w in why), why
    detail.locator(".jp-lifecycle-actions").scroll_into_view_if_needed()
    shot(page, "03-viewer-disabled")


def test_approver_approves_the_pending_request_and_promotes(open_lab, lab, shot):
    page = open_lab("carol")
    detail = _open_version(page, "model:churn", "model:churn@1")
    assert detail.locator(".jp-lifecycle-target").input_value() == "staging"
    gates = detail.locator(".jp-lifecycle-gates")
    gates.wait_for(state="visible")
    assert gates.get_attribute("data-passed") == "false"  # the approval is still missing
    approve = detail.locator('button[data-action="approve"]')
    assert approve.is_enabled()
    approve.click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("textarea").fill("reviewed the metrics <b>ok</b>")
    shot(page, "04-reason-dialog")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    page.locator(f'{PANEL} .jp-lifecycle-status[data-level="success"]').wait_for(state="visible")
    page.wait_for_function("document.querySelector('#jp-lifecycle-panel .jp-lifecycle-gates')"
                           "?.dataset.passed === 'true'")
    detail.locator('button[data-action="promote"]').click()
    page.locator(".jp-Dialog textarea").fill("gates pass")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    page.wait_for_function("document.querySelector('#jp-lifecycle-panel .jp-lifecycle-current-stage')"
                           "?.textContent === 'staging'")
    assert page.locator(f'{PANEL} .jp-lifecycle-version[data-ref="model:churn@1"] .jp-lifecycle-badge'
                        ).first.text_content() == "staging"
    assert "reviewed the metrics <b>ok</b>" in detail.locator(".jp-lifecycle-event-reason").all_text_contents()
    page.locator(f"{PANEL} .jp-lifecycle-detail-title").scroll_into_view_if_needed()
    shot(page, "05-promoted")
    reg = lifecycle_ext.open_registry(lab["registry"])
    assert reg.get("model:churn@1").stage == "staging"
    audit = reg.audit("model:churn@1")
    assert {"carol"} <= set(audit["actor"])
    # on to production: the dialog also asks for the deployment record's known limitations
    page.wait_for_function("document.querySelector('#jp-lifecycle-panel .jp-lifecycle-target')?.value === 'production'")
    detail.locator('button[data-action="promote"]').click()
    page.locator(".jp-Dialog .jp-lifecycle-reason-text").fill("release 1")
    page.locator(".jp-Dialog .jp-lifecycle-extra-text").fill("tested on EU customers only")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    page.wait_for_function("document.querySelector('#jp-lifecycle-panel .jp-lifecycle-current-stage')"
                           "?.textContent === 'production'")
    assert "tested on EU customers only" in detail.inner_text()  # the deployment record
    shot(page, "06-deployed")
    assert not page.js_errors


def test_refused_action_shows_the_servers_error_and_gate_report(open_lab, lab, shot):
    page = open_lab("alice")
    detail = _open_version(page, "model:fraud-detector.v2/eu_west", "model:fraud-detector.v2/eu_west@1")
    detail.locator(".jp-lifecycle-target").select_option("staging")  # skips development, accuracy 0.5 < 0.9
    page.wait_for_function("document.querySelector('#jp-lifecycle-panel .jp-lifecycle-gates')"
                           "?.dataset.passed === 'false'")
    detail.locator('button[data-action="promote"]').click()
    page.locator(".jp-Dialog textarea").fill("try")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    status = page.locator(f'{PANEL} .jp-lifecycle-status[data-level="error"]')
    status.wait_for(state="visible")
    assert "Promote failed" in status.inner_text()
    failed = status.locator('.jp-lifecycle-check[data-status="fail"]').all_text_contents()
    assert any("accuracy" in c for c in failed), failed  # the 422 report's checks, with evidence
    reg = lifecycle_ext.open_registry(lab["registry"])
    assert reg.get("model:fraud-detector.v2/eu_west@1").stage is None
    shot(page, "07-refused")
