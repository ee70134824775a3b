"""Long recordings (``transcribe`` of files over a minute, issue #17): streamed a second at a time,
cut by voice activity into stretches of speech, only those transcribed; noise and silence never become
words. Speech made with espeak-ng, noise with numpy: nothing large is committed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sa2va_assist.audio.longform import LONG_S, FileStream, transcribe_file
from sa2va_assist.audio.mic import BLOCK, RATE
from sa2va_assist.audio.stt import Transcript
from sa2va_assist.audio.tts import Voice, synthesize

SENTENCES = ("the red cup is on the kitchen table", "the door to the garden is open")


class CountingStt:
    """A speech-to-text that says which stretch it was given (a real implementation of the protocol)."""

    def __init__(self) -> None:
        self.heard: list[float] = []

    def transcribe(self, audio: np.ndarray) -> Transcript:
        self.heard.append(audio.size / RATE)
        return Transcript(f"stretch {len(self.heard)}", "en", audio.size / RATE, 0.0)


def _recording(path: Path, rate: int = 22050, gap_s: float = 35.0) -> Path:
    """Speech, a long stretch of noise, speech, silence: at ``rate`` Hz, written as 16-bit WAV."""
    import soundfile

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    from sa2va_assist.audio.wav import resample

    noise = np.random.default_rng(0).standard_normal(round(gap_s * rate)).astype(np.float32) * 0.03
    parts = []
    for k, sentence in enumerate(SENTENCES):
        samples, source_rate = synthesize(sentence, Voice(rate_wpm=170))
        parts += [resample(samples, source_rate, rate), noise if k == 0 else np.zeros(rate * 5, np.float32)]
    soundfile.write(str(path), np.concatenate(parts), rate, subtype="PCM_16")
    return path


def test_a_file_is_streamed_in_blocks_at_16_khz(tmp_path: Path) -> None:
    path = _recording(tmp_path / "talk.wav")
    stream = FileStream(path)
    blocks = stream.blocks()
    first = next(blocks)  # available before the rest is decoded
    assert first.shape == (BLOCK,) and first.dtype == np.float32
    total = 1 + sum(1 for _ in blocks)
    assert abs(total * BLOCK / RATE - stream.duration_s) < 0.1


def test_only_speech_is_transcribed_and_noise_never_becomes_words(tmp_path: Path) -> None:
    path = _recording(tmp_path / "talk.wav")
    stt = CountingStt()
    done: list[float] = []
    long = transcribe_file(stt, path, progress=done.append)
    assert [s.text for s in long.segments] == ["stretch 1", "stretch 2"]  # two sentences, no noise
    assert all(1.0 < seconds < 5.0 for seconds in stt.heard)
    first, second = long.segments
    assert first.start_s < 1.0 and 35.0 < second.start_s < 40.0  # where each was said
    assert done[-1] == pytest.approx(long.duration_s) and done == sorted(done)


def test_transcribe_takes_long_files_through_the_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sa2va_assist.cli import main

    path = _recording(tmp_path / "talk.wav", gap_s=LONG_S)
    assert main(["transcribe", str(path), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["duration_s"] > LONG_S and len(row["segments"]) == 2
    assert "cup" in row["text"].lower() and "garden" in row["text"].lower()


def test_a_long_file_of_noise_says_no_speech_instead_of_inventing_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import soundfile

    from sa2va_assist.cli import main

    noise = np.random.default_rng(3).standard_normal(RATE * 45).astype(np.float32) * 0.05
    path = tmp_path / "hiss.wav"
    soundfile.write(str(path), noise, RATE, subtype="PCM_16")
    assert main(["transcribe", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    row = json.loads(out)
    assert (row["text"], row["segments"]) == ("", [])
    assert "hiss.wav: no speech found in 45 s of audio" in err
