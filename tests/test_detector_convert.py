"""The TF.js graph-model -> ONNX converter on small graphs written here (model.json + a weight shard
with float32, float16- and uint8-quantised weights), checked against numpy references of the ops."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sa2va_assist.errors import ModelError
from sa2va_assist.setup.detector.patterns import fuse_hard_activations
from sa2va_assist.setup.detector.tfjs import load_graph

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from sa2va_assist.setup.detector.to_onnx import convert  # noqa: E402 (needs onnx)

RNG = np.random.default_rng(7)


def attr(value: Any) -> dict[str, Any]:
    """A node attribute in TF's JSON encoding."""
    if isinstance(value, bool):
        return {"b": value}
    if isinstance(value, int):
        return {"i": str(value)}
    if isinstance(value, float):
        return {"f": value}
    if isinstance(value, str):
        return (
            {"type": value} if value.startswith("DT_") else {"s": base64.b64encode(value.encode()).decode()}
        )
    if value and isinstance(value[0], str):
        return {"list": {"s": [base64.b64encode(v.encode()).decode() for v in value]}}
    return {"list": {"i": [str(v) for v in value]}}


class GraphWriter:
    """Builds a TF.js graph model: nodes, Const weights (optionally quantised) and one shard."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.specs: list[dict[str, Any]] = []
        self.data: list[bytes] = []

    def node(self, name: str, op: str, inputs: list[str] | None = None, **attrs: Any) -> str:
        self.nodes.append(
            {"name": name, "op": op, "input": inputs or [], "attr": {k: attr(v) for k, v in attrs.items()}}
        )
        return name

    def const(self, name: str, value: np.ndarray, quant: str | None = None) -> np.ndarray:
        """Adds the weight; returns the value the model really holds (after quantisation)."""
        value = np.asarray(value)
        dtype = "int32" if value.dtype.kind == "i" else "float32"
        spec: dict[str, Any] = {"name": name, "shape": list(value.shape), "dtype": dtype}
        if quant == "uint8":
            lo, scale = float(value.min()), float(value.max() - value.min()) / 255
            q = np.round((value - lo) / scale).astype(np.uint8)
            spec["quantization"] = {"dtype": "uint8", "scale": scale, "min": lo}
            self.data.append(q.tobytes())
            value = (q.astype(np.float32) * np.float32(scale) + np.float32(lo)).astype(np.float32)
        elif quant == "float16":
            spec["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
            self.data.append(value.astype(np.float16).tobytes())
            value = value.astype(np.float16).astype(np.float32)
        else:
            self.data.append(value.astype(np.int32 if dtype == "int32" else np.float32).tobytes())
        self.specs.append(spec)
        self.node(name, "Const", dtype="DT_INT32" if dtype == "int32" else "DT_FLOAT")
        return value

    def write(self, folder: Path, inputs: dict[str, list[int]], outputs: list[str]) -> Path:
        (folder / "m.bin").write_bytes(b"".join(self.data))
        dims = {k: {"dim": [{"size": str(d)} for d in s]} for k, s in inputs.items()}
        sig = {
            "inputs": {k: {"name": k + ":0", "dtype": "DT_FLOAT", "tensorShape": dims[k]} for k in inputs},
            "outputs": {k: {"name": k + ":0", "dtype": "DT_FLOAT"} for k in outputs},
        }  # fmt: skip
        model = {"format": "graph-model", "modelTopology": {"node": self.nodes}, "signature": sig,
                 "weightsManifest": [{"paths": ["m.bin"], "weights": self.specs}]}  # fmt: skip
        (folder / "model.json").write_text(json.dumps(model))
        return folder / "model.json"


def run(
    model_json: Path, feeds: dict[str, np.ndarray], layout: str = "nchw", fuse: bool = False
) -> list[np.ndarray]:
    graph = load_graph(model_json)
    proto = convert(fuse_hard_activations(graph) if fuse else graph, layout=layout)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return [np.asarray(o) for o in session.run(None, feeds)]


def conv_ref(x: np.ndarray, w: np.ndarray, stride: int, padding: str, depthwise: bool = False) -> np.ndarray:
    """TF conv2d / depthwise_conv2d (NHWC, HWIO / HWCM filters), SAME = TF's padding, odd pixel last."""
    n, h, wd, c = x.shape
    kh, kw = w.shape[:2]
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-wd // stride)
        ph, pw = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, oh, ow, c * w.shape[3] if depthwise else w.shape[3]), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i : i + stride * oh : stride, j : j + stride * ow : stride, :].astype(np.float64)
            if depthwise:
                out += (patch[..., None] * w[i, j]).reshape(n, oh, ow, -1)
            else:
                out += patch @ w[i, j]
    return out


def resize_ref(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """tf.image.resize_bilinear with align_corners=False, half_pixel_centers=False."""
    h, w = x.shape[1:3]
    ys, xs = np.arange(oh) * h / oh, np.arange(ow) * w / ow
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[None, :, None, None], (xs - x0)[None, None, :, None]
    top = x[:, y0][:, :, x0] * (1 - fx) + x[:, y0][:, :, x1] * fx
    bottom = x[:, y1][:, :, x0] * (1 - fx) + x[:, y1][:, :, x1] * fx
    return top * (1 - fy) + bottom * fy


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_conv_bias_relu6_depthwise_add_resize_match_numpy(tmp_path: Path, layout: str) -> None:
    g = GraphWriter()
    g.node("x", "Placeholder", dtype="DT_FLOAT")
    w1 = g.const("w1", RNG.normal(size=(3, 3, 3, 4)).astype(np.float32))
    b1 = g.const("b1", RNG.normal(size=4).astype(np.float32), quant="uint8")
    wd = g.const("wd", RNG.normal(size=(3, 3, 4, 2)).astype(np.float32), quant="uint8")
    w2 = g.const("w2", RNG.normal(size=(1, 1, 4, 8)).astype(np.float32), quant="float16")
    g.const("size", np.array([10, 12], np.int32))
    g.const("shape", np.array([1, -1], np.int32))
    conv = dict(strides=[1, 2, 2, 1], data_format="NHWC", dilations=[1, 1, 1, 1], T="DT_FLOAT")
    g.node("c1", "_FusedConv2D", ["x", "w1", "b1"], padding="SAME", fused_ops=["BiasAdd"], num_args=1, **conv)
    g.node("r", "Relu6", ["c1"])
    g.node("d", "DepthwiseConv2dNative", ["r", "wd"], padding="SAME", **{**conv, "strides": [1, 1, 1, 1]})
    g.node("c2", "Conv2D", ["r", "w2"], padding="VALID", **{**conv, "strides": [1, 1, 1, 1]})
    g.node("a", "AddV2", ["d", "c2"])
    g.node("up", "ResizeBilinear", ["a", "size"], align_corners=False, half_pixel_centers=False)
    g.node("flat", "Reshape", ["a", "shape"])
    model = g.write(tmp_path, {"x": [1, 10, 12, 3]}, ["up", "flat"])

    x = RNG.uniform(-2, 2, size=(1, 10, 12, 3)).astype(np.float32)
    r = np.clip(conv_ref(x, w1, 2, "SAME") + b1, 0, 6)
    a = conv_ref(r, wd, 1, "SAME", depthwise=True) + conv_ref(r, w2, 1, "VALID")
    up, flat = run(model, {"x": x}, layout)
    assert up.shape == (1, 10, 12, 8) and flat.shape == (1, 5 * 6 * 8)
    np.testing.assert_allclose(up, resize_ref(a, 10, 12), atol=1e-4)
    np.testing.assert_allclose(flat, a.reshape(1, -1), atol=1e-4)


def test_hard_swish_rewrite_matches_numpy(tmp_path: Path) -> None:
    g = GraphWriter()
    g.node("x", "Placeholder", dtype="DT_FLOAT")
    g.const("sixth", np.array(1 / 6, np.float32), quant="float16")
    g.const("three", np.array(3.0, np.float32))
    g.node("m", "Mul", ["sixth", "x"])
    g.node("p", "Add", ["x", "three"])
    g.node("r6", "Relu6", ["p"])
    g.node("hs", "Mul", ["m", "r6"])
    g.node("hsig", "Mul", ["r6", "sixth"])
    model = g.write(tmp_path, {"x": [1, 4, 4, 2]}, ["hs", "hsig"])
    assert {n.op for n in fuse_hard_activations(load_graph(model)).nodes} >= {"_HardSwish", "_HardSigmoid"}
    x = RNG.uniform(-5, 5, size=(1, 4, 4, 2)).astype(np.float32)
    hs, hsig = run(model, {"x": x}, fuse=True)
    np.testing.assert_allclose(hs, x * np.clip(x + 3, 0, 6) / 6, atol=1e-5)
    np.testing.assert_allclose(hsig, np.clip(x + 3, 0, 6) / 6, atol=1e-5)


def test_integer_and_slicing_ops_follow_tf_semantics(tmp_path: Path) -> None:
    g = GraphWriter()
    g.node("x", "Placeholder", dtype="DT_FLOAT")
    g.const("k", np.array(3, np.int32))
    g.const("zero", np.array(0, np.int32))
    for name, value in (("b", [0, 1]), ("e", [0, 3]), ("s", [1, 1])):
        g.const(name, np.array(value, np.int32))
    g.node("top", "TopKV2", ["x", "k"], sorted=True)
    g.node("neg", "Sub", ["zero", "top:1"])  # -index: negative integers, computed at run time
    g.node("div", "FloorDiv", ["neg", "k"])
    g.node("mod", "FloorMod", ["neg", "k"])
    g.node("sl", "StridedSlice", ["x", "b", "e", "s"], begin_mask=1, end_mask=1, shrink_axis_mask=0)
    g.node("col", "StridedSlice", ["x", "b", "e", "s"], begin_mask=1, end_mask=3, shrink_axis_mask=2)
    g.node("divf", "Cast", ["div"], SrcT="DT_INT32", DstT="DT_FLOAT")
    g.node("modf", "Cast", ["mod"], SrcT="DT_INT32", DstT="DT_FLOAT")
    model = g.write(tmp_path, {"x": [2, 5]}, ["top", "divf", "modf", "sl", "col"])
    x = RNG.normal(size=(2, 5)).astype(np.float32)
    top, div, mod, sl, col = run(model, {"x": x})
    idx = np.argsort(-x, axis=1)[:, :3]
    np.testing.assert_allclose(top, np.take_along_axis(x, idx, 1))
    np.testing.assert_array_equal(div, np.floor_divide(-idx, 3))
    np.testing.assert_array_equal(mod, np.mod(-idx, 3))
    np.testing.assert_allclose(sl, x[:, 1:3])
    np.testing.assert_allclose(col, x[:, 1])


def test_unsupported_op_is_named(tmp_path: Path) -> None:
    g = GraphWriter()
    g.node("x", "Placeholder", dtype="DT_FLOAT")
    g.node("y", "FancyNewOp", ["x"])
    g.node("z", "Relu", ["y"])
    model = g.write(tmp_path, {"x": [1, 2]}, ["z"])
    with pytest.raises(ModelError, match="FancyNewOp"):
        convert(load_graph(model))


def test_truncated_weights_raise_model_error(tmp_path: Path) -> None:
    g = GraphWriter()
    g.node("x", "Placeholder", dtype="DT_FLOAT")
    g.const("w", np.ones((4, 4), np.float32))
    model = g.write(tmp_path, {"x": [4, 4]}, ["w"])
    (tmp_path / "m.bin").write_bytes(b"\0" * 10)
    with pytest.raises(ModelError, match="too short"):
        load_graph(model)
