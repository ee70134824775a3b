"""What the agent asks the vision backend for when it re-finds objects it saw before ("where is it
now?"): every object of their classes, said in the plural the lite backend reads back."""

from __future__ import annotations

import pytest

from sa2va_assist.agent.look import relocate_text
from sa2va_assist.agent.state import Seen
from sa2va_assist.spatial import COCO_CLASSES
from sa2va_assist.vision.lite.referring import parse_reference

UNCOUNTED = {"sheep", "skis", "scissors"}  # the same word for one and many: read as one


def seen(label: str, name: str | None = None) -> Seen:
    return Seen(
        name=name or label, label=label, words=f"{label}, 12 o'clock.", hour=12, distance_m=None,
        x=0.5, y=0.5, bottom=0.9, area=0.1, motion=None, score=None,
    )  # fmt: skip


@pytest.mark.parametrize("label", [c for c in COCO_CLASSES if c not in UNCOUNTED])
def test_every_class_is_asked_for_in_a_plural_the_lite_backend_reads_back(label: str) -> None:
    ref = parse_reference(relocate_text([seen(label)]))
    assert ref.classes[:1] == (label,) and ref.plural


def test_spoken_plurals_and_several_classes() -> None:
    assert relocate_text([seen("tv")]) == "TVs"
    assert relocate_text([seen("person"), seen("person")]) == "people"
    assert relocate_text([seen("cup", "red cup"), seen("dog")]) == "cups, dogs"
    assert relocate_text([seen("cell phone")]) == "phones"
