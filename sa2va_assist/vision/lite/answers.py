"""What the lite backend says in its own words: only what it has no model for. Everything it found
is worded by the one composer (``sa2va_assist.compose``). Pure.
"""

from __future__ import annotations

from ...compose import TEXT_UNSURE_BELOW

CAPABILITIES = "I can find people and read text."
OBJECT_CAPABILITIES = "I can find and count 80 kinds of everyday object, say where they are, and read text."
UNSURE_BELOW = TEXT_UNSURE_BELOW  # OCR confidence (0..1) under which a line is read as unsure


def unknown_class(name: str) -> str:
    """The honest answer for a class the lite backend has no model for."""
    return f"I can't recognise '{name}' offline yet; {CAPABILITIES}"


def cannot_answer(objects: bool = False) -> str:
    """The honest answer to a question the lite backend has no way to answer; ``objects``: whether
    the object detector is loaded (it widens what can be offered instead)."""
    return f"I can't answer that offline yet; {OBJECT_CAPABILITIES if objects else CAPABILITIES}"
