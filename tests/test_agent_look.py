"""What the agent asks the vision backend for when it re-finds objects it saw before ("where is it
now?"): every object of their classes, as structured targets (class and plural), not words to parse."""

from __future__ import annotations

import pytest

from sa2va_assist.agent.look import SCAN, relocate_targets, relocate_text
from sa2va_assist.agent.state import Seen
from sa2va_assist.spatial import COCO_CLASSES
from sa2va_assist.tasks import phrase_of, target_of
from sa2va_assist.types import Target


def seen(label: str, name: str | None = None) -> Seen:
    return Seen(
        name=name or label, label=label, words=f"{label}, 12 o'clock.", place="12 o'clock", hour=12,
        distance_m=None,
        x=0.5, y=0.5, bottom=0.9, area=0.1, motion=None, score=None,
    )  # fmt: skip


@pytest.mark.parametrize("label", COCO_CLASSES)
def test_every_class_is_asked_for_by_class_and_in_the_plural(label: str) -> None:
    (target,) = relocate_targets([seen(label, f"my {label}")])
    assert target.label == label and target.plural and not target.everything


def test_one_target_per_class_in_a_stable_order() -> None:
    targets = relocate_targets([seen("dog"), seen("cup", "red cup"), seen("cup")])
    assert [(t.label, t.plural) for t in targets] == [("cup", True), ("dog", True)]


def test_the_words_shown_are_the_spoken_plurals() -> None:
    assert relocate_text([seen("tv")]) == "TVs"
    assert relocate_text([seen("person"), seen("person")]) == "people"
    assert relocate_text([seen("cup", "red cup"), seen("dog")]) == "cups, dogs"
    assert relocate_text([seen("cell phone")]) == "phones"


def test_the_hazard_scan_asks_for_everything_by_flag() -> None:
    assert (Target(everything=True, plural=True),) == SCAN
    assert phrase_of(SCAN[0]) == "everything"  # what a backend that takes language is told


@pytest.mark.parametrize(
    ("phrase", "label", "plural"),
    [
        ("the red cup", "cup", False),
        ("cups", "cup", True),
        ("all the people", "person", True),
        ("a man riding a horse", "person", False),
        ("my phone", "cell phone", False),
        ("the keys", None, True),  # no class, but still every one of them
    ],
)
def test_a_phrase_is_understood_once_into_a_target(phrase: str, label: str | None, plural: bool) -> None:
    target = target_of(phrase)
    assert (target.words, target.label, target.plural) == (phrase, label, plural)
    assert target_of("everything").everything
