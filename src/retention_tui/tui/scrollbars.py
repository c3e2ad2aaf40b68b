"""Horizontal scroll bars written as a few runs instead of one run per cell.

Textual draws a horizontal bar as one segment per cell, and every segment is written with its
full colour sequence: ~2 KB for an 80-column bar in 256 colours, repainted whenever the
widget's styles are applied again (every focus change). Neighbouring cells of the same style
(and the same mouse action) are merged; the cells on screen and what a click does are the
same. Vertical bars are one segment per line already.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment, Segments
from textual.scrollbar import ScrollBar, ScrollBarRender


class LeanScrollBarRender(ScrollBarRender):
    @classmethod
    def render_bar(cls, *args: Any, **kwargs: Any) -> Segments:
        bar = super().render_bar(*args, **kwargs)
        if bar.new_lines:
            return bar
        return Segments(list(Segment.simplify(bar.segments)), new_lines=False)


def install() -> None:
    """Every scroll bar of the app (Textual's documented switch: ScrollBar.renderer)."""
    ScrollBar.renderer = LeanScrollBarRender
