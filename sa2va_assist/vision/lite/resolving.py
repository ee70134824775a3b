"""Which detected instances a parsed referring phrase means (``resolve``). Pure: boxes, masks and
colours in, indices out; no model, no I/O. The rules are stated in ``referring``'s docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ...spatial import typical_size_m
from ...types import Place, Relation, RelationKind, Target
from .colours import colour_shares
from .finder import Found

MIN_COLOUR_SHARE = 0.15  # at least this share of the object's pixels must be the named colour ...
COLOUR_KEEP = 0.5  # ... and at least half the best candidate's share ("red cup" vs cup with a red logo)
RELATION_KEEP = 0.9  # singular: candidates within 90 % of the best relation score stay, then prominence
NEAR_LIMIT = 1.0  # "next to": centre distance at most the boxes' mean diagonal
# Singular phrase, no qualifier: the most prominent (score x area) is chosen, and the choice is
# ambiguous when the runner-up has at least this share of its prominence. Area goes with 1 / distance^2,
# so below 0.6 the chosen one is at least ~1.3 times nearer (same class): clearly the one in front.
AMBIGUOUS_RATIO = 0.6
RIDEABLE = frozenset(
    {"bicycle", "motorcycle", "horse", "elephant", "skateboard", "surfboard", "skis", "snowboard"}
)
Box = tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class Candidate:
    """One detected instance the resolver chooses among (a ``Found`` or a detector's ``Detection``)."""

    label: str  # COCO class name
    box: Box  # x0, y0, x1, y1 pixels, x1/y1 exclusive
    score: float  # detector confidence, 0..1
    mask: np.ndarray | None = None  # (H, W) bool at the image's resolution, or None (box only)
    colours: Mapping[str, float] | None = None  # ``colours.colour_shares``; computed when None

    @classmethod
    def from_found(cls, found: Found) -> Candidate:
        return cls(found.label, found.box, found.score, found.mask)

    @property
    def area(self) -> float:
        """Mask pixels, or the box's area without a mask."""
        return float(np.count_nonzero(self.mask)) if self.mask is not None else float(_area(self.box))


@dataclass(frozen=True)
class Resolution:
    """Which candidates a ``Target`` means."""

    chosen: list[int]  # candidate indices: one, several (plural, union), or none
    ambiguous: bool  # singular phrase, several equally plausible: ask back which one
    reason: str  # short trace for debugging: "cup: 3; red: 1; most prominent"
    missing: list[str] = field(default_factory=list)  # classes named (target, part, related) but not seen
    unmatched: list[str] = field(default_factory=list)  # qualifiers nothing satisfied: "the red cup"
    alike: list[int] = field(default_factory=list)  # when ambiguous: the plausible ones, chosen first


def _area(b: Box) -> int:
    return max(0, b[2] - b[0]) * max(0, b[3] - b[1])


def _centre(b: Box) -> tuple[float, float]:
    return (b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0


def relation_score(kind: RelationKind, c: Candidate, o: Candidate) -> float:
    """How well candidate ``c`` stands in relation ``kind`` to ``o``, from boxes only; 0 = not at all.

    on: c's bottom edge within o's upper half (or just above it), c's centre above o's, and c spans at
    least half of the narrower width; a person on a bicycle, horse, board, ... is riding it instead.
    riding: boxes overlap, c's centre and top above o's, 30 % horizontal overlap; score = overlap share.
    under: c's centre below o's and its top below o's upper quarter, half the width shared. holding: o
    at least half inside c; in: c at least half inside o. in front of / behind: c's bottom edge lower /
    higher (nearer / farther on the ground, camera at chest height) by 5 % of o's height, some horizontal
    overlap. next to / with: centres at most ``NEAR_LIMIT`` mean diagonals apart, nearer scores higher."""
    a, b = c.box, o.box
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    inter = ix * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    h_overlap = ix / max(1, min(a[2] - a[0], b[2] - b[0]))
    (cx, cy), (ox, oy), oh = _centre(a), _centre(b), b[3] - b[1]
    if kind == "riding" or (kind == "on" and c.label == "person" and o.label in RIDEABLE):
        return _overlap(a, b) if inter > 0 and cy < oy and a[1] < b[1] and h_overlap >= 0.3 else 0.0
    if kind == "on":
        return (
            h_overlap if b[1] - 0.1 * oh <= a[3] <= b[1] + 0.5 * oh and cy < oy and h_overlap >= 0.5 else 0.0
        )
    if kind == "under":
        return h_overlap if cy > oy and a[1] >= b[1] + 0.25 * oh and h_overlap >= 0.5 else 0.0
    if kind in ("holding", "in"):
        share = inter / max(1, _area(b if kind == "holding" else a))
        return share if share >= 0.5 else 0.0
    if kind in ("in front of", "behind"):
        lower = (a[3] - b[3]) * (1 if kind == "in front of" else -1) > 0.05 * oh
        return h_overlap if lower and h_overlap > 0 else 0.0
    d = math.dist((cx, cy), (ox, oy)) / max(1.0, (math.hypot(*_size(a)) + math.hypot(*_size(b))) / 2)
    return 1.0 / (1.0 + d) if d <= NEAR_LIMIT else 0.0


def _size(b: Box) -> tuple[int, int]:
    return b[2] - b[0], b[3] - b[1]


def _overlap(a: Box, b: Box) -> float:
    """Intersection area over the smaller box's area, 0..1."""
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return inter / max(1, min(_area(a), _area(b)))


def resolve(ref: Target, candidates: Sequence[Candidate], image: np.ndarray) -> Resolution:
    """The candidates ``ref`` means in ``image`` ((H, W, 3) uint8 RGB). Each qualifier filters in turn:
    class, colour (``MIN_COLOUR_SHARE``, ``COLOUR_KEEP``), relation (``relation_score``; not checked, and
    said in ``reason``, when the other object is unknown or not found). Then a plural phrase takes all
    (only the matching half / middle third for left, right, top, bottom, middle; the ``count`` most
    prominent when counted); an ordinal or position picks one (nearest/farthest: apparent size against
    the class's typical size, the pinhole rule of ``spatial.locate``, then the lower bottom edge); else
    the most prominent, ``ambiguous`` per ``AMBIGUOUS_RATIO``. Union parts add the instance of their
    class that overlaps (or else is nearest to) the chosen object. Nothing matching: nothing chosen."""
    run = _Resolver(candidates, image)
    chosen, ambiguous = run.select(ref, ())
    for part in ref.parts if chosen else ():
        pool = run.select(replace(part, plural=True, count=None), tuple(chosen))[0]
        anchor = candidates[chosen[0]]
        links = {
            i: _overlap(candidates[i].box, anchor.box) + relation_score("with", candidates[i], anchor)
            for i in pool
        }
        best = max(pool, key=links.__getitem__, default=None)
        if best is not None and links[best] > 0:
            chosen.append(best)
        elif pool:
            run.unmatched.append(f"{part.head} with the {ref.head}")
    alike = run.alike if ambiguous else []
    return Resolution(chosen, ambiguous, "; ".join(run.notes), run.missing, run.unmatched, alike)


class _Resolver:
    def __init__(self, candidates: Sequence[Candidate], image: np.ndarray) -> None:
        self.cands, self.image = candidates, image
        self.height, self.width = image.shape[:2]
        self.notes: list[str] = []
        self.missing: list[str] = []
        self.unmatched: list[str] = []
        self.alike: list[int] = []
        self._shares: dict[int, Mapping[str, float]] = {}

    def share(self, i: int, colour: str) -> float:
        c = self.cands[i]
        if i not in self._shares:
            self._shares[i] = c.colours if c.colours is not None else colour_shares(self.image, c.mask, c.box)
        return self._shares[i].get(colour, 0.0)

    def prominence(self, i: int) -> float:
        return self.cands[i].score * self.cands[i].area

    def select(self, ref: Target, exclude: tuple[int, ...]) -> tuple[list[int], bool]:
        name = ref.head or ref.label or "object"
        named = ref.head is not None or ref.classes
        if not named and not (ref.colour or ref.position or ref.ordinal or ref.relation):
            self.notes.append("names no object")
            return [], False
        if ref.head in ref.unknown and not ref.classes:
            self.notes.append(f"no class for '{name}'")
            return [], False
        pool = [
            i for i, c in enumerate(self.cands) if i not in exclude and c.label in (ref.classes or (c.label,))
        ]
        self.notes.append(f"{name}: {len(pool)}")
        if not pool:
            self.missing += [c for c in ref.classes if c not in self.missing]
            return [], False
        if ref.colour:
            best = max(self.share(i, ref.colour) for i in pool)
            pool = [i for i in pool if self.share(i, ref.colour) >= max(MIN_COLOUR_SHARE, COLOUR_KEEP * best)]
            self.notes.append(f"{ref.colour}: {len(pool)}")
        if ref.relation and pool:
            pool = self.related(pool, ref.relation, ref.plural)
        if not pool:
            self.unmatched.append(ref.words)
            return [], False
        if ref.plural:
            return self.every(pool, ref), False
        if ref.ordinal:
            n, direction = ref.ordinal
            ranked = sorted(pool, key=self.order(direction))
            if n > len(ranked):
                self.unmatched.append(ref.words)
                return [], False
            return [ranked[n - 1]], False
        if ref.position:
            self.notes.append(ref.position)
            return [min(pool, key=self.order(ref.position))], False
        ranked = sorted(pool, key=self.prominence, reverse=True)
        self.alike = [i for i in ranked if self.prominence(i) >= AMBIGUOUS_RATIO * self.prominence(ranked[0])]
        self.notes.append("most prominent" + (", ambiguous" if len(self.alike) > 1 else ""))
        return ranked[:1], len(self.alike) > 1

    def related(self, pool: list[int], relation: Relation, plural: bool) -> list[int]:
        other = relation.other
        label = f"{relation.kind} {other.head}"
        if not other.classes:
            self.notes.append(f"'{label}' not checked")
            return pool
        every = replace(other, plural=other.ordinal is None and other.position is None, count=None)
        others = self.select(every, ())[0] or (
            self.select(replace(every, colour=None), ())[0] if other.colour else []
        )
        if not others:
            self.notes.append(f"'{label}' not checked")
            return pool

        def score(i: int) -> float:
            pairs = (relation_score(relation.kind, self.cands[i], self.cands[o]) for o in others if o != i)
            return max(pairs, default=0.0)

        scores = {i: score(i) for i in pool}
        best = max(scores.values())
        floor = 0.0 if plural else RELATION_KEEP * best  # "the cups on the table": every one that is
        kept = [i for i in pool if scores[i] > 0 and scores[i] >= floor]
        self.notes.append(f"{label}: {len(kept)}")
        return kept

    def every(self, pool: list[int], ref: Target) -> list[int]:
        w, h = self.width, self.height
        inside = {
            "left": lambda x, y: x < w / 2,
            "right": lambda x, y: x >= w / 2,
            "top": lambda x, y: y < h / 2,
            "bottom": lambda x, y: y >= h / 2,
            "middle": lambda x, y: w / 3 <= x <= 2 * w / 3,
        }.get(ref.position or "")
        if inside is not None:
            pool = [i for i in pool if inside(*_centre(self.cands[i].box))]
        ranked = sorted(pool, key=self.prominence, reverse=True)
        self.notes.append(f"all {len(ranked)}" + (f", {ref.count} asked" if ref.count else ""))
        return ranked[: ref.count or None]

    def order(self, place: Place) -> Callable[[int], tuple[float, float]]:
        """Sort key putting the candidate ``place`` means first."""
        half_width = self.width / 2.0

        def key(i: int) -> tuple[float, float]:
            c = self.cands[i]
            (x, y), (bw, bh) = _centre(c.box), _size(c.box)
            far = (typical_size_m(c.label) or 1.0) / max(1, bw, bh)  # relative distance (pinhole)
            return {
                "left": (x, 0.0),
                "right": (-x, 0.0),
                "middle": (abs(x - half_width), 0.0),
                "top": (y, 0.0),
                "bottom": (-y, 0.0),
                "biggest": (-c.area, 0.0),
                "smallest": (c.area, 0.0),
                "nearest": (far, -c.box[3]),
                "farthest": (-far, c.box[3]),
            }[place]

        return key
