"""A stand-in Sa2VA model: a real implementation of the documented ``predict_forward`` contract.

It checks every input exactly as shared/docs/SA2VA.md states it (one ``<image>``, empty
``past_text``, PIL RGB image or list of PIL RGB frames, ``processor=`` for Qwen families and
``tokenizer=`` for InternVL ones), records each call with the first 5 frames (what the language model
would see), and answers with scripted text. Its masks are computed from the frames it was given:
the k-th ``[SEG]`` is "pixels whose channel k % 3 is above 127" on every frame, so tests can tell
frames apart by coloured markers and check that masks come back in the right order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

INTERNVL_FAMILIES = ("InternVL2.5", "InternVL3")
QWEN_FAMILIES = ("Qwen2.5-VL", "Qwen3-VL")
LM_FRAMES = 5


class OutOfMemoryError(RuntimeError):
    """Named like ``torch.cuda.OutOfMemoryError``, which is what the real model raises."""


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``n_masks`` overrides "one mask per [SEG]"; ``mask_size`` (w, h) makes the
    masks come back at another resolution; ``mask_frames`` overrides the number of mask frames."""

    prediction: str
    n_masks: int | None = None
    mask_size: tuple[int, int] | None = None
    mask_frames: int | None = None


@dataclass
class Call:
    """What one ``predict_forward`` call received."""

    text: str
    past_text: str
    kind: str  # "image" or "video"
    frames: list[Image.Image]  # every frame passed, in passed order
    tokenizer: Any
    processor: Any
    mask_prompts: Any

    @property
    def seen(self) -> list[Image.Image]:
        """The frames the language model reads: the first 5 passed."""
        return self.frames[:LM_FRAMES]


@dataclass
class StandinSa2va:
    """Queue replies with ``queue``; read ``calls`` afterwards. With nothing queued it answers
    "Sure, [SEG]." (the trained segmentation answer)."""

    family: str = "InternVL3"
    calls: list[Call] = field(default_factory=list)
    script: deque[Reply | str | BaseException] = field(default_factory=deque)

    def queue(self, *replies: Reply | str | BaseException) -> StandinSa2va:
        self.script.extend(replies)
        return self

    def predict_forward(
        self,
        image: Any = None,
        video: Any = None,
        text: Any = None,
        past_text: str = "",
        mask_prompts: Any = None,
        tokenizer: Any = None,
        processor: Any = None,
    ) -> dict[str, Any]:
        assert isinstance(text, str), "text must be a string"
        assert text.count("<image>") == 1, f"text must hold <image> exactly once: {text!r}"
        assert past_text is None or len(past_text) == 0, "past_text must be empty when text holds <image>"
        assert (image is None) != (video is None), "pass exactly one of image= and video="
        if image is not None:
            assert isinstance(image, Image.Image) and image.mode == "RGB", "image must be a PIL RGB image"
            frames, kind = [image], "image"
        else:
            assert isinstance(video, list) and video, "video must be a non-empty list of PIL images"
            assert all(isinstance(f, Image.Image) and f.mode == "RGB" for f in video), (
                "frames must be PIL RGB"
            )
            frames, kind = list(video), "video"
        if self.family in QWEN_FAMILIES:
            assert processor is not None, "Qwen-based Sa2VA asserts processor"
            assert tokenizer is None, "the backend must not pass tokenizer= to a Qwen model"
        else:
            assert self.family in INTERNVL_FAMILIES, f"unknown family {self.family}"
            assert tokenizer is not None, "InternVL-based Sa2VA needs tokenizer"
            assert processor is None, "InternVL-based Sa2VA rejects processor="
        self.calls.append(Call(text, past_text, kind, frames, tokenizer, processor, mask_prompts))

        reply = self.script.popleft() if self.script else "Sure, [SEG]."
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, str):
            reply = Reply(reply)
        n_masks = reply.prediction.count("[SEG]") if reply.n_masks is None else reply.n_masks
        masks = [self._mask(frames, k, reply) for k in range(n_masks)]
        return {"prediction": reply.prediction, "prediction_masks": masks}

    @staticmethod
    def _mask(frames: list[Image.Image], k: int, reply: Reply) -> np.ndarray:
        """(n_frames, H, W) bool at ``video[0].size`` (or ``reply.mask_size``), as the model returns."""
        size = reply.mask_size or frames[0].size
        out = []
        for frame in frames:
            channel = np.asarray(frame.resize(size, Image.Resampling.NEAREST))[:, :, k % 3]
            out.append(channel > 127)
        masks = np.stack(out)
        if reply.mask_frames is not None:
            masks = masks[: reply.mask_frames]
        return masks


class Token:
    """A tokenizer/processor placeholder: the stand-in only checks which one is passed."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Token({self.name!r})"
