"""The ``lite`` backend: offline, CPU-only answers from what its finders see (people, text).

Everything it says comes from masks it computed; a class it has no model for gets an honest "I can't
recognise ... offline yet" and no object, never a guess. Masks are (n_frames, H, W) bool at the first
frame's resolution, one per request frame. On video, object k of a plural phrase is simply the k-th most
prominent person of each frame (tracking comes with the detector).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ...config import Config
from ...errors import ConfigError, InputError
from ...spatial import COCO_CLASSES
from ...tasks import phrase_of, understood
from ...types import EVERYTHING, TASKS, Frame, GroundedObject, Target, TextLine, VisionRequest, VisionResult
from ...vocabulary import other_language
from . import answers, asking
from .asking import Reply
from .finder import Finder, Found, box_mask, by_prominence, pick
from .objects import ObjectFinder, ground_image
from .ocr import TextReader
from .scene import Scene
from .video_grounding import build_tracker, ground_video

if TYPE_CHECKING:
    from .loader import LazyReader
EVERYTHING_MAX = 12  # objects masked for "everything", most confident first (about 10 ms each)


class LiteBackend:
    """Answers requests with a person finder and a text reader built once by ``load(config)``.

    ``run`` is not thread-safe (MediaPipe graphs keep a clock); use one backend per thread.
    """

    name = "lite"
    quick_scan = True  # "everything" reuses the frame's detections: a scan costs ~1 ms next to a look

    def __init__(
        self,
        people: Finder,
        reader: TextReader | LazyReader,
        config: Config | None = None,
        objects: ObjectFinder | None = None,
    ) -> None:
        self.people = people
        self.reader = reader
        self.config = config or Config()
        self.objects = objects  # the 80-class detector + masker; None: people and text only
        self.tracker = build_tracker(self.config.lite) if objects is not None else None

    def load_all(self) -> None:
        """Build the text models now instead of on the first request that reads."""
        load = getattr(self.reader, "load", None)
        if load is not None:
            load()

    def run(self, request: VisionRequest) -> VisionResult:
        """Answer ``request`` (any of the five tasks) from its targets and question (understood from
        its words by ``tasks.understood`` when the caller left them out). Raises ``InputError`` (no
        frames, nothing to segment), ``ConfigError`` (unknown task) and ``BackendError`` (a model
        failed)."""
        start = time.perf_counter()
        request = understood(request)
        handlers: dict[str, Callable[[Scene, VisionRequest], Reply]] = {
            "segment": lambda scene, req: self._segment(scene, req.targets),
            "read": self._read,
            "caption": self._caption,
            "gcg": self._gcg,
            "ask": self._ask,
        }
        handler = handlers.get(request.task)
        if handler is None:
            raise ConfigError(f"unknown task '{request.task}'", f"Choose one of: {', '.join(TASKS)}.")
        if not request.frames:
            raise InputError("the request has no frames", "Pass an image, a video or a frame folder.")
        if request.text and other_language(request.text):  # said once, not "I don't see a 狗在哪里"
            unread = [phrase_of(t) for t in request.targets] or [request.text]
            return VisionResult(answers.ENGLISH_ONLY, request.task, self.name, unrecognised=unread)
        scene = Scene(_same_size(request.frames), self.people, self.reader, self.objects)
        if self.objects is not None:
            self.objects.take_timings()
        answer, objects, lines = handler(scene, request)
        timings = dict(scene.timings_ms)
        if self.objects is not None:
            timings.update(self.objects.take_timings())
        timings["total_ms"] = (time.perf_counter() - start) * 1000.0
        return VisionResult(
            answer, request.task, self.name, objects, lines, timings, scene.alternatives,
            unmatched=scene.unmatched, unrecognised=scene.unrecognised,
            illegible=scene.illegible_lines() if scene.text_read else 0,
            question=scene.question, subject=scene.subject,
        )  # fmt: skip

    # --- tasks -------------------------------------------------------------------------------------

    def _segment(self, scene: Scene, targets: Sequence[Target]) -> Reply:
        """Every target found: objects and facts, worded by ``compose``; the only words here say what
        lite has no model for."""
        if not targets:
            raise InputError(
                "nothing to segment: the request names no object", 'Say what to find, e.g. "the person".'
            )
        said: list[str] = []
        objects: list[GroundedObject] = []
        lines: list[TextLine] = []
        text_said = False
        for want in targets:
            if want.everything and self.objects is not None:
                objects += self._everything(scene)
                continue
            phrase = phrase_of(want)
            if want.label == "text":  # "the sign and the words" is still one reading
                found = [] if text_said else self._text_objects(scene)
                if not text_said:
                    lines, text_said = scene.text_lines(), True
            elif self.objects is not None:
                found = self._grounded_objects(scene, want, phrase, said)
            elif "person" in want.classes or (want.everything and not want.classes):
                found = self._person_objects(scene, want, phrase)
                if found and not want.plural and want.position is None:
                    self._other_people(scene, phrase)
            else:
                found = []
                said.append(answers.describe_unknown([want.head or phrase], ("person", "text")))
                scene.unrecognised.append(phrase)
            objects += found
        return " ".join(said), objects, lines

    def _read(self, scene: Scene, request: VisionRequest) -> Reply:
        """The lines read and the regions they were read in; worded by ``compose.read_answer``."""
        return "", self._text_objects(scene), scene.text_lines()

    def _caption(self, scene: Scene, request: VisionRequest) -> Reply:
        """What is in view now (the newest frame): every object found there, masked, and the text
        read; worded by ``compose.describe``."""
        return "", self._in_view(scene), scene.text_lines()

    def _gcg(self, scene: Scene, request: VisionRequest) -> Reply:
        """The caption's objects and the regions text was read in (a grounded description)."""
        return "", self._in_view(scene) + self._text_objects(scene), scene.text_lines()

    def _in_view(self, scene: Scene) -> list[GroundedObject]:
        if self.objects is not None:
            return self._newest_grounded(scene, scene.newest_objects())
        return self._person_objects(scene, _PEOPLE, "person")  # people only without the detector

    def _ask(self, scene: Scene, request: VisionRequest) -> Reply:
        """Facts for a question (``request.question`` about ``request.targets``): the objects (or
        lines) that answer it and the question they answer, for ``compose.question_answer``; in its
        own words only what lite cannot answer ("I can't answer that offline yet; ...")."""
        question, targets = request.question, request.targets
        subject = targets[0] if targets else None
        if question == "identify":  # what is this: everything seen in the newest frame, and its text
            scene.question, scene.subject = question, EVERYTHING
            return "", self._in_view(scene), scene.text_lines()
        if question == "where" and targets and (self.objects is not None or _people(targets)):
            return self._segment(scene, targets)
        if subject is not None and question in asking.ANSWERABLE:
            scene.question, scene.subject = question, subject
            if subject.label == "text":
                return "", self._text_objects(scene), scene.text_lines()
            if self.objects is not None:
                said, objects = asking.facts(self.objects, scene.frames[-1].image, question, subject)
                return said, objects, []
            if question in ("how_many", "is_there") and _people(targets):
                return "", self._person_objects(scene, _PEOPLE, "person"), []
            scene.question = scene.subject = None
        return answers.cannot_answer(self.objects is not None), [], []

    # --- objects and their words ---------------------------------------------------------------------

    def _grounded_objects(
        self, scene: Scene, ref: Target, phrase: str, said: list[str]
    ) -> list[GroundedObject]:
        """Everyday objects ``ref`` names, found and (on video) followed. Facts only: the composer
        words them; a name the detector has no class for is said here ("I can't recognise 'keys'
        ..."), in ``said``, and noted in ``scene.unrecognised``."""
        assert self.objects is not None and self.tracker is not None
        if not ref.classes and ref.unknown:
            said.append(answers.describe_unknown(ref.unknown, COCO_CLASSES))
            scene.unrecognised.append(phrase)
            return []
        if len(scene.frames) > 1:
            grounding = ground_video(self.objects, self.tracker, scene.frames, ref, phrase)
        else:
            grounding = ground_image(self.objects, scene.frames[0], ref, phrase)
        res = grounding.resolution
        if not grounding.objects and res is not None and res.unmatched and not res.missing:
            scene.unmatched.append(res.unmatched[0])
        if res is not None and res.ambiguous and len(res.alike) > 1 and not ref.plural:
            for i in res.alike:  # box masks on the frame the choice was made on: enough to say where
                masks = scene.empty_masks()
                masks[grounding.frame] = box_mask(scene.shape, grounding.boxes[i])
                scene.alternatives.append(
                    GroundedObject(phrase, masks, ref.classes[0] if ref.classes else None)
                )
        return grounding.objects

    def _everything(self, scene: Scene) -> list[GroundedObject]:
        """Every noticeable object of the newest frame, masked there: "segment everything" (the
        agent's hazard scan), the most prominent ``EVERYTHING_MAX`` of them."""
        return self._newest_grounded(scene, scene.newest_objects()[:EVERYTHING_MAX])

    @staticmethod
    def _newest_grounded(scene: Scene, found: Sequence[Found]) -> list[GroundedObject]:
        """Objects found in the newest frame as grounded objects (empty masks on earlier frames)."""
        objects = []
        for f in found:
            masks = scene.empty_masks()
            masks[-1] = f.mask
            objects.append(GroundedObject(f.label, masks, f.label, f.score))
        return objects

    def _person_objects(self, scene: Scene, target: Target, phrase: str) -> list[GroundedObject]:
        """Singular: the person of each frame at the target's place (left, right, middle), else the
        most prominent, one object. Plural: object k = the k-th most prominent person of each frame."""
        per_frame = scene.people()
        if target.plural:
            ranked = [by_prominence(found) for found in per_frame]
            tracks = [[r[k] if k < len(r) else None for r in ranked] for k in range(max(map(len, ranked)))]
        else:
            tracks = [[pick(found, target.position) for found in per_frame]]
        return [_grounded(phrase, "person", track, scene) for track in tracks if any(track)]

    @staticmethod
    def _other_people(scene: Scene, phrase: str) -> None:
        """Everyone in view when "the person" was asked for and several are there, the most prominent
        (the one picked) first: the composer asks back which one, as for any other object."""
        ref = scene.reference_frame()
        people = by_prominence(scene.people()[ref])
        if len(people) > 1:
            for f in people:
                masks = scene.empty_masks()
                masks[ref] = f.mask
                scene.alternatives.append(GroundedObject(phrase, masks, "person", f.score))

    def _text_objects(self, scene: Scene) -> list[GroundedObject]:
        """One object per distinct line of text (same words = same object across frames)."""
        by_text: dict[str, list[Found | None]] = {}
        for i, found in enumerate(scene.text_found()):
            for f in found:
                track = by_text.setdefault(f.text.casefold() if f.text else "", [None] * len(scene.frames))
                track[i] = track[i] or f
        return [_grounded(next(f.text for f in t if f) or "text", "text", t, scene) for t in by_text.values()]


_PEOPLE = Target(words="people", label="person", plural=True)


def _people(targets: Sequence[Target]) -> bool:
    """Whether ``targets`` are all people (what lite finds without its object detector)."""
    return all("person" in t.classes for t in targets)


def _grounded(phrase: str, label: str, track: Sequence[Found | None], scene: Scene) -> GroundedObject:
    """A ``GroundedObject`` from one ``Found`` (or None) per frame."""
    masks = scene.empty_masks()
    for i, f in enumerate(track):
        if f is not None:
            masks[i] = f.mask
    scores = [f.score for f in track if f is not None]
    return GroundedObject(phrase, masks, label, float(np.mean(scores)) if scores else None)


def _same_size(frames: Sequence[Frame]) -> list[Frame]:
    """Frames at the first frame's size (masks share one shape); others resized, nothing else changed."""
    h, w = frames[0].image.shape[:2]
    return [
        f
        if f.image.shape[:2] == (h, w)
        else dataclasses.replace(f, image=cv2.resize(f.image, (w, h), interpolation=cv2.INTER_AREA))
        for f in frames
    ]
