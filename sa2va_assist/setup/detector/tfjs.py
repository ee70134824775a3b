"""Read a TF.js graph model (``model.json`` + weight shards) with the standard library and numpy only.

Layout of ``model.json`` (format ``"graph-model"``, as written by tensorflowjs_converter)::

    {"format": "graph-model",
     "modelTopology": {"node": [{"name", "op", "input": ["a", "b:1", "^ctrl"], "attr": {...}}, ...]},
     "signature": {"inputs": {key: {"name", "dtype", "tensorShape"}}, "outputs": {...}},   # optional
     "weightsManifest": [{"paths": ["m.bin", ...],
                          "weights": [{"name", "shape", "dtype", "quantization"?}, ...]}, ...]}

Every ``Const`` node's value is a weight of the same name. The shards of one manifest group are
concatenated in order and the group's weights follow each other in that buffer, each taking
``prod(shape) * itemsize`` bytes of its stored dtype. ``quantization`` (optional) stores float weights
as ``float16`` (read and widened), or as ``uint8``/``uint16`` ``q`` with ``value = q * scale + min``.
Node attributes keep TensorFlow's JSON encoding: ints as strings, strings base64, lists under ``list``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ModelError

# TF.js weight dtypes -> numpy; quantised storage dtypes -> numpy
WEIGHT_DTYPES: dict[str, Any] = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
QUANT_DTYPES: dict[str, Any] = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


@dataclass(frozen=True)
class TfNode:
    """One node of the graph: ``inputs`` are tensor names ``node`` or ``node:k`` (control inputs
    ``^node`` are dropped); ``attr`` is the raw JSON attribute map."""

    name: str
    op: str
    inputs: tuple[str, ...]
    attr: dict[str, Any] = field(default_factory=dict, compare=False)

    def _get(self, key: str) -> dict[str, Any] | None:
        value = self.attr.get(key)
        return value if isinstance(value, dict) else None

    def get_int(self, key: str, default: int = 0) -> int:
        value = self._get(key)
        return int(value["i"]) if value and "i" in value else default

    def get_float(self, key: str, default: float = 0.0) -> float:
        value = self._get(key)
        return float(value["f"]) if value and "f" in value else default

    def get_bool(self, key: str, default: bool = False) -> bool:
        value = self._get(key)
        return bool(value["b"]) if value and "b" in value else default

    def get_str(self, key: str, default: str = "") -> str:
        value = self._get(key)
        return base64.b64decode(value["s"]).decode() if value and "s" in value else default

    def get_ints(self, key: str) -> list[int]:
        value = self._get(key)
        return [int(v) for v in value.get("list", {}).get("i", [])] if value else []

    def get_strs(self, key: str) -> list[str]:
        value = self._get(key)
        return [base64.b64decode(v).decode() for v in value.get("list", {}).get("s", [])] if value else []

    def get_type(self, key: str, default: str = "DT_FLOAT") -> str:
        value = self._get(key)
        return str(value["type"]) if value and "type" in value else default


@dataclass(frozen=True)
class TensorSpec:
    """A graph input or output: node ``name``, TF ``dtype`` ("DT_FLOAT"...), ``shape`` (-1 = unknown)."""

    name: str
    dtype: str
    shape: tuple[int, ...] | None


@dataclass
class TfjsGraph:
    """A parsed graph model: nodes in file order, weights by Const name (dequantised, numpy)."""

    nodes: list[TfNode]
    weights: dict[str, np.ndarray]
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    meta: dict[str, str]  # "generatedBy", "convertedBy" when present

    @property
    def ops(self) -> set[str]:
        return {node.op for node in self.nodes}


def _spec(entry: dict[str, Any]) -> TensorSpec:
    dims = entry.get("tensorShape", {}).get("dim")
    shape = tuple(int(d.get("size", -1)) for d in dims) if dims is not None else None
    return TensorSpec(str(entry["name"]).split(":")[0], str(entry.get("dtype", "DT_FLOAT")), shape)


def decode_weights(manifest: list[dict[str, Any]], buffers: list[bytes]) -> dict[str, np.ndarray]:
    """Weights of each manifest group from its concatenated shard bytes (``buffers[i]`` for group i)."""
    out: dict[str, np.ndarray] = {}
    for group, buffer in zip(manifest, buffers, strict=True):
        offset = 0
        for spec in group["weights"]:
            name, shape, dtype = spec["name"], [int(s) for s in spec["shape"]], spec["dtype"]
            quant = spec.get("quantization")
            if dtype not in WEIGHT_DTYPES:
                raise ModelError(f"TF.js weight {name!r} has unsupported dtype {dtype!r}", "")
            stored = QUANT_DTYPES.get(quant["dtype"]) if quant else WEIGHT_DTYPES[dtype]
            if stored is None:
                raise ModelError(f"TF.js weight {name!r}: unknown quantization {quant}", "")
            count = int(np.prod(shape)) if shape else 1
            size = count * np.dtype(stored).itemsize
            if offset + size > len(buffer):
                raise ModelError(
                    f"TF.js weight shards are too short for {name!r} ({offset + size} > {len(buffer)} bytes)",
                    "the model files are truncated: delete the detector cache and run setup again",
                )
            raw = np.frombuffer(buffer, dtype=stored, count=count, offset=offset).reshape(shape)
            offset += size
            if quant and quant["dtype"] != "float16":
                value = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
                if dtype == "int32":
                    value = np.round(value)
            else:
                value = raw
            out[name] = np.ascontiguousarray(value.astype(WEIGHT_DTYPES[dtype]))
    return out


def parse_graph(model: dict[str, Any], buffers: list[bytes]) -> TfjsGraph:
    """A :class:`TfjsGraph` from the decoded ``model.json`` and each manifest group's shard bytes."""
    if model.get("format", "graph-model") != "graph-model" or "modelTopology" not in model:
        raise ModelError(
            f"not a TF.js graph model (format {model.get('format')!r})", "use a graph-model model.json"
        )
    nodes = [
        TfNode(
            name=n["name"],
            op=n["op"],
            inputs=tuple(i for i in n.get("input", []) if not i.startswith("^")),
            attr=n.get("attr", {}),
        )
        for n in model["modelTopology"].get("node", [])
    ]
    if model["modelTopology"].get("library", {}).get("function"):
        raise ModelError("TF.js graph models with functions (control flow) are not supported", "")
    weights = decode_weights(model.get("weightsManifest", []), buffers)
    signature = model.get("signature") or {}
    inputs = [_spec(v) for v in signature.get("inputs", {}).values()]
    outputs = [_spec(v) for v in signature.get("outputs", {}).values()]
    if not inputs:
        inputs = [
            TensorSpec(n.name, n.get_type("dtype"), tuple(int(d.get("size", -1)) for d in _shape_dims(n)))
            for n in nodes
            if n.op == "Placeholder"
        ]
    if not outputs:  # nodes nobody consumes
        used = {i.split(":")[0] for n in nodes for i in n.inputs}
        outputs = [TensorSpec(n.name, "", None) for n in nodes if n.name not in used and n.op != "Const"]
    meta: dict[str, str] = {k: str(model[k]) for k in ("generatedBy", "convertedBy") if k in model}
    return TfjsGraph(nodes, weights, inputs, outputs, meta)


def _shape_dims(node: TfNode) -> list[dict[str, Any]]:
    shape = node.attr.get("shape", {}).get("shape", {})
    return list(shape.get("dim", []))


def load_graph(model_json: Path) -> TfjsGraph:
    """Read ``model_json`` and its weight shards (paths relative to its folder)."""
    try:
        model = json.loads(Path(model_json).read_text(encoding="utf-8"))
        buffers = [
            b"".join((Path(model_json).parent / p).read_bytes() for p in group["paths"])
            for group in model.get("weightsManifest", [])
        ]
    except (OSError, ValueError, KeyError) as err:
        raise ModelError(
            f"cannot read the TF.js model {model_json}: {err}",
            "delete the detector cache folder and run setup again",
        ) from err
    return parse_graph(model, buffers)
