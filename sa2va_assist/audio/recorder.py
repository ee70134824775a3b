"""Answers as WAV files: the voice loop's ``--audio-out DIR`` (batch use, tests, machines without a
sound card). Each sentence is synthesized the moment the agent produces it (that is when its audio
"comes out"), and every answer is saved as one file, ``answer-001.wav``, ``answer-002.wav``, ..."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import OutputError
from .tts import Audio, Synth, Voice, synthesize, write_pcm16

PAUSE_S = 0.3  # silence between sentences in an answer file


class AnswerRecorder:
    """A speaker (``speech.Speaker``) that records each answer into one WAV in ``out_dir``."""

    def __init__(self, out_dir: str | Path, voice: Voice | None = None, *, synth: Synth = synthesize) -> None:
        self.out_dir, self.voice, self._synth = Path(out_dir), voice or Voice(), synth
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise OutputError(
                f"--audio-out {self.out_dir} is a file, not a folder", "Choose a folder for the answers."
            )
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(
                f"cannot make the answers folder {self.out_dir}: {err.strerror or err}",
                "Choose a folder you can write to.",
            ) from err
        self.on_audio: Callable[[str], None] | None = None
        self._parts: list[Audio] = []
        self._rate = 0
        self.files: list[Path] = []

    def say(self, text: str) -> None:
        samples, rate = self._synth(text, self.voice)
        if not samples.size:
            return
        if not self._parts:
            self._rate = rate  # an answer's file takes its first sentence's rate
        else:
            if rate != self._rate:
                from .wav import resample

                samples = resample(samples, rate, self._rate)
            self._parts.append(np.zeros(int(PAUSE_S * self._rate), np.float32))
        self._parts.append(samples.astype(np.float32))
        if self.on_audio is not None:
            self.on_audio("speech")

    def play_earcon(self, name: str) -> None:
        """Earcons are not part of a recorded answer."""

    def set_rate(self, wpm: int) -> None:
        self.voice = replace(self.voice, rate_wpm=wpm)

    def stop(self) -> None:
        self._parts = []

    def wait(self, timeout: float | None = None) -> bool:
        return True

    @property
    def speaking(self) -> bool:
        return False

    def finish(self, n: int) -> str | None:
        """Write what was said since the last call as ``answer-NNN.wav``; its path, None if silent."""
        if not self._parts:
            return None
        path = self.out_dir / f"answer-{n:03d}.wav"
        write_pcm16(path, np.concatenate(self._parts), self._rate)
        self._parts = []
        self.files.append(path)
        return str(path)

    def close(self) -> None:
        self._parts = []
