"""From an intent to a vision request, and from the backend's result to ``Seen`` summaries.

The agent speaks of objects through ``spatial.py`` (clock hour, rough distance, motion) whatever the
backend, so answers read the same with ``lite`` and ``sa2va``. Re-finding an earlier object ("where is
it now?") asks for every object of its class and keeps the one nearest to where it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..spatial import locate, motion, position_phrase
from ..types import GroundedObject, VisionResult
from ..vocabulary import spoken_plural
from .state import Seen

# Vision task per intent; find/track ask for masks, the rest for the backend's own words.
TASK_OF = {
    "describe": "gcg",
    "ask": "ask",
    "count": "ask",
    "read": "read",
    "find": "segment",
    "track": "segment",
}
MOVING_INTENTS = frozenset({"find", "track"})  # these look at several recent frames, to say motion
SCAN_TEXT = "everything"  # a segmentation request for every noticeable object (the hazard scan)


def summarise(obj: GroundedObject, name: str, fov_deg: float) -> Seen | None:
    """Where ``obj`` was last seen among its frames, and how it moved; None when never seen."""
    frames = [i for i in range(obj.masks.shape[0]) if obj.masks[i].any()]
    if not frames:
        return None
    last = locate(obj.masks[frames[-1]], obj.label, fov_deg)
    first = locate(obj.masks[frames[0]], obj.label, fov_deg)
    h, w = obj.masks.shape[1:]
    moved = motion(first, last, w) if len(frames) > 1 else None
    name = re.sub(r"\btv\b", "TV", name)
    assert last.centroid is not None and last.box is not None
    return Seen(
        name=name,
        label=obj.label,
        words=position_phrase(name, last),
        hour=last.clock_hour,
        distance_m=None if last.distance_m is None else round(last.distance_m, 2),
        x=round(last.centroid[0] / w, 4),
        y=round(last.centroid[1] / h, 4),
        bottom=round(last.box[3] / h, 4),
        area=round(last.area_share, 5),
        motion=moved,
        score=None if obj.score is None else round(float(obj.score), 3),
    )


def seen_all(objects: Sequence[GroundedObject], fov_deg: float, name: str | None = None) -> list[Seen]:
    """Summaries of every object that was seen, named ``name`` or else by class (then phrase)."""
    out = []
    for obj in objects:
        label_name = "TV" if obj.label == "tv" else obj.label
        seen = summarise(obj, name or label_name or obj.phrase, fov_deg)
        if seen is not None:
            out.append(seen)
    return out


def nearest_to(previous: Seen, candidates: Sequence[Seen]) -> Seen | None:
    """The candidate of the same class closest to where ``previous`` was (position and size)."""
    same = [c for c in candidates if previous["label"] is None or c["label"] == previous["label"]]
    if not same:
        return None

    def gap(c: Seen) -> float:
        size = abs(c["area"] - previous["area"]) / max(c["area"], previous["area"], 1e-6)
        return abs(c["x"] - previous["x"]) + abs(c["y"] - previous["y"]) + 0.5 * size

    return min(same, key=gap)


def relocate_text(previous: Sequence[Seen]) -> str:
    """What to ask for when re-finding ``previous``: every object of its class ("cups")."""
    labels = sorted({p["label"] or p["name"] for p in previous})
    return ", ".join(spoken_plural(label) for label in labels)


def informative(result: VisionResult) -> bool:
    """Whether the backend's own answer says something (not just "Sure, [SEG].")."""
    text = re.sub(r"\[SEG\]|^\s*(?:sure|it is|ok|okay|here it is|here)\b", "", result.answer, flags=re.I)
    return bool(re.search(r"[A-Za-z0-9]", text))
