"""``retention-tui serve``: the app in a web browser through textual-serve.

The browser tests start the real command on loopback and drive Debian's headless Chromium
with Playwright (skipped without /usr/bin/chromium or playwright), once directly and once
through the README's nginx example with a password (skipped without nginx); the others check
the address rules and the sentences without a browser.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import grp
import os
import pwd
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
from typing import Any

import pytest

from cli_run import run
from retention_tui import serve
from retention_tui.errors import RetentionError

CHROMIUM = Path("/usr/bin/chromium")
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
COUNT = re.compile(r"(?:(\d[\d,]*) of (\d[\d,]*)|(\d[\d,]*)) customers · sorted by")

# textual-serve draws the terminal with xterm.js on a canvas, so its text is not in the DOM.
# The test hands the page a textual.js that also keeps its xterm Terminal in window.__xterm
# and reads the screen from that terminal's buffer.
_TERMINAL = re.compile(r"(this\.terminal=)(new [\w$]+\.Terminal\()")
_SCREEN_JS = """() => {
    const term = window.__xterm;
    if (!term) return null;
    const buffer = term.buffer.active;
    const lines = [];
    for (let row = 0; row < term.rows; row++) {
        const line = buffer.getLine(buffer.viewportY + row);
        lines.push(line ? line.translateToString(true) : "");
    }
    return lines.join("\\n");
}"""


# The colours of one screen row: the search box is drawn otherwise once it has the focus.
_ROW_STYLE_JS = """(row) => {
    const term = window.__xterm;
    const line = term.buffer.active.getLine(term.buffer.active.viewportY + row);
    const cells = [];
    for (let x = 0; x < term.cols; x++) {
        const cell = line.getCell(x);
        cells.push(cell.getFgColor() + "/" + cell.getBgColor());
    }
    return cells.join(" ");
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the address rules, without a server ----------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LocalHost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("workshop.example.org", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert serve.is_loopback(host) is loopback


def test_the_warning_names_the_risk_and_the_ways_round_it() -> None:
    text = serve.exposure_warning("0.0.0.0", 8123)
    assert "0.0.0.0" in text
    assert "no login" in text
    assert "audited under that account" in text
    assert "ssh -L 8123:127.0.0.1:8123" in text
    assert "reverse proxy with authentication" in text


def test_a_session_runs_the_app_on_the_same_database_and_day(
    tmp_path: Path, fixed_today: dt.date
) -> None:
    command = serve.session_command(tmp_path / "x.db")
    assert command.startswith(sys.executable)
    assert f"-m retention_tui --db {tmp_path / 'x.db'}" in command
    assert command.endswith(f"--today {fixed_today.isoformat()}")


@pytest.mark.parametrize(
    ("headers", "scheme", "expected"),
    [
        ({"Host": "127.0.0.1:9000"}, "http", "http://127.0.0.1:9000"),  # a tunnel's own port
        ({"Host": "[::1]:8000"}, "http", "http://[::1]:8000"),
        (
            {"Host": "127.0.0.1:8000", "X-Forwarded-Host": "crm.example.org"},
            "http",
            "http://crm.example.org",
        ),
        (
            {"Host": "crm.example.org", "X-Forwarded-Proto": "https"},
            "http",
            "https://crm.example.org",
        ),
        (
            {"Host": "crm.example.org", "X-Forwarded-Proto": "gopher"},
            "http",
            "http://crm.example.org",
        ),
        ({"Host": 'x"><script>'}, "http", "http://127.0.0.1:8000"),
        ({}, "http", "http://127.0.0.1:8000"),
    ],
)
def test_the_page_addresses_follow_the_browser(
    headers: dict[str, str], scheme: str, expected: str
) -> None:
    assert serve.public_url(headers, scheme, "http://127.0.0.1:8000") == expected


def test_another_address_warns_before_serving(
    desk_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from textual_serve.server import Server

    started: list[tuple[str, str, int]] = []

    def pretend(self: Server) -> None:
        started.append((self.command, self.host, self.port))

    monkeypatch.setattr(Server, "serve", pretend)
    port = free_port()
    args = ["--db", str(desk_db), "serve", "--host", "0.0.0.0", "--port", str(port)]
    code, _out, err = run(capsys, *args)
    assert code == 0
    assert "Warning: listening on 0.0.0.0, not on loopback" in err
    assert f"ssh -L {port}:127.0.0.1:{port}" in err
    [(command, host, bound)] = started
    assert (host, bound) == ("0.0.0.0", port)
    assert f"--db {desk_db}" in command


def test_loopback_serves_without_a_warning(
    desk_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from textual_serve.server import Server

    monkeypatch.setattr(Server, "serve", lambda self: None)
    code, _out, err = run(capsys, "--db", str(desk_db), "serve", "--port", str(free_port()))
    assert code == 0
    assert "Warning" not in err


def test_a_busy_port_is_one_sentence(desk_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _out, err = run(capsys, "--db", str(desk_db), "serve", "--port", str(port))
    assert code == 1
    assert err.strip() == (
        f"Error: Port {port} on 127.0.0.1 is already in use (another retention-tui serve, or "
        "another program). Choose another with --port."
    )


def test_listen_errors_are_sentences() -> None:
    busy = serve.listen_error("127.0.0.1", 8000, OSError(errno.EADDRINUSE, "in use"))
    assert "already in use" in str(busy)
    denied = serve.listen_error("0.0.0.0", 80, OSError(errno.EACCES, "denied"))
    assert "may not listen on port 80" in str(denied)
    with pytest.raises(RetentionError, match="from 1 to 65535"):
        serve.check_port("127.0.0.1", 70000)
    with pytest.raises(RetentionError, match="no such address or host name"):
        serve.check_port("no-such-host.invalid", 8000)


def test_a_bad_database_is_refused_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("not a database\n")
    code, _out, err = run(capsys, "--db", str(bad), "serve", "--port", str(free_port()))
    assert code == 1
    assert err.startswith("Error: ")
    assert "Traceback" not in err


# -- the browser ----------------------------------------------------------------------------


@pytest.fixture
def served(desk_db: Path, fixed_today: dt.date) -> Iterator[str]:
    """``retention-tui serve`` on a free loopback port, as its own process group."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("no /usr/bin/chromium to run (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    port = free_port()
    app = [sys.executable, "-m", "retention_tui", "--db", str(desk_db)]
    process = subprocess.Popen(
        [*app, "--today", fixed_today.isoformat(), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait_for_port(process, port)
        yield f"http://127.0.0.1:{port}/"
    finally:
        _stop(process)


def _wait_for_port(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 15
    while True:
        if process.poll() is not None:
            assert process.stderr is not None
            pytest.fail(f"{process.args[0]} stopped: {process.stderr.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"nothing listened on port {port} within 15 s")
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (serve then stops every session), then SIGKILL to the whole process group."""
    process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=5)
    if process.stderr is not None:
        process.stderr.close()


def _wait_for(page: Any, pattern: re.Pattern[str], timeout: float = 20.0) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = page.evaluate(_SCREEN_JS) or ""
        if match := pattern.search(screen):
            return match
        time.sleep(0.1)
    pytest.fail(f"{pattern.pattern!r} never showed; the screen was:\n{screen}")


def _hand_over_terminal(route: Any) -> None:
    response = route.fetch()
    if response.status != 200:
        route.fulfill(response=response)
        return
    script, found = _TERMINAL.subn(r"\1window.__xterm=\2", response.text())
    assert found == 1, "textual-serve's textual.js no longer creates its terminal as expected"
    route.fulfill(response=response, body=script)


def _open_page(browser: Any, credentials: dict[str, str] | None = None) -> Any:
    """A new page whose terminal _SCREEN_JS can read (once it has gone somewhere)."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 800}, http_credentials=credentials
    )
    page = context.new_page()
    # No network here: the page's web font is refused at once instead of timing out.
    page.route(re.compile(r"^https?://fonts\.(googleapis|gstatic)\.com/"), lambda r: r.abort())
    page.route("**/static/js/textual.js", _hand_over_terminal)
    return page


def _launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@pytest.mark.timeout(60)
def test_the_desktop_in_a_browser(served: str) -> None:
    from playwright import sync_api  # the fixture skips when it is missing

    with sync_api.sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            page = _open_page(browser)
            page.goto(served, wait_until="domcontentloaded")

            before = _wait_for(page, COUNT)
            assert before.group(3) == "6", before.group(0)  # all six customers, no filter
            screen = page.evaluate(_SCREEN_JS)
            assert "retention-tui" in screen
            assert "José Müller" in screen

            page.focus(".xterm-helper-textarea")  # the terminal takes the keys
            # "/" moves the focus to the search box; a key sent within the same few
            # milliseconds still reaches the table, so wait until the box is drawn focused.
            search_row = next(
                row for row, line in enumerate(screen.splitlines()) if "Search name" in line
            )
            unfocused = page.evaluate(_ROW_STYLE_JS, search_row)
            page.keyboard.press("/")
            deadline = time.monotonic() + 10
            while page.evaluate(_ROW_STYLE_JS, search_row) == unfocused:
                assert time.monotonic() < deadline, "the search box never took the focus"
                time.sleep(0.05)
            page.keyboard.type("utrecht", delay=30)

            after = _wait_for(page, re.compile(r"(\d+) of (\d+) customers · sorted by"))
            assert after.groups() == ("2", "6"), after.group(0)  # José Müller, Anna Jansen
            _wait_for(page, re.compile("Search: utrecht"))  # the search shows as a chip
        finally:
            browser.close()


NGINX_CONF = """daemon off;
user {user} {group};  # as root, workers would be "nobody", who cannot read tmp_path
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{}}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    server {{
        listen 127.0.0.1:{port};
        # The README's example, on a free port and without TLS.
        location / {{
            auth_basic "retention-tui";
            auth_basic_user_file {dir}/htpasswd;
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1d;
        }}
    }}
}}
"""


@pytest.mark.timeout(60)
def test_behind_a_reverse_proxy_with_a_password(served: str, tmp_path: Path) -> None:
    """The README's nginx example: a password first, then the desktop through the proxy."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        pytest.skip("no nginx to try the reverse proxy with (apt-get install nginx-light)")
    from playwright import sync_api

    port = free_port()
    (tmp_path / "htpasswd").write_text("advisor:{PLAIN}s3cret\n")
    conf = tmp_path / "nginx.conf"
    user, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
    conf.write_text(
        NGINX_CONF.format(
            user=user, group=group, dir=tmp_path, port=port, upstream=served.rstrip("/")
        )
    )
    proxy = subprocess.Popen(
        [nginx, "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_port(proxy, port)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)
        assert refused.value.code == 401

        with sync_api.sync_playwright() as playwright:
            browser = _launch(playwright)
            try:
                page = _open_page(browser, {"username": "advisor", "password": "s3cret"})
                sockets: list[str] = []
                page.on("websocket", lambda ws: sockets.append(ws.url))
                page.goto(url, wait_until="domcontentloaded")
                assert _wait_for(page, COUNT).group(3) == "6"
                # The page's websocket goes through the proxy, not around it to serve's port.
                [socket_url] = sockets
                assert socket_url.startswith(f"ws://127.0.0.1:{port}/ws?"), socket_url
            finally:
                browser.close()
    finally:
        _stop(proxy)
