"""Referring phrases over COCO classes: parsing tables, resolution on synthetic scenes, colour words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from sa2va_assist.referring import parse as parse_reference
from sa2va_assist.spatial import COCO_CLASSES
from sa2va_assist.tasks import target_of
from sa2va_assist.types import Relation, Target
from sa2va_assist.vision.lite.answers import describe_unknown
from sa2va_assist.vision.lite.colours import PALETTE, colour_shares, pixel_colours
from sa2va_assist.vision.lite.finder import Found
from sa2va_assist.vision.lite.resolving import Candidate, relation_score, resolve


def ref(head: str | None, *classes: str, **fields: Any) -> Target:
    return Target(head=head, classes=tuple(classes), label=classes[0] if classes else None, **fields)


def bare(r: Target) -> Target:
    """``r`` without its words, recursively, so tables compare what was understood."""
    rel = r.relation and Relation(r.relation.kind, bare(r.relation.other))
    return replace(r, words="", relation=rel, parts=tuple(map(bare, r.parts)))


PERSON = ("person",)
PARSES: list[tuple[str, Target]] = [
    # DAVIS / RefCOCO-style expressions
    ("the black swan", ref("swan", "bird", colour="black")),
    ("the small car driving down the street", ref("car", "car", rest="driving down the street")),
    ("the dog", ref("dog", "dog")),
    ("the horse and its rider", ref("horse", "horse", parts=(ref("rider", *PERSON),))),
    (
        "the person riding the black scooter",
        ref(
            "person",
            *PERSON,
            relation=Relation("riding", ref("scooter", "motorcycle", colour="black")),
            parts=(ref("scooter", "motorcycle"),),  # the rider and the scooter it rides (whatever colour)
        ),
    ),
    ("the man running", ref("man", *PERSON, rest="running")),
    ("the tv on the left", ref("tv", "tv", position="left")),
    ("the person on the right", ref("person", *PERSON, position="right")),
    ("left guy", ref("guy", *PERSON, position="left")),
    # synonyms
    ("my coffee mug", ref("mug", "cup")),
    ("a woman", ref("woman", *PERSON)),
    ("the kid", ref("kid", *PERSON)),
    ("someone", ref("someone", *PERSON)),
    ("the sofa", ref("sofa", "couch")),
    ("the TV", ref("tv", "tv")),
    ("the television screen", ref("screen", "tv")),
    ("the monitor", ref("monitor", "tv")),
    ("the motorbike", ref("motorbike", "motorcycle")),
    ("the bike", ref("bike", "bicycle")),
    ("my phone", ref("phone", "cell phone")),
    ("the mobile", ref("mobile", "cell phone")),
    ("the desk", ref("desk", "dining table")),
    ("the dining table", ref("dining table", "dining table")),
    ("the plant", ref("plant", "potted plant")),
    ("the puppy", ref("puppy", "dog")),
    ("a kitten", ref("kitten", "cat")),
    ("the duck", ref("duck", "bird")),
    ("the plane", ref("plane", "airplane")),
    ("the lorry", ref("lorry", "truck")),
    ("the sailboat", ref("sailboat", "boat")),
    ("the fridge", ref("fridge", "refrigerator")),
    ("the red teddy bear", ref("teddy bear", "teddy bear", colour="red")),
    ("the glass", ref("glass", "cup", "wine glass")),
    ("the orange", ref("orange", "orange")),
    # colours
    ("the orange cup", ref("cup", "cup", colour="orange")),
    ("the silver car", ref("car", "car", colour="grey")),
    ("the gray cat", ref("cat", "cat", colour="grey")),
    ("the man in red", ref("man", *PERSON, colour="red")),
    ("the woman in the blue shirt", ref("woman", *PERSON, colour="blue")),
    # positions
    ("the chair in the middle", ref("chair", "chair", position="middle")),
    ("the leftmost bottle", ref("bottle", "bottle", position="left")),
    ("the bird at the top", ref("bird", "bird", position="top")),
    ("the closest chair", ref("chair", "chair", position="nearest")),
    ("the cup closest to me", ref("cup", "cup", position="nearest")),
    ("the car in the back", ref("car", "car", position="farthest")),
    ("the biggest dog", ref("dog", "dog", position="biggest")),
    ("the small car", ref("car", "car", position="smallest")),
    ("the big red cup", ref("cup", "cup", colour="red")),
    ("the one on the left", ref("one", position="left")),
    # ordinals
    ("the second chair from the left", ref("chair", "chair", ordinal=(2, "left"))),
    ("the third from the right", ref(None, ordinal=(3, "right"))),
    ("the first cup", ref("cup", "cup", ordinal=(1, "left"))),
    ("the second chair on the right", ref("chair", "chair", ordinal=(2, "right"))),
    ("the last chair", ref("chair", "chair", ordinal=(1, "right"))),
    ("the second biggest dog", ref("dog", "dog", ordinal=(2, "biggest"))),
    ("the last car from the front", ref("car", "car", ordinal=(1, "farthest"))),
    # relations
    ("the cup on the table", ref("cup", "cup", relation=Relation("on", ref("table", "dining table")))),
    ("the person next to the bus", ref("person", *PERSON, relation=Relation("next to", ref("bus", "bus")))),
    ("the dog near the car", ref("dog", "dog", relation=Relation("next to", ref("car", "car")))),
    ("the cat under the table", ref("cat", "cat", relation=Relation("under", ref("table", "dining table")))),
    ("the dog in front of the car", ref("dog", "dog", relation=Relation("in front of", ref("car", "car")))),
    ("the car behind the bus", ref("car", "car", relation=Relation("behind", ref("bus", "bus")))),
    (
        "the man holding a phone",
        ref("man", *PERSON, relation=Relation("holding", ref("phone", "cell phone"))),
    ),
    (
        "the kid with the umbrella",
        ref("kid", *PERSON, relation=Relation("with", ref("umbrella", "umbrella"))),
    ),
    (
        "the person sitting on the bench",
        ref("person", *PERSON, rest="sitting", relation=Relation("on", ref("bench", "bench"))),
    ),
    # plurals and counts
    ("the people", ref("people", *PERSON, plural=True)),
    ("all the cars", ref("cars", "car", plural=True)),
    ("cups", ref("cups", "cup", plural=True)),
    ("both dogs", ref("dogs", "dog", plural=True, count=2)),
    ("two cups", ref("cups", "cup", plural=True, count=2)),
    ("the buses", ref("buses", "bus", plural=True)),
    ("the knives", ref("knives", "knife", plural=True)),
    ("the small cups", ref("cups", "cup", plural=True)),
    # unions
    ("the dog and the cat", ref("dog", "dog", parts=(ref("cat", "cat"),))),
    ("the black and white cat", ref("cat", "cat", colour="black")),
    # unknown heads
    ("my keys", ref("keys", plural=True, unknown=("keys",))),
    ("the wallet", ref("wallet", unknown=("wallet",))),
    ("my glasses", ref("glasses", plural=True, unknown=("glasses",))),
    (
        "the red wallet on the table",
        ref(
            "wallet", colour="red", unknown=("wallet",), relation=Relation("on", ref("table", "dining table"))
        ),
    ),
    (
        "the horse and its saddle",
        ref("horse", "horse", unknown=("saddle",), parts=(ref("saddle", unknown=("saddle",)),)),
    ),
]


@pytest.mark.parametrize(("phrase", "expected"), PARSES, ids=[p for p, _ in PARSES])
def test_parse_reference(phrase: str, expected: Target) -> None:
    assert bare(parse_reference(phrase)) == expected


def test_parse_keeps_the_normalised_phrase() -> None:
    assert parse_reference("  The  Red CUP! ").words == "the red cup"
    assert target_of("the  Red CUP").words == "the Red CUP"  # what a model that takes language gets


@pytest.mark.parametrize(
    ("phrase", "plural", "position"),
    [("the person", False, None), ("the people", True, None), ("the man on the left", False, "left"),
     ("the girl on the right", False, "right"), ("the child in the middle", False, "middle"),
     ("all the women", True, None), ("two persons", True, None), ("everyone", True, None)],
)  # fmt: skip
def test_person_phrases_are_people_with_a_place(phrase: str, plural: bool, position: str | None) -> None:
    """What lite finds people by without its detector: the class, plural, and which one."""
    target = target_of(phrase)
    assert (target.label, target.classes, target.plural, target.position) == (
        "person", ("person",), plural, position,
    )  # fmt: skip


# --- synthetic scenes ------------------------------------------------------------------------------

RGB = {"red": (220, 20, 20), "blue": (20, 40, 220), "white": (245, 245, 245), "black": (15, 15, 15)}
H, W = 480, 640


def scene(
    *items: tuple[str, tuple[int, int, int, int], str, float], masks: bool = True
) -> tuple[list[Candidate], np.ndarray]:
    """Candidates (label, box, colour, score) painted as rectangles on a mid-grey image, in order."""
    image = np.full((H, W, 3), 128, np.uint8)
    candidates = []
    for label, box, colour, score in items:
        x0, y0, x1, y1 = box
        image[y0:y1, x0:x1] = RGB[colour]
        mask = np.zeros((H, W), bool)
        mask[y0:y1, x0:x1] = True
        candidates.append(Candidate(label, box, score, mask if masks else None))
    return candidates, image


def chosen(phrase: str, items: Sequence[tuple[str, tuple[int, int, int, int], str, float]]) -> list[int]:
    candidates, image = scene(*items)
    return resolve(parse_reference(phrase), candidates, image).chosen


CUPS = [
    ("cup", (50, 300, 130, 400), "white", 0.9),  # the biggest, most confident
    ("cup", (300, 320, 360, 390), "red", 0.6),
    ("cup", (500, 310, 570, 395), "blue", 0.8),
    ("chair", (200, 100, 300, 300), "black", 0.9),
]


@pytest.mark.parametrize("masks", [True, False])
@pytest.mark.parametrize(("phrase", "index"), [("the red cup", 1), ("the blue cup", 2), ("the white mug", 0)])
def test_colour_picks_the_cup_of_that_colour(phrase: str, index: int, masks: bool) -> None:
    candidates, image = scene(*CUPS, masks=masks)
    assert resolve(parse_reference(phrase), candidates, image).chosen == [index]


def test_a_target_built_from_fields_alone_is_resolved_like_a_parsed_one() -> None:
    """The agent re-finds remembered objects with targets it builds (no words to parse): class,
    plural, colour and place are enough."""
    candidates, image = scene(*CUPS)
    assert resolve(Target(label="cup", plural=True), candidates, image).chosen == [0, 2, 1]
    assert resolve(Target(label="cup", colour="blue"), candidates, image).chosen == [2]
    assert resolve(Target(label="cup", position="right"), candidates, image).chosen == [2]
    assert resolve(Target(), candidates, image).chosen == []  # names nothing: chooses nothing


def test_a_colour_nothing_has_chooses_nothing() -> None:
    candidates, image = scene(*CUPS)
    result = resolve(parse_reference("the green cup"), candidates, image)
    assert (result.chosen, result.missing, result.unmatched) == ([], [], ["the green cup"])


def test_precomputed_colours_are_used() -> None:
    candidates, image = scene(*CUPS)
    candidates[0] = replace(candidates[0], colours={"red": 1.0})  # the caller's shares win over pixels
    candidates[1] = replace(candidates[1], colours={"white": 1.0})
    assert resolve(parse_reference("the red cup"), candidates, image).chosen == [0]


CHAIRS = [  # listed out of left-to-right order; nearer chairs are bigger
    ("chair", (400, 200, 460, 300), "black", 0.9),  # 3rd from the left
    ("chair", (20, 150, 120, 330), "black", 0.9),  # 1st, the biggest
    ("chair", (560, 220, 600, 280), "black", 0.9),  # 4th, the smallest
    ("chair", (200, 200, 270, 310), "black", 0.9),  # 2nd
    ("cup", (300, 300, 330, 330), "red", 0.9),
]


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("the second chair from the left", [3]),
        ("the second chair from the right", [0]),
        ("the first chair", [1]),
        ("the last chair", [2]),
        ("the fifth chair", []),
        ("the chair on the left", [1]),
        ("the rightmost chair", [2]),
        ("the chair in the middle", [3]),
        ("the nearest chair", [1]),
        ("the farthest chair", [2]),
        ("the smallest chair", [2]),
        ("the second biggest chair", [3]),
        ("the chairs", [1, 3, 0, 2]),  # most prominent first
        ("the chairs on the right", [0, 2]),
        ("two chairs", [1, 3]),
        ("the thing on the right", [2]),
    ],
)
def test_order_and_position(phrase: str, expected: list[int]) -> None:
    assert chosen(phrase, CHAIRS) == expected


TABLE = ("dining table", (100, 250, 500, 450), "white", 0.9)
ON_TABLE = ("cup", (200, 200, 240, 290), "red", 0.5)  # bottom edge in the table's upper half
ON_FLOOR = ("cup", (540, 380, 620, 470), "red", 0.9)  # bigger and more confident


def test_cup_on_the_table() -> None:
    assert chosen("the cup on the table", [ON_FLOOR, TABLE, ON_TABLE]) == [2]
    assert chosen("the cup", [ON_FLOOR, TABLE, ON_TABLE]) == [0]  # without the relation: prominence


def test_every_cup_on_the_table() -> None:
    overhanging = ("cup", (440, 230, 540, 300), "red", 0.9)  # 40 of its 100 px stick out past the edge
    assert chosen("the cups on the table", [ON_FLOOR, TABLE, ON_TABLE, overhanging]) == [3, 2]
    assert chosen("the cup on the table", [ON_FLOOR, TABLE, ON_TABLE, overhanging]) == [2]


@pytest.mark.parametrize("phrase", ["", "and", "the"])
def test_a_phrase_that_names_nothing_chooses_nothing(phrase: str) -> None:
    assert chosen(phrase, CUPS) == []


def test_relation_to_a_missing_object_is_not_checked_but_said() -> None:
    candidates, image = scene(ON_TABLE)
    result = resolve(parse_reference("the cup on the table"), candidates, image)
    assert (result.chosen, result.missing) == ([0], ["dining table"])
    assert "not checked" in result.reason


def test_person_next_to_the_bus() -> None:
    items = [
        ("person", (10, 100, 110, 420), "black", 0.95),  # far from the bus, biggest
        ("bus", (300, 120, 560, 330), "white", 0.9),
        ("person", (570, 180, 610, 330), "blue", 0.7),  # just right of the bus
    ]
    assert chosen("the person next to the bus", items) == [2]
    assert chosen("the person", items) == [0]


SCOOTERS = [
    ("motorcycle", (60, 300, 260, 420), "red", 0.9),
    ("person", (80, 120, 240, 380), "blue", 0.9),  # on the red one, bigger
    ("motorcycle", (400, 320, 540, 410), "black", 0.9),
    ("person", (420, 180, 520, 390), "white", 0.9),  # on the black one
]


def test_person_riding_the_black_scooter() -> None:
    """The rider is chosen by what it rides, and followed together with it (one union)."""
    assert chosen("the person riding the black scooter", SCOOTERS) == [3, 2]
    assert chosen("the person riding the red motorbike", SCOOTERS) == [1, 0]
    assert chosen("the person on the black scooter", SCOOTERS) == [3, 2]  # "on" a vehicle is riding it
    rider, scooter = chosen("the scooter rider", SCOOTERS)
    assert scooter == {1: 0, 3: 2}[rider]  # whichever rider, the scooter under that rider
    assert chosen("the person next to the black scooter", SCOOTERS) == [3]  # not riding: the person only


def test_the_horse_and_its_rider_is_the_horse_plus_its_rider() -> None:
    items = [
        ("person", (10, 60, 150, 460), "blue", 0.95),  # a bystander, the biggest person
        ("horse", (250, 220, 520, 440), "black", 0.9),
        ("person", (330, 80, 430, 330), "red", 0.8),  # sitting on the horse
    ]
    assert chosen("the horse and its rider", items) == [1, 2]
    assert chosen("the person", items) == [0]


def test_man_in_red() -> None:
    candidates, image = scene(
        ("person", (50, 50, 200, 450), "blue", 0.9), ("person", (400, 100, 500, 400), "blue", 0.6)
    )
    image[150:250, 400:500] = RGB["red"]  # a red shirt on the second, smaller person
    assert resolve(parse_reference("the man in red"), candidates, image).chosen == [1]


@pytest.mark.parametrize(
    ("second_cup", "alike"),
    [
        (("cup", (400, 300, 470, 380), "red", 0.85), [0, 1]),  # the same size: ask which one
        (("cup", (400, 300, 440, 340), "red", 0.85), []),  # far smaller: the near one is meant
    ],
)
def test_ambiguous_when_two_cups_are_alike(
    second_cup: tuple[str, tuple[int, int, int, int], str, float], alike: list[int]
) -> None:
    candidates, image = scene(("cup", (100, 300, 170, 380), "red", 0.9), second_cup)
    result = resolve(parse_reference("the cup"), candidates, image)
    assert (result.chosen, result.ambiguous, result.alike) == ([0], bool(alike), alike)


def test_qualified_choices_are_never_ambiguous() -> None:
    candidates, image = scene(
        ("cup", (100, 300, 170, 380), "red", 0.9), ("cup", (400, 300, 470, 380), "red", 0.9)
    )
    result = resolve(parse_reference("the cup on the right"), candidates, image)
    assert (result.chosen, result.ambiguous) == ([1], False)


def test_small_is_contrastive_only_when_it_is_the_only_qualifier() -> None:
    cars = [("car", (20, 200, 320, 400), "white", 0.9), ("car", (450, 250, 530, 300), "white", 0.9)]
    assert chosen("the small car", cars) == [1]
    assert chosen("the small car driving down the street", cars) == [0]


def test_missing_class_and_unknown_words() -> None:
    candidates, image = scene(*CUPS)
    missing = resolve(parse_reference("the dog"), candidates, image)
    assert (missing.chosen, missing.missing) == ([], ["dog"])
    unknown = resolve(parse_reference("my keys"), candidates, image)
    assert (unknown.chosen, unknown.missing) == ([], [])
    assert "keys" in unknown.reason


def test_candidate_from_found() -> None:
    mask = np.zeros((4, 5), bool)
    mask[1:3, 1:4] = True
    c = Candidate.from_found(Found("person", mask, 0.7, (1, 1, 4, 3)))
    assert (c.label, c.box, c.score, c.area) == ("person", (1, 1, 4, 3), 0.7, 6.0)


TABLE_BOX, CAR_BOX, BUS_BOX = (100, 250, 500, 450), (100, 200, 500, 400), (300, 120, 560, 330)


@pytest.mark.parametrize(
    ("kind", "c", "o", "holds"),
    [
        ("on", ("cup", (200, 200, 240, 290)), ("dining table", TABLE_BOX), True),
        ("on", ("cup", (200, 400, 240, 470)), ("dining table", TABLE_BOX), False),
        ("under", ("cat", (200, 380, 300, 450)), ("dining table", TABLE_BOX), True),
        ("under", ("cat", (200, 200, 240, 290)), ("dining table", TABLE_BOX), False),
        ("holding", ("person", (100, 50, 250, 450)), ("cell phone", (200, 200, 230, 250)), True),
        ("holding", ("person", (100, 50, 250, 450)), ("cell phone", (300, 200, 330, 250)), False),
        ("in", ("person", (200, 220, 260, 300)), ("car", CAR_BOX), True),
        ("in", ("person", (450, 150, 600, 450)), ("car", CAR_BOX), False),
        ("in front of", ("dog", (200, 300, 300, 470)), ("car", CAR_BOX), True),
        ("behind", ("dog", (200, 300, 300, 470)), ("car", CAR_BOX), False),
        ("behind", ("dog", (200, 250, 260, 330)), ("car", CAR_BOX), True),
        ("riding", ("person", (80, 120, 240, 380)), ("horse", (60, 300, 260, 420)), True),
        ("riding", ("person", (300, 120, 400, 420)), ("horse", (60, 300, 260, 420)), False),
        ("on", ("person", (80, 120, 240, 380)), ("horse", (60, 300, 260, 420)), True),  # riding, not standing
        ("next to", ("person", (570, 180, 610, 330)), ("bus", BUS_BOX), True),
        ("next to", ("person", (10, 100, 40, 200)), ("bus", BUS_BOX), False),
        ("with", ("person", (570, 180, 610, 330)), ("bus", BUS_BOX), True),
    ],
)
def test_relation_geometry(
    kind: Any, c: tuple[str, tuple[int, int, int, int]], o: tuple[str, tuple[int, int, int, int]], holds: bool
) -> None:
    assert (relation_score(kind, Candidate(*c, 1.0), Candidate(*o, 1.0)) > 0) == holds


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((220, 20, 20), "red"), ((150, 20, 20), "red"), ((255, 140, 0), "orange"),
        ((255, 230, 0), "yellow"), ((0, 160, 0), "green"), ((0, 0, 255), "blue"), ((0, 0, 128), "blue"),
        ((128, 0, 128), "purple"), ((255, 192, 203), "pink"), ((255, 105, 180), "pink"),
        ((139, 69, 19), "brown"), ((15, 15, 15), "black"), ((250, 250, 250), "white"),
        ((128, 128, 128), "grey"), ((192, 192, 192), "grey"),
    ],
)  # fmt: skip
def test_pixel_colours(rgb: tuple[int, int, int], name: str) -> None:
    assert PALETTE[int(pixel_colours(np.array([rgb], np.uint8))[0])] == name


def test_colour_shares_use_the_mask_else_the_centre_of_the_box() -> None:
    image = np.full((100, 100, 3), 128, np.uint8)
    image[20:80, 20:80] = RGB["red"]
    mask = np.zeros((100, 100), bool)
    mask[20:80, 20:50] = True
    assert colour_shares(image, mask, (0, 0, 100, 100))["red"] == 1.0
    # no mask: the box's central half (x, y 25..75) is all red; the whole box is only 36 % red
    assert colour_shares(image, None, (0, 0, 100, 100))["red"] == 1.0
    assert sum(colour_shares(image, None, (0, 0, 100, 100)).values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("words", "known", "expected"),
    [
        (
            ["keys"],
            COCO_CLASSES,
            "I can't recognise 'keys' offline; I can find 80 kinds of everyday object, such as people, cups "
            "and chairs.",
        ),
        (
            ["keys", "wallet", "keys"],
            ("person", "text"),
            "I can't recognise 'keys' or 'wallet' offline; I can find people and read text.",
        ),
        (["keys"], (), "I can't recognise 'keys' offline."),
        (
            ["bus stop"],
            ("bus", "bench", "knife", "tv"),
            "I can't recognise 'bus stop' offline; I can find 4 kinds of everyday object, such as buses, "
            "benches and knives.",
        ),
    ],
)
def test_describe_unknown(words: list[str], known: Sequence[str], expected: str) -> None:
    assert describe_unknown(words, known) == expected
