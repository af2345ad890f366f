"""The Lifecycle workspace in JupyterLab's main area, driven by Debian's chromium against a real ``jupyter lab``:
opened by the command palette command, the asset table filtered and searched, a version page, approval from the
review inbox (and on disk), a notification for a second reviewer, typed dataset diffs, and contrast of chips,
badges and diff cells in the light and dark themes. Screenshots of every page, both themes, in tests/output/."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

import lifecycle_ext

from .test_sidebar import _CONTRAST_JS, _api

WS = "#jp-lifecycle-workspace"
THEMES = "lab/api/settings/@jupyterlab/apputils-extension:themes"


def open_workspace(page, timeout: float = 60_000):
    """Run ``lifecycle:open-workspace`` from the command palette and wait for the asset table."""
    palette = page.locator(".lm-CommandPalette-input")
    deadline = time.monotonic() + timeout / 1000
    while True:  # the shortcut can land while the lab is still moving focus: open the palette until it stays
        if not palette.is_visible():
            page.keyboard.press("Control+Shift+C")
        try:
            palette.fill("Open the Lifecycle workspace", timeout=5000)
            break
        except PlaywrightTimeoutError:
            if time.monotonic() > deadline:
                raise
    item = page.locator(".lm-CommandPalette-item", has_text="Open the Lifecycle workspace")
    item.first.wait_for(state="visible", timeout=timeout)
    palette.press("Enter")
    try:
        page.locator(f"{WS} .jp-lifecycle-ws-row").first.wait_for(state="visible", timeout=timeout)
    except PlaywrightTimeoutError:
        page.screenshot(path="tests/output/ws-failed-open.png")
        raise


@pytest.fixture(scope="module")
def workspace_data(lab):
    """Versions of this module's own on the session lab's registry: a request awaiting review, typed dataset
    versions (so the earlier sidebar tests' approvals cannot empty the inbox under us)."""
    reg = lifecycle_ext.open_registry(lab["registry"], user="alice")
    frame = pd.DataFrame({"id": range(6), "label": ["stay", "churn"] * 3, "x": [1.0] * 6})
    reg.save(frame, "dataset:ws-data", key="id", label="label")
    grown = pd.concat([frame, pd.DataFrame({"id": [6, 7], "label": ["stay"] * 2, "x": [2.0] * 2})], ignore_index=True)
    grown.loc[1, "label"] = "stay"
    reg.save(grown, "dataset:ws-data", key="id", label="label")
    model = reg.save({"w": [0.5]}, "model:ws-model", metrics={"accuracy": 0.97}, inputs=["dataset:ws-data@2"])
    reg.promote(model.ref, to="development", reason="first cut")
    reg.request_promotion(model.ref, to="staging", reason="ready for review")
    return {"model": model.ref, "data": "dataset:ws-data@2"}


@pytest.fixture(scope="module")
def lineage_data(lab):
    """A chain for the lineage graph: label schema -> dataset -> model -> a model made from that model."""
    reg = lifecycle_ext.open_registry(lab["registry"], user="alice")
    schema = reg.save(
        {"classes": [{"name": n, "description": n} for n in ("stay", "churn")]}, "label_schema:lin-labels"
    )
    frame = pd.DataFrame({"id": range(4), "label": ["stay", "churn"] * 2})
    data = reg.save(frame, "dataset:lin-data", key="id", label="label", schema=schema.ref)
    model = reg.save({"w": [1.0]}, "model:lin-model", metrics={"accuracy": 0.9}, inputs=[data.ref])
    reg.promote(model.ref, to="development", reason="first cut")
    distilled = reg.save({"w": [0.5]}, "model:lin-distilled", inputs=[model.ref])
    return {"schema": schema.ref, "data": data.ref, "model": model.ref, "distilled": distilled.ref}


def open_row(page, asset: str, ref: str):
    """Filter the asset table down to ``asset``, click its row, wait for the version page of ``ref``."""
    page.locator(f"{WS} .jp-lifecycle-ws-tab[data-view='assets']").click()
    page.locator(f"{WS} .jp-lifecycle-ws-filter").fill(asset)
    page.locator(f'{WS} .jp-lifecycle-ws-row[data-asset="{asset}"]').click()
    version = page.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="{ref}"]')
    version.wait_for(state="visible")
    return version


_SVG_CONTRAST_JS = """
(scope) => {
  const rgba = s => {
    const srgb = s.match(/^color\\(srgb ([^)]+)\\)/);
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
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const svg = document.querySelector(scope + ' .jp-lifecycle-lineage-svg');
  let page = [255, 255, 255];
  const chain = [];
  for (let e = svg; e; e = e.parentElement) chain.push(e);
  for (const e of chain.reverse()) page = over(rgba(getComputedStyle(e).backgroundColor), page);
  const out = [];
  const pair = (sel, text, box, under) => {
    const bg = over(rgba(getComputedStyle(box).fill), under);
    const fg = over(rgba(getComputedStyle(text).fill), bg);
    const [a, b] = [lum(fg), lum(bg)];
    out.push({ sel, text: text.textContent, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) });
    return bg;
  };
  for (const g of svg.querySelectorAll('.jp-lifecycle-lineage-node')) {
    const box = g.querySelector('.jp-lifecycle-lineage-box');
    const bg = over(rgba(getComputedStyle(box).fill), page);
    pair('.jp-lifecycle-lineage-name', g.querySelector('.jp-lifecycle-lineage-name'), box, page);
    pair('.jp-lifecycle-lineage-kind', g.querySelector('.jp-lifecycle-lineage-kind'), box, page);
    const stage = g.querySelector('.jp-lifecycle-lineage-stage');
    if (stage) pair('.jp-lifecycle-lineage-stage', stage.querySelector('text'), stage.querySelector('rect'), bg);
  }
  return out;
}
"""


def test_lineage_graph_is_drawn_left_to_right_and_opens_versions(open_lab, shot, lineage_data):
    page = open_lab("bob")
    open_workspace(page)
    version = open_row(page, "model:lin-model", lineage_data["model"])
    graph = version.locator('[data-card="lineage"] svg.jp-lifecycle-lineage-svg')
    expect(graph).to_be_visible()
    node = {k: graph.locator(f'.jp-lifecycle-lineage-node[data-ref="{ref}"]') for k, ref in lineage_data.items()}
    boxes = {k: n.bounding_box() for k, n in node.items()}
    # layered left to right: the label schema, the dataset labelled under it, this model, the model made from it
    xs = [boxes[k]["x"] for k in ("schema", "data", "model", "distilled")]
    assert xs == sorted(xs) and len(set(xs)) == 4, boxes
    edges = graph.locator(".jp-lifecycle-lineage-edge").evaluate_all(
        "ps => ps.map(p => [p.dataset.from, p.dataset.to, p.getAttribute('marker-end')])"
    )
    d = lineage_data
    pairs = {(a, b) for a, b, _ in edges}
    assert {(d["schema"], d["data"]), (d["data"], d["model"]), (d["model"], d["distilled"])} <= pairs, edges
    assert all(m == "url(#jp-lifecycle-arrow)" for _, _, m in edges)
    expect(node["model"]).to_have_attribute("aria-current", "page")  # this version: not a link
    expect(node["model"].locator('.jp-lifecycle-lineage-stage[data-stage="development"]')).to_have_count(1)
    # colours are the theme's variables (resolved by the browser), not fixed ones
    colours = page.evaluate(
        """() => {
          const root = document.querySelector('#jp-lifecycle-workspace .jp-lifecycle-lineage-node.jp-mod-root rect');
          const name = document.querySelector('#jp-lifecycle-workspace .jp-lifecycle-lineage-name');
          const probe = document.createElement('div');
          document.querySelector('#jp-lifecycle-workspace').appendChild(probe);
          probe.style.color = 'var(--jp-brand-color1)';
          const brand = getComputedStyle(probe).color;
          probe.style.color = 'var(--jp-ui-font-color0)';
          const font = getComputedStyle(probe).color;
          probe.remove();
          return { stroke: getComputedStyle(root).stroke, brand, nameFill: getComputedStyle(name).fill, font };
        }"""
    )
    assert colours["stroke"] == colours["brand"] and colours["nameFill"] == colours["font"], colours
    version.locator('[data-card="lineage"]').scroll_into_view_if_needed()
    shot(page, "ws-07-lineage-light")
    # a node opens that version's page, whose graph is centred on it
    node["data"].click()
    data_page = page.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="{d["data"]}"]')
    expect(data_page.locator(".jp-lifecycle-lineage-node.jp-mod-root")).to_have_attribute("data-ref", d["data"])
    expect(data_page.locator(f'.jp-lifecycle-lineage-node[data-ref="{d["distilled"]}"]')).to_have_count(1)
    data_page.locator(f'.jp-lifecycle-lineage-node[data-ref="{d["schema"]}"]').click()
    expect(page.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="{d["schema"]}"]')).to_be_visible()
    assert not page.js_errors


def test_open_filter_search_and_open_a_version(open_lab, shot, workspace_data):
    page = open_lab("bob")
    open_workspace(page)
    rows = page.locator(f"{WS} .jp-lifecycle-ws-row")
    assets = rows.evaluate_all("rs => rs.map(r => r.dataset.asset)")
    assert {"dataset:churn", "model:churn", "dataset:ws-data", "model:ws-model"} <= set(assets)
    shot(page, "ws-01-assets-light")

    # sorting: by name descending, then the kind filter and the row filter
    for order in ("ascending", "descending"):  # a second click flips the direction
        page.locator(f'{WS} .jp-lifecycle-ws-sort[data-sort="name"]').click()
        page.wait_for_function(
            f"document.querySelector('#jp-lifecycle-workspace th[aria-sort={order}] [data-sort=name]') !== null"
        )
        names = rows.evaluate_all("rs => rs.map(r => r.dataset.asset.split(':')[1])")
        assert names == sorted(names, reverse=order == "descending")
    page.locator(f"{WS} .jp-lifecycle-ws-kind").select_option("dataset")
    page.wait_for_function(
        "[...document.querySelectorAll('#jp-lifecycle-workspace .jp-lifecycle-ws-row')]"
        ".every(r => r.dataset.asset.startsWith('dataset:'))"
    )
    page.locator(f"{WS} .jp-lifecycle-ws-kind").select_option("")
    page.locator(f"{WS} .jp-lifecycle-ws-filter").fill("ws-")
    expect(rows).to_have_count(2)

    # the search query language, through GET search
    page.locator(f"{WS} .jp-lifecycle-ws-filter").fill("")
    search = page.locator(f"{WS} .jp-lifecycle-ws-search")
    search.fill("metrics.accuracy > 0.96 and trained_on dataset:ws-data")
    with page.expect_response(lambda r: "/lifecycle/api/search" in r.url) as resp:
        search.press("Enter")
    assert resp.value.status == 200
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-ref") == workspace_data["model"]
    shot(page, "ws-02-search-light")

    # a malformed query says where
    search.fill("metrics.accuracy > and")
    search.press("Enter")
    error = page.locator(f"{WS} .jp-lifecycle-ws-search-error")
    expect(error).to_contain_text("column 20")
    expect(error).to_contain_text("expected a value after '>'")

    search.fill(f"ref = {workspace_data['model']}")
    search.press("Enter")
    expect(rows).to_have_count(1)
    rows.first.click()
    version = page.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="{workspace_data["model"]}"]')
    version.wait_for(state="visible")
    for card in ("record", "metrics", "signature", "lineage", "promotion", "deployment", "timeline", "diff"):
        expect(version.locator(f'[data-card="{card}"]')).to_be_visible()
    expect(version.locator('[data-card="lineage"] .jp-lifecycle-ws-node[data-ref="dataset:ws-data@2"]')).to_be_visible()
    expect(version.locator('[data-card="promotion"] .jp-lifecycle-check').first).to_be_visible()
    # the version page uses the wide area: cards side by side
    boxes = [version.locator(f'[data-card="{c}"]').bounding_box() for c in ("record", "metrics")]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"] + boxes[0]["width"] - 1
    shot(page, "ws-03-version-light")
    assert not page.js_errors


def test_approve_from_the_inbox_and_a_second_reviewer_is_notified(open_lab, lab, shot, workspace_data):
    ref = workspace_data["model"]
    carol = open_lab("carol")  # a second reviewer, watching; with her workspace closed (notifications go on)
    open_workspace(carol)
    carol.locator(
        '.lm-DockPanel-tabBar .lm-TabBar-tab[data-id="jp-lifecycle-workspace-main"] .lm-TabBar-tabCloseIcon'
    ).click()
    expect(carol.locator(WS)).to_have_count(0)
    bob = open_lab("bob")
    open_workspace(bob)
    bob.locator(f'{WS} .jp-lifecycle-ws-tab[data-view="inbox"]').click()
    item = bob.locator(f'{WS} .jp-lifecycle-ws-item[data-type="request"][data-ref="{ref}"]')
    item.wait_for(state="visible")
    expect(item).to_contain_text("ready for review")
    shot(bob, "ws-04-inbox-light")
    item.locator(".jp-lifecycle-ws-approve").click()
    bob.locator(".jp-lifecycle-reason-text").fill("looks right to me")
    with bob.expect_response(lambda r: "/lifecycle/api/approve" in r.url) as resp:
        bob.locator(".jp-Dialog-button.jp-mod-accept").click()
    assert resp.value.status == 200
    expect(item).to_have_count(0)  # it left the inbox

    # the approval in the version page's audit timeline, and on disk
    bob.locator(f'{WS} .jp-lifecycle-ws-tab[data-view="assets"]').click()
    bob.locator(f'{WS} .jp-lifecycle-ws-row[data-asset="model:ws-model"]').click()
    timeline = bob.locator(f'{WS} [data-card="timeline"]')
    approved = timeline.locator('.jp-lifecycle-event[data-action="PromotionApproved"][data-actor="bob"]')
    expect(approved).to_have_count(1)
    expect(approved).to_contain_text("looks right to me")
    on_disk = lifecycle_ext.open_registry(lab["registry"]).audit(ref)
    mine = on_disk[(on_disk.action == "PromotionApproved") & (on_disk.actor == "bob")]
    assert list(mine.reason) == ["looks right to me"]

    # a new request that carol may approve: a JupyterLab notification, with a way to open it. Her watcher
    # notifies requests that appear after its first look at the inbox: wait until that answer arrived.
    carol.wait_for_function(
        "performance.getEntriesByType('resource').some(e => e.name.includes('/lifecycle/api/inbox'))",
        timeout=60_000,
    )
    reg = lifecycle_ext.open_registry(lab["registry"], user="alice")
    other = reg.save({"w": [0.7]}, "model:ws-model", metrics={"accuracy": 0.98}, inputs=["dataset:ws-data@2"])
    reg.promote(other.ref, to="development", reason="second cut")
    reg.request_promotion(other.ref, to="staging", reason="another one")
    toast = carol.locator(".Toastify__toast", has_text=f"alice asks you to approve {other.ref}")
    toast.wait_for(state="visible", timeout=60_000)  # the watcher looks every 5 s
    shot(carol, "ws-05-notification-light")
    toast.get_by_role("button", name="Open").click()  # its action opens the workspace on that version
    expect(carol.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="{other.ref}"]')).to_be_visible()
    assert not bob.js_errors and not carol.js_errors


def test_diff_page_shows_typed_dataset_changes(open_lab, shot, workspace_data):
    page = open_lab("alice")
    open_workspace(page)
    page.locator(f'{WS} .jp-lifecycle-ws-row[data-asset="dataset:ws-data"]').click()
    page.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="{workspace_data["data"]}"]').wait_for(state="visible")
    page.locator(f"{WS} .jp-lifecycle-ws-diff-parent").click()
    diff = page.locator(f'{WS} .jp-lifecycle-typed-diff[data-kind="dataset"]')
    diff.wait_for(state="visible")
    expect(diff.locator('[data-section="dataset"]')).to_contain_text("added rows")
    expect(diff.locator('[data-section="dataset"]')).to_contain_text("corrected labels")
    expect(diff.locator(".jp-lifecycle-chip-changed", has_text="additive")).to_have_count(1)
    samples = diff.locator('[data-section="samples"]')
    expect(samples.locator(".jp-lifecycle-chip-old")).to_have_text(["churn"])
    expect(samples.locator(".jp-lifecycle-chip-new")).to_have_text(["stay"])
    assert diff.locator("table.jp-lifecycle-kv table.jp-lifecycle-kv").count() == 0  # not nested JSON tables
    page.locator(f'{WS} [data-card="diff"]').scroll_into_view_if_needed()
    shot(page, "ws-06-diff-light")
    assert not page.js_errors


_WS_THEMED = [
    ".jp-lifecycle-chip",
    ".jp-lifecycle-badge",
    ".jp-lifecycle-grid td",
    ".jp-lifecycle-ws-row td",
    ".jp-lifecycle-event-reason",
]


def _contrast(page) -> list[dict]:
    got = page.evaluate(_CONTRAST_JS, [WS, _WS_THEMED])
    return [i for i in got["items"] if i["text"].strip()]


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_every_page_is_readable_in_both_themes(open_lab, lab, shot, workspace_data, lineage_data, theme):
    suffix = "dark" if "Dark" in theme else "light"
    _api(lab, THEMES, "PUT", {"raw": json.dumps({"theme": theme})})
    try:
        page = open_lab("carol")
        page.wait_for_function(f"document.body.dataset.jpThemeName === {json.dumps(theme)}")
        open_workspace(page)
        items = _contrast(page)
        shot(page, f"ws-assets-{suffix}")
        page.locator(f'{WS} .jp-lifecycle-ws-tab[data-view="inbox"]').click()
        page.locator(f"{WS} .jp-lifecycle-ws-inbox").wait_for(state="visible")
        items += _contrast(page)
        shot(page, f"ws-inbox-{suffix}")
        page.locator(f'{WS} .jp-lifecycle-ws-tab[data-view="assets"]').click()
        page.locator(f'{WS} .jp-lifecycle-ws-row[data-asset="dataset:ws-data"]').click()
        page.locator(f'{WS} .jp-lifecycle-ws-version[data-ref="{workspace_data["data"]}"]').wait_for()
        shot(page, f"ws-version-{suffix}")
        page.locator(f"{WS} .jp-lifecycle-ws-diff-parent").click()
        page.locator(f"{WS} .jp-lifecycle-typed-diff .jp-lifecycle-chip-old").first.wait_for()
        page.locator(f'{WS} [data-card="diff"]').scroll_into_view_if_needed()
        items += _contrast(page)
        shot(page, f"ws-diff-{suffix}")
        version = open_row(page, "model:lin-model", lineage_data["model"])
        version.locator('[data-card="lineage"] .jp-lifecycle-lineage-node').first.wait_for()
        version.locator('[data-card="lineage"]').scroll_into_view_if_needed()
        graph = page.evaluate(_SVG_CONTRAST_JS, WS)
        shot(page, f"ws-lineage-{suffix}")
    finally:
        _api(lab, THEMES, "PUT", {"raw": json.dumps({"theme": "JupyterLab Light"})})
    kinds = {i["sel"] for i in items}
    assert {".jp-lifecycle-chip", ".jp-lifecycle-badge", ".jp-lifecycle-grid td"} <= kinds, kinds
    chips = [i for i in items if i["sel"] == ".jp-lifecycle-chip"]
    assert len(chips) >= 3
    low = [i for i in items if i["ratio"] < 4.5]  # WCAG AA for text
    assert not low, low
    assert {i["sel"] for i in graph} >= {".jp-lifecycle-lineage-name", ".jp-lifecycle-lineage-stage"}, graph
    low = [i for i in graph if i["ratio"] < 4.5]  # the lineage graph's node text and stage labels too
    assert not low, low
    assert not page.js_errors
