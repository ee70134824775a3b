"""How much of an object's pixels look like each colour of the palette a user can name
(``vocabulary.PALETTE``). Pure: numpy, and cv2 only for the RGB -> HSV conversion.

Each pixel gets exactly one palette colour, decided in HSV (OpenCV's uint8 HSV: hue 0..179 = degrees / 2,
saturation and value 0..255), in this order:

1. black: value < ``BLACK_V_MAX`` (too dark for its hue to mean anything);
2. white / grey: saturation < ``GREY_S_MAX`` (achromatic), white when value >= ``WHITE_V_MIN``;
3. brown: an orange hue (``BROWN_HUE_DEG``) that is dark (value < ``BROWN_V_MAX``): dark orange is brown;
4. pink: a red or pink hue that is pale (saturation < ``PINK_S_MAX``, value >= ``PINK_V_MIN``);
5. otherwise the hue band (``HUE_BANDS_DEG``): red, orange, yellow, green, blue, purple, pink, red.

"silver" is said as grey: in HSV a metallic sheen and grey paint are the same low-saturation pixels.
Cyan and teal fall in blue; magenta in purple.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...vocabulary import PALETTE

BLACK_V_MAX = 60  # value below ~24 % brightness
GREY_S_MAX = 45  # saturation below ~18 %: no usable hue
WHITE_V_MIN = 200  # an achromatic pixel brighter than ~78 % is white, otherwise grey (silver ~75 %)
BROWN_HUE_DEG = (10, 45)  # orange-ish hues ...
BROWN_V_MAX = 160  # ... darker than ~63 % read as brown
PINK_S_MAX, PINK_V_MIN = 120, 150  # pale (< ~47 % saturated) and bright (>= ~59 %) reds are pink
PINK_HUES_DEG = (320, 15)  # the red/pink hue range the pale rule applies to (wraps through 0)
# Upper edges in degrees of the hue bands, in order; hue >= 345 is red again.
HUE_BANDS_DEG: tuple[tuple[int, str], ...] = (
    (15, "red"), (40, "orange"), (70, "yellow"), (165, "green"), (260, "blue"), (320, "purple"),
    (345, "pink"), (360, "red"),
)  # fmt: skip
MAX_PIXELS = 20_000  # pixels sampled per object (evenly); shares move by well under 1 % beyond this
_INDEX = {c: i for i, c in enumerate(PALETTE)}
_BAND_EDGES = np.array([edge for edge, _ in HUE_BANDS_DEG])
_BAND_INDEX = np.array([_INDEX[c] for _, c in HUE_BANDS_DEG])


def pixel_colours(rgb: np.ndarray) -> np.ndarray:
    """Palette index (into ``PALETTE``) of each pixel of an (N, 3) uint8 RGB array; shape (N,)."""
    if len(rgb) == 0:
        return np.zeros(0, np.int64)
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb, np.uint8).reshape(-1, 1, 3), cv2.COLOR_RGB2HSV)
    hsv = hsv.reshape(-1, 3).astype(np.int32)
    hue, sat, val = hsv[:, 0] * 2, hsv[:, 1], hsv[:, 2]
    index = _BAND_INDEX[np.searchsorted(_BAND_EDGES, hue, side="right").clip(max=len(_BAND_EDGES) - 1)]
    pinkish = (hue >= PINK_HUES_DEG[0]) | (hue < PINK_HUES_DEG[1])
    conditions = [
        val < BLACK_V_MAX,
        (sat < GREY_S_MAX) & (val >= WHITE_V_MIN),
        sat < GREY_S_MAX,
        (hue >= BROWN_HUE_DEG[0]) & (hue < BROWN_HUE_DEG[1]) & (val < BROWN_V_MAX),
        pinkish & (sat < PINK_S_MAX) & (val >= PINK_V_MIN),
    ]
    names = [_INDEX[c] for c in ("black", "white", "grey", "brown", "pink")]
    return np.select(conditions, names, default=index)


def region_pixels(image: np.ndarray, mask: np.ndarray | None, box: tuple[int, int, int, int]) -> np.ndarray:
    """The (N, 3) pixels that stand for an object: its mask when it has one with pixels, otherwise the
    central half (in each direction) of its box, which avoids most of the background a box holds."""
    if mask is not None and mask.any():
        pixels = image[mask]
    else:
        x0, y0, x1, y1 = box
        dx, dy = (x1 - x0) // 4, (y1 - y0) // 4
        pixels = image[max(0, y0 + dy) : max(0, y1 - dy), max(0, x0 + dx) : max(0, x1 - dx)].reshape(-1, 3)
    step = max(1, len(pixels) // MAX_PIXELS)
    return pixels[::step]


def colour_shares(
    image: np.ndarray, mask: np.ndarray | None, box: tuple[int, int, int, int]
) -> dict[str, float]:
    """Share (0..1, summing to 1, or all 0 for an empty region) of the object's pixels in each
    ``PALETTE`` colour. ``image`` is (H, W, 3) uint8 RGB, ``mask`` (H, W) bool or None, ``box`` x0, y0,
    x1, y1 pixels (x1/y1 exclusive)."""
    index = pixel_colours(region_pixels(image, mask, box))
    counts = np.bincount(index, minlength=len(PALETTE))
    total = max(1, int(counts.sum()))
    return {c: float(counts[i]) / total for i, c in enumerate(PALETTE)}
