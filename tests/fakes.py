"""Test doubles that are real implementations of our interfaces (never patches of code under test)."""

from __future__ import annotations

import numpy as np

from sa2va_assist.tasks import split_targets
from sa2va_assist.types import GroundedObject, VisionRequest, VisionResult

# Pure colours a synthetic scene is painted with; the fake "model" finds them (within a tolerance).
COLOURS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}


class ColourBackend:
    """A vision backend that segments named pure colours ("the red square") in every frame.

    It answers from the masks it computed, so anything downstream (result files, spatial words, the CLI)
    is exercised on real masks whose right answer the test knows.
    """

    name = "fake"

    def __init__(self) -> None:
        self.requests: list[VisionRequest] = []

    def run(self, request: VisionRequest) -> VisionResult:
        self.requests.append(request)
        objects = []
        for phrase in split_targets(request.text) if request.task == "segment" else []:
            colour = next((c for c in COLOURS if c in phrase), None)
            if colour is None:
                continue
            target = np.array(COLOURS[colour], np.int16)
            # a tolerance, so video compression does not break the colour
            masks = np.stack([np.all(np.abs(f.image - target) < 70, axis=-1) for f in request.frames])
            objects.append(GroundedObject(phrase, masks, label=None, score=1.0))
        found = [o.phrase for o in objects if o.found]
        answer = f"Found {', '.join(found)}." if found else "Nothing found."
        return VisionResult(answer, request.task, self.name, objects, timings_ms={"model_ms": 1.0})


class ScriptedBackend:
    """A vision backend that answers with queued results, in order, and records the requests."""

    name = "scripted"

    def __init__(self, results: list[VisionResult]) -> None:
        self.results = list(results)
        self.requests: list[VisionRequest] = []

    def run(self, request: VisionRequest) -> VisionResult:
        self.requests.append(request)
        return self.results.pop(0)
