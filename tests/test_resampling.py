"""The numpy polyphase resampler against scipy.signal.resample_poly (the reference it replaces in the
voice loop), and that resampling a file or a microphone never imports scipy.signal."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from sa2va_assist.audio.resampling import lowpass_taps, resample_poly

needs_scipy = pytest.mark.skipif(importlib.util.find_spec("scipy") is None, reason="scipy is not installed")

RATES = [(16_000, 48_000), (16_000, 44_100), (16_000, 22_050), (16_000, 8_000), (48_000, 22_050)]


@needs_scipy
@pytest.mark.parametrize(("target", "rate"), RATES)
@pytest.mark.parametrize("n", [0, 1, 7, 4_410, 30_001])
def test_equals_scipy_resample_poly(target: int, rate: int, n: int) -> None:
    from math import gcd

    from scipy.signal import resample_poly as reference

    x = np.random.default_rng(n).standard_normal(n)
    g = gcd(target, rate)
    want = reference(x, target // g, rate // g)
    got = resample_poly(x, target // g, rate // g)
    assert got.shape == want.shape == (-(-n * target // rate),)
    np.testing.assert_allclose(got, want, atol=1e-9)


@needs_scipy
def test_taps_are_scipys_kaiser_filter() -> None:
    from scipy.signal import firwin

    for up, down in [(1, 3), (160, 441), (320, 147), (2, 1)]:
        want = firwin(2 * 10 * max(up, down) + 1, 1 / max(up, down), window=("kaiser", 5.0))
        np.testing.assert_allclose(lowpass_taps(up, down), want, atol=1e-15)


def test_a_tone_below_the_new_nyquist_keeps_its_level_and_one_above_is_removed() -> None:
    rate, target = 48_000, 16_000
    t = np.arange(rate) / rate
    kept = resample_poly(np.sin(2 * np.pi * 1_000 * t), target, rate)[1000:-1000]
    removed = resample_poly(np.sin(2 * np.pi * 12_000 * t), target, rate)[1000:-1000]
    assert abs(np.sqrt(np.mean(kept**2)) - np.sqrt(0.5)) < 0.01
    assert np.sqrt(np.mean(removed**2)) < 0.01  # 12 kHz cannot exist at 16 kHz: filtered, not aliased


def test_same_rate_is_a_copy_and_bad_arguments_are_refused() -> None:
    x = np.arange(5.0)
    same = resample_poly(x, 3, 3)
    assert np.array_equal(same, x) and same is not x
    with pytest.raises(ValueError, match="1-D"):
        resample_poly(np.zeros((2, 2)), 1, 2)
    with pytest.raises(ValueError, match=">= 1"):
        resample_poly(x, 0, 2)
    with pytest.raises(ValueError, match="odd length"):
        resample_poly(x, 1, 2, taps=np.ones(4))


def test_resampling_audio_does_not_import_scipy_signal() -> None:
    code = (
        "import sys, numpy as np\n"
        "from sa2va_assist.audio.wav import resample\n"
        "from sa2va_assist.audio.mic import StreamResampler\n"
        "resample(np.ones(22050, np.float32), 22050, 16000)\n"
        "StreamResampler(48000)(np.ones(4800, np.float32))\n"
        "print('scipy.signal' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
