"""Names of the 80 everyday object classes (COCO) and the words people use for them.

Shared by the lite backend (understanding requests), spatial language (typical sizes), evaluation
(counting mentions), the agent and the answer composer, so all of them agree on what "sofa" or "mug"
means, which class a backend's phrase names ("the bear" from Sa2VA is a bear: it gets a distance), and
how a class is said in the plural. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from .spatial import COCO_CLASSES

# Words that name a COCO category in a description, besides the category name itself. Regular plurals
# (+s, +es, consonant+y -> ies) are generated; irregular ones are listed. Only words whose usual sense
# in a photo caption is that category's object: not "glass"/"glasses" (eyewear, windows), "bag"
# (backpack, handbag or suitcase), "ski" (slope, lift), "computer", "desk", "stool", "pitcher".
MENTION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "person": ("people", "man", "men", "woman", "women", "child", "children", "kid", "boy", "girl",
               "player", "guy", "lady", "gentleman", "gentlemen", "baby", "toddler", "adult", "teenager",
               "pedestrian", "skier", "surfer", "skateboarder", "snowboarder", "rider", "someone",
               "crowd"),
    "bicycle": ("bike",), "car": ("taxi", "sedan", "suv"),
    "motorcycle": ("motorbike", "motor bike", "dirt bike", "moped"),
    "airplane": ("aeroplane", "plane", "jet", "jetliner", "airliner", "aircraft"),
    "train": ("locomotive",), "truck": ("lorry",),
    "boat": ("ship", "sailboat", "canoe", "kayak", "ferry", "yacht"),
    "traffic light": ("stoplight", "stop light", "traffic signal"), "fire hydrant": ("hydrant",),
    "bird": ("pigeon", "seagull", "gull", "duck", "goose", "geese", "swan", "parrot", "owl"),
    "cat": ("kitten", "kitty"), "dog": ("puppy",), "horse": ("pony",), "sheep": ("lamb",),
    "cow": ("cattle", "calf", "calves", "bull", "ox", "oxen"),
    "backpack": ("back pack", "rucksack", "knapsack"), "umbrella": ("parasol",),
    "handbag": ("purse", "hand bag"), "tie": ("necktie",), "suitcase": ("suit case", "luggage"),
    "frisbee": ("flying disc",), "sports ball": ("ball",), "baseball bat": ("bat",),
    "baseball glove": ("mitt",), "skateboard": ("skate board",), "surfboard": ("surf board",),
    "tennis racket": ("racket", "racquet"), "wine glass": ("wineglass",), "cup": ("mug",),
    "knife": ("knives",), "sandwich": ("burger", "hamburger"), "hot dog": ("hotdog",),
    "donut": ("doughnut",), "cake": ("cupcake",), "chair": ("armchair",),
    "couch": ("sofa", "loveseat", "love seat"),
    "potted plant": ("plant", "houseplant", "house plant", "pot plant"), "dining table": ("table",),
    "tv": ("television", "tv set", "monitor"), "laptop": ("notebook computer",), "mouse": ("mice",),
    "remote": ("controller",),
    "cell phone": ("cellphone", "phone", "mobile phone", "mobile", "smartphone", "smart phone", "iphone"),
    "microwave": ("microwave oven",), "oven": ("stove",), "toaster": ("toaster oven",),
    "refrigerator": ("fridge",), "scissors": ("scissor",),
    "teddy bear": ("teddy", "stuffed bear"),
    "hair drier": ("hair dryer", "hairdryer", "blow dryer", "blow drier"), "toothbrush": ("tooth brush",),
}  # fmt: skip


# Words that ask for text rather than an object: "read the sign", "where are the words".
TEXT_WORDS = frozenset({
    "text", "texts", "sign", "signs", "words", "word", "writing", "written", "letters", "lettering",
    "label", "labels", "caption", "captions", "title", "heading", "notice", "poster", "inscription",
})  # fmt: skip

# Colours a user can name: the fixed palette lite measures (``vision/lite/colours.py``), and the words
# people say for them.
PALETTE: tuple[str, ...] = (
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey",
)  # fmt: skip
COLOUR_WORDS: dict[str, str] = {
    **{c: c for c in PALETTE},
    "gray": "grey", "silver": "grey", "gold": "yellow", "golden": "yellow", "navy": "blue",
    "violet": "purple", "magenta": "purple", "lilac": "purple", "blond": "yellow", "blonde": "yellow",
}  # fmt: skip

# Words that name a person. They only select the class: nothing here judges gender, age or any other
# personal trait, so every match is answered as "person".
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

# Moving things that matter to someone walking: said first (ACCESSIBILITY.md: hazards first), by the
# agent's warnings and in scene descriptions alike.
HAZARD_CLASSES = ("car", "bus", "truck", "motorcycle", "bicycle", "train")
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def spelled_out(text: str) -> str:
    """Emoji as the words they stand for, so they are understood like any other word: "where is the
    🐶" -> "where is the dog", "🚗" -> "automobile"; skin-tone modifiers, joiners and variation
    selectors dropped. Other text unchanged."""
    out: list[str] = []
    changed = False
    for ch in text:
        category = unicodedata.category(ch)
        if 0x2669 <= ord(ch) <= 0x266F:  # music notes (a transcript's "♪ ... ♪"): no words
            out.append(" ")
            changed = True
        elif category == "So" and ord(ch) >= 0x2600:  # pictographs, not ©, ° or arrows
            name = unicodedata.name(ch, "").lower()
            out.append(f" {re.sub(r' face$', '', name)} ")
            changed = True
        elif ord(ch) >= 0x2000 and category in ("Sk", "Mn", "Cf", "Me"):
            changed = True  # skin tones, variation selectors, zero-width joiners
        else:
            out.append(ch)
    if not changed:
        return text
    return re.sub(r" +([?.!,])", r"\1", re.sub(r" {2,}", " ", "".join(out))).strip()


_OTHER_LANGUAGE = frozenset({
    "dónde", "donde", "está", "qué", "cuántos", "cuántas", "el", "los", "las", "por", "favor", "où", "est",
    "combien", "quoi", "wo", "ist", "sind", "der", "die", "das", "wie", "viele", "dove", "che", "sono",
    "onde", "quantos", "quantas", "uma", "um", "não", "och", "var", "waar", "zijn", "het", "een",
})  # fmt: skip


def other_language(text: str) -> bool:
    """Whether ``text`` is plainly not English: letters but no Latin ones ("狗在哪里", "где чашка?"),
    Spanish question marks, or two or more common function words of other European languages
    ("¿dónde está el perro?", "où est la tasse ?"). English with a borrowed word stays English."""
    letters = [c for c in text if c.isalpha()]
    if letters and not any("a" <= c.lower() <= "z" for c in letters):
        return True
    if "¿" in text or "¡" in text:
        return True
    words = re.findall(r"[^\W\d_]+", text.lower())
    return sum(w in _OTHER_LANGUAGE for w in words) >= 2


def number_word(n: int) -> str:
    """0..10 in words ("no" for 0), digits beyond."""
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def count_people(n: int) -> str:
    """People counted in words: "one person", "two people", "no people"."""
    return f"{number_word(n)} {'person' if n == 1 else 'people'}"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def a_or_an(noun: str) -> str:
    """ "a cup", "an apple"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


_SPOKEN_PLURAL = {
    "person": "people", "knife": "knives", "mouse": "computer mice", "sheep": "sheep", "skis": "skis",
    "scissors": "scissors", "tv": "TVs", "cell phone": "phones", "dining table": "tables", "text": "text",
}  # fmt: skip


def display_name(name: str) -> str:
    """How a class name is written in an answer: "tv" as "TV", the rest as it is."""
    return re.sub(r"\btv\b", "TV", name)


def spoken_plural(name: str) -> str:
    """How a class name is said in the plural: "people", "cups", "TVs"."""
    if name in _SPOKEN_PLURAL:
        return _SPOKEN_PLURAL[name]
    if name.endswith(("s", "sh", "ch", "x")):
        return name + "es"
    return name[:-1] + "ies" if name.endswith("y") and name[-2:-1] not in "aeiou" else name + "s"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


# Phrases that contain a category word without naming the object; they are matched and ignored.
_NOT_MENTIONS = ("bus stop", "bus station", "train station", "train tracks", "train track", "jet ski",
                 "zebra crossing", "mobile home", "o clock")  # fmt: skip


def _surface_forms(phrase: str) -> set[str]:
    head, _, last = phrase.rpartition(" ")
    plurals = {last + "s", last + "es"}
    if len(last) > 1 and last.endswith("y") and last[-2] not in "aeiou":
        plurals.add(last[:-1] + "ies")
    return {phrase} | {f"{head} {p}".lstrip() for p in plurals}


@lru_cache(maxsize=16)
def _matcher(extra: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str | None]]:
    # Always all of COCO, so that a longer COCO phrase is consumed whole even when the caller asks
    # about fewer categories ("teddy bear" never counts as "bear").
    forms: dict[str, str | None] = {}
    for category in (*COCO_CLASSES, *extra):
        for phrase in (category, *MENTION_SYNONYMS.get(category, ())):
            forms.update(dict.fromkeys(_surface_forms(_fold(phrase)), category))
    for phrase in _NOT_MENTIONS:
        for form in _surface_forms(phrase):
            forms.setdefault(form, None)
    # Longest first: at one position the longest phrase wins ("teddy bear" over "bear", "hot dog"
    # over "dog"), and its words are consumed.
    alternatives = "|".join(map(re.escape, sorted(forms, key=len, reverse=True)))
    return re.compile(rf"\b(?:{alternatives})\b"), forms


def mentioned_categories(text: str, categories: Iterable[str] = COCO_CLASSES) -> set[str]:
    """Which of ``categories`` the text names, by name or a ``MENTION_SYNONYMS`` word, singular or
    plural, case-insensitively, as whole words ("cat" not in "category"), multi-word names as phrases
    across any punctuation or spacing ("hot-dog"). Known limit: colour "orange" counts as the fruit."""
    wanted = set(categories)
    pattern, forms = _matcher(tuple(sorted(wanted - set(COCO_CLASSES))))
    words = " ".join(re.findall(r"[^\W_]+", _fold(text)))
    return {c for m in pattern.finditer(words) if (c := forms[m.group(0)]) in wanted}


# Plural words among the synonyms (regular plurals are recognised by their ending)
_IRREGULAR_PLURALS = frozenset({"people", "men", "women", "children", "gentlemen", "geese", "cattle",
                                "calves", "oxen", "knives", "mice", "crowd"})  # fmt: skip


def classes_named(text: str) -> list[tuple[str, bool]]:
    """(class, said in the plural) for every COCO class ``text`` names, in the order named: "the red
    cup and two dogs" -> [("cup", False), ("dog", True)]; "the man on a bike" -> [("person", False),
    ("bicycle", False)] (the first is the phrase's subject)."""
    pattern, forms = _matcher(())
    words = " ".join(re.findall(r"[^\W_]+", _fold(text)))
    out = []
    for m in pattern.finditer(words):
        category = forms[m.group(0)]
        if category is not None:
            form = m.group(0)
            singular = form in {_fold(category), *map(_fold, MENTION_SYNONYMS.get(category, ()))}
            plural = form.rsplit(" ", 1)[-1] in _IRREGULAR_PLURALS or not singular
            out.append((category, plural))
    return out


def class_of(phrase: str) -> str | None:
    """The COCO class a phrase names first ("the red cup" -> "cup", "a man riding a horse" ->
    "person"), or None ("the door", "my keys")."""
    named = classes_named(phrase)
    return named[0][0] if named else None
