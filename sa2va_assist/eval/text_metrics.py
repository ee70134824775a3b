"""Text metrics: OCR word recall/precision, word error rate, and object mentions in descriptions. Pure,
no I/O. Definitions follow ``shared/data/README.md``; every choice it leaves open is stated here.

Comparison of text is always on normalised forms: Unicode NFKC (full-width digits, ligatures), then
case-folded ("Straße" == "STRASSE").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

import numpy as np

from sa2va_assist.spatial import COCO_CLASSES
from sa2va_assist.vocabulary import mentioned_categories

# The 80 COCO detection categories in the standard coco.names order (the same tuple spatial.py uses).
COCO_CATEGORIES: tuple[str, ...] = COCO_CLASSES


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


# ----------------------------------------------------------------------------------------------- OCR


def normalise_word(word: str) -> str:
    """NFKC, case-fold, then keep only letters, digits and combining marks (Unicode categories L, N,
    M), so punctuation anywhere is dropped: "[06]" -> "06", "62-03" -> "6203", "Café!" -> "café"."""
    return "".join(ch for ch in _fold(word) if unicodedata.category(ch)[0] in "LNM")


def words_of(text: str) -> list[str]:
    """Whitespace-separated words of ``text``, normalised; words with nothing left ("-", "###") go."""
    return [w for w in map(normalise_word, text.split()) if w]


class WordCounts(NamedTuple):
    """Matching counts for one OCR item; sum them over a split for micro-averaged recall/precision."""

    n_true: int  # ground-truth words (receipt: ground-truth text boxes) with something left after normalising
    matched_true: int  # of those, found in the output
    n_output: int  # output words (whitespace-separated) with something left after normalising
    matched_output: int  # of those, used by a match (receipt: several may make up one truth word)


def _claim_run(unit: str, tokens: Sequence[str], used: list[bool]) -> int:
    """Mark the first run of consecutive unused ``tokens`` whose concatenation is ``unit``; its length,
    0 if none."""
    for start in range(len(tokens)):
        text, end = "", start
        while end < len(tokens) and not used[end] and unit.startswith(text + tokens[end]):
            text += tokens[end]
            end += 1
            if text == unit:
                used[start:end] = [True] * (end - start)
                return end - start
    return 0


def word_match_counts(predicted_text: str, true_words: Iterable[str], receipt: bool = False) -> WordCounts:
    """Match ground-truth words against an OCR output, each output word used at most once.

    Both sides are compared after ``normalise_word`` (case-insensitive, punctuation stripped).

    Default (scene, document, crop): a ground-truth entry with spaces ("Genaxis Theatre") counts as its
    words; truth and output words match when equal, as multisets (truth "exit" twice needs "exit" twice).

    ``receipt=True``: receipt truth words are whole text boxes with their spaces removed
    ("THANKYOUFORSHOPPINGWITHUS!"), so spaces are removed from the output too, but only between words:
    a truth word matches a run of consecutive unused output words whose concatenation equals it
    ("Thank you for shopping with us!"), longest truth words claiming their runs first. A run must
    start and end on word boundaries: plain substring search in the space-free output would find short
    truth words ("B", ".49" -> "49") inside unrelated longer ones ("3.49") and score noise. Precision
    counts the output words used by any match, so the two directions stay symmetric; an output word
    that fuses two boxes ("Regprice3.99") matches neither.
    """
    tokens = words_of(predicted_text)
    if receipt:
        units = [u for u in map(normalise_word, true_words) if u]
        used = [False] * len(tokens)
        matched = sum(_claim_run(u, tokens, used) > 0 for u in sorted(units, key=len, reverse=True))
        return WordCounts(len(units), matched, len(tokens), sum(used))
    truth = [w for entry in true_words for w in words_of(entry)]
    common = sum((Counter(truth) & Counter(tokens)).values())
    return WordCounts(len(truth), common, len(tokens), common)


def word_recall_precision(
    predicted_text: str, true_words: Iterable[str], receipt: bool = False
) -> tuple[float | None, float | None, int]:
    """(recall, precision, matched) for one OCR item under ``word_match_counts``' matching: recall =
    matched truth words / truth words (None when there are none), precision = matched output words /
    output words (None when the output has none), matched = truth words found."""
    c = word_match_counts(predicted_text, true_words, receipt)
    recall = c.matched_true / c.n_true if c.n_true else None
    precision = c.matched_output / c.n_output if c.n_output else None
    return recall, precision, c.matched_true


# ----------------------------------------------------------------------------------------------- WER

_UNITS = dict(zip(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                   "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                   "eighteen", "nineteen"), range(20), strict=True))  # fmt: skip
_TENS = dict(zip(("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"),
                 range(20, 100, 10), strict=True))  # fmt: skip
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
# A number: digits with thousands commas and an optional decimal part; a word: letters/digits with
# apostrophes only inside ("don't", "o'clock"); everything else is punctuation and splits words.
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[^\W_]+(?:'[^\W_]+)*")


def _kind(word: str) -> str | None:
    if word in _UNITS:
        value = _UNITS[word]
        return "zero" if value == 0 else "unit" if value < 10 else "teen"
    if word in _TENS:
        return "tens"
    return "hundred" if word == "hundred" else "scale" if word in _SCALES else None


# Which kinds may follow which inside one spoken number ("one two" is two numbers, "twenty one" one).
_FOLLOWS: dict[str | None, set[str]] = {
    None: {"zero", "unit", "teen", "tens"},
    "unit": {"hundred", "scale"},
    "teen": {"hundred", "scale"},
    "tens": {"unit", "scale"},
    "hundred": {"unit", "teen", "tens", "scale"},
    "scale": {"unit", "teen", "tens"},
    "zero": set(),
}


def _parse_number(words: Sequence[str], start: int) -> tuple[int, int]:
    """(value, words consumed) of the spoken number starting at ``words[start]``; consumed 0 if none."""
    total, group, last, last_scale, i, end, group_end = 0, 0, None, None, start, start, start
    while i < len(words):
        word, ahead = words[i], words[i + 1] if i + 1 < len(words) else ""
        if last is None and word == "a" and _kind(ahead) in ("hundred", "scale"):
            word = "one"  # "a hundred" = "one hundred"
        elif word == "and" and last in ("hundred", "scale") and _kind(ahead) in ("unit", "teen", "tens"):
            i += 1  # "one hundred and five": the "and" belongs to the number
            continue
        kind = _kind(word)
        if kind is None or kind not in _FOLLOWS[last]:
            break
        if kind == "hundred":
            if group >= 100:
                break
            group *= 100
        elif kind == "scale":
            if last_scale is not None and _SCALES[word] >= last_scale:
                # "three thousand two thousand": the "two" starts the next number.
                return total, group_end - start
            total, group, last_scale = total + group * _SCALES[word], 0, _SCALES[word]
            group_end = i + 1
        else:
            group += _UNITS.get(word, _TENS.get(word, 0))
        last, i, end = kind, i + 1, i + 1
    return total + group, end - start


def normalise_transcript(text: str) -> list[str]:
    """Words of a transcript for WER: NFKC, case-folded, punctuation removed (apostrophes kept inside
    words: "don't"), thousands commas dropped ("1,000" -> "1000"), and spoken cardinals written as
    digits: "ten" -> "10", "twenty-one" -> "21", "one hundred and five" -> "105", "two thousand
    twenty" -> "2020". Number words only join when they form one cardinal ("one two" -> "1 2").
    Not handled: ordinals ("first"), years said in pairs ("nineteen eighty" -> "19 80"), decimals said
    as words ("three point five")."""
    words = _TOKEN.findall(_fold(text).replace("\u2019", "'").replace("\u2018", "'"))
    out: list[str] = []
    i = 0
    while i < len(words):
        value, used = _parse_number(words, i)
        out.append(str(value) if used else words[i].replace(",", ""))
        i += used or 1
    return out


def edit_counts(ref_words: Sequence[str], hyp_words: Sequence[str]) -> tuple[int, int, int]:
    """(substitutions, deletions, insertions) of a minimum word-level Levenshtein alignment turning
    ``ref_words`` into ``hyp_words``. The total is unique; among equally short alignments ties go to
    match/substitution, then deletion, then insertion."""
    n, m = len(ref_words), len(hyp_words)
    ids: dict[str, int] = {}
    ref = np.array([ids.setdefault(w, len(ids)) for w in ref_words], dtype=np.int64)
    hyp = np.array([ids.setdefault(w, len(ids)) for w in hyp_words], dtype=np.int64)
    cols = np.arange(m + 1)
    dist = np.zeros((n + 1, m + 1), dtype=np.int64)  # dist[i, j]: edits from ref[:i] to hyp[:j]
    dist[0] = cols
    for i in range(1, n + 1):
        best = np.empty(m + 1, dtype=np.int64)
        best[0] = i
        best[1:] = np.minimum(dist[i - 1, :-1] + (hyp != ref[i - 1]), dist[i - 1, 1:] + 1)
        dist[i] = np.minimum.accumulate(best - cols) + cols  # then insertions along the row
    subs = dels = ins = 0
    i, j = n, m
    while i or j:
        if i and j and dist[i, j] == dist[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            subs += int(ref[i - 1] != hyp[j - 1])
            i, j = i - 1, j - 1
        elif i and dist[i, j] == dist[i - 1, j] + 1:
            dels, i = dels + 1, i - 1
        else:
            ins, j = ins + 1, j - 1
    return subs, dels, ins


def corpus_wer(references: Iterable[str], hypotheses: Iterable[str]) -> float:
    """Split-level WER: all errors / all reference words, after ``normalise_transcript``; with no
    reference words, 0.0 if every hypothesis is empty, else 1.0."""
    errors = n_ref = n_hyp = 0
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        ref, hyp = normalise_transcript(reference), normalise_transcript(hypothesis)
        errors, n_ref, n_hyp = errors + sum(edit_counts(ref, hyp)), n_ref + len(ref), n_hyp + len(hyp)
    if n_ref == 0:
        return 0.0 if n_hyp == 0 else 1.0
    return errors / n_ref


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate (S + D + I) / N of one utterance after ``normalise_transcript``, N = reference
    words; with N = 0, 0.0 for an empty hypothesis and 1.0 otherwise. Can exceed 1 (insertions)."""
    return corpus_wer([reference], [hypothesis])


# ------------------------------------------------------------------------------------------ mentions


def mention_precision_recall(
    text: str, true_categories: Collection[str], vocabulary: Iterable[str] = COCO_CATEGORIES
) -> tuple[float | None, float | None, set[str]]:
    """(precision, recall, predicted) of the objects a description mentions: predicted = categories of
    ``vocabulary`` mentioned in ``text``; precision = |predicted & true| / |predicted| (None when
    nothing is predicted), recall = |predicted & true| / |true| (None when true is empty)."""
    predicted = mentioned_categories(text, vocabulary)
    hits = len(predicted & set(true_categories))
    precision = hits / len(predicted) if predicted else None
    recall = hits / len(set(true_categories)) if true_categories else None
    return precision, recall, predicted
