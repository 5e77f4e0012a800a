"""The glossary: the terms a learner meets, each pointing at the panel where it shows.

Step texts link a term as ``[[id]]`` or ``[[id|shown words]]``; :func:`split_links` cuts a
text into plain and linked pieces, and the track loader refuses a link to a term the glossary
does not have.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GLOSSARY_FILE = Path(__file__).resolve().parent / "glossary.toml"
LINK = re.compile(r"\[\[([a-z0-9-]+)(?:\|([^\]]+))?\]\]")


@dataclass(frozen=True)
class Term:
    """One glossary entry: ``id`` (used in links), the term, its text, and its panel."""

    id: str
    term: str
    text: str
    panel: str


def read_glossary(path: str | Path) -> dict[str, Term]:
    """Read a glossary file: ``[[terms]]`` tables with ``id``, ``term``, ``text``, ``panel``.

    Raises
    ------
    ValueError
        The file cannot be read or parsed, or an entry is incomplete or repeated; the message
        starts with the file's name.
    """
    from core.lessons.track import PANELS

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot read the glossary ({exc})") from None
    terms: dict[str, Term] = {}
    for i, entry in enumerate(data.get("terms", []), 1):
        fields = {k: entry.get(k) for k in ("id", "term", "text", "panel")}
        missing = [k for k, v in fields.items() if not isinstance(v, str) or not v.strip()]
        if missing:
            raise ValueError(f"{path.name}: term {i}: {missing[0]!r} is missing or empty")
        if fields["panel"] not in PANELS:
            raise ValueError(
                f"{path.name}: term {fields['id']!r}: unknown panel {fields['panel']!r}"
            )
        if fields["id"] in terms:
            raise ValueError(f"{path.name}: term {fields['id']!r} appears twice")
        terms[fields["id"]] = Term(**{k: " ".join(v.split()) for k, v in fields.items()})
    if not terms:
        raise ValueError(f"{path.name}: the glossary has no [[terms]]")
    return terms


@cache
def glossary() -> dict[str, Term]:
    """The app's glossary (``core/lessons/glossary.toml``), by term id."""
    return read_glossary(GLOSSARY_FILE)


def split_links(text: str) -> list[tuple[str, str | None]]:
    """``text`` as ``(words, term id or None)`` pieces, in order.

    Examples
    --------
    >>> split_links("Watch the [[overfitting|gap]] open.")
    [('Watch the ', None), ('gap', 'overfitting'), (' open.', None)]
    """
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for m in LINK.finditer(text):
        if m.start() > at:
            pieces.append((text[at : m.start()], None))
        term = m.group(1)
        pieces.append((m.group(2) or term.replace("-", " "), term))
        at = m.end()
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces


def plain(text: str) -> str:
    """``text`` with its links replaced by their words."""
    return "".join(words for words, _term in split_links(text))


def linked_terms(text: str) -> list[str]:
    """The term ids ``text`` links to, in order."""
    return [term for _words, term in split_links(text) if term is not None]
