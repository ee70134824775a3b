"""A short scene description from detected objects: hazards first, then people, then the rest, each
class counted, the nearest or only ones placed by clock hour and distance. Pure; table-tested.

Only objects a person would notice are mentioned: a detector score of at least the configured
threshold and a box covering at least ``MIN_AREA_SHARE`` of the view (a speck in the corner is noise
more often than news).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ...spatial import Position, locate
from . import answers
from .finder import box_mask
from .referring import spoken_plural

MIN_AREA_SHARE = 0.01  # box area / frame area an object needs to be mentioned unasked
MAX_CLASSES = 5  # classes described before the rest are only named
MAX_PLACED = 3  # instances of one class given a position
# Moving things that matter to someone walking: said first (ACCESSIBILITY.md: hazards first).
HAZARDS = ("car", "bus", "truck", "motorcycle", "bicycle", "train")


def noticeable(detections: Sequence[Any], shape: tuple[int, int]) -> list[Any]:
    """Detections whose box covers at least ``MIN_AREA_SHARE`` of a (H, W) frame."""
    area = float(shape[0] * shape[1])
    return [d for d in detections if (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]) >= MIN_AREA_SHARE * area]


def _order(label: str, positions: Sequence[Position]) -> tuple[int, float]:
    rank = 0 if label in HAZARDS else 1 if label == "person" else 2
    return rank, -max(p.area_share for p in positions)


def _noun(label: str, n: int) -> str:
    name = "TV" if label == "tv" else label
    return answers.a_or_an(name) if n == 1 else f"{answers.number_word(n)} {spoken_plural(label)}"


def describe(detections: Sequence[Any], shape: tuple[int, int], fov_deg: float) -> str:
    """One sentence per class, most important first: "A car, 1 o'clock, roughly 6 metres away. Two
    people: 11 o'clock, roughly 3 metres away; 12 o'clock, roughly 4 metres away. Also a cup and a
    chair." Empty string when nothing noticeable was detected."""
    groups: dict[str, list[Position]] = defaultdict(list)
    for d in noticeable(detections, shape):
        groups[d.label].append(locate(box_mask(shape, d.box), d.label, fov_deg))
    ordered = sorted(groups.items(), key=lambda kv: _order(*kv))
    sentences = []
    for label, positions in ordered[:MAX_CLASSES]:
        noun = answers.capitalised(_noun(label, len(positions)))
        nearest = sorted(positions, key=lambda p: -p.area_share)[:MAX_PLACED]
        places = "; ".join(answers.where(p) for p in sorted(nearest, key=lambda p: p.angle_deg or 0.0))
        sentences.append(f"{noun}{',' if len(positions) == 1 else ':'} {places}.")
    rest = [_noun(label, len(p)) for label, p in ordered[MAX_CLASSES:]]
    if rest:
        sentences.append(f"Also {', '.join(rest[:-1]) + ' and ' if len(rest) > 1 else ''}{rest[-1]}.")
    return " ".join(sentences)
