"""Reading audio files into what speech recognition takes: float32 mono samples at 16 kHz.

``soundfile`` (libsndfile bundled in its wheel) reads WAV of any sample format, FLAC and OGG; without
it the standard library's ``wave`` reads integer PCM WAV. Resampling uses a polyphase filter
(``resampling.resample_poly``: scipy's Kaiser-window filter, in numpy), which keeps speech below the
new Nyquist frequency intact and removes what would alias.
"""

from __future__ import annotations

import wave
from math import gcd
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import DependencyError, InputError, first_line

SAMPLE_RATE = 16_000  # Hz: what Whisper (and most speech models) expect
SILENT_PEAK = 1e-4  # full scale = 1.0; -80 dBFS, about 3 LSB of 16-bit audio: nothing was recorded
_FIX = "give a WAV or FLAC file with speech in it"
Audio = npt.NDArray[np.float32]


def read_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> tuple[Audio, int]:
    """Samples of the file as float32 mono in [-1, 1] at ``sample_rate`` Hz, and that rate.

    Channels are averaged. Raises InputError for a missing, empty, unreadable, corrupt or silent file
    and DependencyError for a non-WAV file when ``soundfile`` is not installed."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no audio file at {path}", "check the path")
    if path.stat().st_size == 0:
        raise InputError(f"audio file {path} is empty (0 bytes)", _FIX)
    samples, rate = _decode(path)
    if samples.size == 0:
        raise InputError(f"audio file {path} holds no samples", _FIX)
    if not np.isfinite(samples).all():
        raise InputError(f"audio file {path} is corrupt: it holds NaN or infinite samples", _FIX)
    mono = samples.mean(axis=1, dtype=np.float32) if samples.ndim == 2 else samples.astype(np.float32)
    if float(np.abs(mono).max()) < SILENT_PEAK:
        raise InputError(f"audio file {path} is silent (peak below -80 dBFS)", "check the microphone")
    return resample(mono, rate, sample_rate), sample_rate


def resample(audio: Audio, rate: int, target: int = SAMPLE_RATE) -> Audio:
    """``audio`` (1-D) from ``rate`` Hz to ``target`` Hz; ``ceil(len * target / rate)`` samples."""
    if rate == target:
        return np.ascontiguousarray(audio, dtype=np.float32)
    from .resampling import resample_poly

    g = gcd(rate, target)
    return resample_poly(audio, target // g, rate // g).astype(np.float32)


def _decode(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """(samples: float32 (frames,) or (frames, channels) in [-1, 1], sample rate in Hz)."""
    try:
        import soundfile
    except (ImportError, OSError):  # OSError: the wheel's libsndfile cannot be loaded
        return _decode_wave(path)
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, TypeError, ValueError) as err:  # LibsndfileError is a RuntimeError
        raise InputError(f"cannot read {path} as audio ({first_line(err)})", _FIX) from err
    return samples, int(rate)


def _decode_wave(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """Integer PCM WAV with the standard library (8/16/24/32-bit)."""
    if path.suffix.lower() not in (".wav", ".wave"):
        raise DependencyError(
            f"reading {path.suffix or 'extension-less'} audio files needs the soundfile package",
            "pip install soundfile, or give a WAV file",
        )
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            raw = f.readframes(f.getnframes())
    except (wave.Error, EOFError, OSError) as err:
        hint = "pip install soundfile to read float WAV" if "format: 3" in str(err) else _FIX
        raise InputError(f"cannot read {path} as WAV ({first_line(err)})", hint) from err
    if rate <= 0 or width not in (1, 2, 3, 4):
        raise InputError(f"{path} is corrupt: {width}-byte samples at {rate} Hz", _FIX)
    frames = len(raw) // (width * channels)
    data = np.frombuffer(raw[: frames * width * channels], np.uint8)
    if width == 1:  # unsigned 8-bit
        samples = (data.astype(np.float32) - 128.0) / 128.0
    else:  # signed little-endian: place the bytes in the top of an int32
        padded = np.zeros((frames * channels, 4), np.uint8)
        padded[:, 4 - width :] = data.reshape(-1, width)
        samples = padded.view("<i4").ravel().astype(np.float32) / 2.0**31
    return samples.reshape(frames, channels), rate
