"""Assembling a conversation from config: options, the example classifier, memory; and warming one
up before its first turn (``warm_agent``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..config import Config
from ..errors import AssistError, ConfigError
from ..types import Frame
from .conversation import Conversation, hold_thread, open_checkpointer
from .examples import EXAMPLE_PAIRS
from .intents import Classifier
from .options import AgentOptions, Backend, Deps, Frames, Voice

# What a warm-up asks: a find (the hazard scan, then the named object over several frames) and a
# read (text), so every model a look runs has run once; a description ("gcg") runs no other model.
WARM_UTTERANCES = ("where is the person", "read the sign")
WARM_PARAPHRASE = "could you tell me what is around"  # no rule takes it: the classifier's own run


def agent_options(config: Config, backend: object) -> AgentOptions:
    """The agent's options from config; ``hazard_scan: auto`` is on where the backend says a scan of
    everything is quick next to a look (its ``quick_scan``: lite's reuses the look's detections; on
    sa2va it is a second full model call per turn, so ``on`` is a choice the user makes)."""
    a = config.agent
    scan = a.hazard_scan == "on" or (a.hazard_scan == "auto" and bool(getattr(backend, "quick_scan", False)))
    return AgentOptions(
        fov_deg=config.spatial.horizontal_fov_deg,
        frames_per_look=a.frames_per_look,
        hazard_scan=scan,
        sentences=a.sentences,
        more_sentences=a.more_sentences,
        unsure_below=a.unsure_below,
        rate_wpm=config.speech.rate_wpm,
        rate_step=config.speech.rate_step,
    )


def load_classifier(threads: int = 1) -> Classifier | None:
    """The sentence-embedding example classifier, or None (with one warning line) when its model
    cannot be loaded: the rules still understand most requests."""
    try:
        from .embedding import ExampleClassifier, load_embedder

        return ExampleClassifier(load_embedder(threads), EXAMPLE_PAIRS)
    except AssistError as err:
        print(f"warning: paraphrase understanding is off: {err.one_line()}", file=sys.stderr)
        return None


def open_conversation(
    config: Config,
    backend: Backend,
    source: Frames,
    speaker: Voice | None = None,
    memory: str | None = None,
    thread: str | None = None,
    classifier: Classifier | None = None,
) -> Conversation:
    """A conversation over ``source`` seen through ``backend``; memory: a SQLite path or ":memory:"
    (default: ``agent.memory`` from config)."""
    if thread is not None and not thread.strip():
        raise ConfigError(
            "--thread is empty", "Name the conversation (e.g. --thread kitchen) or leave --thread out."
        )
    set_rate: Any = getattr(speaker, "set_rate", None)
    deps = Deps(backend, source, speaker, set_rate)
    memory = memory if memory is not None else config.agent.memory
    saver = open_checkpointer(memory)
    conversation = Conversation(deps, agent_options(config, backend), classifier, saver, thread)
    conversation.lock = hold_thread(memory, conversation.thread)  # held while the conversation lives
    return conversation


class _Still:
    """Frames for a warm-up: the given images, the newest last, however many are asked for."""

    def __init__(self, images: Sequence[npt.NDArray[np.uint8]]) -> None:
        self.frames = tuple(Frame(image, i, f"warm-{i}") for i, image in enumerate(images))

    def latest(self, max_frames: int = 1) -> tuple[Frame, ...]:
        return self.frames[-max_frames:]


def warm_agent(
    config: Config,
    backend: Backend,
    images: Sequence[npt.NDArray[np.uint8]],
    classifier: Classifier | None = None,
    scene: Frames | None = None,
) -> None:
    """One small turn of each kind (``WARM_UTTERANCES``) through a throwaway conversation over
    ``images`` (RGB uint8, the newest last), then a find in ``scene`` (the source the user will ask
    about, when given): the agent's graph, the example classifier and every vision model a look runs
    do their first, slow call here rather than in the user's first turn, and on the scene itself
    (models that only run on what is there, such as the person masks, meet it). Nothing is spoken
    and nothing is remembered: no speaker, an in-memory checkpointer, each conversation dropped
    afterwards; the scene is only read. A look that fails is said in the throwaway conversation and
    goes no further; other errors propagate (the caller says them and carries on)."""
    options = agent_options(config, backend)
    for source, utterances in ((_Still(images), WARM_UTTERANCES), (scene, WARM_UTTERANCES[:1])):
        if source is not None:
            conversation = Conversation(Deps(backend, source), options, classifier, open_checkpointer(None))
            for utterance in utterances:
                conversation.turn(utterance)
    if classifier is not None:  # the rules understood the turns above: the classifier runs here
        classifier.classify(WARM_PARAPHRASE)
