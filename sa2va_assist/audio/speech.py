"""Speech out: text -> espeak-ng samples (:func:`synthesize`) -> a :class:`Speaker`.

Routes to samples, measured on the dev machine (espeak-ng 1.51, pyttsx3 2.99, short sentences):
- the ``espeak-ng`` program (``-w`` a WAV, text on stdin), the default: ~14 ms median. A process per
  call, so thread-safe; every rate to 500 wpm honoured; an unknown voice is an error.
- pyttsx3 over libespeak-ng, the fallback where the program is missing: ~11 ms (~32 ms when voice or
  rate change). Its driver is once per process and not re-entrant; ``runAndWait()`` returns ~10 ms after
  synthesis *starts* (a long text is not on disk yet); a rate set between utterances is lost (its
  stop() cancels it); an unknown voice is ignored; it prints "Audio saved to ..." on stdout. Hence one
  engine behind a lock, properties set on the driver then ``espeak_Synchronize()``, the file read after
  ``finished-utterance``, and that print dropped.

Speakers: :class:`AudioSpeaker` (sound card, silent within one 20 ms block of ``stop()``),
:class:`FileSpeaker` (numbered WAVs), :class:`PrintSpeaker` (a line per sentence for screen readers and
braille); :func:`open_speaker` picks one by name and falls back, saying why on stderr.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO

import numpy as np
import numpy.typing as npt

from ..errors import BackendError, ConfigError, DependencyError
from .earcons import SPOKEN, earcon
from .wav import resample

Audio = npt.NDArray[np.float32]
MIN_WPM, MAX_WPM = 80, 500  # espeak-ng's floor; 500 wpm is the top of what expert listeners use
BLOCK_S = 0.02  # seconds of audio per sink write: stop() is heard within one block plus device latency
STOP_WAIT_S = 0.1  # stop() waits at most this long for the player to go silent
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


class Speaker(Protocol):
    """Speech out. ``say`` queues one sentence and returns at once; ``stop`` is for barge-in."""

    def say(self, text: str) -> None: ...
    def play_earcon(self, name: str) -> None: ...
    def stop(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...
    @property
    def speaking(self) -> bool: ...
    def close(self) -> None: ...


class Sink(Protocol):
    """Where AudioSpeaker's player thread sends audio (every call from that one thread)."""

    def start(self, rate: int) -> int: ...  # ready for `rate` Hz; returns the rate it plays (we resample)
    def write(self, block: Audio) -> None: ...  # one ~BLOCK_S block; blocks while the device is full
    def flush(self) -> None: ...  # returns once everything written has been heard
    def abort(self) -> None: ...  # drop what is buffered: silence now
    def close(self) -> None: ...


class SoundDeviceSink:
    """The sound card through sounddevice (PortAudio): blocking writes to a low-latency stream."""

    def __init__(self, device: int | str | None = None) -> None:
        try:
            import sounddevice as sd
        except (ImportError, OSError) as err:  # OSError: the PortAudio library is missing
            raise DependencyError(f"no PortAudio ({err})", "sudo apt-get install libportaudio2") from err
        try:
            info = sd.query_devices(device, kind="output")
        except (ValueError, sd.PortAudioError) as err:
            which = "PortAudio finds none" if device is None else f"{device!r}: {err}"
            fix = "connect speakers or headphones, or use the file or print speaker"
            raise DependencyError(f"no audio output device ({which})", fix) from err
        self._sd, self.device, self.name = sd, device, str(info["name"])
        self._default_rate, self._asked = int(info["default_samplerate"]), 0
        self._stream: Any = None

    def start(self, rate: int) -> int:
        if self._stream is None or rate != self._asked:
            self.close()
            self._asked = rate
            for hz in (rate, self._default_rate):  # a device that refuses the rate plays its own
                with contextlib.suppress(self._sd.PortAudioError):
                    self._stream = self._sd.OutputStream(
                        hz, device=self.device, channels=1, dtype="float32", latency="low"
                    )
                    break
        if self._stream is None:
            raise BackendError(f"audio device {self.name!r} refused {rate} Hz", "pick another device")
        return int(self._stream.samplerate)

    def write(self, block: Audio) -> None:
        if not self._stream.active:
            self._stream.start()
        self._stream.write(block.reshape(-1, 1))

    def flush(self) -> None:
        if self._stream is not None and self._stream.active:
            self._stream.stop()  # PortAudio plays out what is buffered first

    def abort(self) -> None:
        if self._stream is not None and self._stream.active:
            self._stream.abort()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._stream = None


class AudioSpeaker:
    """Speaks through a sink (default: the sound card). One thread synthesizes sentence k+1 while the
    other plays sentence k in BLOCK_S blocks, looking for a stop() before each block.

    The constructor checks the device and synthesizes once, so a missing sound card, espeak-ng or voice
    raises here (DependencyError, ConfigError), not in a thread. Later failures skip that sentence and
    are kept in ``last_error``."""

    def __init__(
        self,
        voice: Voice = Voice(),
        device: int | str | None = None,
        *,
        sink: Sink | None = None,
        synth: Synth = synthesize,
        spoken_earcons: bool = False,
    ) -> None:
        self.voice, self.spoken_earcons, self._synth = voice, spoken_earcons, synth
        self._sink: Sink = sink if sink is not None else SoundDeviceSink(device)
        synth("a", voice)
        self.last_error: Exception | None = None
        self._texts: queue.Queue[tuple[int, str | tuple[Audio, int]] | None] = queue.Queue()
        self._audio: queue.Queue[tuple[int, Audio, int] | None] = queue.Queue(maxsize=2)
        self._cond = threading.Condition()
        self._gen = 0  # bumped by stop(): anything tagged with an older one is dropped
        self._pending = 0  # items of this generation not yet heard
        self._playing = self._closed = False
        self._threads = [
            threading.Thread(target=f, name="sa2va-speech", daemon=True)
            for f in (self._synth_loop, self._play_loop)
        ]
        for thread in self._threads:
            thread.start()

    def say(self, text: str) -> None:
        if text.strip():
            self._enqueue(text)

    def set_rate(self, wpm: int) -> None:
        """Speak later sentences at ``wpm`` words per minute (the agent's "slower" / "faster")."""
        self.voice = replace(self.voice, rate_wpm=wpm)

    def play_earcon(self, name: str) -> None:
        self._enqueue(earcon(name))
        if self.spoken_earcons:
            self._enqueue(SPOKEN[name])

    def stop(self) -> None:
        """Drop everything queued; returns once the sink is aborted (after STOP_WAIT_S at most)."""
        with self._cond:
            self._gen, self._pending = self._gen + 1, 0
            for q in (self._texts, self._audio):
                with contextlib.suppress(queue.Empty):
                    while not self._closed:
                        q.get_nowait()
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._playing, STOP_WAIT_S)

    def wait(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    @property
    def speaking(self) -> bool:
        return self._pending > 0

    def close(self) -> None:
        self.stop()
        with self._cond:
            closed, self._closed = self._closed, True
        if not closed:
            self._texts.put(None)
            for thread in self._threads:
                thread.join(timeout=1.0)
            self._sink.close()

    def _enqueue(self, item: str | tuple[Audio, int]) -> None:
        with self._cond:
            if self._closed:
                raise BackendError("this speaker is closed", "open another with open_speaker()")
            self._pending += 1
            self._texts.put((self._gen, item))

    def _finish(self, gen: int, player: bool) -> None:
        with self._cond:
            if player:
                self._playing = False
            if gen == self._gen:
                self._pending -= 1
            self._cond.notify_all()

    def _synth_loop(self) -> None:
        while (item := self._texts.get()) is not None:
            gen, what = item
            if gen != self._gen:
                continue
            try:
                samples, rate = what if isinstance(what, tuple) else self._synth(what, self.voice)
            except Exception as err:  # one bad sentence must not silence the rest
                self.last_error, samples, rate = err, _NOTHING, 0
            if samples.size:
                self._audio.put((gen, samples, rate))
            else:
                self._finish(gen, player=False)
        self._audio.put(None)

    def _play_loop(self) -> None:
        while (item := self._audio.get()) is not None:
            gen, samples, rate = item
            with self._cond:
                if gen != self._gen:
                    continue
                self._playing = True
            try:
                played = self._sink.start(rate)
                samples, step = resample(samples, rate, played), max(1, round(played * BLOCK_S))
                for start in range(0, samples.size, step):
                    if gen != self._gen:
                        self._sink.abort()
                        break
                    self._sink.write(samples[start : start + step])
                else:
                    if self._pending <= 1:  # nothing more queued: heard before wait() returns
                        self._sink.flush()
            except Exception as err:  # a device error: skip this sentence, keep the speaker alive
                self.last_error = err
                with contextlib.suppress(Exception):
                    self._sink.abort()
            self._finish(gen, player=True)


class _Immediate:
    """A speaker that is done when ``say`` returns: nothing to stop or wait for."""

    def stop(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> bool:
        return True

    @property
    def speaking(self) -> bool:
        return False

    def close(self) -> None:
        pass


class FileSpeaker(_Immediate):
    """Each ``say`` (one sentence) and earcon as a numbered 16-bit WAV in ``out_dir`` (``001-speech.wav``,
    ``002-earcon-done.wav``, replacing files of those names), paths in ``files``: for machines without a
    sound card, batch narration and tests. ``say`` returns once its file is written (~15 ms)."""

    def __init__(
        self,
        out_dir: str | Path,
        voice: Voice = Voice(),
        *,
        synth: Synth = synthesize,
        spoken_earcons: bool = False,
    ) -> None:
        self.out_dir, self.voice, self.spoken_earcons, self._synth = (
            Path(out_dir),
            voice,
            spoken_earcons,
            synth,
        )
        synth("a", voice)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.files: list[Path] = []

    def say(self, text: str) -> None:
        samples, rate = self._synth(text, self.voice)
        if samples.size:
            self._write(samples, rate, "speech")

    def set_rate(self, wpm: int) -> None:
        self.voice = replace(self.voice, rate_wpm=wpm)

    def play_earcon(self, name: str) -> None:
        self._write(*earcon(name), f"earcon-{name}")
        if self.spoken_earcons:
            self.say(SPOKEN[name])

    def _write(self, samples: Audio, rate: int, label: str) -> None:
        self.files.append(self.out_dir / f"{len(self.files) + 1:03d}-{label}.wav")
        write_pcm16(self.files[-1], samples, rate)


class PrintSpeaker(_Immediate):
    """One flushed line per sentence on ``stream`` (default: sys.stdout when made), for a screen reader
    or braille display. Earcons print their spoken equivalent, ``[Done]``, only with ``spoken_earcons``."""

    def __init__(self, stream: TextIO | None = None, *, spoken_earcons: bool = False) -> None:
        self.stream, self.spoken_earcons = stream or sys.stdout, spoken_earcons

    def say(self, text: str) -> None:
        if line := " ".join(text.split()):
            print(line, file=self.stream, flush=True)

    def play_earcon(self, name: str) -> None:
        earcon(name)  # an unknown name is an error here too
        if self.spoken_earcons:
            self.say(f"[{SPOKEN[name]}]")


def open_speaker(
    kind: str = "auto",
    voice: Voice = Voice(),
    out_dir: str | Path | None = None,
    *,
    device: int | str | None = None,
    spoken_earcons: bool = False,
) -> Speaker:
    """A speaker by name: "audio", "file" (needs ``out_dir``), "print", or "auto": audio if an output
    device exists, else files in ``out_dir`` if given, else print, with one line on stderr saying why."""
    if kind not in ("auto", "audio", "file", "print"):
        raise ConfigError(f"unknown speaker {kind!r}", "use one of: auto, audio, file, print")
    if kind == "file" and out_dir is None:
        raise ConfigError("the file speaker needs a folder to write to", "pass out_dir")
    if kind in ("auto", "audio"):
        try:
            return AudioSpeaker(voice, device, spoken_earcons=spoken_earcons)
        except DependencyError as err:
            if kind == "audio":
                raise
            where = f"writing speech as WAV files to {out_dir}" if out_dir else "printing speech as text"
            print(f"speech: {err.message}; {where} instead", file=sys.stderr, flush=True)
    if out_dir is not None and kind != "print":
        return FileSpeaker(out_dir, voice, spoken_earcons=spoken_earcons)
    return PrintSpeaker(spoken_earcons=spoken_earcons)
