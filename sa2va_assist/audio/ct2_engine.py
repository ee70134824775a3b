"""The default speech engine: Whisper on CTranslate2, from the files that ship on PyPI, with no torch.

CTranslate2 runs the packaged Whisper folders (``model.bin``, ``vocabulary.txt``, ``config.json``) as
they are, quantised to int8 on load. Features come from ``features.log_mel`` (numpy); the encoder sees
the clip plus padding (``decoding.context_positions``, >= 10 s), not a 30 s window, and the decoder
runs greedily with timestamps, none allowed past the end of the speech, as the openai-whisper engine
decodes (``fast_whisper``). Text is read back through ``vocabulary.txt`` (GPT-2 byte-level tokens);
``tokenizer.json`` is needed only to encode an initial prompt.

Whisper base, 2 cores: a 2-4 s question in ~0.15-0.2 s (BENCHMARKS.md, speech to text), about a third of
openai-whisper's memory.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError, ModelError, first_line
from ..paths import cache_root
from .decoding import (
    FRAMES_PER_POSITION,
    MEL_HOP,
    POSITION_S,
    SAMPLE_RATE,
    Progress,
    ShortDecode,
    compression_ratio,
    gpt2_byte_decoder,
    say_on_stderr,
    token_budget,
)
from .features import log_mel
from .stt import LOGPROB_THRESHOLD, WINDOW_S, BundledModel, WhisperOptions, WhisperRecognizer

# int8 weights: on 2 cores about 1.6x faster than float32 for Whisper base, same words on the dev clips
COMPUTE_TYPE = "int8"
FOLDER_FILES = ("config.json", "vocabulary.txt", "tokenizer.json", "preprocessor_config.json")
N_TEXT_CTX = 448  # decoder positions of every Whisper model


def model_folder(
    model: BundledModel, cache_dir: Path | None = None, progress: Progress | None = None
) -> Path:
    """A folder CTranslate2 can load for a bundled model: the package's own folder when ``model.bin``
    ships whole, else ``<cache>/whisper-ct2/<name>`` with the parts joined (once: a folder whose
    ``model.bin`` has the parts' total size is reused). Written to a temporary name and renamed."""
    parts, vocabulary = model.locate()
    source = vocabulary.parent
    if len(parts) == 1 and parts[0].name == "model.bin":
        return source
    target = (cache_dir or cache_root() / "whisper-ct2") / model.name
    size = sum(p.stat().st_size for p in parts)
    joined = target / "model.bin"
    if joined.is_file() and joined.stat().st_size == size and (target / "vocabulary.txt").is_file():
        return target
    say = progress or say_on_stderr
    start = time.perf_counter()
    say(f"joining the Whisper {model.name} model ({size / 1e6:.0f} MB) into {target} ...")
    tmp = ""
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in FOLDER_FILES:
            if (source / name).is_file():
                shutil.copyfile(source / name, target / name)
        fd, tmp = tempfile.mkstemp(prefix=".model.bin.", suffix=".tmp", dir=target)
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as piece:
                    shutil.copyfileobj(piece, out, 16 * 2**20)
        os.chmod(tmp, 0o644)
        os.replace(tmp, joined)
    except OSError as err:
        hint = "free some space, or set SA2VA_ASSIST_CACHE to a writable folder"
        raise ModelError(f"cannot write the Whisper {model.name} model to {target}: {err}", hint) from err
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
    say(f"joined Whisper {model.name} in {time.perf_counter() - start:.1f} s")
    return target


class Ct2STT(WhisperRecognizer):
    """Whisper on CTranslate2 (CPU, int8) behind the shared decoding policy."""

    def __init__(self, folder: Path, options: WhisperOptions | None = None) -> None:
        import ctranslate2

        super().__init__(options)
        try:
            self.model: Any = ctranslate2.models.Whisper(
                str(folder), device="cpu", compute_type=COMPUTE_TYPE, intra_threads=self.options.threads
            )
            tokens = (folder / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
        except (RuntimeError, ValueError, OSError) as err:
            hint = "run: sa2va-assist setup"
            raise ModelError(f"cannot load the Whisper model in {folder} ({first_line(err)})", hint) from err
        self.folder = folder
        self.tokens = tokens[:-1] if tokens and tokens[-1] == "" else tokens
        self.ids = {token: i for i, token in enumerate(self.tokens)}
        self.eot = self._id("<|endoftext|>")
        self.sot = self._id("<|startoftranscript|>")
        self.timestamp_begin = self._id("<|0.00|>")
        self.multilingual = bool(self.model.is_multilingual)
        self.n_mels = int(self.model.n_mels)
        self._bytes = gpt2_byte_decoder()
        self._tokenizer: Any = None
        language = self.options.language
        if language is not None and f"<|{language}|>" not in self.ids:
            raise ConfigError(f"unknown language {language!r}", "use an ISO 639-1 code such as 'en'")
        if not self.multilingual and language not in (None, "en"):
            raise ConfigError(f"an English-only Whisper model cannot decode {language!r}", "use model 'base'")

    def _id(self, token: str) -> int:
        if token not in self.ids:
            raise ModelError(f"{self.folder}/vocabulary.txt lacks {token}", "reinstall the model's package")
        return self.ids[token]

    def _features(self, samples: npt.NDArray[np.float32], frames: int) -> Any:
        """CTranslate2 features (1, n_mels, frames): the clip's log-mel (its audio padded by one second,
        so the last frames see zeros, as openai-whisper's transcribe does), then 0 up to ``frames``."""
        import ctranslate2

        content = min(samples.size // MEL_HOP, frames)
        mel = log_mel(samples, self.n_mels, padding=SAMPLE_RATE)[:, :content]
        padded = np.zeros((1, self.n_mels, frames), np.float32)
        padded[0, :, :content] = mel
        return ctranslate2.StorageView.from_array(padded)

    def _prompt(self, features: Any, timestamps: bool = True) -> tuple[Any, list[int], str]:
        """(features to decode, start-of-transcript prompt ids, language code). Without a set language
        it is detected, on features encoded once and then given to the decoder as they are."""
        language = self.options.language if self.multilingual else "en"
        if language is None:
            features = self.model.encode(features, to_cpu=False)
            best = self.model.detect_language(features)[0][0][0]  # e.g. "<|de|>"
            language = str(best)[2:-2]
        prompt = [self.sot]
        if self.multilingual:
            prompt += [self.ids[f"<|{language}|>"], self._id("<|transcribe|>")]
        if not timestamps:
            prompt.append(self._id("<|notimestamps|>"))
        if self.options.initial_prompt:
            # as openai-whisper does: at most half the decoder's positions, the prompt's last words
            words = self._encode(" " + self.options.initial_prompt.strip())[-(N_TEXT_CTX // 2 - 1) :]
            prompt = [self._id("<|startofprev|>"), *words, *prompt]
        return features, prompt, language

    def _encode(self, text: str) -> list[int]:
        if self._tokenizer is None:
            path = self.folder / "tokenizer.json"
            if not path.is_file():
                raise ConfigError(f"an initial prompt needs {path}", "use a model folder with tokenizer.json")
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(path))
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def _text(self, ids: list[int]) -> str:
        """Words of a decode: text tokens only (timestamps and specials dropped), bytes joined."""
        data = bytes(self._bytes[c] for i in ids if i < self.eot for c in self.tokens[i])
        return data.decode("utf-8", errors="replace").strip()

    def _generate(self, features: Any, prompt: list[int], budget: int, suppress: list[int]) -> Any:
        return self.model.generate(
            features, [prompt], beam_size=1, max_length=len(prompt) + budget, return_scores=True,
            return_no_speech_prob=True, suppress_blank=True, suppress_tokens=[-1, *suppress],
        )[0]  # fmt: skip

    def _decode(self, samples: npt.NDArray[np.float32], positions: int, **max_tokens: int) -> ShortDecode:
        """Greedy decode of the clip on ``positions`` encoder positions; timestamps are forbidden
        after the end of the speech so that the decoder ends there instead of going on in the padding."""
        frames = positions * FRAMES_PER_POSITION
        if samples.size // MEL_HOP > frames:
            raise ValueError(f"a {samples.size / SAMPLE_RATE:.1f} s clip does not fit {positions} positions")
        features, prompt, language = self._prompt(self._features(samples, frames))
        budget = max_tokens.get("max_tokens") or token_budget(samples.size, N_TEXT_CTX)
        last = math.ceil(samples.size // MEL_HOP / FRAMES_PER_POSITION)
        beyond = list(range(self.timestamp_begin + last + 1, len(self.tokens)))
        result = self._generate(features, prompt, budget, beyond)
        ids = list(result.sequences_ids[0])
        text = self._text(ids)
        return ShortDecode(
            text=text,
            language=language,
            no_speech_prob=float(result.no_speech_prob),
            avg_logprob=_avg_logprob(result, len(ids)),
            compression_ratio=compression_ratio(text),
            context_s=positions * POSITION_S,
            truncated=len(ids) >= budget,
        )

    def _window(self, samples: npt.NDArray[np.float32]) -> tuple[str, str | None]:
        """(text, language) over consecutive 30 s windows; a window that is probably silence (no-speech
        probability over the threshold and an unlikely decode, openai-whisper's rule) adds nothing.
        The windows are cut at fixed 30 s steps (openai-whisper moves on by the last timestamp), so
        a word spoken across a cut may be lost: fine for questions, rough for long recordings."""
        step = int(WINDOW_S * SAMPLE_RATE)
        frames = step // MEL_HOP
        texts, language = [], self.options.language
        for start in range(0, max(samples.size, 1), step):
            chunk = samples[start : start + step]
            features, prompt, language = self._prompt(self._features(chunk, frames))
            result = self._generate(features, prompt, N_TEXT_CTX // 2, [])
            ids = list(result.sequences_ids[0])
            silent = result.no_speech_prob > self.options.no_speech_threshold
            if silent and _avg_logprob(result, len(ids)) <= LOGPROB_THRESHOLD:
                continue
            texts.append(self._text(ids))
        return " ".join(t for t in texts if t), language


def _avg_logprob(result: Any, n_tokens: int) -> float:
    """openai-whisper's average log probability: the decode's summed log probability over its tokens
    plus the end-of-text token. CTranslate2's score is that sum over the tokens alone (length penalty 1),
    so it is scaled by n / (n + 1)."""
    if not result.scores:
        return 0.0
    return float(result.scores[0]) * n_tokens / (n_tokens + 1)
