"""Earcons: short tones for the assistant's states, generated with numpy (no sound files to ship).

Each is 80-200 ms, peaks at half full scale and fades in and out over a raised cosine, so it never
clicks and never covers speech. Pitch and shape tell them apart: a rising chirp for listening, a soft
pulsing low-middle tone for thinking, a bright short ding for done, a low falling buzz for an error.
Each has a spoken equivalent for users who turn them on (ACCESSIBILITY.md).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError

RATE = 22_050  # Hz: the rate espeak-ng speaks at, so a speaker never reopens its stream between the two
PEAK = 0.5  # full scale = 1.0; about -6 dBFS, gentle next to speech
FADE_S = 0.015  # seconds of raised-cosine fade at each end

SPOKEN = {
    "listening": "Listening",
    "thinking": "Thinking",
    "done": "Done",
    "error": "Sorry, something went wrong",
}


def earcon(name: str) -> tuple[npt.NDArray[np.float32], int]:
    """The tone for ``name`` (a key of :data:`SPOKEN`): float32 mono samples in [-0.5, 0.5] and RATE."""
    if name not in SPOKEN:
        raise ConfigError(f"unknown earcon {name!r}", f"use one of: {', '.join(SPOKEN)}")
    if name == "listening":  # 120 ms rising chirp, 600 -> 900 Hz
        tone = _sweep(0.12, 600.0, 900.0)
    elif name == "thinking":  # 200 ms soft 440 Hz, pulsing twice
        tone = _sweep(0.20, 440.0, 440.0)
        tone *= 0.6 + 0.4 * np.cos(2 * np.pi * 10.0 * _times(0.20)) ** 2
    elif name == "done":  # 100 ms 1320 Hz ding with its octave, decaying
        tone = _sweep(0.10, 1320.0, 1320.0) + 0.3 * _sweep(0.10, 2640.0, 2640.0)
        tone *= np.exp(-_times(0.10) / 0.04)
    else:  # error: 180 ms low buzz falling 260 -> 200 Hz, odd harmonics make it rough
        tone = _sweep(0.18, 260.0, 200.0) + 0.3 * _sweep(0.18, 780.0, 600.0)
    return _shape(tone), RATE


def _times(seconds: float) -> npt.NDArray[np.float64]:
    return np.arange(round(seconds * RATE)) / RATE


def _sweep(seconds: float, start_hz: float, end_hz: float) -> npt.NDArray[np.float64]:
    """A sine gliding linearly from ``start_hz`` to ``end_hz`` (phase is the integral of frequency)."""
    t = _times(seconds)
    hz = start_hz + (end_hz - start_hz) * t / seconds
    tone: npt.NDArray[np.float64] = np.sin(2 * np.pi * np.cumsum(hz) / RATE)
    return tone


def _shape(tone: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """Scale to PEAK and fade both ends to exactly 0 over FADE_S."""
    n = round(FADE_S * RATE)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)  # 0 -> 1
    tone = tone / np.abs(tone).max() * PEAK
    tone[:n] *= ramp
    tone[-n:] *= ramp[::-1]
    return tone.astype(np.float32)
