"""The one interface every vision backend implements.

A backend is built once (weights loaded, sessions created) by its ``load(config)`` factory and then
answers many requests through ``run``. ``run`` never loads models.

The request carries the user's words and, when the caller understood them (the agent, ``ask``), the
structured targets (``types.Target``: class, plural, everything); a backend uses the targets when
there are any and reads the words only otherwise, or for what only language says (Sa2VA's prompt).
Results come back as numpy, never tensors: every grounded object with one boolean mask per request
frame, in the request's frame order, its class ``label`` when the backend knows it and its ``score``
when it has one; text lines; alternatives when a reference was ambiguous. ``answer`` is the
backend's own words where it has some to add (a model's reply to an open question); it may be ""
when the objects are the answer: ``compose`` words them, the same way for every backend.

Optional: ``quick_scan`` (bool) says a scan of everything costs little next to a look, so the agent's
``hazard_scan: auto`` turns the scan on.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..types import VisionRequest, VisionResult


@runtime_checkable
class VisionBackend(Protocol):
    """Turns a request (frames, task, words, targets) into a result (objects, text lines, the
    backend's own words, timings)."""

    name: str

    def run(self, request: VisionRequest) -> VisionResult:
        """Answer ``request``. Raises ``BackendError`` when the model fails, ``ConfigError`` for a
        task this backend cannot do."""
        ...
