"""Follow-ups: what "it", "them", "that one" and "the other one" mean, and which of several objects
an answer to "Which one?" picks. Pure: works on the ``Seen`` summaries the agent remembers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .state import Seen

IT = frozenset(
    {"it", "that", "this", "that one", "this one", "him", "her", "the same one", "same one", "the one"}
)
THEM = frozenset(
    {"them", "they", "those", "these", "both", "all of them", "those two", "both of them", "the two"}
)
OTHER = re.compile(r"^(?:and )?(?:what about )?(?:the )?other(?: one)?$")
_HOURS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_NUMBER = {w: str(i) for i, w in enumerate(_HOURS, start=1)}
# "eleven o'clock", "at twelve": an hour said as a word (not "the second one", "number two")
_HOUR_WORDS = re.compile(rf"(\bat )?\b({'|'.join(_NUMBER)})\b( o'?clock)?(?=(?(1)|(?(3)|x^)))")
_ORDINALS = {
    "first": 0,
    "1st": 0,
    "one": 0,
    "second": 1,
    "2nd": 1,
    "two": 1,
    "third": 2,
    "3rd": 2,
    "three": 2,
}


@dataclass(frozen=True)
class Referent:
    """What a target phrase refers back to: earlier objects, or nothing (a fresh phrase)."""

    objects: list[Seen]  # the remembered objects meant, to find again
    others: list[Seen]  # the rest of the group (the new "other one")
    unknown: bool = False  # a pronoun with nothing remembered to refer to


def refers_back(target: str) -> bool:
    t = target.strip()
    return t in IT or t in THEM or bool(OTHER.match(t)) or pick_words(t)


def pick_words(text: str) -> bool:
    """Whether ``text`` picks among objects by place or order ("the left one", "the second")."""
    return bool(re.search(r"\b(one|ones)\b", text)) and choose(text, [_dummy(0.2), _dummy(0.8)]) is not None


def resolve(target: str, focus: Sequence[Seen], others: Sequence[Seen]) -> Referent | None:
    """The earlier objects ``target`` means, or None when it names something new."""
    t = target.strip()
    if t in IT or t == "":
        return Referent(list(focus[:1]), list(focus[1:]) + list(others), unknown=not focus)
    if t in THEM:
        group = list(focus) + list(others) if len(focus) < 2 else list(focus)
        return Referent(group, [], unknown=not group)
    if OTHER.match(t):
        if not others:
            return Referent([], [], unknown=True)
        return Referent([others[0]], list(focus[:1]) + list(others[1:]))
    pool = list(focus) + list(others)
    if not pick_words(t):
        return None
    index = choose(t, pool) if len(pool) > 1 else None
    if index is None:  # "the left one" with nothing (or one thing) remembered to pick from
        return Referent([], [], unknown=True)
    return Referent([pool[index]], [s for i, s in enumerate(pool) if i != index])


def choose(reply: str, options: Sequence[Seen]) -> int | None:
    """Which option a reply picks: by clock hour ("the one at 2", "2 o'clock"), side ("left",
    "right", "middle"), order from the left ("the second one"), or distance/size ("the nearest",
    "the bigger one"). None when it picks none of them."""
    text = _HOUR_WORDS.sub(
        lambda m: f"{m.group(1) or ''}{_NUMBER[m.group(2)]}{m.group(3) or ''}", reply.lower()
    )
    if not options:
        return None
    order = sorted(range(len(options)), key=lambda i: options[i]["x"])
    hour = re.search(r"\b(1[0-2]|[1-9])(?: o'?clock|:00)?\b", text)
    if hour and (re.search(r"o'?clock|\bat\b|:00", text) or text.strip() == hour.group(0)):
        said = int(hour.group(1))
        gaps = [min(abs(s["hour"] - said), 12 - abs(s["hour"] - said)) if s["hour"] else 99 for s in options]
        best = min(gaps)
        if best <= 1 and gaps.count(best) == 1:  # the nearest hour, one off at most ("2" for one at 1)
            return gaps.index(best)
    if re.search(r"\bleft\b", text):
        return order[0]
    if re.search(r"\bright\b", text) and not re.search(r"\bright (?:now|here)\b", text):
        return order[-1]
    if re.search(r"\b(?:middle|centre|center)\b", text) and len(order) >= 3:
        return order[len(order) // 2]
    if re.search(r"\b(?:nearest|closest|closer|nearer|bigger|biggest|larger|largest)\b", text):
        return max(range(len(options)), key=lambda i: options[i]["area"])
    if re.search(r"\b(?:farthest|furthest|farther|further|smaller|smallest)\b", text):
        return min(range(len(options)), key=lambda i: options[i]["area"])
    if re.search(r"\blast\b", text):
        return order[-1]
    for word, k in _ORDINALS.items():
        if re.search(rf"\b{word}\b", text) and (word not in ("one", "two", "three") or "number" in text):
            return order[k] if k < len(order) else None
    return None


def substitute(question: str, name: str) -> str:
    """A question about "it" asked about the object by name: "is it red" -> "is the cup red"."""
    return re.sub(r"\b(it|that one|that|this)\b", f"the {name}", question, count=1)


def _dummy(x: float) -> Seen:
    return Seen(name="", label=None, words="", place="", hour=None, distance_m=None, x=x, y=0.5,
                bottom=0.5, area=0.1, motion=None, score=None)  # fmt: skip
