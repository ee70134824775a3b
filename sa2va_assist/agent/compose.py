"""Answers in the words blind users expect: hazards first, then the answer, then an optional detail;
one or two sentences unless more was asked for; noun first with clock direction and distance; text in
quotes, verbatim; doubt said out loud. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..vision.lite.answers import capitalised, number_word
from .state import Seen, place_words

DEFAULT_SENTENCES = 2  # answer sentences said by default (hazards come on top)
UNSURE_BELOW = 0.35  # backend confidence (0..1) under which an object is said with "I'm not sure"
MAX_PLACED = 3  # objects of a plural answer given a position before the rest are only counted
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_HELP = (
    "Ask me what is around you, where something is, to read text, or how many there are. "
    "Say 'where is it now' to find the same thing again, 'more' for detail, 'again' to repeat, "
    "'slower' or 'faster' to change my speed, and 'stop' to silence me."
)
NOT_CAUGHT = "Sorry, I didn't catch that."


def sentences_of(text: str) -> list[str]:
    """Split an answer into sentences ("3.99" and "o'clock" stay whole)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def object_sentence(seen: Seen, unsure_below: float = UNSURE_BELOW) -> str:
    """ "Red cup, 2 o'clock, within reach, moving left." with "I'm not sure, but" for weak ones."""
    words = seen["words"]
    if seen["motion"]:
        words = f"{words[:-1]}, {seen['motion']}."
    if seen["score"] is not None and seen["score"] < unsure_below:
        return f"I'm not sure, but possibly: {words[:1].lower()}{words[1:]}"
    return words


def objects_answer(name: str, seen: Sequence[Seen], plural: bool, unsure_below: float) -> list[str]:
    """Where the found objects are: one sentence for one object; for several, one counted sentence
    placing them left to right ("Two cups: 11 o'clock, within reach; 1 o'clock, within reach.")."""
    ordered = sorted(seen, key=lambda s: s["x"])
    if not (plural and len(seen) > 1):
        return [object_sentence(s, unsure_below) for s in ordered[:MAX_PLACED]]
    places = []
    for s in ordered[:MAX_PLACED]:
        places.append(place_words(s) + (f", {s['motion']}" if s["motion"] else ""))
    more = len(seen) - len(places)
    tail = f"; and {number_word(more)} more" if more > 0 else ""
    return [f"{capitalised(number_word(len(seen)))} {name}: {'; '.join(p for p in places if p)}{tail}."]


def which_one(name: str, alternatives: Sequence[Seen]) -> str:
    """The question back for an ambiguous reference: "Two cups: one at 11 o'clock, one at 2 o'clock.
    Which one?" (left to right)."""
    ordered = sorted(alternatives, key=lambda s: s["x"])
    places = ", ".join(f"one at {s['hour']} o'clock" if s["hour"] else "one" for s in ordered)
    return f"{capitalised(number_word(len(ordered)))} {name}: {places}. Which one?"


def help_text() -> str:
    return _HELP


def without_repeats(hazards: Sequence[str], answer: Sequence[str]) -> list[str]:
    """Answer sentences that do not restate a hazard already said ("Caution: car ..." then "A car ...")."""
    named = {m.group(1) for h in hazards if (m := re.search(r"(?:Caution: |path: )(\w[\w ]*?)(?: at|,)", h))}
    words = "|".join(map(re.escape, named))
    pattern = re.compile(rf"^(?:an? |one |two |three |\d+ )?(?:{words})(?:e?s)?\b", re.I)
    return [s for s in answer if not (named and pattern.match(s))]


def compose(
    hazards: Sequence[str], answer: Sequence[str], detail: int = 0, default: int = DEFAULT_SENTENCES
) -> list[str]:
    """Hazards first, then up to ``default + detail`` answer sentences."""
    body = without_repeats(hazards, answer)
    return [*hazards, *body[: default + detail]]
