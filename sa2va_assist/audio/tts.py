"""Speech synthesis: text -> float32 mono samples (:func:`synthesize`, how it sounds in :class:`Voice`),
and the 16-bit PCM WAVs espeak-ng writes (:func:`read_pcm16`, :func:`write_pcm16`).

Routes to samples, measured on the dev machine (espeak-ng 1.51, pyttsx3 2.99, short sentences):
- the ``espeak-ng`` program (``-w`` a WAV, text on stdin), the default: ~14 ms median. A process per
  call, so thread-safe; every rate to 500 wpm honoured; an unknown voice is an error.
- pyttsx3 over libespeak-ng, the fallback where the program is missing: ~11 ms (~32 ms when voice or
  rate change). Its driver is once per process and not re-entrant; ``runAndWait()`` returns ~10 ms after
  synthesis *starts* (a long text is not on disk yet); a rate set between utterances is lost (its
  stop() cancels it); an unknown voice is ignored; it prints "Audio saved to ..." on stdout. Hence one
  engine behind a lock, properties set on the driver then ``espeak_Synchronize()``, the file read after
  ``finished-utterance``, and that print dropped.

Where the samples are heard is ``speech``'s job (the speakers).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import BackendError, ConfigError, DependencyError

Audio = npt.NDArray[np.float32]
MIN_WPM, MAX_WPM = 80, 500  # espeak-ng's floor; 500 wpm is the top of what expert listeners use
TIMEOUT_S = 60.0  # seconds one synthesis may take before it counts as hung
_INSTALL = "sudo apt-get install espeak-ng, or run: sa2va-assist setup"
_VOICES = "pick one from: espeak-ng --voices"
_NOTHING = np.zeros(0, np.float32)


@dataclass(frozen=True)
class Voice:
    """How speech sounds."""

    voice: str | None = None  # espeak-ng voice or language as `espeak-ng --voices` lists it; None: default
    rate_wpm: int = 200  # words per minute; clamped to 80..500
    volume: float = 1.0  # 0..1 of espeak-ng's normal amplitude; clamped


Synth = Callable[[str, Voice], tuple[Audio, int]]


def synthesize(
    text: str, voice: Voice = Voice(), route: Literal["auto", "espeak-ng", "pyttsx3"] = "auto"
) -> tuple[Audio, int]:
    """``text`` spoken: (float32 mono samples in [-1, 1], sample rate in Hz; 22,050 from espeak-ng).

    Whitespace-only text gives no samples. "auto": the espeak-ng program, else pyttsx3. Raises
    DependencyError when neither exists, ConfigError for an unknown voice, BackendError on failure."""
    text = " ".join(text.split())
    if not text:
        return _NOTHING, 22_050
    rate = min(max(int(voice.rate_wpm), MIN_WPM), MAX_WPM)
    volume = min(max(float(voice.volume), 0.0), 1.0)
    program = shutil.which("espeak-ng")
    if route == "pyttsx3" or (route == "auto" and program is None):
        return _PYTTSX3.synthesize(text, voice.voice, rate, volume)
    if program is None:
        raise DependencyError("the espeak-ng program is not installed", _INSTALL)
    with tempfile.TemporaryDirectory(prefix="sa2va-speech-") as tmp:
        # text on stdin (-b 1: UTF-8), so a sentence starting with "-" is never taken for an option
        cmd = [program, "-b", "1", "-w", f"{tmp}/s.wav", "-s", str(rate), "-a", str(round(volume * 100))]
        try:
            run = subprocess.run(
                cmd + (["-v", voice.voice] if voice.voice else []),
                input=text.encode(),
                capture_output=True,
                timeout=TIMEOUT_S,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise BackendError(f"espeak-ng could not run ({err})", _INSTALL) from err
        why = run.stderr.decode(errors="replace").strip() or f"exit status {run.returncode}"
        if run.returncode != 0 and "voice" in why:
            raise ConfigError(f"espeak-ng has no voice {voice.voice!r}", _VOICES)
        if run.returncode != 0:
            raise BackendError(f"espeak-ng failed ({why})", _INSTALL)
        return read_pcm16(Path(tmp, "s.wav"))


class _Pyttsx3:
    """pyttsx3's espeak driver: one engine per process (libespeak-ng initialises once), one call at a time."""

    def __init__(self) -> None:
        self._lock, self._finished = threading.Lock(), threading.Event()
        self._engine: Any = None
        self._default = ""  # the voice libespeak-ng starts with
        self._set: tuple[str | None, int, float] | None = None  # (voice, rate, volume) last applied

    def synthesize(self, text: str, name: str | None, rate: int, volume: float) -> tuple[Audio, int]:
        with self._lock:
            engine = self._load()
            from pyttsx3.drivers import _espeak
            from pyttsx3.drivers.espeak import EspeakDriver

            if self._set != (name, rate, volume):  # on the driver, applied before runAndWait
                try:
                    EspeakDriver.setProperty("voice", name or self._default)
                except ValueError as err:  # takes names and ids ("gmw/en-us"), not languages ("en-gb")
                    raise ConfigError(f"libespeak-ng has no voice {name!r}", _VOICES) from err
                EspeakDriver.setProperty("rate", rate)
                EspeakDriver.setProperty("volume", volume)
                _espeak.Synchronize()  # ~20 ms: espeak's command thread wakes up
                self._set = (name, rate, volume)
            with tempfile.TemporaryDirectory(prefix="sa2va-speech-") as tmp:
                self._finished.clear()
                engine.save_to_file(text, f"{tmp}/s.wav")
                engine.runAndWait()  # returns ~10 ms after synthesis starts, not once the file is written
                if not self._finished.wait(TIMEOUT_S):
                    raise BackendError("pyttsx3 never finished speaking", f"install the program: {_INSTALL}")
                return read_pcm16(Path(tmp, "s.wav"))

    def _load(self) -> Any:
        if self._engine is None:
            try:
                import pyttsx3
                from pyttsx3.drivers import espeak

                engine = pyttsx3.init("espeak")
            except Exception as err:  # ImportError; OSError or RuntimeError without libespeak-ng1
                raise DependencyError(f"speech output needs espeak-ng ({err})", _INSTALL) from err
            espeak.print = _drop_saved_notice
            engine.connect("finished-utterance", lambda **_: self._finished.set())
            self._engine, self._default = engine, engine.getProperty("voice")
        return self._engine


def _drop_saved_notice(*args: object, **kwargs: Any) -> None:
    if not (args and str(args[0]).startswith("Audio saved to ")):
        print(*args, **kwargs)


_PYTTSX3 = _Pyttsx3()


def read_pcm16(path: Path) -> tuple[Audio, int]:
    """A 16-bit PCM WAV (what espeak-ng writes) as float32 mono in [-1, 1], and its rate in Hz."""
    try:
        with wave.open(str(path), "rb") as f:
            rate, channels, width = f.getframerate(), f.getnchannels(), f.getsampwidth()
            pcm = np.frombuffer(f.readframes(f.getnframes()), "<i2") if width == 2 else None
    except (wave.Error, EOFError, OSError) as err:
        raise BackendError(f"speech synthesis left no readable WAV ({err})", _INSTALL) from err
    if pcm is None:
        raise BackendError(f"speech synthesis wrote {8 * width}-bit audio, not 16-bit", _INSTALL)
    frames = pcm[: pcm.size // channels * channels].reshape(-1, channels)
    return frames.mean(axis=1, dtype=np.float32) / np.float32(32768), rate


def write_pcm16(path: Path, samples: Audio, rate: int) -> None:
    """float32 mono samples in [-1, 1] (clipped) as a 16-bit PCM WAV."""
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(np.round(np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
