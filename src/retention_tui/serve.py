"""``retention-tui serve``: the same app in a web browser, through textual-serve.

Every browser tab that opens the page starts its own ``retention-tui --db PATH`` process as
the account that runs ``serve``; textual-serve relays the screen and the keys over a
websocket. It has no login of its own, so it listens on loopback unless told otherwise, and
says loudly what that means when told otherwise.

textual-serve is imported inside :func:`serve_app` only, so ``--help`` stays fast.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import shlex
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import clock
from .errors import RetentionError
from .i18n import _

_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost", "ip6-loopback"}
# What a Host header may look like before it is written into the page (name or [v6]:port).
_HOST_HEADER = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the app to this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as written in a URL (an IPv6 address in brackets)."""
    name = host.strip()
    if ":" in name and not name.startswith("["):
        return f"[{name}]"
    return name or "0.0.0.0"


def listen_url(host: str, port: int) -> str:
    """The address ``serve`` listens on, as a URL."""
    return f"http://{url_host(host)}:{port}"


def exposure_warning(host: str, port: int) -> str:
    """The warning printed when ``serve`` listens on anything but loopback."""
    return _(
        "Warning: listening on {host}, not on loopback. The app has no login of its own: anyone "
        "who can reach port {port} works in it as the account that runs this command, and every "
        "change they make is audited under that account. Prefer the default (127.0.0.1) and "
        "reach it through the server's SSH tunnel (ssh -L {port}:127.0.0.1:{port} SERVER, then "
        "open http://127.0.0.1:{port}), or put a reverse proxy with authentication in front of it."
    ).format(host=host or "0.0.0.0", port=port)


def session_command(db_path: Path) -> str:
    """The shell command textual-serve runs for every browser session."""
    args = [sys.executable, "-m", "retention_tui", "--db", str(Path(db_path).resolve())]
    # A pretended today (--today) holds in every session too; the environment variable
    # RETENTION_TUI_TODAY is inherited by the sessions anyway.
    fixed = clock._fixed_today
    if fixed is not None:
        args += ["--today", fixed.isoformat()]
    return shlex.join(args)


def public_url(headers: Mapping[str, str], scheme: str, fallback: str) -> str:
    """The URL the browser reached us at, for the page's script, style and websocket addresses.

    textual-serve writes absolute addresses into the page, built from the address it listens
    on; a browser that comes through an SSH tunnel on another local port or through a reverse
    proxy needs its own. Taken from X-Forwarded-Host/-Proto (a proxy) or Host; a header that
    does not look like a host name falls back to the listening address.
    """
    host = (headers.get("X-Forwarded-Host") or headers.get("Host") or "").split(",")[0].strip()
    proto = (headers.get("X-Forwarded-Proto") or scheme or "http").split(",")[0].strip().lower()
    if proto not in ("http", "https"):
        proto = "http"
    if not host or not _HOST_HEADER.match(host):
        return fallback
    return f"{proto}://{host}"


def check_port(host: str, port: int) -> None:
    """Raise ``RetentionError`` with a sentence when ``serve`` could not listen on host:port."""
    if not 1 <= port <= 65535:
        raise RetentionError(_("The port must be a number from 1 to 65535."))
    try:
        addresses = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        raise RetentionError(
            _("Cannot listen on {host}: no such address or host name.").format(host=host)
        ) from None
    for family, kind, proto, _name, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            # As asyncio's server does: reuse the address, IPv6 sockets for IPv6 only.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as error:
                raise listen_error(host, port, error) from None


def listen_error(host: str, port: int, error: OSError) -> RetentionError:
    """The sentence for an operating-system error while starting to listen."""
    if error.errno == errno.EADDRINUSE:
        return RetentionError(
            _(
                "Port {port} on {host} is already in use (another retention-tui serve, or "
                "another program). Choose another with --port."
            ).format(port=port, host=host)
        )
    if error.errno == errno.EACCES:
        return RetentionError(
            _(
                "This account may not listen on port {port} (ports below 1024 need "
                "administrator rights). Choose another with --port, e.g. 8000."
            ).format(port=port)
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return RetentionError(
            _("Cannot listen on {host}: this machine has no such address.").format(host=host)
        )
    return RetentionError(
        _("Cannot listen on {host} port {port}: {error}.").format(
            host=host, port=port, error=error.strerror or error
        )
    )


def serve_app(db_path: Path, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the app on http://host:port until ctrl+c; one app process per browser session."""
    from .db import open_database

    open_database(db_path).close()  # a bad --db says so now, not in every browser tab
    check_port(host, port)
    try:
        from textual_serve.server import Server
    except ImportError:
        raise RetentionError(
            _("Serving to a browser needs the textual-serve package: pip install textual-serve")
        ) from None

    command = session_command(db_path)
    url = listen_url(host, port)

    class _Server(Server):  # type: ignore[misc]
        async def handle_index(self, request: Any) -> Any:
            # The page's addresses follow the browser's own (tunnel, proxy); textual-serve
            # reads self.public_url while rendering, with no await in between.
            self.public_url = public_url(request.headers, request.scheme, url)
            return await super().handle_index(request)

        async def on_startup(self, app: Any) -> None:
            print(
                _("Serving {path} at {url} (ctrl+c stops it).").format(path=db_path, url=url),
                file=sys.stderr,
                flush=True,
            )

    if not is_loopback(host):
        print(exposure_warning(host, port), file=sys.stderr, flush=True)
    server = _Server(command, host=host or "0.0.0.0", port=port, title="retention-tui")
    server.public_url = url
    try:
        server.serve()
    except OSError as error:  # lost a race for the port after check_port
        raise listen_error(host, port, error) from None
