"""Configuration: ``config.yaml`` maps one-to-one onto these frozen dataclasses.

Which file is read (the first that applies; files are not merged):

1. ``--config FILE`` on the command line;
2. the file named by the environment variable ``SA2VA_ASSIST_CONFIG``;
3. the user's file, ``$XDG_CONFIG_HOME/sa2va-assist/config.yaml`` (else ``~/.config/...``), if it exists;
4. the repository's ``config.yaml`` (a source checkout);
5. none: the built-in defaults below.

Precedence of values: CLI flag > environment variable > config file > default. Unknown keys are an error
that names the valid ones, so a typo never silently does nothing. Every value's type and range sits next
to its field (``Annotated[type, rule]``); ``validate`` checks them all when the config is loaded and
again after command-line flags are applied, so a bad value fails before any model runs.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from .errors import ConfigError
from .paths import user_config

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"  # present in a source checkout
CONFIG_ENV = "SA2VA_ASSIST_CONFIG"  # path of a config file to use instead of the default


@dataclass(frozen=True)
class Range:
    """A number from ``low`` to ``high`` (None: unbounded); an ``open_`` end is excluded."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False

    def allows(self, value: Any) -> bool:
        low_ok = self.low is None or value > self.low or (value == self.low and not self.open_low)
        high_ok = self.high is None or value < self.high or (value == self.high and not self.open_high)
        return low_ok and high_ok

    def __str__(self) -> str:
        low = "" if self.low is None else f"{'more than' if self.open_low else 'at least'} {self.low:g}"
        high = "" if self.high is None else f"{'less than' if self.open_high else 'at most'} {self.high:g}"
        if low and high and not (self.open_low or self.open_high):
            return f"from {self.low:g} to {self.high:g}"
        return " and ".join(part for part in (low, high) if part)


# keys of earlier versions -> where they are now, so an old config file says how to mend it
MOVED_KEYS = {"listen.stt_model": "stt.model", "listen.short_context": "stt.short_context"}
STT_ENGINES = ("ct2", "openai-whisper")  # speech-recognition engines; the first is the default


@dataclass(frozen=True)
class OneOf:
    """Text that must be one of ``choices``."""

    choices: tuple[str, ...]

    def allows(self, value: Any) -> bool:
        return value in self.choices

    def __str__(self) -> str:
        return "one of " + ", ".join(self.choices)


@dataclass(frozen=True)
class Pattern:
    """Text that matches ``regex`` as a whole; ``shown`` is how a message describes it."""

    regex: str
    shown: str

    def allows(self, value: Any) -> bool:
        return re.fullmatch(self.regex, value) is not None

    def __str__(self) -> str:
        return self.shown


Rule = Range | OneOf | Pattern
Count = Annotated[int, Range(1)]  # a whole number, at least 1
Share = Annotated[float, Range(0, 1)]  # a probability or a share of something, 0..1
Seconds = Annotated[float, Range(0, open_low=True)]  # a duration in seconds, more than 0
Text = Annotated[str, Pattern(r"(?s).*\S.*", "non-empty text")]
MaybeText = Annotated[str | None, Pattern(r"(?s).*\S.*", "non-empty text")]


@dataclass(frozen=True)
class InputConfig:
    max_frames: Count = 64  # longer videos/folders are sampled uniformly down to this many frames
    max_side: Count = 1280  # frames larger than this (pixels, longest side) are downscaled on read


@dataclass(frozen=True)
class SpatialConfig:
    # camera's horizontal field of view, degrees (phones: ~65-75)
    horizontal_fov_deg: Annotated[float, Range(0, 180, open_low=True, open_high=True)] = 70.0


@dataclass(frozen=True)
class Sa2vaConfig:
    model: Text = "ByteDance/Sa2VA-InternVL3-2B"  # hub id; looked up in the model zoo
    model_path: MaybeText = None  # local folder with the weights; env SA2VA_MODEL_PATH
    # the released remote code is CUDA-only
    device: Annotated[str, Pattern(r"cuda(:\d+)?|cpu|mps", "cuda, cuda:N, cpu or mps")] = "cuda"
    dtype: Annotated[str, OneOf(("bfloat16", "float16", "float32"))] = "bfloat16"
    # which 5 frames the language model sees
    keyframes: Annotated[str, OneOf(("uniform", "first", "last"))] = "uniform"
    num_keyframes: Count = 5  # the model's language side reads only the first 5 frames it is given
    use_flash_attn: bool = True  # falls back to eager attention when flash-attn is absent


@dataclass(frozen=True)
class LiteConfig:
    ocr_min_confidence: Share = 0.5  # OCR lines below this (0..1) are not read out
    ocr_spelling: bool = True  # unsure words -> the nearest English word; unsure non-word lines dropped
    person_threshold: Share = 0.5  # person-mask probability cut (0..1)
    min_person_area: Share = 0.002  # smallest person region kept, as a share of the frame area
    threads: Count = 2  # CPU threads for the ONNX/TFLite models
    detect_threshold: Share = 0.3  # object detector score (0..1) needed to count or choose an object
    scan_threshold: Share = 0.25  # score (0..1) to mention an object unasked (caption, hazard scan)
    keyframe_every: Count = 8  # video: frames between object-detector runs; masks follow by optical flow
    sam2_checkpoint: MaybeText = None  # a SAM2 .pt: video masks propagate with SAM2 instead (slow on CPU)
    sam2_config: Text = "configs/sam2.1/sam2.1_hiera_t.yaml"  # the sam2 package's config for that checkpoint


@dataclass(frozen=True)
class AgentConfig:
    # SQLite file, ":memory:", or auto: $XDG_STATE_HOME/sa2va-assist/conversations.sqlite (paths.py)
    memory: Text = "auto"
    frames_per_look: Count = 8  # newest frames a find/track request looks at (motion needs several)
    # auto (on for lite, off for sa2va: a second model call) | on | off
    hazard_scan: Annotated[str, OneOf(("auto", "on", "off"))] = "auto"
    sentences: Count = 2  # answer sentences by default; "more" adds more_sentences
    more_sentences: Count = 3
    unsure_below: Share = 0.35  # objects with a confidence (0..1) below this are said with "I'm not sure"
    examples: bool = True  # sentence-embedding classifier for paraphrases no rule catches (MiniLM, ~5 ms)


@dataclass(frozen=True)
class SpeechConfig:
    voice: MaybeText = None  # espeak-ng voice (e.g. "en-us", "en-gb"); None = the default voice
    # words per minute, 80..500; "slower" / "faster" change it by rate_step
    rate_wpm: Annotated[int, Range(80, 500)] = 200
    rate_step: Annotated[int, Range(1, 420)] = 50
    volume: Share = 1.0  # 0..1


@dataclass(frozen=True)
class SttConfig:
    # ct2 (CTranslate2, no torch; default) | openai-whisper (needs the [whisper] extra)
    engine: Annotated[str, OneOf(STT_ENGINES)] = "ct2"
    model: Text = "base"  # base | tiny.en | a CTranslate2 model folder | (openai-whisper) a .pt checkpoint
    short_context: bool = True  # encode questions on a >= 10 s audio context, not 30 s (~2x faster)
    # ISO 639-1 code to decode in; null: detect per clip (multilingual models)
    language: Annotated[str | None, Pattern(r"[a-z]{2,3}", "a language code such as en (haw, yue: 3)")] = "en"
    threads: Count = 2  # CPU threads for speech recognition


@dataclass(frozen=True)
class ListenConfig:
    silence_s: Seconds = 0.4  # silence that ends a question, seconds (shorter answers sooner, may cut pauses)
    vad_threshold: Share = 0.5  # speech probability (0..1) that starts a question
    max_question_s: Seconds = 15.0  # a question is cut after this many seconds
    # a question that already sounds complete ("Where is my cup?") ends after 0.25 s of quiet, not
    # silence_s; turn off if you pause inside your questions
    early_end: bool = True
    earcons: bool = True  # tones for thinking / error
    spoken_earcons: bool = False  # also say "Thinking", "Sorry, something went wrong"


@dataclass(frozen=True)
class Config:
    backend: Text = "lite"  # lite | sa2va (vision.check_backend_name checks it); env SA2VA_ASSIST_BACKEND
    input: InputConfig = field(default_factory=InputConfig)
    spatial: SpatialConfig = field(default_factory=SpatialConfig)
    sa2va: Sa2vaConfig = field(default_factory=Sa2vaConfig)
    lite: LiteConfig = field(default_factory=LiteConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    stt: SttConfig = field(default_factory=SttConfig)
    listen: ListenConfig = field(default_factory=ListenConfig)


T = TypeVar("T")


@dataclass(frozen=True)
class _Spec:
    """One field's declared type, split: the plain type, whether null is allowed, its rules."""

    kind: type
    optional: bool
    rules: tuple[Rule, ...]

    def expected(self) -> str:
        words = {bool: "true or false", int: "a whole number", float: "a number", str: ""}[self.kind]
        text = ", ".join(part for part in (words, *map(str, self.rules)) if part)
        return f"{text} or null" if self.optional else text


def _specs(cls: type) -> dict[str, _Spec]:
    specs: dict[str, _Spec] = {}
    for name, hint in get_type_hints(cls, include_extras=True).items():
        rules: tuple[Any, ...] = ()
        if get_origin(hint) is Annotated:
            hint, *extra = get_args(hint)
            rules = tuple(extra)
        if get_origin(hint) in (Union, types.UnionType):
            kinds = [arg for arg in get_args(hint) if arg is not type(None)]
            specs[name] = _Spec(kinds[0], True, rules)
        elif isinstance(hint, type) and not dataclasses.is_dataclass(hint):
            specs[name] = _Spec(hint, False, rules)
    return specs


def _misfits(value: Any, spec: _Spec) -> bool:
    """True when ``value`` does not fit ``spec`` (a bool is not a number; a float, even 12.0, is no int)."""
    if value is None:
        return not spec.optional
    if spec.kind is float:
        fits = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        fits = isinstance(value, spec.kind) and (spec.kind is bool or not isinstance(value, bool))
    return not fits or not all(rule.allows(value) for rule in spec.rules)


def _shown(value: Any, spec: _Spec) -> str:
    """The value as YAML would write it (-70, not -70.0, for a float key given -70)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return f"{value:g}" if spec.kind is float and isinstance(value, float) else repr(value)


def validate(config: Config, flags: Mapping[str, str] | None = None, source: str = "") -> Config:
    """``config`` unchanged if every value fits its declared type and rule, else ConfigError for the
    first that does not, naming the key, the value and what is valid. ``flags`` maps keys set on the
    command line to the flag that set them; ``source`` is the file the rest came from."""
    flags = flags or {}
    sections = [("", config)] + [(f.name, getattr(config, f.name)) for f in fields(config)]
    for where, section in sections:
        if not dataclasses.is_dataclass(section):
            continue
        for name, spec in _specs(type(section)).items():
            value = getattr(section, name)
            if not _misfits(value, spec):
                continue
            key = f"{where}.{name}" if where else name
            got = f"must be {spec.expected()}, got {_shown(value, spec)}"
            if key in flags:
                raise ConfigError(f"{flags[key]} {got}", f"Pass a valid value, or leave it out to use {key}.")
            hint = f"Fix it in {source}" if source else "Fix it in the config file"
            if spec.kind is str and isinstance(value, bool):
                hint += " and quote it: YAML reads yes/no/on/off as true/false"
            elif spec.kind is bool and isinstance(value, str):
                hint += ": write true or false without quotes"
            raise ConfigError(f"config key {key} {got}", hint + ".")
    return config


def _build(cls: type[T], data: Any, where: str) -> T:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        what = f"config section '{where}'" if where else "the config file"
        raise ConfigError(f"{what} must be a mapping of keys to values, got {type(data).__name__}")
    valid = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(valid), key=str)
    moved = MOVED_KEYS.get(f"{where}.{unknown[0]}" if unknown and where else "")
    if moved:
        raise ConfigError(f"config key {where}.{unknown[0]} has moved to {moved}", f"Rename it to {moved}.")
    if unknown:
        raise ConfigError(
            f"unknown config key {where + '.' if where else ''}{unknown[0]}",
            f"Valid keys{' in ' + where if where else ''}: {', '.join(sorted(valid))}.",
        )
    specs = _specs(cls)
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            kwargs[name] = _build(type(default), value, f"{where}.{name}" if where else name)
        else:
            kwargs[name] = _from_yaml(value, specs[name])
    return cls(**kwargs)


def _from_yaml(value: Any, spec: _Spec) -> Any:
    """The two conversions YAML makes necessary; ``validate`` judges the rest."""
    if spec.kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # "70" for a float key
    choices = [c for rule in spec.rules if isinstance(rule, OneOf) for c in rule.choices]
    if isinstance(value, bool) and {"on", "off"} <= set(choices):
        return "on" if value else "off"  # YAML reads a bare on/off as true/false
    return value


def config_file(path: str | Path | None = None) -> Path | None:
    """The file to read: ``path`` (--config) > $SA2VA_ASSIST_CONFIG > the user's file if it exists >
    the repository's config.yaml > None (built-in defaults). A named file that is missing is an error."""
    if path:
        return _existing(Path(path).expanduser(), "Pass an existing file with --config.")
    if os.environ.get(CONFIG_ENV):
        hint = f"Point {CONFIG_ENV} at an existing file, or unset it."
        return _existing(Path(os.environ[CONFIG_ENV]).expanduser(), hint)
    for candidate in (user_config(), REPO_CONFIG):
        if candidate.is_file():
            return candidate
    return None


def _existing(path: Path, hint: str) -> Path:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist", hint)
    return path


def load_config(path: str | Path | None = None) -> Config:
    """The config from ``config_file(path)`` with the environment on top, every value validated."""
    chosen = config_file(path)
    data: Any = {}
    if chosen is not None:
        import yaml

        try:
            data = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(err, "problem", None) or err.__class__.__name__
            raise ConfigError(
                f"config file {chosen} is not valid YAML{where}: {problem}",
                "Fix that line (keys are 'name: value', nested keys indented by two spaces).",
            ) from err
        except OSError as err:
            raise ConfigError(f"cannot read config file {chosen} ({err.strerror})") from err
        except UnicodeDecodeError as err:
            raise ConfigError(f"config file {chosen} is not UTF-8 text", "Save it as UTF-8.") from err
    config = _build(Config, data, "")
    return validate(apply_env(config), source=str(chosen) if chosen else "")


def apply_env(config: Config) -> Config:
    """Environment variables override the file (but not CLI flags, applied after this)."""
    backend = os.environ.get("SA2VA_ASSIST_BACKEND")
    if backend:
        config = replace(config, backend=backend)
    model_path = os.environ.get("SA2VA_MODEL_PATH")
    if model_path:
        config = replace(config, sa2va=replace(config.sa2va, model_path=model_path))
    return config
