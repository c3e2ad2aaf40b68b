"""Keep the translation catalogues in step with the code (``make translations``).

    python scripts/translations.py [extract|update|compile|all]

* extract: every ``_()``, ``N_()`` and ``ngettext()`` string of src/retention_tui (Babel), plus
  the command line's help texts (the commands' docstrings, which click shows), into
  src/retention_tui/locale/retention_tui.pot;
* update: merge the template into each language's .po (new strings appear untranslated,
  strings gone from the code are dropped, never kept as obsolete);
* compile: each .po into its .mo, which the app reads.

tests/test_translations.py checks that the catalogues are complete and compiled.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "retention_tui"
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / "retention_tui.pot"
LANGUAGES = ("nl", "de", "it", "lv", "zh")
DOMAIN = "retention_tui"


def command_helps() -> list[tuple[str, str]]:
    """(command path, help text) of every command and group, as click shows them."""
    sys.path.insert(0, str(ROOT / "src"))
    import click

    from retention_tui.cli import cli

    found: list[tuple[str, str]] = []

    def walk(command: click.Command, path: str) -> None:
        if command.help:
            found.append((path, inspect.cleandoc(command.help)))
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                walk(sub, f"{path} {name}")

    walk(cli, "retention-tui")
    return found


def translated(string: str | tuple[str, ...]) -> bool:
    """Whether a message's translation (every plural form) is filled in."""
    return all(string) if isinstance(string, tuple) else bool(string)


# The modules of click whose messages the command line shows (usage, options, errors); the
# app gives them its own ``_`` (cli.py), so they are translated with the rest.
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui")


def click_messages() -> list:
    """The messages of the installed click, located as ``click/<module>.py``."""
    import click
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    found = Catalog()
    folder = Path(click.__file__).parent
    for module in CLICK_MODULES:
        for lineno, message, _comments, _context in extract_from_file(
            "python", str(folder / f"{module}.py"),
            keywords={"_": None, "ngettext": (1, 2)},
        ):  # fmt: skip
            if message:
                found.add(message, locations=[(f"click/{module}.py", lineno)])
    return [m for m in found if m.id]


def extract(target: Path = TEMPLATE) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po, write_po

    LOCALE.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)  # locations relative to the repository
    CommandLineInterface().run(
        ["pybabel", "--quiet", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_", "-k", "N_",
         "-k", "ngettext:1,2", "-k", "pgettext:1c,2", "-k", "NP_:1c,2",
         "--add-comments=TRANSLATORS:", "--no-wrap", "--sort-by-file",
         "--project", "retention-tui", "--copyright-holder", "retention-tui", "--omit-header",
         "-o", str(target),
         "src/retention_tui"]
    )  # fmt: skip
    with target.open("rb") as handle:
        catalog: Catalog = read_po(handle)
    for path, text in command_helps():
        catalog.add(text, locations=[("command-line-help/" + path.replace(" ", "/"), 0)])
    for message in click_messages():
        if message.id not in catalog:
            catalog[message.id] = message
    with target.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_by_file=True)
    print(f"{target}: {len(catalog)} messages")


def update() -> None:
    from babel.messages.pofile import read_po, write_po

    with TEMPLATE.open("rb") as handle:
        template = read_po(handle)
    for language in LANGUAGES:
        po = LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            from babel.messages.catalog import Catalog

            po.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, domain=DOMAIN, project="retention-tui")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with po.open("wb") as handle:
            write_po(handle, catalog, width=0, sort_by_file=True, ignore_obsolete=True)
        done = sum(1 for m in catalog if m.id and translated(m.string) and not m.fuzzy)
        print(f"{po.relative_to(ROOT)}: {done}/{len(catalog)} translated")


def compile_all() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for language in LANGUAGES:
        po = LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.exists():
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        print(f"{po.with_suffix('.mo').relative_to(ROOT)} written")


def main() -> None:
    step = sys.argv[1] if len(sys.argv) > 1 else "all"
    if step in ("extract", "all"):
        extract()
    if step in ("update", "all"):
        update()
    if step in ("compile", "all"):
        compile_all()


if __name__ == "__main__":
    main()
