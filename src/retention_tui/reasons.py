"""Churn reasons: a self-learning list whose variants must not multiply.

This module owns the normalised form of a reason (the key that makes "Too expensive!" and
"too  expensive" one reason). Fuzzy suggestions and merging build on it.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from . import audit, roles
from .db import write
from .errors import RetentionError
from .i18n import _

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize_reason(text: str) -> str:
    """Fold case, accents, punctuation and repeated spaces: the reason's identity key."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", without_accents).replace("_", " ").split())


# -- suggestions ------------------------------------------------------------------------------
#
# A typed text is a variant of a reason when, after normalising, the same content words remain
# (in any order, articles and fillers dropped, compounds split or joined) with at most a
# small slip in a long word. It is never a variant when one of the two is negated and the
# other is not, or when a word stands against its own negated form ("tevreden" /
# "ontevreden"): a negation or an opposite means something else.

# Words that carry no meaning of their own in a reason, in the workshops' languages.
_FILLER_WORDS = {
    "nl": "de het een te erg heel zeer veel al nog wel is was zijn werd wordt over bij van met "
    "voor op in naar",
    "de": "der die das den dem des ein eine einen einem zu sehr viel ist war sind wurde wurden "
    "hat mit von bei fur auf nach",
    "it": "il lo la i gli le un una uno l d di da del della dei delle dell all troppo molto e "
    "con per al alla in",
    "en": "the a an too very much is was are has have had been got with for at of to",
    "lv": "ir bija par loti parak ar uz pie",
    "zh": "了 的 太 很 也 是 已 经 对 被",
}
FILLERS = frozenset(word for words in _FILLER_WORDS.values() for word in words.split())
# Words that negate what follows.
_NEGATION_WORDS = "niet geen nooit nicht kein keine keinen keiner nie non mai not no never nav ne"
NEGATIONS = frozenset([*_NEGATION_WORDS.split(), "不", "没", "没有", "无", "未", "别"])
# Prefixes that turn a word into its opposite (ontevreden, unzufrieden, insoddisfatto,
# dissatisfied, neapmierinats), when the rest is itself a word of the other text.
NEGATING_PREFIXES = ("on", "un", "in", "dis", "ne", "s", "non")

_CJK = re.compile(r"[\u3400-\u9fff]")


def _words(normalized: str) -> list[str]:
    """Content words of a normalised text; CJK text counts character by character."""
    words: list[str] = []
    for word in normalized.split():
        if _CJK.search(word):
            words.extend(ch for ch in word if not ch.isspace())
        else:
            words.append(word)
    return words


def _negated(words: list[str]) -> bool:
    return any(w in NEGATIONS for w in words)


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w not in FILLERS and w not in NEGATIONS]


def _opposite(a: str, b: str) -> bool:
    """One word is the other with a negating prefix (tevreden / ontevreden)."""
    long, short = (a, b) if len(a) > len(b) else (b, a)
    return any(long == prefix + short for prefix in NEGATING_PREFIXES) and len(short) >= 4


def _same_word(a: str, b: str, partial: bool = False) -> float:
    """1 for the same word, 0.9 for one slip in a long word, 0.8 for a word still being
    typed (``partial``: ``a`` is a prefix of ``b``), else 0.

    A slip is one letter too many, too few, swapped with its neighbour, or (in words of six
    letters or more) wrong; two slips only in words of nine or more. Two different short
    words a letter apart ("laat" / "laut") are different words.
    """
    if a == b:
        return 1.0
    if partial and len(a) >= 3 and b.startswith(a):
        return 0.8
    shortest, longest = min(len(a), len(b)), max(len(a), len(b))
    if shortest < 4:
        return 0.0
    slips = OSA.distance(a, b, score_cutoff=3)
    if slips == 1:
        swapped = len(a) == len(b) and sorted(a) == sorted(b)
        inserted = len(a) != len(b) and longest >= 5
        if swapped or inserted or shortest >= 6:
            return 0.9
    if slips == 2 and shortest >= 9:
        return 0.85
    return 0.0


# Content words compared per text (a pasted 10,000-character note must not take minutes).
MAX_WORDS = 24


def similarity(typed: str, reason: str, *, typing: bool = False) -> float:
    """0-100: how surely ``typed`` means the reason ``reason`` (both as typed by people).

    ``typing``: the last word may still be incomplete (the form's suggestions while typing).
    """
    a, b = normalize_reason(typed), normalize_reason(reason)
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    wa, wb = _words(a), _words(b)
    if _negated(wa) != _negated(wb):
        return 0.0
    ca, cb = _content(wa), _content(wb)
    if not ca or not cb:
        return 0.0
    # A reason is a few words: past MAX_WORDS only the first are compared, and the score
    # still counts every word, so a long text never steers to another unless it is the same.
    words = max(len(ca), len(cb))
    if any(_opposite(x, y) for x in ca[:MAX_WORDS] for y in cb[:MAX_WORDS]):
        return 0.0
    if "".join(ca) == "".join(cb):  # a compound written apart or together
        return 97.0
    ca, cb = ca[:MAX_WORDS], cb[:MAX_WORDS]
    matched = 0.0
    free = list(cb)
    for i, word in enumerate(ca):
        last = typing and i == len(ca) - 1
        best, best_j = 0.0, -1
        for j, other in enumerate(free):
            score = _same_word(word, other, partial=last)
            if score > best:
                best, best_j = score, j
        if best_j < 0:
            # A compound on one side: the word may be made of two of the other's words.
            joined = [
                free[j] + free[k] for j in range(len(free)) for k in range(len(free)) if j != k
            ]
            if any(_same_word(word, w) for w in joined):
                best = 1.0
                free = []
            else:
                continue
        else:
            free.pop(best_j)
        matched += best
    return 100.0 * matched / words


# A reason Enter may take without asking: every content word matched, one slip at most.
TAKES = 85.0
# Below this a reason is not shown at all.
SHOWN = 50.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    reason_id: int
    label: str
    score: float
    takes: bool
    """Enter takes this one (only ever the first)."""


def suggest(
    conn: sqlite3.Connection, typed: str, limit: int = 5, *, typing: bool = True
) -> list[Suggestion]:
    """Existing reasons for ``typed``, best first; the first ``takes`` when it is surely
    the same reason. Retired and merged reasons are not offered; their aliases lead to the
    reason they live on in."""
    key = normalize_reason(typed)
    if not key:
        return []
    candidates = _candidates(conn)
    # A quick filter over every reason (their content words in sorted order, compared as
    # strings), then the careful score over the closest few.
    pool = process.extract(
        _sketch(key), candidates.sketches, scorer=fuzz.ratio, limit=max(30, limit * 6)
    )
    scored: dict[int, Suggestion] = {}
    for _sketched, _quick, index in pool:
        text = candidates.texts[index]
        reason_id, label = candidates.by_text[text]
        score = similarity(typed, text, typing=typing)
        if score < SHOWN:
            continue
        if reason_id not in scored or scored[reason_id].score < score:
            scored[reason_id] = Suggestion(reason_id, label, round(score, 1), False)
    best = sorted(scored.values(), key=lambda s: (-s.score, s.label))[:limit]
    if best and best[0].score >= TAKES:
        best[0] = Suggestion(best[0].reason_id, best[0].label, best[0].score, True)
    return best


@dataclass(frozen=True)
class _Candidates:
    signature: tuple
    by_text: dict[str, tuple[int, str]]
    """Normalised text -> (reason id, label)."""
    texts: list[str]
    sketches: list[str]


_cache: dict[str, _Candidates] = {}


def _sketch(normalized: str) -> str:
    """A reason's content words in sorted order: word order and fillers do not count,
    a negation does."""
    words = _words(normalized)
    sketch = " ".join(sorted(_content(words) or words))
    return f"¬ {sketch}" if _negated(words) else sketch  # a negation is another reason


def _candidates(conn: sqlite3.Connection) -> _Candidates:
    """Every offered reason and alias, with the sketches the quick filter compares.

    Kept per database file while the reasons do not change (checked by a cheap signature),
    so a keystroke does not read ten thousand reasons again.
    """
    signature = tuple(
        conn.execute(
            "SELECT count(*), max(id), total(retired), count(merged_into),"
            " (SELECT count(*) FROM churn_reason_aliases),"
            " (SELECT max(id) FROM churn_reason_aliases), total(length(label) * id)"
            " FROM churn_reasons"
        ).fetchone()
    )
    path = conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:"
    cached = _cache.get(path)
    if cached is not None and cached.signature == signature and path != ":memory:":
        return cached
    by_text = _read_candidates(conn)
    texts = list(by_text)
    fresh = _Candidates(signature, by_text, texts, [_sketch(t) for t in texts])
    _cache[path] = fresh
    return fresh


def _read_candidates(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for reason_id, label, normalized in conn.execute(
        "SELECT id, label, normalized FROM churn_reasons WHERE merged_into IS NULL AND retired = 0"
    ):
        out[normalized] = (reason_id, label)
    for normalized, reason_id, label in conn.execute(
        "SELECT a.normalized, r.id, r.label FROM churn_reason_aliases a"
        " JOIN churn_reasons r ON r.id = a.reason_id WHERE r.merged_into IS NULL"
        " AND r.retired = 0"
    ):
        out.setdefault(normalized, (reason_id, label))
    return out


# -- clean-up: clusters of likely duplicates, and merging --------------------------------------


@dataclass(frozen=True, slots=True)
class ReasonUse:
    reason_id: int
    label: str
    uses: int
    first_used: str | None
    last_used: str | None


def reason_uses(conn: sqlite3.Connection) -> list[ReasonUse]:
    """Every reason still offered, with how often and when it was used, most used first."""
    return [
        ReasonUse(*row)
        for row in conn.execute(
            "SELECT r.id, r.label, count(d.id), min(d.departed_on), max(d.departed_on)"
            " FROM churn_reasons r LEFT JOIN departures d ON d.reason_id = r.id"
            " WHERE r.merged_into IS NULL AND r.retired = 0"
            " GROUP BY r.id ORDER BY count(d.id) DESC, r.label"
        )
    ]


def clusters(conn: sqlite3.Connection) -> list[list[ReasonUse]]:
    """Groups of reasons that are likely the same, the suggested survivor first.

    Two reasons group when their content words are the same (a key collision on the
    fingerprint, as OpenRefine clusters) or when either would steer to the other (the same
    test the departure form uses). The survivor is the most used, then the oldest.
    """
    uses = reason_uses(conn)
    sketches = [_sketch(normalize_reason(u.label)) for u in uses]
    parent = list(range(len(uses)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_sketch: dict[str, int] = {}
    for i, sketch in enumerate(sketches):
        if sketch in by_sketch:
            parent[root(i)] = root(by_sketch[sketch])
        else:
            by_sketch[sketch] = i
    for i, use in enumerate(uses):
        near = process.extract(sketches[i], sketches, scorer=fuzz.ratio, limit=8, score_cutoff=60)
        for _text, _quick, j in near:
            if j != i and root(i) != root(j):
                a, b = use.label, uses[j].label
                if similarity(a, b) >= TAKES or similarity(b, a) >= TAKES:
                    parent[root(j)] = root(i)
    groups: dict[int, list[ReasonUse]] = {}
    for i, use in enumerate(uses):
        groups.setdefault(root(i), []).append(use)
    found = [g for g in groups.values() if len(g) > 1]
    for group in found:
        group.sort(key=lambda u: (-u.uses, u.reason_id))
    return sorted(found, key=lambda g: -sum(u.uses for u in g))


def merge(conn: sqlite3.Connection, survivor_id: int, member_ids: list[int]) -> int:
    """Merge reasons into the survivor: departures re-pointed, old names kept as aliases
    (typing or importing them later finds the survivor), audited. Returns departures moved."""
    members = [m for m in dict.fromkeys(member_ids) if m != survivor_id]
    if not members:
        raise RetentionError(_("Choose at least one other reason to merge into it."))
    roles.require_manager(conn, _("Merging reasons is a manager's task."))
    with write(conn):
        labels = dict(
            conn.execute(
                f"SELECT id, label FROM churn_reasons WHERE merged_into IS NULL AND id IN"
                f" ({', '.join('?' * (len(members) + 1))})",
                [survivor_id, *members],
            ).fetchall()
        )
        missing = [i for i in [survivor_id, *members] if i not in labels]
        if missing:
            raise RetentionError(
                _("Reason {ids} does not exist or was merged already.").format(
                    ids=", ".join(map(str, missing))
                )
            )
        marks = ", ".join("?" * len(members))
        moved = conn.execute(
            f"UPDATE departures SET reason_id = ? WHERE reason_id IN ({marks})",
            [survivor_id, *members],
        ).rowcount
        conn.execute(
            f"UPDATE churn_reason_aliases SET reason_id = ? WHERE reason_id IN ({marks})",
            [survivor_id, *members],
        )
        for member in members:
            conn.execute(
                "INSERT INTO churn_reason_aliases (reason_id, alias, normalized)"
                " SELECT ?, label, normalized FROM churn_reasons WHERE id = ?"
                " ON CONFLICT (normalized) DO UPDATE SET reason_id = excluded.reason_id",
                (survivor_id, member),
            )
        # Reasons merged into a member earlier now lead to the survivor too.
        conn.execute(
            f"UPDATE churn_reasons SET merged_into = ? WHERE id IN ({marks})"
            f" OR merged_into IN ({marks})",
            [survivor_id, *members, *members],
        )
        audit.record(
            conn,
            "merge reasons",
            "churn_reasons",
            survivor_id,
            old=[labels[m] for m in members],
            new={"survivor": labels[survivor_id], "departures moved": moved},
        )
    return int(moved)


def rename(conn: sqlite3.Connection, reason_id: int, label: str) -> None:
    """Give a reason a new name; the old name stays an alias, so it is still found."""
    label = " ".join(label.split())
    key = normalize_reason(label)
    if not key:
        raise RetentionError(_("Give the reason a name (a few words)."))
    roles.require_manager(conn, _("Renaming reasons is a manager's task."))
    with write(conn):
        row = conn.execute(
            "SELECT label, normalized FROM churn_reasons WHERE id = ? AND merged_into IS NULL",
            (reason_id,),
        ).fetchone()
        if row is None:
            raise RetentionError(_("Reason {id} does not exist.").format(id=reason_id))
        other = conn.execute(
            "SELECT label FROM churn_reasons WHERE normalized = ? AND id != ?", (key, reason_id)
        ).fetchone()
        if other is not None:
            raise RetentionError(
                _("'{label}' is already a reason: merge the two instead.").format(label=other[0])
            )
        if row[1] != key:
            conn.execute(
                "INSERT INTO churn_reason_aliases (reason_id, alias, normalized) VALUES (?, ?, ?)"
                " ON CONFLICT (normalized) DO UPDATE SET reason_id = excluded.reason_id",
                (reason_id, row[0], row[1]),
            )
            conn.execute("DELETE FROM churn_reason_aliases WHERE normalized = ?", (key,))
        conn.execute(
            "UPDATE churn_reasons SET label = ?, normalized = ? WHERE id = ?",
            (label, key, reason_id),
        )
        audit.record(conn, "rename reason", "churn_reasons", reason_id, old=row[0], new=label)


def retire(conn: sqlite3.Connection, reason_id: int, retired: bool = True) -> None:
    """Hide a reason from suggestions (or offer it again); its history stays."""
    roles.require_manager(conn, _("Retiring reasons is a manager's task."))
    with write(conn):
        changed = conn.execute(
            "UPDATE churn_reasons SET retired = ? WHERE id = ? AND retired != ?",
            (int(retired), reason_id, int(retired)),
        ).rowcount
        if changed:
            audit.record(
                conn, "retire reason" if retired else "offer reason again", "churn_reasons",
                reason_id, new=retired,
            )  # fmt: skip
