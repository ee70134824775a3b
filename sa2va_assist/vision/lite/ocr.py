"""Reading text with PP-OCRv6 small (detector and recogniser) and the PP-OCR angle classifier: ONNX
models shipped inside the ``rapidocr`` package (3.x). Lines are returned in reading order.

PP-OCRv6 replaced PP-OCRv4 (rapidocr-onnxruntime 1.4.4) after measuring both with the settings below
on the dev OCR items: word recall 0.841 against 0.758, at the same speed (0.40 vs 0.50 s on
examples/page.png). The notes on input sizes were measured with PP-OCRv4 and held for v6:

Input sizes (measured on 2 cores): the detector sees the image with its longest side capped at 960 px,
so a 640x480 camera frame goes in as it is. rapidocr's default instead enlarges the shortest side to
736 px: 1.7x the time (318 vs 184 ms on a 640x480 sign, 655 vs 401 ms on examples/page.png) for the
same words on the dev pages. Images whose longest side is under 640 px are enlarged up to 2x first:
small print then keeps its word spaces ("background. These markers" instead of "background.These
markers") for ~0.2 s more on page.png. Dilation of the detector's map is off: on tightly set pages it
merged neighbouring lines into one box that read as garbage. The recogniser's time grows with the
number and length of lines; the detector's with the image area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ...config import LiteConfig
from ...types import TextLine
from .answers import UNSURE_BELOW
from .finder import Found
from .spelling import Lexicon, load_lexicon

DET_MAX_SIDE_PX = 960  # longest side the text detector sees; larger images are scaled down for it
MIN_LONG_SIDE_PX = 640  # smaller images are enlarged towards this (longest side) before reading...
MAX_UPSCALE = 2.0  # ...by at most this factor
# A line of a single letter or digit must be read at least this surely: a cup's round rim came back as
# "O" at 0.57, while rendered one-letter signs ("P" on blue, "5", "A") read at 0.97-1.0.
SINGLE_CHAR_MIN_CONFIDENCE = 0.8
# An image this short (pixels) and at least as wide as tall is one line of text (a cropped word or
# label): the detector has no room to find it, so it is read whole by the recogniser.
LINE_MAX_HEIGHT_PX = 64
SAME_LINE_OVERLAP = 0.5  # boxes share a line when their vertical overlap is this share of the smaller


@dataclass(frozen=True)
class TextRegion:
    """One line of text read from an image, with the exact quadrilateral the detector found."""

    line: TextLine  # text, axis-aligned box (pixels), confidence 0..1, frame index
    quad: np.ndarray  # (4, 2) float32 pixel corners, clockwise from top-left


def print_height(quad: np.ndarray) -> float:
    """How tall a line's print is: the mean length of the quadrilateral's left and right edges (its
    box's height would grow with the line's length when the line is tilted)."""
    q = np.asarray(quad, np.float32).reshape(4, 2)
    return float((np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2.0)


class TextReader:
    """Reads text: ``read(rgb)`` -> ``TextRegion`` list in reading order, lines under
    ``min_confidence`` dropped. ``engine`` is a ``Ppocr`` around ``rapidocr.RapidOCR`` (or anything
    called as ``engine(bgr) -> (list of [quad, text, score] or None, timings)``). Build it with
    ``load_reader``."""

    labels = frozenset({"text"})

    def __init__(self, engine: Any, min_confidence: float, lexicon: Lexicon | None = None) -> None:
        self.engine = engine
        self.min_confidence = min_confidence
        self.lexicon = lexicon  # corrects words the recogniser was unsure of (spelling.py); None: off

    def read(self, image: np.ndarray, frame: int = 0) -> list[TextRegion]:
        """Text lines in ``image`` ((H, W, 3) uint8 RGB) in reading order; ``frame`` is copied into
        every ``TextLine``."""
        return self.read_counted(image, frame)[0]

    def read_counted(self, image: np.ndarray, frame: int = 0) -> tuple[list[TextRegion], int]:
        """``read``, and how many lines were left out as illegible (read unsurely, mostly not words),
        so an answer can say that something was there."""
        h, w = image.shape[:2]
        if h <= LINE_MAX_HEIGHT_PX and w >= h and hasattr(self.engine, "read_line"):
            text, score, *letters = self.engine.read_line(np.ascontiguousarray(image[..., ::-1]))
            text = self._spelled(" ".join(text.split()), letters)
            if text and score >= self.min_confidence and self._legible(text, float(score)):
                quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
                return [TextRegion(TextLine(text, (0, 0, w, h), float(score), frame, float(h)), quad)], 0
        scale = min(MAX_UPSCALE, MIN_LONG_SIDE_PX / max(h, w, 1))
        bgr = np.ascontiguousarray(image[..., ::-1])  # rapidocr wants BGR arrays
        if scale > 1.0:
            bgr = cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
        else:
            scale = 1.0
        raw, _ = self.engine(bgr)
        regions, illegible = [], 0
        for quad, text, score, *letters in raw or []:
            text = self._spelled(" ".join(str(text).split()), letters)
            if not text or float(score) < self.min_confidence:
                continue
            if sum(c.isalnum() for c in text) < 2 and float(score) < SINGLE_CHAR_MIN_CONFIDENCE:
                continue  # a lone unsure letter is more often a shape (a cup's rim) than text
            if not self._legible(text, float(score)):
                illegible += 1
                continue
            q = np.asarray(quad, np.float32).reshape(4, 2) / scale
            x0, y0 = np.floor(q.min(axis=0)).astype(int)
            x1, y1 = np.ceil(q.max(axis=0)).astype(int)
            box = (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))
            regions.append(TextRegion(TextLine(text, box, float(score), frame, print_height(q)), q))
        return [r for group in group_lines(regions) for r in group], illegible

    def _legible(self, text: str, score: float) -> bool:
        """False for a line read unsurely whose words are mostly not words (with a lexicon)."""
        return score >= UNSURE_BELOW or self.lexicon is None or self.lexicon.mostly_words(text)

    def _spelled(self, text: str, letters: list[Any]) -> str:
        """``text`` with unsure words corrected when the engine gave per-letter confidences."""
        return self.lexicon.correct_line(text, letters[0]) if self.lexicon and letters else text

    def find(self, image: np.ndarray) -> list[Found]:
        """The ``Finder`` view: each text line as a ``Found`` (label "text"), in reading order."""
        return to_found(self.read(image), image.shape[0], image.shape[1])


def group_lines(regions: Sequence[TextRegion]) -> list[list[TextRegion]]:
    """Reading order: visual lines top to bottom, boxes left to right within a line.

    Boxes are taken by their vertical centre; a box joins the current line when its vertical overlap
    with the line's span is at least ``SAME_LINE_OVERLAP`` of the smaller of the two heights. Pure."""
    lines: list[list[TextRegion]] = []
    span = (0, 0)
    for region in sorted(regions, key=lambda r: (r.line.box[1] + r.line.box[3]) / 2):
        y0, y1 = region.line.box[1], region.line.box[3]
        if lines:
            overlap = min(y1, span[1]) - max(y0, span[0])
            smaller = max(1, min(y1 - y0, span[1] - span[0]))
            if overlap >= SAME_LINE_OVERLAP * smaller:
                lines[-1].append(region)
                span = (min(span[0], y0), max(span[1], y1))
                continue
        lines.append([region])
        span = (y0, y1)
    return [sorted(line, key=lambda r: r.line.box[0]) for line in lines]


def to_found(regions: Sequence[TextRegion], height: int, width: int) -> list[Found]:
    """Each region's quadrilateral filled as a (height, width) bool mask."""
    found = []
    for region in regions:
        mask = np.zeros((height, width), np.uint8)
        cv2.fillPoly(mask, [np.round(region.quad).astype(np.int32)], (1,))
        found.append(
            Found("text", mask.astype(bool), region.line.confidence, region.line.box, region.line.text)
        )
    return found


class Ppocr:
    """``rapidocr.RapidOCR`` (3.x) behind the call ``TextReader`` uses: ``engine(bgr)`` ->
    ``([[quad (4, 2), text, score, letter confidences], ...] or None, None)``, one confidence per
    non-space character of the text."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def __call__(self, bgr: np.ndarray) -> tuple[list[list[Any]] | None, None]:
        # Flags given every time: rapidocr 3 keeps the previous call's (read_line turns detection off).
        # Single-character boxes carry each letter's confidence; the text is the same as without them.
        out = self.engine(
            bgr, use_det=True, use_cls=True, use_rec=True, return_word_box=True, return_single_char_box=True
        )
        if out.boxes is None or out.txts is None or out.scores is None:
            return None, None
        letters = out.word_results or [()] * len(out.txts)
        return [
            [quad, text, score, [float(c[1]) for c in chars]]
            for quad, text, score, chars in zip(out.boxes, out.txts, out.scores, letters, strict=False)
        ], None

    def read_line(self, bgr: np.ndarray) -> tuple[str, float, list[float]]:
        """The whole image read as one line by the recogniser alone: (text, confidence 0..1, one
        confidence per non-space character)."""
        out = self.engine(bgr, use_det=False, use_cls=False, use_rec=True, return_word_box=True)
        if not out.txts:
            return "", 0.0, []
        info = out.word_results[0] if out.word_results else None
        return str(out.txts[0]), float(out.scores[0]), [float(c) for c in getattr(info, "confs", None) or []]


def load_reader(config: LiteConfig) -> TextReader:
    """Build the three ONNX sessions once, with ``config.threads`` intra-op threads each. Imports
    rapidocr here; an ImportError propagates for the caller to explain."""
    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={
            "Global.log_level": "critical",  # it logs every model path and empty page otherwise
            "Global.text_score": 0.0,  # everything comes back; TextReader applies config.ocr_min_confidence
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_MAX_SIDE_PX,
            "Det.use_dilation": False,
            "EngineConfig.onnxruntime.intra_op_num_threads": max(1, config.threads),
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )
    lexicon = load_lexicon() if config.ocr_spelling else None
    reader = TextReader(Ppocr(engine), config.ocr_min_confidence, lexicon)
    warm_up = np.full((48, 160, 3), 255, np.uint8)  # one word, so all three models run once
    cv2.putText(warm_up, "Ready", (8, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    reader.read(warm_up)  # onnxruntime's first run allocates; pay that at load, not on the first question
    return reader
