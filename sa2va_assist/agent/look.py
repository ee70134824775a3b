"""From an intent to a vision request, and from the backend's result to ``Seen`` summaries.

The agent speaks of objects through ``spatial.py`` (clock hour, rough distance, motion) whatever the
backend, so answers read the same with ``lite`` and ``sa2va``. Re-finding an earlier object ("where is
it now?") asks for every object of its class and keeps the one nearest to where it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..types import EVERYTHING, Target
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
SCAN = (EVERYTHING,)  # the hazard scan: a segmentation of every noticeable object


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
    """What re-finding ``previous`` asks for, in words ("cups"): shown in the state, not parsed."""
    return ", ".join(target.words for target in relocate_targets(previous))


def relocate_targets(previous: Sequence[Seen]) -> tuple[Target, ...]:
    """What to ask for when re-finding ``previous``: every object of its class, one target per class."""
    labels = sorted({p["label"] or p["name"] for p in previous})
    return tuple(Target(words=spoken_plural(label), label=label, plural=True) for label in labels)
