"""Parsing Sa2VA's ``prediction`` text and pairing [SEG] / <p> phrases with masks. Pure tables."""

from __future__ import annotations

import numpy as np
import pytest

from sa2va_assist.vision.sa2va_output import parse_prediction, strip_special


def masks(n: int, frames: int = 1) -> list[np.ndarray]:
    """n distinct masks: mask k has pixel (0, k) set."""
    out = []
    for k in range(n):
        m = np.zeros((frames, 2, 8), bool)
        m[:, 0, k] = True
        out.append(m)
    return out


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Sure, [SEG].<|im_end|>", "Sure, [SEG]."),
        ("<|im_start|>It is [SEG].<|end|></s>", "It is [SEG]."),
        ("A cat.<|endoftext|><|endoftext|>", "A cat."),
        ("<s>A cat.</s><unk>", "A cat."),
        ("<think>hmm</think>A cat.<|im_end|>", "A cat."),
        ("<p>a cat</p> [SEG]<|eot_id|>", "<p>a cat</p> [SEG]"),
    ],
)
def test_strip_special(raw: str, clean: str) -> None:
    assert strip_special(raw) == clean


@pytest.mark.parametrize(
    ("prediction", "n_masks", "answer", "phrases", "ack", "n_notes"),
    [
        ("Sure, [SEG].<|im_end|>", 1, "Sure.", [None], True, 0),
        ("It is [SEG].", 1, "It is.", [None], True, 0),
        ("Sure, the segmentation result is [SEG].", 1, "Sure, the segmentation result is.", [None], True, 0),
        ("[SEG].", 1, "", [None], True, 0),
        ("Sure, [SEG] and [SEG].", 2, "Sure, and.", [None, None], True, 0),
        ("It is the cup on the left [SEG].", 1, "It is the cup on the left.", [None], False, 0),
        ("There is no cup.<|im_end|>", 0, "There is no cup.", [], False, 0),
        (
            "<p>A man</p> [SEG] rides <p>a horse</p> [SEG] on <p>the beach</p> [SEG].<|im_end|>",
            3,
            "A man rides a horse on the beach.",
            ["A man", "a horse", "the beach"],
            False,
            0,
        ),
        ("<p>A man</p> [SEG] and <p>a dog</p> [SEG].", 1, "A man and a dog.", ["A man"], False, 2),
        ("<p>A man</p> [SEG].", 3, "A man.", ["A man", None, None], False, 2),
        ("<p>a man [SEG] </p></p> <p>broken", 1, "a man broken", ["a man"], False, 1),
        ("", 0, "", [], True, 0),
    ],
)
def test_parse_prediction(
    prediction: str, n_masks: int, answer: str, phrases: list[str | None], ack: bool, n_notes: int
) -> None:
    parsed = parse_prediction(prediction, masks(n_masks))
    assert parsed.answer == answer
    assert [s.phrase for s in parsed.segments] == phrases
    assert parsed.acknowledgement is ack
    assert len(parsed.notes) == n_notes, parsed.notes
    for k, segment in enumerate(parsed.segments):  # masks stay in generation order
        assert segment.index == k and segment.mask[0, 0, k]


def test_seg_count_and_phrases_are_reported() -> None:
    parsed = parse_prediction("<p>a</p> [SEG] <p>b</p> [SEG]", masks(2))
    assert parsed.seg_tokens == 2 and parsed.phrases == ("a", "b")
    assert len(parsed.masks) == 2


@pytest.mark.parametrize(
    ("raw", "kept", "shape"),
    [
        (np.ones((2, 3), bool), 1, (1, 2, 3)),  # (H, W) read as one frame
        (np.full((2, 2, 3), 0.9, np.float32), 1, (2, 2, 3)),  # probabilities -> bool
        (np.zeros((2, 2, 3, 1), bool), 0, None),  # wrong rank: dropped with a note
        (np.zeros((0, 2, 3), bool), 0, None),  # empty
        ("not a mask", 0, None),
    ],
)
def test_odd_masks_are_converted_or_dropped(raw: object, kept: int, shape: tuple[int, ...] | None) -> None:
    parsed = parse_prediction("Sure, [SEG].", [raw])
    assert len(parsed.segments) == kept
    if shape:
        assert parsed.segments[0].mask.shape == shape and parsed.segments[0].mask.dtype == np.bool_
    else:
        assert any("dropped" in note for note in parsed.notes)


def test_none_masks_are_no_masks() -> None:
    parsed = parse_prediction("A cat.", None)
    assert parsed.segments == () and parsed.notes == ()
