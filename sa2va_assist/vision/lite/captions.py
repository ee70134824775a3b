"""A short scene description from found objects: hazards first, then people, then the rest, each
class counted, the nearest or only ones placed by clock hour and distance (from their masks). Pure;
table-tested. Which objects are worth mentioning is the scan's choice (``ObjectFinder.scan``: a
sure enough score in either view of the image, a mask covering at least 1 % of the view).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ...spatial import Position, locate
from ...vocabulary import HAZARD_CLASSES, spoken_plural
from . import answers
from .finder import Found

MAX_CLASSES = 5  # classes described before the rest are only named
MAX_PLACED = 3  # instances of one class given a position
HAZARDS = HAZARD_CLASSES  # said first (ACCESSIBILITY.md: hazards first)


def _order(label: str, positions: Sequence[Position]) -> tuple[int, float]:
    rank = 0 if label in HAZARDS else 1 if label == "person" else 2
    return rank, -max(p.area_share for p in positions)


def _noun(label: str, n: int) -> str:
    name = "TV" if label == "tv" else label
    return answers.a_or_an(name) if n == 1 else f"{answers.number_word(n)} {spoken_plural(label)}"


def describe(found: Sequence[Found], fov_deg: float) -> str:
    """One sentence per class, most important first: "A car, 1 o'clock, roughly 6 metres away. Two
    people: 11 o'clock, roughly 3 metres away; 12 o'clock, roughly 4 metres away. Also a cup and a
    chair." Empty string when nothing was found."""
    groups: dict[str, list[Position]] = defaultdict(list)
    for f in found:
        groups[f.label].append(locate(f.mask, f.label, fov_deg))
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
