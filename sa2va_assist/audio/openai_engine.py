"""The openai-whisper engine (the ``[whisper]`` extra): openai-whisper on the CPU, fp32, greedy,
temperature 0.0, no conditioning on earlier text. Imports torch and whisper; ``stt`` imports this
module only when ``engine="openai-whisper"`` is asked for."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from whisper.model import ModelDimensions, Whisper
from whisper.tokenizer import LANGUAGES

from ..errors import ConfigError, ModelError, first_line
from .decoding import ShortDecode
from .stt import LOGPROB_THRESHOLD, WhisperOptions, WhisperRecognizer


def load_checkpoint(path: Path) -> Whisper:
    """An openai-whisper model (CPU, eval mode) from a ``{"dims", "model_state_dict"}`` checkpoint."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        model = Whisper(ModelDimensions(**checkpoint["dims"]))
        model.load_state_dict(checkpoint["model_state_dict"])
    except (OSError, RuntimeError, KeyError, TypeError, ValueError, EOFError, pickle.UnpicklingError) as err:
        raise ModelError(
            f"{path} is not a usable openai-whisper checkpoint ({first_line(err)})",
            "delete it or pass another",
        ) from err
    return model.eval()


class WhisperSTT(WhisperRecognizer):
    """openai-whisper behind the shared decoding policy (``stt.WhisperRecognizer``)."""

    def __init__(self, model: Whisper, options: WhisperOptions | None = None) -> None:
        super().__init__(options)
        self.model = model
        language = self.options.language
        if language is not None and language not in LANGUAGES:
            raise ConfigError(f"unknown language {language!r}", "use an ISO 639-1 code such as 'en'")
        if not model.is_multilingual and language not in (None, "en"):
            raise ConfigError(f"an English-only Whisper model cannot decode {language!r}", "use model 'base'")
        self.n_audio_ctx = model.dims.n_audio_ctx
        torch.set_num_threads(self.options.threads)

    def _decode(self, samples: npt.NDArray[np.float32], positions: int, **max_tokens: int) -> ShortDecode:
        from .fast_whisper import transcribe_short

        o = self.options
        return transcribe_short(
            self.model, samples, positions, language=o.language, initial_prompt=o.initial_prompt, **max_tokens
        )

    def _window(self, samples: npt.NDArray[np.float32]) -> tuple[str, str | None]:
        """(text, language) from openai-whisper's own transcribe(): 30 s windows."""
        result = self.model.transcribe(
            samples,  # an array, never a path: openai-whisper needs ffmpeg to read files
            temperature=0.0,
            fp16=False,
            condition_on_previous_text=False,
            language=self.options.language,
            initial_prompt=self.options.initial_prompt,
            no_speech_threshold=self.options.no_speech_threshold,
            logprob_threshold=LOGPROB_THRESHOLD,
            verbose=None,
        )
        language = result.get("language")
        return str(result["text"]).strip(), str(language) if language else None
