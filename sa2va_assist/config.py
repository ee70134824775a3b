"""Configuration: ``config.yaml`` maps one-to-one onto these frozen dataclasses.

Precedence: CLI flag > environment variable > config file > default. Unknown keys are an error that
names the valid ones, so a typo never silently does nothing.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"  # present in a source checkout
CONFIG_ENV = "SA2VA_ASSIST_CONFIG"  # path of a config file to use instead of the default


@dataclass(frozen=True)
class InputConfig:
    max_frames: int = 64  # longer videos/folders are sampled uniformly down to this many frames
    max_side: int = 1280  # frames larger than this (pixels, longest side) are downscaled on read


@dataclass(frozen=True)
class SpatialConfig:
    horizontal_fov_deg: float = 70.0  # camera's horizontal field of view, degrees (phones: ~65-75)


@dataclass(frozen=True)
class Sa2vaConfig:
    model: str = "ByteDance/Sa2VA-InternVL3-2B"  # hub id; looked up in the model zoo
    model_path: str | None = None  # local folder with the weights; env SA2VA_MODEL_PATH
    device: str = "cuda"  # the released remote code is CUDA-only
    dtype: str = "bfloat16"  # bfloat16 | float16 | float32
    keyframes: str = "uniform"  # uniform | first | last: which 5 frames the language model sees
    num_keyframes: int = 5  # the model's language side reads only the first 5 frames it is given
    use_flash_attn: bool = True  # falls back to eager attention when flash-attn is absent


@dataclass(frozen=True)
class LiteConfig:
    ocr_min_confidence: float = 0.5  # OCR lines below this (0..1) are not read out
    ocr_spelling: bool = True  # unsure words -> the nearest English word; unsure non-word lines dropped
    person_threshold: float = 0.5  # person-mask probability cut (0..1)
    min_person_area: float = 0.002  # smallest person region kept, as a share of the frame area
    threads: int = 2  # CPU threads for the ONNX/TFLite models
    detect_threshold: float = 0.3  # object detector score (0..1) needed to count or choose an object
    scan_threshold: float = 0.25  # score (0..1) to mention an object unasked (caption, hazard scan)
    keyframe_every: int = 8  # video: frames between object-detector runs; masks follow by optical flow
    sam2_checkpoint: str | None = None  # a SAM2 .pt: video masks propagate with SAM2 instead (slow on CPU)
    sam2_config: str = "configs/sam2.1/sam2.1_hiera_t.yaml"  # the sam2 package's config for that checkpoint


@dataclass(frozen=True)
class AgentConfig:
    memory: str = "~/.local/state/sa2va-assist/conversations.sqlite"  # SQLite file, or ":memory:"
    frames_per_look: int = 8  # newest frames a find/track request looks at (motion needs several)
    hazard_scan: str = "auto"  # auto (on for lite, off for sa2va: a second model call) | on | off
    sentences: int = 2  # answer sentences by default; "more" adds more_sentences
    more_sentences: int = 3
    unsure_below: float = 0.35  # objects with a confidence (0..1) below this are said with "I'm not sure"
    examples: bool = True  # sentence-embedding classifier for paraphrases no rule catches (MiniLM, ~5 ms)


@dataclass(frozen=True)
class SpeechConfig:
    voice: str | None = None  # espeak-ng voice (e.g. "en-us", "en-gb"); None = the default voice
    rate_wpm: int = 200  # words per minute, 80..500; "slower" / "faster" change it by rate_step
    rate_step: int = 50
    volume: float = 1.0  # 0..1


@dataclass(frozen=True)
class SttConfig:
    engine: str = "ct2"  # ct2 (CTranslate2, no torch; default) | openai-whisper (needs the [whisper] extra)
    model: str = "base"  # base | tiny.en | a CTranslate2 model folder | (openai-whisper) a .pt checkpoint
    short_context: bool = True  # encode questions on a >= 10 s audio context, not 30 s (~2x faster)
    language: str | None = "en"  # ISO 639-1 code to decode in; null: detect per clip (multilingual models)
    threads: int = 2  # CPU threads for speech recognition


@dataclass(frozen=True)
class ListenConfig:
    silence_s: float = 0.4  # silence that ends a question, seconds (shorter answers sooner, may cut pauses)
    vad_threshold: float = 0.5  # speech probability (0..1) that starts a question
    max_question_s: float = 15.0  # a question is cut after this many seconds
    earcons: bool = True  # tones for thinking / error
    spoken_earcons: bool = False  # also say "Thinking", "Sorry, something went wrong"


@dataclass(frozen=True)
class Config:
    backend: str = "lite"  # lite | sa2va; env SA2VA_ASSIST_BACKEND
    input: InputConfig = field(default_factory=InputConfig)
    spatial: SpatialConfig = field(default_factory=SpatialConfig)
    sa2va: Sa2vaConfig = field(default_factory=Sa2vaConfig)
    lite: LiteConfig = field(default_factory=LiteConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    stt: SttConfig = field(default_factory=SttConfig)
    listen: ListenConfig = field(default_factory=ListenConfig)


T = TypeVar("T")


def _build(cls: type[T], data: Any, where: str) -> T:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ConfigError(f"config section '{where}' must be a mapping, got {type(data).__name__}")
    valid = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(valid))
    if unknown:
        raise ConfigError(
            f"unknown config key {where + '.' if where else ''}{unknown[0]}",
            f"Valid keys{' in ' + where if where else ''}: {', '.join(sorted(valid))}.",
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            kwargs[name] = _build(type(default), value, f"{where}.{name}" if where else name)
        else:
            kwargs[name] = _coerce(value, default, f"{where}.{name}" if where else name)
    return cls(**kwargs)


def _coerce(value: Any, default: Any, key: str) -> Any:
    if default is None or value is None:
        return value
    kind = type(default)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config key {key} must be true or false, got {value!r}")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"config key {key} must be a {kind.__name__}, got {value!r}") from None


def load_config(path: str | Path | None = None) -> Config:
    """Read a YAML file (default: env SA2VA_ASSIST_CONFIG, else the repository's config.yaml)."""
    chosen = Path(path) if path else Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None
    if chosen is None:
        chosen = REPO_CONFIG if REPO_CONFIG.is_file() else None
    data: Any = {}
    if chosen is not None:
        if not chosen.is_file():
            raise ConfigError(f"config file {chosen} does not exist", "Pass an existing file with --config.")
        import yaml

        try:
            data = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"config file {chosen} is not valid YAML ({err.__class__.__name__})") from err
    config = _build(Config, data, "")
    return apply_env(config)


def apply_env(config: Config) -> Config:
    """Environment variables override the file (but not CLI flags, applied after this)."""
    backend = os.environ.get("SA2VA_ASSIST_BACKEND")
    if backend:
        config = replace(config, backend=backend)
    model_path = os.environ.get("SA2VA_MODEL_PATH")
    if model_path:
        config = replace(config, sa2va=replace(config.sa2va, model_path=model_path))
    return config
