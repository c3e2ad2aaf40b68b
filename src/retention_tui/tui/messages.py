"""Messages posted by workers: past-tense events the app and screens react to."""

from __future__ import annotations

from textual.message import Message

from ..overview import Overview


class OverviewLoaded(Message):
    """The database overview was read in a worker."""

    def __init__(self, overview: Overview) -> None:
        super().__init__()
        self.overview = overview
