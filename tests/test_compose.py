"""Answers in the words blind users expect (compose.py, the one composer) and the hazards said before them
(agent/hazards.py): noun first, clock direction, doubt said out loud, hazards first, brief."""

from __future__ import annotations

import numpy as np
import pytest

from sa2va_assist.agent.hazards import APPROACH_NEAR_M, PATH_NEAR_M, VEHICLE_NEAR_M, hazards
from sa2va_assist.compose import (
    CANT_IDENTIFY,
    DEFAULT_SENTENCES,
    UNSURE_BELOW,
    Seen,
    compose,
    identify_answer,
    object_sentence,
    objects_answer,
    place,
    place_words,
    renamed,
    sentences_of,
    which_one,
)
from sa2va_assist.types import GroundedObject, TextLine, VisionResult


def seen(
    label: str,
    hour: int | None = 12,
    distance_m: float | None = None,
    x: float = 0.5,
    bottom: float = 0.9,
    motion: str | None = None,
    score: float | None = None,
    where: str | None = None,
) -> Seen:
    """An object as ``look`` summarises it: words "Cup, 2 o'clock, roughly 3 metres away."; ``x`` and
    ``bottom`` are shares of the frame width and height."""
    if where is None:
        where = f"{hour} o'clock" + (
            f", roughly {distance_m:g} metres away" if distance_m is not None else ""
        )
    return Seen(
        name=label, label=label, words=f"{label.capitalize()}, {where}.", place=where, hour=hour,
        distance_m=distance_m,
        x=x, y=0.5, bottom=bottom, area=0.1, motion=motion, score=score,
    )  # fmt: skip


# --- sentences_of -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("It costs 3.99. Pay at the till.", ["It costs 3.99.", "Pay at the till."]),
        ("The price is $3.99 today.", ["The price is $3.99 today."]),
        ("The door is at 2 o'clock. It is open.", ["The door is at 2 o'clock.", "It is open."]),
        ('The sign says "EXIT". Turn left!', ['The sign says "EXIT".', "Turn left!"]),
        ("Is it open? Yes.", ["Is it open?", "Yes."]),
        ("Version 2.5 is out.", ["Version 2.5 is out."]),
        # a reading is one sentence: never cut inside its quotes, where a read line has a full stop
        (
            '"lazy fox. The quick" "brown dog." One more line.',
            ['"lazy fox. The quick" "brown dog."', "One more line."],
        ),
        ("  One sentence without a stop  ", ["One sentence without a stop"]),
        ("", []),
        ("   ", []),
    ],
)
def test_sentences_of(text: str, sentences: list[str]) -> None:
    assert sentences_of(text) == sentences


# --- object_sentence ----------------------------------------------------------------------------------


def test_object_sentence_is_the_noun_first_words() -> None:
    cup = seen("red cup", hour=2, where="2 o'clock, within reach", score=0.9)
    assert object_sentence(cup) == "Red cup, 2 o'clock, within reach."


def test_object_sentence_adds_motion() -> None:
    cup = seen("red cup", hour=2, where="2 o'clock, within reach", motion="moving left")
    assert object_sentence(cup) == "Red cup, 2 o'clock, within reach, moving left."


@pytest.mark.parametrize(
    ("score", "unsure_below", "unsure"),
    [
        (UNSURE_BELOW / 2, UNSURE_BELOW, True),
        (UNSURE_BELOW, UNSURE_BELOW, False),
        (0.9, UNSURE_BELOW, False),
        (None, UNSURE_BELOW, False),  # no confidence given: said plainly
        (0.5, 0.6, True),
        (0.5, 0.4, False),
    ],
)
def test_object_sentence_says_doubt_below_the_threshold(
    score: float | None, unsure_below: float, unsure: bool
) -> None:
    cup = seen("cup", hour=2, where="2 o'clock, within reach", motion="coming closer", score=score)
    said = object_sentence(cup, unsure_below)
    assert said.startswith("I'm not sure") is unsure
    assert said.lower().endswith("cup, 2 o'clock, within reach, coming closer.")


# --- objects_answer -----------------------------------------------------------------------------------

CUP_LEFT = seen("cup", hour=11, x=0.2, where="11 o'clock, within reach", motion="moving left")
CUP_RIGHT = seen("cup", hour=1, x=0.8, where="1 o'clock, within reach")


def test_one_object_is_one_sentence() -> None:
    assert objects_answer("cups", [CUP_RIGHT], True, UNSURE_BELOW) == ["Cup, 1 o'clock, within reach."]


def test_several_objects_not_asked_as_plural_are_a_sentence_each_left_to_right() -> None:
    assert objects_answer("cups", [CUP_RIGHT, CUP_LEFT], False, UNSURE_BELOW) == [
        "Cup, 11 o'clock, within reach, moving left.",
        "Cup, 1 o'clock, within reach.",
    ]


def test_several_objects_are_one_counted_sentence_left_to_right() -> None:
    assert objects_answer("cups", [CUP_RIGHT, CUP_LEFT], True, UNSURE_BELOW) == [
        "Two cups: 11 o'clock, within reach, moving left; 1 o'clock, within reach."
    ]


@pytest.mark.parametrize(
    ("count", "start", "more"),
    [
        (3, "Three cups: 9 o'clock; 10 o'clock; 11 o'clock", None),
        (4, "Four cups: 9 o'clock; 10 o'clock; 11 o'clock", "and one more."),
        (6, "Six cups: 9 o'clock; 10 o'clock; 11 o'clock", "and three more."),
    ],
)
def test_beyond_three_objects_the_rest_are_only_counted(count: int, start: str, more: str | None) -> None:
    hours = [9, 10, 11, 12, 1, 2]
    cups = [seen("cup", hour=hours[i], x=0.1 + i * 0.15) for i in range(count)]
    (said,) = objects_answer("cups", list(reversed(cups)), True, UNSURE_BELOW)
    assert said.startswith(start)
    assert "12 o'clock" not in said and "2 o'clock" not in said.removeprefix(start)
    assert said.endswith(more if more else "11 o'clock.")


# --- which_one ----------------------------------------------------------------------------------------


def test_which_one_asks_back_left_to_right() -> None:
    assert (
        which_one("cups", [CUP_RIGHT, CUP_LEFT])
        == "Two cups: one at 11 o'clock, one at 1 o'clock. Which one?"
    )


def test_which_one_with_three_and_one_unplaced() -> None:
    options = [seen("bag", hour=2, x=0.9), seen("bag", hour=None, x=0.1), seen("bag", hour=12, x=0.5)]
    assert which_one("bags", options) == "Three bags: one, one at 12 o'clock, one at 2 o'clock. Which one?"


# --- compose ------------------------------------------------------------------------------------------

CAR_HAZARD = "Caution: car at 12 o'clock, roughly 8 metres away."
CHAIR_HAZARD = "In your path: chair, 12 o'clock, roughly 1.5 metres away."
ANSWER = ["The street is busy.", "A bench at 3 o'clock.", "A tree at 9 o'clock.", "The sky is clear."]


def test_compose_says_hazards_first_then_at_most_the_default_sentences() -> None:
    said = compose([CAR_HAZARD], ANSWER)
    assert said == [CAR_HAZARD, *ANSWER[:DEFAULT_SENTENCES]]


@pytest.mark.parametrize(
    ("detail", "default", "body"), [(0, 2, 2), (1, 2, 3), (5, 2, 4), (0, 1, 1), (2, 1, 3)]
)
def test_compose_detail_adds_sentences(detail: int, default: int, body: int) -> None:
    assert compose([], ANSWER, detail, default) == ANSWER[:body]


@pytest.mark.parametrize(
    ("hazard", "answer", "kept"),
    [
        (CAR_HAZARD, ["Car, 12 o'clock, roughly 8 metres away.", "The road is wet."], ["The road is wet."]),
        (CAR_HAZARD, ["A car is ahead.", "The road is wet."], ["The road is wet."]),
        (CHAIR_HAZARD, ["A chair in front of you.", "A table beyond it."], ["A table beyond it."]),
        # other objects stay, even when their name starts like the hazard's
        (CAR_HAZARD, ["Cart, 2 o'clock.", "Cat, 3 o'clock."], ["Cart, 2 o'clock.", "Cat, 3 o'clock."]),
    ],
)
def test_compose_does_not_restate_a_hazards_object(hazard: str, answer: list[str], kept: list[str]) -> None:
    assert compose([hazard], answer) == [hazard, *kept]


def test_compose_without_hazards_is_the_answer() -> None:
    assert compose([], ANSWER[:1]) == ANSWER[:1]
    assert compose([], []) == []


# --- hazards ------------------------------------------------------------------------------------------

NEAR_CAR = VEHICLE_NEAR_M / 2
FAR_CAR = VEHICLE_NEAR_M * 3


def test_a_near_vehicle_is_a_caution_said_first() -> None:
    car = seen("car", hour=2, distance_m=NEAR_CAR, x=0.7)
    warned = hazards([seen("bench", hour=9, distance_m=4, x=0.1), car])
    assert len(warned) == 1 and warned[0].startswith("Caution: car")
    assert "2 o'clock" in warned[0] and f"{NEAR_CAR:g} metres" in warned[0]
    assert compose(warned, ["A bench at 9 o'clock."])[0] == warned[0]


@pytest.mark.parametrize("label", ["car", "bus", "truck", "bicycle", "motorcycle"])
def test_a_far_vehicle_standing_still_is_no_hazard(label: str) -> None:
    assert hazards([seen(label, hour=2, distance_m=FAR_CAR, x=0.7)]) == []


def test_a_vehicle_coming_closer_is_a_hazard_at_any_distance() -> None:
    across_frames = seen("car", hour=2, distance_m=FAR_CAR, x=0.7, motion="coming closer")
    since_last_turn = seen("bus", hour=2, distance_m=FAR_CAR, x=0.7)
    earlier = seen("bus", hour=2, distance_m=FAR_CAR * 2, x=0.72)
    for scene, before in (([across_frames], []), ([since_last_turn], [earlier])):
        (warned,) = hazards(scene, before)
        assert warned.startswith("Caution: ") and "coming closer" in warned


PERSON_NOW = 3.0


@pytest.mark.parametrize(
    ("before_m", "before_x", "motion", "warned"),
    [
        (5.0, 0.62, None, True),  # farther away at the same place last turn: coming closer
        (None, None, "coming closer", True),  # seen coming closer across this turn's frames
        (3.1, 0.62, None, False),  # about as far: standing still
        (2.0, 0.62, None, False),  # was nearer: moving away
        (5.0, 0.1, None, False),  # someone else, elsewhere in view
        (None, None, None, False),  # not seen before, not moving
    ],
)
def test_a_person_coming_closer(
    before_m: float | None, before_x: float | None, motion: str | None, warned: bool
) -> None:
    now = seen("person", hour=1, distance_m=PERSON_NOW, x=0.6, motion=motion)
    before = [] if before_m is None or before_x is None else [seen("person", 1, before_m, before_x)]
    said = hazards([now], before)
    assert bool(said) is warned
    if warned:
        assert "coming closer" in said[0] and "1 o'clock" in said[0]


def test_a_far_person_coming_closer_is_not_yet_a_hazard() -> None:
    far = APPROACH_NEAR_M + 3
    assert hazards([seen("person", 1, far, 0.6)], [seen("person", 1, far * 2, 0.6)]) == []


@pytest.mark.parametrize(
    ("label", "hour", "distance_m", "bottom", "warned"),
    [
        ("chair", 12, PATH_NEAR_M * 0.75, 0.9, True),  # low, straight ahead, close
        ("chair", 11, PATH_NEAR_M * 0.75, 0.9, True),
        ("bench", 1, PATH_NEAR_M * 0.5, 0.95, True),
        ("chair", 3, PATH_NEAR_M * 0.75, 0.9, False),  # off to the side
        ("chair", 12, PATH_NEAR_M * 1.5, 0.9, False),  # farther away
        ("chair", 12, PATH_NEAR_M * 0.75, 0.3, False),  # high up: not on the floor ahead
        ("chair", 12, None, 0.9, False),  # distance unknown
        ("cup", 12, PATH_NEAR_M * 0.25, 0.9, False),  # small things are never obstacles
        ("cell phone", 12, PATH_NEAR_M * 0.25, 0.9, False),
        ("vase", 12, PATH_NEAR_M * 0.25, 0.9, False),
        ("person", 12, PATH_NEAR_M * 0.5, 0.9, False),  # people are warned of when they approach
    ],
)
def test_an_obstacle_in_the_path(
    label: str, hour: int, distance_m: float | None, bottom: float, warned: bool
) -> None:
    said = hazards([seen(label, hour, distance_m, x=0.5, bottom=bottom)])
    assert bool(said) is warned
    if warned:
        assert label in said[0] and f"{hour} o'clock" in said[0]


def test_at_most_two_hazards_nearest_first() -> None:
    scene = [
        seen("car", 11, NEAR_CAR, x=0.3),
        seen("chair", 12, PATH_NEAR_M * 0.75, x=0.5),
        seen("bus", 1, NEAR_CAR / 2, x=0.7),
    ]
    said = hazards(scene)
    assert len(said) == 2
    assert "chair" in said[0] and said[1].startswith("Caution: bus")


def test_an_obstacle_already_warned_about_is_not_repeated() -> None:
    chair = seen("chair", 12, PATH_NEAR_M * 0.75, x=0.5)
    (first,) = hazards([chair])
    assert hazards([chair], [chair], said=[first]) == []
    moved = seen("chair", 11, PATH_NEAR_M * 0.5, x=0.4)  # a different warning: news again
    assert len(hazards([moved], [chair], said=[first])) == 1


def test_a_repeated_obstacle_leaves_room_for_the_others() -> None:
    chair = seen("chair", 12, PATH_NEAR_M * 0.75, x=0.5)
    scene = [chair, seen("car", 11, NEAR_CAR, x=0.3), seen("bus", 1, NEAR_CAR / 2, x=0.7)]
    said = hazards(scene, said=hazards([chair]))
    assert len(said) == 2 and said[0].startswith("Caution: bus") and said[1].startswith("Caution: car")


@pytest.mark.parametrize(
    ("now", "before"),
    [
        (seen("car", 2, NEAR_CAR, x=0.7), seen("car", 2, NEAR_CAR, x=0.7)),
        (seen("person", 1, PERSON_NOW, x=0.6, motion="coming closer"), seen("person", 1, 5.0, x=0.6)),
    ],
)
def test_vehicles_and_people_coming_closer_are_always_said(now: Seen, before: Seen) -> None:
    (first,) = hazards([now], [before])
    assert hazards([now], [before], said=[first]) == [first]


def test_nothing_in_view_is_no_hazard() -> None:
    assert hazards([]) == []


def test_the_place_is_kept_apart_from_the_words_not_parsed_back() -> None:
    """A place is worded once (``spatial.place_phrase``); renaming keeps it and rewrites the words."""
    mask = np.zeros((480, 640), bool)
    mask[200:300, 500:600] = True
    (cup,) = place([GroundedObject("the cup", mask[None], "cup")], 70.0)
    assert cup["words"] == f"Cup, {cup['place']}." and cup["place"].startswith("1 o'clock")
    red = renamed(cup, "red cup")
    assert (red["words"], place_words(red)) == (f"Red cup, {cup['place']}.", cup["place"])
    old = {k: v for k, v in cup.items() if k != "place"}  # remembered by an older version
    assert place_words(old) == ""  # type: ignore[arg-type]


# --- "what is this?" --------------------------------------------------------------------------------


def _box(x0: int, y0: int, x1: int, y1: int, shape: tuple[int, int] = (480, 640)) -> np.ndarray:
    mask = np.zeros((1, *shape), bool)
    mask[0, y0:y1, x0:x1] = True
    return mask


def _identify(objects: list[GroundedObject], lines: list[TextLine] | None = None) -> str:
    result = VisionResult("", "ask", "fake", objects, lines or [], question="identify")
    return identify_answer(result, 70.0)


def test_what_is_this_names_only_what_is_sure_or_plausibly_held() -> None:
    fridge = GroundedObject("refrigerator", _box(200, 0, 440, 480), "refrigerator", 0.82)
    assert _identify([fridge]).startswith("A refrigerator, 12 o'clock")
    # the blind user's photo: a hand read as a weak "person", the table under it: nothing named
    hand = GroundedObject("person", _box(0, 100, 640, 480), "person", 0.29)
    table = GroundedObject("dining table", _box(0, 0, 640, 480), "dining table", 0.40)
    assert _identify([hand, table]) == CANT_IDENTIFY
    # a cup filling a close-up is plausible: named, with doubt, below the sure bar
    cup = GroundedObject("cup", _box(200, 120, 460, 420), "cup", 0.45)
    assert _identify([cup, table]).startswith("Possibly a cup, 12 o'clock, within reach")
    # ... a weak car is not something one holds
    car = GroundedObject("car", _box(200, 120, 460, 420), "car", 0.45)
    assert _identify([car, table]) == CANT_IDENTIFY


def test_what_is_this_reads_the_largest_print_and_names_nothing_far_in_a_close_up() -> None:
    label = [
        TextLine("Tablets", (100, 100, 500, 200), 0.95),  # large print
        TextLine("take two daily with water", (100, 220, 500, 240), 0.9),
        TextLine("28", (520, 100, 600, 200), 0.92),
    ]
    plane = GroundedObject("airplane", _box(300, 200, 310, 205), "airplane", 0.9)  # a reflection, "far"
    assert _identify([plane], label) == ('It says "Tablets" "28" and more. I can\'t tell what the object is.')
    bottle = GroundedObject("bottle", _box(80, 40, 620, 470), "bottle", 0.7)
    assert _identify([bottle], label) == 'A bottle; it says "Tablets" "28" and more.'
    assert _identify([]) == CANT_IDENTIFY


def test_the_largest_print_is_measured_across_the_line_not_by_its_tilted_box() -> None:
    """A long line photographed at an angle has a tall box but small print: the title is still
    the largest print (``TextLine.height``, from ``ocr.print_height``)."""
    from sa2va_assist.vision.lite.ocr import print_height

    tilted = np.array([[40, 180], [400, 120], [404, 146], [44, 206]], np.float32)  # 26 px print, 86 px box
    assert abs(print_height(tilted) - 26.3) < 0.5
    lines = [
        TextLine("Update", (14, 52, 154, 113), 1.0, height=40.0),
        TextLine("Keep out of reach of children", (34, 131, 388, 214), 1.0, height=26.0),
        TextLine("Take two daily with water", (42, 183, 353, 257), 1.0, height=26.0),
    ]
    assert _identify([], lines).startswith('It says "Update" "Keep out of reach of children" and more.')


def test_text_beside_the_thing_is_not_said_to_be_on_it() -> None:
    person = GroundedObject("person", _box(100, 50, 300, 470), "person", 0.8)
    sign = [TextLine("HOT", (450, 100, 560, 160), 0.95, height=60.0)]
    assert _identify([person], sign).endswith('. Text nearby: "HOT".')
    assert not _identify([person], sign).startswith("A person; it says")


def test_a_description_never_states_as_fact_what_the_backend_is_unsure_of() -> None:
    from sa2va_assist.compose import describe

    said = describe([seen("traffic light", score=0.33), seen("cup", score=0.9, x=0.2)])
    assert "Possibly a traffic light, 12 o'clock" in said and "A cup, 12 o'clock" in said
    assert describe([seen("person", score=0.2), seen("person", score=0.6)]).startswith("Two people:")
