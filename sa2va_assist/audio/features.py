"""Whisper's log-mel front end in numpy: what ``whisper.audio.log_mel_spectrogram`` computes, no torch.

Whisper reads 80 (128 for large-v3) mel bands of a 25 ms Hann-windowed STFT every 10 ms of 16 kHz audio,
log10-compressed, floored 8 decades below the clip's loudest band and scaled to roughly [-1, 1]. The mel
filters are librosa's Slaney-style filters (``librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)``),
which openai-whisper ships precomputed; here they are computed, and a test checks them against
openai-whisper's file where it is installed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from .decoding import MEL_HOP, SAMPLE_RATE

N_FFT = 400  # samples per STFT window: 25 ms
HOP = MEL_HOP  # samples between frames: 10 ms
FLOOR_DECADES = 8.0  # log10 values below the clip's maximum minus this are raised to it


def _hz_to_mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Slaney's mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above."""
    f_sp, min_log_hz = 200.0 / 3.0, 1000.0
    min_log_mel, log_step = min_log_hz / f_sp, np.log(6.4) / 27.0
    hz = np.asarray(hz, dtype=np.float64)
    safe = np.maximum(hz, min_log_hz)  # avoids log of 0; those values take the linear branch
    return np.where(hz >= min_log_hz, min_log_mel + np.log(safe / min_log_hz) / log_step, hz / f_sp)


def _mel_to_hz(mel: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    f_sp, min_log_hz = 200.0 / 3.0, 1000.0
    min_log_mel, log_step = min_log_hz / f_sp, np.log(6.4) / 27.0
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(log_step * (mel - min_log_mel)), f_sp * mel)


@lru_cache(maxsize=4)
def mel_filters(
    n_mels: int = 80, sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT
) -> npt.NDArray[np.float32]:
    """(n_mels, n_fft // 2 + 1) float32 triangular filters, Slaney-normalised (equal area)."""
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    top = float(_hz_to_mel(np.array(sample_rate / 2)))
    edges = _mel_to_hz(np.linspace(0.0, top, n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return np.asarray(weights, dtype=np.float32)


@lru_cache(maxsize=1)
def _window() -> npt.NDArray[np.float32]:
    # periodic Hann window, as torch.hann_window(N_FFT) gives
    return np.asarray(0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(N_FFT) / N_FFT), dtype=np.float32)


def log_mel(samples: npt.NDArray[np.float32], n_mels: int = 80, padding: int = 0) -> npt.NDArray[np.float32]:
    """(n_mels, frames) float32 log-mel features of float32 mono 16 kHz ``samples``, after ``padding``
    zeros are appended; ``frames = (len(samples) + padding) // HOP``. Matches openai-whisper's
    ``log_mel_spectrogram(samples, n_mels, padding=padding)`` to float rounding."""
    audio = np.asarray(samples, dtype=np.float32)
    if padding:
        audio = np.concatenate([audio, np.zeros(padding, np.float32)])
    half = N_FFT // 2
    if audio.size <= half:  # reflect padding needs more samples than half a window
        audio = np.concatenate([audio, np.zeros(half + 1 - audio.size, np.float32)])
    padded = np.pad(audio, half, mode="reflect")  # torch.stft(center=True, pad_mode="reflect")
    n_frames = 1 + (padded.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        padded, shape=(n_frames, N_FFT), strides=(padded.strides[0] * HOP, padded.strides[0])
    )
    spectrum = np.fft.rfft(frames * _window(), axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)[:-1]  # whisper drops the last frame
    mel = mel_filters(n_mels) @ power.T
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - FLOOR_DECADES)
    return np.asarray((log_spec + 4.0) / 4.0, dtype=np.float32)
