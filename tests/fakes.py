"""Test doubles that are real implementations of our interfaces (never patches of code under test)."""

from __future__ import annotations

import numpy as np

from sa2va_assist.tasks import phrase_of, understood
from sa2va_assist.types import EVERYTHING, GroundedObject, VisionRequest, VisionResult

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
        targets = understood(request).targets if request.task == "segment" else ()
        for phrase in [phrase_of(t) for t in targets]:
            colour = next((c for c in COLOURS if c in phrase), None)
            if colour is None:
                continue
            target = np.array(COLOURS[colour], np.int16)
            # a tolerance, so video compression does not break the colour
            masks = np.stack([np.all(np.abs(f.image - target) < 70, axis=-1) for f in request.frames])
            objects.append(GroundedObject(phrase, masks, label=None, score=1.0))
        # facts only: the objects are the answer (compose words them, as for every backend)
        return VisionResult("", request.task, self.name, objects, timings_ms={"model_ms": 1.0})


class ScriptedBackend:
    """A vision backend that answers with queued results, in order, and records the requests."""

    name = "scripted"

    def __init__(self, results: list[VisionResult]) -> None:
        self.results = list(results)
        self.requests: list[VisionRequest] = []

    def run(self, request: VisionRequest) -> VisionResult:
        self.requests.append(request)
        return self.results.pop(0)


# --- a painted world for the agent: classes are colours, instances are connected blobs ---------------

PAINT = {"cup": (220, 30, 30), "person": (30, 200, 30), "car": (30, 30, 220), "chair": (220, 220, 30)}
_SAY_PLURAL = {"cup": "cups", "person": "people", "car": "cars", "chair": "chairs"}


def painted(
    boxes: list[tuple[str, tuple[int, int, int, int]]], size: tuple[int, int] = (640, 480)
) -> np.ndarray:
    """A grey (H, W, 3) frame with one filled rectangle per (class, (x0, y0, x1, y1))."""
    image = np.full((size[1], size[0], 3), 128, np.uint8)
    for label, (x0, y0, x1, y1) in boxes:
        image[y0:y1, x0:x1] = PAINT[label]
    return image


def _blobs(image: np.ndarray, label: str) -> list[np.ndarray]:
    import cv2

    hit = np.all(np.abs(image.astype(np.int16) - np.array(PAINT[label], np.int16)) < 40, axis=-1)
    n, comp = cv2.connectedComponents(hit.astype(np.uint8))
    blobs = [comp == i for i in range(1, n)]
    return sorted(blobs, key=lambda m: -int(m.sum()))


class PaintedBackend:
    """A vision backend over ``painted`` frames: finds each class by its colour, instances as blobs,
    follows them across frames by nearest centroid, counts, reads given text, asks back (through
    ``alternatives``) when a singular phrase fits several blobs of similar size."""

    name = "painted"

    def __init__(
        self, text: tuple[str, ...] = (), fail: bool = False, score: float = 0.9, strict_plural: bool = False
    ) -> None:
        self.text = text
        self.fail = fail
        self.score = score
        # like the lite detector with a weak detection: a plural phrase ("dogs") finds nothing, the
        # singular ("the dog") still finds the best one
        self.strict_plural = strict_plural
        self.requests: list[VisionRequest] = []

    def _label(self, phrase: str) -> tuple[str | None, bool]:
        for label, many in _SAY_PLURAL.items():
            if many in phrase or (label == "person" and "people" in phrase):
                return label, True
            if label in phrase or (label == "cup" and "mug" in phrase):
                return label, phrase.startswith("all ")
        return None, False

    def _track(self, frames: tuple, blob: np.ndarray, label: str) -> np.ndarray:
        """(n, H, W): the blob in the last frame, and the nearest blob of its class in each earlier one."""
        out = np.zeros((len(frames), *blob.shape), bool)
        ys, xs = np.nonzero(blob)
        centre = np.array([xs.mean(), ys.mean()])
        for i, frame in enumerate(frames):
            cands = _blobs(frame.image, label)
            if cands:
                dist = [
                    np.linalg.norm(np.array([np.nonzero(c)[1].mean(), np.nonzero(c)[0].mean()]) - centre)
                    for c in cands
                ]
                out[i] = cands[int(np.argmin(dist))]
        return out

    def run(self, request: VisionRequest) -> VisionResult:
        from sa2va_assist.errors import BackendError

        self.requests.append(request)
        if self.fail:
            raise BackendError("the painted model failed", "Try again.")
        last = request.frames[-1].image
        objects: list[GroundedObject] = []
        alternatives: list[GroundedObject] = []
        if request.task in ("segment", "gcg"):
            targets = (EVERYTHING,) if request.task == "gcg" else understood(request).targets
            for target in targets:  # the class when the request says it, else read from its words
                phrase = phrase_of(target)
                labels: list[str | None]
                if target.everything:
                    labels, many = list(PAINT), True
                elif target.label in PAINT:
                    labels, many = [target.label], target.plural
                else:
                    label_, many = self._label(phrase)
                    labels = [label_]
                for label in [x for x in labels if x]:
                    blobs = _blobs(last, label)
                    chosen = blobs if many else blobs[:1]
                    if many and self.strict_plural and "everything" not in phrase:
                        chosen = []
                    objects += [
                        GroundedObject(phrase, self._track(request.frames, b, label), label, self.score)
                        for b in chosen
                    ]
                    similar = [b for b in blobs if b.sum() >= 0.6 * blobs[0].sum()] if blobs else []
                    if not many and len(similar) > 1:
                        alternatives += [
                            GroundedObject(phrase, self._track(request.frames, b, label), label, 0.9)
                            for b in similar
                        ]
            answer = f"Found {len(objects)}." if objects else "I don't see that."
            if request.task == "gcg":
                counts = {lab: len(_blobs(last, lab)) for lab in PAINT}
                answer = (
                    " ".join(
                        f"{n} {lab if n == 1 else _SAY_PLURAL[lab]}." for lab, n in counts.items() if n
                    ).capitalize()
                    or "Nothing here."
                )
        elif request.task == "read":
            answer = " ".join(f'"{t}"' for t in self.text) or "I don't see any legible text."
        else:  # ask: counts and presence
            asked, _ = self._label(request.text.lower())
            n = len(_blobs(last, asked)) if asked else 0
            if asked is None:
                answer = "I can't tell."
            elif "how many" in request.text.lower():
                answer = f"{n} {asked if n == 1 else _SAY_PLURAL[asked]}."
            else:
                answer = (
                    f"Yes, {n} {asked if n == 1 else _SAY_PLURAL[asked]}."
                    if n
                    else f"No, I don't see a {asked}."
                )
        return VisionResult(
            answer, request.task, self.name, objects, alternatives=alternatives, timings_ms={"model_ms": 1.0}
        )


class LabelFreeBackend:
    """A backend that, like Sa2VA, names what it found in words and gives no class labels or scores:
    the painted world's objects, each called "a cup", "a car" (as a grounded caption would)."""

    name = "label-free"

    def __init__(self, inner: PaintedBackend) -> None:
        self.inner = inner
        self.requests = inner.requests

    def run(self, request: VisionRequest) -> VisionResult:
        result = self.inner.run(request)

        def unlabelled(objects: list[GroundedObject]) -> list[GroundedObject]:
            return [GroundedObject(f"a {o.label}", o.masks) for o in objects]

        result.objects = unlabelled(result.objects)
        result.alternatives = unlabelled(result.alternatives)
        result.backend = self.name
        return result


class FrameList:
    """A frame source over frames the test sets (``frames`` may be replaced between turns)."""

    name, live = "test frames", True

    def __init__(self, *images: np.ndarray) -> None:
        from sa2va_assist.types import Frame

        self.frames = [Frame(im, i, f"{i:05d}") for i, im in enumerate(images)]

    def show(self, *images: np.ndarray) -> None:
        from sa2va_assist.types import Frame

        self.frames = [Frame(im, i, f"{i:05d}") for i, im in enumerate(images)]

    def latest(self, max_frames: int = 1) -> tuple:
        return tuple(self.frames[-max_frames:])


class RecordingSpeaker:
    """A speaker that records what it was asked to say and when it was stopped."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.stops = 0
        self.rate: int | None = None

    def say(self, text: str) -> None:
        self.said.append(text)

    def stop(self) -> None:
        self.stops += 1

    def set_rate(self, wpm: int) -> None:
        self.rate = wpm
