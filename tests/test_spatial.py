"""Table tests for masks -> positions -> words. Expectations come from the pinhole geometry in comments.

Frame used throughout: 640 x 480 px. At the default 70-degree horizontal fov the focal length is
f = 320 / tan(35 deg) = 457.01 px, so the frame edges are at +-35 degrees: such a camera sees 11 to 1
o'clock, and the 12/1 o'clock boundary (15 degrees) is at x = 320 + f * tan(15 deg) = 442.46 px.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sa2va_assist.spatial import (
    COCO_CLASSES,
    NOT_FOUND,
    Position,
    clock_hour,
    distance_phrase,
    estimate_distance_m,
    horizontal_angle,
    locate,
    motion,
    position_phrase,
    typical_size_m,
)

W, H = 640, 480
F70 = 320 / math.tan(math.radians(35))  # 457.01 px


def blob(x0: int, y0: int, x1: int, y1: int, h: int = H, w: int = W) -> np.ndarray:
    """A rectangular bool mask covering columns x0..x1-1 and rows y0..y1-1."""
    m = np.zeros((h, w), dtype=bool)
    m[y0:y1, x0:x1] = True
    return m


@pytest.mark.parametrize(
    ("angle", "hour"),
    [
        (0, 12), (14.9, 12), (-14.9, 12), (15, 1), (-15, 11), (30, 1), (44.9, 1), (45, 2), (60, 2),
        (90, 3), (120, 4), (150, 5), (165, 6), (180, 6), (-30, 11), (-60, 10), (-90, 9), (-120, 8),
        (-150, 7), (-180, 6), (210, 7), (360, 12), (390, 1), (-390, 11), (-270, 3), (270, 9),
    ],
)  # fmt: skip
def test_clock_hour(angle: float, hour: int) -> None:
    assert clock_hour(angle) == hour


@pytest.mark.parametrize(
    ("x", "fov", "angle"),
    [
        (320, 70, 0.0),
        (0, 70, -35.0),  # the left edge is at minus half the fov
        (640, 70, 35.0),
        (0, 90, -45.0),
        (480, 90, math.degrees(math.atan(0.5))),  # f = 320 at 90 degrees: atan(160 / 320)
        (160, 70, -math.degrees(math.atan(0.5 * math.tan(math.radians(35))))),
    ],
)
def test_horizontal_angle_follows_pinhole(x: float, fov: float, angle: float) -> None:
    assert horizontal_angle(x, W, fov) == pytest.approx(angle, abs=1e-9)


@pytest.mark.parametrize(
    ("cols", "fov", "hour", "side"),
    [
        ((0, 20), 70, 11, "left"),  # centroid x = 10: atan(-310 / 457.01) = -34.2 deg
        ((310, 330), 70, 12, "centre"),  # centroid x = 320: straight ahead
        ((620, 640), 70, 1, "right"),  # +34.2 deg: a 70-degree camera never reaches 2 o'clock
        ((439, 441), 70, 12, "right"),  # x = 440: atan(120 / 457.01) = 14.71 deg, just under 15
        ((445, 447), 70, 1, "right"),  # x = 446: atan(126 / 457.01) = 15.41 deg, just over 15
        ((620, 640), 120, 2, "right"),  # f = 320 / tan 60 = 184.75: atan(310 / 184.75) = 59.2 deg
        ((0, 20), 120, 10, "left"),
        ((620, 640), 170, 3, "right"),  # f = 28.0: atan(310 / 28.0) = 84.8 deg
        ((200, 210), 70, 12, "left"),
        ((212, 214), 70, 12, "left"),  # x = 213 < 640 / 3 = 213.3
        ((213, 215), 70, 12, "centre"),  # x = 214: the middle third starts at 213.3
        ((250, 260), 70, 12, "centre"),  # x = 205: -14.1 deg is 12 o'clock, yet in the left third
    ],
)
def test_locate_direction(cols: tuple[int, int], fov: float, hour: int, side: str) -> None:
    pos = locate(blob(cols[0], 200, cols[1], 260), fov_deg=fov)
    assert pos.found
    assert pos.clock_hour == hour
    assert pos.side == side


def test_locate_box_centroid_area_and_angle() -> None:
    pos = locate(blob(0, 100, 20, 150))
    assert pos.box == (0, 100, 20, 150)
    assert pos.centroid == pytest.approx((10.0, 125.0))
    assert pos.area_share == pytest.approx(20 * 50 / (W * H))
    assert pos.angle_deg == pytest.approx(math.degrees(math.atan(-310 / F70)))
    assert pos.angle_deg == pytest.approx(-34.15, abs=0.01)


@pytest.mark.parametrize(
    ("rows", "height"),
    [
        ((10, 30), "high up"),  # centroid y share 20 / 480 = 0.04
        ((230, 250), "at eye level"),  # 0.5
        ((350, 370), "low down"),  # 0.75
        ((440, 460), "near the floor"),  # 0.94
        ((0, 288), "high up"),  # spans 0.6 of the height exactly: still told, centroid at 0.3
        ((0, 289), None),  # spans more than 0.6: no single height
        ((0, 480), None),
    ],
)
def test_locate_height(rows: tuple[int, int], height: str | None) -> None:
    assert locate(blob(300, rows[0], 340, rows[1])).height == height


@pytest.mark.parametrize(
    "mask",
    [
        np.zeros((H, W), dtype=bool),
        np.zeros((1, H, W), dtype=bool),
        np.zeros((H, W), dtype=np.uint8),
        np.zeros((0, 0), dtype=bool),
        np.full((H, W), -3.0),  # only > 0 counts as the object
    ],
)
def test_empty_mask_is_not_found(mask: np.ndarray) -> None:
    pos = locate(mask, label="person")
    assert pos == NOT_FOUND
    assert not pos.found and pos.area_share == 0.0
    assert pos.clock_hour is None and pos.distance_m is None and pos.box is None
    assert position_phrase("red cup", pos) == "Red cup: not found."


def test_mask_forms_agree() -> None:
    ref = blob(100, 50, 180, 120)
    expected = locate(ref, label="cup")
    assert locate(ref[None], label="cup") == expected
    assert locate(ref.astype(np.uint8) * 255, label="cup") == expected
    assert locate(ref.astype(np.float32), label="cup") == expected


def test_bad_mask_shape_is_an_error() -> None:
    with pytest.raises(ValueError, match="mask must be"):
        locate(np.ones((2, H, W), dtype=bool))


def test_person_distance_matches_pinhole() -> None:
    # A 40 x 200 px person: largest side 200 px; distance = 1.7 m * 457.01 px / 200 px = 3.885 m.
    pos = locate(blob(300, 140, 340, 340), label="person")
    assert pos.distance_m == pytest.approx(1.7 * F70 / 200)
    assert pos.distance_m == pytest.approx(3.885, abs=1e-3)
    assert pos.distance_phrase == "roughly 4 metres away"


def test_distance_uses_largest_box_side() -> None:
    # A car 300 px wide, 100 px tall: 4.5 m * 457.01 / 300 = 6.855 m, not 4.5 * 457.01 / 100.
    pos = locate(blob(100, 200, 400, 300), label="car")
    assert pos.distance_m == pytest.approx(4.5 * F70 / 300)


@pytest.mark.parametrize(
    ("extent", "width", "size", "fov", "metres"),
    [
        (160, 640, 1.7, 90, 3.4),  # f = 320 at 90 degrees: 1.7 * 320 / 160
        (100, 640, 1.0, 70, F70 / 100),
        (100, 1280, 1.0, 70, 2 * F70 / 100),  # twice the width, twice the focal length in px
        (1, 640, 1.7, 70, 50.0),  # 777 m: clamped to the far limit
        (10000, 640, 1.7, 70, 0.2),  # 0.08 m: clamped to the near limit
    ],
)
def test_estimate_distance(extent: float, width: int, size: float, fov: float, metres: float) -> None:
    assert estimate_distance_m(extent, width, size, fov) == pytest.approx(metres)


@pytest.mark.parametrize(
    ("extent", "width", "fov"), [(0, 640, 70), (10, 0, 70), (10, 640, 0), (10, 640, 180)]
)
def test_estimate_distance_rejects_nonsense(extent: float, width: int, fov: float) -> None:
    with pytest.raises(ValueError):
        estimate_distance_m(extent, width, 1.0, fov)


@pytest.mark.parametrize("label", [None, "", "unicorn", "thing"])
def test_unknown_class_has_no_distance(label: str | None) -> None:
    pos = locate(blob(300, 140, 340, 340), label=label)
    assert pos.found and pos.clock_hour == 12
    assert pos.distance_m is None and pos.distance_phrase is None


@pytest.mark.parametrize(
    ("label", "size"),
    [
        ("person", 1.7), ("cup", 0.1), ("bottle", 0.25), ("chair", 0.9), ("car", 4.5), ("dog", 0.6),
        ("cat", 0.45), ("tv", 1.0), ("laptop", 0.35), ("cell phone", 0.15), ("book", 0.25),
        ("phone", 0.15), ("mug", 0.1), ("man", 1.75), ("woman", 1.65), ("child", 1.1), ("sofa", 2.0),
        ("television", 1.0), ("Cell_Phone", 0.15), ("the red cup", 0.1), ("Cups", 0.1),
        ("big dining table", 1.6), ("cup of tea", 0.1), ("cup on the table", 0.1),
        ("man in the red shirt", 1.75), ("a dog.", 0.6), ("unicorn", None), ("", None), (None, None),
    ],
)  # fmt: skip
def test_typical_size(label: str | None, size: float | None) -> None:
    assert typical_size_m(label) == size


def test_all_coco_classes_have_sizes() -> None:
    assert len(COCO_CLASSES) == 80 == len(set(COCO_CLASSES))
    for name in COCO_CLASSES:
        size = typical_size_m(name)
        assert size is not None and 0.05 <= size <= 100, name
    child, adult = typical_size_m("child"), typical_size_m("person")
    assert child is not None and adult is not None and child < adult


@pytest.mark.parametrize(
    ("metres", "words"),
    [
        (None, None), (0.2, "within reach"), (0.59, "within reach"),
        (0.6, "about an arm's length away"), (0.99, "about an arm's length away"),
        (1.0, "roughly 1 metre away"), (1.49, "roughly 1 metre away"), (1.5, "roughly 2 metres away"),
        (3.885, "roughly 4 metres away"), (9.49, "roughly 9 metres away"), (9.5, "roughly 10 metres away"),
        (10.0, "roughly 10 metres away"), (11.0, "roughly 10 metres away"), (12.49, "roughly 10 metres away"),
        (12.5, "roughly 15 metres away"), (17.4, "roughly 15 metres away"), (50.0, "roughly 50 metres away"),
    ],
)  # fmt: skip
def test_distance_phrase(metres: float | None, words: str | None) -> None:
    assert distance_phrase(metres) == words


@pytest.mark.parametrize(
    ("name", "mask", "label", "fov", "words"),
    [
        # f = 184.75 at 120 degrees; a 20 px cup: 0.1 * 184.75 / 20 = 0.92 m; x = 630 is 2 o'clock.
        ("red cup", blob(620, 230, 640, 250), "cup", 120, "Red cup, 2 o'clock, about an arm's length away."),
        ("red cup", blob(310, 440, 330, 460), None, 70, "Red cup, 12 o'clock, near the floor."),
        ("TV.", blob(0, 10, 20, 30), None, 70, "TV, 11 o'clock, high up."),
        ("door", blob(300, 0, 340, 480), None, 70, "Door, 12 o'clock."),  # spans the height: no height
        ("man", blob(300, 140, 340, 340), "person", 70, "Man, 12 o'clock, roughly 4 metres away."),
    ],
)
def test_position_phrase(name: str, mask: np.ndarray, label: str | None, fov: float, words: str) -> None:
    assert position_phrase(name, locate(mask, label=label, fov_deg=fov)) == words


def _at(cx: int, side: int = 20) -> Position:
    return locate(blob(cx - side // 2, 200, cx + side // 2, 200 + side))


def _share(share: float) -> Position:
    return Position(True, (320.0, 240.0), (0, 0, 1, 1), share, 12, "centre", None, None, None, 0.0)


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        (_at(320), _at(320), None),
        (_at(320), _at(200), "moving left"),  # shift -120 / 640 = -0.19 of the width
        (_at(320), _at(450), "moving right"),
        (_at(320), _at(360), None),  # 40 / 640 = 0.06: jitter, not movement
        (_at(320), _at(320, side=30), "coming closer"),  # area x 2.25
        (_at(320, side=30), _at(320), "moving away"),
        (_at(320), _at(200, side=22), "moving left"),  # area x 1.21: below the approach threshold
        (_at(320), _at(200, side=30), "coming closer"),  # approach outranks sideways movement
        (_share(0.25), _share(0.375), "coming closer"),  # exactly the 1.5 ratio (exact in binary)
        (_share(0.25), _share(0.37), None),
        (_share(0.375), _share(0.25), "moving away"),
        (_share(0.37), _share(0.25), None),
        (NOT_FOUND, _at(320), None),
        (_at(320), NOT_FOUND, None),
    ],
)
def test_motion(first: Position, last: Position, words: str | None) -> None:
    assert motion(first, last, W) == words
