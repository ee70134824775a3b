"""Assembling a conversation from config: options, the example classifier, memory."""

from __future__ import annotations

import sys
from typing import Any

from ..config import Config
from ..errors import AssistError
from .conversation import Conversation, open_checkpointer
from .examples import EXAMPLE_PAIRS
from .intents import Classifier
from .options import AgentOptions, Backend, Deps, Frames, Voice


def agent_options(config: Config, backend_name: str) -> AgentOptions:
    """The agent's options from config; ``hazard_scan: auto`` is on for the lite backend only (on
    sa2va a scan is a second full model call per turn)."""
    a = config.agent
    scan = a.hazard_scan == "on" or (a.hazard_scan == "auto" and backend_name == "lite")
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

        return ExampleClassifier(
            load_embedder(threads, log=lambda m: print(m, file=sys.stderr)), EXAMPLE_PAIRS
        )
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
    set_rate: Any = getattr(speaker, "set_rate", None)
    deps = Deps(backend, source, speaker, set_rate)
    saver = open_checkpointer(memory if memory is not None else config.agent.memory)
    return Conversation(deps, agent_options(config, backend.name), classifier, saver, thread)
