"""TF array ops -> ONNX for :mod:`.to_onnx` (reshape, concat, slice, gather, top-k, reductions...), and
numpy folding of nodes whose inputs are all constants (e.g. SparseToDense, which ONNX lacks)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...errors import ModelError
from .tfjs import TfNode
from .to_onnx import TF_DTYPES, TO_NCHW, TO_NHWC, Builder, Handler, Value

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def need_const(node: TfNode, v: Value, what: str) -> np.ndarray:
    if v.const is None:
        raise ModelError(f"{node.op} node {node.name!r}: {what} must be a constant", "")
    return v.const


def _ints(node: TfNode, v: Value, what: str) -> list[int]:
    return [int(i) for i in np.asarray(need_const(node, v, what)).reshape(-1)]


def _reshape(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    if ins[1].const is not None:
        shape, rank = b.i64(ins[1].const, "shape"), int(ins[1].const.size)
    else:
        shape, rank = b.one("Cast", [b.plain(ins[1])], "shape", to=7), None
    return Value(b.one("Reshape", [b.plain(ins[0]), shape], node.name), ins[0].dtype, rank=rank)


def _squeeze(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    axes = node.get_ints("squeeze_dims") or node.get_ints("axis")
    inputs = [b.plain(ins[0])] + ([b.i64(axes, "axes")] if axes else [])
    rank = ins[0].rank - len(axes) if ins[0].rank is not None and axes else None
    return Value(b.one("Squeeze", inputs, node.name), ins[0].dtype, rank=rank)


def _expand_dims(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    axes = b.i64(_ints(node, ins[1], "the axis"), "axes")
    rank = ins[0].rank + 1 if ins[0].rank is not None else None
    return Value(b.one("Unsqueeze", [b.plain(ins[0]), axes], node.name), ins[0].dtype, rank=rank)


def _pack(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    axes = b.i64([node.get_int("axis")], "axes")
    parts = [b.one("Unsqueeze", [b.plain(v), axes], node.name) for v in ins]
    rank = ins[0].rank + 1 if ins[0].rank is not None else None
    return Value(b.one("Concat", parts, node.name, axis=node.get_int("axis")), ins[0].dtype, rank=rank)


def _concat(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    axis = _ints(node, ins[-1], "the axis")[0]
    names, nchw = b.common(ins[:-1])
    if nchw:
        axis = TO_NHWC[axis % 4]
    return Value(b.one("Concat", names, node.name, axis=axis), ins[0].dtype, nchw, None, ins[0].rank)


def _transpose(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    """out = transpose(x, perm); stored NCHW or plain, whichever needs no ONNX Transpose if either."""
    perm = _ints(node, ins[1], "the permutation")
    x = ins[0]
    stored_pos = TO_NHWC if x.nchw else tuple(range(len(perm)))  # TF axis a -> axis of x's ONNX tensor
    options = [(False, tuple(range(len(perm))))] + ([(True, TO_NCHW)] if len(perm) == 4 else [])
    for nchw, out_order in options:
        onnx_perm = [stored_pos[perm[j]] for j in out_order]
        if onnx_perm == sorted(onnx_perm):
            return Value(x.name if x.const is None else b.plain(x), x.dtype, nchw, None, len(perm))
    onnx_perm = [stored_pos[p] for p in perm]
    name = x.name if x.nchw else b.plain(x)
    return Value(b.one("Transpose", [name], node.name, perm=onnx_perm), x.dtype, rank=len(perm))


def _pad(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    pads = np.asarray(need_const(node, ins[1], "the paddings")).reshape(-1, 2)
    nchw = ins[0].nchw and len(pads) == 4
    if nchw:
        pads = pads[list(TO_NCHW)]
    x = ins[0].name if nchw else b.plain(ins[0])
    inputs = [x, b.i64(np.concatenate([pads[:, 0], pads[:, 1]]), "pads")]
    mode = "constant"
    if node.op == "PadV2":
        inputs.append(b.plain(ins[2]))
    elif node.op == "MirrorPad":
        if node.get_str("mode") != "REFLECT":
            raise ModelError(f"MirrorPad {node.name!r}: mode {node.get_str('mode')} is not supported", "")
        mode = "reflect"
    return Value(b.one("Pad", inputs, node.name, mode=mode), ins[0].dtype, nchw, None, len(pads))


REDUCE = {
    "Mean": "ReduceMean",
    "Sum": "ReduceSum",
    "Max": "ReduceMax",
    "Min": "ReduceMin",
    "Prod": "ReduceProd",
}


def _reduce(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    x = ins[0]
    axes = _ints(node, ins[1], "the axes")
    keep = node.get_bool("keep_dims")
    if not axes:
        return x
    nchw = False
    if x.nchw:
        tf_axes = {a % 4 for a in axes}
        kept_stored = [a for a in TO_NCHW if a not in tf_axes]
        if keep or kept_stored == sorted(kept_stored):
            nchw, axes = True, sorted(TO_NHWC[a] for a in tf_axes)
    name = x.name if nchw else b.plain(x)
    rank = None if x.rank is None else (x.rank if keep else x.rank - len(axes))
    if node.op == "Sum":  # ReduceSum takes axes as an input since opset 13
        y = b.one("ReduceSum", [name, b.i64(axes, "axes")], node.name, keepdims=int(keep))
    else:
        y = b.one(REDUCE[node.op], [name], node.name, axes=axes, keepdims=int(keep))
    return Value(y, x.dtype, nchw and keep, None, rank)


def _softmax(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    if ins[0].nchw:
        return Value(b.one("Softmax", [ins[0].name], node.name, axis=1), ins[0].dtype, True, None, 4)
    return Value(b.one("Softmax", [b.plain(ins[0])], node.name, axis=-1), ins[0].dtype, rank=ins[0].rank)


def _topk(b: Builder, node: TfNode, ins: list[Value]) -> list[Value]:
    k = b.i64(_ints(node, ins[1], "k"), "k")
    values, indices = b.emit("TopK", [b.plain(ins[0]), k], node.name, 2, axis=-1, largest=1, sorted=1)
    rank = ins[0].rank
    return [
        Value(values, ins[0].dtype, rank=rank),
        Value(b.one("Cast", [indices], node.name, to=6), 6, rank=rank),
    ]


def _gather(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    if node.get_int("batch_dims"):
        raise ModelError(f"GatherV2 {node.name!r}: batch_dims != 0 is not supported", "")
    axis = _ints(node, ins[2], "the axis")[0] if len(ins) > 2 else 0
    y = b.one("Gather", [b.plain(ins[0]), b.plain(ins[1])], node.name, axis=axis)
    return Value(y, ins[0].dtype)


def _slice(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    begin, size = _ints(node, ins[1], "begin"), _ints(node, ins[2], "size")
    ends = [INT64_MAX if s < 0 else s + st for st, s in zip(begin, size, strict=True)]
    inputs = [b.plain(ins[0]), b.i64(begin, "starts"), b.i64(ends, "ends"), b.i64(range(len(begin)), "axes")]
    return Value(b.one("Slice", inputs, node.name), ins[0].dtype, rank=ins[0].rank)


def _strided_slice(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    begin, end, strides = (_ints(node, v, "begin/end/strides") for v in ins[1:4])
    masks = {k: node.get_int(f"{k}_mask") for k in ("begin", "end", "ellipsis", "new_axis", "shrink_axis")}
    starts: list[int] = []
    ends: list[int] = []
    steps: list[int] = []
    axes: list[int] = []
    squeeze: list[int] = []
    unsqueeze: list[int] = []
    dim = out = 0
    for i, (bg, en, st) in enumerate(zip(begin, end, strides, strict=True)):
        bit = 1 << i
        if masks["ellipsis"] & bit:
            if ins[0].rank is None:
                raise ModelError(f"StridedSlice {node.name!r}: ellipsis on a tensor of unknown rank", "")
            skip = ins[0].rank - sum(1 for j in range(len(begin)) if not (masks["new_axis"] >> j) & 1) + 1
            dim, out = dim + skip, out + skip
            continue
        if masks["new_axis"] & bit:
            unsqueeze.append(out)
            out += 1
            continue
        if masks["shrink_axis"] & bit:
            starts += [bg]
            ends += [INT64_MAX if bg == -1 else bg + 1]
            steps += [1]
            axes += [dim]
            squeeze += [dim]
            dim += 1
            continue
        lo, hi = (0, INT64_MAX) if st > 0 else (INT64_MAX, INT64_MIN)
        starts += [lo if masks["begin"] & bit else bg]
        ends += [hi if masks["end"] & bit else en]
        steps += [st]
        axes += [dim]
        dim, out = dim + 1, out + 1
    y = b.plain(ins[0])
    if axes:
        args = [b.i64(starts, "starts"), b.i64(ends, "ends"), b.i64(axes, "axes"), b.i64(steps, "steps")]
        y = b.one("Slice", [y, *args], node.name)
    if squeeze:
        y = b.one("Squeeze", [y, b.i64(squeeze, "axes")], node.name)
    if unsqueeze:
        y = b.one("Unsqueeze", [y, b.i64(unsqueeze, "axes")], node.name)
    rank = ins[0].rank - len(squeeze) + len(unsqueeze) if ins[0].rank is not None else None
    return Value(y, ins[0].dtype, rank=rank)


def _split(b: Builder, node: TfNode, ins: list[Value]) -> list[Value]:
    if node.op == "SplitV":
        x, sizes, axis = ins[0], _ints(node, ins[1], "size_splits"), _ints(node, ins[2], "split_dim")[0]
        if -1 in sizes:
            raise ModelError(f"SplitV {node.name!r}: a size of -1 is not supported", "")
        count = len(sizes)
    else:  # Split(split_dim, value), num_split equal parts
        x, axis, count, sizes = ins[1], _ints(node, ins[0], "split_dim")[0], node.get_int("num_split"), []
    nchw = x.nchw
    if nchw:
        axis = TO_NHWC[axis % 4]
    inputs = [x.name if nchw else b.plain(x)] + ([b.i64(sizes, "split")] if sizes else [])
    names = b.emit("Split", inputs, node.name, count, axis=axis)
    return [Value(n, x.dtype, nchw, None, x.rank) for n in names]


def _shape(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    dtype = TF_DTYPES.get(node.get_type("out_type", "DT_INT32"), 6)
    y = b.one("Cast", [b.one("Shape", [b.plain(ins[0])], node.name)], node.name, to=dtype)
    return Value(y, dtype, rank=1)


def _tile(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    reps = b.i64(_ints(node, ins[1], "multiples"), "repeats")
    return Value(b.one("Tile", [b.plain(ins[0]), reps], node.name), ins[0].dtype, rank=ins[0].rank)


def _matmul(b: Builder, node: TfNode, ins: list[Value]) -> Value:
    a, c = b.plain(ins[0]), b.plain(ins[1])
    if node.get_bool("transpose_a"):
        a = b.one("Transpose", [a], node.name, perm=[1, 0])
    if node.get_bool("transpose_b"):
        c = b.one("Transpose", [c], node.name, perm=[1, 0])
    return Value(b.one("MatMul", [a, c], node.name), ins[0].dtype, rank=2)


ARRAY_HANDLERS: dict[str, Handler] = {
    "Reshape": _reshape, "Squeeze": _squeeze, "ExpandDims": _expand_dims, "Pack": _pack,
    "ConcatV2": _concat, "Transpose": _transpose, "Pad": _pad, "PadV2": _pad, "MirrorPad": _pad,
    **dict.fromkeys(REDUCE, _reduce), "Softmax": _softmax, "TopKV2": _topk, "GatherV2": _gather,
    "Slice": _slice, "StridedSlice": _strided_slice, "SplitV": _split, "Split": _split,
    "Shape": _shape, "Tile": _tile, "MatMul": _matmul,
    "SparseToDense": lambda b, node, ins: _fold_only(node),
}  # fmt: skip


def _fold_only(node: TfNode) -> Value:
    raise ModelError(f"TF.js op {node.op} (node {node.name!r}) is supported only on constant inputs", "")


def _sparse_to_dense(node: TfNode, c: list[np.ndarray]) -> list[np.ndarray]:
    indices, shape, values, default = c
    dense = np.full(shape.reshape(-1), default, dtype=values.dtype)
    idx = indices.reshape(-1, indices.shape[-1]) if indices.ndim == 2 else indices.reshape(-1, 1)
    if len(idx):
        dense[tuple(idx.T)] = values
    return [dense]


FOLD: dict[str, Callable[[TfNode, list[np.ndarray]], list[np.ndarray]]] = {
    "SparseToDense": _sparse_to_dense,
    "Add": lambda n, c: [np.add(*c)], "AddV2": lambda n, c: [np.add(*c)],
    "Sub": lambda n, c: [np.subtract(*c)], "Mul": lambda n, c: [np.multiply(*c)],
    "FloorDiv": lambda n, c: [np.floor_divide(*c)], "FloorMod": lambda n, c: [np.mod(*c)],
    "Identity": lambda n, c: [c[0]], "Reshape": lambda n, c: [c[0].reshape(c[1].astype(np.int64))],
    "Pack": lambda n, c: [np.stack(c, axis=n.get_int("axis"))],
    "ConcatV2": lambda n, c: [np.concatenate(c[:-1], axis=int(c[-1]))],
    "ExpandDims": lambda n, c: [np.expand_dims(c[0], int(c[1]))],
}  # fmt: skip


def fold(node: TfNode, ins: list[Value]) -> list[np.ndarray] | None:
    """The outputs of ``node`` computed with numpy when all its inputs are constants and numpy can."""
    consts = [v.const for v in ins]
    if node.op not in FOLD or not ins or any(c is None for c in consts):
        return None
    return [np.asarray(a) for a in FOLD[node.op](node, [c for c in consts if c is not None])]
