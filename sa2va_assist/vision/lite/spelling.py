"""Spelling help for words the text recogniser was unsure of: "GOTEL" -> "HOTEL".

The recogniser gives a confidence per letter. A word is changed only when all of these hold:
it is made of letters only and has at least ``MIN_LETTERS`` of them; it is not an English word (the
lexicon: the 82,765-word frequency list inside the ``symspellpy`` package, MIT); and changing one
letter the recogniser scored under ``UNSURE_LETTER`` makes it one. Among such words the most frequent
wins. A word read surely is kept as read, known or not (names, codes, "ocr"), so the rule only decides
between readings the model itself doubted, the way a person reading a blurred sign would.

A line read unsurely (``answers.UNSURE_BELOW``) whose words are mostly not English words is not
legible: ``TextReader`` drops it instead of reading out "the o d e t te e e the" (unsure).

On the dev OCR items it changed "GOTEL" (G at 0.38 and 0.89) to "HOTEL" twice and "Multiplled"
(second l at 0.80) to "Multiplied", and left every correctly read word alone (BENCHMARKS.md, ocr).
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from pathlib import Path

UNSURE_LETTER = 0.9  # a letter scored under this (0..1) may be replaced
MIN_LETTERS = 4  # shorter words are kept: too many English words lie one letter apart
LEXICON_FILE = "frequency_dictionary_en_82_765.txt"  # "word count" per line, in the symspellpy package


class Lexicon:
    """English words with their corpus counts (lower case)."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts = dict(counts)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.counts

    def correct(self, word: str, confidences: Sequence[float]) -> str:
        """``word`` with one unsure letter replaced when that makes the most frequent English word
        (case kept letter by letter), else ``word`` itself. ``confidences``: one per letter."""
        if len(word) < MIN_LETTERS or len(confidences) != len(word) or not word.isalpha() or word in self:
            return word
        lower, best, best_count = word.lower(), word, 0
        for i, confidence in enumerate(confidences):
            if confidence >= UNSURE_LETTER:
                continue
            for letter in string.ascii_lowercase:
                count = self.counts.get(lower[:i] + letter + lower[i + 1 :], 0)
                if letter != lower[i] and count > best_count:
                    best_count = count
                    best = word[:i] + (letter.upper() if word[i].isupper() else letter) + word[i + 1 :]
        return best

    def mostly_words(self, text: str) -> bool:
        """Whether at least half of the line's runs of letters are English words (a lone letter counts
        only as "a" or "I"); True when it has none (numbers, prices and codes are not judged here)."""
        words = [w for w in (t.strip(string.punctuation) for t in text.split()) if w.isalpha()]
        known = sum(w.lower() in ("a", "i") if len(w) == 1 else w in self for w in words)
        return not words or 2 * known >= len(words)

    def correct_line(self, text: str, confidences: Sequence[float]) -> str:
        """Every word of a line corrected; ``confidences`` has one entry per non-space character of
        ``text``. Punctuation around a word stays ("GOTEL," -> "HOTEL,"). Returns ``text`` unchanged
        when the counts do not line up."""
        words = text.split()
        if sum(map(len, words)) != len(confidences):
            return text
        out, at = [], 0
        for word in words:
            core = word.strip(string.punctuation)
            start = at + (word.index(core) if core else 0)
            fixed = self.correct(core, confidences[start : start + len(core)]) if core else core
            out.append(word.replace(core, fixed, 1) if core else word)
            at += len(word)
        return " ".join(out)


def load_lexicon() -> Lexicon:
    """The English lexicon from the ``symspellpy`` package's word-frequency list, read once (~0.05 s;
    the package itself is not imported). Raises ModuleNotFoundError when the package is absent, for
    the caller to explain."""
    from importlib.util import find_spec

    spec = find_spec("symspellpy")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("No module named 'symspellpy'", name="symspellpy")
    counts = {}
    with (Path(next(iter(spec.submodule_search_locations))) / LEXICON_FILE).open(encoding="utf-8") as lines:
        for line in lines:
            word, _, count = line.partition(" ")
            if word and count.strip().isdigit():
                counts[word] = int(count)
    return Lexicon(counts)
