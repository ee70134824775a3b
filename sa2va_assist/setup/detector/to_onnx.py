"""TF.js graph model (:class:`~.tfjs.TfjsGraph`) -> ONNX model, with the ``onnx`` package only.

TensorFlow image graphs are NHWC; ONNX convolutions are NCHW. With ``layout="nchw"`` (default) each
value remembers whether its ONNX tensor is the TF tensor or its NCHW transpose (``Value.nchw``): convs,
pools and resizes produce NCHW values, elementwise ops, concats, pads and keep-dims reductions keep
them NCHW, and a Transpose back to TF's layout is inserted (once per value) only where an op needs
TF's own axis order (Reshape, TopK, graph outputs...). ``layout="nhwc"`` wraps every conv in
Transposes instead (slower: kept for comparison). Graph inputs and outputs keep TF's layout and names.
Op handlers live in :mod:`.tf_ops`; an op without one raises :class:`ModelError` naming it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import DependencyError, ModelError
from ...vision.lite.detector.cache import CONVERTER_VERSION  # bump it there when the graph changes
from .tfjs import TfjsGraph, TfNode

OPSET = 17  # onnxruntime >= 1.13 runs it
TO_NCHW = (0, 3, 1, 2)  # NCHW axis j holds TF (NHWC) axis TO_NCHW[j]
TO_NHWC = (0, 2, 3, 1)  # TF axis a sits at NCHW axis TO_NHWC[a]


def onnx_module() -> Any:
    try:
        import onnx
    except ImportError as err:
        raise DependencyError(
            "the 'onnx' package is needed to convert the object detector", "Run: pip install onnx"
        ) from err
    return onnx


TF_DTYPES = {  # TF dtype -> ONNX TensorProto elem type
    "DT_FLOAT": 1, "DT_UINT8": 2, "DT_INT8": 3, "DT_INT32": 6, "DT_INT64": 7,
    "DT_BOOL": 9, "DT_HALF": 10, "DT_DOUBLE": 11,
}  # fmt: skip
NP_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16}


def onnx_dtype(array: np.ndarray) -> int:
    for code, np_type in NP_DTYPES.items():
        if array.dtype == np_type:
            return code
    raise ModelError(f"constant of dtype {array.dtype} cannot be stored in ONNX here", "")


@dataclass
class Value:
    """A TF tensor during conversion: ``name`` is its ONNX tensor, which is the TF tensor transposed by
    ``TO_NCHW`` when ``nchw``; ``const`` holds the TF-layout value when known at conversion time."""

    name: str
    dtype: int  # ONNX elem type
    nchw: bool = False
    const: np.ndarray | None = None
    rank: int | None = None


Handler = Callable[["Builder", TfNode, list[Value]], "Value | list[Value]"]


class Builder:
    """Collects ONNX nodes and initializers; converts values between layouts on demand."""

    def __init__(self, layout: str = "nchw") -> None:
        if layout not in ("nchw", "nhwc"):
            raise ValueError(f"layout must be 'nchw' or 'nhwc', not {layout!r}")
        self.layout = layout
        self.helper = onnx_module().helper
        self.nodes: list[Any] = []
        self.inits: dict[str, Any] = {}
        self._layout_cache: dict[tuple[str, str], str] = {}
        self._count = itertools.count()

    def fresh(self, hint: str) -> str:
        return f"{hint}__{next(self._count)}"

    def init(self, array: np.ndarray, hint: str = "const") -> str:
        """An initializer holding ``array``; returns its name."""
        name = self.fresh(hint)
        self.inits[name] = onnx_module().numpy_helper.from_array(np.ascontiguousarray(array), name)
        return name

    def i64(self, values: Sequence[int] | np.ndarray, hint: str = "ints") -> str:
        return self.init(np.asarray(values, dtype=np.int64).reshape(-1), hint)

    def emit(self, op: str, inputs: Sequence[str], hint: str, outputs: int = 1, **attrs: Any) -> list[str]:
        names = [self.fresh(hint) for _ in range(outputs)]
        self.nodes.append(self.helper.make_node(op, list(inputs), names, name=names[0], **attrs))
        return names

    def one(self, op: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        return self.emit(op, inputs, hint, 1, **attrs)[0]

    def plain(self, v: Value) -> str:
        """ONNX name of ``v`` in TF's own layout (materialises constants, transposes NCHW values)."""
        if v.const is not None and not v.nchw:
            if v.name not in self.inits:
                self.inits[v.name] = onnx_module().numpy_helper.from_array(
                    np.ascontiguousarray(v.const), v.name
                )
            return v.name
        if not v.nchw:
            return v.name
        key = (v.name, "nhwc")
        if key not in self._layout_cache:
            self._layout_cache[key] = self.one("Transpose", [v.name], v.name + "_nhwc", perm=list(TO_NHWC))
        return self._layout_cache[key]

    def nchw(self, v: Value) -> str:
        """ONNX name of the 4-D value ``v`` in NCHW layout."""
        if v.nchw:
            return v.name
        if v.const is not None:
            return self.init(self.lift(v.const), v.name + "_nchw")
        key = (v.name, "nchw")
        if key not in self._layout_cache:
            self._layout_cache[key] = self.one("Transpose", [v.name], v.name + "_nchw", perm=list(TO_NCHW))
        return self._layout_cache[key]

    @staticmethod
    def lift(array: np.ndarray) -> np.ndarray:
        """A constant of rank <= 4 broadcast against NHWC tensors, rearranged to broadcast against the
        NCHW transposes of those tensors (scalars stay scalars)."""
        if array.ndim == 0:
            return array
        return array.reshape((1,) * (4 - array.ndim) + array.shape).transpose(TO_NCHW)

    def common(self, values: Sequence[Value]) -> tuple[list[str], bool]:
        """Names of ``values`` in one shared layout for an elementwise op, and whether it is NCHW:
        NCHW when some input is NCHW and every other one is NCHW or a constant of rank <= 4."""
        nchw = any(v.nchw for v in values) and all(
            v.nchw or (v.const is not None and v.const.ndim <= 4) for v in values
        )
        if nchw:
            return [self.nchw(v) for v in values], True
        return [self.plain(v) for v in values], False

    def out(self, name: str, dtype: int, nchw: bool = False, rank: int | None = None) -> Value:
        """The Value of a new ONNX tensor; in ``nhwc`` mode NCHW results go straight back to NHWC."""
        if nchw and self.layout == "nhwc":
            return Value(
                self.one("Transpose", [name], name + "_nhwc", perm=list(TO_NHWC)), dtype, False, None, 4
            )
        return Value(name, dtype, nchw, None, 4 if nchw else rank)


def _needed(graph: TfjsGraph, outputs: Sequence[str]) -> list[TfNode]:
    """The nodes the ``outputs`` depend on, each after its inputs (iterative depth-first order)."""
    by_name = {n.name: n for n in graph.nodes}
    order: list[TfNode] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done
    for out in outputs:
        stack: list[tuple[str, bool]] = [(out, False)]
        while stack:
            name, expanded = stack.pop()
            if expanded:
                state[name] = 2
                order.append(by_name[name])
                continue
            if state.get(name):
                if state[name] == 1:
                    raise ModelError(f"TF.js graph has a cycle through {name!r}", "")
                continue
            if name not in by_name:
                raise ModelError(f"TF.js graph refers to a missing node {name!r}", "")
            state[name] = 1
            stack.append((name, True))
            stack.extend((i.split(":")[0], False) for i in reversed(by_name[name].inputs))
    return order


def convert(
    graph: TfjsGraph, outputs: Sequence[str] | None = None, layout: str = "nchw", doc: str = ""
) -> Any:
    """An ``onnx.ModelProto`` computing ``outputs`` (TF node names; default: the signature's) of
    ``graph``; inputs and outputs keep their TF names, shapes, dtypes and layouts. Checked with
    ``onnx.checker`` (full check, shape inference included) before it is returned."""
    from .tf_ops import HANDLERS, fold

    onnx = onnx_module()
    out_names = list(outputs) if outputs else [o.name for o in graph.outputs]
    nodes = _needed(graph, out_names)
    missing = sorted({n.op for n in nodes if n.op not in HANDLERS and n.op not in ("Placeholder", "Const")})
    if missing:
        raise ModelError(
            f"TF.js op(s) not supported by the ONNX converter: {', '.join(missing)}",
            "add a handler for them in sa2va_assist/setup/detector/tf_ops.py",
        )
    b = Builder(layout)
    values: dict[str, Value] = {}
    graph_inputs = []
    specs = {s.name: s for s in graph.inputs}
    for node in nodes:
        if node.op == "Placeholder":
            spec = specs.get(node.name)
            shape = spec.shape if spec and spec.shape is not None else None
            dtype = TF_DTYPES.get(node.get_type("dtype"), 1)
            dims = [d if d >= 0 else f"d{i}" for i, d in enumerate(shape)] if shape is not None else None
            graph_inputs.append(onnx.helper.make_tensor_value_info(node.name, dtype, dims))
            values[node.name + ":0"] = Value(node.name, dtype, rank=len(shape) if shape else None)
            continue
        if node.op == "Const":
            if node.name not in graph.weights:
                raise ModelError(f"TF.js constant {node.name!r} has no weight in the manifest", "")
            array = graph.weights[node.name]
            values[node.name + ":0"] = Value(node.name, onnx_dtype(array), const=array, rank=array.ndim)
            continue
        ins = [values[i if ":" in i else i + ":0"] for i in node.inputs]
        folded = fold(node, ins)
        if folded is not None:
            results: list[Value] = [
                Value(b.fresh(node.name), onnx_dtype(a), const=a, rank=a.ndim) for a in folded
            ]
        else:
            result = HANDLERS[node.op](b, node, ins)
            results = result if isinstance(result, list) else [result]
        for k, v in enumerate(results):
            values[f"{node.name}:{k}"] = v
    graph_outputs = []
    for name in out_names:
        v = values[name if ":" in name else name + ":0"]
        b.nodes.append(onnx.helper.make_node("Identity", [b.plain(v)], [name], name=name + "_out"))
        graph_outputs.append(onnx.helper.make_tensor_value_info(name, v.dtype, None))
    onnx_graph = onnx.helper.make_graph(
        b.nodes, "tfjs_graph", graph_inputs, graph_outputs, list(b.inits.values())
    )
    model = onnx.helper.make_model(
        onnx_graph,
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        producer_name="sa2va-assist tfjs2onnx",
    )
    model.ir_version = 8  # what opset 17 needs; older onnxruntime builds refuse newer IR versions
    model.doc_string = doc
    onnx.helper.set_model_props(model, {"converter_version": CONVERTER_VERSION, **graph.meta})
    try:  # give the outputs the shapes that inference finds (the checker wants one on each)
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        shapes = {vi.name: vi for vi in [*inferred.graph.value_info, *inferred.graph.output]}
        for out in model.graph.output:
            if out.name in shapes:
                out.type.CopyFrom(shapes[out.name].type)
            elif not out.type.tensor_type.HasField("shape"):
                out.type.tensor_type.shape.SetInParent()  # rank unknown
        onnx.checker.check_model(model, full_check=True)
    except Exception as err:  # onnx raises ValidationError / InferenceError
        raise ModelError(f"the converted ONNX model is invalid: {err}", "report this converter bug") from err
    return model
