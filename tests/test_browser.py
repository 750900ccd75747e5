"""The course in a real JupyterLab, in headless Chromium: cells run, widgets render and answer.

Starts the course's JupyterLab (127.0.0.1, a random token, a free port) from this environment
on a temporary copy of the notebooks (so autosave never touches the repository), opens
lesson 00 and the experiment lesson 04, runs all cells, and checks what a learner sees: the
slider is visible, moving it updates the label through the kernel, the experiment panel's Run
button draws a plot, and no cell shows an error. Screenshots go to test-artifacts/browser/.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` package (no
browser download). Without them it is skipped, except under CI (CI=true), where it fails.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from notebook_checks import ROOT


def expect(locator):
    """Playwright's ``expect``, imported late (see HAVE_PLAYWRIGHT)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
IN_CI = os.environ.get("CI", "").lower() == "true"
HOW = "install it with `apt-get install chromium` (and `pip install -r requirements-dev.txt`) to run the browser test"

# Playwright is imported only when the browser test runs (tests/conftest.py runs it last): its greenlet module
# re-enables the GIL in the whole test process on free-threaded 3.13t, and the unit tests must run without it there.
HAVE_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None

if CHROMIUM is None or not HAVE_PLAYWRIGHT:
    if IN_CI:
        pytest.fail(f"CI needs the browser test, but Chromium or Playwright is missing: {HOW}", pytrace=False)
    pytest.skip(f"no Chromium/Playwright here: {HOW}", allow_module_level=True)

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab on a copy of notebooks/: yields (base URL, token)."""
    workdir = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", workdir / "notebooks")
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={workdir}",
        "--LabApp.expose_app_in_browser=True",
        "--ServerApp.port_retries=0",
    ]
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")
    # Render every cell (JupyterLab 4 virtualises long notebooks), so the test sees all outputs.
    settings = workdir / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    command.append(f"--LabApp.user_settings_dir={workdir / 'user-settings'}")
    log = open(workdir / "lab.log", "w")  # noqa: SIM115 (the server writes to it until the fixture ends)
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not start: {(workdir / 'lab.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.5)
        # Without the token the server refuses: authentication is on.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{base}/api/contents", timeout=5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def open_and_run(browser, lab, path: str, only: str | None = None):
    """Open notebooks/<path> in JupyterLab, run all cells (or only the cell whose source contains
    ``only``), and wait until none is running."""
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # A workspace of its own, reset: JupyterLab restores nothing, so this notebook is the only one open
    # (with two restored notebooks, a selector such as the execution indicator matched the hidden one).
    workspace = "test-" + path.split(".")[0].replace("_", "-")
    page.goto(f"{base}/lab/workspaces/{workspace}?reset&token={token}", timeout=90_000)
    page.wait_for_function("window.jupyterapp && window.jupyterapp.commands", timeout=90_000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    page.evaluate(
        "p => window.jupyterapp.commands.execute('docmanager:open', "
        "{path: p, factory: 'Notebook', kernel: {name: 'python3'}})",
        f"notebooks/{path}",
    )
    page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached", timeout=60_000)
    assert page.locator(".jp-NotebookPanel").count() == 1, "another notebook was restored into the workspace"
    # Wait for the kernel, then run everything.
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    if only is not None:
        # One cell: the rest of the lesson is run by nbval, and all cells of lesson 00 run in the browser above.
        found = page.evaluate(
            """async marker => {
                const panel = window.jupyterapp.shell.currentWidget;
                const index = panel.content.widgets.findIndex(
                    c => c.model.type === "code" && c.model.sharedModel.getSource().includes(marker)
                );
                if (index < 0) return false;
                panel.content.activeCellIndex = index;
                await window.jupyterapp.commands.execute('notebook:run-cell');
                return true;
            }""",
            only,
        )
        assert found, f"{path} has no cell containing {only!r}"
        page.wait_for_function(
            """() => [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')]
                .some(p => /\\[\\d+\\]/.test(p.textContent))
                && ![...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')]
                .some(p => p.textContent.includes('*'))""",
            timeout=180_000,
        )
        return page
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')];
            const code = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
            return code.length > 0 && prompts.every(p => !p.textContent.includes('*'))
                && prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length === code.length;
        }""",
        timeout=180_000,
    )
    return page


def assert_no_errors(page, name: str) -> None:
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert not tracebacks, f"{name}: a cell shows an error: {tracebacks[0][:500]}"
    broken = page.locator(".jp-OutputArea-output", has_text="Error displaying widget")
    assert broken.count() == 0, f"{name}: a widget failed to render"


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_lesson_00_runs_and_its_slider_talks_to_the_kernel(browser, lab):
    page = open_and_run(browser, lab, "00_start_here.ipynb")
    try:
        slider = page.locator(".jp-OutputArea .widget-slider").first
        expect(slider).to_be_visible(timeout=30_000)
        label = page.locator(".jp-OutputArea .widget-label", has_text="You chose").first
        expect(label).to_have_text("You chose 4 workers", timeout=30_000)  # the cell set slider.value = 4
        slider.scroll_into_view_if_needed()
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")
        expect(label).to_have_text("You chose 5 workers", timeout=30_000)  # the kernel answered
        expect(page.locator(".jp-OutputArea-output pre", has_text="Environment check passed.")).to_be_visible()
        assert_no_errors(page, "00_start_here")
    finally:
        screenshot(page, "00_start_here")
        page.close()


EXPERIMENT_LESSON = "04_cpu_vs_io.ipynb"


@pytest.mark.skipif(not (ROOT / "notebooks" / EXPERIMENT_LESSON).exists(), reason="lesson 04 not written yet")
def test_experiment_panel_runs_and_draws_a_plot(browser, lab):
    page = open_and_run(browser, lab, EXPERIMENT_LESSON, only="ExperimentPanel(")
    try:
        assert_no_errors(page, EXPERIMENT_LESSON)
        panel = page.locator(".jp-OutputArea .widget-vbox", has=page.locator("button", has_text="Run")).first
        expect(panel).to_be_visible(timeout=30_000)
        panel.scroll_into_view_if_needed()
        panel.locator("button", has_text="Run").first.click()
        expect(panel.locator(".widget-output img").first).to_be_visible(timeout=120_000)
        expect(panel.locator(".widget-label", has_text="the speed of sequential").first).to_be_visible()
        panel.locator(".widget-output img").first.scroll_into_view_if_needed()
        assert_no_errors(page, EXPERIMENT_LESSON)
    finally:
        screenshot(page, "04_experiment_panel")
        page.close()
