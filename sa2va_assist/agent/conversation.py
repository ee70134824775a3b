"""One conversation with the agent: turns in, streamed sentences out, memory in a checkpointer.

``Conversation.turn`` runs the graph for one utterance and calls ``on_sentence`` with each sentence the
moment the graph produces it (the first sentence can be spoken before the rest exists). When the
agent asks back ("Which one?") the graph is interrupted; the next turn's words resume it. Memory per
conversation (``thread``) lives in the checkpointer: SQLite on disk by default, in memory for tests.
What the graph's nodes call (vision, frames, speech), the options and the classifier travel as the
run's context (``options.AgentContext``), passed with every run, resumes after a question included.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.types import Command

from ..errors import ConfigError
from ..paths import conversation_memory
from .graph import build_graph
from .intents import Classifier
from .options import AgentContext, AgentOptions, Deps
from .state import Seen

log = logging.getLogger(__name__)

OnSentence = Callable[[str], None]


@dataclass
class Turn:
    """What one turn did: the intent understood, the sentences said, the objects they are about."""

    utterance: str
    intent: str
    target: str
    sentences: list[str]
    question: str | None  # the question asked back, when the turn ended with one
    objects: list[Seen]
    timings_ms: dict[str, float] = field(default_factory=dict)  # per node, vision, first sentence, total

    @property
    def answer(self) -> str:
        return " ".join(self.sentences + ([self.question] if self.question else []))

    @property
    def overhead_ms(self) -> float:
        """Time the agent itself took: the turn minus vision calls."""
        vision = sum(v for k, v in self.timings_ms.items() if k in ("vision_ms", "scan_ms"))
        return self.timings_ms.get("total_ms", 0.0) - vision


def memory_path(memory: str | Path | None) -> Path | None:
    """The SQLite file ``memory`` names: None for in memory, ``paths.conversation_memory()`` for "auto"."""
    if memory is None or str(memory) == ":memory:":
        return None
    return conversation_memory() if str(memory) == "auto" else Path(memory).expanduser()


def open_checkpointer(memory: str | Path | None) -> Any:
    """``None`` or ":memory:" -> in memory; "auto" -> ``paths.conversation_memory()`` (under
    $XDG_STATE_HOME); another path -> SQLite on disk there (its folder is created). A damaged file is
    kept beside it (``<name>.damaged-<time>``) and a new memory started, with a warning; another
    program's database is refused."""
    path = memory_path(memory)
    if path is None:
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver()
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:  # "file is not a database": damaged or not ours
            conn.close()
            kept = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            path.rename(kept)
            log.warning(
                "conversation memory %s was unreadable (%s); kept it as %s and started a new one",
                path, err, kept.name,
            )  # fmt: skip
            conn = sqlite3.connect(str(path), check_same_thread=False)
            tables = set()
    except (OSError, sqlite3.Error) as err:
        raise ConfigError(
            f"cannot open conversation memory {path} ({err})",
            "Pass --memory :memory: or a writable file path.",
        ) from err
    if tables and "checkpoints" not in tables:
        conn.close()
        raise ConfigError(
            f"{path} is another program's database, not a conversation memory",
            "Pass a new file name to --memory (or --memory auto).",
        )
    return SqliteSaver(conn)


def hold_thread(memory: str | Path | None, thread: str) -> Any:
    """An exclusive lock on one thread of an on-disk memory for as long as the returned handle is
    open, so two processes never interleave their turns in one stored conversation (each would
    overwrite the other's). Raises ``ConfigError`` when another process holds it; None in memory."""
    path = memory_path(memory)
    if path is None:
        return None
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; one process per thread is then up to the user
        return None
    digest = hashlib.sha1(thread.encode("utf-8")).hexdigest()[:12]
    lock = path.with_name(f".{path.name}.{digest}.lock")
    try:
        handle = open(lock, "a")  # noqa: SIM115 (kept open: the lock lives as long as the conversation)
    except OSError as err:
        raise ConfigError(f"cannot lock conversation memory {path} ({err.strerror})", "") from err
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ConfigError(
            f"conversation '{thread}' in {path} is open in another sa2va-assist process",
            "Use another --thread, or end the other conversation first.",
        ) from None
    return handle


def forget_history(saver: Any, thread: str) -> None:
    """Drop every checkpoint of ``thread`` but the newest (and the channel values only they used), in
    the two checkpointers the agent opens. LangGraph 1.x declares ``prune`` but leaves it unimplemented."""
    latest = saver.get_tuple({"configurable": {"thread_id": thread}})
    if latest is None:
        return
    keep = latest.config["configurable"]["checkpoint_id"]
    if hasattr(saver, "conn"):  # SqliteSaver
        with saver.cursor() as cur:
            cur.execute("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id != ?", (thread, keep))
            cur.execute("DELETE FROM writes WHERE thread_id = ? AND checkpoint_id != ?", (thread, keep))
        return
    if not hasattr(saver, "storage"):
        return
    versions = latest.checkpoint["channel_versions"]
    for ns, checkpoints in saver.storage.get(thread, {}).items():
        for cid in [c for c in checkpoints if c != keep]:
            del checkpoints[cid]
            saver.writes.pop((thread, ns, cid), None)
    for key in [k for k in saver.blobs if k[0] == thread and versions.get(k[2]) != k[3]]:
        del saver.blobs[key]


class Conversation:
    """Turns for one conversation thread. Not thread-safe: one turn at a time."""

    def __init__(
        self,
        deps: Deps,
        options: AgentOptions | None = None,
        classifier: Classifier | None = None,
        checkpointer: Any = None,
        thread: str | None = None,
    ) -> None:
        self.options = options or AgentOptions()
        self.deps = deps
        self.context = AgentContext(deps, self.options, classifier)
        saver = checkpointer if checkpointer is not None else open_checkpointer(None)
        self.graph = build_graph().compile(checkpointer=saver)
        self.thread = thread or uuid.uuid4().hex[:12]
        self._config: Any = {"configurable": {"thread_id": self.thread}}
        # The question waiting for its answer: read from the checkpointer once (a thread reopened from
        # disk may be waiting), then kept from each turn's end.
        self._waiting: tuple[str | None] | None = None
        self.lock: Any = None  # ``hold_thread``'s handle when the memory is on disk

    def _forget_steps(self) -> None:
        """Keep only the newest checkpoint of this thread: memory (focus, last answer, ...) lives in it;
        the step-by-step history would grow without end in a long conversation (about 75 kB a turn in
        memory). Called only when no question waits for its answer (resuming needs that step)."""
        forget_history(self.graph.checkpointer, self.thread)

    @property
    def waiting(self) -> str | None:
        """The question asked back, while the conversation waits for its answer."""
        if self._waiting is None:
            state = self.graph.get_state(self._config)
            asked = None
            for interrupt in getattr(state, "interrupts", ()) or ():
                value = interrupt.value
                asked = str(value.get("question", "")) if isinstance(value, dict) else None
            self._waiting = (asked,)
        return self._waiting[0]

    def turn(self, utterance: str, on_sentence: OnSentence | None = None) -> Turn:
        """Run one turn; ``on_sentence`` gets each sentence as soon as it exists."""
        start = time.perf_counter()
        resume = self.waiting is not None
        self._waiting = None  # unknown until this turn ends (a turn that fails is read back next time)
        graph_input: Any = Command(resume=utterance) if resume else {"utterance": utterance}
        first: float | None = None
        sentences: list[str] = []
        values: dict[str, Any] = {}
        stream = self.graph.stream(
            graph_input, self._config, context=self.context, stream_mode=["custom", "values"]
        )
        for mode, chunk in stream:
            if mode == "custom" and isinstance(chunk, dict) and "sentence" in chunk:
                first = first if first is not None else time.perf_counter()
                sentences.append(str(chunk["sentence"]))
                if on_sentence is not None:
                    on_sentence(str(chunk["sentence"]))
            elif mode == "values" and isinstance(chunk, dict):
                values = chunk
        question = None
        for interrupt in values.get("__interrupt__", ()) or ():
            question = str(interrupt.value.get("question", ""))
        if question:
            first = first if first is not None else time.perf_counter()
            if self.deps.speaker is not None:
                self.deps.speaker.say(question)
            if on_sentence is not None:
                on_sentence(question)
        self._waiting = (question,)
        if question is None:
            self._forget_steps()
        timings = dict(values.get("timings_ms", {}))
        timings["total_ms"] = (time.perf_counter() - start) * 1000.0
        if first is not None:
            timings["first_sentence_ms"] = (first - start) * 1000.0
        return Turn(
            utterance=utterance,
            intent=str(values.get("intent", "")),
            target=str(values.get("target", "")),
            sentences=sentences,
            question=question,
            objects=list(values.get("seen", [])),
            timings_ms=timings,
        )
