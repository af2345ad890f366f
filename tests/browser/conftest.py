"""A real ``jupyter lab`` on 127.0.0.1 with a prepared registry and four users, and Debian's chromium.

The lab uses the labextension installed in this Python environment (``pip install .`` puts it in
``share/jupyter/labextensions/lifecycle-ext``). When it is not installed (a development checkout), the build
in ``lifecycle_ext/labextension`` (``jlpm build`` in ``labextension/``) is linked into a temporary
``JUPYTER_PATH`` instead. The server extension, registry location and test identity provider are given in a
temporary config file, so nothing outside the test's temp folder is read or changed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import lifecycle_ext

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "output"
CHROMIUM = os.environ.get("LIFECYCLE_CHROMIUM", "/usr/bin/chromium")
USERS = {"tok-alice": "alice", "tok-bob": "bob", "tok-carol": "carol", "tok-victor": "victor"}
SERVER_TOKEN = "lab-server-token-not-a-user"
HOSTILE_NOTE = '<img src=x onerror="window.__pwned=1">'
HOSTILE_REASON = '<script>window.__pwned=2</script> please & thanks'

POLICY = """
version = 1

[stages]
default = ["development", "staging", "production"]
dataset = ["draft", "validated", "production"]

[users]
alice = ["data-scientist"]
bob = ["reviewer"]
carol = ["reviewer", "release-manager"]
"*" = ["viewer"]

[permissions]
promote = ["data-scientist", "release-manager"]
"promote.production" = ["release-manager"]
request = ["data-scientist"]
approve = ["reviewer"]
reject = ["reviewer"]
rollback = ["release-manager"]
retire = ["release-manager"]
force = ["release-manager"]
set_policy = ["release-manager"]

[[gates.staging]]
type = "metric"
kinds = ["model"]
thresholds = ["accuracy >= 0.9"]

[[gates.staging]]
type = "approvals"
kinds = ["model"]
role = "reviewer"
count = 1
"""


def prepare_registry(path: Path) -> None:
    reg = lifecycle_ext.open_registry(path, user="alice")
    reg.as_user("carol").set_policy(POLICY, reason="test policy")
    reg.save({"rows": [1, 2, 3]}, "dataset:churn", metadata={"source": "crm"}, tags=["crm"])
    reg.save({"rows": [1, 2, 3, 4]}, "dataset:churn", metadata={"source": "crm"}, tags=["crm"])
    reg.save({"w": [0.1, 0.2]}, "model:churn", metrics={"accuracy": 0.95}, params={"C": 1.0},
             inputs=["dataset:churn@2"], note=HOSTILE_NOTE, tags=["baseline"])
    reg.save({"w": [0.3]}, "model:fraud-detector.v2/eu_west", metrics={"accuracy": 0.5}, note=HOSTILE_NOTE)
    reg.promote("model:churn@1", to="development", reason="first cut")
    reg.request_promotion("model:churn@1", to="staging", reason=HOSTILE_REASON)


def _labextension_installed() -> bool:
    from jupyter_core.paths import jupyter_path
    return any((Path(p) / "lifecycle-ext" / "package.json").is_file() for p in jupyter_path("labextensions"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """Start ``jupyter lab``; yield its base URL. Stopped by PID at the end."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)")
    tmp = tmp_path_factory.mktemp("lab")
    root, home, cfg = tmp / "root", tmp / "home", tmp / "config"
    for d in (root, home, cfg):
        d.mkdir()
    registry = tmp / "registry"
    prepare_registry(registry)
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(cfg), "LIFECYCLE_USER": "",
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_PLATFORM_DIRS": "1"}
    pkg_root = Path(lifecycle_ext.__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent / "support"), str(pkg_root), env.get("PYTHONPATH", "")])
    if not _labextension_installed():
        built = Path(lifecycle_ext.__file__).parent / "labextension"
        if not (built / "package.json").is_file():
            pytest.fail("the labextension is neither installed nor built: pip install . (or jlpm build in labextension/)")
        data = tmp / "data" / "labextensions"
        data.mkdir(parents=True)
        (data / "lifecycle-ext").symlink_to(built, target_is_directory=True)
        env["JUPYTER_PATH"] = os.pathsep.join([str(tmp / "data"), env.get("JUPYTER_PATH", "")])
    port = _free_port()
    config = {
        "ServerApp": {"jpserver_extensions": {"lifecycle_ext": True}, "ip": "127.0.0.1", "port": port,
                      "port_retries": 0, "open_browser": False, "root_dir": str(root), "allow_root": True,
                      "identity_provider_class": "token_identity.TokenUsersIdentityProvider"},
        "IdentityProvider": {"token": SERVER_TOKEN},
        "TokenUsersIdentityProvider": {"users": USERS},
        "LifecycleConfig": {"registry": str(registry)},
        "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
    }
    (cfg / "jupyter_server_config.json").write_text(json.dumps(config))
    news = cfg / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    log = open(tmp / "lab.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser"], env=env, cwd=root,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            req = urllib.request.Request(base + "lifecycle/api/version", headers={"Authorization": "token tok-victor"})
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"jupyter lab did not start:\n{(tmp / 'lab.log').read_text()[-3000:]}")
        time.sleep(0.3)
    yield {"url": base, "registry": registry, "log": tmp / "lab.log"}
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def playwright_instance():
    # module scope: Playwright's sync API holds an event loop; it must be gone before async server tests run
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        yield p


@pytest.fixture
def open_lab(lab, playwright_instance, tmp_path):
    """``page = open_lab("carol")``: a fresh chromium profile logged in as that user, the panel open."""
    contexts = []

    def _open(user: str):
        token = next(t for t, u in USERS.items() if u == user)
        ctx = playwright_instance.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / f"profile-{user}-{len(contexts)}"), executable_path=CHROMIUM,
            headless=True, viewport={"width": 1400, "height": 900},
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        contexts.append(ctx)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.set_default_timeout(30000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.js_errors = errors  # type: ignore[attr-defined]
        page.goto(f"{lab['url']}lab?reset&token={token}")
        tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jp-lifecycle-panel"]')
        tab.wait_for(state="visible", timeout=60000)
        tab.click()
        page.locator("#jp-lifecycle-panel .jp-lifecycle-kind").first.wait_for(state="visible")
        return page

    yield _open
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def shot():
    """``shot(page, "name")`` saves tests/output/name.png (kept as test output)."""

    def _shot(page, name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return _shot


@pytest.fixture
def hostile():
    return {"note": HOSTILE_NOTE, "reason": HOSTILE_REASON}


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)

