"""Referring phrases understood once, for the agent, ``ask`` and every backend: what a target phrase
names over the 80 COCO classes and which one of several it means, as a structured ``types.Target``
(``parse``). Which detected instances it means is lite's ``resolving.resolve``; a backend that takes
language gets the words too. Pure: no model, no I/O; table-tested.

Parsing a target phrase (as ``tasks.split_targets`` gives it; "the red cup on the left"):

- Head noun: the last noun-like word before the first word that ends the noun phrase (a preposition,
  "who"/"that", an "-ing"/"-ed" word after a noun, a relation word). Words after it are kept in
  ``rest`` and otherwise unused: "the small car driving down the street" is a car; "the man running"
  a person. The longest COCO name or synonym ending at the head wins ("teddy bear", "coffee cup" -> cup).
  Synonyms: ``MENTION_SYNONYMS`` and the person words of ``vocabulary``, and ``_EXTRA``:
  "scooter" -> motorcycle (COCO labels motor scooters as motorcycles; "the person riding the black
  scooter" is a person, the scooter its relation), "desk" -> dining table (COCO's only table), "glass"
  -> cup or wine glass, "bag" -> backpack, handbag or suitcase, "animal"/"vehicle" -> all of them.
  "glasses" is eyewear: unknown. Any other noun is looked up in the WordNet lexicon (``lexicon``, built
  by setup): "jogger", "toddler", "shopkeeper" -> person, "sedan" -> car, "puppy" -> dog; a kind with
  no class ("goat", "tram") -> every class of that kind, with ``kind`` set ("animal", "vehicle").
  A head with no class is ``unknown``; "one"/"thing"/no head: any class.
- Colour: a palette word before the head (``vocabulary.COLOUR_WORDS``; "silver" is grey), or a
  clothing colour after "in"/"with"/"wearing" ("the man in red"). "orange" last in the phrase is the fruit.
- Position: "on the left", "leftmost", "left", "in the middle", "at the top", "bottom", "nearest",
  "closest", "front"/"in front" (nearest), "back"/"far"/"background" (farthest), "biggest", "largest",
  "smaller", ... Ordinals: "the second chair from the left" -> (2, "left"); without "from", a position
  word gives the direction ("the second biggest dog" -> (2, "biggest")), else left (reading order);
  "last" is first from the opposite side. Positions rank the matching objects, so a lone one is chosen
  wherever it is ("the tv on the left" when there is one tv).
- Size words ("small", "big", "little") are contrastive only when they are the phrase's only qualifier
  in a singular phrase ("the small car" -> smallest). With anything else said about the object ("the
  small car driving down the street") they describe it and are ignored: apparent size is mostly distance.
- Relations (one, with the other object parsed the same way): on, under, next to (near, beside, by,
  close to), in front of, behind, holding (carrying), riding, with (wearing), in (inside).
- Plural: a plural head ("cups", "people"), or all/every/each/both/several/a number > 1 (``count``).
- Union: "the horse and its rider" (or any "X and Y" where both sides name something) is one target
  made of the horse and the person linked to it (``parts``); so is a person riding (or on) something
  ridden ("the person riding the black scooter": the person and the scooter, ``RIDEABLE``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import cast

from . import lexicon
from .lexicon import KIND_CLASSES, Kind
from .spatial import COCO_CLASSES
from .types import Direction, Place, Relation, RelationKind, Target
from .vocabulary import COLOUR_WORDS, MENTION_SYNONYMS, PERSON_PLURAL, PERSON_SINGULAR, spelled_out


def normalise(text: str) -> str:
    """Lower-case, single-spaced, curly quotes straightened, emoji spelled out ("🐶" -> "dog")."""
    text = spelled_out(text).replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", text).strip()


_EXTRA: dict[str, tuple[str, ...]] = {
    "coffee": ("cup",), "teacup": ("cup",), "glass": ("cup", "wine glass"), "scooter": ("motorcycle",),
    "screen": ("tv",), "desk": ("dining table",), "telephone": ("cell phone",), "computer": ("laptop",),
    "cab": ("car",), "automobile": ("car",), "van": ("car", "truck"), "pickup": ("truck",),
    "bag": ("backpack", "handbag", "suitcase"), "cyclist": ("person",), "biker": ("person",),
    "driver": ("person",), "animal": KIND_CLASSES["animal"], "vehicle": KIND_CLASSES["vehicle"],
}  # fmt: skip
_NOUNS: dict[str, tuple[str, ...]] = {
    **{c: (c,) for c in COCO_CLASSES},
    **{w: (c,) for c, words in MENTION_SYNONYMS.items() for w in words},
    **{w: ("person",) for w in PERSON_SINGULAR | PERSON_PLURAL},
    **_EXTRA,
}
_PLURALS = PERSON_PLURAL | {"geese", "mice", "knives", "calves", "oxen", "cattle"}
_NOT_NOUNS = frozenset({"glasses", "sunglasses"})
RIDEABLE = frozenset(
    {"bicycle", "motorcycle", "horse", "skateboard", "surfboard", "snowboard", "skis", "elephant"}
)
# Words already understood as a colour, size or count: never the start of a name ("black swan").
_SAID = frozenset(COLOUR_WORDS) | {"big", "large", "huge", "giant", "tall", "small", "little", "tiny"}
_GENERIC = frozenset({"one", "ones", "thing", "things", "object", "objects", "item", "items", "something"})
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "my", "your", "our", "his",
                          "her", "their", "its", "some", "any", "another", "other", "very"})  # fmt: skip
_NUMBERS = dict(zip(("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
                    range(1, 11), strict=True))  # fmt: skip
_QUANTITIES = {"all": 0, "every": 0, "each": 0, "several": 0, "many": 0, "multiple": 0, "both": 2}
_SIZES: dict[str, Place] = {**dict.fromkeys(("big", "large", "huge", "giant", "tall"), "biggest"),
                            **dict.fromkeys(("small", "little", "tiny", "short"), "smallest")}  # fmt: skip
_STOPS = frozenset({"in", "at", "of", "from", "to", "down", "up", "along", "across", "through", "into",
                    "over", "around", "against", "for", "toward", "towards", "about", "inside", "outside",
                    "above", "off", "out", "between", "who", "that", "which", "whose", "where", "while",
                    "is", "are", "was", "were", "and", "or", "as", "there", "here"})  # fmt: skip
_NOUN_ING = frozenset({"building", "painting", "ceiling", "clothing", "thing", "something", "king", "ring",
                       "wing", "string", "swing"})  # fmt: skip
_BACKREF = frozenset({"its", "his", "her", "their"})
_OPPOSITE: dict[Direction, Direction] = {"left": "right", "right": "left", "top": "bottom", "bottom": "top",
                                         "nearest": "farthest", "farthest": "nearest", "biggest": "smallest",
                                         "smallest": "biggest"}  # fmt: skip
_ORDINALS = dict(zip(("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                      "tenth"), range(1, 11), strict=True))  # fmt: skip
_ORDINAL = re.compile(r"\b(?:(" + "|".join(_ORDINALS) + r"|last)|(\d+)(?:st|nd|rd|th))\b")
_FROM = re.compile(r"\bfrom (?:the )?(left|right|top|bottom|front|back)\b")
_FROM_DIRECTION: dict[str, Direction] = {"left": "left", "right": "right", "top": "top", "bottom": "bottom",
                                         "front": "nearest", "back": "farthest"}  # fmt: skip
_AT = r"(?:(?:on|to|at|in) )?(?:the )?"
_PLACES: tuple[tuple[Place, re.Pattern[str]], ...] = tuple(
    (cast(Place, place), re.compile(rf"\b{_AT}(?:{words})\b"))
    for place, words in (
        ("left", r"(?:far |very )?left(?:most)?(?: hand)?(?: side)?"),
        ("right", r"(?:far |very )?right(?:most)?(?: hand)?(?: side)?"),
        ("middle", r"middle|centre|center|central"),
        ("top", r"top(?:most)?|upper(?:most)?|highest"),
        ("bottom", r"bottom(?:most)?|lower|lowest"),
        (
            "nearest",
            r"(?:nearest|closest|nearer|closer|front(?:most)?|foreground|near)(?: (?:to )?(?:me|us))?",
        ),
        ("farthest", r"farthest|furthest|farther|further|far|back|background|distant"),
        ("biggest", r"biggest|largest|bigger|larger|tallest|taller"),
        ("smallest", r"smallest|smaller|tiniest|shortest|shorter"),
    )
)
# "on"/"in" before a place word are part of the position ("on the left", "in the middle"), not relations.
_PLACE_NEXT = (
    r"(?! (?:the )?(?:far |very )?"
    r"(?:left|right|top|bottom|middle|centre|center|front|back|foreground|background|distance)\b)"
)
_RELATION = re.compile(
    r"\b(?:(?P<in_front_of>in front of)|(?P<behind>behind|in back of)"
    r"|(?P<next_to>next to|beside|besides|alongside|(?:close|closest|nearest) to(?! (?:me|us|you)\b)"
    r"|near(?! (?:me|us|you)\b)|by)"
    r"|(?P<under>under|underneath|beneath|below)|(?P<riding>riding|rides)"
    r"|(?P<holding>holding|holds|carrying|carries)|(?P<on>on top of|onto|upon|atop|on" + _PLACE_NEXT + ")"
    r"|(?P<with>with|wearing)|(?P<in>dressed in|inside|in" + _PLACE_NEXT + r"))\b"
)


def parse(phrase: str) -> Target:
    """``"the second chair from the left"`` -> Target(head="chair", classes=("chair",), label="chair",
    ordinal=(2, "left"), ...). Never raises; words it does not understand end up in ``rest``."""
    text = re.sub(r"[^a-z0-9 ]+", " ", re.sub(r"'s\b", "", normalise(phrase)).replace("-", " "))
    text = re.sub(r"\bright (?=next|behind|beside|by|under|on|near|in front|there|here)", "", text)
    text = re.sub(r"\b(?:slice|piece|bit|chunk|wedge|portion)s? of (?:the )?", "", text)  # "a slice of pizza"
    return _parse(" ".join(text.split()))


def _noun(words: str) -> tuple[tuple[str, ...], bool] | None:
    """(classes, plural) of a word or name, or None when it names no class."""
    if words in _NOT_NOUNS:
        return None
    if words in _NOUNS:
        return _NOUNS[words], words in _PLURALS
    for suffix, stem in (("ies", "y"), ("ves", "f"), ("ves", "fe"), ("es", ""), ("s", "")):
        if words.endswith(suffix) and words[: -len(suffix)] + stem in _NOUNS:
            return _NOUNS[words[: -len(suffix)] + stem], True
    return None


def _known(words: str) -> tuple[tuple[str, ...], bool, str | None] | None:
    """(classes, plural, kind) of a word or name from the built-in words, else from the lexicon."""
    if (named := _noun(words)) is not None:
        kind = next((k for k, classes in KIND_CLASSES.items() if classes == named[0]), None)
        return named[0], named[1], kind  # "the animal": a kind too
    if words in _GENERIC or words in _DETERMINERS or (found := lexicon.meaning(words)) is None:
        return None
    (what, name), plural = found
    if what == "class":
        return (name,), plural, None
    return KIND_CLASSES[cast(Kind, name)], plural, name


def _parse(text: str) -> Target:
    words = text.split()
    for k in range(1, len(words) - 1):
        left, right = words[:k], words[k + 1 :]
        backref = right[0] in _BACKREF
        if words[k] == "and" and (backref or (any(map(_known, left)) and any(map(_known, right)))):
            main, part = _parse(" ".join(left)), _parse(" ".join(["the", *right[1:]] if backref else right))
            parts = (*main.parts, replace(part, parts=()), *part.parts)
            return replace(main, words=text, parts=parts, unknown=main.unknown + part.unknown)
    return _parse_simple(text)


def _parse_simple(text: str) -> Target:
    found = _RELATION.search(text)
    main = text[: found.start()] if found else text
    ordinal: int | None = None  # -1: "last"
    direction: Direction | None = None
    if m := _ORDINAL.search(main):
        ordinal, main = (
            (_ORDINALS.get(m[1], -1) if m[1] else int(m[2]) or None),
            main[: m.start()] + main[m.end() :],
        )
    if m := _FROM.search(main):
        direction, main = _FROM_DIRECTION[m[1]], main[: m.start()] + main[m.end() :]
    position: Place | None = None
    for place, pattern in _PLACES:
        if pattern.search(main):
            position, main = position or place, pattern.sub(" ", main)
    words, colour, size, count, plural = main.split(), None, None, None, False
    head_at, stop = None, len(words)
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        participle = len(w) > 4 and w.endswith(("ing", "ed")) and w not in _NOUN_ING and not _noun(w)
        if head_at is not None and (w in _STOPS or participle):
            stop = i
            break
        if w in _QUANTITIES or w.isdigit() or (w in _NUMBERS and nxt not in (None, *_STOPS)):
            count = _QUANTITIES.get(w) or _NUMBERS.get(w) or (int(w) if w.isdigit() else None)
            plural = plural or count != 1
        elif w in COLOUR_WORDS and not (w == "orange" and nxt is None):
            colour = colour or COLOUR_WORDS[w]
        elif w in _SIZES:
            size = size or _SIZES[w]
        elif not (head_at is None and (w in _DETERMINERS or w in _STOPS or participle)):
            head_at = i
    head: str | None = None
    classes: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    kind_of: str | None = None  # "animal" for "the goat"
    if head_at is not None:
        starts = [s for s in range(max(0, head_at - 2), head_at) if words[s] not in _SAID] + [head_at]
        named = next(
            (" ".join(words[s : head_at + 1]) for s in starts if _known(" ".join(words[s : head_at + 1]))),
            words[head_at],
        )
        head, known = named, _known(named)
        if known:
            classes, plural, kind_of = known[0], plural or known[1], known[2]
        elif head in _GENERIC:
            plural = plural or head.endswith("s")
        else:
            unknown, plural = (head,), plural or (head.endswith("s") and not head.endswith("ss"))
    ignored = " ".join(words[stop:])
    relation = None
    if found:
        kind = cast(RelationKind, str(found.lastgroup).replace("_", " "))
        other = _parse_simple(text[found.end() :].strip())
        if kind in ("with", "in") and not other.classes and other.colour:  # "the man in red"
            colour = colour or other.colour
        elif other.head is not None:
            relation = Relation(kind, other)
    # "the person riding the scooter", "the man on the horse": the rider and what it rides are one
    # thing to follow (as "the horse and its rider"), found as the person plus the ridden object
    ridden: tuple[Target, ...] = ()
    if relation and relation.kind in ("riding", "on") and "person" in classes:
        ridden = (replace(relation.other, colour=None),) if RIDEABLE & set(relation.other.classes) else ()
    elif "person" in classes and head_at is not None and head_at > 0:  # "the scooter rider"
        before = _noun(words[head_at - 1])
        if before is not None and RIDEABLE & set(before[0]):
            named_before = words[head_at - 1]
            ridden = (Target(words=named_before, label=before[0][0], head=named_before, classes=before[0]),)
    ranked: tuple[int, Direction] | None = None
    if ordinal is not None:
        side = direction or (cast(Direction, position) if position in _OPPOSITE else "left")
        ranked, position = ((1, _OPPOSITE[side]) if ordinal < 0 else (ordinal, side)), None
    elif direction is not None and position is None:
        position = direction
    if size and not plural and position is None and ranked is None and not (colour or relation or ignored):
        position = size
    return Target(
        words=text,
        label=classes[0] if classes and kind_of is None else None,
        plural=plural,
        head=head,
        classes=classes,
        colour=colour,
        position=position,
        ordinal=ranked,
        relation=relation,
        count=count if plural else None,
        unknown=unknown,
        rest=ignored,
        kind=kind_of,
        parts=ridden,
    )
