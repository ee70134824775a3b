"""Long recordings transcribed in bounded memory: the file is decoded and resampled a second at a time,
voice activity detection (Silero, as in the voice loop) cuts it into stretches of speech of at most
``WINDOW_S``, and only those are transcribed. Memory stays that of one window whatever the length;
silence and noise cost a VAD pass, not a Whisper run, and are never turned into invented words.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from .mic import BLOCK, StreamResampler
from .stt import SpeechToText
from .tts import Audio
from .vad import Endpointer, Vad, load_vad, utterances

WINDOW_S = 28.0  # longest stretch given to Whisper at once (its window is 30 s)
QUIET_S = 0.8  # a pause this long ends a stretch of speech
LONG_S = 30.0  # ``transcribe`` takes files longer than one Whisper window through here
_FIX = "Give a WAV, FLAC or OGG file with speech in it."


@dataclass(frozen=True)
class Segment:
    """One stretch of speech and what was said in it; times in seconds from the start of the file."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class LongTranscript:
    text: str  # every segment's words, in order, joined by spaces; "" when nobody spoke
    language: str | None
    duration_s: float  # length of the file, seconds
    seconds: float  # wall-clock processing time, seconds
    segments: list[Segment] = field(default_factory=list)


def duration_of(path: str | Path) -> float:
    """Seconds of audio in the file, from its header (nothing decoded); InputError when unreadable."""
    import soundfile

    try:
        info = soundfile.info(str(path))
    except (RuntimeError, TypeError, ValueError) as err:
        raise InputError(f"cannot read {path} as audio ({str(err).splitlines()[0]})", _FIX) from err
    return float(info.frames) / float(info.samplerate or 1)


class FileStream:
    """An audio file as the voice loop's sources give audio: (BLOCK,) float32 blocks at 16 kHz mono,
    decoded and resampled a second at a time."""

    live = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.duration_s = duration_of(self.path)

    def blocks(self) -> Iterator[Audio]:
        import soundfile

        try:
            with soundfile.SoundFile(str(self.path)) as f:
                resampler = StreamResampler(int(f.samplerate))
                held = np.zeros(0, np.float32)
                for chunk in f.blocks(blocksize=int(f.samplerate), dtype="float32", always_2d=True):
                    held = np.concatenate([held, resampler(chunk.mean(axis=1, dtype=np.float32))])
                    whole = held.size // BLOCK * BLOCK
                    yield from held[:whole].reshape(-1, BLOCK)
                    held = held[whole:]
                if held.size:
                    yield np.pad(held, (0, BLOCK - held.size))
        except (RuntimeError, TypeError, ValueError) as err:  # a file damaged part-way through
            raise InputError(
                f"cannot read {self.path} to its end ({str(err).splitlines()[0]})", _FIX
            ) from err

    def close(self) -> None:
        pass


def transcribe_file(
    stt: SpeechToText,
    path: str | Path,
    vad: Vad | None = None,
    progress: Callable[[float], object] | None = None,
) -> LongTranscript:
    """The words spoken in a recording of any length; ``progress`` gets the seconds of audio done
    after each stretch of speech."""
    start = time.perf_counter()
    stream = FileStream(path)
    endpointer = Endpointer(vad or load_vad(), silence_s=QUIET_S, max_utterance_s=WINDOW_S)
    segments: list[Segment] = []
    language = None
    for heard in utterances(stream, endpointer):
        said = stt.transcribe(heard.audio)
        language = language or said.language
        if said.text:
            segments.append(Segment(round(heard.start_s, 2), round(heard.end_s, 2), said.text))
        if progress:
            progress(heard.detected_s)
    if progress:
        progress(stream.duration_s)
    text = " ".join(s.text for s in segments)
    return LongTranscript(text, language, stream.duration_s, time.perf_counter() - start, segments)
