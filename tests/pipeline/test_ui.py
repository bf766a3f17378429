"""The Dagster UI in a real browser: groups and assets, the backtest's equity plot, the strategy's checks."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.pipeline.test_definitions import DESIGN_GROUPS

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "ui"
CHROMIUM = "/usr/bin/chromium"
# Headless on a closed network: no background fetches, no first-run work.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


# The UI loads its data over GraphQL after the page itself; on a busy 2-core machine that can take a while.
expect.set_options(timeout=30_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def webserver(processed_with_sidecar):
    root: Path = processed_with_sidecar["root"]
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(root / "dagster"), "REELQUANT_HOME": str(root / "rq")}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-m", "pipeline_defs.definitions",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                break
        except OSError:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.5)
    else:
        proc.kill()
        raise AssertionError("dagster-webserver did not answer within 120 s")
    try:
        yield {"url": url, "key": processed_with_sidecar["key"]}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page(webserver):
    assert Path(CHROMIUM).exists(), "Chromium is missing; `make test` installs Debian's chromium"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1500, "height": 1800})
        pg.set_default_timeout(30_000)
        yield pg
        browser.close()


def _open(page: Page, url: str) -> None:
    page.goto(url, wait_until="networkidle")
    skip = page.get_by_role("button", name="Skip")  # the first-visit community dialog
    if skip.count():
        skip.click()


@pytest.mark.slow
def test_asset_graph_shows_groups_and_assets(page: Page, webserver) -> None:
    _open(page, f"{webserver['url']}/asset-groups")
    for group in sorted(set(DESIGN_GROUPS.values())):
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "asset-graph.png"))
    _open(page, f"{webserver['url']}/assets")
    for asset in DESIGN_GROUPS:
        # A catalog row's link reads "<asset> <asset>" (name and tooltip): anchor on the whole first word.
        expect(page.get_by_role("link", name=re.compile(rf"^{asset}(\s|$)")).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "catalog.png"))


@pytest.mark.slow
def test_backtest_materialization_shows_equity_plot(page: Page, webserver) -> None:
    _open(page, f"{webserver['url']}/assets/backtest?partition={webserver['key']}")
    row = page.get_by_role("row").filter(has_text="equity_curve")
    row.get_by_text("Show Markdown").click()
    plot = page.locator("img[src^='data:image/png']").first
    expect(plot).to_be_visible()
    assert plot.evaluate("img => img.naturalWidth") > 200
    page.wait_for_timeout(500)  # let the dialog finish fading in before the screenshot
    page.screenshot(path=str(ARTIFACTS / "backtest-equity.png"), full_page=True)


@pytest.mark.slow
def test_strategy_shows_its_checks(page: Page, webserver) -> None:
    _open(page, f"{webserver['url']}/assets/strategy?view=checks")
    expect(page.get_by_text("promotion_gates").first).to_be_visible()
    expect(page.get_by_text("blocking", exact=True).first).to_be_visible()
    expect(page.get_by_text("gates failed").first.or_(page.get_by_text("gates passed").first)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "strategy-checks.png"))
