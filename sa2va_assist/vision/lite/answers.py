"""What the lite backend says in its own words: only what it has no model for. Everything it found
is worded by the one composer (``sa2va_assist.compose``). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ...compose import TEXT_UNSURE_BELOW
from ...vocabulary import spoken_plural

CAPABILITIES = "I can find people and read text."
OBJECT_CAPABILITIES = "I can find and count 80 kinds of everyday object, say where they are, and read text."
UNSURE_BELOW = TEXT_UNSURE_BELOW  # OCR confidence (0..1) under which a line is read as unsure


ENGLISH_ONLY = "I only understand English offline so far. Ask, for example: where is the cup?"


def cannot_answer(objects: bool = False) -> str:
    """The honest answer to a question the lite backend has no way to answer; ``objects``: whether
    the object detector is loaded (it widens what can be offered instead)."""
    return f"I can't answer that offline yet; {OBJECT_CAPABILITIES if objects else CAPABILITIES}"


def describe_unknown(words: Sequence[str], known: Iterable[str]) -> str:
    """The honest answer for things no class covers: "I can't recognise 'keys' offline; I can find 80
    kinds of everyday object, such as people, cups and chairs." ``known``: the class names the backend
    can find (all listed when three or fewer; without its object detector lite finds people and
    reads text: "I can find people and read text.")."""
    names = " or ".join(f"'{w}'" for w in dict.fromkeys(words)) or "that"
    kinds = list(dict.fromkeys(known))
    if not kinds:
        return f"I can't recognise {names} offline."
    if len(kinds) <= 3:
        found = [spoken_plural(k) for k in kinds if k != "text"]
        reads = " and read text" if "text" in kinds else ""
        return f"I can't recognise {names} offline; I can find {_and(found)}{reads}."
    examples = [k for k in _EXAMPLES if k in kinds] + [k for k in kinds if k not in _EXAMPLES]
    shown = _and(map(spoken_plural, examples[:3]))
    said = f"I can't recognise {names} offline; I can find {len(kinds)} kinds of everyday object"
    return f"{said}, such as {shown}."


_EXAMPLES = ("person", "cup", "chair", "bottle", "car", "dog")  # everyday ones first, when known


def _and(items: Iterable[str]) -> str:
    words = list(items)
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)
