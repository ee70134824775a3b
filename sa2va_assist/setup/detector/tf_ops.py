"""TF op -> ONNX handlers for :mod:`.to_onnx`: convolutions, pooling, resizing and elementwise ops.

Each handler takes the :class:`~.to_onnx.Builder`, the TF node and its input Values and returns the
output Value(s) (output k of the node is TF tensor ``name:k``). Shape-like inputs (axes, sizes, perms,
paddings, k) must be constants. Array ops (reshape, slice, gather...) are in :mod:`.tf_array_ops`.
"""

from __future__ import annotations

import numpy as np

from ...errors import ModelError
from .tf_array_ops import ARRAY_HANDLERS, fold, need_const
from .tfjs import TfNode
from .to_onnx import TF_DTYPES, Builder, Handler, Value

__all__ = ["HANDLERS", "fold"]
BOOL = 9


def _spatial(node: TfNode, key: str, nhwc: bool) -> list[int]:
    values = node.get_ints(key) or [1, 1, 1, 1]
    return [values[1], values[2]] if nhwc else [values[2], values[3]]


def _pads(node: TfNode, nhwc: bool) -> dict[str, object]:
    padding = node.get_str("padding", "VALID")
    if padding == "SAME":
        return {"auto_pad": "SAME_UPPER"}  # TF SAME: total = needed, the odd pixel at the end
    if padding == "VALID":
        return {"pads": [0, 0, 0, 0]}
    if padding == "EXPLICIT":
        ep = node.get_ints("explicit_paddings")
        h, w = (1, 2) if nhwc else (2, 3)
        return {"pads": [ep[2 * h], ep[2 * w], ep[2 * h + 1], ep[2 * w + 1]]}
    raise ModelError(f"{node.op} node {node.name!r}: padding {padding!r} is not supported", "")


def activation(b: Builder, node: TfNode, op: str, x: str, extra: list[Value]) -> str:
    """Apply a fused activation to the NCHW ONNX tensor ``x``."""
    if op in ("Relu", "Sigmoid", "Tanh", "Elu"):
        return b.one(op, [x], node.name)
    if op == "Relu6":
        lo, hi = b.init(np.array(0, np.float32), "zero"), b.init(np.array(6, np.float32), "six")
        return b.one("Clip", [x, lo, hi], node.name)
    if op == "LeakyRelu":
        return b.one("LeakyRelu", [x], node.name, alpha=node.get_float("leakyrelu_alpha", 0.2))
    if op == "Prelu" and extra:
        alpha = need_const(node, extra[0], "Prelu alpha")
        return b.one("PRelu", [x, b.init(b.lift(alpha).astype(np.float32), "alpha")], node.name)
    raise ModelError(f"TF.js op {node.op} with fused op {op!r} (node {node.name!r}) is not supported", "")


def _conv(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    nhwc = node.get_str("data_format", "NHWC") == "NHWC"
    kernel = need_const(node, ins[1], "the filter").astype(np.float32)
    kh, kw = kernel.shape[:2]
    if "Depthwise" in node.op:  # [kh, kw, in, mult] -> [in * mult, 1, kh, kw], one group per input
        group = kernel.shape[2]
        weight = kernel.reshape(kh, kw, -1).transpose(2, 0, 1)[:, None]
    else:  # [kh, kw, in, out] -> [out, in, kh, kw]
        group, weight = 1, kernel.transpose(3, 2, 0, 1)
    fused = node.get_strs("fused_ops") if node.op.startswith(("_Fused", "Fused")) else []
    extra = list(ins[2:])
    bias = None
    if fused[:1] == ["BiasAdd"]:
        bias, fused, extra = need_const(node, extra[0], "the bias").astype(np.float32), fused[1:], extra[1:]
    elif fused[:1] == ["FusedBatchNorm"]:  # fold y = (conv - mean) * scale / sqrt(var + eps) + offset
        scale, offset, mean, var = (need_const(node, v, "batch norm").astype(np.float32) for v in extra[:4])
        factor = scale / np.sqrt(var + np.float32(node.get_float("epsilon", 1e-3)))
        weight = weight * factor[:, None, None, None]
        bias, fused, extra = offset - mean * factor, fused[1:], extra[4:]
    inputs = [b.nchw(ins[0]) if nhwc else b.plain(ins[0]), b.init(weight.astype(np.float32), "w")]
    if bias is not None:
        inputs.append(b.init(bias, "b"))
    y = b.one(
        "Conv",
        inputs,
        node.name,
        kernel_shape=[kh, kw],
        strides=_spatial(node, "strides", nhwc),
        dilations=_spatial(node, "dilations", nhwc),
        group=group,
        **_pads(node, nhwc),
    )
    for op in fused:
        y = activation(b, node, op, y, extra)
    return b.out(y, 1, nchw=nhwc) if nhwc else Value(y, 1, rank=4)


def _pool(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    nhwc = node.get_str("data_format", "NHWC") == "NHWC"
    attrs: dict[str, object] = {
        "kernel_shape": _spatial(node, "ksize", nhwc),
        "strides": _spatial(node, "strides", nhwc),
    }
    if node.op == "AvgPool":
        attrs["count_include_pad"] = 0  # TF averages over the valid pixels only
    x = b.nchw(ins[0]) if nhwc else b.plain(ins[0])
    y = b.one(
        "MaxPool" if node.op == "MaxPool" else "AveragePool", [x], node.name, **attrs, **_pads(node, nhwc)
    )
    return b.out(y, ins[0].dtype, nchw=nhwc) if nhwc else Value(y, ins[0].dtype, rank=4)


def _resize(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    """ResizeBilinear / ResizeNearestNeighbor on NHWC ``images`` to ``size`` = [new_h, new_w]."""
    size = need_const(node, ins[1], "the size")
    x = b.nchw(ins[0])
    head = b.one("Slice", [b.one("Shape", [x], "shape"), b.i64([0]), b.i64([2])], "nc")
    sizes = b.one("Concat", [head, b.i64(size)], "sizes", axis=0)
    align, half = node.get_bool("align_corners"), node.get_bool("half_pixel_centers")
    bilinear = node.op == "ResizeBilinear"
    if align:
        mode = "align_corners"
    elif half:
        mode = "half_pixel" if bilinear else "tf_half_pixel_for_nn"
    else:
        mode = "asymmetric"
    attrs = {"mode": "linear" if bilinear else "nearest", "coordinate_transformation_mode": mode}
    if not bilinear:
        attrs["nearest_mode"] = "round_prefer_ceil" if align else "floor"
    y = b.one("Resize", [x, "", "", sizes], node.name, **attrs)
    return b.out(y, 1, nchw=True)


UNARY = {
    "Relu": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Elu": "Elu", "Selu": "Selu", "Exp": "Exp",
    "Log": "Log", "Sqrt": "Sqrt", "Neg": "Neg", "Abs": "Abs", "Floor": "Floor", "Ceil": "Ceil",
    "Round": "Round", "Reciprocal": "Reciprocal", "Softplus": "Softplus", "Sign": "Sign",
    "LogicalNot": "Not", "Erf": "Erf",
}  # fmt: skip
BINARY = {
    "Add": "Add", "AddV2": "Add", "BiasAdd": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div",
    "Div": "Div", "Maximum": "Max", "Minimum": "Min", "Pow": "Pow", "Equal": "Equal",
    "NotEqual": "Equal", "Greater": "Greater", "GreaterEqual": "GreaterOrEqual", "Less": "Less",
    "LessEqual": "LessOrEqual", "LogicalAnd": "And", "LogicalOr": "Or",
}  # fmt: skip
COMPARISONS = {"Equal", "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd", "LogicalOr"}


def _same_layout(b: Builder, v: Value) -> tuple[str, bool]:
    return (v.name, True) if v.nchw else (b.plain(v), False)


def _unary(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    x, nchw = _same_layout(b, ins[0])
    op = node.op
    if op == "Relu6":
        y = activation(b, node, "Relu6", x, [])
    elif op == "LeakyRelu":
        y = b.one("LeakyRelu", [x], node.name, alpha=node.get_float("alpha", 0.2))
    elif op == "Rsqrt":
        y = b.one("Reciprocal", [b.one("Sqrt", [x], node.name)], node.name)
    elif op == "_HardSwish":
        y = b.one("HardSwish", [x], node.name)
    elif op == "_HardSigmoid":
        y = b.one("HardSigmoid", [x], node.name, alpha=1 / 6, beta=0.5)
    elif op == "Square":
        y = b.one("Mul", [x, x], node.name)
    elif op == "Cast":
        dst = TF_DTYPES.get(node.get_type("DstT"))
        if dst is None:
            raise ModelError(f"Cast node {node.name!r}: target type {node.get_type('DstT')} unsupported", "")
        return Value(b.one("Cast", [x], node.name, to=dst), dst, nchw, None, ins[0].rank)
    else:
        y = b.one(UNARY[op], [x], node.name)
    return Value(y, ins[0].dtype, nchw, None, ins[0].rank)


def _binary(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    if node.op == "BiasAdd" and node.get_str("data_format", "NHWC") == "NCHW":
        bias = need_const(node, ins[1], "the bias")
        ins = [ins[0], Value(node.name + "_bias", ins[1].dtype, const=bias.reshape(-1, 1, 1), rank=3)]
    names, nchw = b.common(ins)
    ranks = [v.rank for v in ins]
    rank = max(r for r in ranks if r is not None) if all(r is not None for r in ranks) else None
    dtype = BOOL if node.op in COMPARISONS else ins[0].dtype
    a, c = names
    op = node.op
    if op == "SquaredDifference":
        d = b.one("Sub", [a, c], node.name)
        y = b.one("Mul", [d, d], node.name)
    elif op == "FloorDiv" and ins[0].dtype == 1:
        y = b.one("Floor", [b.one("Div", [a, c], node.name)], node.name)
    elif op == "FloorDiv":  # exact for integers: (a - floormod(a, c)) / c
        y = b.one(
            "Div", [b.one("Sub", [a, b.one("Mod", [a, c], node.name, fmod=0)], node.name), c], node.name
        )
    elif op == "FloorMod" and ins[0].dtype == 1:
        q = b.one("Floor", [b.one("Div", [a, c], node.name)], node.name)
        y = b.one("Sub", [a, b.one("Mul", [q, c], node.name)], node.name)
    elif op == "FloorMod":
        y = b.one("Mod", [a, c], node.name, fmod=0)
    else:
        y = b.one(BINARY[op], [a, c], node.name)
        if op == "NotEqual":
            y = b.one("Not", [y], node.name)
    return Value(y, dtype, nchw, None, rank)


def _identity(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    return ins[0]


HANDLERS: dict[str, Handler] = {
    **{op: _conv for op in ("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative")},
    **{op: _pool for op in ("MaxPool", "AvgPool")},
    **{op: _resize for op in ("ResizeBilinear", "ResizeNearestNeighbor")},
    **{
        op: _unary
        for op in (*UNARY, "Relu6", "LeakyRelu", "Rsqrt", "Square", "Cast", "_HardSwish", "_HardSigmoid")
    },
    **{op: _binary for op in (*BINARY, "SquaredDifference", "FloorDiv", "FloorMod")},
    **{op: _identity for op in ("Identity", "StopGradient", "Snapshot")},
    **ARRAY_HANDLERS,
}
