"""The voice loop: listen, understand, look, answer out loud; stop talking the moment the user speaks.

Three threads. The capture thread reads audio blocks, runs voice-activity endpointing, stops the
speaker as soon as speech starts while it talks (barge-in), hands the utterance so far to speech to
text at each pause (``guess``: see ``speculative``), and at each end of speech freezes the newest
camera frames and queues the utterance. The speech-to-text thread transcribes, one call at a time.
The main thread takes utterances in order: acknowledgement earcon at once, the transcript (usually
already made from the pause the end began with), the agent's turn (its sentences are spoken as they
come), a record of where the time went. A failing turn is said and printed; the loop goes on.

Latency of a turn, ``first_audio_ms``: from the end of speech (stream time) to the first answer audio
out = the endpointer's decision delay + the time from that decision (or, when an earlier turn was
still running, from when this one was taken up) to the first sentence reaching the speaker's output.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import AssistError
from .speculative import SpeculativeSTT

EARCON_ACK = "thinking"
AUDIO_WAIT_S = 3.0  # longest wait for a turn's first sentence to be heard before its record is written


@dataclass
class LoopTurn:
    """One spoken turn, as ``--json`` prints it."""

    n: int
    transcript: str
    intent: str = ""
    answer: str = ""
    sentences: list[str] = field(default_factory=list)
    question: str | None = None
    error: str | None = None
    audio_file: str | None = None
    guessed: bool = False  # the transcript was made at the pause, before the end was decided
    timings_ms: dict[str, float] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {
            "turn": self.n,
            "transcript": self.transcript,
            "intent": self.intent,
            "answer": self.answer,
            "sentences": self.sentences,
            "question": self.question,
            "error": self.error,
            "audio_file": self.audio_file,
            "guessed": self.guessed,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


class Listener(Protocol):
    """What the loop needs from speech to text (``stt.load_stt``)."""

    def transcribe(self, audio: Any) -> Any: ...


class Talker(Protocol):
    """What the loop needs from the agent (``agent.conversation.Conversation``)."""

    def turn(self, utterance: str, on_sentence: Callable[[str], None] | None = None) -> Any: ...


class Frozen(Protocol):
    """A frame source that can hold the frames of one moment (``io.streams.Snapshot``)."""

    def capture(self) -> Any: ...

    def hold(self, frames: Any) -> None: ...


# Words no whole question or request ends on: articles, determiners that need a noun, conjunctions,
# fillers. (Prepositions, pronouns and "is" can: "What is it for?", "Follow her.", "Tell me what it is.")
DANGLING = frozenset({
    "a", "an", "the", "my", "your", "our", "their", "its", "and", "or", "but", "nor", "because", "if",
    "than", "um", "uh", "er", "erm",
})  # fmt: skip


def sounds_complete(text: str) -> bool:
    """``text`` ends like a whole question or request: closing punctuation after a word that can end
    one ("Where is the cup?" yes; "Where is the..." or "Is it on the." no)."""
    words = text.strip().split()
    if not words or text.rstrip().endswith("...") or text.rstrip()[-1] not in ".?!":
        return False
    return words[-1].strip(".?!,;:\"'").lower() not in DANGLING


class Muting:
    """The speaker the agent talks through: after a barge-in it drops the rest of that turn's
    sentences (the user is talking; an answer that goes on would talk over them)."""

    def __init__(self, speaker: Any) -> None:
        self.speaker, self.muted = speaker, False

    def say(self, text: str) -> None:
        if not self.muted:
            self.speaker.say(text)

    def stop(self) -> None:
        self.speaker.stop()

    def set_rate(self, wpm: int) -> None:
        if hasattr(self.speaker, "set_rate"):
            self.speaker.set_rate(wpm)


class VoiceLoop:
    """Runs turns from ``utterances`` (an iterator of ``vad.Utterance``) until it ends.

    ``speaker`` is an ``audio.speech.Speaker`` (its ``on_audio`` hook is used for timing); the agent
    speaks through ``voice`` (a ``Muting`` wrapper of it, which a barge-in silences for the rest of the
    turn); ``frames`` (optional) is captured at each end of speech and held while that turn runs;
    ``on_turn`` gets every finished turn, ``on_sentence`` each sentence as it
    comes (printing), ``on_transcript`` what was heard. Wire ``Endpointer.on_pause`` to ``guess`` so
    transcription starts at the pause that may end the question (without it, at the end)."""

    def __init__(
        self,
        utterances: Iterator[Any],
        stt: Listener,
        agent: Talker,
        speaker: Any,
        *,
        frames: Frozen | None = None,
        on_turn: Callable[[LoopTurn], None] | None = None,
        earcons: bool = True,
        after_turn: Callable[[LoopTurn], str | None] | None = None,
        on_sentence: Callable[[str], None] | None = None,
        on_transcript: Callable[[str], None] | None = None,
        voice: Muting | None = None,
    ) -> None:
        self.utterances, self.agent, self.speaker = utterances, agent, speaker
        self.stt = SpeculativeSTT(stt)  # every recogniser call on its one thread
        self.frames, self.on_turn, self.earcons, self.after_turn = frames, on_turn, earcons, after_turn
        self.on_sentence, self.on_transcript = on_sentence, on_transcript
        self.voice = voice or Muting(speaker)  # what the agent should speak through
        self.turns: list[LoopTurn] = []
        self.barge_ins = 0
        self._queue: queue.Queue[Any] = queue.Queue()
        self._first_audio: float | None = None
        self._audio_out = threading.Event()  # set when this turn's first sentence reaches the output
        self._capture_error: AssistError | None = None
        speaker.on_audio = self._heard

    # --- capture side --------------------------------------------------------------------------------

    def barge_in(self) -> None:
        """The user started talking (or pressed a key): silence the answer now."""
        if getattr(self.speaker, "speaking", False):
            self.voice.muted = True  # the rest of this answer is dropped too
            self.speaker.stop()
            self.barge_ins += 1

    def guess(self, so_far: Any) -> None:
        """A pause began (``Endpointer.on_pause``): transcribe ``so_far`` in case it is the question."""
        self.stt.guess(so_far)

    def ends_early(self, start_s: float, end_s: float) -> bool:
        """``Endpointer.ends_early``: the guess made at this pause is done and sounds complete."""
        heard = self.stt.ready(start_s, end_s)
        return heard is not None and sounds_complete(str(heard.text))

    def _capture(self) -> None:
        try:
            for utterance in self.utterances:
                # the frames of the moment this question ended, held while it is answered
                held = self.frames.capture() if self.frames is not None else None
                self._queue.put((utterance, held))
        except AssistError as err:  # the microphone vanished: said by the main thread
            self._capture_error = err
        except Exception as err:  # a failing VAD or driver: said too, never a silent end
            self._capture_error = AssistError(
                f"listening stopped ({type(err).__name__}: {err})", "start again"
            )
        finally:
            self._queue.put(None)

    # --- answering side ----------------------------------------------------------------------------

    def _heard(self, kind: str) -> None:
        if kind == "speech" and self._first_audio is None:
            self._first_audio = time.monotonic()
            self._audio_out.set()

    def run(self, max_turns: int | None = None) -> list[LoopTurn]:
        """Answer until the audio ends (or ``max_turns``); returns every turn."""
        capture = threading.Thread(target=self._capture, name="sa2va-capture", daemon=True)
        capture.start()
        try:
            while max_turns is None or len(self.turns) < max_turns:
                item = self._queue.get()
                if item is None:
                    break
                utterance, held = item
                if self.frames is not None:
                    self.frames.hold(held)
                self.voice.muted = False
                turn = self._answer(utterance, len(self.turns) + 1)
                self.turns.append(turn)
                if self.on_turn is not None:
                    self.on_turn(turn)
        finally:
            self.stt.close()
        if self._capture_error is not None:
            self._say_problem(self._capture_error.one_line())
        return self.turns

    def _answer(self, utterance: Any, n: int) -> LoopTurn:
        taken = time.monotonic()
        start = max(taken, getattr(utterance, "ended_at", taken))  # waiting for the last turn excluded
        vad_ms = max(0.0, (utterance.detected_s - utterance.end_s) * 1000.0)
        self._first_audio = None
        self._audio_out.clear()
        if self.earcons:
            self.speaker.play_earcon(EARCON_ACK)
        timings = {"vad_ms": vad_ms, "ack_ms": (time.monotonic() - start) * 1000.0}
        turn = LoopTurn(n, "")
        try:
            t0 = time.monotonic()
            heard = self.stt.transcribe(utterance)
            turn.transcript, turn.guessed = str(heard.transcript.text).strip(), heard.guessed
            timings["stt_ms"] = (time.monotonic() - t0) * 1000.0  # waited for it (a guess: mostly done)
            timings["stt_run_ms"] = heard.seconds * 1000.0  # the recogniser's own time on it
            if self.on_transcript is not None:
                self.on_transcript(turn.transcript)
            t0 = time.monotonic()
            result = self.agent.turn(turn.transcript, on_sentence=self.on_sentence)
            timings["agent_ms"] = (time.monotonic() - t0) * 1000.0
            for key in ("vision_ms", "scan_ms", "first_sentence_ms"):
                if key in result.timings_ms:
                    timings[key] = float(result.timings_ms[key])
            turn.intent, turn.sentences, turn.question = result.intent, result.sentences, result.question
            turn.answer = result.answer
        except AssistError as err:
            turn.error = err.one_line()
            self._say_problem(turn.error)
        except Exception as err:  # one bad turn never ends the loop
            turn.error = f"{type(err).__name__}: {err}"
            self._say_problem("something went wrong with that question; please ask again")
        if self.after_turn is not None:
            turn.audio_file = self.after_turn(turn)
        if (turn.sentences or turn.question) and not self.voice.muted:
            # a speaker with its own threads is still synthesizing: the turn's record waits for the
            # first audio (at most AUDIO_WAIT_S; a barge-in may have dropped it)
            self._audio_out.wait(AUDIO_WAIT_S)
        if self._first_audio is not None:
            timings["first_audio_ms"] = vad_ms + (self._first_audio - start) * 1000.0
        timings["total_ms"] = vad_ms + (time.monotonic() - start) * 1000.0
        turn.timings_ms = timings
        return turn

    def _say_problem(self, message: str) -> None:
        if self.earcons:
            self.speaker.play_earcon("error")
        self.speaker.say(f"Sorry: {message.rstrip('.')}.")
