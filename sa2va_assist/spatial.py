"""Masks -> positions -> words: clock hours, rough distances and heights people can act on. Pure numpy.

Geometry is a pinhole camera with square pixels and its optical centre at the image centre. The focal
length in pixels comes from the horizontal field of view and the image width,
``f = (width / 2) / tan(fov / 2)``, and serves both axes. Pixel coordinates are continuous: pixel ``i``
covers ``[i, i + 1)``, so the centre of a ``width``-wide image is ``x = width / 2`` and a box's
``x1``/``y1`` are exclusive. Heights assume a camera held roughly level at chest-to-eye height (phone
held up, smart glasses): "at eye level" means level with the camera.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

DEFAULT_FOV_DEG = 70.0  # typical phone main camera / webcam, horizontal (ACCESSIBILITY.md)
DEGREES_PER_HOUR = 30.0  # 360 degrees / 12 hours on the clock face
MIN_DISTANCE_M = 0.2  # closer than this a camera cannot focus; any smaller estimate is mask noise
MAX_DISTANCE_M = 50.0  # beyond this a "typical size" guess says nothing useful; clamp, don't extrapolate
WITHIN_REACH_M = 0.6  # an adult's forearm-plus-hand reach from the chest, without leaning
ARMS_LENGTH_M = 1.0  # a full arm plus a small step
FINE_STEP_LIMIT_M = 10.0  # below this, round to whole metres; beyond, to 5 m (errors grow with distance)
COARSE_STEP_M = 5.0
# Height bands on the centroid's vertical position as a share of the frame height (0 = top).
HIGH_UP_BELOW = 1 / 3  # top third: above the camera's line of sight
EYE_LEVEL_BELOW = 2 / 3  # middle third: level with the camera
LOW_DOWN_BELOW = 0.85  # lower part of the frame; the last 15 % is where the floor meets the feet
# An object whose box spans more than this share of the frame height (a person 2 m away, a door) has
# no single height worth saying, so ``height`` is None.
HEIGHT_SPAN_LIMIT = 0.6
# Motion between two frames. Area scales with 1 / distance^2, so an area ratio of 1.5 means the
# distance shrank to 1 / sqrt(1.5) = 0.82 of what it was: about 18 % closer, well beyond the few-percent
# jitter of a segmentation mask's area from frame to frame.
APPROACH_AREA_RATIO = 1.5
# A centroid shift of a tenth of the width is about 7-8 degrees near the centre of a 70-degree camera,
# a quarter of a clock hour, and tens of pixels at any usual resolution: far above mask jitter.
LATERAL_SHIFT_SHARE = 0.1


@dataclass(frozen=True)
class Position:
    """Where one masked object is, in pixels and in words. Every field but ``found``/``area_share`` is
    None when the mask is empty."""

    found: bool  # the mask has at least one pixel
    centroid: tuple[float, float] | None  # (x, y) pixels, continuous coordinates
    box: tuple[int, int, int, int] | None  # x0, y0, x1, y1 pixels, x1/y1 exclusive
    area_share: float  # mask area / frame area, 0..1
    clock_hour: int | None  # 1..12; 12 = straight ahead, 3 = right, 9 = left
    side: str | None  # "left" | "centre" | "right": which third of the width holds the centroid
    height: str | None  # "high up" | "at eye level" | "low down" | "near the floor"; None if it spans
    distance_m: float | None  # rough metres from apparent size; None when the class size is unknown
    distance_phrase: str | None  # "within reach", "roughly 2 metres away", ...
    angle_deg: float | None  # horizontal angle of the centroid, degrees, negative = left


NOT_FOUND = Position(False, None, None, 0.0, None, None, None, None, None, None)

# Typical largest real dimension in metres: the 80 COCO classes, then synonyms and PASCAL VOC names.
_SIZES_M: dict[str, float] = {
    "person": 1.7, "bicycle": 1.7, "car": 4.5, "motorcycle": 2.0, "airplane": 40.0, "bus": 12.0,
    "train": 25.0, "truck": 8.0, "boat": 6.0, "traffic light": 1.0, "fire hydrant": 0.8,
    "stop sign": 0.75, "parking meter": 1.5, "bench": 1.5, "bird": 0.25, "cat": 0.45, "dog": 0.6,
    "horse": 2.4, "sheep": 1.2, "cow": 2.4, "elephant": 6.0, "bear": 2.0, "zebra": 2.4, "giraffe": 5.0,
    "backpack": 0.5, "umbrella": 1.0, "handbag": 0.35, "tie": 0.5, "suitcase": 0.7, "frisbee": 0.25,
    "skis": 1.7, "snowboard": 1.5, "sports ball": 0.22, "kite": 1.0, "baseball bat": 0.85,
    "baseball glove": 0.3, "skateboard": 0.8, "surfboard": 2.0, "tennis racket": 0.7, "bottle": 0.25,
    "wine glass": 0.2, "cup": 0.1, "fork": 0.2, "knife": 0.22, "spoon": 0.17, "bowl": 0.18,
    "banana": 0.2, "apple": 0.08, "sandwich": 0.15, "orange": 0.08, "broccoli": 0.15, "carrot": 0.18,
    "hot dog": 0.18, "pizza": 0.35, "donut": 0.1, "cake": 0.25, "chair": 0.9, "couch": 2.0,
    "potted plant": 0.6, "bed": 2.0, "dining table": 1.6, "toilet": 0.75, "tv": 1.0, "laptop": 0.35,
    "mouse": 0.11, "remote": 0.18, "keyboard": 0.45, "cell phone": 0.15, "microwave": 0.5, "oven": 0.9,
    "toaster": 0.3, "sink": 0.6, "refrigerator": 1.8, "book": 0.25, "clock": 0.3, "vase": 0.3,
    "scissors": 0.2, "teddy bear": 0.4, "hair drier": 0.25, "toothbrush": 0.19,
}  # fmt: skip
COCO_CLASSES: tuple[str, ...] = tuple(_SIZES_M)
_SIZES_M.update({
    "man": 1.75, "woman": 1.65, "adult": 1.7, "people": 1.7, "men": 1.75, "women": 1.65, "guy": 1.75,
    "lady": 1.65, "pedestrian": 1.7, "child": 1.1, "children": 1.1, "kid": 1.1, "boy": 1.3, "girl": 1.3,
    "toddler": 0.85, "baby": 0.6, "phone": 0.15, "mobile phone": 0.15, "smartphone": 0.15,
    "mobile": 0.15, "mug": 0.1, "glass": 0.15, "sofa": 2.0, "television": 1.0, "tv monitor": 1.0,
    "tvmonitor": 1.0, "monitor": 0.6, "screen": 1.0, "fridge": 1.8, "bike": 1.7, "motorbike": 2.0,
    "aeroplane": 40.0, "plane": 40.0, "table": 1.4, "desk": 1.4, "diningtable": 1.6, "plant": 0.6,
    "pottedplant": 0.6, "remote control": 0.18, "ball": 0.22, "bag": 0.4, "puppy": 0.4, "kitten": 0.3,
    "door": 2.0, "window": 1.2, "computer": 0.4, "lamp": 0.6, "key": 0.08, "keys": 0.08, "wallet": 0.11,
    "glasses": 0.15, "bin": 0.7, "trash can": 0.7, "doughnut": 0.1, "van": 5.0,
})  # fmt: skip
_LEADING = re.compile(r"^(?:(?:a|an|the|this|that|my|your|some)\s+)+")
_QUALIFIER = re.compile(r"\s+(?:on|in|at|of|with|near|by|under|behind|beside|next to|that|which|who)\s.*$")


def _check_fov(fov_deg: float) -> None:
    if not 0.0 < fov_deg < 180.0:
        raise ValueError(f"fov_deg must be between 0 and 180 degrees, got {fov_deg}")


def _focal_px(width: int, fov_deg: float) -> float:
    _check_fov(fov_deg)
    if width <= 0:
        raise ValueError(f"image width must be positive, got {width} px")
    return (width / 2.0) / math.tan(math.radians(fov_deg) / 2.0)


def clock_hour(angle_deg: float) -> int:
    """Nearest clock hour (1..12) for a horizontal angle; 0 -> 12, +90 -> 3, -90 -> 9. Halves round
    away from straight ahead (+15 -> 1, -15 -> 11); angles beyond +-180 wrap."""
    wrapped = (angle_deg + 180.0) % 360.0 - 180.0
    hours = wrapped / DEGREES_PER_HOUR
    nearest = int(math.copysign(math.floor(abs(hours) + 0.5), hours))
    return nearest % 12 or 12


def horizontal_angle(x: float, width: int, fov_deg: float) -> float:
    """Degrees from straight ahead of pixel column ``x`` (continuous, 0 = left edge); negative = left."""
    return math.degrees(math.atan((x - width / 2.0) / _focal_px(width, fov_deg)))


def typical_size_m(label: str | None) -> float | None:
    """Typical largest real dimension of an object class in metres, or None when unknown. Accepts COCO
    names, common synonyms, plurals and simple phrases ("the red cup", "cup of tea" -> cup)."""
    if not label:
        return None
    text = re.sub(r"[\s_\-]+", " ", label.lower()).strip(" .,!?")
    text = _QUALIFIER.sub("", _LEADING.sub("", text))
    words = text.split()
    for n in range(len(words), 0, -1):  # the longest tail that names a class: "big dining table"
        name = " ".join(words[-n:])
        for candidate in (name, name[:-1] if name.endswith("s") else name):
            if candidate in _SIZES_M:
                return _SIZES_M[candidate]
    return None


def estimate_distance_m(
    box_px_height_or_extent: float, image_extent_px: int, real_size_m: float, fov_deg: float
) -> float:
    """Pinhole distance ``real_size * f / apparent_px``, clamped to [MIN_DISTANCE_M, MAX_DISTANCE_M].

    ``f`` comes from the horizontal ``fov_deg`` and ``image_extent_px`` (the image *width*); with square
    pixels the same ``f`` holds for vertical extents, so the apparent size may be a box's height, width or
    largest side. Turned or foreshortened objects look smaller than their real size, so the estimate errs
    towards "further away"."""
    if box_px_height_or_extent <= 0 or real_size_m <= 0:
        raise ValueError(
            f"apparent size ({box_px_height_or_extent} px) and real size ({real_size_m} m) must be positive"
        )
    distance = real_size_m * _focal_px(image_extent_px, fov_deg) / box_px_height_or_extent
    return min(MAX_DISTANCE_M, max(MIN_DISTANCE_M, distance))


def distance_phrase(distance_m: float | None) -> str | None:
    """Words for a rough distance, never more precise than the estimate: 1 m steps under 10 m, 5 m
    beyond."""
    if distance_m is None:
        return None
    if distance_m < WITHIN_REACH_M:
        return "within reach"
    if distance_m < ARMS_LENGTH_M:
        return "about an arm's length away"
    step = 1.0 if distance_m < FINE_STEP_LIMIT_M else COARSE_STEP_M
    metres = int(math.floor(distance_m / step + 0.5) * step)
    return f"roughly {metres} {'metre' if metres == 1 else 'metres'} away"


def _height_word(y_share: float) -> str:
    if y_share < HIGH_UP_BELOW:
        return "high up"
    if y_share < EYE_LEVEL_BELOW:
        return "at eye level"
    return "low down" if y_share < LOW_DOWN_BELOW else "near the floor"


def locate(mask: np.ndarray, label: str | None = None, fov_deg: float = DEFAULT_FOV_DEG) -> Position:
    """Position of the object in ``mask``: (H, W) or (1, H, W), bool or numeric (> 0 is the object).

    An empty mask gives ``NOT_FOUND``. Distance uses the largest side of the mask's bounding box against
    ``typical_size_m(label)``. An object cut by the frame edge shows less than its real extent, so its
    distance is overestimated (an upper bound); the largest side limits this, since a cut usually
    shortens one side only, and a cut object is large in the frame, hence near, anyway."""
    _check_fov(fov_deg)
    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 2:
        raise ValueError(f"mask must be (H, W) or (1, H, W), got shape {m.shape}")
    m = m if m.dtype == np.bool_ else m > 0
    h, w = m.shape
    area = int(np.count_nonzero(m))
    if area == 0:
        return NOT_FOUND
    cols, rows = m.sum(axis=0), m.sum(axis=1)
    xs, ys = np.flatnonzero(cols), np.flatnonzero(rows)
    box = (int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)
    cx = float(cols @ np.arange(w)) / area + 0.5
    cy = float(rows @ np.arange(h)) / area + 0.5
    angle = horizontal_angle(cx, w, fov_deg)
    side = "left" if cx < w / 3 else "right" if cx > 2 * w / 3 else "centre"
    height = None if (box[3] - box[1]) > HEIGHT_SPAN_LIMIT * h else _height_word(cy / h)
    size = typical_size_m(label)
    extent = max(box[2] - box[0], box[3] - box[1])
    distance = None if size is None else estimate_distance_m(extent, w, size, fov_deg)
    return Position(
        found=True,
        centroid=(cx, cy),
        box=box,
        area_share=area / (h * w),
        clock_hour=clock_hour(angle),
        side=side,
        height=height,
        distance_m=distance,
        distance_phrase=distance_phrase(distance),
        angle_deg=angle,
    )


def position_phrase(name: str, pos: Position) -> str:
    """Short, noun-first words: "Red cup, 2 o'clock, within reach." / "Red cup: not found." The height
    is said only when there is no distance."""
    noun = re.sub(r"^(the|a|an|my|your|our)\s+", "", name.strip(), flags=re.IGNORECASE)
    noun = noun.rstrip(".,;:!?") or "object"
    noun = noun[0].upper() + noun[1:]
    where = place_phrase(pos)
    return f"{noun}, {where}." if where else f"{noun}: not found."


def place_phrase(pos: Position) -> str:
    """The place alone: "2 o'clock, within reach", "11 o'clock, at eye level"; "" when not found."""
    if not pos.found or pos.clock_hour is None:
        return ""
    extra = pos.distance_phrase or pos.height
    return f"{pos.clock_hour} o'clock, {extra}" if extra else f"{pos.clock_hour} o'clock"


def motion(first: Position, last: Position, width: int) -> str | None:
    """How the object moved between two frames of ``width`` pixels: "coming closer", "moving away",
    "moving left", "moving right", or None when still or not seen in both. Approach wins over sideways
    movement because it is the hazard."""
    if not (first.found and last.found) or first.centroid is None or last.centroid is None:
        return None
    if first.area_share > 0 and last.area_share > 0:
        ratio = last.area_share / first.area_share
        if ratio >= APPROACH_AREA_RATIO:
            return "coming closer"
        if ratio <= 1 / APPROACH_AREA_RATIO:
            return "moving away"
    shift = (last.centroid[0] - first.centroid[0]) / width if width > 0 else 0.0
    if shift <= -LATERAL_SHIFT_SHARE:
        return "moving left"
    if shift >= LATERAL_SHIFT_SHARE:
        return "moving right"
    return None
