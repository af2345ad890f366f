"""The widgets in a real JupyterLab, driven by headless chromium: each widget renders with its text, and the
Approve button records an approval by the kernel's user ($LIFECYCLE_USER=bob), checked on disk afterwards."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import lifecycle_ext
from tests.support.policy import approvals, build_policy
from tests.support.users import ALICE, BOB
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

OUT = Path(__file__).resolve().parents[1] / "output" / "widgets"

SETUP = """\
import os, shutil
import lifecycle_ext
from lifecycle_ext.widgets import GateStatusWidget, VersionDiffWidget, LineageWidget, AssetBrowser
PATH = os.path.abspath("registry")
shutil.rmtree(PATH, ignore_errors=True)
reg = lifecycle_ext.open_registry(PATH, user="alice")
reg.set_policy(<<POLICY>>)
d = reg.save({"rows": [1, 2, 3]}, "dataset:churn", tags=["gold"], metadata={"source": "crm"},
             note="<script>alert(1)</script>")
reg.save({"w": [0.1]}, "model:churn", inputs=[d.ref], params={"lr": 0.1}, metrics={"accuracy": 0.8})
reg.save({"w": [0.2]}, "model:churn", inputs=[d.ref], params={"lr": 0.05}, metrics={"accuracy": 0.9})
reg.promote("model:churn@1", "development", reason="baseline")
reg.promote("model:churn@2", "development", reason="better")
reg.request_promotion("model:churn@2", "staging", reason="ready for review")  # approvals answer an open request
me = lifecycle_ext.open_registry(PATH)  # acting as $LIFECYCLE_USER
print("SETUP DONE as", me.user)
""".replace(
    "<<POLICY>>",
    repr(
        build_policy(
            stages=None,
            users=(ALICE, BOB),
            permissions={
                "promote": ["data-scientist"],
                "request": ["data-scientist"],
                "approve": ["reviewer"],
                "reject": ["reviewer"],
                "set_policy": ["data-scientist"],
            },
            gates={"staging": [approvals("reviewer", count=1, name="review", kinds=None)]},
        )
    ),
)

CELLS = [
    SETUP,
    'GateStatusWidget("model:churn@2", to="staging", registry=me)',
    'VersionDiffWidget("model:churn@1", "model:churn@2", registry=me)',
    'LineageWidget("model:churn@2", registry=me)',
    "AssetBrowser(registry=me)",
    'reg.metric_history("model:churn")',
    'reg.get("dataset:churn@1")',
    'GateStatusWidget("model:churn@2", to="staging", registry=me.as_user("alice"))  # not the sidebar\'s user',
]


@pytest.fixture(scope="module")
def lab_extra_env() -> dict[str, str]:
    return {"LIFECYCLE_USER": "bob"}  # the kernel inherits the server's environment: bob is the current user


def _write_notebook(root: Path) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nbformat.write(nb, root / "widgets.ipynb")
    return "widgets.ipynb"


def _dismiss_dialogs(page) -> None:
    """Accept any modal lab dialog (e.g. the kernel chooser) so the menus can be used."""
    dialogs = page.locator(".jp-Dialog")
    for _ in range(3):
        if dialogs.count() == 0:
            return
        print("dialog:", dialogs.first.inner_text()[:300].replace("\n", " | "))
        dialog = dialogs.first.element_handle()
        dialogs.first.locator(".jp-Dialog-button.jp-mod-accept").first.click()
        dialog.wait_for_element_state("hidden")  # closed (detached counts as hidden)


def _run_all(page) -> None:
    _dismiss_dialogs(page)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def _shot(target, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    target.screenshot(path=str(path))
    return path


def _check_png(path: Path) -> None:
    from PIL import Image

    assert path.stat().st_size > 2000, path
    with Image.open(path) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 8, f"{path} looks blank"


def test_widgets_render_and_approve_in_jupyterlab(lab_server, lab_page):
    name = _write_notebook(lab_server.root)
    specs = lab_server.api("/api/kernelspecs")
    assert "python3" in specs["kernelspecs"], specs
    # start the notebook's kernel through the REST API, so lab attaches to it instead of asking
    lab_server.api(
        "/api/sessions", "POST", {"path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}}
    )
    page = lab_page
    page.goto(lab_server.lab_url(name))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector(
        ".jp-Notebook-ExecutionIndicator[data-status='idle'], #jp-main-statusbar :text('Idle')", timeout=60_000
    )
    gate = page.locator(".lifecycle-gate-widget").first
    for attempt in range(3):  # the first run right after the kernel starts is sometimes dropped
        _run_all(page)
        try:
            gate.wait_for(timeout=30_000)
            break
        except Exception:
            if attempt == 2:
                _shot(page, "failed-run")
                raise
    assert "SETUP DONE as bob" in page.locator(".jp-OutputArea-output").first.inner_text()
    for sel in (
        ".lifecycle-diff-widget",
        ".lifecycle-lineage-widget",
        ".lifecycle-asset-browser",
        ".lifecycle-history",
        ".lifecycle-version",
    ):
        page.wait_for_selector(sel, timeout=30_000)

    # the widgets' text is in the DOM
    assert "Gates model:churn@2" in gate.inner_text() and "review" in gate.inner_text()
    assert "acting as bob" in gate.inner_text() and "\u26a0" not in gate.inner_text()  # bob: the sidebar's user too
    # the server extension published its user (bob) to the kernel: a widget acting as alice says so, naming both,
    # and offers the confirmation its buttons wait for
    other = page.locator(".lifecycle-gate-widget").nth(1)
    other.wait_for(timeout=30_000)
    assert "acting as alice" in other.inner_text()
    assert "\u26a0 not bob, the Jupyter user the sidebar acts as" in other.inner_text()
    assert other.locator(".lifecycle-identity-confirm").is_visible()
    assert all(b.is_disabled() for b in other.locator("button").all())
    diff = page.locator(".lifecycle-diff-widget")
    for tab in ("params", "metrics", "data changes", "source", "environment"):
        assert diff.locator(".lm-TabBar-tabLabel", has_text=tab).count() >= 1
    assert "lr" in diff.inner_text()
    lineage = page.locator(".lifecycle-lineage-widget")
    assert lineage.locator(".lifecycle-node").count() == 2
    lineage.locator(".lifecycle-node", has_text="dataset:churn@1").click()
    page.wait_for_function("document.querySelector('.lifecycle-lineage-widget').innerText.includes('gold')")
    browser = page.locator(".lifecycle-asset-browser")
    assert "model:churn" in browser.inner_text()
    assert page.locator(".lifecycle-history").first.locator("svg circle").count() >= 2
    version = page.locator(".jp-Cell").nth(CELLS.index('reg.get("dataset:churn@1")')).locator(".lifecycle-version")
    assert "<script>alert(1)</script>" in version.inner_text()  # the hostile note shown as text...
    assert page.locator(".jp-OutputArea script").count() == 0  # ...never as markup

    shots = [
        _shot(gate, "gate-before"),
        _shot(diff, "diff"),
        _shot(lineage, "lineage"),
        _shot(browser, "asset-browser"),
        _shot(page.locator(".lifecycle-history").first, "metric-history"),
    ]

    # approve through the UI
    approve = gate.locator("button.lifecycle-approve")
    assert approve.is_enabled() and gate.locator("button.lifecycle-promote").is_disabled()
    gate.locator("textarea").first.fill("approved in the browser")
    approve.click()
    page.wait_for_selector(".lifecycle-gate-widget .lifecycle-ok", timeout=30_000)
    assert "approve" in gate.locator(".lifecycle-ok").inner_text()
    shots.append(_shot(gate, "gate-after-approve"))
    shots.append(_shot(page, "notebook"))
    for s in shots:
        _check_png(s)

    reg = lifecycle_ext.open_registry(lab_server.root / "registry", user="tester")

    def approved():
        req = reg.state.get("requests", {}).get("model:churn@2>staging")
        return req if req and req["approvals"] else None

    req = wait_until(approved, timeout=10, what="the approval reaching the registry on disk")
    assert [(a["user"], a["reason"]) for a in req["approvals"]] == [("bob", "approved in the browser")]
    assert reg.gates("model:churn@2", "staging").passed
