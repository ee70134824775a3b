"""The Sa2VA backend: a built model behind ``VisionBackend.run``.

``Sa2vaBackend`` wraps any object with Sa2VA's ``predict_forward`` (the real remote-code model, or a
stand-in in tests) and owns everything around the call: trained prompts, PIL conversion, keyframes
first, ``tokenizer=`` vs ``processor=`` by family, one call per object, output parsing, masks back in
request order at frame resolution. ``load(config)`` (in ``sa2va_load``) builds the real model once.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
from PIL import Image

from ..config import Config
from ..errors import AssistError, BackendError, ConfigError, InputError, ModelError
from ..tasks import phrase_of, split_targets
from ..types import TASKS, GroundedObject, Task, VisionRequest, VisionResult
from ..vocabulary import class_of
from . import prompts
from .sa2va_frames import fit_frames, keyframe_order, resize_nearest, restore_order, same_size, to_pil
from .sa2va_output import ParsedPrediction, parse_prediction
from .zoo import FAMILIES, Family, needs_processor

log = logging.getLogger(__name__)

# A segmentation request that is a reasoning question names one target, even when it says "and"
# ("which cup is between the plate and the bowl"), so it is not split into phrases.
_REASONING = re.compile(r"^(which|what|who|whose|how|why)\b", re.IGNORECASE)


class Sa2vaBackend:
    """Answers ``VisionRequest``s with a built Sa2VA model. Build it with ``load(config)``.

    ``model``: an object with ``predict_forward(image=, video=, text=, past_text=, mask_prompts=,
    tokenizer=, processor=)`` returning ``{"prediction": str, "prediction_masks": [bool (n, H, W)]}``.
    ``tokenizer`` is required for InternVL families, ``processor`` for Qwen families (the other is
    never passed). ``grad_guard`` wraps each call (``load`` passes ``torch.no_grad``: the released
    ``predict_forward`` runs SAM2 outside ``no_grad``); ``empty_cache`` runs after an out-of-memory.
    """

    name = "sa2va"
    quick_scan = False  # a scan of everything is a grounded caption: a second full model call

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        processor: Any = None,
        family: Family = "InternVL3",
        config: Config | None = None,
        *,
        grad_guard: Callable[[], AbstractContextManager[Any]] | None = None,
        empty_cache: Callable[[], None] | None = None,
    ) -> None:
        if family not in FAMILIES:
            raise ConfigError(f"unknown Sa2VA family '{family}'", f"Choose one of: {', '.join(FAMILIES)}.")
        if needs_processor(family) and processor is None:
            raise ModelError(
                f"{family} Sa2VA models need a processor", "Pass AutoProcessor.from_pretrained(path)."
            )
        if not needs_processor(family) and tokenizer is None:
            raise ModelError(
                f"{family} Sa2VA models need a tokenizer", "Pass AutoTokenizer.from_pretrained(path)."
            )
        self.model = model
        self.tokenizer = tokenizer
        self.processor = processor
        self.family: Family = family
        self.config = config or Config()
        self._grad_guard = grad_guard or contextlib.nullcontext
        self._empty_cache = empty_cache

    def run(self, request: VisionRequest) -> VisionResult:
        """Answer ``request``: text plus one ``GroundedObject`` per object, masks (n_frames, H, W) bool
        in the request's frame order at the first frame's resolution.

        Raises ``InputError`` (no frames, bad frame, nothing to segment), ``ConfigError`` (unknown task)
        and ``BackendError`` (the model failed or ran out of memory).
        """
        start = time.perf_counter()
        if request.task not in TASKS:
            raise ConfigError(f"unknown task '{request.task}'", f"Choose one of: {', '.join(TASKS)}.")
        if not request.frames:
            raise InputError("the request has no frames", "Pass an image, a video or a frame folder.")
        images = same_size([to_pil(frame.image) for frame in request.frames])
        n_frames = len(images)
        width, height = images[0].size
        cfg = self.config.sa2va
        order = keyframe_order(n_frames, cfg.num_keyframes, cfg.keyframes) if n_frames > 1 else [0]
        passed = [images[i] for i in order]
        calls = self._prompts(request)
        timings = {"prepare_ms": _ms(start)}

        model_ms = 0.0
        answers: list[str] = []
        objects: list[GroundedObject] = []
        raw: list[str] = []
        for task, phrase, text in calls:
            t0 = time.perf_counter()
            output = self._predict(text, passed, request)
            model_ms += _ms(t0)
            raw.append(output["prediction"])
            parsed = parse_prediction(output["prediction"], output.get("prediction_masks"))
            for note in parsed.notes:
                log.warning("Sa2VA output for %r: %s", text, note)
            masks = [self._to_request_frames(m, order, height, width) for m in parsed.masks]
            self._collect(task, phrase, parsed, masks, objects, (n_frames, height, width))
            answers.append(_answer(task, parsed))
        timings["model_ms"] = model_ms
        timings["total_ms"] = _ms(start)
        return VisionResult(
            answer=" ".join(a for a in answers if a),
            task=request.task,
            backend=self.name,
            objects=objects,
            timings_ms=timings,
            raw="\n".join(raw),
        )

    def _prompts(self, request: VisionRequest) -> list[tuple[Task, str | None, str]]:
        """(task, object phrase or None, prompt text) per ``predict_forward`` call. A segmentation
        target that is every object ("everything": the agent's hazard scan) becomes a grounded
        caption, whose phrases each come with their own mask."""
        video = request.is_video
        if request.task != "segment":
            return [(request.task, None, prompts.render(request.task, request.text, video))]
        text = request.text.strip()
        phrases: list[str | None]
        if request.targets:
            phrases = [None if t.everything else phrase_of(t) for t in request.targets]
        elif text:
            phrases = list([text] if _REASONING.match(text) else split_targets(text) or [text])
        else:
            phrases = []
        phrases = [p for p in phrases if p is None or p.strip()]
        if not phrases:
            raise InputError(
                "nothing to segment: the request names no object", 'Say what to find, e.g. "the cup".'
            )
        return [
            ("gcg", None, prompts.render("gcg", "", video))
            if p is None
            else ("segment", prompts.clean_expression(p), prompts.render("segment", p, video))
            for p in phrases
        ]

    def _predict(self, text: str, passed: Sequence[Image.Image], request: VisionRequest) -> Mapping[str, Any]:
        """One ``predict_forward`` call, exactly as the contract wants it."""
        kwargs: dict[str, Any] = {"text": text, "past_text": ""}
        if len(passed) == 1:
            kwargs["image"] = passed[0]
        else:
            kwargs["video"] = list(passed)
        if needs_processor(self.family):
            kwargs["processor"] = self.processor
        else:
            kwargs["tokenizer"] = self.tokenizer
        try:
            with self._grad_guard():
                output = self.model.predict_forward(**kwargs)
        except AssistError:
            raise
        except Exception as err:
            raise self._failure(err, request) from err
        if not isinstance(output, Mapping) or not isinstance(output.get("prediction"), str):
            raise BackendError(
                f"Sa2VA returned {type(output).__name__}, not a dict with a 'prediction' string",
                "The model's remote code does not match the Sa2VA contract; reload the checkpoint.",
            )
        return output

    def _failure(self, err: Exception, request: VisionRequest) -> BackendError:
        n = len(request.frames)
        detail = (str(err).strip().splitlines() or [""])[0][:200]
        if type(err).__name__ == "OutOfMemoryError" or "out of memory" in str(err).lower():
            if self._empty_cache is not None:
                self._empty_cache()
            return BackendError(
                f"Sa2VA ran out of GPU memory on {n} frame(s) ({request.task})",
                f"Use fewer frames (input.max_frames, now {self.config.input.max_frames}) or a smaller "
                "model (e.g. ByteDance/Sa2VA-1B); cost grows with objects x frames.",
            )
        return BackendError(
            f"Sa2VA failed on a {request.task} request over {n} frame(s): {type(err).__name__}: {detail}",
            "The request was skipped. If it repeats, check that transformers matches the model family "
            "and that the weights are complete.",
        )

    def _to_request_frames(
        self, mask: np.ndarray, order: Sequence[int], height: int, width: int
    ) -> np.ndarray:
        """A mask in passed-frame order -> request frame order, (n_frames, height, width) bool."""
        if mask.shape[0] != len(order):
            log.warning("Sa2VA mask has %d frames for %d passed; fitted", mask.shape[0], len(order))
        fitted = fit_frames(mask.astype(bool, copy=False), len(order))
        return resize_nearest(restore_order(fitted, order), height, width)

    @staticmethod
    def _collect(
        task: Task,
        phrase: str | None,
        parsed: ParsedPrediction,
        masks: list[np.ndarray],
        objects: list[GroundedObject],
        shape: tuple[int, int, int],
    ) -> bool:
        """Append this call's objects; True when it found anything. A segment call gives exactly one
        object (its [SEG] masks united; empty when none), other tasks one object per mask. Each is
        labelled with the everyday class its phrase names, when it names one (``vocabulary.class_of``),
        so it gets a distance and hazard rules apply as with any backend."""
        if task == "segment":
            union = np.zeros(shape, dtype=bool)
            for m in masks:
                union |= m
            objects.append(GroundedObject(phrase=phrase or "", masks=union, label=class_of(phrase or "")))
            return bool(union.any())
        for segment, m in zip(parsed.segments, masks, strict=True):
            name = segment.phrase or phrase or f"object {len(objects) + 1}"
            objects.append(GroundedObject(phrase=name, masks=m, label=class_of(name)))
        return bool(masks)


def _answer(task: Task, parsed: ParsedPrediction) -> str:
    """The model's own words for one call, or "" when a segmentation answer only acknowledges ("Sure,
    [SEG]."): the objects are the answer, worded by ``compose`` as for any backend."""
    if task == "segment" and parsed.acknowledgement:
        return ""
    return parsed.answer


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


def load(config: Config, *, allow_download: bool | None = None) -> Sa2vaBackend:
    """Build the Sa2VA backend once (see ``sa2va_load.load`` for every check and error)."""
    from .sa2va_load import load as _load

    return _load(config, allow_download=allow_download)


__all__ = ["Sa2vaBackend", "load"]
