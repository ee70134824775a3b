"""Speculative transcription: start speech to text at the first pause, before the end is decided.

The endpointer waits ``listen.silence_s`` (0.4 s) of quiet before it calls a question ended, and only
then did the recogniser start: the two waits added up (416 + 258 ms median, BENCHMARKS.md). Here the
utterance so far is transcribed as soon as a pause begins (``Endpointer.on_pause``, a *guess*); when
the end is decided and nothing was said since that pause (the utterance has the guess's ``start_s``
and ``end_s``), the guess's transcript is the turn's, and the recogniser's time was spent inside the
silence wait. Otherwise (the user went on talking) the guess is dropped and the whole utterance is
transcribed, as without guessing. A finished guess that sounds complete can also end the wait early
(``ready``, ``Endpointer.ends_early``).

One recogniser instance need not be thread-safe, so every call runs on one worker thread, one at a
time: a guess waiting there is replaced by a newer one of the same utterance, the turn's own
transcription goes before waiting guesses, and a guess already running is never interrupted (its
result is ignored when stale). A guess that fails is not the turn's answer: the utterance is
transcribed again. A guess used for the turn was made on the audio up to the pause, without the
short padding the finished utterance carries after its end, so Whisper may punctuate or, rarely, word
it differently (on 120 questions the word error rate was the same within noise, BENCHMARKS.md).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

KEEP_DONE = 4  # finished guesses kept for turns not yet taken up (the capture thread can run ahead)


class Recognizer(Protocol):
    """``stt.SpeechToText``: float32 16 kHz 1-D audio in, a transcript (``.text``) out."""

    def transcribe(self, audio: Any) -> Any: ...


class Cut(Protocol):
    """``vad.Utterance``: audio with its place in the stream (seconds of stream time)."""

    @property
    def audio(self) -> Any: ...

    @property
    def start_s(self) -> float: ...

    @property
    def end_s(self) -> float: ...


Key = tuple[float, float]  # (start_s, end_s): which utterance, ending where


@dataclass
class _Job:
    key: Key
    audio: Any
    guess: bool
    transcript: Any = None
    error: Exception | None = None
    seconds: float = 0.0  # the recogniser's own time, wall clock
    done: bool = False


@dataclass(frozen=True)
class Heard:
    """The transcript a turn goes on with."""

    transcript: Any  # what the recogniser returned (``stt.Transcript``)
    guessed: bool  # True: transcribed at the pause, before the end was decided
    seconds: float  # the recogniser's time on it, seconds


class SpeculativeSTT:
    """Wraps a recogniser: ``guess(so_far)`` from the capture thread at each pause, ``transcribe(utterance)``
    from the answering thread at each end. ``close()`` ends the worker (a call running finishes first).
    ``guesses`` counts the guesses offered, ``used`` those that became a turn's transcript."""

    def __init__(self, stt: Recognizer) -> None:
        self.stt = stt
        self.guesses = self.used = 0
        self._cond = threading.Condition()
        self._waiting: dict[float, _Job] = {}  # guesses not started yet, by utterance start
        self._done: dict[Key, _Job] = {}  # guesses finished and not yet taken
        self._final: _Job | None = None  # a turn's own transcription, first in line
        self._running: _Job | None = None
        self._closed = False
        self._worker: threading.Thread | None = None

    def guess(self, so_far: Cut) -> None:
        """Transcribe ``so_far`` (the utterance up to a pause) when the worker is free."""
        key = (so_far.start_s, so_far.end_s)
        with self._cond:
            if self._closed:
                return
            self._start()
            self.guesses += 1
            self._waiting.pop(key[0], None)  # an earlier pause of this utterance: speech came back
            self._waiting[key[0]] = _Job(key, so_far.audio, guess=True)
            for stale in [k for k in self._done if k[0] == key[0]]:
                del self._done[stale]
            self._cond.notify_all()

    def transcribe(self, utterance: Cut) -> Heard:
        """The transcript of ``utterance``: its guess's when one was made from this very utterance
        (waiting for it if it is still running), else transcribed now. Re-raises the recogniser's error."""
        key = (utterance.start_s, utterance.end_s)
        with self._cond:
            self._start()
            if self._closed:
                raise RuntimeError("speech recognition was closed")
            waiting = self._waiting.get(key[0])
            if waiting is not None and waiting.key != key:
                del self._waiting[key[0]]  # a pause the user talked through: no use any more
            for old in [k for k in self._done if k[0] <= key[0] and k != key]:
                del self._done[old]
            while True:
                job = self._done.pop(key, None)
                if job is not None and job.error is None:
                    self.used += 1
                    return Heard(job.transcript, True, job.seconds)
                coming = job is None and (
                    (self._running is not None and self._running.key == key and self._running.guess)
                    or key[0] in self._waiting
                )
                if not coming or self._closed:
                    break
                self._cond.wait()
            final = self._final = _Job(key, utterance.audio, guess=False)
            self._cond.notify_all()
            self._cond.wait_for(lambda: final.done or (self._closed and self._final is final))
        if final.error is not None:
            raise final.error
        if not final.done:
            raise RuntimeError("speech recognition was closed")
        return Heard(final.transcript, False, final.seconds)

    def ready(self, start_s: float, end_s: float) -> Any:
        """The finished guess of the utterance (start_s, end_s), without waiting; None if none yet."""
        with self._cond:
            job = self._done.get((start_s, end_s))
            return job.transcript if job is not None and job.error is None else None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=5.0)

    def _start(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="sa2va-stt", daemon=True)
            self._worker.start()

    def _next(self) -> _Job | None:
        """The next job (the turn's own first, then the earliest utterance's guess); None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._final is not None or bool(self._waiting))
            if self._closed:
                return None
            if self._final is not None:
                job, self._final = self._final, None
            else:
                job = self._waiting.pop(min(self._waiting))
            self._running = job
            return job

    def _work(self) -> None:
        while (job := self._next()) is not None:
            start = time.perf_counter()
            try:
                job.transcript = self.stt.transcribe(job.audio)
            except Exception as err:  # said by the turn that needs it (a failed guess is redone)
                job.error = err
            finally:
                job.seconds = time.perf_counter() - start
                with self._cond:
                    job.done, self._running = True, None
                    if job.guess:
                        self._done[job.key] = job
                        while len(self._done) > KEEP_DONE:
                            del self._done[next(iter(self._done))]
                    self._cond.notify_all()
