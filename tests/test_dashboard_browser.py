"""The real dashboard in a real headless Chromium: serve, load, play, change a lever.

The browser is the operating system's Chromium (``apt-get install chromium``;
``.ci/run`` installs it when missing), driven by Playwright's Python package
with ``executable_path``: no browser build is downloaded. Screenshots go to the
test's temporary folder; with ``TRUSTSIM_UPDATE_SCREENSHOTS=1`` they replace
``docs/img/dashboard_*.png`` (``docs/dashboard.md`` shows them), so a plain test
run never changes tracked files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the dashboard extra is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from sim.dashboard.cli import free_port, server_command, server_env  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DOCS_IMG = ROOT / "docs" / "img"


def screenshot_dir(tmp_path: Path) -> Path:
    """``docs/img`` when asked to refresh the docs' screenshots, else a temporary folder."""
    if os.environ.get("TRUSTSIM_UPDATE_SCREENSHOTS") == "1":
        return DOCS_IMG
    return tmp_path
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_S = 180
UI_TIMEOUT_MS = 120_000

if not Path(CHROMIUM).is_file():
    pytest.skip("no Chromium on this machine: install the OS package "
                "(apt-get install chromium; .ci/run does it when run as root)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A dashboard server on 127.0.0.1 and a free port, on a small data-breach scenario."""
    folder = tmp_path_factory.mktemp("dashboard")
    scenario = folder / "demo.toml"
    scenario.write_text(f'extends = "{ROOT / "scenarios" / "data_breach.toml"}"\n'
                        'name = "demo"\n[population]\nsize = 3000\n[run]\nweeks = 30\n')
    port = free_port()
    proc = subprocess.Popen(server_command("127.0.0.1", port), env=server_env(scenario),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START_S
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the dashboard server exited with code {proc.returncode}")
            try:
                urllib.request.urlopen(address, timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the dashboard server did not answer in {SERVER_START_S} s")
                time.sleep(0.5)
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _week(page) -> int:
    text = page.locator(".trustsim-run-status").inner_text()
    return int(text.split()[1])


def test_play_updates_the_charts_and_a_lever_restarts_the_run(url: str, tmp_path: Path) -> None:
    img = screenshot_dir(tmp_path)
    img.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1050})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(url)
            status = page.locator(".trustsim-run-status")
            status.wait_for()
            assert status.inner_text().startswith("Week 0 of 30 · 3,000 consumers")
            chart = page.locator(".trustsim-run-chart")
            before = chart.get_attribute("src")

            page.locator(".trustsim-run-play").click()
            page.wait_for_function(
                "() => parseInt(document.querySelector('.trustsim-run-status')"
                ".innerText.split(' ')[1]) >= 8")
            play = page.locator(".trustsim-run-play")
            if play.inner_text().strip().lower() == "pause" and play.is_enabled():
                play.click()
            assert _week(page) >= 8
            page.wait_for_function(
                "(before) => document.querySelector('.trustsim-run-chart').src !== before",
                arg=before)
            page.screenshot(path=str(img / "dashboard_run.png"), full_page=True)

            # a lever: population size; the run starts again on 2,000 consumers
            size = page.get_by_label("size", exact=True)
            size.fill("2000")
            size.press("Enter")
            page.wait_for_function(
                "() => document.querySelector('.trustsim-run-status').innerText"
                ".startsWith('Week 0 of 30 · 2,000 consumers')")
            page.get_by_role("tab", name="Export").click()
            export = page.get_by_text("trustsim run demo.toml")
            export.wait_for()
            assert page.get_by_text("size = 2000").count() >= 1

            # A/B on the same consumers: B escalates to the most personal level
            page.get_by_role("tab", name="A/B").click()
            b_level = (page.locator(".trustsim-b-settings .v-select")
                       .filter(has_text="escalation.level").locator(".v-select__slot"))
            b_level.wait_for()
            personal = page.get_by_role("option", name="personal")
            for _ in range(5):  # the menu may miss a click made while the tab still renders
                b_level.click()
                try:
                    personal.wait_for(timeout=5_000)
                    break
                except sync_api.TimeoutError:
                    page.keyboard.press("Escape")
            personal.click()
            page.locator(".trustsim-b-settings").get_by_text("personal").first.wait_for()
            page.locator(".trustsim-ab-play").click()
            page.wait_for_function(
                "() => parseInt(document.querySelector('.trustsim-ab-status')"
                ".innerText.split(' ')[1]) >= 8")
            page.screenshot(path=str(img / "dashboard_ab.png"), full_page=True)
        finally:
            browser.close()
    assert (img / "dashboard_run.png").stat().st_size > 20_000
