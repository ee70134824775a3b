"""Pure rules that turn a user's words into what a request asks: the task, the targets (each phrase
understood by ``referring.parse``) and, for a question, which kind it is (``question_of``). The agent,
``ask`` and the API build requests through these; a backend never parses words itself. No I/O;
table-tested."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from . import referring
from .referring import normalise
from .types import EVERYTHING, Frame, Question, Target, Task, VisionRequest
from .vocabulary import PERSON_PLURAL, PERSON_SINGULAR, TEXT_WORDS, spelled_out, spoken_plural

__all__ = [
    "asks_what_this_is", "choose_task", "normalise", "phrase_of", "question_of", "request_for",
    "split_targets", "target_of", "targets_of", "understood",
]  # fmt: skip

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


# "What is this?": the one thing the user holds or points the camera at (``question_of``: "identify").
_IDENTIFY = re.compile(
    r"^(?:(?:can|could) you (?:tell me|say) )?(?:what(?:'s| is) (?:this|that|it)(?: thing| object| one)?"
    r"(?: i(?:'m| am) (?:holding|pointing at))?|what am i (?:holding|pointing at)"
    r"|what(?:'s| is) in my hands?|what do i have (?:here|in my hands?)|what (?:this|that) is"
    r"|identify (?:this|that|it))[?.!]?$"
)


def asks_what_this_is(text: str) -> bool:
    """Whether ``text`` asks what the thing held or pointed at is ("what is this?", "what am I
    holding"): the question ``question_of`` calls "identify"."""
    return bool(_IDENTIFY.match(normalise(text).rstrip(" ?.!")))


def choose_task(text: str) -> Task:
    """The task for ``--task auto``: read text, grounded caption, caption, segment or ask."""
    t = normalise(text)
    if not t:
        return "caption"
    if _GCG.search(t):
        return "gcg"
    if _READ.search(t):
        return "read"
    if asks_what_this_is(t):
        return "ask"
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
    """One object phrase understood (``referring.parse``): its classes and attributes, whether it means
    every instance, text ("the sign", "the words": every line), or every object ("everything"). Its
    ``words`` are the phrase as given."""
    words = " ".join(spelled_out(phrase).split())
    if _EVERYTHING.match(words):
        return EVERYTHING
    target = dataclasses.replace(referring.parse(words), words=words)
    if not target.classes and TEXT_WORDS & set(re.findall(r"[a-z]+", words.lower())):
        return Target(words=words, label="text", plural=True, head=target.head)  # reading order does the rest
    if re.match(r"^any\b", words, re.I):  # "any cups" and "any cup" alike
        target = dataclasses.replace(target, plural=True)
    return target


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


_TEXT = Target(words="text", label="text", plural=True)
_PEOPLE = Target(words="people", label="person", plural=True, head="people")
_READ_TEXT = re.compile(
    r"\b(?:what does (?:it|this|that|the \w+) say|what(?:'s| is) (?:written|on the \w+)|"
    r"read (?:it|this|that|the \w+)|what do(?:es)? the \w+ say)\b"
)
_TEXT_PRESENT = re.compile(
    r"^(?:is|are) there (?:any )?(?:\w+ )?(?:text|writing|words|sign|signs|label|letters)\b"
)
# Questions about objects: (kind, pattern with the object phrase as ``x``).
_FORMS: tuple[tuple[Question, re.Pattern[str]], ...] = (
    ("how_many", re.compile(
        r"^how many (?P<x>.+?)(?: are there| do you see| can you see| are (?:there|here|in .+))?$"
    )),
    ("is_there", re.compile(
        r"^(?:is|are) there (?:an? |any |some )?(?P<x>.+?)(?: here| in (?:the|this) .+)?$"
    )),
    ("is_there", re.compile(r"^(?:do|can) you see (?:an? |any |some |the |my )?(?P<x>.+?)$")),
    ("what_colour", re.compile(r"^what colou?r (?:is|are) (?P<x>.+?)$")),
    ("where", re.compile(r"^where(?:'s| is| are) (?P<x>.+?)$")),
    ("ahead", re.compile(r"^what(?:'s| is) (?:in front of me|ahead|in front)$")),
    ("near", re.compile(
        r"^(?:who(?:'s| is)|is (?:any|some)(?:one|body)|are there (?:any )?people) "
        r"(?:near|close|nearby|around)(?: (?:to )?(?:me|by|here))?$"
    )),
)  # fmt: skip
# Questions about people in other words: "is anyone there?", "who is here?", "how many people ...".
_PEOPLE_FORMS: tuple[tuple[Question, re.Pattern[str]], ...] = (
    ("how_many", re.compile(r"\bhow many\b.*\b(?:people|persons|men|women|children|kids|person)\b")),
    ("where", re.compile(r"\bwhere(?:'s| is| are)?\b")),
    ("is_there", re.compile(
        r"^(?:is|are|do you see|can you see|do i see)\b.*\b(?:anyone|anybody|someone|somebody|"
        r"people|person|persons|man|woman|child|kid|boy|girl|guy|lady|humans?)\b|"
        r"^who(?:'s| is) (?:there|here|in front|around)\b"
    )),
)  # fmt: skip


def question_of(text: str) -> tuple[Question, tuple[Target, ...]]:
    """Which kind of question ``text`` is and what it is about: ("how_many", (chairs,)) for "How many
    chairs are there?", ("read", (text,)) for "What does the sign say?", ("open", ()) for a question
    no rule covers (a backend that takes language answers it from the words)."""
    t = normalise(text)
    if asks_what_this_is(t):
        return "identify", ()
    if _READ_TEXT.search(t):
        return "read", (_TEXT,)
    if _TEXT_PRESENT.search(t):
        return "is_there", (_TEXT,)
    bare = t.rstrip(" ?.!")
    for kind, pattern in _FORMS:
        if match := pattern.match(bare):
            phrase = match.groupdict().get("x") or ""
            if kind == "ahead":
                return kind, (EVERYTHING,)
            if kind == "near":
                return kind, (_PEOPLE,)
            if kind == "where":
                return kind, targets_of(phrase)
            subject = target_of(phrase)  # "how many chair": still every one of them
            return kind, (dataclasses.replace(subject, plural=True) if kind == "how_many" else subject,)
    for kind, pattern in _PEOPLE_FORMS:
        if pattern.search(t) and (kind != "where" or set(re.findall(r"[a-z]+", t)) & _PERSON_WORDS):
            return kind, (targets_of(text) if kind == "where" else (_PEOPLE,))
    return "open", ()


_PERSON_WORDS = PERSON_SINGULAR | PERSON_PLURAL


def request_for(frames: Sequence[Frame], task: Task, text: str) -> VisionRequest:
    """The request for ``text`` about ``frames``: the words and what was understood from them, the
    targets of a segmentation or the kind and subject of a question (the agent's understanding too)."""
    return understood(VisionRequest(tuple(frames), task, text))


def understood(request: VisionRequest) -> VisionRequest:
    """``request`` with its targets (a segmentation) or its question and subject (an "ask") understood
    from its words when its caller did not fill them in; other requests as they are."""
    if request.task == "segment" and not request.targets:
        return dataclasses.replace(request, targets=targets_of(request.text))
    if request.task == "ask" and request.question is None:
        question, targets = question_of(request.text)
        return dataclasses.replace(request, question=question, targets=request.targets or targets)
    return request
