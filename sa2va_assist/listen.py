"""``sa2va-assist listen``: ask by voice, hear the answer, interrupt at any time.

Audio comes from the microphone (or ``--audio-in`` files, played as if spoken); frames from a camera
(``--camera``) or a file (``--source``). Answers are spoken (sound card), or with ``--audio-out DIR``
recorded one WAV per answer; with no sound card they are recorded under ``out/answers`` and printed.
Every model is loaded (``load_models``) and warmed up (``warm_models``) before "Ready." is printed;
``open_loop`` wires the loop (``benchmarks.voice_loop`` builds it the same way).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import DependencyError, InputError
from .warmup import WarmUp, warm_up

if TYPE_CHECKING:
    from .audio.loop import VoiceLoop

RETRY_S = 3.0  # a missing or vanished microphone is tried again this often
DEFAULT_ANSWERS = "out/answers"


class KeptAlive:
    """A microphone that survives: when it cannot be opened or stops, the problem is printed and
    spoken once, and it is opened again every ``RETRY_S`` until it works (Ctrl-C ends the loop)."""

    name, live = "microphone", True

    def __init__(self, open_source: Any, speaker: Any, retry_s: float = RETRY_S) -> None:
        self.open_source, self.speaker, self.retry_s = open_source, speaker, retry_s
        self._closed = threading.Event()
        self._current: Any = None

    def blocks(self) -> Iterator[Any]:
        said = ""
        while not self._closed.is_set():
            try:
                self._current = self.open_source()
                for block in self._current.blocks():
                    said = ""  # working again only once sound comes: one that opens, then stops, is said once
                    yield block
            except (InputError, DependencyError) as err:
                if err.one_line() != said:  # each new problem once, not every retry
                    said = err.one_line()
                    print(f"error: {said}", file=sys.stderr, flush=True)
                    self.speaker.say(f"{err.message[:1].upper()}{err.message[1:]}. Trying again.")
                self._closed.wait(self.retry_s)

    def close(self) -> None:
        self._closed.set()
        if self._current is not None:
            self._current.close()


class Gated:
    """Push-to-talk: the source's audio while ``armed`` (a key press), silence otherwise (cleared when
    a question ends)."""

    name, live = "microphone (push to talk)", True

    def __init__(self, source: Any, armed: threading.Event) -> None:
        self.source, self.armed = source, armed

    def blocks(self) -> Iterator[Any]:
        import numpy as np

        for block in self.source.blocks():
            yield block if self.armed.is_set() else np.zeros_like(block)

    def close(self) -> None:
        self.source.close()


def open_speech(args: argparse.Namespace, config: Config) -> tuple[Any, Any]:
    """The speaker, and a function that saves each answer (None when speech is played live)."""
    from .audio.recorder import AnswerRecorder
    from .audio.speech import AudioSpeaker, Voice

    voice = Voice(config.speech.voice, config.speech.rate_wpm, config.speech.volume)
    if not args.audio_out:
        try:
            return AudioSpeaker(voice, spoken_earcons=config.listen.spoken_earcons), None
        except DependencyError as err:
            where = Path(DEFAULT_ANSWERS).resolve()  # relative to where listen runs: say where exactly
            print(f"speech: {err.message}; answers are written to {where} instead", file=sys.stderr)
    recorder = AnswerRecorder(args.audio_out or DEFAULT_ANSWERS, voice)
    return recorder, lambda turn: recorder.finish(turn.n)


MMAP_THRESHOLD = 1 << 20  # bytes: blocks this big or bigger get their own mapping, returned when freed
TRIM_THRESHOLD = 64 << 20  # bytes of free heap top kept rather than returned (no page-fault churn)


@functools.cache
def _libc() -> Any:
    """glibc through ctypes, or None where there is none (macOS, musl, Windows)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name or "libc" not in name:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "mallopt") else None
    except OSError:
        return None


def tune_malloc(arenas: int = 2) -> None:
    """Keep glibc's heap small in a long-running voice loop. Call before threads start; a no-op where
    there is no glibc. Three settings, measured (BENCHMARKS.md, soak and peak memory):

    - at most ``arenas`` malloc arenas: the loop's threads (capture, speech, CTranslate2, onnxruntime)
      otherwise each grow their own, and fragmentation grew the process 20 % over 200 turns (2 %);
    - blocks of MMAP_THRESHOLD (1 MiB) or more get their own mapping, returned when freed: glibc
      otherwise raises that threshold to 32 MiB after the first large free, and every image and
      model buffer of a look then stays in the heap after use. Below 1 MiB CTranslate2's decoding
      slows (its 0.5-1 MiB buffers would be mapped afresh at every step);
    - TRIM_THRESHOLD (64 MiB) of free space at the top of the heap is kept: fixing the mmap threshold
      would otherwise leave glibc's 128 KiB default, and the heap top would be returned and faulted
      back in at every decoding step (Whisper ~90 ms slower)."""
    libc = _libc()
    if libc is not None:
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # from glibc's malloc.h
        libc.mallopt(M_ARENA_MAX, arenas)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)


@dataclass
class Models:
    """Every model ``listen`` runs, loaded once (``load_models``) and warmed up (``warm_models``)."""

    vad: Any  # audio.vad.Vad
    stt: Any  # audio.stt.SpeechToText
    backend: Any  # vision.VisionBackend
    classifier: Any  # agent.intents.Classifier, or None (understanding by rules only)


def load_models(config: Config, stt_model: str | None = None) -> Models:
    """The voice-activity model, the recogniser (``stt_model`` overrides ``stt.model``), the vision
    backend and the example classifier. DependencyError / ModelError name the fix."""
    from .agent.build import load_classifier
    from .audio.stt import stt_from_config
    from .audio.vad import load_vad
    from .vision import load_backend

    vad = load_vad()
    stt = stt_from_config(config.stt, stt_model)
    backend = load_backend(config)
    return Models(vad, stt, backend, load_classifier() if config.agent.examples else None)


def warm_models(models: Models, config: Config, frames: Any = None) -> WarmUp:
    """One small inference through each model and the speech voice, and a look at ``frames`` (the
    source the questions are about) (``warmup.warm_up``), so the first question is answered as fast
    as the later ones; failures are printed and left cold."""
    from .audio.speech import Voice

    voice = Voice(config.speech.voice, config.speech.rate_wpm, config.speech.volume)
    return warm_up(
        config, backend=models.backend, classifier=models.classifier, stt=models.stt, vad=models.vad,
        voice=voice, frames=frames, log=lambda line: print(line, file=sys.stderr, flush=True),
    )  # fmt: skip


def open_loop(
    config: Config,
    models: Models,
    audio: Any,
    speaker: Any,
    frames: Any,
    memory: str | None = None,
    thread: str | None = None,
    guess: bool = True,
    early: bool = True,
    **hooks: Any,
) -> VoiceLoop:
    """The voice loop over ``audio`` (an AudioSource), answering about ``frames`` (a Snapshot) through
    ``speaker``: endpointing with barge-in on the first voiced block, a transcript guessed at each
    pause, and the question ended after ``vad.EARLY_END_S`` instead of ``listen.silence_s`` once that
    guess is done and sounds complete; the conversation (``memory``, ``thread``). ``guess=False`` /
    ``early=False`` leave those out (for comparison). ``hooks``: VoiceLoop's keyword arguments."""
    from .agent.build import open_conversation
    from .audio.loop import Muting, VoiceLoop
    from .audio.vad import Endpointer, utterances

    lc = config.listen
    endpointer = Endpointer(models.vad, lc.vad_threshold, lc.silence_s, max_utterance_s=lc.max_question_s)
    voice = Muting(speaker)  # the agent speaks through it: a barge-in drops the rest of that answer
    agent = open_conversation(config, models.backend, frames, voice, memory, thread, models.classifier)
    loop = VoiceLoop(
        utterances(audio, endpointer), models.stt, agent, speaker, voice=voice, frames=frames,
        earcons=lc.earcons, **hooks,
    )  # fmt: skip
    endpointer.on_voice = loop.barge_in  # ~64 ms of voice stops the answer (not the 0.15 s speech start)
    if guess:  # transcribe at each pause, while the end is still being waited for
        endpointer.on_pause = loop.guess
    if guess and early:  # a complete-sounding guess ends the question sooner
        endpointer.ends_early = loop.ends_early
    return loop


def run_listen(args: argparse.Namespace, config: Config) -> int:
    tune_malloc()
    from .audio.mic import open_audio_source
    from .io.streams import Snapshot, open_source

    spec = args.source or (f"camera:{args.camera}" if args.camera and args.camera.isdigit() else args.camera)
    frames = Snapshot(open_source(spec or "camera", config.input), config.agent.frames_per_look)
    speaker: Any = None
    audio: Any = None
    try:
        speaker, save = open_speech(args, config)
        if args.audio_in:
            audio = open_audio_source(None, args.audio_in, realtime=args.realtime, noise_db=args.noise_db)
        else:
            audio = KeptAlive(lambda: open_audio_source(args.mic), speaker)
        models = load_models(config, args.stt)
        print(warm_models(models, config, frames).summary(), file=sys.stderr, flush=True)
        armed = threading.Event()
        if not args.push_to_talk:
            armed.set()

        def on_turn(turn: Any) -> None:
            if args.push_to_talk:
                armed.clear()
            if args.json:
                print(json.dumps(turn.document(), ensure_ascii=False), flush=True)
            elif turn.error:
                print(f"error: {turn.error}", file=sys.stderr, flush=True)

        printing = None if args.json else (lambda s: print(s, flush=True))
        loop = open_loop(
            config, models, Gated(audio, armed) if args.push_to_talk else audio, speaker, frames,
            args.memory, args.thread, early=config.listen.early_end, on_turn=on_turn, after_turn=save,
            on_sentence=printing,
            on_transcript=None if args.json else _show_transcript,
        )  # fmt: skip
        if sys.stdin.isatty() and not args.audio_in:
            _keys(loop, armed, args.push_to_talk)
        start = time.monotonic()
        turns = loop.run(args.max_turns)
        if not args.json:
            print(f"{len(turns)} turn(s) in {time.monotonic() - start:.1f} s", file=sys.stderr)
        skipped = getattr(audio, "skipped", [])  # audio files that could not be heard (said above)
        return 2 if skipped or any(t.error for t in turns) else 0
    finally:
        for part in (audio, speaker, frames):
            if part is not None:
                if part is speaker:
                    part.wait(30.0)
                part.close()


def _show_transcript(text: str) -> None:
    print(f"> {text}", file=sys.stderr, flush=True)


def _keys(loop: Any, armed: threading.Event, push_to_talk: bool) -> None:
    """Enter stops the answer being spoken (barge-in by key); with push-to-talk it also arms listening."""
    print(
        "Listening. Press Enter to interrupt" + (" and to talk" if push_to_talk else "") + ".",
        file=sys.stderr,
    )

    def read() -> None:
        for _ in sys.stdin:
            loop.barge_in()
            if push_to_talk:
                armed.set()
                print("(listening)", file=sys.stderr, flush=True)

    threading.Thread(target=read, name="sa2va-keys", daemon=True).start()
