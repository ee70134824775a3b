"""``load(config)``: build the lite backend's models once. The heavy packages (rapidocr,
mediapipe) are imported here and nowhere at module import time, so choosing another backend never
needs them.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ...config import Config
from ...errors import DependencyError, ModelError
from .backend import LiteBackend
from .objects import ObjectFinder
from .ocr import TextReader, TextRegion

log = logging.getLogger(__name__)
_PIP = {
    "rapidocr": "rapidocr==3.10.0 onnxruntime",
    "onnxruntime": "onnxruntime",
    "mediapipe": "mediapipe==0.10.21",
    "symspellpy": "symspellpy==6.10.1",
}


def load(config: Config) -> LiteBackend:
    """The ready ``LiteBackend``: MediaPipe graphs and the object detector built once; the PP-OCRv6
    text models (rapidocr: about 1 s of a 2 s start) are built on the first request that reads text,
    or by ``LazyReader.load()`` (setup and the warm-up of long-running commands do that).

    Raises ``DependencyError`` when a package (or a system library it loads) is missing, naming the
    install command, and ``ModelError`` when a shipped model cannot be built.
    """
    from .people import load_person_finder

    try:
        people = load_person_finder(config.lite)
    except ImportError as err:
        raise _missing("mediapipe", "finding people", err) from err
    except Exception as err:
        raise _broken("MediaPipe person models", _PIP["mediapipe"], err) from err
    return LiteBackend(people, LazyReader(config), config, objects=_load_objects(config, people))


class LazyReader:
    """A ``TextReader`` built when it is first needed: a question about where a person is never pays
    for the text models. ``load()`` builds it now (and raises what building raises)."""

    labels = frozenset({"text"})

    def __init__(self, config: Config) -> None:
        self.config = config
        self._reader: TextReader | None = None

    @property
    def loaded(self) -> bool:
        return self._reader is not None

    def load(self) -> TextReader:
        if self._reader is None:
            from .ocr import load_reader

            try:
                self._reader = load_reader(self.config.lite)
            except ImportError as err:
                raise _missing("rapidocr", "reading text", err) from err
            except Exception as err:
                raise _broken("PP-OCRv6 text models (rapidocr)", _PIP["rapidocr"], err) from err
        return self._reader

    def read(self, image: np.ndarray, frame: int = 0) -> list[TextRegion]:
        return self.load().read(image, frame)

    def read_counted(self, image: np.ndarray, frame: int = 0) -> tuple[list[TextRegion], int]:
        return self.load().read_counted(image, frame)


def _load_objects(config: Config, people: Any) -> ObjectFinder | None:
    """The 80-class object finder, or None (people and text only) when setup has not prepared the
    detector yet: the backend still answers, and logs a warning once saying how to get everyday objects."""
    from .detector import load_detector
    from .masks import load_box_masker

    try:
        detector = load_detector(threads=config.lite.threads)
    except ModelError as err:
        log.warning("%s Until then only people and text are recognised.", err.one_line())
        return None
    lite = config.lite
    return ObjectFinder(detector, load_box_masker(lite, people), lite.detect_threshold, lite.scan_threshold)


def _missing(package: str, purpose: str, err: ImportError) -> DependencyError:
    """A missing package -> pip hint; a package present but failing to import (a missing system
    library such as libGL) -> the setup command that installs those."""
    name = (err.name or "").split(".")[0]
    if isinstance(err, ModuleNotFoundError) and name in _PIP:
        return DependencyError(
            f"the lite backend needs {name} for {purpose}, and it is not installed",
            f"Install it: pip install {_PIP[name]}",
        )
    return DependencyError(
        f"{package} is installed but cannot be imported ({err})",
        "Install the system libraries it needs with `sa2va-assist setup` (libgl1, libglib2.0-0), "
        f"or reinstall it: pip install --force-reinstall {_PIP[package]}",
    )


def _broken(what: str, pip_spec: str, err: Exception) -> ModelError:
    return ModelError(
        f"could not build the {what}: {type(err).__name__}: {err}",
        f"The models ship inside the package; reinstall it: pip install --force-reinstall {pip_spec}",
    )
