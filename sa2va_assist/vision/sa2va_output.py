"""Turn one ``predict_forward`` return value into clean text plus masks paired with phrases. Pure.

Contract of the input (shared/docs/SA2VA.md): ``prediction`` keeps special tokens (``<|im_end|>``,
``</s>``…) and one ``[SEG]`` per mask; ``prediction_masks`` holds one bool array (n_frames, H, W) per
``[SEG]``, in generation order. A grounded caption interleaves ``<p>phrase</p> [SEG]``: the k-th
phrase goes with the k-th mask. Real outputs break this now and then (a ``[SEG]`` with no mask, a
mask with no ``[SEG]``, an unclosed ``<p>``); the parser pairs what it can and records a note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SEG = "[SEG]"
_SPECIAL = re.compile(r"<\|[^<>|]*\|>|</?s>|<unk>|<pad>|<eos>|<bos>|</?img>|<IMG_CONTEXT>|</?vp>")
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_PHRASE = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_STRAY_TAG = re.compile(r"</?p>")
# Words of a segmentation answer that says nothing but "here is the mask" ("Sure, it is [SEG].").
_FILLER_WORDS = (
    "sure ok okay yes certainly of course here and it is are this that these they the a segmentation"
)
_FILLER = frozenset(_FILLER_WORDS.split()) | {"result", "results", "mask", "masks"}


@dataclass(frozen=True)
class Segment:
    """One mask the model produced, with the phrase the answer tagged it with."""

    index: int  # position among the masks, generation order (0-based)
    phrase: str | None  # GCG phrase paired with it; None when the answer tagged none
    mask: np.ndarray  # (n_frames, H, W) bool, in the frame order the model was given


@dataclass(frozen=True)
class ParsedPrediction:
    """A prediction split into what to say and what to draw."""

    answer: str  # clean text: no special tokens, no [SEG], <p> tags unwrapped
    segments: tuple[Segment, ...]  # every usable mask, paired with a phrase when there is one
    seg_tokens: int  # how many [SEG] the text holds
    phrases: tuple[str, ...]  # every <p>phrase</p>, in order
    notes: tuple[str, ...]  # what did not fit the contract (empty when all was well)
    acknowledgement: bool  # the answer is only "Sure." / "It is." once [SEG] is removed

    @property
    def masks(self) -> list[np.ndarray]:
        return [s.mask for s in self.segments]


def strip_special(text: str) -> str:
    """``text`` without chat/special tokens (``<|im_end|>``, ``<|end|>``, ``</s>``, ``<|...|>``…) and
    without any ``<think>…</think>`` block; ``[SEG]`` and ``<p>`` tags are kept."""
    return _SPECIAL.sub("", _THINK.sub("", text)).strip()


def parse_prediction(prediction: str, masks: Sequence[Any] | None) -> ParsedPrediction:
    """Parse ``prediction`` and pair its ``[SEG]`` tokens and ``<p>`` phrases with ``masks``.

    ``masks``: the model's ``prediction_masks`` (arrays of (n_frames, H, W), or (H, W) which is read as
    one frame). The k-th mask is paired with the k-th phrase. Masks beyond the [SEG] count are kept
    (phrase None when no phrase is left); [SEG] tokens beyond the mask count are dropped. Never raises
    on malformed text or masks; every deviation is listed in ``notes``.
    """
    notes: list[str] = []
    text = strip_special(prediction or "")
    seg_tokens = text.count(SEG)

    phrases = tuple(_tidy(p.replace(SEG, "")) for p in _PHRASE.findall(text))
    body = _PHRASE.sub(lambda m: m.group(1).strip(), text)
    if _STRAY_TAG.search(body):
        notes.append("malformed <p> tags removed")
        body = _STRAY_TAG.sub("", body)

    usable: list[np.ndarray] = []
    for k, raw in enumerate(masks or []):
        mask = _as_mask(raw)
        if mask is None:
            notes.append(f"mask {k} is not an (n_frames, H, W) array and was dropped")
            continue
        usable.append(mask)

    if seg_tokens != len(usable):
        if seg_tokens > len(usable):
            notes.append(
                f"{seg_tokens} [SEG] but {len(usable)} masks: {seg_tokens - len(usable)} without a mask"
            )
        else:
            notes.append(f"{len(usable)} masks but {seg_tokens} [SEG]: extra masks kept")
    if phrases and len(phrases) != len(usable):
        notes.append(f"{len(phrases)} <p> phrases but {len(usable)} masks: paired in order")

    segments = tuple(
        Segment(index=k, phrase=phrases[k] if k < len(phrases) else None, mask=mask)
        for k, mask in enumerate(usable)
    )
    answer = _tidy(body.replace(SEG, ""))
    return ParsedPrediction(
        answer=answer,
        segments=segments,
        seg_tokens=seg_tokens,
        phrases=phrases,
        notes=tuple(notes),
        acknowledgement=all(w in _FILLER for w in re.findall(r"[a-z]+", answer.lower())),
    )


def _as_mask(raw: Any) -> np.ndarray | None:
    try:
        mask = np.asarray(raw)
    except Exception:  # an object numpy cannot read is not a mask
        return None
    if mask.ndim == 2:
        mask = mask[None]
    if mask.ndim != 3 or 0 in mask.shape or mask.dtype == object:
        return None
    return mask if mask.dtype == np.bool_ else mask > 0.5


def _tidy(text: str) -> str:
    """Whitespace and punctuation left behind by removed tokens: "Sure, ." -> "Sure.", "a  , b" -> "a, b"."""
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)  # ", ," -> ","
    text = re.sub(r"[,;:]\s*([.!?])", r"\1", text)  # "Sure, ." -> "Sure."
    text = re.sub(r"([.!?])(?:\s*\.)+", r"\1", text)  # "it. ." -> "it."
    text = re.sub(r"\s*\n\s*", "\n", text)
    return text.strip(" \n,;:") if re.search(r"\w", text) else ""


__all__ = ["SEG", "ParsedPrediction", "Segment", "parse_prediction", "strip_special"]
