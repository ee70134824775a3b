"""Warm start (``warmup.warm_up``): each loaded part runs once on synthetic input before "Ready.",
nothing reaches the conversation memory, the speaker or the answers folder, and a part that fails to
warm up is reported and left cold. Test doubles are real implementations of the parts' interfaces."""

from __future__ import annotations

import argparse
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from sa2va_assist.agent.build import WARM_UTTERANCES, open_conversation
from sa2va_assist.audio.mic import BLOCK
from sa2va_assist.audio.recorder import AnswerRecorder
from sa2va_assist.audio.stt import Transcript
from sa2va_assist.config import AgentConfig, Config
from sa2va_assist.errors import BackendError
from sa2va_assist.warmup import WarmUp, synthetic_frame, synthetic_tone, warm_up
from tests.fakes import FrameList, PaintedBackend, RecordingSpeaker, painted

SCENE = painted([("person", (300, 100, 380, 460)), ("cup", (100, 300, 160, 380))])


class CountingSTT:
    """A recogniser that records the audio of every call."""

    def __init__(self) -> None:
        self.heard: list[np.ndarray] = []

    def transcribe(self, audio: np.ndarray) -> Transcript:
        self.heard.append(audio)
        return Transcript("", "en", audio.size / 16_000, 0.0)


class CountingVad:
    """A voice-activity model that records each block scored and each reset."""

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.events: list[str] = []

    def probability(self, block: np.ndarray) -> float:
        self.blocks.append(block)
        self.events.append("block")
        return 0.0

    def reset(self) -> None:
        self.events.append("reset")


class CountingClassifier:
    """An example classifier that records what it was asked (and never matches)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def classify(self, text: str) -> object:
        self.texts.append(text)
        return argparse.Namespace(label="unclear", score=0.0)  # what understand() reads of a match


def config(hazard_scan: str = "on") -> Config:
    return Config(agent=AgentConfig(hazard_scan=hazard_scan))


def test_each_part_is_run_once_on_input_it_cannot_skip() -> None:
    stt, vad, classifier, backend = CountingSTT(), CountingVad(), CountingClassifier(), PaintedBackend()
    done = warm_up(config(), backend=backend, classifier=classifier, stt=stt, vad=vad)

    assert list(done.timings_ms) == ["voice activity", "speech to text", "vision and agent"]
    assert done.failed == {} and all(ms >= 0 for ms in done.timings_ms.values())
    (audio,) = stt.heard  # one clip: 1-D float32, loud enough not to be taken for silence
    assert audio.ndim == 1 and audio.dtype == np.float32 and 0.2 <= audio.size / 16_000 <= 1.0
    assert float(np.abs(audio).max()) > 10 ** (-60 / 20)
    assert vad.events[-1] == "reset" and vad.events.count("reset") == 1  # its next stream starts afresh
    assert all(b.shape == (BLOCK,) for b in vad.blocks) and len(vad.blocks) >= 2
    # the agent looked: a hazard scan and the find, then the read, over the synthetic frames
    tasks = [(r.task, r.text) for r in backend.requests]
    assert ("segment", "everything") in tasks and ("read", "read the sign") in tasks
    assert ("segment", "person") in tasks
    assert all(r.frames[-1].image.shape == synthetic_frame().shape for r in backend.requests)
    assert len(classifier.texts) == 1  # the rules understood the warm-up turns: the classifier ran once


def test_the_scene_is_looked_at_once() -> None:
    backend, scene = PaintedBackend(), FrameList(SCENE)
    warm_up(config(), backend=backend, frames=scene)
    on_scene = [r for r in backend.requests if r.frames[-1].image is scene.frames[-1].image]
    assert [(r.task, r.text) for r in on_scene] == [("segment", "everything"), ("segment", "person")]
    synthetic = backend.requests[: -len(on_scene)]  # first: a find and a read on the synthetic frames
    assert len(synthetic) == 2 * len(WARM_UTTERANCES)  # each: the hazard scan, then the request
    assert all(r.frames[-1].name.startswith("warm-") for r in synthetic)


def test_warming_up_does_not_touch_the_memory_the_speaker_or_the_answers(tmp_path: Path) -> None:
    memory = tmp_path / "memory.sqlite"
    backend, scene, speaker = PaintedBackend(), FrameList(SCENE), RecordingSpeaker()
    conversation = open_conversation(config(), backend, scene, speaker, str(memory), "t1")
    recorder = AnswerRecorder(tmp_path / "answers")
    warm_up(config(), backend=backend, classifier=CountingClassifier(), frames=scene)

    assert speaker.said == [] and speaker.stops == 0 and speaker.rate is None
    assert conversation.graph.checkpointer.get_tuple({"configurable": {"thread_id": "t1"}}) is None
    with sqlite3.connect(memory) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert all(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone() == (0,) for t in tables)
    assert list(recorder.out_dir.iterdir()) == [] and recorder.finish(1) is None
    turn = conversation.turn("where is the cup")  # the real conversation starts from nothing
    assert turn.answer.startswith("Cup,") and speaker.said == turn.sentences


def test_a_part_that_fails_to_warm_up_is_reported_and_the_rest_still_warm() -> None:
    lines: list[str] = []
    done = warm_up(config(), stt=_Broken(), vad=CountingVad(), log=lines.append)
    assert list(done.timings_ms) == ["voice activity", "speech to text"]
    assert done.failed == {"speech to text": "the recogniser broke. Reinstall it"}
    assert lines == [
        "warning: warming up speech to text failed (the recogniser broke. Reinstall it); "
        "its first use will be slower"
    ]
    # a vision backend that fails is said inside the throwaway conversation ("Sorry, I couldn't look")
    assert warm_up(config(), backend=PaintedBackend(fail=True), log=lines.append).failed == {}


class _Broken:
    def transcribe(self, audio: np.ndarray) -> Transcript:
        raise BackendError("the recogniser broke", "reinstall it")


def test_the_summary_says_ready_with_the_time_of_each_part() -> None:
    done = WarmUp({"speech to text": 312.0, "vision and agent": 705.0})
    assert done.total_s == pytest.approx(1.017)
    assert done.summary() == "Ready (warm-up 1.0 s: speech to text 0.31 s, vision and agent 0.70 s)."
    assert WarmUp().summary() == "Ready."


def test_synthetic_inputs() -> None:
    tone = synthetic_tone()
    assert tone.dtype == np.float32 and tone.ndim == 1
    assert float(np.abs(tone).max()) == pytest.approx(0.1, abs=1e-3)  # -20 dBFS: far above silence
    frame = synthetic_frame()
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert (frame == 255).all(axis=-1).sum() > 1000  # the white sign
    assert not np.array_equal(synthetic_frame(shift=8), frame)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng speaks")
def test_the_voice_is_synthesized_not_played() -> None:
    from sa2va_assist.audio.tts import Voice

    done = warm_up(config(), voice=Voice(rate_wpm=300))
    assert list(done.timings_ms) == ["speech out"] and done.failed == {}


def test_chat_warms_up_before_it_says_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sa2va_assist import vision
    from sa2va_assist.chat import run_chat
    from tests.conftest import write_rgb

    backend = PaintedBackend()
    vision.register_backend("painted", lambda cfg: backend)
    try:
        image = write_rgb(tmp_path / "kitchen.png", painted([("cup", (480, 300, 540, 380))]))
        script = tmp_path / "turns.txt"
        script.write_text("where is the cup\n", encoding="utf-8")
        args = argparse.Namespace(
            source=str(image), script=str(script), json=False, speak=False, speak_dir=None,
            memory=":memory:", thread=None,
        )  # fmt: skip
        cfg = Config(backend="painted", agent=AgentConfig(examples=False))
        assert run_chat(args, cfg) == 0
    finally:
        vision.BACKENDS.pop("painted", None)
    out, err = capsys.readouterr()
    assert err.startswith("Ready (warm-up ") and "vision and agent" in err
    assert out.splitlines()[0].startswith("Cup, ")
    warm = [r for r in backend.requests if r.frames[-1].name.startswith("warm-")]
    assert warm and backend.requests[: len(warm)] == warm  # warmed before the first turn
