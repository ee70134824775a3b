"""The small interface every ``lite`` capability plugs into: a finder turns one RGB image into found
instances of the classes it knows. People and text implement it today; the 80-class detector will.

Conventions (as in ``sa2va_assist.types``): images are (H, W, 3) uint8 RGB; masks are (H, W) bool at
the image's own resolution; boxes are (x0, y0, x1, y1) pixels with x1/y1 exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Found:
    """One instance of a class in one image."""

    label: str  # class name in the finder's vocabulary: "person", "text"
    mask: np.ndarray  # (H, W) bool, the instance's pixels
    score: float  # finder confidence in [0, 1]
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 pixels, x1/y1 exclusive; (0, 0, 0, 0) when empty
    text: str | None = None  # the words read, for label "text"

    @property
    def area(self) -> int:
        """Mask area in pixels."""
        return int(np.count_nonzero(self.mask))

    @property
    def centre_x(self) -> float:
        """Horizontal centre of the box in pixels (continuous coordinates)."""
        return (self.box[0] + self.box[2]) / 2.0


@runtime_checkable
class Finder(Protocol):
    """Finds instances of ``labels`` in an image. Built once (models loaded) by its loader; ``find``
    never loads. Raises whatever its model raises; the backend turns that into ``BackendError``."""

    labels: frozenset[str]

    def find(self, image: np.ndarray) -> list[Found]:
        """Every instance found in ``image`` ((H, W, 3) uint8 RGB), most prominent first."""
        ...


def box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1), x1/y1 exclusive, of a (H, W) bool mask; (0, 0, 0, 0) if empty."""
    cols, rows = np.flatnonzero(mask.any(axis=0)), np.flatnonzero(mask.any(axis=1))
    if cols.size == 0:
        return (0, 0, 0, 0)
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def box_mask(shape: tuple[int, int], box: Sequence[int]) -> np.ndarray:
    """(H, W) bool mask that is True inside ``box`` (x0, y0, x1, y1 pixels, x1/y1 exclusive), clipped
    to the frame: where a box-only object is, for ``spatial.locate``."""
    mask = np.zeros(shape, bool)
    x0, y0, x1, y1 = (int(v) for v in box)
    mask[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return mask


def by_prominence(found: Sequence[Found]) -> list[Found]:
    """Largest mask first (nearest, for objects of one class); ties broken by score."""
    return sorted(found, key=lambda f: (f.area, f.score), reverse=True)


def pick(found: Sequence[Found], side: str | None) -> Found | None:
    """The instance a singular phrase means: leftmost / rightmost / nearest the middle for ``side`` in
    {"left", "right", "middle"}, otherwise the most prominent. None when there is none."""
    if not found:
        return None
    if side == "left":
        return min(found, key=lambda f: f.centre_x)
    if side == "right":
        return max(found, key=lambda f: f.centre_x)
    if side == "middle":
        width = found[0].mask.shape[1]
        return min(found, key=lambda f: abs(f.centre_x - width / 2.0))
    return by_prominence(found)[0]
