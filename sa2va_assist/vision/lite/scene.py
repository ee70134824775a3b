"""What the lite models saw in one request's frames, computed on first use and kept for the request.

People are found on every frame (tens of milliseconds each). Text is read on at most
``MAX_TEXT_FRAMES`` frames spread over a video, always including the last (reading costs 0.2-1 s a
frame on 2 cores); frames not read have no text. Every model call is timed into ``timings_ms`` and any
failure inside a model becomes ``BackendError``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ...errors import AssistError, BackendError
from ...types import Frame, GroundedObject, Question, Target, TextLine
from .finder import Finder, Found
from .ocr import TextReader, TextRegion, to_found

if TYPE_CHECKING:
    from .loader import LazyReader

MAX_TEXT_FRAMES = 3  # frames of a video that are read for text (first, middle, last for 3)

T = TypeVar("T")


def text_frame_indices(n_frames: int, limit: int = MAX_TEXT_FRAMES) -> list[int]:
    """Up to ``limit`` frame positions spread evenly over ``n_frames``, the last always included."""
    if n_frames <= limit:
        return list(range(n_frames))
    if limit <= 1:
        return [n_frames - 1]
    step = (n_frames - 1) / (limit - 1)
    return sorted({round(i * step) for i in range(limit)})


class Scene:
    """Lazily computed people and text for ``frames`` ((H, W, 3) uint8 RGB each)."""

    def __init__(
        self, frames: Sequence[Frame], people: Finder, reader: TextReader | LazyReader, objects: Any = None
    ) -> None:
        self.frames = list(frames)
        self._people_finder = people
        self._reader = reader
        self._objects = objects  # an ObjectFinder (it times itself), or None
        self._newest: list[Found] | None = None
        self._people: list[list[Found]] | None = None
        self._text: list[list[TextRegion]] | None = None
        self._illegible = 0  # most lines one read frame left out as illegible
        self.timings_ms: dict[str, float] = {}
        self.alternatives: list[GroundedObject] = []  # a singular phrase's equally plausible objects
        self.unmatched: list[str] = []  # qualifiers nothing in view met ("the red cup")
        self.unrecognised: list[str] = []  # target words naming nothing the detector knows
        self.question: Question | None = None  # the question the objects answer (VisionResult.question)
        self.subject: Target | None = None  # what it was about

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the frames (a request's frames share one size)."""
        h, w = self.frames[0].image.shape[:2]
        return int(h), int(w)

    def people(self) -> list[list[Found]]:
        """Per frame: every person found, most prominent first."""
        if self._people is None:
            self._people = [
                self._timed("people_ms", "finding people", i, self._people_finder.find, f.image)
                for i, f in enumerate(self.frames)
            ]
        return self._people

    def newest_objects(self) -> list[Found]:
        """Every object worth mentioning in the newest frame, masked (``ObjectFinder.scan``), computed
        once per request ([] without an object finder)."""
        if self._newest is None:
            self._newest = [] if self._objects is None else self._objects.scan(self.frames[-1].image)
        return self._newest

    def text(self) -> list[list[TextRegion]]:
        """Per frame: the text lines read, in reading order ([] on frames not read)."""
        if self._text is None:
            read = set(text_frame_indices(len(self.frames)))
            counted = [
                self._timed("ocr_ms", "reading text", i, self._reader.read_counted, f.image, i)
                if i in read
                else ([], 0)
                for i, f in enumerate(self.frames)
            ]
            self._text = [regions for regions, _ in counted]
            self._illegible = max(n for _, n in counted)
        return self._text

    @property
    def text_read(self) -> bool:
        """Whether this request read text (so ``illegible_lines`` costs nothing more)."""
        return self._text is not None

    def illegible_lines(self) -> int:
        """How many lines a read frame had that could not be read clearly (the most of any frame)."""
        self.text()
        return self._illegible

    def text_lines(self) -> list[TextLine]:
        """Every line of the first frame read, in reading order, then the lines of later frames that
        no earlier frame had (a line repeated within one frame, like a receipt's "Card Savings", is
        kept: it is read out as often as it is printed)."""
        seen: set[str] = set()
        lines = []
        for regions in self.text():
            keys = [region.line.text.casefold() for region in regions]
            lines += [region.line for region, key in zip(regions, keys, strict=True) if key not in seen]
            seen.update(keys)
        return lines

    def text_found(self) -> list[list[Found]]:
        """Per frame: each text line as a ``Found`` (label "text") with its quadrilateral as the mask."""
        h, w = self.shape
        return [to_found(regions, h, w) for regions in self.text()]

    def reference_frame(self) -> int:
        """The frame a summary speaks about: the last one with the most people (the last frame when
        nobody was found). For a still image, 0."""
        counts = [len(p) for p in self.people()]
        best = max(counts)
        return max(i for i, c in enumerate(counts) if c == best)

    def empty_masks(self) -> np.ndarray:
        """(n_frames, H, W) bool, all False."""
        return np.zeros((len(self.frames), *self.shape), bool)

    def _timed(self, key: str, doing: str, index: int, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` timed into ``timings_ms[key]``; a model's exception -> ``BackendError``."""
        start = time.perf_counter()
        try:
            return call(*args)
        except AssistError:
            raise
        except Exception as err:  # the model's own failure: say where, keep the cause chained
            raise BackendError(
                f"the lite backend failed while {doing} in frame {index}: {type(err).__name__}: {err}",
                "Check that the input is an ordinary photo or video; rerun with --debug to see the cause.",
            ) from err
        finally:
            self.timings_ms[key] = self.timings_ms.get(key, 0.0) + (time.perf_counter() - start) * 1000.0
