"""The one interface every vision backend implements.

A backend is built once (weights loaded, sessions created) by its ``load(config)`` factory and then
answers many requests through ``run``. ``run`` never loads models. Results come back as numpy, never
tensors: answer text plus every grounded object with one boolean mask per request frame, in the
request's frame order.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..types import VisionRequest, VisionResult


@runtime_checkable
class VisionBackend(Protocol):
    """Turns a request (frames, task, text) into a result (answer, objects, timings)."""

    name: str

    def run(self, request: VisionRequest) -> VisionResult:
        """Answer ``request``. Raises ``BackendError`` when the model fails, ``ConfigError`` for a
        task this backend cannot do."""
        ...
