"""LiteBackend and PersonFinder logic on doubles that implement the real interfaces (no models).

``PaintedPeople`` is a ``Finder`` that finds every pure-green rectangle as a person; ``ScriptedOcr`` is
an OCR engine (rapidocr's call contract) that returns the lines it was given. The real models are
exercised in ``test_lite_models.py``.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sa2va_assist.compose import answered
from sa2va_assist.config import Config, LiteConfig
from sa2va_assist.errors import BackendError, InputError
from sa2va_assist.types import Frame, VisionRequest
from sa2va_assist.vision.lite import LiteBackend
from sa2va_assist.vision.lite.finder import Finder, Found, box_of, by_prominence
from sa2va_assist.vision.lite.ocr import TextReader
from sa2va_assist.vision.lite.people import Evidence, PersonFinder

H, W = 240, 320
GREEN = (0, 255, 0)


class PaintedPeople:
    """Every connected pure-green region is a person."""

    labels = frozenset({"person"})

    def find(self, image: np.ndarray) -> list[Found]:
        green = np.all(image == np.array(GREEN, np.uint8), axis=-1)
        count, labels = cv2.connectedComponents(green.astype(np.uint8))
        found = [Found("person", labels == i, 0.9, box_of(labels == i)) for i in range(1, count)]
        return by_prominence(found)


class Broken:
    labels = frozenset({"person"})

    def find(self, image: np.ndarray) -> list[Found]:
        raise RuntimeError("graph failed")


class ScriptedOcr:
    """rapidocr's contract: ``engine(bgr) -> ([[quad, text, score], ...] or None, timings)``, boxes in
    the pixels of the image it is given (the reader may enlarge small images first)."""

    def __init__(self, lines: list[tuple[str, tuple[int, int, int, int], float]]) -> None:
        self.lines = lines
        self.calls = 0

    def __call__(self, bgr: np.ndarray) -> tuple[list[list[object]] | None, list[float]]:
        self.calls += 1
        s = bgr.shape[1] / W
        out: list[list[object]] = [
            [[[x0 * s, y0 * s], [x1 * s, y0 * s], [x1 * s, y1 * s], [x0 * s, y1 * s]], text, score]
            for text, (x0, y0, x1, y1), score in self.lines
        ]
        return out or None, [0.0]


def scene(*people: tuple[int, int, int, int]) -> np.ndarray:
    image = np.full((H, W, 3), 90, np.uint8)
    for x0, y0, x1, y1 in people:
        image[y0:y1, x0:x1] = GREEN
    return image


def backend(people: Finder | None = None, lines: list | None = None) -> tuple[LiteBackend, ScriptedOcr]:
    engine = ScriptedOcr(lines or [])
    return LiteBackend(people or PaintedPeople(), TextReader(engine, 0.5), Config()), engine


def ask(b: LiteBackend, image: np.ndarray, task: str, text: str = "", frames: int = 1):
    """The backend's result, worded as ``ask`` words it (compose.answered)."""
    request = VisionRequest(tuple(Frame(image, i, f"{i:05d}") for i in range(frames)), task, text)  # type: ignore[arg-type]
    return answered(request, b.run(request), b.config.spatial.horizontal_fov_deg)


TWO = scene((20, 60, 60, 220), (240, 100, 270, 200))  # a big person on the left, a smaller one right


def test_singular_picks_most_prominent_and_asks_which_one_of_the_others() -> None:
    b, _ = backend()
    result = ask(b, TWO, "segment", "where is the person")
    assert len(result.objects) == 1 and result.objects[0].label == "person"
    assert result.objects[0].masks[0, 100, 30] and result.answer.startswith("Person, 11 o'clock")
    assert result.answer.endswith("Two people: one at 11 o'clock, one at 1 o'clock. Which one?")
    assert [a.masks[0, 100, 30] for a in result.alternatives] == [True, False]  # the picked one first


@pytest.mark.parametrize(
    ("phrase", "column"), [("the man on the left", 30), ("the person on the right", 250)]
)
def test_side_picks_that_person(phrase: str, column: int) -> None:
    result = ask(backend()[0], TWO, "segment", phrase)
    assert len(result.objects) == 1 and result.objects[0].masks[0, 150, column]
    assert "Which one" not in result.answer and result.alternatives == []


def test_plural_returns_everyone() -> None:
    result = ask(backend()[0], TWO, "segment", "the people")
    assert len(result.objects) == 2
    assert result.answer.startswith("Two people: 11 o'clock, roughly 2 metres away; 1 o'clock, roughly")


def test_video_masks_per_frame_and_ocr_on_three_frames_only() -> None:
    b, engine = backend(lines=[("EXIT", (100, 20, 200, 50), 0.95)])
    result = ask(b, TWO, "gcg", frames=5)
    assert {o.masks.shape for o in result.objects} == {(5, H, W)}
    assert [o.label for o in result.objects] == ["person", "person", "text"]
    assert engine.calls == 3 and result.objects[2].masks[:, 30, 150].tolist() == [1, 0, 1, 0, 1]
    assert set(result.timings_ms) == {"people_ms", "ocr_ms", "total_ms"}


def test_nobody_and_unknown_class_are_answered_honestly() -> None:
    empty = scene()
    b, engine = backend()
    result = ask(b, empty, "segment", "the person and my keys")
    assert result.objects == []
    assert result.answer == (
        "I don't see a person. I can't recognise 'keys' offline; I can find people and read text."
    )
    assert engine.calls == 0  # no text asked for, none read
    assert ask(b, empty, "ask", "how many people are there?").answer == "I don't see any people."
    assert ask(b, empty, "ask", "is anyone there?").answer == "No, I don't see anyone."
    assert ask(b, empty, "ask", "what colour is it?").answer.startswith("I can't answer that offline yet")
    assert ask(b, empty, "read").answer == "I don't see any legible text."


def test_read_and_text_segment() -> None:
    lines = [("Platform 2", (30, 120, 200, 150), 0.97), ("EXIT", (30, 20, 120, 50), 0.99)]
    b, _ = backend(lines=lines)
    result = ask(b, scene(), "read")
    assert result.answer == '"EXIT" "Platform 2"'
    assert [t.text for t in result.text_lines] == ["EXIT", "Platform 2"]
    assert [(o.phrase, o.label) for o in result.objects] == [("EXIT", "text"), ("Platform 2", "text")]
    seg = ask(b, scene(), "segment", "the sign")
    assert seg.answer.startswith("Text, 12 o'clock, at eye level") and seg.answer.endswith(
        ': "EXIT" "Platform 2".'
    )
    assert ask(b, scene(), "ask", "is there any text?").answer == 'Yes: "EXIT" "Platform 2".'


def test_caption_counts_people_and_quotes_text() -> None:
    b, _ = backend(lines=[("EXIT", (130, 20, 200, 50), 0.99)])
    said = ask(b, TWO, "caption").answer
    assert said.startswith("Two people: 11 o'clock") and said.endswith('Text reads: "EXIT".')


def test_errors() -> None:
    with pytest.raises(InputError):
        ask(backend()[0], TWO, "segment", "")
    with pytest.raises(BackendError, match="finding people in frame 0: RuntimeError: graph failed"):
        ask(backend(Broken())[0], TWO, "segment", "the person")


def test_person_finder_splits_instances_and_keeps_evidence_components() -> None:
    """Two people side by side in one foreground blob, a detached blob in one crop, a tiny third."""
    prob = np.zeros((H, W), np.float32)
    prob[40:220, 40:150] = 0.9  # two people touching: one foreground region
    prob[40:220, 150:260] = 0.8
    prob[200:230, 290:310] = 0.9  # a bag in the right person's crop, not touching them
    prob[5:8, 5:8] = 0.9  # something tiny

    def detect(image: np.ndarray) -> list[Evidence]:
        return [
            Evidence((70, 50, 110, 90), (40, 40, 150, 220), ((90.0, 70.0),), 0.9),
            Evidence((190, 50, 230, 90), (150, 40, 320, 240), ((210.0, 70.0),), 0.8),
            Evidence((4, 4, 9, 9), (0, 0, 12, 12), ((6.0, 6.0),), 0.6),
        ]

    def segment(crop_rgb: np.ndarray) -> np.ndarray:  # the "model" reads the planted probabilities back
        return crop_rgb[..., 0].astype(np.float32) / 255.0

    image = np.zeros((H, W, 3), np.uint8)
    image[..., 0] = np.round(prob * 255).astype(np.uint8)
    finder = PersonFinder([detect], segment, LiteConfig(person_threshold=0.5, min_person_area=0.002))
    people = finder.find(image)
    assert len(people) == 2  # the 3x3 one is under min_person_area
    left, right = sorted(people, key=lambda f: f.box[0])
    assert left.mask[70, 90] and right.mask[70, 210] and not (left.mask & right.mask).any()
    assert np.array_equal((left.mask | right.mask)[30:, :280], prob[30:, :280] > 0.5)  # the bag was dropped
    assert not (left.mask | right.mask)[:, 280:].any()


def test_evidence_merges_detectors_but_keeps_each_detectors_own_people() -> None:
    """Pose boxes are coarse head regions: two people side by side may overlap each other's box and must
    both stay; a face the pose detector already gave is not a second person, a new face is."""
    pose = [
        Evidence((100, 40, 180, 120), (60, 40, 220, 240), ((140.0, 80.0),), 0.9),
        Evidence((150, 40, 230, 120), (110, 40, 270, 240), ((190.0, 80.0),), 0.8),
    ]
    faces = [
        Evidence((125, 60, 145, 80), (100, 50, 170, 230), ((135.0, 70.0),), 0.9),  # inside the first
        Evidence((280, 60, 300, 80), (260, 50, 320, 230), ((290.0, 70.0),), 0.7),  # someone new
    ]
    finder = PersonFinder(
        [lambda image: pose, lambda image: faces], lambda crop: crop[..., 0] * 0.0, LiteConfig()
    )
    assert finder.evidence(np.zeros((H, W, 3), np.uint8)) == [*pose, faces[1]]


def test_two_text_phrases_read_once() -> None:
    b, engine = backend()
    result = ask(b, scene(), "segment", "the sign and the words")
    assert result.answer == "I don't see any legible text." and engine.calls == 1


def test_video_says_how_the_person_moved() -> None:
    frames = [scene((x, 60, x + 40, 220)) for x in (20, 140, 260)]
    request = VisionRequest(
        tuple(Frame(f, i, f"{i:05d}") for i, f in enumerate(frames)), "segment", "the person"
    )
    result = answered(request, backend()[0].run(request), 70.0)
    assert result.answer.startswith("Person, 1 o'clock") and result.answer.endswith(", moving right.")
    assert result.objects[0].masks.any(axis=(1, 2)).tolist() == [True, True, True]
