"""Whisper on a short audio context: encode the clip, not a 30 s window (whisper.cpp's ``audio_ctx``).

openai-whisper pads every clip to 30 s and runs its encoder over all 1500 positions (20 ms each), so a
2 s question costs as much as a 30 s one. Here the encoder's own layers run over only the clip's
frames plus zero padding, with the first rows of its sinusoidal positional embedding; openai-whisper's
``DecodingTask`` then decodes greedily against those shorter audio features. The loaded model is not
modified: other callers (``model.transcribe`` on long files) see it unchanged. This module imports
torch and whisper; ``stt`` imports it only once a model is loaded.

Why the context is padded to 10 s and decoded with timestamps: see ``decoding``. On a 30 s context
this path gives the window's text (71 of 72 clips identical); on 10 s it is a slightly different
recogniser: 42 of 74 questions identical, 13 better, 8 worse.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from whisper.audio import log_mel_spectrogram
from whisper.decoding import ApplyTimestampRules, DecodingOptions, DecodingTask, LogitFilter
from whisper.model import Whisper

from .decoding import FRAMES_PER_POSITION, MEL_HOP, POSITION_S, SAMPLE_RATE, ShortDecode, token_budget


def encode(model: Whisper, mel: torch.Tensor) -> torch.Tensor:
    """The model's encoder over ``mel`` (batch, n_mels, 2 * n) of any n up to the model's
    ``n_audio_ctx``: audio features (batch, n, n_audio_state), using the first n positional rows.
    Does what ``AudioEncoder.forward`` does, without its 30 s shape check."""
    encoder = model.encoder
    x = F.gelu(encoder.conv1(mel))
    x = F.gelu(encoder.conv2(x)).permute(0, 2, 1)
    positions: torch.Tensor = encoder.positional_embedding
    if x.shape[1] > positions.shape[0]:
        raise ValueError(f"{x.shape[1]} audio positions exceed the model's {positions.shape[0]}")
    x = (x + positions[: x.shape[1]]).to(x.dtype)
    for block in encoder.blocks:
        x = block(x)
    out: torch.Tensor = encoder.ln_post(x)
    return out


def transcribe_short(
    model: Whisper,
    samples: npt.NDArray[np.float32],
    positions: int,
    *,
    language: str | None,
    initial_prompt: str | None = None,
    max_tokens: int | None = None,
) -> ShortDecode:
    """Greedy (temperature 0) decode of one clip on ``positions`` encoder positions (see
    :func:`context_positions`). ``samples``: float32 mono at 16 kHz, no longer than the context.
    ``language`` None detects it from the same features. ``max_tokens``: tokens to sample, default
    ``MIN_TOKENS`` + ``TOKENS_PER_S`` a second (1 asks only for the no-speech probability). Raises
    ValueError for a clip longer than the context."""
    seconds = samples.size / SAMPLE_RATE
    content = samples.size // MEL_HOP  # log-mel frames that hold audio (model.transcribe's count)
    frames = positions * FRAMES_PER_POSITION
    budget = token_budget(samples.size, model.dims.n_text_ctx)
    if content > frames:
        raise ValueError(f"a {seconds:.1f} s clip does not fit {positions} positions")
    with torch.inference_mode():
        # the audio padded by one second so the last frames see zeros, as model.transcribe's do;
        # the context is then padded with 0 (log-mel scale) as model.transcribe pads its window
        mel = log_mel_spectrogram(samples, model.dims.n_mels, padding=SAMPLE_RATE)[:, :content]
        mel = F.pad(mel, (0, frames - content)).unsqueeze(0)
        features = encode(model, mel)
        options = DecodingOptions(
            language=language if model.is_multilingual else "en",  # as model.transcribe does
            temperature=0.0,
            sample_len=max_tokens or budget,
            prompt=initial_prompt,
            fp16=False,
        )
        task = _EncodedAudioTask(model, options, last_timestamp=math.ceil(content / FRAMES_PER_POSITION))
        result = task.run(features)[0]
    return ShortDecode(
        text=result.text.strip(),
        language=result.language,
        no_speech_prob=float(result.no_speech_prob),
        avg_logprob=float(result.avg_logprob),
        compression_ratio=float(result.compression_ratio),
        context_s=positions * POSITION_S,
        truncated=len(result.tokens) >= options.sample_len if options.sample_len else False,
    )


class _NoTimestampsAfter(LogitFilter):
    """Forbid timestamp tokens from ``first_forbidden`` on: no segment may start or end in the padding.
    Runs before ``ApplyTimestampRules``, so its "timestamps are likelier than text" rule only weighs
    timestamps that are allowed (otherwise it could forbid every token, end-of-text included)."""

    def __init__(self, first_forbidden: int) -> None:
        self.first_forbidden = first_forbidden

    def apply(self, logits: torch.Tensor, tokens: torch.Tensor) -> None:
        logits[:, self.first_forbidden :] = -np.inf


class _EncodedAudioTask(DecodingTask):
    """openai-whisper's decoding, given audio features of any length instead of a 30 s mel."""

    def __init__(self, model: Whisper, options: DecodingOptions, last_timestamp: int) -> None:
        super().__init__(model, options)
        rules = [i for i, f in enumerate(self.logit_filters) if isinstance(f, ApplyTimestampRules)]
        limit = _NoTimestampsAfter(self.tokenizer.timestamp_begin + last_timestamp + 1)
        self.logit_filters.insert(rules[0] if rules else len(self.logit_filters), limit)

    def _get_audio_features(self, mel: torch.Tensor) -> torch.Tensor:
        return mel  # already encoded by encode(); DecodingTask only skips 1500-position features

    def _detect_language(self, audio_features: torch.Tensor, tokens: torch.Tensor) -> tuple[list[str], None]:
        """The language token writes itself into ``tokens``, as ``DecodingTask`` does; no
        probabilities (``transcribe_short`` does not report them)."""
        if self.options.language is not None:
            return [self.options.language] * audio_features.shape[0], None
        sot = torch.full((audio_features.shape[0], 1), self.tokenizer.sot)
        logits = self.model.logits(sot, audio_features)[:, 0]
        candidates = torch.tensor(self.tokenizer.all_language_tokens)
        best = candidates[logits[:, candidates].argmax(dim=-1)]
        tokens[:, self.sot_index + 1] = best
        codes = dict(zip(self.tokenizer.all_language_tokens, self.tokenizer.all_language_codes, strict=True))
        return [codes[int(t)] for t in best], None
