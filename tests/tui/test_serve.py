"""`procmod serve`: the console in a real headless Chromium (Playwright driving the system's `chromium`),
behind the per-start access token; and the refusals that need no browser."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from procmod.core.backend import open_backend
from procmod.demo.seed import seed_demo
from procmod.tui.serve import ServeRefused, ServeSettings, check_settings, session_command

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


def chromium_path() -> str | None:
    return os.environ.get("PROCMOD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`procmod serve` on a fresh demo database, read-only; yields (the URL it printed, its port)."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    backend = open_backend(url)
    seed_demo(backend)
    backend.close()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "procmod.tui.cli", "serve", "--db", url, "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        line = server.stdout.readline().decode()
        match = re.search(r"open (http://\S+)", line)
        assert match, line
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield match.group(1), port
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and every console it started
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_non_loopback_address_needs_allow_remote_and_is_warned_about() -> None:
    with pytest.raises(ServeRefused, match="--allow-remote"):
        check_settings(ServeSettings(None, host="0.0.0.0"))
    assert check_settings(ServeSettings(None, host="127.0.0.1")) == []
    assert check_settings(ServeSettings(None, host="::1")) == []
    warnings = check_settings(ServeSettings(None, host="0.0.0.0", allow_remote=True))
    assert warnings and "plain HTTP" in warnings[0]


def test_sessions_are_read_only_unless_an_operator_is_given() -> None:
    assert "--read-only" in session_command(ServeSettings("sqlite:///x.db"))
    command = session_command(ServeSettings("sqlite:///x.db", operator="alice"))
    assert "--read-only" not in command and "--operator alice" in command
    assert "--no-scheduler" in command


def test_the_page_and_the_websocket_need_the_token(served: tuple[str, int]) -> None:
    url, port = served
    base = f"http://127.0.0.1:{port}"
    assert status_of(base + "/") == 403
    assert status_of(base + "/?token=wrong") == 403
    assert status_of(base + "/ws") == 403  # no cookie: no console
    assert status_of(url) == 200
    token = url.split("token=", 1)[1]
    cookie = {"Cookie": f"procmod_token={token}", "Origin": "http://evil.example"}
    assert status_of(base + "/ws", cookie) == 403  # another site's page may not drive it


def test_a_browser_opens_the_menu_the_modules_and_a_card(served: tuple[str, int], tmp_path: Path) -> None:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium); .ci/run installs it")
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    url, _ = served
    received: list[bytes] = []

    def screen_text() -> str:
        return ANSI.sub(b"", b"".join(received)).decode("utf-8", "replace")

    def wait_for(text: str, timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        while text not in screen_text():
            if time.monotonic() > deadline:
                page.screenshot(path=str(tmp_path / "served-timeout.png"))
                raise AssertionError(f"{text!r} never appeared in the browser's console; it shows (see "
                                     f"{tmp_path / 'served-timeout.png'}):\n{screen_text()[-3000:]}")
            page.wait_for_timeout(100)

    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            # Nothing but this machine: the page's web font is refused, not fetched.
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                       else route.abort())
            page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(
                payload if isinstance(payload, bytes) else payload.encode())))
            page.goto(url)
            wait_for("Processing modules")
            wait_for("read-only")
            page.mouse.click(300, 300)  # focus the terminal
            received.clear()  # from here, only what the keys bring (the pane also names modules)
            page.keyboard.press("Enter")  # the menu's first entry: Processing modules
            wait_for("Integration › Processing modules")
            wait_for("VM Frankfurt 1")
            received.clear()
            page.keyboard.press("Enter")  # the first module's card
            wait_for("Connection parameters")
            page.screenshot(path=str(tmp_path / "served-card.png"))
        finally:
            browser.close()
