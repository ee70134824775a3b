"""Table tests for the evaluation metrics. Every expected value is worked out by hand in a comment.

Mask conventions: ``square(y, x, k)`` fills rows y..y+k-1 and columns x..x+k-1. Under the DAVIS
boundary map the boundary of such a square is the perimeter of the (k+1) x (k+1) square at rows
y-1..y+k-1, columns x-1..x+k-1: 4k pixels. ``bound_th=1`` means a 1-pixel match radius (the 3x3 plus).
"""

from __future__ import annotations

import numpy as np
import pytest

from sa2va_assist.eval import metrics
from sa2va_assist.eval.metrics import (
    COCO_CATEGORIES,
    MENTION_SYNONYMS,
    IoUAccumulator,
    boundary_f,
    boundary_map,
    ciou,
    corpus_wer,
    edit_counts,
    jaccard,
    jf_for_sequence,
    mention_precision_recall,
    mentioned_categories,
    normalise_transcript,
    normalise_word,
    percentile,
    tolerance_px,
    wer,
    word_recall_precision,
)


def square(y: int, x: int, k: int, shape: tuple[int, int] = (10, 10)) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[y : y + k, x : x + k] = True
    return mask


EMPTY = np.zeros((10, 10), dtype=bool)
FULL = np.ones((10, 10), dtype=bool)
DAVIS = (480, 854)  # H, W of DAVIS frames: diagonal 979.65 px, x 0.008 = 7.84 -> 8 px tolerance


# -------------------------------------------------------------------------------------- J and F


@pytest.mark.parametrize(
    ("pred", "true", "expected"),
    [
        (EMPTY, EMPTY, 1.0),  # nothing to find, nothing found
        (EMPTY, square(2, 2, 2), 0.0),
        (square(2, 2, 2), EMPTY, 0.0),
        (square(2, 2, 3), square(2, 2, 3), 1.0),
        (square(0, 0, 2), square(6, 6, 2), 0.0),  # disjoint
        (square(2, 2, 4), square(2, 4, 4), 8 / 24),  # 4x2 overlap, union 16 + 16 - 8
        (square(3, 3, 2), square(2, 2, 4), 4 / 16),  # prediction inside the truth
        (square(2, 2, 4).astype(np.uint8) * 255, square(2, 2, 4), 1.0),  # 0/255 PNG masks
    ],
)
def test_jaccard(pred: np.ndarray, true: np.ndarray, expected: float) -> None:
    assert jaccard(pred, true) == pytest.approx(expected)


def test_boundary_map_is_davis_seg2bmap() -> None:
    # 2x2 square at rows/cols 2..3: boundary = perimeter of rows/cols 1..3, offset towards the origin.
    expected = np.zeros((6, 6), dtype=bool)
    expected[1:4, 1:4] = True
    expected[2, 2] = False
    np.testing.assert_array_equal(boundary_map(square(2, 2, 2, (6, 6))), expected)
    # The image border is not an edge: a full-frame mask has no boundary.
    assert not boundary_map(FULL).any()


@pytest.mark.parametrize(
    ("shape", "bound_th", "expected_px"),
    [(DAVIS, 0.008, 8), ((10, 10), 0.008, 1), ((100, 100), 0.05, 8), (DAVIS, 3, 3)],
    # 0.008 x 14.1 = 0.11 -> 1; 0.05 x 141.4 = 7.07 -> 8; >= 1 is a radius in pixels
)
def test_tolerance_px(shape: tuple[int, int], bound_th: float, expected_px: int) -> None:
    assert tolerance_px(shape, bound_th) == expected_px


@pytest.mark.parametrize(
    ("pred", "true", "expected"),
    [
        (EMPTY, EMPTY, 1.0),  # both boundaries empty
        (FULL, FULL, 1.0),  # DAVIS: full-frame masks have empty boundaries too
        (EMPTY, square(2, 2, 3), 0.0),  # exactly one empty
        (square(2, 2, 3), EMPTY, 0.0),
        (FULL, square(2, 2, 3), 0.0),
        (square(2, 2, 4), square(2, 2, 4), 1.0),
        # Perimeters at rows/cols 0..2 and 6..8: at least 4 px apart, none within 1 px: P = R = 0.
        (square(1, 1, 2), square(7, 7, 2), 0.0),
        # Shift by 1 column: every boundary pixel has one of the other within 1 px, so F = 1 (J = 0.6).
        (square(2, 2, 4), square(2, 3, 4), 1.0),
        # Shift by 2 columns, radius 1 (16 boundary px each; perimeters at cols 1..5 and 3..7): of the
        # predicted ones the 3 right-column px (2 from col 5), the corners (1,7), (5,7) (2 from (1,5)),
        # and the left-column (3,3) (nearest true px 2 away) are unmatched: P = 10/16; R likewise.
        (square(2, 4, 4), square(2, 2, 4), 0.625),
    ],
)
def test_boundary_f_small_cases(pred: np.ndarray, true: np.ndarray, expected: float) -> None:
    assert boundary_f(pred, true, bound_th=1) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("shift_px", "expected_j", "expected_f"),
    [
        # 100x100 squares, shifted right: overlap 100 x (100 - d), union 20000 - overlap.
        (8, 9200 / 10800, 1.0),  # every boundary pixel within the 8 px tolerance
        # Beyond it by 1 px (r = 8, k = 100, d = 9): of 4k = 400 predicted px, unmatched are 1 px per
        # horizontal edge (9 px past the true corner), the left edge's interior rows more than 8 rows
        # from both true horizontal edges (k - 1 - 2r = 83) and the whole right-edge interior (k - 1 =
        # 99): 184. P = 216/400 = 0.54 = R by symmetry, F = (k + r) / 2k = 0.54.
        (9, 9100 / 10900, 0.54),
    ],
)
def test_boundary_f_davis_tolerance(shift_px: int, expected_j: float, expected_f: float) -> None:
    true = square(100, 100, 100, DAVIS)
    pred = square(100, 100 + shift_px, 100, DAVIS)
    assert jaccard(pred, true) == pytest.approx(expected_j)
    assert boundary_f(pred, true) == pytest.approx(expected_f)


def test_masks_of_different_shapes_are_an_error() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        jaccard(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="2-D"):
        boundary_f(np.zeros((2, 4, 4)), np.zeros((2, 4, 4)))


def test_jf_for_sequence_averages_frames() -> None:
    # Frame 0 perfect (J = F = 1); frame 1 the one-column shift: J = 12/20 = 0.6, F = 1.
    preds = np.stack([square(2, 2, 4), square(2, 3, 4)])
    trues = np.stack([square(2, 2, 4), square(2, 2, 4)])
    result = jf_for_sequence(preds, trues, bound_th=1)
    assert result == pytest.approx({"J": 0.8, "F": 1.0, "JF": 0.9})


# ----------------------------------------------------------------------------------- cIoU / gIoU


def test_ciou_and_giou_differ() -> None:
    # A: 10x10 found exactly (I = U = 100, IoU 1). B: a 2x2 missed by a disjoint 2x2 (I = 0, U = 8).
    # C: both empty (IoU 1, adds nothing to the totals).
    acc = IoUAccumulator()
    assert acc.ciou is None and acc.giou is None
    big = np.zeros((20, 20), dtype=bool)
    big[:10, :10] = True
    assert acc.add(big, big) == 1.0
    assert acc.add(square(0, 0, 2), square(5, 5, 2)) == 0.0
    assert acc.add(EMPTY, EMPTY) == 1.0
    assert acc.items == 3
    assert acc.ciou == pytest.approx(100 / 108)  # big objects dominate
    assert acc.giou == pytest.approx(2 / 3)  # (1 + 0 + 1) / 3


@pytest.mark.parametrize(
    ("intersections", "unions", "expected"),
    [([100, 0], [100, 8], 100 / 108), ([0, 0], [0, 0], 1.0), ([], [], None), ([3, 1], [4, 4], 0.5)],
)
def test_ciou(intersections: list[int], unions: list[int], expected: float | None) -> None:
    result = ciou(intersections, unions)
    assert result is None if expected is None else result == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    # Linear: position q/100 x (n - 1) between sorted values; 95 -> 2.85 -> 3 + 0.85 x (4 - 3).
    [([4.0, 1.0, 3.0, 2.0], 50, 2.5), ([1.0, 2.0, 3.0, 4.0], 95, 3.85), ([7.0], 95, 7.0), ([], 50, None)],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    result = percentile(values, q)
    assert result is None if expected is None else result == pytest.approx(expected)


# ------------------------------------------------------------------------------------------- OCR


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("[06]", "06"),
        ("62-03", "6203"),
        ("Café!", "café"),
        ("ＡＢ１", "ab1"),
        ("Straße", "strasse"),
        ("###", ""),
    ],
)
def test_normalise_word(word: str, expected: str) -> None:
    assert normalise_word(word) == expected


ICDAR_1 = ["Genaxis Theatre", "[06]", "62-03", "Carpark"]  # words: genaxis theatre 06 6203 carpark
RECEIPT = ["THANKYOUFORSHOPPINGWITHUS!", "B", "B", ".49", "RegPrice"]


@pytest.mark.parametrize(
    ("output", "truth", "receipt", "expected"),
    [
        ("EXIT I2R", ["EXIT", "I2R"], False, (1.0, 1.0, 2)),
        ("exit. i2r!", ["EXIT", "I2R"], False, (1.0, 1.0, 2)),  # case and punctuation ignored
        ("EXIT - ###", ["EXIT"], False, (1.0, 1.0, 1)),  # punctuation-only output words are not words
        # truth 5 words; output genaxis theatre car park: 2 match -> recall 2/5, precision 2/4
        ("Genaxis theatre car park", ICDAR_1, False, (0.4, 0.5, 2)),
        ("Genaxis Theatre [06] 62-03 Carpark", ICDAR_1, False, (1.0, 1.0, 5)),
        ("fusionopolis", ["fusionopolis", "fusionopolis"], False, (0.5, 1.0, 1)),  # multiset: one each
        ("exit exit exit", ["EXIT"], False, (1.0, 1 / 3, 1)),
        ("", ["EXIT"], False, (0.0, None, 0)),
        ("EXIT", [], False, (None, 0.0, 0)),
        # Not a receipt: the space-free truth word is not in the spaced output.
        ("Thank you for shopping with us!", RECEIPT[:1], False, (0.0, 0.0, 0)),
        ("Thank you for shopping with us!", RECEIPT[:1], True, (1.0, 1.0, 1)),  # 6 words make 1
        ("Reg Price 3.99", ["RegPrice", "3.99"], True, (1.0, 1.0, 2)),
        ("Regprice3.99", ["RegPrice", "3.99"], True, (0.0, 0.0, 0)),  # fused boxes match neither
        # 10 output words. Matched: the thank-you line (6 words), "reg price" (2), one "b"; not the
        # second "B", nor ".49" -> "49", which is not a whole-word run (only inside "349").
        # Recall 3/5, precision 9/10.
        ("Thank you for shopping with us! B 3.49 Reg Price", RECEIPT, True, (0.6, 0.9, 3)),
    ],
)
def test_word_recall_precision(
    output: str, truth: list[str], receipt: bool, expected: tuple[float | None, float | None, int]
) -> None:
    recall, precision, matched = word_recall_precision(output, truth, receipt=receipt)
    for got, want in ((recall, expected[0]), (precision, expected[1])):
        assert got is None if want is None else got == pytest.approx(want)
    assert matched == expected[2]


# ------------------------------------------------------------------------------------------- WER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ten of Clubs.", ["10", "of", "clubs"]),
        ("twenty-one", ["21"]),
        ("twenty one", ["21"]),
        ("one hundred and five", ["105"]),
        ("two thousand twenty", ["2020"]),
        ("a hundred people", ["100", "people"]),
        ("one two three", ["1", "2", "3"]),  # a digit sequence, not 6 nor 123
        ("three thousand two thousand", ["3000", "2000"]),
        ("ten and five", ["10", "and", "5"]),
        ("1,000 dollars", ["1000", "dollars"]),
        ("Don't 'quote' me, O'Brien!", ["don't", "quote", "me", "o'brien"]),
        ("It’s fine", ["it's", "fine"]),  # typographic apostrophe
    ],
)
def test_normalise_transcript(text: str, expected: list[str]) -> None:
    assert normalise_transcript(text) == expected


@pytest.mark.parametrize(
    ("ref", "hyp", "expected"),
    [
        ("a b c", "a b c", (0, 0, 0)),
        ("a", "b", (1, 0, 0)),
        ("a b c", "a c", (0, 1, 0)),
        ("a b", "a x b", (0, 0, 1)),
        ("", "a b", (0, 0, 2)),
        ("a b", "", (0, 2, 0)),
        # so the cat sat down -> the cat sat up today: "so" D, down/up S, "today" I (or down/today S
        # and "up" I: the same counts); any other alignment costs more.
        ("so the cat sat down", "the cat sat up today", (1, 1, 1)),
        # A tie: cat/dog S, "the" D, "today" I costs 3, as do 3 S (the/mat, mat/today); S wins ties.
        ("the cat sat on the mat", "the dog sat on mat today", (3, 0, 0)),
    ],
)
def test_edit_counts(ref: str, hyp: str, expected: tuple[int, int, int]) -> None:
    assert edit_counts(ref.split(), hyp.split()) == expected


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("ten of clubs", "10 of clubs", 0.0),
        ("twenty one", "21", 0.0),
        ("And so, my fellow Americans!", "and so my fellow americans", 0.0),
        ("So the cat sat down.", "the cat sat up today", 3 / 5),  # 1 S + 1 D + 1 I over 5
        ("the cat sat on the mat", "the dog sat on mat today", 3 / 6),  # 3 errors however aligned
        ("one two three", "123", 3 / 3),  # 1 S + 2 D
        ("yes", "yes yes yes", 2.0),  # insertions can push WER past 1
        ("", "", 0.0),
        ("", "hello", 1.0),
        ("hello", "", 1.0),
    ],
)
def test_wer(reference: str, hypothesis: str, expected: float) -> None:
    assert wer(reference, hypothesis) == pytest.approx(expected)


def test_corpus_wer_pools_errors() -> None:
    # 0 errors of 4, then 1 S + 1 D of 2: 2 / 6 overall (the per-utterance mean would be 0.5).
    assert corpus_wer(["a b c d", "x y"], ["a b c d", "z"]) == pytest.approx(1 / 3)


# -------------------------------------------------------------------------------------- mentions


def test_coco_categories() -> None:
    assert len(COCO_CATEGORIES) == len(set(COCO_CATEGORIES)) == 80
    assert (COCO_CATEGORIES[0], COCO_CATEGORIES[62], COCO_CATEGORIES[-1]) == ("person", "tv", "toothbrush")
    assert set(MENTION_SYNONYMS) <= set(COCO_CATEGORIES)
    synonyms = [s for words in MENTION_SYNONYMS.values() for s in words]
    assert len(synonyms) == len(set(synonyms))  # no word names two categories
    assert not set(synonyms) & set(COCO_CATEGORIES)


@pytest.mark.parametrize("category", COCO_CATEGORIES)
def test_every_category_name_is_a_mention(category: str) -> None:
    assert mentioned_categories(f"There is a {category.upper()} here.") == {category}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A man and two women on a sofa watching television.", {"person", "couch", "tv"}),
        ("A category error on a scatter plot.", set()),  # "cat" only as a whole word
        ("Cats!", {"cat"}),
        ("A teddy bear on the bed", {"teddy bear", "bed"}),  # not "bear"
        ("A polar bear", {"bear"}),
        ("Two hot-dogs", {"hot dog"}),  # hyphen as space, plural, not "dog"
        ("A hot dog and a dog", {"hot dog", "dog"}),
        ("puppies and kittens", {"dog", "cat"}),
        ("mice, knives and aeroplanes", {"mouse", "knife", "airplane"}),
        ("a kitchen table, a phone and a glass of water", {"dining table", "cell phone"}),  # no "glass"
        ("people waiting at a bus stop", {"person"}),  # a bus stop is not a bus
        ("A FIRE HYDRANT and a hydrant", {"fire hydrant"}),
        ("a baseball player swings a bat", {"person", "baseball bat"}),  # "baseball" is not "ball"
        ("a microwave oven", {"microwave"}),  # not "oven"
        ("", set()),
    ],
)
def test_mentioned_categories(text: str, expected: set[str]) -> None:
    assert mentioned_categories(text) == expected


@pytest.mark.parametrize(
    ("text", "categories", "expected"),
    [
        ("a dog and a cat", ["dog"], {"dog"}),
        ("two traffic cones", ["traffic cone"], {"traffic cone"}),  # any name, regular plural
        ("a teddy bear", ["bear"], set()),  # the longer COCO-less phrase still isn't "bear"
    ],
)
def test_mentioned_categories_in_a_vocabulary(text: str, categories: list[str], expected: set[str]) -> None:
    assert mentioned_categories(text, categories) == expected


@pytest.mark.parametrize(
    ("text", "true", "expected"),
    [
        # predicted {person, dining table}; true {person, tv}: 1 hit of 2 each way
        ("A woman stands at the table.", ["person", "tv"], (0.5, 0.5, {"person", "dining table"})),
        ("A blurry photo.", ["person"], (None, 0.0, set())),
        ("A dog.", [], (0.0, None, {"dog"})),  # VizWiz items: no object list, recall undefined
    ],
)
def test_mention_precision_recall(
    text: str, true: list[str], expected: tuple[float | None, float | None, set[str]]
) -> None:
    assert mention_precision_recall(text, true) == expected


def test_public_api() -> None:
    assert set(metrics.__all__) == {
        "COCO_CATEGORIES", "DAVIS_BOUND_TH", "MENTION_SYNONYMS", "IoUAccumulator", "WordCounts",
        "boundary_f", "boundary_map", "ciou", "corpus_wer", "edit_counts", "jaccard", "jf_for_sequence",
        "mention_precision_recall", "mentioned_categories", "normalise_transcript", "normalise_word",
        "percentile", "tolerance_px", "wer", "word_match_counts", "word_recall_precision", "words_of",
    }  # fmt: skip


def test_clock_positions_are_not_clock_mentions() -> None:
    assert metrics.mentioned_categories("Person, 11 o'clock, roughly 2 metres away.") == {"person"}
    assert metrics.mentioned_categories("a clock on the wall") == {"clock"}
