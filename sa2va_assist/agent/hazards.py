"""Hazards worth saying before anything else (ACCESSIBILITY.md: "hazards first"). Pure.

Three kinds, nearest first, at most ``MAX_HAZARDS`` sentences:
- vehicles in view within ``VEHICLE_NEAR_M``, or any vehicle coming closer;
- people coming closer, across the turn's frames or since the last turn's scan;
- obstacles in the path: something body-sized low in the centre of the view, within ``PATH_NEAR_M``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..spatial import typical_size_m
from ..vocabulary import HAZARD_CLASSES
from .state import Seen, place_words

VEHICLES = frozenset(HAZARD_CLASSES)  # the moving classes descriptions put first
VEHICLE_NEAR_M = 15.0  # a car at 15 m covers the distance in about 1 s at 50 km/h
APPROACH_RATIO = 0.75  # a person now this share of their last-turn distance (or less) is coming closer
APPROACH_NEAR_M = 5.0  # only people within this distance count as approaching
PATH_HOURS = frozenset({11, 12, 1})  # straight ahead on the clock face
PATH_NEAR_M = 2.0  # an obstacle is said when it is estimated this close
PATH_LOW = 0.6  # its box reaches below this share of the frame height (it stands on the floor ahead)
PATH_MIN_SIZE_M = 0.5  # smaller things (a cup, a vase, a phone) are not obstacles to walking
MAX_HAZARDS = 2


def _name(seen: Seen) -> str:
    return seen["label"] or seen["name"]


def _came_closer(seen: Seen, before: Sequence[Seen]) -> bool:
    """The same kind of object was farther away at about the same place in the last scan."""
    if seen["motion"] == "coming closer":
        return True
    d = seen["distance_m"]
    if d is None:
        return False
    for old in before:
        same_place = abs(old["x"] - seen["x"]) < 0.2
        if (
            old["label"] == seen["label"]
            and same_place
            and old["distance_m"]
            and d <= APPROACH_RATIO * old["distance_m"]
        ):
            return True
    return False


def hazards(scene: Sequence[Seen], before: Sequence[Seen] = (), said: Sequence[str] = ()) -> list[str]:
    """Warning sentences for ``scene`` (this turn's objects), given the last turn's scan ``before``.
    An obstacle warned about in ``said`` (the last scan's warnings) is not repeated: only what changed
    is news. Vehicles and people coming closer are always said."""
    return news(warnings_for(scene, before), said)


def warnings_for(scene: Sequence[Seen], before: Sequence[Seen] = ()) -> list[str]:
    """Every warning ``scene`` calls for, nearest first (not yet cut to ``MAX_HAZARDS``)."""
    found: list[tuple[float, str]] = []
    for seen in scene:
        label, d = seen["label"], seen["distance_m"]
        far = d if d is not None else 99.0
        closer = _came_closer(seen, before)
        if label in VEHICLES and (far <= VEHICLE_NEAR_M or closer):
            found.append(
                (far, f"Caution: {_name(seen)} at {place_words(seen)}{', coming closer' if closer else ''}.")
            )
        elif label == "person" and closer and far <= APPROACH_NEAR_M:
            found.append((far, f"Someone coming closer at {place_words(seen)}."))  # always said
        elif _in_path(seen):
            found.append((far, f"In your path: {_name(seen)}, {place_words(seen)}."))
    return [sentence for _, sentence in sorted(found)]


def news(found: Sequence[str], said: Sequence[str] = ()) -> list[str]:
    """The warnings of ``found`` worth saying now: an obstacle already in ``said`` is left out; at most
    ``MAX_HAZARDS``."""
    return [w for w in found if not (w in said and w.startswith("In your path"))][:MAX_HAZARDS]


def _in_path(seen: Seen) -> bool:
    size = typical_size_m(seen["label"])
    near = seen["distance_m"] is not None and seen["distance_m"] <= PATH_NEAR_M
    return (
        seen["hour"] in PATH_HOURS
        and seen["bottom"] >= PATH_LOW
        and near
        and (size is None or size >= PATH_MIN_SIZE_M)
        and seen["label"] != "person"
    )
