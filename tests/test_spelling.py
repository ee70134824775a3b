"""Spelling help for OCR: words the recogniser was unsure of become English words one letter away;
words read surely, short words and non-words (codes, prices) stay as read."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sa2va_assist.vision.lite.ocr import TextReader
from sa2va_assist.vision.lite.spelling import UNSURE_LETTER, Lexicon, load_lexicon

SMALL = Lexicon({"hotel": 300, "motel": 9, "multiplied": 2, "exit": 50, "our": 999, "saying": 40})
SURE, UNSURE = 0.99, 0.4


def confs(word: str, unsure_at: int | None = None) -> list[float]:
    return [UNSURE if i == unsure_at else SURE for i in range(len(word))]


@pytest.mark.parametrize(
    ("word", "unsure_at", "expected"),
    [
        ("GOTEL", 0, "HOTEL"),  # the more frequent of HOTEL / MOTEL, capitals kept
        ("gotel", 0, "hotel"),
        ("Gotel", 0, "Hotel"),
        ("GOTEL", None, "GOTEL"),  # every letter read surely: kept (it may be a name)
        ("GOTEL", 2, "GOTEL"),  # the unsure letter is not the one that would make a word
        ("Multiplled", 7, "Multiplied"),
        ("HOTEL", 0, "HOTEL"),  # already a word
        ("ocr", 1, "ocr"),  # too short: "our" is one letter away, but so are many words
        ("T0TEL", 0, "T0TEL"),  # not letters only
        ("Genaxis", 2, "Genaxis"),  # no word one letter away
    ],
)
def test_one_unsure_letter_makes_a_word(word: str, unsure_at: int | None, expected: str) -> None:
    assert SMALL.correct(word, confs(word, unsure_at)) == expected


def test_threshold_decides_what_counts_as_unsure() -> None:
    just_sure = [UNSURE_LETTER, SURE, SURE, SURE, SURE]
    assert SMALL.correct("GOTEL", just_sure) == "GOTEL"
    assert SMALL.correct("GOTEL", [UNSURE_LETTER - 0.01, *just_sure[1:]]) == "HOTEL"


def test_a_line_is_corrected_word_by_word_keeping_punctuation() -> None:
    text = "GOTEL, 3.99 Multiplled Cpn"
    letters = [c for c in text if not c.isspace()]
    scores = [UNSURE if k in (0, 17) else SURE for k in range(len(letters))]  # "G" and the second "l"
    assert SMALL.correct_line(text, scores) == "HOTEL, 3.99 Multiplied Cpn"
    assert SMALL.correct_line(text, scores[:-1]) == text  # counts do not line up: left alone


def test_the_packaged_lexicon_knows_everyday_words() -> None:
    lexicon = load_lexicon()
    assert len(lexicon.counts) > 80_000
    assert "hotel" in lexicon and "exit" in lexicon and "gotel" not in lexicon
    assert lexicon.counts["hotel"] > lexicon.counts["motel"]
    assert lexicon.correct("GOTEL", confs("GOTEL", 0)) == "HOTEL"
    assert lexicon.correct("Rotail", confs("Rotail", 1)) == "Retail"


class UnsureOcr:
    """An OCR engine (TextReader's contract, with letter confidences) reading one fixed line."""

    def __init__(self, text: str, letters: list[float], score: float = 0.6) -> None:
        self.text, self.letters, self.score = text, letters, score

    def __call__(self, bgr: np.ndarray) -> tuple[list[list[object]], None]:
        quad = [[10, 10], [200, 10], [200, 60], [10, 60]]
        return [[quad, self.text, self.score, self.letters]], None


def test_reader_corrects_only_when_given_a_lexicon() -> None:
    image = np.full((240, 320, 3), 255, np.uint8)
    engine = UnsureOcr("EXIT GOTEL", [SURE] * 4 + confs("GOTEL", 0))
    assert [r.line.text for r in TextReader(engine, 0.5, SMALL).read(image)] == ["EXIT HOTEL"]
    assert [r.line.text for r in TextReader(engine, 0.5).read(image)] == ["EXIT GOTEL"]


def test_real_engine_gives_one_confidence_per_letter() -> None:
    pytest.importorskip("rapidocr", reason="the text models ship in rapidocr")
    from sa2va_assist.config import LiteConfig
    from sa2va_assist.vision.lite.ocr import load_reader

    reader = load_reader(LiteConfig())
    assert reader.lexicon is not None
    page = np.full((200, 640, 3), 255, np.uint8)
    cv2.putText(page, "HOTEL LOBBY", (30, 120), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4, cv2.LINE_AA)
    ((_, text, score, letters),) = reader.engine(page[..., ::-1].copy())[0]
    assert text == "HOTEL LOBBY" and len(letters) == len("HOTELLOBBY") and min(letters) > 0.5
    word = np.full((40, 160, 3), 255, np.uint8)  # short enough to be read whole as one line
    cv2.putText(word, "EXIT", (20, 32), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2, cv2.LINE_AA)
    text, score, letters = reader.engine.read_line(word[..., ::-1].copy())
    assert text == "EXIT" and len(letters) == 4 and score == pytest.approx(np.mean(letters), abs=0.01)
    assert [r.line.text for r in reader.read(word)] == ["EXIT"]
    without = load_reader(LiteConfig(ocr_spelling=False))
    assert without.lexicon is None


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("the o d e t te e e the", False),  # letters, not words
        ("MHPANT", False),
        ("EXIT", True),
        ("I saw a motel", True),  # "a" and "I" are words on their own
        ("3.99 1.49-", True),  # no words to judge: numbers are kept
        ("exit gotel", True),  # half is enough
    ],
)
def test_a_line_is_legible_when_most_of_its_words_are_words(line: str, words: bool) -> None:
    lexicon = Lexicon({**SMALL.counts, "i": 10, "a": 10, "saw": 5})
    assert lexicon.mostly_words(line) is words


def test_reader_drops_an_unsure_line_of_non_words_but_keeps_a_sure_one() -> None:
    image = np.full((240, 320, 3), 255, np.uint8)
    garbage = "the o d e t te e e the"
    letters = [SURE] * sum(not c.isspace() for c in garbage)
    assert TextReader(UnsureOcr(garbage, letters), 0.5, SMALL).read(image) == []  # read at 0.6: unsure
    sure = UnsureOcr(garbage, letters, score=0.95)
    assert [r.line.text for r in TextReader(sure, 0.5, SMALL).read(image)] == [garbage]
    assert [r.line.text for r in TextReader(UnsureOcr(garbage, letters), 0.5).read(image)] == [garbage]


class PageOcr:
    """An OCR engine (TextReader's contract) reading a fixed page: (text, score) per line, top down."""

    def __init__(self, lines: list[tuple[str, float]]) -> None:
        self.lines = lines

    def __call__(self, bgr: np.ndarray) -> tuple[list[list[object]], None]:
        out: list[list[object]] = []
        for k, (text, score) in enumerate(self.lines):
            quad = [[10, 10 + 40 * k], [300, 10 + 40 * k], [300, 40 + 40 * k], [10, 40 + 40 * k]]
            out.append([quad, text, score, [SURE] * sum(not c.isspace() for c in text)])
        return out, None


@pytest.mark.parametrize(
    ("page", "answer"),
    [
        (
            [("EXIT ONLY", 0.99), ("the o d e t te e e the", 0.6)],
            '"EXIT ONLY". One more line I couldn\'t read.',
        ),
        ([("EXIT ONLY", 0.99), ("ZQXW", 0.3)], '"EXIT ONLY"'),  # under the confidence floor: noise, not text
        (
            [("MHPANT", 0.64)],
            "I see text but can't read it clearly. Try moving closer or holding the camera steady.",
        ),
    ],
)
def test_a_read_request_says_what_could_not_be_read(page: list[tuple[str, float]], answer: str) -> None:
    from sa2va_assist.config import Config
    from sa2va_assist.types import Frame, VisionRequest
    from sa2va_assist.vision.lite.backend import LiteBackend

    lite = LiteBackend(None, TextReader(PageOcr(page), 0.5, SMALL), Config())  # type: ignore[arg-type]
    image = np.full((240, 320, 3), 255, np.uint8)
    from sa2va_assist.compose import answered

    request = VisionRequest((Frame(image, 0, "page"),), "read", "read this")
    result = lite.run(request)
    assert result.answer == ""  # facts: the lines read and how many could not be
    assert answered(request, result, 70.0).answer == answer


def test_a_lone_unsure_letter_is_not_counted_as_a_line_that_could_not_be_read() -> None:
    image = np.full((240, 320, 3), 255, np.uint8)
    rim = TextReader(PageOcr([("EXIT ONLY", 0.99), ("O", 0.57)]), 0.5, SMALL)  # a cup's rim read as "O"
    regions, illegible = rim.read_counted(image)
    assert [r.line.text for r in regions] == ["EXIT ONLY"] and illegible == 0
