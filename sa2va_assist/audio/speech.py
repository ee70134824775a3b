"""Speakers: where speech goes. A :class:`Speaker` queues sentences, says them and stops at once.

:class:`AudioSpeaker` (sound card through a :class:`Sink`, :class:`SoundDeviceSink` by default; silent
within one 20 ms block of ``stop()``), :class:`FileSpeaker` (numbered WAVs), :class:`PrintSpeaker` (a
line per sentence for screen readers and braille); :func:`open_speaker` picks one by name and falls
back, saying why on stderr. Text becomes samples in ``tts``; :class:`Voice` and :func:`synthesize` are
re-exported from there, so ``from sa2va_assist.audio.speech import Voice, open_speaker`` works.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np

from ..errors import BackendError, ConfigError, DependencyError
from .earcons import SPOKEN, earcon
from .tts import Audio, Synth, Voice, synthesize, write_pcm16
from .wav import resample

BLOCK_S = 0.02  # seconds of audio per sink write: stop() is heard within one block plus device latency
STOP_WAIT_S = 0.1  # stop() waits at most this long for the player to go silent
_NOTHING = np.zeros(0, np.float32)
_DEFAULT_VOICE = Voice()  # frozen, so one shared default is safe (ruff B008 cannot see that across modules)


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
        voice: Voice = _DEFAULT_VOICE,
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
        # Called from the player thread as an item's first block goes to the sink ("speech" or
        # "earcon"): the voice loop's "first audio out" time.
        self.on_audio: Callable[[str], None] | None = None
        self._texts: queue.Queue[tuple[int, str | tuple[Audio, int]] | None] = queue.Queue()
        self._audio: queue.Queue[tuple[int, Audio, int, str] | None] = queue.Queue(maxsize=2)
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
                self._audio.put((gen, samples, rate, "earcon" if isinstance(what, tuple) else "speech"))
            else:
                self._finish(gen, player=False)
        self._audio.put(None)

    def _play_loop(self) -> None:
        while (item := self._audio.get()) is not None:
            gen, samples, rate, kind = item
            with self._cond:
                if gen != self._gen:
                    continue
                self._playing = True
            try:
                played = self._sink.start(rate)
                samples, step = resample(samples, rate, played), max(1, round(played * BLOCK_S))
                if self.on_audio is not None:
                    self.on_audio(kind)
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
    """A speaker that is done when ``say`` returns: nothing to stop or wait for. ``on_audio`` is
    called as each sentence or earcon is out (written or printed)."""

    on_audio: Callable[[str], None] | None = None

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
        voice: Voice = _DEFAULT_VOICE,
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
        if self.on_audio is not None:
            self.on_audio("earcon" if label.startswith("earcon") else "speech")


class PrintSpeaker(_Immediate):
    """One flushed line per sentence on ``stream`` (default: sys.stdout when made), for a screen reader
    or braille display. Earcons print their spoken equivalent, ``[Done]``, only with ``spoken_earcons``."""

    def __init__(self, stream: TextIO | None = None, *, spoken_earcons: bool = False) -> None:
        self.stream, self.spoken_earcons = stream or sys.stdout, spoken_earcons

    def say(self, text: str) -> None:
        if line := " ".join(text.split()):
            print(line, file=self.stream, flush=True)
            if self.on_audio is not None:
                self.on_audio("speech")

    def play_earcon(self, name: str) -> None:
        earcon(name)  # an unknown name is an error here too
        if self.spoken_earcons:
            self.say(f"[{SPOKEN[name]}]")


def open_speaker(
    kind: str = "auto",
    voice: Voice = _DEFAULT_VOICE,
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
