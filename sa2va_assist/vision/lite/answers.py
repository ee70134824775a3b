"""Words for what the lite backend found: short, noun-first, never more than was seen. Pure.

Positions come from ``sa2va_assist.spatial``; text is quoted verbatim, and a line read with low
confidence is marked "(unsure)" rather than dropped or corrected.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...compose import TEXT_UNSURE_BELOW, quote_lines, read_answer
from ...spatial import Position
from ...types import TextLine
from ...vocabulary import a_or_an, capitalised, count_people, number_word

# words shared from vocabulary and the composer
__all__ = ["a_or_an", "capitalised", "count_people", "number_word", "quote_lines", "read_answer"]

CAPABILITIES = "I can find people and read text."
UNSURE_BELOW = TEXT_UNSURE_BELOW  # OCR confidence (0..1) under which a line is read as unsure
CAPTION_MAX_LINES = 3  # a caption quotes this many lines of text, then says how many more there are


def where(pos: Position) -> str:
    """Where, in words: "12 o'clock, roughly 2 metres away". The clock hour, then the distance or else
    the height (the rule ``spatial.position_phrase`` follows). Empty when not found."""
    if not pos.found or pos.clock_hour is None:
        return ""
    extra = pos.distance_phrase or pos.height
    return f"{pos.clock_hour} o'clock" + (f", {extra}" if extra else "")


def people_summary(positions: Sequence[Position]) -> str:
    """Everyone seen, left to right: "One person: 12 o'clock, roughly 2 metres away." / "Two people:
    11 o'clock, ...; 2 o'clock, ...". Empty string when there is nobody."""
    seen = sorted((p for p in positions if p.found), key=lambda p: p.angle_deg or 0.0)
    if not seen:
        return ""
    return f"{capitalised(count_people(len(seen)))}: {'; '.join(where(p) for p in seen)}."


NOTHING_RECOGNISED = "Nothing I recognise here: no one in view, no everyday object and no legible text."


def caption(positions: Sequence[Position], lines: Sequence[TextLine]) -> str:
    """A short description from people and text; says plainly what the backend cannot see yet."""
    parts = [people_summary(positions)]
    if lines:
        parts.append(f"Text reads: {quote_lines(lines, CAPTION_MAX_LINES)}.")
    said = " ".join(p for p in parts if p)
    if not said:
        # Names no object class: an absent thing must not read as a mention of it.
        return NOTHING_RECOGNISED
    return said


def not_found(noun: str, plural: bool) -> str:
    """The answer when nothing was found: "I don't see a person." (or any people, any legible text)."""
    if noun == "text":
        return "I don't see any legible text."
    if plural:
        return f"I don't see any {'people' if noun in ('person', 'people') else noun}."
    return f"I don't see {a_or_an(noun)}."


def unknown_class(name: str) -> str:
    """The honest answer for a class the lite backend has no model for."""
    return f"I can't recognise '{name}' offline yet; {CAPABILITIES}"


OBJECT_CAPABILITIES = "I can find and count 80 kinds of everyday object, say where they are, and read text."


def cannot_answer(objects: bool = False) -> str:
    """The honest answer to a question the lite backend has no way to answer; ``objects``: whether
    the object detector is loaded (it widens what can be offered instead)."""
    return f"I can't answer that offline yet; {OBJECT_CAPABILITIES if objects else CAPABILITIES}"
