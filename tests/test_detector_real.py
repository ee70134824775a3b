"""The real COCO detector (MobileNetV3-CenterNet converted by setup) on the example photos. Skipped when
the converted model is not in the cache; ``sa2va-assist setup`` always makes it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sa2va_assist.errors import InputError
from sa2va_assist.spatial import COCO_CLASSES
from sa2va_assist.vision.lite.detector import Detector, load_detector, onnx_path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
pytestmark = pytest.mark.skipif(
    not onnx_path().is_file(),
    reason=f"converted detector not cached at {onnx_path()} (run sa2va-assist setup)",
)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return load_detector(threads=2)


def rgb(name: str) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(EXAMPLES / name)), cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize(("image", "label"), [("coffee.jpg", "cup"), ("astronaut.jpg", "person")])
def test_finds_the_main_object(detector: Detector, image: str, label: str) -> None:
    picture = rgb(image)
    found = detector.detect(picture)
    assert found and found[0].label == label
    h, w = picture.shape[:2]
    for d in found:
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert 0.3 <= d.score <= 1 and COCO_CLASSES[d.class_id] == d.label
    scores = [d.score for d in found]
    assert scores == sorted(scores, reverse=True)


def test_boxes_follow_the_image_size(detector: Detector) -> None:
    picture = rgb("astronaut.jpg")  # 512 x 512; the same photo stretched to 1024 x 512
    wide = cv2.resize(picture, (1024, 512))
    a, b = detector.detect(picture)[0], detector.detect(wide)[0]
    assert a.label == b.label == "person"
    assert abs(b.box[2] - 2 * a.box[2]) <= 24 and abs(b.box[3] - a.box[3]) <= 12


def test_rejects_non_rgb_input(detector: Detector) -> None:
    with pytest.raises(InputError):
        detector.detect(np.zeros((10, 10), np.uint8))
