"""Questions about everyday objects that detections can answer: how many, is there, where, what colour,
what is in front. Pure: words in, (kind, object phrase) out; table-tested."""

from __future__ import annotations

import re

from ...tasks import normalise

_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "count",
        re.compile(
            r"^how many (?P<x>.+?)(?: are there| do you see| can you see| are (?:there|here|in .+))?$"
        ),
    ),
    (
        "present",
        re.compile(r"^(?:is|are) there (?:an? |any |some )?(?P<x>.+?)(?: here| in (?:the|this) .+)?$"),
    ),
    ("present", re.compile(r"^(?:do|can) you see (?:an? |any |some |the |my )?(?P<x>.+?)$")),
    ("colour", re.compile(r"^what colou?r (?:is|are) (?P<x>.+?)$")),
    ("where", re.compile(r"^where(?:'s| is| are) (?P<x>.+?)$")),
    ("ahead", re.compile(r"^what(?:'s| is) (?:in front of me|ahead|in front)$")),
    (
        "near",
        re.compile(
            r"^(?:who(?:'s| is)|is (?:any|some)(?:one|body)|are there (?:any )?people) "
            r"(?:near|close|nearby|around)(?: (?:to )?(?:me|by|here))?$"
        ),
    ),
)


def object_question(question: str) -> tuple[str, str] | None:
    """(kind, phrase) for a supported question, e.g. ("count", "chairs") for "How many chairs are
    there?"; None otherwise. ``phrase`` is the object as said ("" for "ahead")."""
    text = normalise(question).rstrip(" ?.!")
    for kind, pattern in _FORMS:
        match = pattern.match(text)
        if match:
            return kind, match.groupdict().get("x") or ""
    return None
