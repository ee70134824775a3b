"""Pure rules of the lite backend: phrases, questions, reading order, answer words, instance picking."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sa2va_assist import compose
from sa2va_assist.errors import DependencyError
from sa2va_assist.tasks import question_of, target_of
from sa2va_assist.types import EVERYTHING, GroundedObject, TextLine, VisionResult
from sa2va_assist.types import Target as Wanted
from sa2va_assist.vision.lite import answers
from sa2va_assist.vision.lite.finder import Found, box_of, by_prominence, pick
from sa2va_assist.vision.lite.loader import _missing
from sa2va_assist.vision.lite.ocr import TextRegion, group_lines
from sa2va_assist.vision.lite.scene import text_frame_indices
from sa2va_assist.vocabulary import count_people, other_language, spelled_out
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("phrase", "label", "plural", "position", "unknown"),
    [
        ("the person", "person", False, None, ()),
        ("the people", "person", True, None, ()),
        ("the man on the left", "person", False, "left", ()),
        ("the girl on the right", "person", False, "right", ()),
        ("the child in the middle", "person", False, "middle", ()),
        ("all the women", "person", True, None, ()),
        ("two persons", "person", True, None, ()),
        ("everyone", "person", True, None, ()),
        ("the sign", "text", True, None, ()),
        ("the words on the left", "text", True, None, ()),
        ("the keys", None, True, None, ("keys",)),
        ("my red cup", "cup", False, None, ()),
        ("any cup", "cup", True, None, ()),
    ],
)
def test_target_of(
    phrase: str, label: str | None, plural: bool, position: str | None, unknown: tuple[str, ...]
) -> None:
    """One understanding of a phrase for every backend: class, plural, place, and what no class covers."""
    target = target_of(phrase)
    assert (target.label, target.plural, target.position, target.unknown) == (
        label,
        plural,
        position,
        unknown,
    )
    assert target.words == phrase


@pytest.mark.parametrize(
    ("text", "english"),
    [("狗在哪里", False), ("где чашка?", False), ("¿dónde está el perro?", False), ("wo ist der Hund", False),
     ("où est la tasse ?", False), ("where is the café?", True), ("is there a dog", True),
     ("where is el perro", True), ("🐶", True), ("", True)],
)  # fmt: skip
def test_other_languages_are_told_apart_from_english(text: str, english: bool) -> None:
    assert other_language(text) is not english


def test_emoji_are_spelled_out() -> None:
    assert spelled_out("where is the 🐶?") == "where is the dog?"
    assert spelled_out("👩🏽 near me") == "woman near me"  # skin tone dropped
    assert spelled_out("20° and ©") == "20° and ©"  # symbols that are not pictographs stay
    assert target_of("the 🐱").label == "cat" and target_of("the 🐱").words == "the cat"


def test_target_of_keeps_attributes_for_backends() -> None:
    """Colour, order and relation reach a backend as fields, not only as words."""
    cup = target_of("the second red cup from the left on the table")
    assert (cup.label, cup.colour, cup.ordinal) == ("cup", "red", (2, "left"))
    assert cup.relation is not None and (cup.relation.kind, cup.relation.other.label) == (
        "on",
        "dining table",
    )
    assert target_of("everything") == EVERYTHING


@pytest.mark.parametrize(
    ("question", "kind", "label", "plural"),
    [
        ("How many people are there?", "how_many", "person", True),
        ("how many persons can you see", "how_many", "person", True),
        ("How many chairs are there?", "how_many", "chair", True),
        ("Is there a person?", "is_there", "person", False),
        ("Are there people in front of me?", "is_there", "person", True),
        ("is anyone there", "is_there", "person", True),
        ("Who's there?", "is_there", "person", True),
        ("is there a dog", "is_there", "dog", False),
        ("Are there any cars here?", "is_there", "car", True),
        ("do you see my phone", "is_there", "cell phone", False),
        ("Where is the person?", "where", "person", False),
        ("where are the people", "where", "person", True),
        ("where's my bag", "where", "backpack", False),
        ("What does it say?", "read", "text", True),
        ("what does the sign say", "read", "text", True),
        ("Is there any text?", "is_there", "text", True),
        ("is there a sign", "is_there", "text", True),
        ("What colour is the car?", "what_colour", "car", False),
        ("what color are the cars", "what_colour", "car", True),
        ("What is in front of me?", "ahead", None, True),
        ("Who is near me?", "near", "person", True),
        ("What is this?", "identify", None, False),
        ("what am I holding", "identify", None, False),
        ("can you tell me what this is", "identify", None, False),
        ("Is it raining?", "open", None, False),
        ("what time is it", "open", None, False),
    ],
)
def test_question_of(question: str, kind: str, label: str | None, plural: bool) -> None:
    """The kind of question and its subject, understood once for every backend."""
    asked, targets = question_of(question)
    assert asked == kind
    subject = targets[0] if targets else Wanted()
    assert (subject.label, subject.plural) == (label, plural)


def _region(text: str, box: tuple[int, int, int, int]) -> TextRegion:
    x0, y0, x1, y1 = box
    quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    return TextRegion(TextLine(text, box, 0.9), quad)


def test_reading_order_groups_lines_by_vertical_overlap() -> None:
    # second line's left word sits a little higher than its right word; first line comes last in input
    regions = [
        _region("world", (300, 102, 420, 130)),
        _region("Hello", (40, 98, 160, 126)),
        _region("EXIT", (200, 20, 320, 50)),
        _region("below", (40, 200, 150, 230)),
    ]
    lines = group_lines(regions)
    assert [[r.line.text for r in line] for line in lines] == [["EXIT"], ["Hello", "world"], ["below"]]


def test_reading_order_keeps_tight_lines_apart() -> None:
    # 24 px tall boxes of lines set 18 px apart overlap by a quarter of their height: two lines
    regions = [_region("second", (0, 18, 100, 42)), _region("first", (0, 0, 100, 24))]
    assert [[r.line.text for r in line] for line in group_lines(regions)] == [["first"], ["second"]]


def test_quote_lines_marks_unsure_and_limits() -> None:
    lines = [TextLine("EXIT", (0, 0, 1, 1), 0.99), TextLine("0PEN", (0, 0, 1, 1), 0.6)]
    assert compose.quote_lines(lines) == '"EXIT" "0PEN" (unsure)'
    assert compose.quote_lines(lines, limit=1) == '"EXIT" and one more line'
    assert compose.read_answer([]) == "I don't see any legible text."


def test_read_answer_says_how_many_lines_could_not_be_read() -> None:
    exit_sign = [TextLine("EXIT", (0, 0, 1, 1), 0.99)]
    assert compose.read_answer(exit_sign, 0) == '"EXIT"'
    assert compose.read_answer(exit_sign, 1) == '"EXIT". One more line I couldn\'t read.'
    assert compose.read_answer(exit_sign, 3) == '"EXIT". Three more lines I couldn\'t read.'
    assert compose.read_answer([], 2).startswith("I see text but can't read it clearly. Try moving closer")


@pytest.mark.parametrize(
    ("n", "words"), [(0, "no people"), (1, "one person"), (3, "three people"), (12, "12 people")]
)
def test_count_people(n: int, words: str) -> None:
    assert count_people(n) == words


def test_people_are_counted_left_to_right() -> None:
    h, w = 480, 640
    right, left = np.zeros((1, h, w), bool), np.zeros((1, h, w), bool)
    right[0, 100:400, 560:600] = True
    left[0, 100:400, 40:80] = True
    people = [GroundedObject("person", right, "person"), GroundedObject("person", left, "person")]
    everyone = Wanted(words="people", label="person", plural=True)
    result = VisionResult("", "ask", "lite", people, question="how_many", subject=everyone)
    summary = compose.question_answer(result, 70.0)
    assert summary.startswith("Two people: 11 o'clock")
    assert "; 1 o'clock" in summary and summary.endswith(".")
    nobody = VisionResult("", "ask", "lite", [], question="how_many", subject=everyone)
    assert compose.question_answer(nobody, 70.0) == "I don't see any people."


def test_a_description_is_honest_when_nothing_found() -> None:
    assert compose.describe([], []) == compose.NOTHING_RECOGNISED


def test_unknown_class_names_it() -> None:
    assert (
        answers.describe_unknown(["keys"], ("person", "text"))
        == "I can't recognise 'keys' offline; I can find people and read text."
    )


@pytest.mark.parametrize(("n", "expected"), [(1, [0]), (3, [0, 1, 2]), (10, [0, 4, 9]), (64, [0, 32, 63])])
def test_text_frames_spread_and_include_last(n: int, expected: list[int]) -> None:
    assert text_frame_indices(n) == expected


def _found(x0: int, x1: int, score: float = 0.9) -> Found:
    mask = np.zeros((100, 300), bool)
    mask[10:90, x0:x1] = True
    return Found("person", mask, score, box_of(mask))


def test_pick_by_side_and_prominence() -> None:
    small_left, big_middle, right = _found(0, 20), _found(120, 200), _found(260, 290)
    people = [right, small_left, big_middle]
    assert pick(people, "left") is small_left
    assert pick(people, "right") is right
    assert pick(people, "middle") is big_middle
    assert pick(people, None) is big_middle
    assert pick([], None) is None
    assert by_prominence(people) == [big_middle, right, small_left]


def test_box_of() -> None:
    assert _found(5, 15).box == (5, 10, 15, 90)
    assert box_of(np.zeros((4, 4), bool)) == (0, 0, 0, 0)


def test_missing_package_names_pip_install() -> None:
    err = _missing(
        "mediapipe", "finding people", ModuleNotFoundError("No module named 'mediapipe'", name="mediapipe")
    )
    assert isinstance(err, DependencyError)
    assert "pip install mediapipe==0.10.21" in err.hint
    broken = _missing(
        "mediapipe", "finding people", ImportError("libGL.so.1: cannot open shared object file")
    )
    assert "sa2va-assist setup" in broken.hint and "libGL" in broken.message


def test_importing_the_backend_loads_no_model_package() -> None:
    code = (
        "import sys, sa2va_assist.vision.lite as lite; "
        "heavy = {'mediapipe', 'onnxruntime', 'rapidocr'} & set(sys.modules); "
        "assert not heavy, heavy; assert lite.__all__ == ['Finder', 'Found', 'LiteBackend', 'load']"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
