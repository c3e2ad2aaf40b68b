"""Text boxes whose cursor stands still.

Textual's boxes blink their cursor twice a second. Each blink repaints the line: over SSH
that is ~300 bytes a second for as long as a box has the focus, and it makes what a
screenshot or a snapshot shows depend on the half-second it was taken in. Every box in the
app is one of these; the cursor shows, steady, while the box has the focus.
"""

from __future__ import annotations

from textual import widgets
from textual.reactive import reactive


class Input(widgets.Input):
    """Textual's one-line box, with a steady cursor."""

    cursor_blink = reactive(False, init=False)


class TextArea(widgets.TextArea):
    """Textual's multi-line editor, with a steady cursor."""

    cursor_blink = reactive(False, init=False)
