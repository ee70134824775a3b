"""Everyday objects in the lite backend: captions, object questions, referring on detections, and the
real detector end to end (skipped until `sa2va-assist setup` has prepared it)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest

from sa2va_assist import compose
from sa2va_assist.compose import answered
from sa2va_assist.config import Config
from sa2va_assist.referring import parse as parse_reference
from sa2va_assist.tasks import question_of
from sa2va_assist.types import Frame, GroundedObject, VisionRequest, VisionResult
from sa2va_assist.vision.lite import asking
from sa2va_assist.vision.lite.finder import Found
from sa2va_assist.vision.lite.masks import BoxMasker
from sa2va_assist.vision.lite.objects import (
    DETECT_THRESHOLD,
    FALLBACK_THRESHOLD,
    REFER_THRESHOLD,
    ObjectFinder,
    ground_image,
    referable,
)
from tests.conftest import REPO


@dataclass(frozen=True)
class Det:
    label: str
    score: float
    box: tuple[int, int, int, int]
    class_id: int = 0


class ScriptedDetector:
    """A detector (the interface ObjectFinder uses) returning fixed detections above a threshold; given
    the mirror image of ``scene`` it returns them mirrored, as a real detector would."""

    def __init__(self, detections: list[Det], scene: np.ndarray | None = None) -> None:
        self.detections = detections
        self.scene = scene
        self.thresholds: list[float] = []

    def detect(self, image: np.ndarray, threshold: float) -> list[Det]:
        self.thresholds.append(threshold)
        found = self.detections
        if self.scene is not None and np.array_equal(image, self.scene[:, ::-1]):
            w = image.shape[1]
            found = [replace(d, box=(w - d.box[2], d.box[1], w - d.box[0], d.box[3])) for d in found]
        return [d for d in found if d.score >= threshold]


def _scene() -> np.ndarray:
    image = np.full((480, 640, 3), 120, np.uint8)
    image[300:360, 60:120] = (220, 30, 30)  # a red cup on the left
    image[300:360, 500:560] = (30, 30, 220)  # a blue cup on the right
    return image


CUPS = [Det("cup", 0.9, (60, 300, 120, 360)), Det("cup", 0.8, (500, 300, 560, 360))]


def _found(label: str, box: tuple[int, int, int, int], shape: tuple[int, int] = (480, 640)) -> Found:
    mask = np.zeros(shape, bool)
    mask[box[1] : box[3], box[0] : box[2]] = True
    return Found(label, mask, 0.9, box)


def _objects(found: list[Found]) -> list[GroundedObject]:
    return [GroundedObject(f.label, f.mask[None], f.label, f.score) for f in found]


def test_caption_hazards_first_counts_and_rest() -> None:
    found = [
        _found("cup", (300, 300, 360, 360)),
        _found("person", (100, 100, 200, 400)),
        _found("person", (400, 100, 500, 400)),
        _found("car", (500, 200, 640, 300)),
    ]
    said = compose.describe(compose.place(_objects(found), 70.0))
    assert said.index("A car") < said.index("Two people") < said.index("A cup")
    assert said.count("o'clock") == 4 and "1 o'clock" in said and "11 o'clock" in said


def test_caption_beyond_five_classes_names_the_rest() -> None:
    labels = ["car", "person", "chair", "cup", "bottle", "laptop", "book"]
    found = [_found(label, (k * 80, 100, k * 80 + 70, 300)) for k, label in enumerate(labels)]
    said = compose.describe(compose.place(_objects(found), 70.0))
    assert said.endswith("Also a laptop and a book.")


class SquareDetector:
    """A detector (the interface ObjectFinder uses) that really looks at the image: each pure red
    square is a "cup", each pure blue one a "book", scored 0.4 in the left half of the image and 0.2
    in the right half, so an object on the right is only sure in the mirror image."""

    def __init__(self) -> None:
        self.colours = {"cup": (220, 30, 30), "book": (30, 30, 220), "bus": (230, 200, 20)}
        self.calls = 0

    def detect(self, image: np.ndarray, threshold: float) -> list[Det]:
        import cv2

        self.calls += 1
        out = []
        for label, colour in self.colours.items():
            hit = np.all(image == np.array(colour, np.uint8), axis=2).astype(np.uint8)
            n, _, stats, _ = cv2.connectedComponentsWithStats(hit)
            for x, y, w, h, _area in stats[1:n]:
                score = 0.4 if x + w / 2 < image.shape[1] / 2 else 0.2
                if score >= threshold:
                    out.append(Det(label, score, (int(x), int(y), int(x + w), int(y + h))))
        return out


def test_scan_sees_both_mirror_views_and_skips_specks() -> None:
    image = _scene()  # a red cup on the left, a blue cup (here a "book") on the right
    image[10:16, 10:16] = (220, 30, 30)  # a red speck: far under 1 % of the view
    detector = SquareDetector()
    finder = ObjectFinder(detector, BoxMasker(segment=None), scan_threshold=0.3)
    found = finder.scan(image)
    assert sorted(f.label for f in found) == ["book", "cup"]
    book = next(f for f in found if f.label == "book")
    assert book.box == (500, 300, 560, 360) and book.score == 0.4  # the mirror view's, put back
    assert book.mask[330, 530] and not book.mask[330, 90]
    assert finder.scan(image) == found and detector.calls == 2  # one scan per image
    plain = ObjectFinder(SquareDetector(), BoxMasker(segment=None), scan_threshold=0.3)
    assert [d.label for d in plain.detect(image, 0.3)] == ["cup", "cup"]  # one view: the speck, no book


def test_a_scan_names_vehicles_only_at_the_full_threshold() -> None:
    image = _scene()
    image[100:160, 60:120] = (230, 200, 20)  # a "bus" on the left: 0.4, like the cups there
    sure = ObjectFinder(SquareDetector(), BoxMasker(segment=None), threshold=0.35, scan_threshold=0.3)
    assert sorted(f.label for f in sure.scan(image)) == ["book", "bus", "cup"]
    doubtful = ObjectFinder(SquareDetector(), BoxMasker(segment=None), threshold=0.5, scan_threshold=0.3)
    assert sorted(f.label for f in doubtful.scan(image)) == ["book", "cup"]  # a false warning costs more


def test_merge_views_keeps_one_box_per_object() -> None:
    from sa2va_assist.vision.lite.objects import merge_views, mirror

    seen = [Det("cup", 0.4, (10, 10, 50, 50)), Det("cup", 0.6, (300, 10, 340, 50))]
    mirrored = [mirror(Det("cup", 0.5, (60, 12, 98, 50)), 400), Det("bowl", 0.3, (12, 12, 50, 50))]
    assert mirrored[0].box == (302, 12, 340, 50)  # the 0.6 cup seen again: merged into it
    merged = merge_views([*seen, *mirrored])
    assert [(d.label, d.score) for d in merged] == [("cup", 0.6), ("cup", 0.4), ("bowl", 0.3)]


def test_referable_renames_a_confusable_sibling_only_when_the_class_is_missing() -> None:
    dets = [Det("cat", 0.25, (0, 0, 50, 50)), Det("chair", 0.9, (60, 0, 90, 50))]
    assert [d.label for d in referable(dets, parse_reference("the dog"))] == ["dog"]
    with_dog = [*dets, Det("dog", 0.5, (100, 0, 150, 50))]
    assert [d.label for d in referable(with_dog, parse_reference("the dog"))] == ["dog"]
    assert referable(dets, parse_reference("the bus")) == []


def test_ground_image_resolves_colour_and_masks_inside_the_box() -> None:
    image = _scene()
    detector = ScriptedDetector(CUPS, image)
    finder = ObjectFinder(detector, BoxMasker(segment=None))
    grounding = ground_image(finder, Frame(image, 0, "f"), parse_reference("the blue cup"), "the blue cup")
    assert detector.thresholds == [FALLBACK_THRESHOLD] * 2  # the image and its mirror image
    (obj,) = grounding.objects
    _, xs = np.nonzero(obj.masks[0])
    assert xs.min() >= 500 and xs.max() < 560 and obj.masks[0][330, 530]
    plural = ground_image(finder, Frame(image, 0, "f"), parse_reference("the cups"), "the cups")
    assert len(plural.objects) == 2


def test_weak_detections_count_only_as_a_last_resort_for_one_named_object() -> None:
    weak = [Det("cup", 0.1, (60, 300, 120, 360)), Det("chair", 0.2, (300, 100, 400, 300))]
    singular = referable(weak, parse_reference("the cup"))
    assert [d.label for d in singular] == ["cup"] and singular[0].score < DETECT_THRESHOLD
    assert referable(weak, parse_reference("the cups")) == []  # counting needs sure detections
    strong = [*weak, Det("cup", 0.5, (500, 300, 560, 360))]
    assert [d.score for d in referable(strong, parse_reference("the cup"))] == [0.5]


def asked(finder: ObjectFinder, image: np.ndarray, question: str, fov: float = 70.0) -> tuple:
    """(the answer as ask words it, the objects): lite's facts for ``question``, composed."""
    kind, (subject,) = question_of(question)
    own, objects = asking.facts(finder, image, kind, subject)
    result = VisionResult(own, "ask", "lite", objects, question=kind, subject=subject)
    return answered(VisionRequest((), "ask", question), result, fov).answer, objects


def test_asking_counts_presence_and_unknown_classes() -> None:
    image = _scene()
    finder = ObjectFinder(ScriptedDetector(CUPS), BoxMasker(segment=None))
    count, objects = asked(finder, image, "how many cups are there?")
    assert count.startswith("Two cups: 11 o'clock") and len(objects) == 2
    assert asked(finder, image, "is there a dog?")[0] == "I don't see a dog."
    assert asked(finder, image, "are there cups?")[0].startswith("Yes. Two cups: 11 o'clock")
    assert "can't recognise 'keys'" in asked(finder, image, "are there keys?")[0]
    colour, (cup,) = asked(finder, image, "what colour is the cup on the left?")
    assert colour.startswith("The cup looks red") and cup.attributes["colours"][0] == "red"


def test_the_configured_detect_threshold_decides_what_is_counted() -> None:
    """``lite.detect_threshold`` reaches counting (not a module constant): a cup at 0.5 is counted
    at the default 0.3 and not at 0.6."""
    image = _scene()
    cup = [Det("cup", 0.5, (60, 300, 120, 360))]
    assert asked(ObjectFinder(ScriptedDetector(cup), BoxMasker(segment=None)), image, "how many cups?")[1]
    strict = ObjectFinder(ScriptedDetector(cup), BoxMasker(segment=None), threshold=0.6)
    assert asked(strict, image, "how many cups?")[0] == "I don't see any cups."


@pytest.fixture(scope="module")
def lite():  # type: ignore[no-untyped-def]
    from sa2va_assist.vision.lite.detector import onnx_path

    if not onnx_path().is_file():
        pytest.skip("the object detector is not prepared here: run `sa2va-assist setup`")
    from sa2va_assist.vision import load_backend

    return load_backend(Config(), "lite")


def test_real_detector_finds_the_cup(lite) -> None:  # type: ignore[no-untyped-def]
    from sa2va_assist.io.sources import read_image

    image = read_image(REPO / "examples" / "coffee.jpg")
    request = VisionRequest((Frame(image, 0, "coffee"),), "segment", "where is my cup")
    result = answered(request, lite.run(request), 70.0)
    assert result.answer.startswith("Cup, 12 o'clock") and result.objects[0].label == "cup"
    assert result.objects[0].masks[0].mean() > 0.1  # the cup fills much of the close-up
    described = VisionRequest((Frame(image, 0, "coffee"),), "caption", "")
    caption = answered(described, lite.run(described), 70.0)
    assert "cup" in caption.answer.lower()
    assert DETECT_THRESHOLD > REFER_THRESHOLD > FALLBACK_THRESHOLD


def test_emoji_are_words_and_other_languages_get_one_honest_line(lite) -> None:  # type: ignore[no-untyped-def]
    """ "is there a 🍕?" is understood as words; a question in another language gets the
    English-only line once, never "I don't see a 狗在哪里"."""
    from sa2va_assist.io.sources import read_image
    from sa2va_assist.tasks import choose_task, request_for
    from sa2va_assist.vision.lite.answers import ENGLISH_ONLY

    frames = (Frame(read_image(REPO / "examples" / "coffee.jpg"), 0, "coffee"),)

    def ask(text: str) -> str:
        request = request_for(frames, choose_task(text), text)
        return answered(request, lite.run(request), 70.0).answer

    assert ask("is there a 🍕?") == ask("is there a slice of pizza?") == "I don't see a pizza."
    assert ask("where is the ☕?") == ask("where is the hot beverage?")
    assert ask("how many 🪑 are there?") == "I don't see any chairs."
    assert ask("what is this?").startswith("Possibly a cup, 12 o'clock")  # held close, detector unsure
    for foreign in ("狗在哪里", "¿dónde está el perro?", "où est la tasse ?", "где чашка?"):
        assert ask(foreign) == ENGLISH_ONLY, foreign


@pytest.mark.parametrize(
    ("phrase", "moving"),
    [
        ("the man running", True),
        ("the small car driving down the street", True),
        ("the person riding the black scooter", True),
        ("the black swan", False),
        ("the cup on the table", False),
    ],
)
def test_phrases_that_say_their_referent_moves(phrase: str, moving: bool) -> None:
    from sa2va_assist.vision.lite.video_grounding import mentions_motion

    assert mentions_motion(parse_reference(phrase)) is moving


def _textured(seed: int, shape: tuple[int, int]) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 255, (*shape, 3), dtype=np.uint8), (0, 0), 3)


def test_box_motion_and_the_moving_candidate_preferred() -> None:
    from sa2va_assist.vision.lite.finder import Found
    from sa2va_assist.vision.lite.video_grounding import box_motion, prefer_moving

    background, square = _textured(1, (240, 320)), _textured(2, (60, 60))
    first, later = background.copy(), background.copy()
    first[100:160, 40:100] = square
    later[100:160, 46:106] = square  # moved 6 px right in one frame
    boxes = [(200, 100, 260, 160), (40, 100, 100, 160)]  # still square, moving square
    motion = box_motion(first, later, boxes, gap=1)
    assert motion[0] < 1.0 and 4.5 < motion[1] < 7.5
    empty = np.zeros((240, 320), bool)
    cands = [Found("person", empty, 0.9, boxes[0]), Found("person", empty, 0.3, boxes[1])]
    running = parse_reference("the man running")
    assert prefer_moving([0], cands, running, motion) == [1]
    assert prefer_moving([0], cands, running, [0.1, 0.15]) == [0]  # nobody clearly moves: keep the pick


def test_tracker_choice_follows_the_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from sa2va_assist.errors import ModelError
    from sa2va_assist.vision.lite.tracking import MaskTracker
    from sa2va_assist.vision.lite.video_grounding import build_tracker

    lite = Config().lite
    tracker = build_tracker(replace(lite, keyframe_every=5))
    assert isinstance(tracker, MaskTracker) and tracker.options.keyframe_every == 5
    with pytest.raises(ModelError, match="no SAM2 checkpoint"):
        build_tracker(replace(lite, sam2_checkpoint=str(tmp_path / "missing.pt")))


class ScriptedOcr:
    """An OCR engine (TextReader's call) that returns the same lines for every image."""

    def __init__(self, lines: list[tuple[str, int]]) -> None:
        self.lines = lines  # (text, top y) each

    def __call__(self, bgr: np.ndarray) -> tuple[list[list[object]], None]:
        quads = [
            np.array([[10, y], [200, y], [200, y + 20], [10, y + 20]], np.float32) for _, y in self.lines
        ]
        return [[q, text, 0.99] for q, (text, _) in zip(quads, self.lines, strict=True)], None


def test_text_lines_keep_repeats_within_a_frame_but_not_across_frames() -> None:
    from sa2va_assist.vision.lite.ocr import TextReader
    from sa2va_assist.vision.lite.scene import Scene

    reader = TextReader(ScriptedOcr([("Card Savings", 100), ("3.79", 140), ("Card Savings", 180)]), 0.5)
    frames = [Frame(np.full((480, 640, 3), 255, np.uint8), i, f"{i}") for i in range(2)]
    lines = Scene(frames, people=None, reader=reader).text_lines()  # type: ignore[arg-type]
    assert [line.text for line in lines] == ["Card Savings", "3.79", "Card Savings"]  # 2nd frame adds none


class LineOcr(ScriptedOcr):
    """ScriptedOcr that can also read a whole image as one line, and records which path ran."""

    def __init__(self) -> None:
        super().__init__([("detected", 10)])
        self.whole: list[tuple[int, int]] = []

    def read_line(self, bgr: np.ndarray) -> tuple[str, float]:
        self.whole.append(bgr.shape[:2])
        return "PACIFIC", 0.97


def test_a_short_image_is_read_whole_as_one_line() -> None:
    from sa2va_assist.vision.lite.ocr import LINE_MAX_HEIGHT_PX, TextReader

    engine = LineOcr()
    reader = TextReader(engine, 0.5)
    (word,) = reader.read(np.full((26, 58, 3), 200, np.uint8))
    assert word.line.text == "PACIFIC" and word.line.box == (0, 0, 58, 26) and engine.whole == [(26, 58)]
    tall = reader.read(np.full((LINE_MAX_HEIGHT_PX + 1, 300, 3), 200, np.uint8))
    assert [r.line.text for r in tall] == ["detected"] and len(engine.whole) == 1


def test_real_recogniser_reads_a_small_word_crop() -> None:
    import cv2

    from sa2va_assist.vision.lite.ocr import load_reader

    crop = np.full((28, 120, 3), 255, np.uint8)
    cv2.putText(crop, "HOTEL", (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (0, 0, 0), 2)
    reader = load_reader(Config().lite)
    (line,) = reader.read(crop)
    assert line.line.text == "HOTEL" and line.line.confidence > 0.8
    page = np.full((200, 400, 3), 255, np.uint8)  # a later full read must still detect (engine state)
    cv2.putText(page, "EXIT", (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4)
    assert [r.line.text for r in reader.read(page)] == ["EXIT"]


def test_who_is_near_counts_people_by_distance_only() -> None:
    image = np.full((480, 640, 3), 120, np.uint8)
    close = Det("person", 0.9, (250, 20, 390, 470))  # fills the height: about 1.4 m away at 70 degrees
    far = Det("person", 0.9, (40, 200, 70, 260))  # 60 px tall: well beyond 3 m
    finder = ObjectFinder(ScriptedDetector([close, far]), BoxMasker(segment=None))
    said, objects = asked(finder, image, "Who is near me?")
    assert said.startswith("One person near you: 12 o'clock") and len(objects) == 2  # both, with masks
    nobody = ObjectFinder(ScriptedDetector([far]), BoxMasker(segment=None))
    assert (
        asked(nobody, image, "Who is near me?")[0] == "No one within about 3 metres. One person farther away."
    )


def test_grounded_caption_detects_the_newest_frame_once() -> None:
    from sa2va_assist.vision.lite.backend import LiteBackend
    from sa2va_assist.vision.lite.ocr import TextReader

    image = _scene()
    detector = ScriptedDetector(CUPS, image)
    objects = ObjectFinder(detector, BoxMasker(segment=None))
    lite = LiteBackend(None, TextReader(ScriptedOcr([]), 0.5), Config(), objects=objects)  # type: ignore[arg-type]
    request = VisionRequest((Frame(image, 0, "f"),), "gcg", "")
    result = answered(request, lite.run(request), 70.0)
    assert result.answer.startswith("Two cups:") and [o.label for o in result.objects] == ["cup", "cup"]
    assert len(detector.thresholds) == 2  # the caption and the masks share one scan (image and mirror)


def test_frames_sampled_far_apart_get_the_detector_more_often() -> None:
    from sa2va_assist.vision.lite.tracking import MaskTracker, TrackerOptions
    from sa2va_assist.vision.lite.video_grounding import frame_gap, ground_video, spaced_for

    def clip(step: int) -> list[Frame]:
        return [Frame(_scene(), k * step, f"{k * step:05d}") for k in range(16)]

    tracker = MaskTracker(TrackerOptions(keyframe_every=8))
    assert frame_gap(clip(1)) == 1 and spaced_for(tracker, clip(1)) is tracker
    assert frame_gap(clip(4)) == 4 and spaced_for(tracker, clip(4)).options.keyframe_every == 2  # type: ignore[attr-defined]
    assert spaced_for(tracker, clip(30)).options.keyframe_every == 1  # type: ignore[attr-defined]
    calls = {}
    for step in (1, 4):
        detector = ScriptedDetector(CUPS)
        finder = ObjectFinder(detector, BoxMasker(segment=None))
        grounding = ground_video(finder, tracker, clip(step), parse_reference("the red cup"), "the red cup")
        (cup,) = grounding.objects
        assert cup.masks.shape[0] == 16 and all(m[330, 90] for m in cup.masks)  # the left, red cup
        # as sure as its detections, not a fixed 1.0: doubt can be said on video too
        assert cup.score == max(d.score for d in CUPS if d.box[0] < 200)
        calls[step] = len(detector.thresholds)
    assert calls[1] == 3 and calls[4] == 9  # frames 0, 8, 15 / every 2nd frame and the last


def test_what_is_ahead_comes_from_the_scan_and_leaves_out_the_sides() -> None:
    image = np.full((480, 640, 3), 120, np.uint8)
    image[200:280, 280:340] = (220, 30, 30)  # a "cup" straight ahead
    image[200:280, 580:640] = (30, 30, 220)  # a "book" at the right edge: 2 o'clock in a 120 degree view
    finder = ObjectFinder(SquareDetector(), BoxMasker(segment=None), scan_threshold=0.3)
    said, _ = asked(finder, image, "What is ahead?", 120.0)
    assert said.startswith("Ahead: A cup, 12 o'clock") and "book" not in said
    assert sorted(f.label for f in finder.scan(image)) == ["book", "cup"]  # seen, but not ahead
    empty = ObjectFinder(SquareDetector(), BoxMasker(segment=None))
    assert asked(empty, np.full((480, 640, 3), 120, np.uint8), "What is ahead?", 120.0)[0] == (
        "Nothing I recognise straight ahead."
    )


class FlickeringDetector:
    """A detector that sees one animal in the same place every frame but names it a cat, then a dog,
    then a sheep, as a real detector unsure of the species does from frame to frame."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image: np.ndarray, threshold: float) -> list[Det]:
        self.calls += 1
        label = ("cat", "dog", "sheep")[self.calls % 3]
        return [Det(label, 0.4, (200, 150, 440, 400))]


def test_an_animal_named_by_its_kind_is_followed_when_the_detector_changes_its_mind() -> None:
    """ "the animal" (a kind: any animal class) is one thing to follow whatever class each keyframe
    gives it, and is reported as the class it was chosen as (not lost after the first keyframe)."""
    from sa2va_assist.tasks import target_of
    from sa2va_assist.vision.lite.tracking import MaskTracker, TrackerOptions
    from sa2va_assist.vision.lite.video_grounding import ground_video

    image = np.full((480, 640, 3), 120, np.uint8)
    image[150:400, 200:440] = (90, 60, 40)
    frames = [Frame(image.copy(), k, f"{k:05d}") for k in range(24)]  # one array each: detected anew
    finder = ObjectFinder(FlickeringDetector(), BoxMasker(segment=None))
    tracker = MaskTracker(TrackerOptions(keyframe_every=4))
    grounding = ground_video(finder, tracker, frames, target_of("the animal"), "the animal")
    (animal,) = grounding.objects
    assert all(mask[275, 320] for mask in animal.masks)  # found in every frame
    assert animal.label in ("cat", "dog", "sheep")
