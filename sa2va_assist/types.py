"""Small typed records that cross module boundaries.

Conventions: images are ``uint8`` RGB arrays of shape (H, W, 3); masks are ``bool`` arrays of shape
(n_frames, H, W) at the frame's own resolution; boxes are (x0, y0, x1, y1) in pixels, x1/y1 exclusive;
times are seconds unless a field name says ``_ms``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Task = Literal["segment", "caption", "ask", "gcg", "read"]
TASKS: tuple[Task, ...] = ("segment", "caption", "ask", "gcg", "read")


@dataclass(frozen=True)
class Frame:
    """One RGB frame and where it came from."""

    image: np.ndarray  # (H, W, 3) uint8 RGB
    index: int  # frame number in the source (0 for a single image)
    name: str  # file-safe stem used for mask/overlay file names, e.g. "00012"
    time_s: float | None = None  # timestamp in the source video, None for stills

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


# The kind of question a request asks, as the agent understood it (None: not a question).
Question = Literal[
    "where", "is_there", "how_many", "what_colour", "read", "describe", "ahead", "near", "identify", "open"
]  # fmt: skip
QUESTIONS: tuple[Question, ...] = (
    "where", "is_there", "how_many", "what_colour", "read", "describe", "ahead", "near", "identify", "open",
)  # fmt: skip


# Which one of several a singular target means ("the cup on the left", "the biggest dog"), the side an
# ordinal counts from ("the second chair from the left"), and how a target relates to another object.
Place = Literal["left", "right", "middle", "top", "bottom", "nearest", "farthest", "biggest", "smallest"]
Direction = Literal["left", "right", "top", "bottom", "nearest", "farthest", "biggest", "smallest"]
RelationKind = Literal["on", "under", "next to", "in front of", "behind", "holding", "riding", "with", "in"]


@dataclass(frozen=True)
class Relation:
    """ "the cup *on the table*": how a target relates to another object, itself a target."""

    kind: RelationKind
    other: Target


@dataclass(frozen=True)
class Target:
    """One thing a request is about, as understood from the user's words (``referring.parse``): which
    classes it can be (of those a backend knows: ``vocabulary``), whether every instance is meant, or
    every noticeable object, and the attributes that pick one (colour, place, order, size, a relation
    to another target). ``words`` keep the user's own naming ("the red cup on the left") for backends
    that take language and for saying it back. ``classes`` empty and ``unknown`` empty: any class."""

    words: str = ""  # how the user named it: "the red cup", "cups"; "" for everything
    label: str | None = None  # class name when known ("cup", "person", "text"); None: open vocabulary
    plural: bool = False  # every instance ("cups", "all the people"), not one
    everything: bool = False  # every noticeable object in view (the hazard scan, "what is around me")
    head: str | None = None  # the word(s) that named it: "swan", "teddy bear", "cups"; None: unnamed
    classes: tuple[str, ...] = ()  # every class the head may name ("glass": cup, wine glass)
    colour: str | None = None  # a palette colour name ("red", "grey")
    position: Place | None = None  # which one of several, for a singular target
    ordinal: tuple[int, Direction] | None = None  # (2, "left"): the second from the left, 1-based
    relation: Relation | None = None
    count: int | None = None  # "two cups" -> 2; "both" -> 2
    parts: tuple[Target, ...] = ()  # "the horse and its rider": more objects in the same target
    unknown: tuple[str, ...] = ()  # head words no known class covers (this target's and its parts')
    kind: str | None = None  # "animal", "vehicle": the head names a kind with no class ("the goat");
    # ``classes`` are then every class of that kind, any of which it may be found as
    rest: str = ""  # words after the head that were not understood: "driving down the street"

    def __post_init__(self) -> None:
        if self.label and not self.classes and self.label != "text":
            object.__setattr__(self, "classes", (self.label,))

    @property
    def name(self) -> str:
        """What to call it in an answer: the label, else the words, else "everything"."""
        return self.label or self.words or "everything"


EVERYTHING = Target(everything=True, plural=True)


@dataclass(frozen=True)
class VisionRequest:
    """What to do with which frames. ``text`` is the user's words (expression or question);
    ``targets`` and ``question`` what was understood from them, when the caller understood them (the
    agent always does; a backend falls back to reading ``text`` when ``targets`` is empty)."""

    frames: tuple[Frame, ...]
    task: Task
    text: str = ""
    targets: tuple[Target, ...] = ()
    question: Question | None = None  # the kind of question an "ask" is; its subject is ``targets``

    @property
    def is_video(self) -> bool:
        return len(self.frames) > 1


@dataclass
class GroundedObject:
    """An object the answer refers to, with one mask per request frame (same order as the request)."""

    phrase: str  # the words that name it ("the red cup", "a man")
    masks: np.ndarray  # (n_frames, H, W) bool
    label: str | None = None  # object class when known ("cup", "person"), used for distance
    score: float | None = None  # backend confidence in [0, 1] when it has one
    attributes: dict[str, Any] = field(default_factory=dict)  # what the backend measured: {"colours": [...]}

    def __post_init__(self) -> None:
        if self.masks.ndim != 3:
            raise ValueError(f"masks must be (n_frames, H, W), got shape {self.masks.shape}")
        if self.masks.dtype != np.bool_:
            self.masks = self.masks.astype(bool)

    @property
    def found(self) -> bool:
        return bool(self.masks.any())


@dataclass(frozen=True)
class TextLine:
    """A line of text read from a frame, in reading order."""

    text: str
    box: tuple[int, int, int, int]  # pixels, x0, y0, x1, y1
    confidence: float  # 0..1
    frame: int = 0  # position of the frame in the request
    height: float | None = None  # height of the print in pixels, across the line even when tilted


@dataclass
class VisionResult:
    """A backend's answer: every grounded object, text lines, facts, the backend's own words when it
    has some (``answer``; "" when the objects are the answer: ``compose.answered`` words them), and
    where the time went."""

    answer: str
    task: Task
    backend: str
    objects: list[GroundedObject] = field(default_factory=list)
    text_lines: list[TextLine] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # When a singular phrase fits several objects equally well ("the cup" with two cups): each of them,
    # the chosen one first, so a caller can ask back which one. Their masks may be boxes and cover only
    # the frame the choice was made on. Empty when the reference was clear (or the backend cannot tell).
    alternatives: list[GroundedObject] = field(default_factory=list)
    raw: str = ""  # the model's unparsed output, when there is one (debugging)
    # Facts for the composer about targets it found nothing for: qualifiers nothing in view met ("the
    # red cup" where the only cup is blue), and names the backend has no model for (it says so in
    # ``answer``, in its own words, so the composer does not also say "I don't see ...").
    unmatched: list[str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)
    illegible: int = 0  # lines of text seen but not read clearly (left out of ``text_lines``)
    # The question the objects answer, as the backend understood it, and what it was about: "how
    # many cups" -> ("how_many", cups). None when the objects are not an answer to a question.
    question: Question | None = None
    subject: Target | None = None
