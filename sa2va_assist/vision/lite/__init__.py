"""The ``lite`` vision backend: offline, CPU-only, built from models that ship inside pip packages.

One module per capability, each a ``Finder`` (``finder.py``): ``people.py`` (MediaPipe person
detector + selfie segmentation), ``ocr.py`` (PP-OCRv6 via rapidocr). ``phrases.py`` and
``answers.py`` are the pure word rules, ``scene.py`` runs the finders over a request's frames, and
``backend.py`` answers the five tasks. ``load(config)`` builds the models once; importing this package
imports neither mediapipe nor onnxruntime.
"""

from __future__ import annotations

from .backend import LiteBackend
from .finder import Finder, Found
from .loader import load

__all__ = ["Finder", "Found", "LiteBackend", "load"]
