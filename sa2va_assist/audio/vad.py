"""Voice activity: :class:`Vad` gives each 32 ms block a speech probability (Silero VAD, its ONNX model
run with onnxruntime, no torch), and :class:`Endpointer` turns probabilities into utterances: when a
question starts (the barge-in cue) and when it has ended (time to transcribe).

The model contract, as silero_vad's own ``OnnxWrapper`` feeds it at 16 kHz: ``input`` (1, 64 + 512)
float32 = the last 64 samples the model saw, then the new block (zeros before the first block);
``state`` (2, 1, 128) float32 = the previous call's ``stateN`` (zeros at first); ``sr`` int64 16000.
Output (1, 1): the probability that the block holds speech. ``reset()`` zeroes both memories.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import ceil
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import DependencyError
from ..onnx import cpu_session
from .mic import BLOCK, BLOCK_S, RATE, AudioSource
from .tts import Audio

# Silero VAD v6 (16 kHz ONNX export, MIT), shipped in the package: see models/README.md
MODEL_FILE = Path(__file__).resolve().parent / "models" / "silero_vad_16k_op15.onnx"
CONTEXT = 64  # samples of the previous block the model sees again at 16 kHz (OnnxWrapper's context_size)
VOICE_BLOCKS = (
    1  # voiced blocks (32 ms each) that fire on_voice: one keeps Silero's onset lag + 32 ms < 100 ms
)
HYSTERESIS = 0.15  # speech ends below threshold - this, as in silero_vad's VADIterator
# Quiet after speech, seconds, before the utterance so far is offered for a guessed transcript
# (Endpointer.on_pause): two blocks, so a single quiet block inside a word is not offered, while the
# guess still starts ~0.35 s before a 0.4 s silence_s ends the question (BENCHMARKS.md, voice loop)
GUESS_AFTER_S = 0.064
EARLY_END_S = 0.25  # least quiet, seconds, that ends a question early when ``ends_early`` says it may
_REINSTALL = "reinstall sa2va-assist (in its checkout: pip install --force-reinstall --no-deps -e .)"


def model_path() -> Path:
    """The Silero VAD ONNX file shipped in this package; DependencyError when it is missing."""
    if not MODEL_FILE.is_file():
        raise DependencyError(f"voice activity detection model {MODEL_FILE} is missing", _REINSTALL)
    return MODEL_FILE


class Vad:
    """Silero VAD on the CPU: ``probability(block)`` per consecutive 32 ms block of one stream (the
    model is recurrent: it remembers the stream); ``reset()`` before an unrelated stream. ~0.2 ms per
    block on one thread (median, 2-core dev box). Loads in the constructor: DependencyError without
    onnxruntime or the model."""

    _state: npt.NDArray[np.float32]  # (2, 1, 128) float32: the model's recurrent memory
    _window: npt.NDArray[np.float32]  # (1, CONTEXT + BLOCK) float32: context, then the block being scored

    def __init__(self, threads: int = 1) -> None:
        self.model_path = model_path()
        self._session = cpu_session(self.model_path, threads, "Silero VAD from", _REINSTALL, quiet=True)
        self._takes_rate = "sr" in {i.name for i in self._session.get_inputs()}
        self.reset()

    def probability(self, block: Audio) -> float:
        """Speech probability in [0, 1] of ``block``: (BLOCK,) float32 at 16 kHz, the next in the stream."""
        if block.shape != (BLOCK,):
            raise ValueError(f"Vad takes blocks of {BLOCK} samples at {RATE} Hz, not shape {block.shape}")
        self._window[0, CONTEXT:] = block
        feed = {"input": self._window, "state": self._state}
        if self._takes_rate:
            feed["sr"] = np.array(RATE, np.int64)
        out, self._state = self._session.run(None, feed)
        self._window[0, :CONTEXT] = self._window[0, -CONTEXT:]  # this block's tail: the next one's context
        return float(out[0, 0])

    def reset(self) -> None:
        """Forget the stream: zero recurrent state and context."""
        self._state = np.zeros((2, 1, 128), np.float32)
        self._window = np.zeros((1, CONTEXT + BLOCK), np.float32)


def load_vad(threads: int = 1) -> Vad:
    """A ready Vad (load once, then ``probability`` per block). DependencyError with the fix if missing."""
    return Vad(threads)


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech cut from a stream. Times are stream time: seconds of audio since it began."""

    audio: Audio  # float32 mono 16 kHz, from pad_s before start_s to pad_s after end_s
    start_s: float  # speech started: start of its first block above the threshold, seconds
    end_s: float  # speech ended: start of the first quiet block after it (or where it was cut), seconds
    detected_s: float  # the end was decided: about end_s + silence_s, seconds
    ended_at: float  # time.monotonic() when the end was decided, for latency accounting

    @property
    def duration_s(self) -> float:
        """Seconds of speech, padding excluded."""
        return self.end_s - self.start_s


class Endpointer:
    """Blocks in, utterances out. Speech starts once ``min_speech_s`` of blocks score at least
    ``threshold`` with none below ``threshold - 0.15`` in between (a click stays out); it
    ends once blocks stay below ``threshold - 0.15`` for ``silence_s``, or is cut at
    ``max_utterance_s`` (speech still going on starts the next one). ``speaking`` is True from the
    start until the end is decided, and ``on_speech_start`` is called once at the start: the barge-in
    cue. Shorter than ``min_speech_s`` is dropped.

    ``on_pause`` gets the utterance so far once a quiet stretch inside speech has lasted
    ``guess_after_s``: what the utterance will be if that quiet turns out to be its end (the same
    ``start_s`` and ``end_s``; its audio stops where the stream is now, short of the final padding).
    The voice loop transcribes it while the rest of ``silence_s`` runs out (a guess); voice that comes
    back before the end moves ``end_s`` on, so a guess matches the utterance only if nothing was said
    after it. ``ends_early(start_s, end_s)``, asked at each quiet block from ``EARLY_END_S`` on, may
    end the utterance there instead of after ``silence_s`` (the loop says yes once the guess for that
    pause is done and sounds like a whole question)."""

    _blocks: deque[Audio]  # audio from block index _first on
    _first: int  # index of _blocks[0]
    _fed: int  # blocks fed since the stream began
    _start: int | None  # block where speech (or a candidate for it) began
    _quiet_from: int | None  # block where the current quiet stretch began
    _voiced: int  # blocks at or above the threshold since _start
    _speaking: bool  # speech confirmed, end not yet decided
    _offered: int | None  # the quiet stretch (its first block) whose utterance so far went to on_pause

    def __init__(
        self,
        vad: Vad,
        threshold: float = 0.5,
        silence_s: float = 0.5,
        min_speech_s: float = 0.15,
        max_utterance_s: float = 15.0,
        pad_s: float = 0.2,
    ) -> None:
        self.vad, self.threshold, self.silence_s = vad, threshold, silence_s
        self.min_speech_s, self.max_utterance_s, self.pad_s = min_speech_s, max_utterance_s, pad_s
        self.on_speech_start: Callable[[], None] | None = None  # speech confirmed (min_speech_s voiced)
        # Voice heard (``VOICE_BLOCKS`` voiced blocks), before it counts as speech: the hook for
        # barge-in, which must stop the answer within ~100 ms of the user starting to talk.
        self.on_voice: Callable[[], None] | None = None
        # The utterance so far, once ``guess_after_s`` of quiet follows speech (at most once per quiet
        # stretch): the cue to transcribe ahead while the end is still being waited for.
        self.on_pause: Callable[[Utterance], None] | None = None
        self.guess_after_s = min(GUESS_AFTER_S, silence_s)
        # Asked at each quiet block from EARLY_END_S on, with the (start_s, end_s) a cut there would
        # have: True ends the question now instead of after silence_s (its transcript is complete).
        self.ends_early: Callable[[float, float], bool] | None = None
        self.probability = 0.0  # the last block's speech probability
        self._pad = ceil(pad_s / BLOCK_S - 1e-9)  # blocks kept before a possible start
        self._clear()

    @property
    def speaking(self) -> bool:
        """Inside speech now: started, end not yet decided."""
        return self._speaking

    def feed(self, block: Audio) -> Utterance | None:
        """The next (BLOCK,) block of the stream; an Utterance when this block decided one has ended."""
        p = self.probability = self.vad.probability(block)
        now = self._fed = self._fed + 1  # blocks fed: this block is now - 1
        self._blocks.append(np.array(block, np.float32))  # a copy: a caller may reuse its buffer
        loud, quiet = p >= self.threshold, p < self.threshold - HYSTERESIS
        if self._start is None and loud:
            self._start, self._voiced = now - 1, 0
        if self._start is None:
            self._trim()
        elif not self._speaking:  # a candidate: enough voiced blocks make it speech, a quiet one ends it
            self._voiced += loud
            if loud and self._voiced == VOICE_BLOCKS and self.on_voice is not None:
                self.on_voice()
            if quiet or (now - self._start) * BLOCK_S >= self.max_utterance_s:
                self._start = None
            elif self._voiced * BLOCK_S >= self.min_speech_s - 1e-9:
                self._speaking = True
                if self.on_speech_start is not None:
                    self.on_speech_start()
        else:
            if loud:
                self._quiet_from = None
            elif quiet and self._quiet_from is None:
                self._quiet_from = now - 1
            quiet_s = 0.0 if self._quiet_from is None else (now - self._quiet_from) * BLOCK_S
            if self._quiet_from is not None and quiet_s >= self.silence_s - 1e-9:
                return self._cut(self._quiet_from)
            if (
                self._quiet_from is not None
                and quiet_s >= EARLY_END_S - 1e-9
                and self.ends_early is not None
                and self.ends_early(self._start * BLOCK_S, self._quiet_from * BLOCK_S)
            ):
                return self._cut(self._quiet_from)
            if self._quiet_from is not None and quiet_s >= self.guess_after_s - 1e-9:
                self._offer(self._quiet_from)
            if (now + 1 - self._start) * BLOCK_S > self.max_utterance_s + 1e-9:  # one more is too long
                return self._cut(now)
        return None

    def finish(self) -> Utterance | None:
        """The stream ended: the utterance in progress, ended where its quiet began or here; else None."""
        if not self._speaking:
            return None
        return self._cut(self._quiet_from if self._quiet_from is not None else self._fed)

    def reset(self) -> None:
        """Start over on a new stream (also resets the Vad)."""
        self.vad.reset()
        self._clear()

    def _clear(self) -> None:
        self._blocks = deque()
        self._first = self._fed = self._voiced = 0
        self._start = self._quiet_from = self._offered = None
        self._speaking = False

    def _offer(self, end: int) -> None:
        """The utterance so far, ending at block ``end``, to on_pause: once per quiet stretch."""
        if self._offered != end and self.on_pause is not None:
            self._offered = end
            if (so_far := self._utterance(end)).duration_s >= self.min_speech_s - 1e-9:
                self.on_pause(so_far)

    def _utterance(self, end: int) -> Utterance:
        """Speech from its start to block ``end``, padded by ``pad_s`` both sides as far as fed so far."""
        assert self._start is not None
        pad, kept = round(self.pad_s * RATE), self._first * BLOCK  # samples; where self._blocks begin
        first, last = max(self._start * BLOCK - pad, kept), min(end * BLOCK + pad, self._fed * BLOCK)
        return Utterance(
            audio=np.concatenate(self._blocks)[first - kept : last - kept],
            start_s=self._start * BLOCK_S,
            end_s=end * BLOCK_S,
            detected_s=self._fed * BLOCK_S,
            ended_at=time.monotonic(),
        )

    def _cut(self, end: int) -> Utterance | None:
        utterance = self._utterance(end)
        self._start, self._quiet_from, self._offered, self._speaking = None, None, None, False
        self._trim()
        return utterance if utterance.duration_s >= self.min_speech_s - 1e-9 else None

    def _trim(self) -> None:
        """Keep only the last pad_s of audio: what goes before the next start."""
        while len(self._blocks) > self._pad:
            self._blocks.popleft()
            self._first += 1


def utterances(source: AudioSource, endpointer: Endpointer) -> Iterator[Utterance]:
    """Utterances from ``source`` as each one ends; when the source ends, one in progress is cut there."""
    for block in source.blocks():
        if (utterance := endpointer.feed(block)) is not None:
            yield utterance
    if (utterance := endpointer.finish()) is not None:
        yield utterance
