"""Pixel masks for objects a detector gives only boxes for, cut inside each box in a few milliseconds.

Each box is cut by a per-pixel vote in log-odds, thresholded at 0 inside the box:

1. colour: an HSV histogram of the box's centre (foreground sample) against the ring of context
   around the box (background sample), refitted once on the first mask's own pixels;
2. place: +2 at the box centre falling to 0 on the inscribed ellipse and below it outside, so that
   colours both samples share go to the centre;
3. saliency: MediaPipe's selfie model on the padded crop, which outside people acts as a salient
   foreground model (people, animals, food, some furniture). It votes only where it picks out the box
   (mean probability in the box at least ``SALIENT_CONTRAST`` above the ring's), so an object it
   does not see costs nothing.

The mask keeps the connected parts that reach the box's centre, with holes filled (the inscribed
ellipse if nothing is left). Two rules skip the vote: a box that leaves too little of the image
around it to learn the background from is returned filled, and so are the classes in ``RECTANGULAR``.

Measured with each ground-truth mask's own box on the 63 COCO objects of the dev refseg split (mean
IoU; each box side moved by up to ±10% of the box size in brackets): this 0.73 (0.67); filled box
0.63 (0.59); inscribed ellipse 0.65 (0.60); colour and place without the selfie model 0.68 (0.64);
the selfie model alone 0.35 (0.33), or falling back to the ellipse 0.69 (0.63); GrabCut at 128 px,
1 iteration 0.61 (0.48) in ~20 ms. On six DAVIS first frames (854x480): 0.76 (0.72), ellipse 0.50.
About 10 ms per object at 640x480 (median; 90th percentile 15-25 ms on 2 busy shared cores), ~4 ms
of it the selfie model. Weakest on vehicles (0.61), which the selfie model does not pick out.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ...config import LiteConfig
from ...errors import InputError
from .people import PersonFinder, Segmenter, load_person_finder

# COCO classes that look like their box from most views (front-on boxes, doors, screens, covers).
# Measured on tv, oven, refrigerator (6 objects): filled box 0.88 mean IoU against 0.79 for the vote.
# Laptops are not here: open, they are two planes at an angle (box 0.48, vote 0.69 on 2 objects).
RECTANGULAR = frozenset({"tv", "refrigerator", "oven", "microwave", "book"})

# Context around the box, share of its size per side: the background sample for colour and the ring
# the selfie model must tell the box from (0.1 and 0.3 measured 0.72 mean IoU on true boxes, 0.2 0.73).
CONTEXT_PAD = 0.2
CORE = 0.5  # foreground colour sample: inside the inscribed ellipse shrunk to this share of its radii
BINS = 16  # histogram bins per HSV channel (4096 colours); 8 and 32 measured the same
CENTRE_LOGODDS = 2.0  # place vote at the box centre; 0 on the inscribed ellipse, negative beyond it
SALIENT_CONTRAST = 0.2  # mean selfie probability in the box minus the ring's (0..1) for it to vote
PROB_CLIP = 0.02  # selfie probabilities are clipped to [p, 1 - p]: its vote stays within ±3.9
SMOOTH_PX = 5  # box filter on the vote, pixels: removes speckle from single-colour pixels
REFITS = 1  # colour refits on the mask so far (+0.008 IoU for ~2 ms; a second added 0.004)
MIN_BACKGROUND = 0.2  # context ring smaller than this share of the box area: return the filled box
MIN_SIDE_PX = 8  # boxes narrower or shorter than this are returned filled (too few pixels to model)
WORK_SIDE_PX = 480  # longer crops are cut at this size, the mask scaled back: bounds the cost on big
# photos (a 2560x1920 frame), with the same IoU on the 640 px dev photos (0.729 against 0.731 uncapped)
MIN_SAMPLE_PX = 16  # refit only while the mask and its complement both have this many pixels


class BoxMasker:
    """Cuts an object's pixel mask out of its box: ``mask(image, box, label)`` -> (H, W) bool.

    ``segment`` is the selfie segmenter (crop (h, w, 3) uint8 RGB -> (h, w) float32 probability);
    ``load_box_masker`` shares the person finder's. Without one, masks come from colour and place
    only (0.69 mean IoU instead of 0.73 on the dev objects, in 5-8 ms). Not thread-safe: MediaPipe
    graphs are not.
    """

    def __init__(self, segment: Segmenter | None = None) -> None:
        self.segment = segment

    def mask(self, image: np.ndarray, box: Sequence[float], label: str) -> np.ndarray:
        """The pixels of the ``label`` object in ``box`` of ``image`` ((H, W, 3) uint8 RGB).

        ``box`` is (x0, y0, x1, y1) pixels, x1/y1 exclusive, clipped to the image; a box with no area
        inside the image gives an empty mask. The mask never leaves the clipped box."""
        return self.masks(image, [box], [label])[0]

    def masks(self, image: np.ndarray, boxes: Sequence[Sequence[float]], labels: Sequence[str]) -> np.ndarray:
        """``mask`` for each box: (N, H, W) bool."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(
                f"masks need an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}",
                "Convert the frame first, e.g. cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).",
            )
        if len(boxes) != len(labels):
            raise ValueError(f"{len(boxes)} boxes but {len(labels)} labels: give one label per box")
        h, w = image.shape[:2]
        out = np.zeros((len(boxes), h, w), bool)
        for i, (box, label) in enumerate(zip(boxes, labels, strict=True)):
            inner = _clip(box, w, h)
            x0, y0, x1, y1 = inner
            if x1 <= x0 or y1 <= y0:
                continue
            context = _clip(box, w, h, CONTEXT_PAD)
            if label in RECTANGULAR or not _worth_cutting(inner, context):
                out[i, y0:y1, x0:x1] = True
                continue
            cx0, cy0, cx1, cy1 = context
            out[i, cy0:cy1, cx0:cx1] = self._cut_crop(
                image[cy0:cy1, cx0:cx1], (x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0)
            )
        return out

    def _cut_crop(self, crop: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """``_cut`` at no more than ``WORK_SIDE_PX``: big crops are shrunk, their mask grown back."""
        ch, cw = crop.shape[:2]
        scale = min(1.0, WORK_SIDE_PX / max(ch, cw))
        if scale == 1.0:
            small, small_box = np.ascontiguousarray(crop), box
        else:
            sw, sh = max(1, round(cw * scale)), max(1, round(ch * scale))
            small = cv2.resize(crop, (sw, sh), interpolation=cv2.INTER_AREA)
            x0, y0, x1, y1 = box
            small_box = (
                int(x0 * scale),
                int(y0 * scale),
                min(sw, int(np.ceil(x1 * scale))),
                min(sh, int(np.ceil(y1 * scale))),
            )
        salient = None if self.segment is None else self.segment(small)
        mask = _cut(_colour_index(small), small_box, salient)
        if scale == 1.0:
            return mask
        grown = cv2.resize(mask.astype(np.float32), (cw, ch), interpolation=cv2.INTER_LINEAR) > 0.5
        inside = np.zeros((ch, cw), bool)
        inside[box[1] : box[3], box[0] : box[2]] = True
        return grown & inside


def load_box_masker(config: LiteConfig, people: PersonFinder | None = None) -> BoxMasker:
    """A ``BoxMasker`` using ``people``'s selfie segmenter (one MediaPipe graph for both), or, with no
    finder given, that of a newly loaded one. Imports mediapipe; an ImportError propagates."""
    finder = people if people is not None else load_person_finder(config)
    return BoxMasker(finder.segment)


def _clip(box: Sequence[float], w: int, h: int, pad: float = 0.0) -> tuple[int, int, int, int]:
    """Integer (x0, y0, x1, y1) of ``box`` grown by ``pad`` of its size per side, clipped to the image;
    (0, 0, 0, 0) for a box with a non-finite coordinate."""
    x0, y0, x1, y1 = (float(v) for v in box)
    if not np.isfinite([x0, y0, x1, y1]).all():
        return (0, 0, 0, 0)
    bw, bh = x1 - x0, y1 - y0
    return (
        int(np.clip(np.floor(x0 - pad * bw), 0, w)),
        int(np.clip(np.floor(y0 - pad * bh), 0, h)),
        int(np.clip(np.ceil(x1 + pad * bw), 0, w)),
        int(np.clip(np.ceil(y1 + pad * bh), 0, h)),
    )


def _worth_cutting(inner: tuple[int, ...], context: tuple[int, ...]) -> bool:
    """Big enough to model, and with enough image around it to learn the background from (a box that
    fills the frame is nearly all object: a dining table seen from above, a fridge up close)."""
    iw, ih = inner[2] - inner[0], inner[3] - inner[1]
    ring = (context[2] - context[0]) * (context[3] - context[1]) - iw * ih
    return iw >= MIN_SIDE_PX and ih >= MIN_SIDE_PX and ring >= MIN_BACKGROUND * iw * ih


def _colour_index(image: np.ndarray) -> np.ndarray:
    """(H, W) int32 histogram bin of each pixel: HSV, ``BINS`` levels per channel."""
    q = cv2.cvtColor(image, cv2.COLOR_RGB2HSV_FULL).astype(np.int32) * BINS // 256
    return (q[..., 0] * BINS + q[..., 1]) * BINS + q[..., 2]


def _ellipse_radius(h: int, w: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """(h, w) float32: each pixel centre's distance from the box centre in units of the inscribed
    ellipse's radii (1 on the ellipse)."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    rx, ry = max((x1 - x0) / 2, 0.5), max((y1 - y0) / 2, 0.5)
    ys, xs = np.ogrid[:h, :w]
    return np.sqrt(((xs + 0.5 - cx) / rx) ** 2 + ((ys + 0.5 - cy) / ry) ** 2).astype(np.float32)


def _colour_logodds(colours: np.ndarray, fg: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """log P(colour | fg) - log P(colour | bg) per pixel, each histogram add-one smoothed."""
    n = BINS**3
    hf = np.bincount(colours[fg], minlength=n).astype(np.float32) + 1
    hb = np.bincount(colours[bg], minlength=n).astype(np.float32) + 1
    return np.log(hf / hf.sum() / (hb / hb.sum()))[colours]


def _cut(colours: np.ndarray, box: tuple[int, int, int, int], salient: np.ndarray | None) -> np.ndarray:
    """The vote in one context crop: ``colours`` (h, w) bins, ``box`` in crop pixels, ``salient`` the
    selfie probability over the crop or None. Returns the (h, w) bool mask, inside ``box`` only."""
    h, w = colours.shape
    x0, y0, x1, y1 = box
    inside = np.zeros((h, w), bool)
    inside[y0:y1, x0:x1] = True
    radius = _ellipse_radius(h, w, box)
    prior = CENTRE_LOGODDS * (1.0 - radius)
    if salient is not None and salient[inside].mean() - salient[~inside].mean() >= SALIENT_CONTRAST:
        p = np.clip(salient, PROB_CLIP, 1 - PROB_CLIP)
        prior += np.log(p / (1 - p))
    fg, bg = radius <= CORE, ~inside
    mask = inside
    for round_ in range(REFITS + 1):
        vote = cv2.blur(_colour_logodds(colours, fg, bg) + prior, (SMOOTH_PX, SMOOTH_PX))
        mask = _solid((vote > 0) & inside, radius <= CORE) & inside
        if np.count_nonzero(mask) < MIN_SAMPLE_PX or np.count_nonzero(~mask) < MIN_SAMPLE_PX:
            break
        if round_ < REFITS:
            fg, bg = mask, ~mask
    # Never seen on the dev objects; a detector box holds something, and the ellipse is its best guess.
    return mask if mask.any() else inside & (radius <= 1.0)


def _solid(mask: np.ndarray, core: np.ndarray) -> np.ndarray:
    """The connected parts of ``mask`` that reach ``core`` (the largest if none does), holes filled."""
    count, parts, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return mask
    keep = np.unique(parts[core & mask])
    keep = keep[keep > 0]
    if keep.size == 0:
        keep = np.array([1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))])
    solid = np.isin(parts, keep)
    _, gaps = cv2.connectedComponents((~solid).astype(np.uint8), connectivity=4)
    edge = np.unique(np.concatenate([gaps[0], gaps[-1], gaps[:, 0], gaps[:, -1]]))
    return solid | ~np.isin(gaps, np.append(edge, 0))
