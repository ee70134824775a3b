"""sa2va-assist: grounded answers about your surroundings, spoken as positions people can act on.

    import sa2va_assist
    assistant = sa2va_assist.load("lite")                      # load once ...
    result = assistant.ask("photo.jpg", "where is the person?")  # ... ask many times
    stt = sa2va_assist.load_stt("base")
    transcript = stt.transcribe(samples)                       # float32 mono 16 kHz -> Transcript

Importing the package is fast and imports neither torch, cv2, onnxruntime nor whisper: every public
name except the errors and ``__version__`` is imported on first use (module ``__getattr__``), and the
heavy packages only when a model is loaded. Errors (see ``errors``)::

    AssistError ── InputError, ConfigError, DependencyError, ModelError, BackendError
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import AssistError, BackendError, ConfigError, DependencyError, InputError, ModelError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import Assistant, load
    from .audio.stt import Transcript, load_stt
    from .config import Config, load_config
    from .types import VisionResult

# public name -> the module it lives in, imported on first access
_LAZY = {
    "Assistant": "sa2va_assist.api",
    "load": "sa2va_assist.api",
    "Transcript": "sa2va_assist.audio.stt",
    "load_stt": "sa2va_assist.audio.stt",
    "Config": "sa2va_assist.config",
    "load_config": "sa2va_assist.config",
    "VisionResult": "sa2va_assist.types",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "AssistError",
    "Assistant",
    "BackendError",
    "Config",
    "ConfigError",
    "DependencyError",
    "InputError",
    "ModelError",
    "Transcript",
    "VisionResult",
    "__version__",
    "load",
    "load_config",
    "load_stt",
]
