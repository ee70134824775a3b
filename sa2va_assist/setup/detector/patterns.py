"""Graph rewrites applied before conversion: MobileNetV3's hard-swish and hard-sigmoid, which TF
exports as four and three elementwise nodes, become one ONNX HardSwish / HardSigmoid each::

    x * 1/6 * Relu6(x + 3)   ->  _HardSwish(x)      (either operand order; 1/6 within 0.1 %)
    1/6 * Relu6(x + 3)       ->  _HardSigmoid(x)

The exported constant is 1/6 rounded to float16 (0.16663); the rewrite uses the exact 1/6 of the
original model. Unmatched graphs are returned unchanged; the replaced nodes stay in the graph and are
dropped by the converter when nothing else uses them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .tfjs import TfjsGraph, TfNode


def _base(ref: str) -> str:
    return ref[:-2] if ref.endswith(":0") else ref


def _const(graph: TfjsGraph, by_name: dict[str, TfNode], ref: str, target: float) -> bool:
    node = by_name.get(_base(ref))
    if node is None or node.op != "Const" or node.name not in graph.weights:
        return False
    value = graph.weights[node.name]
    return (
        value.size == 1
        and value.dtype == np.float32
        and abs(float(value.reshape(-1)[0]) - target) < 1e-3 * target
    )


def _relu6_of_plus3(graph: TfjsGraph, by_name: dict[str, TfNode], ref: str) -> str | None:
    """``x`` when ``ref`` is Relu6(x + 3), else None."""
    relu6 = by_name.get(_base(ref))
    if relu6 is None or relu6.op != "Relu6":
        return None
    add = by_name.get(_base(relu6.inputs[0]))
    if add is None or add.op not in ("Add", "AddV2") or len(add.inputs) != 2:
        return None
    for x, c in (add.inputs, add.inputs[::-1]):
        if _const(graph, by_name, c, 3.0):
            return _base(x)
    return None


def _match(graph: TfjsGraph, by_name: dict[str, TfNode], node: TfNode) -> TfNode | None:
    if node.op != "Mul" or len(node.inputs) != 2:
        return None
    for a, b in (node.inputs, node.inputs[::-1]):
        x = _relu6_of_plus3(graph, by_name, b)
        if x is None:
            continue
        if _const(graph, by_name, a, 1 / 6):
            return replace(node, op="_HardSigmoid", inputs=(x,), attr={})
        scaled = by_name.get(_base(a))
        if scaled is not None and scaled.op == "Mul" and len(scaled.inputs) == 2:
            for y, c in (scaled.inputs, scaled.inputs[::-1]):
                if _base(y) == x and _const(graph, by_name, c, 1 / 6):
                    return replace(node, op="_HardSwish", inputs=(x,), attr={})
    return None


def fuse_hard_activations(graph: TfjsGraph) -> TfjsGraph:
    """A copy of ``graph`` with hard-swish / hard-sigmoid subgraphs replaced (see module doc)."""
    by_name = {n.name: n for n in graph.nodes}
    nodes = [_match(graph, by_name, n) or n for n in graph.nodes]
    return replace(graph, nodes=nodes)
