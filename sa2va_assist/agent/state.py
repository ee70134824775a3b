"""The conversation's state: what one turn computes and what the agent remembers between turns.

Everything here is plain JSON-safe data (the checkpointer stores it after every step): objects are
kept as ``Seen`` summaries (positions as shares of the frame, distances in metres), never as masks.
Fields marked "this turn" are reset by the first node of every turn; the rest is memory.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from ..compose import Seen, place_words
from ..types import Task
from .intents import Intent

__all__ = ["AgentState", "Intent", "Seen", "Task", "place_words"]


class AgentState(TypedDict, total=False):
    # --- this turn ---
    utterance: str  # what the user said (or typed)
    heard: str  # the utterance cleaned (lowercase, fillers and stutters out, misheard words fixed)
    intent: Intent  # what the user wants (after "more": the intent it continues)
    target: str  # the words naming what it is about ("red cup", "it", "")
    by: str  # what decided the intent: "rule" | "examples" | "none"
    task: Task | Literal[""]  # the vision task asked for, "" for none
    request_text: str  # the words sent with it
    relocate: list[Seen]  # earlier objects this turn looks for again ("where is it now?")
    answer_text: str  # the backend's own answer
    seen: list[Seen]  # objects this turn's answer is about
    alternatives: list[Seen]  # equally plausible objects for a singular phrase: ask back
    scene: list[Seen]  # everything noticeable in the newest frame (hazard scan)
    lines: list[str]  # text read, verbatim, in reading order
    sentences: list[str]  # the answer, one sentence each, hazards first
    timings_ms: dict[str, float]  # per node and per vision call
    # --- memory ---
    turn: int  # turns taken in this conversation
    focus: list[Seen]  # what "it" / "them" means now: the objects of the last answer
    others: list[Seen]  # the candidates not chosen last time ("the other one")
    last_intent: Intent  # the last vision intent and its target, for "more" and follow-ups
    last_target: str
    last_sentences: list[str]  # the last answer, for "say that again"
    previous_scene: list[Seen]  # the last hazard scan, to notice people coming closer between turns
    last_hazards: list[str]  # every warning the last scan found: static obstacles are not said twice
    detail: int  # extra sentences allowed this turn (0 by default, more after "more detail")
    rate_wpm: int  # speech rate after "slower" / "faster"
