"""The real app in a pseudo-terminal, as an SSH session runs it: bytes written, screen read.

Used by tests/test_terminals.py and bench/bench_terminal.py. The child gets its window size
set on its own terminal before it starts (as sshd does), the environment given (TERM,
NO_COLOR, RETENTION_TUI_TODAY), and every byte it writes is kept with the time it arrived,
so that a caller can count the bytes of one keystroke and feed them to a terminal emulator
(pyte) to read the screen an advisor would see.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

# Keys as a terminal sends them (normal cursor mode; Textual reads both forms).
KEYS: dict[str, bytes] = {
    "down": b"\x1b[B",
    "up": b"\x1b[A",
    "right": b"\x1b[C",
    "left": b"\x1b[D",
    "pagedown": b"\x1b[6~",
    "pageup": b"\x1b[5~",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "enter": b"\r",
    "escape": b"\x1b",
    "backspace": b"\x7f",
    "tab": b"\t",
    "ctrl+q": b"\x11",
}

ALT_SCREEN_ON = b"\x1b[?1049h"
ALT_SCREEN_OFF = b"\x1b[?1049l"

# What an escape sequence looks like when a terminal failed to swallow it and printed it.
GARBAGE = re.compile(r"\x1b|\[\?\d|\d;\d+[mHf]|\[\d+(;\d+)*[A-Za-z~]|\ufffd")

REPO = Path(__file__).resolve().parent.parent


def app_command() -> list[str]:
    """``retention-tui`` from this checkout's virtual environment (or the running Python)."""
    script = Path(sys.executable).parent / "retention-tui"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "retention_tui"]


def terminal_env(term: str, no_color: bool = False, **extra: str) -> dict[str, str]:
    """A clean SSH-like environment: TERM as given, no COLORTERM, NO_COLOR if asked."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("COLORTERM", "NO_COLOR", "TERM_PROGRAM", "TEXTUAL_COLOR_SYSTEM")
        and not key.startswith(("PYTEST_", "TEXTUAL_", "LC_", "LANGUAGE"))
    }
    env["TERM"] = term
    env["LANG"] = "C.UTF-8"  # English strings, UTF-8 output
    if no_color:
        env["NO_COLOR"] = "1"
    env.update(extra)
    return env


class PtyApp:
    """One child process on a pseudo-terminal of ``cols`` x ``rows``."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cols: int = 80,
        rows: int = 24,
    ) -> None:
        self.cols, self.rows = cols, rows
        self.chunks: list[tuple[float, bytes]] = []
        self.total = 0
        self._lock = threading.Lock()
        self._fed = 0
        self._screen = None
        self._stream = None
        self.exit_code: int | None = None
        pid, fd = pty.fork()
        if pid == 0:  # the child: size its terminal as sshd would, then become the app
            try:
                winsize = struct.pack("HHHH", rows, cols, 0, 0)
                fcntl.ioctl(0, termios.TIOCSWINSZ, winsize)
                os.execvpe(argv[0], list(argv), dict(env))
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- output ----------------------------------------------------------------------------

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.5)
                if not ready:
                    if self.exit_code is not None:
                        return
                    continue
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: the child closed its side
                return
            if not data:
                return
            with self._lock:
                self.chunks.append((time.monotonic(), data))
                self.total += len(data)

    @property
    def output(self) -> bytes:
        with self._lock:
            return b"".join(chunk for _, chunk in self.chunks)

    def last_output_at(self) -> float:
        with self._lock:
            return self.chunks[-1][0] if self.chunks else 0.0

    def wait_quiet(self, quiet: float = 0.3, timeout: float = 30.0) -> bool:
        """Until nothing has arrived for ``quiet`` seconds (False on timeout)."""
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            now = time.monotonic()
            last = self.last_output_at()
            if last and now - last >= quiet:
                return True
            time.sleep(min(0.05, quiet / 4))
        return False

    # -- the screen ------------------------------------------------------------------------

    def screen(self):  # -> pyte.Screen
        """The emulated terminal after every byte so far."""
        import pyte

        if self._screen is None:
            self._screen = pyte.Screen(self.cols, self.rows)
            self._stream = pyte.ByteStream(self._screen)
        data = self.output
        self._stream.feed(data[self._fed :])
        self._fed = len(data)
        return self._screen

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen().display)

    def wait_for(self, check: Callable[[str], object], timeout: float = 30.0) -> str:
        """Until ``check(screen text)`` is true; the screen text. TimeoutError with the
        screen in the message otherwise."""
        limit = time.monotonic() + timeout
        while True:
            text = self.text()
            if check(text):
                return text
            if time.monotonic() > limit:
                raise TimeoutError(f"screen never matched; it shows:\n{text}")
            time.sleep(0.05)

    # -- input -----------------------------------------------------------------------------

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = KEYS.get(data) or data.encode()
        os.write(self.fd, data)

    def key(self, name: str, quiet: float = 0.3, timeout: float = 30.0) -> int:
        """Send one key, wait until the app is quiet again; the bytes it wrote meanwhile."""
        before = self.total
        self.send(name)
        # The first byte of the answer may take a moment on a loaded machine.
        limit = time.monotonic() + min(timeout, 5.0)
        while self.total == before and time.monotonic() < limit:
            time.sleep(0.01)
        self.wait_quiet(quiet, timeout)
        return self.total - before

    def resize(self, cols: int, rows: int) -> None:
        """Change the window size as a terminal does (the kernel sends SIGWINCH)."""
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.cols, self.rows = cols, rows
        if self._screen is not None:
            self.screen()  # what came before, at the old size
            self._screen.resize(rows, cols)

    def full_paint(self, quiet: float = 0.3, timeout: float = 30.0) -> int:
        """Bytes of one whole-screen repaint: shrink by a line, then measure the way back."""
        cols, rows = self.cols, self.rows
        self.resize(cols, rows - 1)
        self.wait_quiet(quiet, timeout)
        before = self.total
        self.resize(cols, rows)
        limit = time.monotonic() + 5.0
        while self.total == before and time.monotonic() < limit:
            time.sleep(0.01)
        self.wait_quiet(quiet, timeout)
        return self.total - before

    # -- the end ---------------------------------------------------------------------------

    def wait_exit(self, timeout: float = 20.0) -> int | None:
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_code = os.waitstatus_to_exitcode(status)
                self._reader.join(2)
                return self.exit_code
            time.sleep(0.05)
        return None

    def close(self) -> None:
        """Kill the child if it still runs; close the terminal."""
        if self.exit_code is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.exit_code = self.exit_code if self.exit_code is not None else -9
        self._reader.join(2)
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def desktop_ready(text: str) -> bool:
    """The desktop has counted its customers (the count line reads "N customers")."""
    return bool(re.search(r"\d customers · ", text))


def shown_count(text: str) -> str | None:
    """The count line's figure: "300" or "12 of 300"."""
    found = re.search(r"([\d,]+(?: of [\d,]+)?) customers · ", text)
    return found.group(1) if found else None


# -- reading the bytes ---------------------------------------------------------------------

_PIECE = re.compile(rb"\x1b\[(\d+);(\d+)H")
_SGR = re.compile(rb"\x1b\[([0-9;]*)m")


def line_writes(data: bytes) -> list[tuple[int, int]]:
    """(row, bytes) of each run of writes to one row. A cursor move starts a run; so does a
    new line (a whole-screen update moves once, then writes its lines one under another)."""
    pieces = list(_PIECE.finditer(data))
    runs: list[tuple[int, int]] = []
    for i, move in enumerate(pieces):
        end = pieces[i + 1].start() if i + 1 < len(pieces) else len(data)
        row = int(move.group(1))
        lines = data[move.start() : end].split(b"\n")
        for offset, line in enumerate(lines):
            size = len(line) + (1 if offset < len(lines) - 1 else 0)
            if not line.strip(b"\r") and offset == len(lines) - 1:
                if runs:  # the newline ending the last line: count it there
                    runs[-1] = (runs[-1][0], runs[-1][1] + len(line))
                continue
            if runs and runs[-1][0] == row + offset and offset == 0:
                runs[-1] = (row, runs[-1][1] + size)
            else:
                runs.append((row + offset, size))
    return runs


def one_frame(data: bytes) -> int:
    """Bytes of one full paint, from ``data`` that repaints the whole screen (a resize
    repaints it several times, partly): the largest write of each row, summed."""
    largest: dict[int, int] = {}
    for row, size in line_writes(data):
        largest[row] = max(size, largest.get(row, 0))
    return sum(largest.values())


def paints(data: bytes) -> int:
    """How often the most-written row was written: 1 for one paint, 3 for three."""
    counts: dict[int, int] = {}
    for row, _size in line_writes(data):
        counts[row] = counts.get(row, 0) + 1
    return max(counts.values(), default=0)


def merged_size(data: bytes) -> int:
    """Size of ``data`` if neighbouring runs of the same style were written as one run
    (Textual writes "reset, same style again" between every segment of a line)."""
    out = bytearray()
    current = b""
    pos = 0
    pending_reset = False
    for match in _SGR.finditer(data):
        text = data[pos : match.start()]
        if text:
            if pending_reset:
                out += b"\x1b[0m"
                current = b""
                pending_reset = False
            out += text
        params = match.group(1)
        if params in (b"", b"0"):
            pending_reset = True
        elif pending_reset and params == current:
            pending_reset = False  # "reset, then the same style": drop both
        else:
            if pending_reset:
                out += b"\x1b[0m"
                pending_reset = False
            out += match.group(0)
            current = params
        pos = match.end()
    if pending_reset:
        out += b"\x1b[0m"
    out += data[pos:]
    return len(out)


def colour_system(data: bytes) -> str:
    """The colours the bytes ask for: truecolor, 256, 16 or none."""
    found = {p for m in _SGR.finditer(data) for p in [m.group(1)]}
    text = b";".join(found)
    if re.search(rb"(^|;)[34]8;2;", text):
        return "truecolor"
    if re.search(rb"(^|;)[34]8;5;", text):
        return "256"
    if re.search(rb"(^|;)(3[0-7]|4[0-7]|9[0-7]|10[0-7])(;|$)", text):
        return "16"
    return "none"
