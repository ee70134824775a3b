"""Follow-ups (agent/followups.py): what "it", "them" and "the other one" mean, and which of several
objects a reply to "Which one?" picks."""

from __future__ import annotations

import pytest

from sa2va_assist.agent.followups import choose, refers_back, resolve, substitute
from sa2va_assist.agent.state import Seen


def seen(name: str, x: float = 0.5, hour: int | None = 12, area: float = 0.1) -> Seen:
    """A remembered object: ``x`` its centroid, a share of the frame width; ``area`` a share of the frame."""
    return Seen(
        name=name, label=name, words=f"{name.capitalize()}, {hour} o'clock.", place=f"{hour} o'clock",
        hour=hour, distance_m=None,
        x=x, y=0.5, bottom=0.7, area=area, motion=None, score=None,
    )  # fmt: skip


def names(objects: list[Seen]) -> list[str]:
    return [s["name"] for s in objects]


# Three cups left to right (11, 12 and 1 o'clock); the middle one is the biggest (nearest), the left one
# the smallest (farthest). Listed out of left-to-right order so that an index is not a position.
LEFT = seen("left cup", x=0.2, hour=11, area=0.05)
MIDDLE = seen("middle cup", x=0.5, hour=12, area=0.2)
RIGHT = seen("right cup", x=0.8, hour=1, area=0.1)
OPTIONS = [RIGHT, LEFT, MIDDLE]


# --- resolve ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["it", "that", "this", "that one", "this one", "him", "her", "the same one", ""]
)
def test_it_means_the_first_focus(target: str) -> None:
    ref = resolve(target, [LEFT, MIDDLE], [RIGHT])
    assert ref is not None and not ref.unknown
    assert names(ref.objects) == ["left cup"]
    assert names(ref.others) == ["middle cup", "right cup"]


@pytest.mark.parametrize("target", ["them", "they", "those", "both", "all of them", "both of them"])
def test_them_means_the_group(target: str) -> None:
    ref = resolve(target, [LEFT, MIDDLE], [RIGHT])
    assert ref is not None and not ref.unknown
    assert names(ref.objects) == ["left cup", "middle cup"]
    assert ref.others == []


def test_them_after_a_single_focus_means_it_and_the_others() -> None:
    ref = resolve("them", [LEFT], [MIDDLE, RIGHT])
    assert ref is not None
    assert names(ref.objects) == ["left cup", "middle cup", "right cup"]


@pytest.mark.parametrize(
    "target", ["the other one", "the other", "other one", "and the other one", "what about the other one"]
)
def test_the_other_one_swaps_focus_and_others(target: str) -> None:
    ref = resolve(target, [LEFT], [MIDDLE, RIGHT])
    assert ref is not None and not ref.unknown
    assert names(ref.objects) == ["middle cup"]
    assert names(ref.others) == ["left cup", "right cup"]
    again = resolve(target, ref.objects, ref.others)  # "and the other one?" again: back to the first
    assert again is not None and names(again.objects) == ["left cup"]


@pytest.mark.parametrize(
    ("target", "focus", "others"),
    [
        ("it", [], []),
        ("that one", [], []),
        ("them", [], []),
        ("the other one", [], []),
        ("the other one", [LEFT], []),  # nothing else was seen
    ],
)
def test_back_reference_with_nothing_remembered_is_unknown(
    target: str, focus: list[Seen], others: list[Seen]
) -> None:
    ref = resolve(target, focus, others)
    assert ref is not None and ref.unknown
    assert ref.objects == []


@pytest.mark.parametrize(
    ("target", "picked"),
    [("the left one", "left cup"), ("the right one", "right cup"), ("the bigger one", "middle cup")],
)
def test_a_picking_phrase_chooses_among_remembered_objects(target: str, picked: str) -> None:
    ref = resolve(target, [MIDDLE], [LEFT, RIGHT])
    assert ref is not None and not ref.unknown
    assert names(ref.objects) == [picked]
    assert sorted(names(ref.others)) == sorted({"left cup", "middle cup", "right cup"} - {picked})


@pytest.mark.parametrize(
    ("target", "focus", "others"),
    [("the left one", [LEFT], []), ("the second one", [], []), ("the bigger one", [], [MIDDLE])],
)
def test_a_picking_phrase_with_nothing_to_pick_from_is_unknown(
    target: str, focus: list[Seen], others: list[Seen]
) -> None:
    ref = resolve(target, focus, others)
    assert ref is not None and ref.unknown
    assert ref.objects == []


@pytest.mark.parametrize("target", ["red cup", "cup", "the door", "the red one", "keys"])
def test_a_fresh_phrase_refers_to_nothing(target: str) -> None:
    assert resolve(target, [LEFT], [MIDDLE, RIGHT]) is None


# --- refers_back --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "back"),
    [
        ("it", True),
        ("them", True),
        ("that one", True),
        ("the other one", True),
        ("other one", True),
        ("and the other one", True),
        ("the left one", True),
        ("the second one", True),
        ("the bigger one", True),
        ("red cup", False),
        ("cup", False),
        ("the red one", False),
        ("people", False),
        ("", False),
    ],
)
def test_refers_back(target: str, back: bool) -> None:
    assert refers_back(target) is back


# --- choose -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "picked"),
    [
        # clock hour, exact
        ("11", "left cup"),
        ("at 11", "left cup"),
        ("11 o'clock", "left cup"),
        ("the one at 12", "middle cup"),
        ("12:00", "middle cup"),
        ("the one at 1 o'clock", "right cup"),
        # clock hour, the one nearest when one off
        ("at 2", "right cup"),
        ("10 o'clock", "left cup"),
        # side
        ("left", "left cup"),
        ("the left one", "left cup"),
        ("the one on the left please", "left cup"),
        ("right", "right cup"),
        ("the right one", "right cup"),
        ("the middle one", "middle cup"),
        ("the one in the centre", "middle cup"),
        # order from the left
        ("first", "left cup"),
        ("the first one", "left cup"),
        ("the second one", "middle cup"),
        ("the 2nd one", "middle cup"),
        ("number two", "middle cup"),
        ("number one", "left cup"),
        ("the third one", "right cup"),
        ("the last one", "right cup"),
        # nearest / farthest by area
        ("the nearest", "middle cup"),
        ("the closest one", "middle cup"),
        ("the bigger one", "middle cup"),
        ("the farthest one", "left cup"),
        ("the smaller one", "left cup"),
    ],
)
def test_choose_picks_an_option(reply: str, picked: str) -> None:
    index = choose(reply, OPTIONS)
    assert index is not None and OPTIONS[index]["name"] == picked


@pytest.mark.parametrize(
    "reply",
    [
        "the red one",
        "the one with the handle",
        "yes",
        "that one",
        "",
        "right now",  # "right" as in time, not side
        "at 6",  # no option within one hour
        "the fourth one",  # only three options
    ],
)
def test_choose_picks_nothing(reply: str) -> None:
    assert choose(reply, OPTIONS) is None


@pytest.mark.parametrize(("reply", "picked"), [("eleven o'clock", "left cup"), ("at twelve", "middle cup")])
def test_choose_reads_hours_said_as_words(reply: str, picked: str) -> None:
    index = choose(reply, OPTIONS)
    assert index is not None and OPTIONS[index]["name"] == picked


@pytest.mark.parametrize("reply", ["12 o'clock", "at 12", "12"])
def test_choose_by_hour_is_ambiguous_when_two_are_equally_near(reply: str) -> None:
    assert choose(reply, [seen("a", x=0.2, hour=11), seen("b", x=0.8, hour=1)]) is None


@pytest.mark.parametrize(
    ("reply", "hours", "picked"),
    [("12", (9, 1), 1), ("at 1", (12, 4), 12)],
)
def test_choose_by_hour_wraps_round_the_clock_face(reply: str, hours: tuple[int, int], picked: int) -> None:
    options = [seen(f"at {h}", x=0.1 + 0.8 * i, hour=h) for i, h in enumerate(hours)]
    index = choose(reply, options)
    assert index is not None and options[index]["hour"] == picked


def test_choose_middle_needs_three() -> None:
    assert choose("the middle one", [LEFT, RIGHT]) is None


def test_choose_among_nothing_is_none() -> None:
    assert choose("the left one", []) is None


def test_choose_ignores_unplaced_options_for_hours() -> None:
    options = [seen("unplaced", x=0.2, hour=None), seen("placed", x=0.8, hour=2)]
    index = choose("at 2", options)
    assert index is not None and options[index]["name"] == "placed"
    assert choose("at 6", [seen("unplaced", hour=None)] * 2) is None


# --- substitute ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "name", "asked"),
    [
        ("is it red", "cup", "is the cup red"),
        ("what color is that one", "bag", "what color is the bag"),
        ("is this open", "box", "is the box open"),
        ("what is written on it", "box", "what is written on the box"),
        ("is it bigger than it was", "cup", "is the cup bigger than it was"),  # only the first
        ("is it italian", "pizza", "is the pizza italian"),  # whole words only
        ("is the door open", "cup", "is the door open"),  # nothing to substitute
    ],
)
def test_substitute(question: str, name: str, asked: str) -> None:
    assert substitute(question, name) == asked
