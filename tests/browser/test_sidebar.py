"""The Lifecycle sidebar in a real JupyterLab, driven by Debian's chromium (screenshots in tests/output/).

The sidebar is the compact list: a version clicked there opens (or focuses) the main-area workspace on that
version's page, where the record, gates, actions, audit timeline and diff are; the sidebar keeps a one-version
summary with "Open in workspace"."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

import lifecycle_ext

PANEL = "#jp-lifecycle-panel"
WS = "#jp-lifecycle-workspace"
MAIN = "#jp-main-dock-panel #jp-lifecycle-workspace-main"


def _is_head_poll(request) -> bool:
    """The sidebar's poll (not the notification watcher's, ``head?from=notifications``, which runs regardless)."""
    return "/lifecycle/api/head" in request.url and "from=notifications" not in request.url


def _open_version(page, asset: str, ref: str):
    """Click ``ref`` in the sidebar's list; return the workspace's version page it opened (main area)."""
    head = page.locator(f'{PANEL} .jp-lifecycle-asset[data-asset="{asset}"] .jp-lifecycle-asset-head')
    row = page.locator(f'{PANEL} .jp-lifecycle-version[data-ref="{ref}"]')
    if not row.is_visible():
        head.click()
    row.click()
    version = page.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="{ref}"]')
    version.wait_for(state="visible")
    return version


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
    page.wait_for_function(
        "document.querySelector('#jp-lifecycle-panel .jp-lifecycle-asset').dataset.asset.startsWith('model:fraud')"
    )
    shot(page, "01-search")
    assert not page.js_errors


def test_a_version_clicked_in_the_sidebar_opens_its_page_in_the_workspace(open_lab, shot, hostile):
    page = open_lab("alice")
    version = _open_version(page, "model:churn", "model:churn@1")
    # the page is in the main area (one widget), the sidebar keeps the list and a compact summary only
    expect(page.locator(MAIN)).to_have_count(1)
    expect(page.locator(f"{PANEL} .jp-lifecycle-version.jp-mod-selected")).to_have_attribute(
        "data-ref", "model:churn@1"
    )
    summary = page.locator(f'{PANEL} .jp-lifecycle-summary[data-ref="model:churn@1"]')
    expect(summary).to_be_visible()
    expect(summary.locator(".jp-lifecycle-open-in-workspace")).to_be_visible()
    expect(summary).to_contain_text("accuracy 0.95")
    for duplicated in (".jp-lifecycle-kv", ".jp-lifecycle-gates", ".jp-lifecycle-actions", "[data-card]"):
        assert page.locator(f"{PANEL} {duplicated}").count() == 0, duplicated
    text = version.inner_text()
    assert "accuracy" in text and "0.95" in text
    expect(version.locator('[data-card="lineage"] .jp-lifecycle-ws-node[data-ref="dataset:churn@2"]')).to_be_visible()
    # hostile note and request reason: shown literally, never parsed as HTML (sidebar and workspace)
    assert hostile["note"] in text
    assert hostile["reason"] in version.locator(".jp-lifecycle-event-reason").all_text_contents()
    assert page.locator(f"{PANEL} img[src='x'], {PANEL} script, {WS} img[src='x'], {WS} script").count() == 0
    assert page.evaluate("window.__pwned") is None
    shot(page, "02-version-detail")

    # another version from the sidebar: the same workspace widget, now on that page
    ds = _open_version(page, "dataset:churn", "dataset:churn@2")
    expect(page.locator(MAIN)).to_have_count(1)
    expect(summary).to_have_count(0)
    ds.locator(".jp-lifecycle-ws-diff-parent").click()
    diff = ds.locator(".jp-lifecycle-typed-diff")
    expect(diff).to_contain_text("dataset:churn@1 \u2192 dataset:churn@2")
    diff.scroll_into_view_if_needed()
    shot(page, "02b-diff")

    # closed workspace: the summary's "Open in workspace" opens it again on the highlighted version
    page.locator(
        '.lm-DockPanel-tabBar .lm-TabBar-tab[data-id="jp-lifecycle-workspace-main"] .lm-TabBar-tabCloseIcon'
    ).click()
    expect(page.locator(MAIN)).to_have_count(0)
    page.locator(f'{PANEL} .jp-lifecycle-summary[data-ref="dataset:churn@2"] .jp-lifecycle-open-in-workspace').click()
    expect(page.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="dataset:churn@2"]')).to_be_visible()
    # ...and a click in the list moves that one workspace to the clicked version (no second widget)
    page.locator(f'{PANEL} .jp-lifecycle-version[data-ref="dataset:churn@1"]').click()
    expect(page.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="dataset:churn@1"]')).to_be_visible()
    expect(page.locator(MAIN)).to_have_count(1)
    assert not page.js_errors


def test_viewer_sees_actions_disabled_with_the_reason(open_lab, shot):
    page = open_lab("victor")
    version = _open_version(page, "model:churn", "model:churn@1")
    version.locator(".jp-lifecycle-gates").wait_for(state="visible")
    for action in ("approve", "promote", "request_promotion", "reject", "rollback", "retire"):
        button = version.locator(f'button[data-action="{action}"]')
        assert button.is_disabled(), action
        assert button.get_attribute("title").startswith("Not allowed:")
    why = version.locator(".jp-lifecycle-why").all_text_contents()
    assert any("victor" in w and "reviewer" in w for w in why), why
    version.locator(".jp-lifecycle-actions").scroll_into_view_if_needed()
    shot(page, "03-viewer-disabled")


def test_approver_approves_the_pending_request_and_promotes(open_lab, lab, shot):
    page = open_lab("carol")
    version = _open_version(page, "model:churn", "model:churn@1")
    assert version.locator(".jp-lifecycle-target").input_value() == "staging"
    gates = version.locator(".jp-lifecycle-gates")
    gates.wait_for(state="visible")
    assert gates.get_attribute("data-passed") == "false"  # the approval is still missing
    assert "Acting as carol" in version.inner_text()  # the version page says who it acts as (issue 14)
    assert page.locator(".jp-lifecycle-panel .jp-lifecycle-user").inner_text() == "Acting as carol"  # the sidebar too
    approve = version.locator('button[data-action="approve"]')
    assert approve.is_enabled()
    approve.click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("textarea").fill("reviewed the metrics <b>ok</b>")
    shot(page, "04-reason-dialog")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(page.locator(f'{WS} .jp-lifecycle-ws-message[data-level="success"]')).to_be_visible()
    expect(version.locator(".jp-lifecycle-gates")).to_have_attribute("data-passed", "true")
    version.locator('button[data-action="promote"]').click()
    page.locator(".jp-Dialog textarea").fill("gates pass")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    expect(version.locator(".jp-lifecycle-current-stage")).to_have_text("staging")
    # the sidebar's list follows (it polls the event head)
    expect(
        page.locator(f'{PANEL} .jp-lifecycle-version[data-ref="model:churn@1"] .jp-lifecycle-badge').first
    ).to_have_text("staging")
    expect(version.locator(".jp-lifecycle-event-reason", has_text="reviewed the metrics <b>ok</b>")).to_have_count(1)
    version.locator(".jp-lifecycle-detail-title").scroll_into_view_if_needed()
    shot(page, "05-promoted")
    reg = lifecycle_ext.open_registry(lab["registry"])
    assert reg.get("model:churn@1").stage == "staging"
    audit = reg.audit("model:churn@1")
    assert {"carol"} <= set(audit["actor"])
    # on to production: the dialog also asks for the deployment record's known limitations
    expect(version.locator(".jp-lifecycle-target")).to_have_value("production")
    version.locator('button[data-action="promote"]').click()
    page.locator(".jp-Dialog .jp-lifecycle-reason-text").fill("release 1")
    page.locator(".jp-Dialog .jp-lifecycle-extra-text").fill("tested on EU customers only")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    expect(version.locator(".jp-lifecycle-current-stage")).to_have_text("production")
    expect(version.locator('[data-card="deployment"]')).to_contain_text("tested on EU customers only")
    shot(page, "06-deployed")
    assert not page.js_errors


def test_refused_action_shows_the_servers_error_and_gate_report(open_lab, lab, shot):
    # in development, so staging is the next stage (the page disables stage skips); accuracy 0.5 < 0.9
    lifecycle_ext.open_registry(lab["registry"], user="alice").promote(
        "model:fraud-detector.v2/eu_west@1", to="development", reason="first cut"
    )
    page = open_lab("alice")
    version = _open_version(page, "model:fraud-detector.v2/eu_west", "model:fraud-detector.v2/eu_west@1")
    assert version.locator(".jp-lifecycle-target").input_value() == "staging"
    expect(version.locator(".jp-lifecycle-gates")).to_have_attribute("data-passed", "false")
    version.locator('button[data-action="promote"]').click()
    page.locator(".jp-Dialog textarea").fill("try")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    status = page.locator(f'{WS} .jp-lifecycle-ws-message[data-level="error"]')
    expect(status).to_contain_text("Promote failed")
    # the report is shown once, in the Promotion card, with the failing check's evidence; not in the banner too
    assert status.locator(".jp-lifecycle-check").count() == 0
    failed = version.locator('[data-card="promotion"] .jp-lifecycle-check[data-status="fail"]').all_text_contents()
    assert any("accuracy" in c for c in failed), failed
    reg = lifecycle_ext.open_registry(lab["registry"])
    assert reg.get("model:fraud-detector.v2/eu_west@1").stage == "development"
    shot(page, "07-refused")


def test_new_version_saved_elsewhere_appears_without_clicking_refresh(open_lab, lab, shot):
    """The panel polls the event head (2 s, backing off to 30 s; a key or click in the page, or showing the
    panel, polls again at once / within 2 s) and picks up a version a notebook saved into the registry."""
    page = open_lab("alice")
    reg = lifecycle_ext.open_registry(lab["registry"], user="alice")
    n = len(reg.versions("dataset:churn")) + 1
    head = page.locator(f'{PANEL} .jp-lifecycle-asset[data-asset="dataset:churn"] .jp-lifecycle-asset-head')
    head.click()  # expand: a click is also activity, so the next poll comes within 2 s
    page.locator(f'{PANEL} .jp-lifecycle-version[data-ref="dataset:churn@{n - 1}"]').wait_for(state="visible")
    page.evaluate("window.__samePage = true")  # no reload happens below
    t0 = time.monotonic()
    reg.save({"rows": [1, 2, 3, 4, 5]}, "dataset:churn", metadata={"source": "crm"}, tags=["crm"])
    page.locator(f'{PANEL} .jp-lifecycle-version[data-ref="dataset:churn@{n}"]').wait_for(
        state="visible", timeout=15000
    )  # worst case: poll at 2 s misses the save, the next comes 4 s later
    seen_after = time.monotonic() - t0
    assert f"v{n}" in head.inner_text()
    assert page.evaluate("window.__samePage") is True
    shot(page, "08-polled-new-version")

    # hidden panel: no polling; showing it again checks at once
    tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jp-lifecycle-panel"]')
    tab.click()
    page.locator(PANEL).wait_for(state="hidden")
    reg.save({"rows": [6]}, "dataset:churn", metadata={"source": "crm"}, tags=["crm"])
    # wait for the poll a visible panel would send within 2 s (the click above was activity): none may come
    with pytest.raises(PlaywrightTimeoutError):
        page.wait_for_event("request", predicate=_is_head_poll, timeout=3000)
    assert page.locator(f'{PANEL} .jp-lifecycle-version[data-ref="dataset:churn@{n + 1}"]').count() == 0
    tab.click()
    page.locator(f'{PANEL} .jp-lifecycle-version[data-ref="dataset:churn@{n + 1}"]').wait_for(
        state="visible", timeout=10000
    )
    assert seen_after < 15
    assert not page.js_errors


_CONTRAST_JS = """
([scope, selectors]) => {
  const rgba = s => {
    const srgb = s.match(/^color\\(srgb ([^)]+)\\)/);  // what color-mix() computes to
    if (srgb) {
      const p = srgb[1].split(/[\\s\\/]+/).filter(Boolean).map(Number);
      return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
    }
    const m = s.match(/rgba?\\(([^)]+)\\)/);
    if (!m) throw new Error('unparsed colour ' + s);
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3]));
  const background = el => {  // composite every ancestor's background, page first
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.push(e);
    let c = [255, 255, 255];
    for (const e of chain.reverse()) c = over(rgba(getComputedStyle(e).backgroundColor), c);
    return c;
  };
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const root = document.querySelector(scope);
  const resolve = (prop, value) => {  // a theme variable as the browser computes it, inside the panel
    const probe = document.createElement('div');
    probe.style[prop] = value;
    root.appendChild(probe);
    const out = getComputedStyle(probe)[prop];
    probe.remove();
    return out;
  };
  const out = {
    panelBackground: getComputedStyle(root).backgroundColor,
    panelColor: getComputedStyle(root).color,
    layoutColor1: resolve('backgroundColor', 'var(--jp-layout-color1)'),
    uiFontColor1: resolve('color', 'var(--jp-ui-font-color1)'),
    items: []
  };
  for (const sel of selectors) {
    for (const el of root.querySelectorAll(sel)) {
      const bg = background(el);
      const fg = over(rgba(getComputedStyle(el).color), bg);
      const [a, b] = [lum(fg), lum(bg)];
      out.items.push({ sel, text: el.textContent.slice(0, 40), fg: a, bg: b, stage: el.dataset.stage,
                       ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) });
    }
  }
  return out;
}
"""


_THEMED = [
    ".jp-lifecycle-version",
    ".jp-lifecycle-vnum",
    ".jp-lifecycle-muted",
    ".jp-lifecycle-badge",
    ".jp-lifecycle-summary h2",
    ".jp-lifecycle-summary-metrics",
]


def _check_theme_colours(page, dark: bool) -> None:
    got = page.evaluate(_CONTRAST_JS, [PANEL, _THEMED])
    # the panel's colours are the theme's variables, so they follow the theme
    assert got["panelBackground"] == got["layoutColor1"]
    assert got["panelColor"] == got["uiFontColor1"]
    items = got["items"]
    for sel in _THEMED:
        assert any(i["sel"] == sel for i in items), f"nothing rendered for {sel}"
    rows = [i for i in items if i["sel"] == ".jp-lifecycle-version"]
    assert all((i["fg"] > i["bg"]) == dark for i in rows), rows  # light on dark, or dark on light
    assert len([i for i in items if i["sel"] == ".jp-lifecycle-badge"]) >= 2
    # every row (the selected one too), badge and the summary: WCAG AA contrast, 3:1 for the muted secondary text
    low = [i for i in items if i["ratio"] < (3 if i["sel"] == ".jp-lifecycle-muted" else 4.5)]
    assert not low, low


def test_panel_colours_follow_the_theme_and_stay_readable_light_and_dark(open_lab, lab, shot):
    page = open_lab("carol")
    assert page.evaluate("document.body.dataset.jpThemeLight") == "true"
    _open_version(page, "model:churn", "model:churn@1")
    _check_theme_colours(page, dark=False)
    settings = "lab/api/settings/@jupyterlab/apputils-extension:themes"
    _api(lab, settings, "PUT", {"raw": json.dumps({"theme": "JupyterLab Dark"})})
    try:
        page = open_lab("carol")
        page.wait_for_function("document.body.dataset.jpThemeName === 'JupyterLab Dark'")
        assert page.evaluate("document.body.dataset.jpThemeLight") == "false"
        _open_version(page, "model:churn", "model:churn@1")
        shot(page, "09-dark-theme")
        _check_theme_colours(page, dark=True)
    finally:
        _api(lab, settings, "PUT", {"raw": json.dumps({"theme": "JupyterLab Light"})})
    assert not page.js_errors


def test_mismatched_server_says_so_instead_of_listing_assets(open_lab, mismatched_lab, shot):
    from lifecycle_ext.server import API_VERSION

    server = _api(mismatched_lab, "lifecycle/api/version")
    assert server["api"] != API_VERSION  # the test-only extension's seam took effect...
    assert len(_api(mismatched_lab, "lifecycle/api/assets")["assets"]) == 3  # ...and nothing else is broken
    page = open_lab("alice", server=mismatched_lab, ready=".jp-lifecycle-connect-error")
    error = page.locator(f"{PANEL} .jp-lifecycle-connect-error")
    text = error.inner_text()
    assert "Version mismatch" in text, text
    assert f"speaks API {server['api']}" in text and f"this sidebar speaks API {API_VERSION}" in text
    assert "Reinstall lifecycle-ext" in text
    assert page.locator(f"{PANEL} .jp-lifecycle-kind, {PANEL} .jp-lifecycle-asset").count() == 0
    assert "Version mismatch" in page.locator(f'{PANEL} .jp-lifecycle-status[data-level="error"]').inner_text()
    with page.expect_response(lambda r: "/lifecycle/api/version" in r.url):  # refresh retries the handshake
        page.locator(f"{PANEL} .jp-ToolbarButtonComponent[title='Refresh the registry view']").click()
    expect(error).to_contain_text("Version mismatch")
    expect(page.locator(f"{PANEL} .jp-lifecycle-asset")).to_have_count(0)
    shot(page, "10-version-mismatch")
    assert not page.js_errors


def _api(server, path: str, method: str = "GET", body=None, token: str = "tok-carol"):
    req = urllib.request.Request(
        server["url"] + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read().decode()
    return json.loads(text) if text else None
