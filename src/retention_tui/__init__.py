"""retention-tui: keep a workshop's customers, from the terminal."""

__version__ = "0.1.0"
