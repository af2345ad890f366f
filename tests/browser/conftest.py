"""A real ``jupyter lab`` on 127.0.0.1 with a prepared registry and four users, and Debian's chromium.

Two labs: ``lab`` (session scope) runs the lifecycle server extension and sidebar with token users;
``lab_server`` (module scope) is a plain lab in fresh HOME/Jupyter dirs whose kernels import lifecycle_ext from
this checkout (for notebook/widget tests; extra environment via the ``lab_extra_env`` fixture), paired with
``lab_page``.

The lab uses this checkout's build in ``lifecycle_ext/labextension`` (``jlpm build`` in ``labextension/``),
linked into a temporary ``JUPYTER_PATH`` ahead of any installed copy; without a build, the labextension
installed in this Python environment (``pip install .`` puts it in ``share/jupyter/labextensions``). The server extension, registry location and test identity provider are given in a
temporary config file, so nothing outside the test's temp folder is read or changed.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import lifecycle_ext
from tests.support.policy import team_policy
from tests.support.users import TOKENS, token_for
from tests.support.waiting import wait_until

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "output"
CHROMIUM = os.environ.get("LIFECYCLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = HERE.parents[1]
SERVER_TOKEN = "lab-server-token-not-a-user"
HOSTILE_NOTE = '<img src=x onerror="window.__pwned=1">'
HOSTILE_REASON = "<script>window.__pwned=2</script> please & thanks"

POLICY = team_policy()

# Playwright's assertions retry until this timeout (default 5 s): on a loaded 2-core machine a render after a
# REST round trip can take longer. They still wait on the condition, never for a fixed time.
expect.set_options(timeout=30_000)


def prepare_registry(path: Path) -> None:
    reg = lifecycle_ext.open_registry(path, user="alice")
    reg.as_user("carol").set_policy(POLICY, reason="test policy")
    reg.save({"rows": [1, 2, 3]}, "dataset:churn", metadata={"source": "crm"}, tags=["crm"])
    reg.save({"rows": [1, 2, 3, 4]}, "dataset:churn", metadata={"source": "crm"}, tags=["crm"])
    reg.save(
        {"w": [0.1, 0.2]},
        "model:churn",
        metrics={"accuracy": 0.95},
        params={"C": 1.0},
        inputs=["dataset:churn@2"],
        note=HOSTILE_NOTE,
        tags=["baseline"],
    )
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


@contextmanager
def _run_lab(tmp: Path, extensions: dict[str, bool] | None = None, prepare: Any = None) -> Iterator[dict[str, Any]]:
    """Run ``jupyter lab`` with the lifecycle extension (plus ``extensions``) over a registry made by
    ``prepare(path)`` (default: :func:`prepare_registry`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)")
    root, home, cfg = tmp / "root", tmp / "home", tmp / "config"
    for d in (root, home, cfg):
        d.mkdir()
    registry = tmp / "registry"
    (prepare or prepare_registry)(registry)
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(cfg),
        "LIFECYCLE_USER": "",
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    # the lab imports lifecycle_ext and the test-only server parts (tests.support) from this checkout
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    built = Path(lifecycle_ext.__file__).parent / "labextension"
    if (built / "package.json").is_file() or not _labextension_installed():
        # this checkout's own build (jlpm build in labextension/) wins over an installed copy of another one
        if not (built / "package.json").is_file():
            pytest.fail(
                "the labextension is neither installed nor built: pip install . (or jlpm build in labextension/)"
            )
        data = tmp / "data" / "labextensions"
        data.mkdir(parents=True)
        (data / "lifecycle-ext").symlink_to(built, target_is_directory=True)
        env["JUPYTER_PATH"] = os.pathsep.join([str(tmp / "data"), env.get("JUPYTER_PATH", "")])
    port = _free_port()
    config = {
        "ServerApp": {
            "jpserver_extensions": {"lifecycle_ext": True, **(extensions or {})},
            "ip": "127.0.0.1",
            "port": port,
            "port_retries": 0,
            "open_browser": False,
            "root_dir": str(root),
            "allow_root": True,
            "identity_provider_class": "tests.support.token_identity.TokenUsersIdentityProvider",
        },
        "IdentityProvider": {"token": SERVER_TOKEN},
        "TokenUsersIdentityProvider": {"users": TOKENS},
        "LifecycleConfig": {"registry": str(registry)},
        "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
    }
    (cfg / "jupyter_server_config.json").write_text(json.dumps(config))
    news = cfg / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    log = open(tmp / "lab.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser"], env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}/"

    def answers() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{(tmp / 'lab.log').read_text()[-3000:]}")
        try:
            req = urllib.request.Request(
                base + "lifecycle/api/version", headers={"Authorization": f"token {token_for('victor')}"}
            )
            with urllib.request.urlopen(req, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_until(
            answers,
            timeout=90,
            interval=0.3,
            what="jupyter lab answering /lifecycle/api/version",
            on_timeout=lambda: (tmp / "lab.log").read_text()[-3000:],
        )
    except BaseException:
        proc.kill()
        log.close()
        raise
    try:
        yield {"url": base, "registry": registry, "log": tmp / "lab.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """Start ``jupyter lab``; yield its base URL, registry folder and log. Stopped by PID at the end."""
    with _run_lab(tmp_path_factory.mktemp("lab")) as info:
        yield info


@pytest.fixture
def mismatched_lab(tmp_path_factory):
    """A second lab whose lifecycle server reports another API version (tests/support/api_version_override.py)."""
    with _run_lab(tmp_path_factory.mktemp("lab-mismatch"), {"tests.support.api_version_override": True}) as info:
        yield info


@pytest.fixture(scope="module")
def playwright_instance():
    # module scope: Playwright's sync API holds an event loop; it must be gone before async server tests run
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def open_lab(lab, playwright_instance, tmp_path):
    """``page = open_lab("carol")``: a fresh chromium profile logged in as that user, the panel open.

    ``server=`` another lab (default: ``lab``); ``ready=`` what to wait for in the panel (default: the list).
    """
    contexts = []

    def _open(user: str, *, server: dict[str, Any] | None = None, ready: str = ".jp-lifecycle-kind"):
        token = token_for(user)
        ctx = playwright_instance.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / f"profile-{user}-{len(contexts)}"),
            executable_path=CHROMIUM,
            headless=True,
            viewport={"width": 1400, "height": 900},
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        contexts.append(ctx)
        # tests read the resource timings of REST calls: keep them all (the default buffer holds 250 entries,
        # which the lab's own chunks and a few minutes of polling fill)
        ctx.add_init_script("performance.setResourceTimingBufferSize(100000)")
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.set_default_timeout(30000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.js_errors = errors  # type: ignore[attr-defined]
        page.goto(f"{(server or lab)['url']}lab?reset&token={token}")
        tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jp-lifecycle-panel"]')
        tab.wait_for(state="visible", timeout=60000)
        tab.click()
        page.locator(f"#jp-lifecycle-panel {ready}").first.wait_for(state="visible")
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


# -- a plain lab for notebook tests (widgets): no server extension, kernels import this checkout --------


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    env: dict[str, str]
    log: Path

    def api(self, path: str, method: str = "GET", body: Any = None) -> Any:
        req = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None

    def lab_url(self, path: str = "") -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}" if path else f"{self.url}/lab?token={self.token}"


@pytest.fixture(scope="module")
def lab_extra_env() -> dict[str, str]:
    """Extra environment for the lab process (and so its kernels); override in a test module."""
    return {}


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory, lab_extra_env):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (see /work/shared/TOOLCHAIN.md)")
    base = tmp_path_factory.mktemp("lab")
    home, root = base / "home", base / "root"
    for d in (home, root, base / "config", base / "data", base / "runtime"):
        d.mkdir()
    token = secrets.token_hex(16)
    port = _free_port()
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "ws"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "LIFECYCLE_FSYNC": "0",
        **lab_extra_env,
    }
    log = base / "lab.log"
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [
        str(jupyter),
        "lab",
        "--no-browser",
        "--allow-root",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root, start_new_session=True)
    lab = Lab(url=f"http://127.0.0.1:{port}", token=token, root=root, env=env, log=log)
    try:

        def answers() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                lab.api("/api/status")
                return True
            except OSError:
                return False

        wait_until(
            answers,
            timeout=90,
            interval=0.5,
            what="jupyter lab answering /api/status",
            on_timeout=lambda: log.read_text()[-3000:],
        )
        yield lab
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture
def lab_page(playwright_instance, tmp_path):
    """A Playwright page in a fresh chromium profile (no login; pair it with ``lab_server``)."""
    ctx = playwright_instance.chromium.launch_persistent_context(
        user_data_dir=str(tmp_path / "chromium-profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1000},
    )
    try:
        yield ctx.pages[0] if ctx.pages else ctx.new_page()
    finally:
        ctx.close()


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
