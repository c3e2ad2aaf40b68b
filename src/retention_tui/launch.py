"""The command's entry point: the language is chosen before anything that translates a string
when it is imported (command-line help, key bindings) is imported."""

from __future__ import annotations

import sys


def _lang_argument(args: list[str]) -> str | None:
    """The value of ``--lang`` among the global options (before the subcommand), if any."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
    return None


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    from .i18n import choose_language

    choose_language(_lang_argument(args))
    from .cli import main as cli_main

    cli_main(args)
