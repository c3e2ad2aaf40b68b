"""The catalogues: the template holds every string of the code, each language translates every
one of them (no empty, fuzzy or stale entry), keeps every placeholder, fits the column headings
in their cells, and is compiled."""

from __future__ import annotations

import gettext
import importlib.util
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from rich.cells import cell_len

from retention_tui import i18n
from vocabulary import vocabulary

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "retention_tui" / "locale"
LANGUAGES = [code for code in i18n.LANGUAGES if code != "en"]
WIDTH = re.compile(r"at most (\d+) cells wide")


def _script():
    spec = importlib.util.spec_from_file_location(
        "translations", ROOT / "scripts" / "translations.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _messages(catalog: Catalog) -> dict[tuple[str | None, str], Message]:
    """Every message by (context, id); a plural by its singular."""
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}


def _fields(text: str) -> set[str]:
    """The ``{name}`` placeholders and ``%s``-style directives of ``text``."""
    found = {f"{{{name}}}" for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
    found |= set(re.findall(r"%(?:\([a-z_]+\))?[sdfr]", text))
    return found


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _read(LOCALE / "retention_tui.pot")


def test_the_template_holds_every_string_of_the_code(tmp_path: Path, template: Catalog) -> None:
    fresh = tmp_path / "fresh.pot"
    _script().extract(fresh)

    def ours(catalog: Catalog) -> set[str]:
        """Without click's own messages: another click version may word them otherwise."""
        return {
            key for key, m in _messages(catalog).items()
            if not all(path.startswith("click/") for path, _line in m.locations)
        }  # fmt: skip

    missing = ours(_read(fresh)) - ours(template)
    stale = ours(template) - ours(_read(fresh))
    assert not missing, f"run make translations: new strings {sorted(missing)[:10]}"
    assert not stale, f"run make translations: strings gone from the code {sorted(stale)[:10]}"


def test_every_word_shown_from_data_is_in_the_template(tmp_path: Path, template: Catalog) -> None:
    missing = vocabulary(tmp_path) - {key for _context, key in _messages(template)}
    assert not missing, f"add to src/retention_tui/words.py: {sorted(missing)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_complete_and_keeps_every_placeholder(
    language: str, template: Catalog
) -> None:
    po = _read(LOCALE / language / "LC_MESSAGES" / "retention_tui.po", language)
    ours = _messages(po)
    wanted = _messages(template)
    assert not set(ours) - set(wanted), "stale entries: run make translations"
    problems: list[str] = []
    for (context, key), source in wanted.items():
        found = ours.get((context, key))
        if found is None or found.fuzzy:
            problems.append(f"missing or fuzzy: {key!r}")
            continue
        if isinstance(source.id, tuple):
            forms = found.string if isinstance(found.string, tuple) else (found.string,)
            if len(forms) != po.num_plurals or not all(forms):
                problems.append(f"plural forms: {key!r}")
                continue
            allowed = _fields(source.id[0]) | _fields(source.id[1])
            plural = gettext.c2py(po.plural_expr)
            # A form used for some number other than 1 must show that number.
            for index, form in enumerate(forms):
                many = any(plural(n) == index for n in range(201) if n != 1)
                if not _fields(form) <= allowed or (
                    many and not _fields(source.id[1]) <= _fields(form)
                ):
                    problems.append(f"placeholders: {key!r} -> {forms!r}")
                    break
            continue
        text = found.string
        if not text:
            problems.append(f"untranslated: {key!r}")
        elif _fields(text) != _fields(key):
            problems.append(f"placeholders: {key!r} -> {text!r}")
        elif key[:1].isspace() != text[:1].isspace() or key.endswith("\n") != text.endswith("\n"):
            problems.append(f"leading or trailing space: {key!r} -> {text!r}")
        elif text.count("[") != key.count("["):
            problems.append(f"square brackets (markup) added or lost: {key!r} -> {text!r}")
        else:
            width = next((int(m[1]) for c in source.auto_comments if (m := WIDTH.search(c))), None)
            if width is not None and cell_len(text) > width:
                problems.append(f"wider than {width} cells: {key!r} -> {text!r}")
    assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(problems[:25])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_the_current_one(language: str) -> None:
    po_path = LOCALE / language / "LC_MESSAGES" / "retention_tui.po"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), "run make translations"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _read(po_path, language):
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            for n in (1, 2, 5, 21):
                form = compiled.plural(n)  # type: ignore[attr-defined]
                expected = message.string[form]
                assert compiled.ngettext(*message.id, n) == expected, "run make translations"
        elif message.context:
            found = compiled.pgettext(message.context, message.id)
            assert found == message.string, "run make translations"
        else:
            assert compiled.gettext(message.id) == message.string, "run make translations"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_app_speaks_the_language(language: str) -> None:
    i18n.set_language(language)
    try:
        assert i18n._("Customers") != "Customers"
    finally:
        i18n.set_language("en")
