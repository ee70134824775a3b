"""Sound in: sources that yield 16 kHz mono float32 blocks of :data:`BLOCK` samples.

Two sources behind one small interface (:class:`AudioSource`): :class:`MicrophoneSource` (sounddevice
over PortAudio) and :class:`WavSource` (recordings played as if spoken into a microphone: tests, demos,
machines without one). :func:`open_audio_source` picks one by name. A block is what Silero VAD takes at
16 kHz (``vad``); utterances cut from blocks are what Whisper takes (``stt``).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from math import ceil, gcd
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError, DependencyError, InputError
from .resampling import lowpass_taps, resample_poly
from .tts import Audio
from .wav import SAMPLE_RATE, _decode, resample

log = logging.getLogger(__name__)

RATE = SAMPLE_RATE  # Hz: what Silero VAD and Whisper take
BLOCK = 512  # samples per block: 32 ms at 16 kHz, the window Silero VAD takes at that rate
BLOCK_S = BLOCK / RATE  # 0.032 s
GAP_S = 1.0  # seconds of silence after each file: longer than the endpointer's 0.5 s end-of-speech wait
STALL_S = 2.0  # seconds with no sound before a microphone counts as stopped (it sends every ~32 ms)
QUEUE_S = 30.0  # seconds of capture held for a consumer that falls behind; older audio is dropped first
CLOSE_WAIT_S = 1.0  # close() waits this long for PortAudio; a wedged driver cannot hang it
_NO_MIC = "plug in a microphone (arecord -l lists them), or pass --audio-in FILE.wav to use recordings"
_PORTAUDIO = "sudo apt-get install libportaudio2, or pass --audio-in FILE.wav to use recordings"
_STOPPED = "check the microphone's cable or USB connection (arecord -l lists microphones), then listen again"


class AudioSource(Protocol):
    """Sound in, as (BLOCK,) float32 blocks at 16 kHz in [-1, 1]."""

    name: str  # what the user would call it: a device name or file names
    live: bool  # True for a microphone: blocks arrive in real time and never run out

    def blocks(self) -> Iterator[Audio]:
        """Blocks until the source ends; a microphone ends only at close()."""
        ...

    def close(self) -> None: ...


class WavSource:
    """Recordings played as if spoken into a microphone: each WAV/FLAC file resampled to 16 kHz mono and
    followed by ``gap_s`` of silence (so each question's end can be heard), all concatenated; the last
    block is padded with zeros. ``noise_db``: white noise of that RMS level in dBFS (e.g. -35) over all
    of it, gaps included, from a fixed seed so runs repeat. ``realtime``: block k is yielded no sooner
    than (k + 1) * 32 ms after the first call, as a microphone delivers it; else as fast as consumed.
    Files are read here: a missing, empty or corrupt one is left out and named in ``skipped`` (one
    line each, also logged), so the good ones are still heard; InputError when none can be read."""

    live = False

    def __init__(
        self,
        paths: Sequence[str | Path],
        gap_s: float = GAP_S,
        realtime: bool = False,
        noise_db: float | None = None,
    ) -> None:
        if not paths:
            raise InputError("no audio files to listen to", "pass one or more WAV or FLAC files")
        gap = np.zeros(round(gap_s * RATE), np.float32)
        parts: list[Audio] = []
        self.skipped: list[str] = []  # one line per file that could not be heard
        for path in paths:
            try:
                parts += [_recording(Path(path)), gap]
            except InputError as err:
                if len(paths) == 1:
                    raise
                self.skipped.append(err.one_line())
                log.warning("%s (skipped; the other files are heard)", err.one_line().rstrip("."))
        if not parts:
            raise InputError(
                f"none of the {len(paths)} audio files can be read ({self.skipped[0]})",
                "Give WAV or FLAC files with speech in them.",
            )
        audio = np.concatenate(parts)
        audio = np.pad(audio, (0, -audio.size % BLOCK))
        if noise_db is not None:
            noise = np.random.default_rng(0).standard_normal(audio.size, np.float32)
            audio = np.clip(audio + noise * np.float32(10 ** (noise_db / 20)), -1, 1)
        self.audio: Audio = audio.astype(np.float32)  # everything blocks() yields, in order
        self.name = ", ".join(Path(path).name for path in paths)
        self.realtime = realtime
        self._closed = threading.Event()

    @property
    def duration_s(self) -> float:
        """Seconds of audio, gaps and padding included."""
        return self.audio.size / RATE

    def blocks(self) -> Iterator[Audio]:
        began = time.monotonic()
        for k in range(self.audio.size // BLOCK):
            if self.realtime:
                self._closed.wait(began + (k + 1) * BLOCK_S - time.monotonic())
            if self._closed.is_set():
                return
            yield self.audio[k * BLOCK : (k + 1) * BLOCK].copy()

    def close(self) -> None:
        self._closed.set()


def _recording(path: Path) -> Audio:
    """A file as 16 kHz mono float32. Not ``read_audio``: a silent file is a fine recording here."""
    if not path.is_file():
        raise InputError(f"no audio file at {path}", "check the path")
    samples, rate = _decode(path)  # InputError for an empty or corrupt file
    mono = samples.mean(axis=1, dtype=np.float32) if samples.ndim == 2 else samples.astype(np.float32)
    return resample(mono, rate, RATE)


class StreamResampler:
    """``resampling.resample_poly`` fed in pieces: the concatenated output equals resampling the whole
    signal at once (to float32 rounding) but ends ~``lookahead`` input samples behind the input, the
    filter's reach into the future. Rates such as 44.1 kHz and 48 kHz to 16 kHz."""

    def __init__(self, rate: int, target: int = RATE) -> None:
        g = gcd(rate, target)
        self.up, self.down = target // g, rate // g
        reach = 10 * max(self.up, self.down)  # resample_poly's filter half-length, upsampled samples
        self.taps = lowpass_taps(self.up, self.down)
        self.lookahead = ceil((reach / self.up + 1) / self.down) * self.down  # input samples; k * down
        self._held = np.zeros(self.lookahead, np.float32)  # zeros before the start, as resample_poly pads

    def __call__(self, samples: Audio) -> Audio:
        """Output for as much of ``samples`` (and what was held back) as the filter can finish."""
        self._held = np.concatenate([self._held, samples.astype(np.float32)])
        ready = (self._held.size - 2 * self.lookahead) // self.down * self.down
        if ready <= 0:
            return np.zeros(0, np.float32)
        out = resample_poly(self._held[: ready + 2 * self.lookahead], self.up, self.down, self.taps)
        skip = self.lookahead * self.up // self.down
        self._held = self._held[ready:]
        return out[skip : skip + ready * self.up // self.down].astype(np.float32)


class MicrophoneSource:
    """A microphone through sounddevice (PortAudio): 16-bit mono at 16 kHz, or at ``capture_rate`` / the
    device's own rate when it refuses 16 kHz, resampled. Capture starts here; the PortAudio callback
    only queues samples, and a consumer QUEUE_S behind loses the oldest (``dropped_s``).

    No PortAudio raises DependencyError and no input device InputError, both from the constructor. A
    device that stops mid-stream (unplugged: PortAudio ends the stream; wedged: nothing for ``stall_s``)
    makes ``blocks()`` raise InputError("the microphone stopped: ..."): it never hangs."""

    live = True

    def __init__(
        self,
        device: int | str | None = None,
        *,
        capture_rate: int | None = None,
        stall_s: float = STALL_S,
        queue_s: float = QUEUE_S,
    ) -> None:
        try:
            import sounddevice as sd
        except (ImportError, OSError) as err:  # OSError: the PortAudio library is missing
            raise DependencyError(f"the microphone needs PortAudio ({err})", _PORTAUDIO) from err
        try:
            info = sd.query_devices(device, kind="input")
        except (ValueError, sd.PortAudioError) as err:
            which = "PortAudio finds none" if device is None else f"{device!r}: {err}"
            raise InputError(f"no microphone ({which})", _NO_MIC) from err
        self.name, self.device, self.stall_s = str(info["name"]), device, stall_s
        self.dropped_s = 0.0  # seconds of audio dropped because the consumer fell QUEUE_S behind
        self._queue: queue.Queue[Audio | None] = queue.Queue(maxsize=max(1, ceil(queue_s / BLOCK_S)))
        self._closed, refused = False, None
        self._stream: Any = None
        opts = dict(device=device, channels=1, dtype="int16", latency="low", finished_callback=self._ended)
        for hz in [capture_rate] if capture_rate else [RATE, int(info["default_samplerate"])]:
            try:  # a block per callback; int16: microphones deliver 16 bits (so does ALSA's file device)
                self._stream = sd.InputStream(hz, round(BLOCK * hz / RATE), callback=self._captured, **opts)
                break
            except (ValueError, sd.PortAudioError) as err:  # this rate refused: try the device's own
                refused = err
        if self._stream is None:
            raise InputError(f"microphone {self.name!r} cannot record ({refused})", _NO_MIC)
        self.capture_rate = int(self._stream.samplerate)  # Hz the device records at
        self._resample = StreamResampler(self.capture_rate) if self.capture_rate != RATE else None
        try:
            self._stream.start()
        except sd.PortAudioError as err:
            self._stream.close()
            raise InputError(f"microphone {self.name!r} would not start ({err})", _NO_MIC) from err

    def blocks(self) -> Iterator[Audio]:
        pending = np.zeros(0, np.float32)
        while True:
            try:
                chunk = self._queue.get(timeout=self.stall_s)
            except queue.Empty:
                chunk, why = None, f"no sound from {self.name!r} for {self.stall_s:g} s"
            else:
                why = "PortAudio ended the stream (unplugged?)"
            if self._closed:
                return
            if chunk is None:
                raise InputError(f"the microphone stopped: {why}", _STOPPED)
            pending = np.concatenate([pending, self._resample(chunk) if self._resample else chunk])
            while pending.size >= BLOCK:
                yield pending[:BLOCK]
                pending = pending[BLOCK:]

    def close(self) -> None:
        """Stop capturing; ``blocks()`` ends. Returns within CLOSE_WAIT_S even if the driver hangs."""
        if self._closed:
            return
        self._closed = True
        self._offer(None)
        closer = threading.Thread(target=_abort, args=(self._stream,), name="sa2va-mic-close", daemon=True)
        closer.start()
        closer.join(CLOSE_WAIT_S)

    def _captured(self, indata: npt.NDArray[Any], frames: int, when: Any, status: Any) -> None:
        """PortAudio's thread: int16 (frames, 1) -> float32 in [-1, 1], queued."""
        self._offer(indata[:, 0].astype(np.float32) / np.float32(32768))

    def _ended(self) -> None:
        self._offer(None)  # blocks() tells close() (returns) from a device that quit (raises)

    def _offer(self, item: Audio | None) -> None:
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:  # the consumer is QUEUE_S behind: what is said now matters more
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()
                    self.dropped_s += BLOCK_S


def _abort(stream: Any) -> None:
    with contextlib.suppress(Exception):
        stream.abort()
        stream.close()


def open_audio_source(
    spec: str | None = None,
    paths: Sequence[str | Path] | None = None,
    *,
    gap_s: float = GAP_S,
    realtime: bool = False,
    noise_db: float | None = None,
    stall_s: float = STALL_S,
) -> AudioSource:
    """The source asked for. ``spec``: None or "mic" (the default microphone), "mic:NAME" or "mic:3" (a
    microphone by name or PortAudio index), or an audio file; ``paths``: more files, heard after it.
    With no ``spec`` and some ``paths``, the files. ``gap_s``, ``realtime`` and ``noise_db`` are
    WavSource's; ``stall_s`` is MicrophoneSource's."""
    files = [*([] if spec is None else [spec]), *(paths or [])]
    if spec is not None and (spec == "mic" or spec.startswith("mic:")):
        if paths:
            raise ConfigError(
                "listen to a microphone or to audio files, not both", "drop the files or the mic"
            )
        name = spec.partition(":")[2] or None
        device: int | str | None = int(name) if name and name.isdigit() else name
        return MicrophoneSource(device, stall_s=stall_s)
    if not files:
        return MicrophoneSource(stall_s=stall_s)
    return WavSource(files, gap_s=gap_s, realtime=realtime, noise_db=noise_db)
