"""Pure rules that turn a user's words into a task and into target phrases. No I/O; table-tested."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .types import EVERYTHING, Frame, Target, Task, VisionRequest
from .vocabulary import TEXT_WORDS, classes_named, spoken_plural

_READ = re.compile(
    r"\b(read|what does (it|this|that|the \w+) say|what('s| is) written|text|sign|label|letters?|menu)\b"
)
_GCG = re.compile(
    r"\b(with masks|label (everything|all)|segment (everything|all)|all (the )?objects|everything you see)\b"
)
_CAPTION = re.compile(
    r"\b(describe|description|caption|what do you see|what can you see|look around|"
    r"what('s| is) (in front|around|here|there|going on|happening|this|in (the|this) (picture|image|photo|"
    r"video|scene)))\b|\bscene\b"
)
_SEGMENT = re.compile(
    r"^(where|find|locate|segment|show( me)?|point|track|follow|highlight|mask|outline|search)\b"
    r"|\b(where('s| is| are)|find|locate|segment)\b"
)
_QUESTION = re.compile(
    r"^(is|are|was|were|do|does|did|can|could|how|what|which|who|whose|why|when|should|will|would)\b"
)

# Leading words that are not part of the object's name ("where is", "please find", "show me").
_LEAD = re.compile(
    r"^(?:(?:please|can you|could you|would you|help me|i need to|i want to|hey)\s+)*"
    r"(?:where(?:'s| is| are| did i (?:put|leave))?|find|locate|segment|show(?: me)?|point (?:to|at)|track|"
    r"follow|highlight|mask|outline|search for|look for)?\s*",
)
_TAIL = re.compile(
    r"\s*(?:please|in (?:this|the) (?:image|picture|photo|video|frame|scene)|for me|now)?\s*[?.!]*$"
)
_SPLIT = re.compile(r"\s*(?:,\s*(?:and\s+)?|\band\b|&|\bas well as\b|\bplus\b)\s*")
_BACKREF = re.compile(r"^(its|his|her|their|the one|that)\b")  # "the horse and its rider": one target


def normalise(text: str) -> str:
    """Lower-case, single-spaced, curly quotes straightened."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", text).strip()


def choose_task(text: str) -> Task:
    """The task for ``--task auto``: read text, grounded caption, caption, segment or ask."""
    t = normalise(text)
    if not t:
        return "caption"
    if _GCG.search(t):
        return "gcg"
    if _READ.search(t):
        return "read"
    if _CAPTION.search(t):
        return "caption"
    if _SEGMENT.search(t):
        return "segment"
    if _QUESTION.search(t) or t.endswith("?"):
        return "ask"
    return "segment"  # a bare noun phrase such as "the red cup"


def split_targets(text: str) -> list[str]:
    """The object phrases in a segmentation request, one per object.

    "Where are my keys and my phone?" -> ["the keys", "the phone"]; "the horse and its rider" stays
    one phrase because the second part refers back to the first.
    """
    t = _TAIL.sub("", _LEAD.sub("", normalise(text), count=1))
    parts: list[str] = []
    for piece in _SPLIT.split(t):
        piece = piece.strip(" ,.")
        if not piece:
            continue
        if parts and _BACKREF.match(piece):
            parts[-1] = f"{parts[-1]} and {piece}"
            continue
        parts.append(re.sub(r"^(my|our|your)\s+", "the ", piece))
    return parts or ([t] if t else [])


_EVERYTHING = re.compile(
    r"^(?:the |all (?:the )?)?(?:everything|all objects|every object|all things|objects)\.?$", re.I
)


def target_of(phrase: str) -> Target:
    """One object phrase understood: its class (the first COCO class it names; "text" for the sign,
    the words, ...), whether it means every instance, or every object ("everything")."""
    words = " ".join(phrase.split())
    if _EVERYTHING.match(words):
        return EVERYTHING
    named = classes_named(words)
    label, plural = named[0] if named else (None, False)
    if label is None and TEXT_WORDS & set(re.findall(r"[a-z]+", words.lower())):
        return Target(words=words, label="text", plural=True)  # every line: reading order does the rest
    if re.match(r"^(?:all|every|each|any)\b", words, re.I):
        plural = True
    return Target(words=words, label=label, plural=plural)


def targets_of(text: str) -> tuple[Target, ...]:
    """The targets of a segmentation request, one per object phrase (``split_targets``)."""
    return tuple(target_of(phrase) for phrase in split_targets(text))


def phrase_of(target: Target) -> str:
    """How a backend that takes language names ``target``: the user's words, else its class ("cups",
    "the cup"), "everything" for every object."""
    if target.everything:
        return "everything"
    if target.words or not target.label:
        return target.words
    return spoken_plural(target.label) if target.plural else f"the {target.label}"


def request_targets(request: VisionRequest) -> tuple[Target, ...]:
    """The request's targets, or those read from its text when the caller gave none."""
    return request.targets or targets_of(request.text)


def request_for(frames: Sequence[Frame], task: Task, text: str) -> VisionRequest:
    """The request for ``text`` about ``frames``: the words, and for a segmentation the targets
    understood from them (the same understanding the agent uses)."""
    targets = targets_of(text) if task == "segment" else ()
    return VisionRequest(tuple(frames), task, text, targets)
