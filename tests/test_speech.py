"""Speech out: espeak-ng synthesis, earcons, and the speakers' queue / stop / wait contract.

Offline and without a sound card: AudioSpeaker is driven through an in-memory sink that records blocks
(and can be slowed to real time); the real sounddevice path runs against a virtual ALSA device when
libasound is there."""

from __future__ import annotations

import ctypes.util
import io
import itertools
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from sa2va_assist.audio.earcons import SPOKEN, earcon
from sa2va_assist.audio.speech import AudioSpeaker, FileSpeaker, PrintSpeaker, open_speaker
from sa2va_assist.audio.tts import MAX_WPM, MIN_WPM, Voice, synthesize
from sa2va_assist.audio.wav import resample
from sa2va_assist.errors import BackendError, ConfigError, DependencyError
from tests.conftest import run_in_home

REPO = Path(__file__).resolve().parent.parent
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
SHORT = "Red cup, two o'clock."
LONG = "A person is approaching from the left, about two metres away, walking slowly."


def seconds(audio: tuple[np.ndarray, int]) -> float:
    return audio[0].size / audio[1]


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


# ---------------------------------------------------------------- synthesis


@needs_espeak
def test_synthesize_gives_audible_float_speech() -> None:
    samples, rate = synthesize(SHORT)
    assert rate == 22_050 and samples.dtype == np.float32 and samples.ndim == 1
    assert np.abs(samples).max() <= 1.0 and rms(samples) > 0.01
    assert 0.5 < samples.size / rate < 4.0


@needs_espeak
@pytest.mark.parametrize("route", ["espeak-ng", "pyttsx3"])
def test_duration_grows_with_text_and_shrinks_with_rate(
    route: Literal["espeak-ng", "pyttsx3"], capsys: pytest.CaptureFixture
) -> None:
    if route == "pyttsx3":
        pytest.importorskip("pyttsx3")
    short, long = synthesize(SHORT, route=route), synthesize(LONG, route=route)
    assert seconds(long) > 1.5 * seconds(short)
    slow = synthesize(LONG, Voice(rate_wpm=150), route=route)
    fast = synthesize(LONG, Voice(rate_wpm=400), route=route)
    assert seconds(fast) < 0.6 * seconds(slow)
    # back to the slow rate: a rate change between utterances must not be lost (pyttsx3 drops it)
    assert seconds(synthesize(LONG, Voice(rate_wpm=150), route=route)) == pytest.approx(
        seconds(slow), rel=0.05
    )
    assert capsys.readouterr().out == ""  # pyttsx3's "Audio saved to ..." is silenced


@needs_espeak
@pytest.mark.parametrize(("asked", "clamped"), [(10, MIN_WPM), (MAX_WPM + 1000, MAX_WPM)])
def test_rate_is_clamped(asked: int, clamped: int) -> None:
    assert seconds(synthesize(LONG, Voice(rate_wpm=asked))) == pytest.approx(
        seconds(synthesize(LONG, Voice(rate_wpm=clamped))), rel=0.02
    )


@needs_espeak
def test_long_text_is_complete_with_pyttsx3() -> None:
    """pyttsx3's runAndWait returns before a long text is written; the route must wait for it."""
    pytest.importorskip("pyttsx3")
    text = " ".join([LONG] * 15)
    assert seconds(synthesize(text, route="pyttsx3")) == pytest.approx(
        seconds(synthesize(text, route="espeak-ng")), rel=0.05
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_is_no_audio(text: str) -> None:
    samples, rate = synthesize(text)
    assert samples.size == 0 and rate > 0


@needs_espeak
def test_unknown_voice_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no voice"):
        synthesize(SHORT, Voice(voice="nosuchvoice"))


@needs_espeak
def test_named_voice_and_volume() -> None:
    quiet = synthesize(SHORT, Voice(voice="en-us", volume=0.25))[0]
    loud = synthesize(SHORT, Voice(voice="en-us", volume=1.0))[0]
    assert rms(quiet) < 0.5 * rms(loud)


@needs_espeak
def test_pyttsx3_unknown_voice_is_a_config_error_and_it_recovers() -> None:
    pytest.importorskip("pyttsx3")
    with pytest.raises(ConfigError, match="no voice"):
        synthesize(SHORT, Voice(voice="nosuchvoice"), route="pyttsx3")
    assert seconds(synthesize(SHORT, route="pyttsx3")) == pytest.approx(seconds(synthesize(SHORT)), rel=0.05)


def test_missing_espeak_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(DependencyError) as caught:
        synthesize(SHORT, route="espeak-ng")
    assert "apt-get install espeak-ng" in caught.value.hint and "sa2va-assist setup" in caught.value.hint


# ---------------------------------------------------------------- earcons


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size), n=1 << 16))
    return float(np.fft.rfftfreq(1 << 16, 1 / rate)[spectrum.argmax()])


def test_earcons_are_short_gentle_and_distinct() -> None:
    peaks = {}
    for name in SPOKEN:
        samples, rate = earcon(name)
        assert rate in (16_000, 22_050) and samples.dtype == np.float32
        assert 0.08 <= samples.size / rate <= 0.2, name
        assert np.abs(samples).max() <= 1.0
        edge, quiet = round(0.001 * rate), 0.05 * np.abs(samples).max()  # first and last 1 ms: no click
        assert np.abs(samples[:edge]).max() < quiet and np.abs(samples[-edge:]).max() < quiet, name
        assert samples[0] == 0.0 and samples[-1] == 0.0
        peaks[name] = dominant_hz(samples, rate)
    ordered = sorted(peaks.values())
    assert min(b / a for a, b in itertools.pairwise(ordered)) > 1.3, peaks  # a musical fourth apart or more


def test_earcon_words_and_unknown_name() -> None:
    assert SPOKEN == {
        "listening": "Listening",
        "thinking": "Thinking",
        "done": "Done",
        "error": "Sorry, something went wrong",
    }
    with pytest.raises(ConfigError, match="beep") as caught:
        earcon("beep")
    assert "listening" in caught.value.hint


# ---------------------------------------------------------------- file and print speakers


@needs_espeak
def test_file_speaker_writes_one_wav_per_sentence_in_order(tmp_path: Path) -> None:
    soundfile = pytest.importorskip("soundfile")
    speaker = FileSpeaker(tmp_path / "speech", Voice(rate_wpm=300))
    for text in (SHORT, LONG, "  ", "Door ahead."):
        speaker.say(text)
    speaker.play_earcon("done")
    assert speaker.wait(0) and not speaker.speaking
    assert [p.name for p in speaker.files] == [
        "001-speech.wav",
        "002-speech.wav",
        "003-speech.wav",
        "004-earcon-done.wav",
    ]
    durations = []
    for path in speaker.files:
        samples, rate = soundfile.read(path, dtype="float32")
        info = soundfile.info(path)
        assert info.subtype == "PCM_16" and info.channels == 1 and rms(samples) > 0.01
        durations.append(samples.size / rate)
    assert soundfile.info(speaker.files[0]).samplerate == 22_050
    assert durations[1] > durations[0] > durations[2] > durations[3]  # LONG > SHORT > "Door ahead." > earcon
    speaker.set_rate(150)  # "slower"
    speaker.say(SHORT)
    assert soundfile.info(speaker.files[-1]).duration > 1.5 * durations[0]


def test_print_speaker_prints_each_sentence_on_its_own_line() -> None:
    out = io.StringIO()
    speaker = PrintSpeaker(out)
    speaker.say(SHORT)
    speaker.say("Two people,\n  one within reach.")
    speaker.say("   ")
    speaker.play_earcon("thinking")  # silent unless asked
    assert out.getvalue() == f"{SHORT}\nTwo people, one within reach.\n"
    out = io.StringIO()
    PrintSpeaker(out, spoken_earcons=True).play_earcon("error")
    assert out.getvalue() == "[Sorry, something went wrong]\n"


# ---------------------------------------------------------------- AudioSpeaker through a memory sink

RATE = 8_000


class MemorySink:
    """A Sink that records every block; ``realtime`` makes each write take as long as its block lasts."""

    def __init__(self, realtime: bool = False, rate: int = 0) -> None:
        self.realtime, self.fixed_rate = realtime, rate  # fixed_rate: a device that plays only that rate
        self.blocks: list[np.ndarray] = []
        self.aborts = self.flushes = 0
        self.closed = False
        self.rate = 0

    def start(self, rate: int) -> int:
        self.rate = self.fixed_rate or rate
        return self.rate

    def write(self, block: np.ndarray) -> None:
        if self.realtime:
            time.sleep(block.size / self.rate)
        self.blocks.append(block.copy())

    def flush(self) -> None:
        self.flushes += 1

    def abort(self) -> None:
        self.aborts += 1

    def close(self) -> None:
        self.closed = True

    def played(self) -> np.ndarray:
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)


class ToneSynth:
    """Synthesis stand-in: each sentence is 10 ms per character of one constant level, so the played
    audio says which sentences were heard. Records when each call started."""

    def __init__(self, fail_on: str = "") -> None:
        self.fail_on = fail_on
        self.started: dict[str, float] = {}

    def __call__(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        self.started[text] = time.monotonic()
        if text == self.fail_on:
            raise BackendError("espeak-ng failed", "try again")
        return np.full(len(text) * RATE // 100, level(text), np.float32), RATE


def level(text: str) -> float:
    return round(0.1 + len(text) / 1000, 3)


@pytest.fixture
def speakers() -> Iterator[list[AudioSpeaker]]:
    made: list[AudioSpeaker] = []
    yield made
    for speaker in made:
        speaker.close()


def make(speakers: list[AudioSpeaker], sink: MemorySink, synth: ToneSynth | None = None) -> AudioSpeaker:
    speakers.append(AudioSpeaker(Voice(), sink=sink, synth=synth or ToneSynth()))
    return speakers[-1]


def test_audio_speaker_plays_everything_in_order_then_wait_is_true(speakers: list[AudioSpeaker]) -> None:
    sink = MemorySink(rate=RATE)  # the 22,050 Hz earcon is resampled to the sink's rate
    speaker = make(speakers, sink)
    texts = ["First sentence.", "Second, a little longer."]
    speaker.say(texts[0])
    speaker.play_earcon("done")
    speaker.say(texts[1])
    assert speaker.wait(5.0) and not speaker.speaking
    first, second = (np.full(len(t) * RATE // 100, level(t)) for t in texts)
    expected = np.concatenate([first, resample(*earcon("done"), RATE), second])
    np.testing.assert_allclose(sink.played(), expected, atol=1e-6)
    assert max(b.size for b in sink.blocks) == RATE // 50  # 20 ms blocks
    assert sink.flushes >= 1 and sink.aborts == 0


def test_stop_silences_within_100_ms_and_drops_the_queue(speakers: list[AudioSpeaker]) -> None:
    sink = MemorySink(realtime=True)
    speaker = make(speakers, sink)
    first, queued = "x" * 100, ["y" * 90, "z" * 80]  # 1 s, then 0.9 s and 0.8 s waiting
    for text in (first, *queued):
        speaker.say(text)
    time.sleep(0.3)
    assert speaker.speaking and 5 < len(sink.blocks) < 50
    began = time.monotonic()
    speaker.stop()
    took = time.monotonic() - began
    heard = len(sink.blocks)
    time.sleep(0.15)
    assert took < 0.1, f"stop() took {took * 1000:.0f} ms"
    assert len(sink.blocks) == heard, "blocks arrived after stop() returned"
    assert sink.aborts == 1 and not speaker.speaking and speaker.wait(0)
    assert set(np.unique(sink.played())) == {np.float32(level(first))}  # nothing queued was played
    speaker.say("After the stop.")  # the speaker still works
    assert speaker.wait(5.0)
    assert sink.played()[-1] == np.float32(level("After the stop."))


@needs_espeak
def test_audio_speaker_speaks_real_synthesis(speakers: list[AudioSpeaker]) -> None:
    sink = MemorySink()
    speakers.append(AudioSpeaker(Voice(rate_wpm=300), sink=sink))
    speakers[-1].say(SHORT)
    assert speakers[-1].wait(5.0) and sink.rate == 22_050
    np.testing.assert_array_equal(sink.played(), synthesize(SHORT, Voice(rate_wpm=300))[0])


def test_wait_times_out_while_speaking(speakers: list[AudioSpeaker]) -> None:
    speaker = make(speakers, MemorySink(realtime=True))
    speaker.say("w" * 50)  # 0.5 s
    assert not speaker.wait(0.05) and speaker.speaking
    assert speaker.wait(2.0)


def test_next_sentence_is_synthesized_while_one_plays(speakers: list[AudioSpeaker]) -> None:
    synth, sink = ToneSynth(), MemorySink(realtime=True)
    speaker = make(speakers, sink, synth)
    speaker.say("a" * 30)  # 0.3 s
    speaker.say("b" * 10)
    began = time.monotonic()
    assert speaker.wait(5.0)
    assert synth.started["b" * 10] - began < 0.15  # not after the first one finished playing


def test_a_failing_sentence_is_skipped_and_kept(speakers: list[AudioSpeaker]) -> None:
    sink = MemorySink()
    speaker = make(speakers, sink, ToneSynth(fail_on="bad"))
    for text in ("good one", "bad", "good two"):
        speaker.say(text)
    assert speaker.wait(5.0)
    assert isinstance(speaker.last_error, BackendError)
    assert set(np.unique(sink.played())) == {np.float32(level("good one")), np.float32(level("good two"))}


def test_closed_speaker_refuses_and_closes_its_sink(speakers: list[AudioSpeaker]) -> None:
    sink = MemorySink(realtime=True)
    speaker = make(speakers, sink)
    speaker.say("c" * 100)
    speaker.close()
    assert sink.closed and not any(t.is_alive() for t in threading.enumerate() if t.name == "sa2va-speech")
    with pytest.raises(BackendError, match="closed"):
        speaker.say("more")


# ---------------------------------------------------------------- choosing a speaker


def test_auto_falls_back_with_one_warning(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    speaker = open_speaker("auto", device="no such output device")
    assert isinstance(speaker, PrintSpeaker)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no audio output device" in err and "printing" in err
    if shutil.which("espeak-ng"):
        speaker = open_speaker("auto", out_dir=tmp_path, device="no such output device")
        assert isinstance(speaker, FileSpeaker) and str(tmp_path) in capsys.readouterr().err


def test_auto_on_this_machine(capsys: pytest.CaptureFixture) -> None:
    """With no sound card (CI, this dev box) auto prints and says why; with one it speaks."""
    speaker = open_speaker("auto")
    try:
        if not isinstance(speaker, AudioSpeaker):
            assert isinstance(speaker, PrintSpeaker) and "instead" in capsys.readouterr().err
    finally:
        speaker.close()


def test_bad_choices_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="speakers") as caught:
        open_speaker("speakers")
    assert "auto, audio, file, print" in caught.value.hint
    with pytest.raises(ConfigError, match="folder"):
        open_speaker("file")


# ---------------------------------------------------------------- the real sounddevice path

ASOUNDRC = """pcm.!default {{
  type file
  slave.pcm "null"
  file "{out}"
  format "raw"
}}
"""
ALSA_SCRIPT = """
import json, sys, numpy as np
from sa2va_assist.audio.earcons import earcon
from sa2va_assist.audio.speech import AudioSpeaker
from sa2va_assist.audio.tts import Voice, synthesize
from sa2va_assist.errors import DependencyError
try:
    speaker = AudioSpeaker(Voice(rate_wpm=300))
except DependencyError as err:
    print(json.dumps({"skip": str(err)})); raise SystemExit
speaker.say("Red cup, two o'clock.")
speaker.play_earcon("done")
ok = speaker.wait(10)
speaker.close()
speech = synthesize("Red cup, two o'clock.", Voice(rate_wpm=300))[0]
np.save(sys.argv[1], np.concatenate([speech, earcon("done")[0]]))
print(json.dumps({"ok": ok, "error": repr(speaker.last_error)}))
"""


@needs_espeak
def test_sound_card_path_through_a_virtual_alsa_device(tmp_path: Path) -> None:
    """ALSA's `file` plugin over a `null` device (set up in a throwaway HOME's .asoundrc) is a sound
    card to PortAudio that writes what it is given to a file. It does not run in real time, so stop
    latency is checked with the memory sink above; this checks what reaches the device."""
    if ctypes.util.find_library("asound") is None or ctypes.util.find_library("portaudio") is None:
        pytest.skip("needs libasound2 and libportaudio2 for a virtual ALSA device")
    out = tmp_path / "played.raw"
    (tmp_path / ".asoundrc").write_text(ASOUNDRC.format(out=out))
    result = run_in_home(ALSA_SCRIPT, [str(tmp_path / "expected.npy")], tmp_path, 60)
    assert result["ok"] and result["error"] == "None"
    played = np.fromfile(out, np.float32)
    expected = np.load(tmp_path / "expected.npy")
    assert played.size >= expected.size
    np.testing.assert_allclose(played[: expected.size], expected, atol=1e-6)
