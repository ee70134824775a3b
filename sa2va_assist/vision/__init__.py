"""Vision backends, chosen by name. Heavy imports happen inside the chosen backend's module, so
importing this package needs neither torch nor onnxruntime."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..config import Config
from ..errors import ConfigError
from .base import VisionBackend

Factory = Callable[[Config], VisionBackend]

# name -> "module:function" building a ready backend from the config; imported only when chosen.
BACKENDS: dict[str, str | Factory] = {
    "lite": "sa2va_assist.vision.lite:load",
    "sa2va": "sa2va_assist.vision.sa2va:load",
}


def register_backend(name: str, factory: Factory) -> None:
    """Add a backend (plugins, test doubles) under ``name``."""
    BACKENDS[name] = factory


def check_backend_name(name: str) -> None:
    """ConfigError listing the valid names unless ``name`` is registered. Imports nothing."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend '{name}'", f"Choose one of: {', '.join(sorted(BACKENDS))}.")


def resolve_factory(name: str) -> Factory:
    """The factory for ``name`` (importing its module); ConfigError for an unknown name."""
    check_backend_name(name)
    target = BACKENDS[name]
    if callable(target):
        return target
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    factory: Factory = getattr(module, attr)
    return factory


def load_backend(config: Config, name: str | None = None, *, eager: bool = False) -> VisionBackend:
    """Build the backend named ``name`` (default ``config.backend``), loading its models once.
    ``eager``: also build what the backend otherwise builds on first use (lite's text models, ~1 s),
    so that no request ever loads (setup, the Python API)."""
    backend = resolve_factory(name or config.backend)(config)
    load_all = getattr(backend, "load_all", None)
    if eager and load_all is not None:
        load_all()
    return backend


__all__ = [
    "BACKENDS",
    "VisionBackend",
    "check_backend_name",
    "load_backend",
    "register_backend",
    "resolve_factory",
]
