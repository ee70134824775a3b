"""What every Whisper engine here shares, in plain Python: the short audio context and a decode's result.

openai-whisper pads every clip to 30 s and runs its encoder over all 1500 positions (20 ms each), so a
2 s question costs as much as a 30 s one. Both engines (``ct2_engine`` on CTranslate2, the default,
and ``fast_whisper`` on openai-whisper) instead encode only the clip plus padding, with the first rows
of the encoder's positional embedding, and decode greedily against those shorter features.

The padding matters more than the speed-up suggests: Whisper was trained on 30 s windows, and with
little padding it repeats itself ("Find my keys. Find my keys. ...") or misreads words. Whisper base
on espeak-ng questions (0.5-2.5 s, 8 voices), corpus WER by shortest context: 48 clips, 3 s 0.77
(repeats), 5 s 0.38, window 0.26; 72 clips, 6 s 0.21, 8 s 0.23, 10 s 0.21, 12 s 0.25, window 0.25.
Timestamps mattered too: without them 3 of 18 clips differed from the window even on 30 s (one cut
to "is"). Hence ``MIN_CONTEXT_S``, timestamps on (as ``model.transcribe`` decodes), none past the end
of the speech (the decoder ends instead of starting a segment in the padding), and a token budget by
duration.
"""

from __future__ import annotations

import math
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass

SAMPLE_RATE = 16_000  # Hz, what Whisper's log-mel front end expects
MEL_HOP = 160  # samples between log-mel frames: 10 ms
FRAMES_PER_POSITION = 2  # the encoder's second convolution has stride 2: one position per 20 ms
POSITION_S = FRAMES_PER_POSITION * MEL_HOP / SAMPLE_RATE  # 0.02 s, also the timestamp-token step
MIN_CONTEXT_S = 10.0  # shortest audio context, seconds; with less, Whisper base repeats and misreads
PAD_S = 1.0  # padding after the clip, seconds, before rounding up to STEP_S
STEP_S = 1.0  # contexts are whole multiples of this, seconds (few distinct shapes)
REPEATING_RATIO = 2.4  # gzip compression ratio above which text repeats itself (transcribe's default)
TOKENS_PER_S = 12.0  # decoding budget per second of audio: ~8 words/s at 500 wpm, ~1.3 tokens a word
MIN_TOKENS = 16  # decoding budget for any clip (timestamps, punctuation, a short answer)


Progress = Callable[[str], object]  # gets one line per step of a long preparation


@dataclass(frozen=True)
class ShortDecode:
    """One greedy decode of a clip on a short audio context."""

    text: str  # the words, stripped
    language: str  # ISO 639-1 code decoded in
    no_speech_prob: float  # probability of the no-speech token at the start, 0..1
    avg_logprob: float  # mean log probability of the sampled tokens (natural log, <= 0)
    compression_ratio: float  # gzip ratio of the text; above ~2.4 it is repeating itself
    context_s: float  # audio context the encoder saw, seconds (clip plus padding)
    truncated: bool  # the token budget ran out before the decoder ended (a runaway decode)


def context_positions(
    n_samples: int,
    max_positions: int,
    min_s: float = MIN_CONTEXT_S,
    pad_s: float = PAD_S,
    step_s: float = STEP_S,
) -> int:
    """Encoder positions (20 ms each) for a clip of ``n_samples`` at 16 kHz: its length plus ``pad_s``
    of padding, rounded up to a multiple of ``step_s``, at least ``min_s``, at most ``max_positions``
    (the model's ``n_audio_ctx``, 1500 = 30 s). Pure."""
    seconds = max(min_s, math.ceil((n_samples / SAMPLE_RATE + pad_s) / step_s) * step_s)
    return min(max_positions, math.ceil(round(seconds / POSITION_S, 6)))


def token_budget(n_samples: int, n_text_ctx: int = 448) -> int:
    """Tokens a clip of ``n_samples`` may decode before it counts as running away."""
    return min(n_text_ctx // 2, MIN_TOKENS + math.ceil(TOKENS_PER_S * n_samples / SAMPLE_RATE))


def compression_ratio(text: str) -> float:
    """gzip ratio of ``text`` (openai-whisper's measure): above ``REPEATING_RATIO`` it repeats itself."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def say_on_stderr(message: str) -> None:
    """The default ``Progress``: the line on stderr, at once."""
    print(message, file=sys.stderr, flush=True)


def gpt2_byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level BPE alphabet (how Whisper's vocabularies spell raw bytes) -> byte value."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    others = [b for b in range(256) if b not in printable]
    return {chr(b): b for b in printable} | {chr(256 + i): b for i, b in enumerate(others)}
