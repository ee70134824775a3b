"""Masks cut inside detector boxes (``vision/lite/masks.py``).

Synthetic scenes (a coloured disk or blob on a textured background) run the colour-and-place vote
without any model; the MediaPipe selfie model is loaded once for the module for the rest. The refseg
check uses ../shared/data and is skipped where that is absent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import cv2
import numpy as np
import pytest

from sa2va_assist.config import LiteConfig
from sa2va_assist.errors import InputError
from sa2va_assist.vision.lite.masks import RECTANGULAR, BoxMasker, load_box_masker
from tests.conftest import SHARED_DATA

H, W = 240, 320


def textured(seed: int = 0) -> np.ndarray:
    """(H, W, 3) uint8 RGB: grey-green checks with pixel noise, so no single colour is background."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[:H, :W]
    checks = ((ys // 16 + xs // 16) % 2).astype(np.int16)[..., None]
    base = np.where(checks, np.array([110, 130, 100]), np.array([150, 150, 140]))
    return np.clip(base + rng.integers(-20, 21, (H, W, 3)), 0, 255).astype(np.uint8)


def with_disk(
    image: np.ndarray, centre: tuple[int, int], radius: int, colour: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """``image`` with a filled disk painted on, and the disk's (H, W) bool mask."""
    shape = np.zeros((H, W), np.uint8)
    cv2.circle(shape, centre, radius, (1,), -1)
    out = image.copy()
    out[shape > 0] = colour
    return out, shape > 0


def box_around(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def assert_fits(mask: np.ndarray, truth: np.ndarray) -> None:
    """Covers most of the object and spills onto little background."""
    assert mask.shape == truth.shape and mask.dtype == bool
    covered = np.count_nonzero(mask & truth) / np.count_nonzero(truth)
    spilled = np.count_nonzero(mask & ~truth) / np.count_nonzero(truth)
    assert covered > 0.9 and spilled < 0.1, (covered, spilled)


@pytest.fixture
def colour_only() -> BoxMasker:
    return BoxMasker(segment=None)


def test_red_disk_on_texture(colour_only: BoxMasker) -> None:
    image, disk = with_disk(textured(), (160, 120), 50, (200, 40, 40))
    assert_fits(colour_only.mask(image, box_around(disk), "apple"), disk)


def test_irregular_blob_off_centre(colour_only: BoxMasker) -> None:
    image, truth = with_disk(textured(1), (110, 130), 40, (40, 60, 190))
    second = np.zeros((H, W), np.uint8)
    cv2.ellipse(second, (165, 105), (45, 22), 30, 0, 360, (1,), -1)
    image[second > 0] = (40, 60, 190)
    truth |= second > 0
    assert_fits(colour_only.mask(image, box_around(truth), "kite"), truth)


def test_mask_stays_inside_the_box(colour_only: BoxMasker) -> None:
    image, _ = with_disk(textured(), (160, 120), 50, (200, 40, 40))
    box = (150, 70, 211, 171)  # cuts the disk's left half off
    mask = colour_only.mask(image, box, "ball")
    assert mask.any() and not mask[:, :150].any() and not mask[:70].any() and not mask[:, 211:].any()


@pytest.mark.parametrize("label", sorted(RECTANGULAR))
def test_rectangular_classes_get_their_box(colour_only: BoxMasker, label: str) -> None:
    image, _ = with_disk(textured(), (160, 120), 50, (200, 40, 40))
    mask = colour_only.mask(image, (100.4, 60.6, 220.2, 180.0), label)
    expected = np.zeros((H, W), bool)
    expected[60:180, 100:221] = True  # floor of the start, ceiling of the end
    assert np.array_equal(mask, expected)


def test_box_filling_the_frame_is_returned_filled(colour_only: BoxMasker) -> None:
    image, _ = with_disk(textured(), (160, 120), 50, (200, 40, 40))
    assert colour_only.mask(image, (2, 2, W - 2, H - 2), "dining table")[2 : H - 2, 2 : W - 2].all()


@pytest.mark.parametrize(
    "box",
    [
        (100, 50, 100, 150),  # zero width
        (100, 50, 150, 50),  # zero height
        (150, 50, 100, 150),  # x1 < x0
        (400, 300, 500, 400),  # right of and below the image
        (-80, -60, -1, -1),  # above and left of it
        (float("nan"), 0, 50, 50),
        (0, 0, float("inf"), 50),
    ],
)
def test_empty_boxes_give_empty_masks(colour_only: BoxMasker, box: tuple[float, ...]) -> None:
    mask = colour_only.mask(textured(), box, "cup")
    assert mask.shape == (H, W) and mask.dtype == bool and not mask.any()


def test_big_photo_is_cut_at_working_size(colour_only: BoxMasker) -> None:
    """A crop longer than WORK_SIDE_PX is cut small and its mask scaled back to the photo's pixels."""
    image = cv2.resize(textured(), (1600, 1200), interpolation=cv2.INTER_NEAREST)
    disk = np.zeros((1200, 1600), np.uint8)
    cv2.circle(disk, (700, 650), 380, (1,), -1)
    image[disk > 0] = (200, 40, 40)
    assert_fits(colour_only.mask(image, box_around(disk > 0), "clock"), disk > 0)


def test_box_partly_outside_is_clipped(colour_only: BoxMasker) -> None:
    image, disk = with_disk(textured(), (20, 20), 45, (200, 40, 40))
    mask = colour_only.mask(image, (-25, -25, 66, 66), "frisbee")
    assert_fits(mask, disk)
    assert not mask[66:].any() and not mask[:, 66:].any()


def test_tiny_box_is_filled(colour_only: BoxMasker) -> None:
    mask = colour_only.mask(textured(), (10, 10, 15, 30), "fork")
    assert mask[10:30, 10:15].all() and np.count_nonzero(mask) == 5 * 20


def test_masks_batch_matches_one_by_one(colour_only: BoxMasker) -> None:
    image, disk = with_disk(textured(), (100, 120), 40, (200, 40, 40))
    image, square = with_disk(image, (240, 100), 30, (30, 30, 200))
    boxes = [box_around(disk), box_around(square), (0, 0, 0, 0)]
    labels = ["apple", "tv", "cup"]
    stack = colour_only.masks(image, boxes, labels)
    assert stack.shape == (3, H, W) and stack.dtype == bool
    for got, box, label in zip(stack, boxes, labels, strict=True):
        assert np.array_equal(got, colour_only.mask(image, box, label))
    assert colour_only.masks(image, [], []).shape == (0, H, W)


def test_bad_inputs_are_refused(colour_only: BoxMasker) -> None:
    with pytest.raises(InputError, match="uint8 RGB"):
        colour_only.mask(textured()[..., 0], (0, 0, 10, 10), "cup")
    with pytest.raises(InputError):
        colour_only.mask(textured().astype(np.float32), (0, 0, 10, 10), "cup")
    with pytest.raises(ValueError, match="one label per box"):
        colour_only.masks(textured(), [(0, 0, 10, 10)], [])


class RecordingSegmenter:
    """A selfie-segmenter stand-in: returns ``value`` everywhere and records the crop shapes seen."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, crop: np.ndarray) -> np.ndarray:
        self.shapes.append(crop.shape)
        return np.full(crop.shape[:2], self.value, np.float32)


def test_saliency_without_contrast_changes_nothing(colour_only: BoxMasker) -> None:
    """A model that finds everything (or nothing) salient does not pick the box out: no vote."""
    image, disk = with_disk(textured(), (160, 120), 50, (200, 40, 40))
    box = box_around(disk)
    for value in (0.0, 1.0):
        seen = RecordingSegmenter(value)
        assert np.array_equal(
            BoxMasker(seen).mask(image, box, "apple"), colour_only.mask(image, box, "apple")
        )
        assert seen.shapes == [(143, 143, 3)]  # the 101 px box with 20.2 px margins, rounded outwards


@pytest.fixture(scope="module")
def real() -> Iterator[BoxMasker]:
    pytest.importorskip("mediapipe", reason="the selfie segmentation model ships in mediapipe")
    yield load_box_masker(LiteConfig())


def test_real_model_on_a_disk(real: BoxMasker) -> None:
    image, disk = with_disk(textured(), (160, 120), 50, (200, 40, 40))
    assert_fits(real.mask(image, box_around(disk), "apple"), disk)


def _refseg_rows() -> list[dict[str, str]]:
    manifest = SHARED_DATA / "refseg" / "manifest.jsonl"
    if not manifest.is_file():
        return []
    return [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]


@pytest.mark.needs_data
@pytest.mark.skipif(not _refseg_rows(), reason="../shared/data/dev/refseg is absent on this machine")
def test_refseg_masks_in_true_boxes(real: BoxMasker) -> None:
    """Each COCO object cut in its ground-truth box: mean IoU measured 0.73 with this design (inscribed
    ellipse 0.65); the bar leaves a margin for other CPUs' arithmetic."""
    ious: list[float] = []
    ellipse_ious: list[float] = []
    for row in _refseg_rows():
        image = cv2.cvtColor(cv2.imread(str(SHARED_DATA / "refseg" / row["image"])), cv2.COLOR_BGR2RGB)
        truth = cv2.imread(str(SHARED_DATA / "refseg" / row["mask"]), cv2.IMREAD_GRAYSCALE) > 127
        label = row["expression"].removeprefix("the ").split(" on the ")[0]
        x0, y0, x1, y1 = box_around(truth)
        mask = real.mask(image, (x0, y0, x1, y1), label)
        ellipse = np.zeros_like(truth, np.uint8)
        cv2.ellipse(ellipse, (((x0 + x1) / 2, (y0 + y1) / 2), (x1 - x0, y1 - y0), 0.0), (1,), -1)
        for m, out in ((mask, ious), (ellipse > 0, ellipse_ious)):
            out.append(np.count_nonzero(m & truth) / max(1, np.count_nonzero(m | truth)))
    assert np.mean(ious) > 0.70 and np.mean(ious) > np.mean(ellipse_ious) + 0.05
