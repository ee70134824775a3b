"""What the agent is built from: its options (from config), the parts it calls, and the context a run
of its graph carries them in (``AgentContext``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..types import Frame, Question, Target, Task, VisionRequest
from ..vision.base import VisionBackend as Backend
from .intents import Classifier


class Frames(Protocol):
    """``io.streams.FrameSource``: the newest frames, oldest first."""

    def latest(self, max_frames: int = 1) -> tuple[Frame, ...]: ...


class Voice(Protocol):
    """``audio.speech.Speaker``: queue a sentence, silence at once."""

    def say(self, text: str) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class AgentOptions:
    fov_deg: float = 70.0  # camera's horizontal field of view, degrees (clock hours depend on it)
    frames_per_look: int = 8  # newest frames a find/track request looks at (motion needs several)
    hazard_scan: bool = True  # scan the newest frame for hazards on every look (one extra vision call)
    sentences: int = 2  # answer sentences by default; hazards come on top
    more_sentences: int = 3  # extra sentences after "more"
    unsure_below: float = 0.35  # objects with a backend confidence (0..1) below this are said with doubt
    rate_wpm: int = 200  # starting speech rate, words per minute
    rate_step: int = 50  # change per "slower" / "faster", words per minute
    min_rate_wpm: int = 80
    max_rate_wpm: int = 500


@dataclass
class Deps:
    """The parts the graph calls: vision, frames, and (optionally) speech."""

    backend: Backend
    source: Frames
    speaker: Voice | None = None
    set_rate: Callable[[int], None] | None = None  # applies "slower" / "faster" to the speaker

    @staticmethod
    def request(
        frames: Sequence[Frame],
        task: str,
        text: str,
        targets: Sequence[Target] = (),
        question: Question | None = None,
    ) -> VisionRequest:
        """A request for ``frames``: the words, and what was understood from them."""
        chosen: Task = task  # type: ignore[assignment]
        return VisionRequest(tuple(frames), chosen, text, tuple(targets), question)


@dataclass(frozen=True)
class AgentContext:
    """The graph's runtime context (``StateGraph(..., context_schema=AgentContext)``): what every node
    reads its parts and options from. Passed with each run (``graph.stream(..., context=...)``) and
    never stored: the checkpointer keeps only the state."""

    deps: Deps
    options: AgentOptions = field(default_factory=AgentOptions)
    classifier: Classifier | None = None
