"""Mask and timing metrics, pure numpy (OpenCV only for the boundary dilation). No I/O.

Masks are 2-D arrays of shape (H, W), row-major (y, x); anything nonzero is foreground, so bool masks
and 0/255 PNG masks both work. Sequences of masks are (n, H, W). Scores are fractions in 0..1; the
field reports J, F and J&F x100, which is the caller's formatting.

J and F reproduce the DAVIS toolkit (davisvideochallenge/davis2017-evaluation, ``davis2017/metrics.py``:
``db_eval_iou``, ``f_measure``, ``_seg2bmap``) without void pixels, so J&F compares with published
numbers. The text metrics (OCR words, WER, object mentions) live in ``text_metrics`` and are re-exported
here so ``metrics`` is the one place to import from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sa2va_assist.eval.text_metrics import (
    COCO_CATEGORIES,
    WordCounts,
    corpus_wer,
    edit_counts,
    mention_precision_recall,
    mentioned_categories,
    normalise_transcript,
    normalise_word,
    wer,
    word_match_counts,
    word_recall_precision,
    words_of,
)
from sa2va_assist.vocabulary import MENTION_SYNONYMS

__all__ = [
    "COCO_CATEGORIES",
    "DAVIS_BOUND_TH",
    "MENTION_SYNONYMS",
    "IoUAccumulator",
    "WordCounts",
    "boundary_f",
    "boundary_map",
    "ciou",
    "corpus_wer",
    "edit_counts",
    "jaccard",
    "jf_for_sequence",
    "mention_precision_recall",
    "mentioned_categories",
    "normalise_transcript",
    "normalise_word",
    "percentile",
    "tolerance_px",
    "wer",
    "word_match_counts",
    "word_recall_precision",
    "words_of",
]

# DAVIS boundary tolerance as a share of the image diagonal: 0.008 x 979.7 px = 7.8 -> 8 px on the
# 854x480 DAVIS frames. Values >= 1 are taken as a radius in pixels, as in the toolkit.
DAVIS_BOUND_TH = 0.008


def _as_mask(mask: ArrayLike, name: str) -> NDArray[np.bool_]:
    array = np.asarray(mask)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) mask, got shape {array.shape}")
    return array.astype(bool, copy=False)


def _pair(pred: ArrayLike, true: ArrayLike) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    p, t = _as_mask(pred, "pred"), _as_mask(true, "true")
    if p.shape != t.shape:
        raise ValueError(f"pred {p.shape} and true {t.shape} masks differ in shape; resize pred first")
    return p, t


def _iou_counts(pred: NDArray[np.bool_], true: NDArray[np.bool_]) -> tuple[int, int]:
    return int(np.count_nonzero(pred & true)), int(np.count_nonzero(pred | true))


def jaccard(pred: ArrayLike, true: ArrayLike) -> float:
    """Region similarity J: |pred & true| / |pred | true| for two (H, W) masks; 1.0 when both are empty
    (nothing to find, nothing found), 0.0 when exactly one is."""
    intersection, union = _iou_counts(*_pair(pred, true))
    return 1.0 if union == 0 else intersection / union


def boundary_map(mask: ArrayLike) -> NDArray[np.bool_]:
    """One-pixel-wide boundary (H, W) of an (H, W) mask, exactly as DAVIS ``_seg2bmap``.

    A pixel is boundary where its value differs from its east, south or south-east neighbour, so the
    contour sits half a pixel towards the origin: the boundary of a k x k square at rows/columns
    ``r..r+k-1`` is the perimeter of the (k+1) x (k+1) square at ``r-1..r+k-1`` (4k pixels). The image
    border is not an edge: the last row only compares with its east neighbour, the last column with its
    south one, so a full-frame mask has an empty boundary.
    """
    seg = _as_mask(mask, "mask")
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    bmap = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    bmap[-1, :] = seg[-1, :] ^ east[-1, :]
    bmap[:, -1] = seg[:, -1] ^ south[:, -1]
    bmap[-1, -1] = False
    return bmap


def tolerance_px(shape: tuple[int, ...], bound_th: float = DAVIS_BOUND_TH) -> int:
    """Boundary match radius in pixels for an (H, W) image: ``bound_th`` itself when >= 1, else
    ``ceil(bound_th * sqrt(H^2 + W^2))`` (8 px for 854x480 at the default 0.008)."""
    if bound_th >= 1:
        return int(bound_th)
    return math.ceil(bound_th * math.hypot(shape[0], shape[1]))


def _disk(radius: int) -> NDArray[np.uint8]:
    # skimage.morphology.disk: offsets with dx^2 + dy^2 <= r^2.
    offsets = np.arange(-radius, radius + 1)
    return (offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius**2).astype(np.uint8)


def boundary_f(pred: ArrayLike, true: ArrayLike, bound_th: float = DAVIS_BOUND_TH) -> float:
    """Boundary accuracy F (DAVIS ``f_measure``) of two (H, W) masks.

    Boundaries come from ``boundary_map``. Precision is the share of predicted boundary pixels with a
    true boundary pixel within ``tolerance_px(shape, bound_th)`` (Euclidean, a disk dilation); recall
    the share of true boundary pixels with a predicted one within it; F = 2PR / (P + R), 0 when
    P + R = 0. Both boundaries empty -> 1.0; exactly one empty -> 0.0. About 2 ms for 854x480.
    """
    import cv2

    p, t = _pair(pred, true)
    radius = tolerance_px(p.shape, bound_th)
    # Work inside the masks' joint bounding box plus one pixel, where every boundary pixel lies: that
    # crop has the same boundary maps (a margin row/column is background, or is the image's own last
    # row/column) and dilating within it loses nothing. Same numbers, several times faster.
    rows, cols = np.flatnonzero((p | t).any(axis=1)), np.flatnonzero((p | t).any(axis=0))
    if rows.size == 0:
        return 1.0
    window = slice(max(rows[0] - 1, 0), rows[-1] + 2), slice(max(cols[0] - 1, 0), cols[-1] + 2)
    p_bound, t_bound = boundary_map(p[window]), boundary_map(t[window])
    n_pred, n_true = int(np.count_nonzero(p_bound)), int(np.count_nonzero(t_bound))
    if n_pred == 0 or n_true == 0:
        return 1.0 if n_pred == n_true else 0.0
    disk = _disk(radius)
    p_near = cv2.dilate(p_bound.view(np.uint8), disk).view(bool)
    t_near = cv2.dilate(t_bound.view(np.uint8), disk).view(bool)
    precision = np.count_nonzero(p_bound & t_near) / n_pred
    recall = np.count_nonzero(t_bound & p_near) / n_true
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def jf_for_sequence(preds: ArrayLike, trues: ArrayLike, bound_th: float = DAVIS_BOUND_TH) -> dict[str, float]:
    """Mean J and mean F over the frames of one expression's video, and their average.

    ``preds`` and ``trues`` are (n, H, W), n >= 1, frame i against frame i. Returns
    ``{"J": mean J, "F": mean F, "JF": (J + F) / 2}`` as fractions; the split's J&F is the mean of
    "JF" over expressions.
    """
    p, t = np.asarray(preds), np.asarray(trues)
    if p.ndim != 3 or p.shape != t.shape or p.shape[0] == 0:
        raise ValueError(f"preds {p.shape} and trues {t.shape} must both be (n, H, W) with n >= 1")
    j = float(np.mean([jaccard(pf, tf) for pf, tf in zip(p, t, strict=True)]))
    f = float(np.mean([boundary_f(pf, tf, bound_th) for pf, tf in zip(p, t, strict=True)]))
    return {"J": j, "F": f, "JF": (j + f) / 2}


def ciou(intersections: Iterable[int], unions: Iterable[int]) -> float | None:
    """Cumulative IoU over a split: sum of per-item intersections / sum of unions (pixel counts).

    Large objects weigh more than small ones, unlike gIoU. None for no items; 1.0 when every union is
    empty (every item had nothing to find and found nothing).
    """
    inter, union = list(intersections), list(unions)
    if len(inter) != len(union):
        raise ValueError(f"{len(inter)} intersections but {len(union)} unions")
    if not union:
        return None
    total_union = sum(union)
    return 1.0 if total_union == 0 else sum(inter) / total_union


class IoUAccumulator:
    """Collects (pred, true) mask pairs of a referring-segmentation split and reports cIoU and gIoU.

    ``ciou`` = total intersection / total union (pixels); ``giou`` = mean of per-item IoU, an item with
    both masks empty counting as 1. Both are None until an item is added.
    """

    def __init__(self) -> None:
        self.intersection = 0  # pixels, summed over items
        self.union = 0  # pixels, summed over items
        self.ious: list[float] = []  # per-item IoU, in the order added

    def add(self, pred: ArrayLike, true: ArrayLike) -> float:
        """Add one item's (H, W) masks; returns its IoU."""
        intersection, union = _iou_counts(*_pair(pred, true))
        self.intersection += intersection
        self.union += union
        iou = 1.0 if union == 0 else intersection / union
        self.ious.append(iou)
        return iou

    @property
    def items(self) -> int:
        return len(self.ious)

    @property
    def ciou(self) -> float | None:
        if not self.ious:
            return None
        return 1.0 if self.union == 0 else self.intersection / self.union

    @property
    def giou(self) -> float | None:
        return float(np.mean(self.ious)) if self.ious else None


def percentile(values: Sequence[float] | NDArray[np.floating], q: float) -> float | None:
    """The q-th percentile (q in 0..100) with linear interpolation between order statistics (numpy's
    default), e.g. latency p50/p95 in the values' own unit; None for no values."""
    if len(values) == 0:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"q must be between 0 and 100, got {q}")
    return float(np.percentile(np.asarray(values, dtype=float), q))
