"""Pure rules for the lite backend: which class a phrase names, which instance it means, and which of
the questions this pipeline can answer was asked. No I/O; table-tested.

Words that describe a person ("man", "girl") only select the class: the backend never judges gender,
age or any other personal trait, so every match is answered as "person".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ...tasks import normalise
from ...vocabulary import TEXT_WORDS

Kind = Literal["person", "text", "unknown"]
Side = Literal["left", "right", "middle"]
Intent = Literal["person_present", "count_people", "where_person", "read_text", "text_present"]

PERSON_SINGULAR = frozenset({
    "person", "man", "woman", "child", "kid", "boy", "girl", "guy", "lady", "gentleman", "baby",
    "toddler", "adult", "human", "someone", "somebody", "anyone", "anybody", "pedestrian", "individual",
    "teenager",
})  # fmt: skip
PERSON_PLURAL = frozenset({
    "people", "persons", "men", "women", "children", "kids", "boys", "girls", "guys", "ladies",
    "gentlemen", "babies", "toddlers", "adults", "humans", "pedestrians", "individuals", "teenagers",
    "everyone", "everybody", "crowd",
})  # fmt: skip
_ALL = re.compile(r"^(?:all|every|each|both|any)\b|^(?:two|three|four|five|six|several|many|\d+)\s")
_ARTICLE = re.compile(r"^(?:(?:the|a|an|my|your|our|some|this|that|these|those)\s+)+")
_SIDES: tuple[tuple[Side, re.Pattern[str]], ...] = (
    ("left", re.compile(r"\bleft(?:most)?\b")),
    ("right", re.compile(r"\bright(?:most)?\b")),
    ("middle", re.compile(r"\b(?:middle|centre|center|central)\b")),
)


@dataclass(frozen=True)
class Target:
    """What one phrase asks for."""

    kind: Kind  # the class the lite backend finds it with, or "unknown"
    plural: bool  # every instance ("the people", "all persons") rather than one
    side: Side | None  # which one for a singular phrase; None: the most prominent
    name: str  # the phrase without its leading article, for honest answers ("keys")


def parse_target(phrase: str) -> Target:
    """``"the person on the left"`` -> Target("person", False, "left", "person on the left")."""
    text = normalise(phrase).strip(" .,!?")
    name = _ARTICLE.sub("", text) or text
    words = re.findall(r"[a-z]+", text)
    side = next((s for s, pattern in _SIDES if pattern.search(text)), None)
    if any(w in PERSON_PLURAL for w in words):
        return Target("person", True, None, name)
    if any(w in PERSON_SINGULAR for w in words):
        return Target("person", bool(_ALL.search(name) or _ALL.search(text)), side, name)
    if any(w in TEXT_WORDS for w in words):
        return Target("text", True, None, name)  # every line of text: reading order does the rest
    return Target("unknown", False, side, name)


_INTENTS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    ("count_people", re.compile(r"\bhow many\b.*\b(?:people|persons|men|women|children|kids|person)\b")),
    (
        "read_text",
        re.compile(
            r"\b(?:what does (?:it|this|that|the \w+) say|what(?:'s| is) (?:written|on the \w+)|"
            r"read (?:it|this|that|the \w+)|what do(?:es)? the \w+ say)\b"
        ),
    ),
    (
        "text_present",
        re.compile(r"^(?:is|are) there (?:any )?(?:\w+ )?(?:text|writing|words|sign|signs|label|letters)\b"),
    ),
    ("where_person", re.compile(r"\bwhere(?:'s| is| are)?\b")),
    (
        "person_present",
        re.compile(
            r"^(?:is|are|do you see|can you see|do i see)\b.*\b(?:anyone|anybody|someone|somebody|"
            r"people|person|persons|man|woman|child|kid|boy|girl|guy|lady|humans?)\b|"
            r"^who(?:'s| is) (?:there|here|in front|around)\b"
        ),
    ),
)


def question_intent(question: str) -> Intent | None:
    """Which supported question ``question`` is, or None: how many people, is there a person, where is
    the person (only when the phrase names people), what does it say, is there text."""
    text = normalise(question)
    for intent, pattern in _INTENTS:
        if pattern.search(text):
            if intent == "where_person" and not _names_people(text):
                continue
            return intent
    return None


def _names_people(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text))
    return bool(words & (PERSON_SINGULAR | PERSON_PLURAL))
