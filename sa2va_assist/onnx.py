"""Opening ONNX models on the CPU, one way for every model the project runs with onnxruntime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import DependencyError, ModelError


def cpu_session(
    path: str | Path | bytes, threads: int, what: str, fix: str, quiet: bool = False, name: str = ""
) -> Any:
    """An onnxruntime session for the model at ``path`` (or a serialised model, ``name`` saying where
    it came from) with ``threads`` intra-op threads (one inter-op thread, full graph optimisation).
    ``what`` names the model and ``fix`` the remedy in the ModelError raised when it cannot be loaded;
    a missing onnxruntime is a DependencyError. ``quiet``: errors only in onnxruntime's log (some
    exports carry unused initializers it warns about)."""
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise DependencyError("onnxruntime is not installed", "Run: pip install onnxruntime") from err
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # no memory pattern: onnxruntime would keep one planned block per input shape it meets (the
    # detector and OCR see many); without it the detector holds ~40 MB less at the same speed
    options.enable_mem_pattern = False
    if quiet:
        options.log_severity_level = 3
    try:
        model = path if isinstance(path, bytes) else str(path)
        return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own exception types
        where = (name or "(in memory)") if isinstance(path, bytes) else path
        raise ModelError(f"cannot load {what} {where}: {err}", fix) from err
