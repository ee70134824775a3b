"""Sa2vaBackend against a stand-in that enforces the documented predict_forward contract."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from sa2va_assist.config import Config, InputConfig, Sa2vaConfig
from sa2va_assist.errors import BackendError, InputError, ModelError
from sa2va_assist.types import Frame, VisionRequest
from sa2va_assist.vision import VisionBackend, resolve_factory
from sa2va_assist.vision.prompts import READ_QUESTION
from sa2va_assist.vision.sa2va import Sa2vaBackend
from tests.sa2va_standin import OutOfMemoryError, Reply, StandinSa2va, Token

W, H = 64, 48
RED = (255, 0, 0)
GREEN = (0, 255, 0)


def frame(i: int, size: tuple[int, int] = (W, H)) -> Frame:
    """Black frame, a red 4x4 marker at x = 4 + 6*i (tells frames apart), a fixed green square."""
    w, h = size
    image = np.zeros((h, w, 3), np.uint8)
    image[8:12, 4 + 6 * i : 8 + 6 * i] = RED
    image[30:40, 40:50] = GREEN
    return Frame(image=image, index=i, name=f"{i:05d}")


def red(f: Frame) -> np.ndarray:
    return f.image[:, :, 0] > 127


def green(f: Frame) -> np.ndarray:
    return f.image[:, :, 1] > 127


def marker(image) -> int:
    """Which frame a PIL image is, read from its red marker's x position."""
    cols = np.nonzero(np.asarray(image)[10, :, 0] > 127)[0]
    return int((cols[0] - 4) // 6)


def backend(
    family: str = "InternVL3", keyframes: str = "uniform", num: int = 5
) -> tuple[Sa2vaBackend, StandinSa2va]:
    model = StandinSa2va(family=family)
    qwen = family.startswith("Qwen")
    config = replace(Config(), sa2va=Sa2vaConfig(keyframes=keyframes, num_keyframes=num))
    b = Sa2vaBackend(
        model,
        tokenizer=None if qwen else Token("tok"),
        processor=Token("proc") if qwen else None,
        family=family,  # type: ignore[arg-type]
        config=config,
    )
    return b, model


def request(task: str, text: str = "", n: int = 1) -> VisionRequest:
    return VisionRequest(frames=tuple(frame(i) for i in range(n)), task=task, text=text)  # type: ignore[arg-type]


@pytest.mark.parametrize("family", ["InternVL2.5", "InternVL3", "Qwen2.5-VL", "Qwen3-VL"])
def test_image_segment_each_family(family: str) -> None:
    b, model = backend(family)
    result = b.run(request("segment", "Where is the red square?"))
    (call,) = model.calls
    assert call.text == "<image>Please segment the red square in this image."
    assert call.kind == "image" and call.past_text == ""
    if family.startswith("Qwen"):
        assert call.processor is not None and call.tokenizer is None
    else:
        assert call.tokenizer is not None and call.processor is None
    (obj,) = result.objects
    assert obj.phrase == "the red square" and obj.label is None
    assert obj.masks.shape == (1, H, W) and obj.masks.dtype == np.bool_
    assert np.array_equal(obj.masks[0], red(frame(0)))
    assert result.answer == ""  # "Sure, [SEG]." says nothing: the objects are the answer (compose)
    assert result.backend == "sa2va" and result.task == "segment"
    assert {"model_ms", "total_ms"} <= set(result.timings_ms)
    assert result.raw == "Sure, [SEG]."


def test_satisfies_backend_protocol_and_registry() -> None:
    b, _ = backend()
    assert isinstance(b, VisionBackend)
    assert resolve_factory("sa2va").__module__ == "sa2va_assist.vision.sa2va"


def test_importing_backend_needs_no_torch() -> None:
    code = "import sys, sa2va_assist.vision.sa2va; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_tokenizer_or_processor_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="processor"):
        Sa2vaBackend(StandinSa2va(family="Qwen3-VL"), tokenizer=Token("t"), family="Qwen3-VL")
    with pytest.raises(ModelError, match="tokenizer"):
        Sa2vaBackend(StandinSa2va(), processor=Token("p"), family="InternVL3")


@pytest.mark.parametrize(
    ("strategy", "seen"),
    [("uniform", [0, 2, 4, 5, 7]), ("first", [0, 1, 2, 3, 4]), ("last", [3, 4, 5, 6, 7])],
)
def test_video_keyframes_first_and_masks_back_in_request_order(strategy: str, seen: list[int]) -> None:
    b, model = backend(keyframes=strategy)
    req = request("segment", "the red square", n=8)
    result = b.run(req)
    (call,) = model.calls
    assert call.kind == "video" and call.text == "<image>Please segment the red square."
    passed = [marker(im) for im in call.frames]
    assert [marker(im) for im in call.seen] == seen
    assert passed == seen + [i for i in range(8) if i not in seen]
    (obj,) = result.objects
    assert obj.masks.shape == (8, H, W)
    for j, f in enumerate(req.frames):
        assert np.array_equal(obj.masks[j], red(f)), f"frame {j} got another frame's mask"


def test_short_video_is_passed_in_order_and_num_keyframes_is_honoured() -> None:
    b, model = backend(num=2)
    b.run(request("segment", "the red square", n=6))
    assert [marker(im) for im in model.calls[0].frames] == [0, 5, 1, 2, 3, 4]
    b, model = backend()
    b.run(request("segment", "the red square", n=3))
    assert [marker(im) for im in model.calls[0].frames] == [0, 1, 2]


def test_video_question_uses_the_question_form() -> None:
    b, model = backend()
    result = b.run(request("segment", "which square is between the top and the bottom?", n=3))
    (call,) = model.calls  # a reasoning question names one target: not split at "and"
    assert call.text == (
        "<image>Which square is between the top and the bottom? Please respond with a segmentation mask."
    )
    assert result.answer == ""


def test_several_objects_make_several_calls() -> None:
    b, model = backend()
    model.queue("Sure, [SEG].", "There is no phone here.<|im_end|>")
    result = b.run(request("segment", "Where are my keys and my phone?"))
    assert [c.text for c in model.calls] == [
        "<image>Please segment the keys in this image.",
        "<image>Please segment the phone in this image.",
    ]
    assert [o.phrase for o in result.objects] == ["the keys", "the phone"]
    assert result.objects[0].found and not result.objects[1].found
    assert result.objects[1].masks.shape == (1, H, W)
    assert result.answer == "There is no phone here."  # the model's own words, kept as they are


def test_gcg_pairs_kth_phrase_with_kth_mask() -> None:
    b, model = backend()
    model.queue("<p>A red square</p> [SEG] above <p>a green square</p> [SEG].<|im_end|>")
    result = b.run(request("gcg", "describe everything with masks"))
    assert model.calls[0].text.startswith("<image>Could you please give me a brief description")
    assert result.answer == "A red square above a green square."
    assert [o.phrase for o in result.objects] == ["A red square", "a green square"]
    assert np.array_equal(result.objects[0].masks[0], red(frame(0)))
    assert np.array_equal(result.objects[1].masks[0], green(frame(0)))


@pytest.mark.parametrize(
    ("task", "text", "prompt"),
    [
        ("ask", "Is there a red square?", "<image>Is there a red square?"),
        ("caption", "", "<image>Please describe the image."),
        ("read", "", f"<image>{READ_QUESTION[False]}"),
    ],
)
def test_text_tasks_without_seg_give_text_and_no_objects(task: str, text: str, prompt: str) -> None:
    b, model = backend()
    model.queue("<|im_start|>Yes, one red square.<|im_end|><|endoftext|>")
    result = b.run(request(task, text))
    assert model.calls[0].text == prompt
    assert result.answer == "Yes, one red square." and result.objects == []
    assert "<|im_end|>" in result.raw


def test_video_caption_uses_the_video_template() -> None:
    b, model = backend("Qwen3-VL")
    model.queue("A square moves right.</s>")
    result = b.run(request("caption", n=4))
    assert model.calls[0].text == "<image>Please describe the video." and model.calls[0].kind == "video"
    assert result.answer == "A square moves right."


def test_zero_seg_in_segment_answer_gives_empty_object() -> None:
    b, model = backend()
    model.queue("I do not see a blue circle.")
    result = b.run(request("segment", "the blue circle"))
    (obj,) = result.objects
    assert not obj.found and obj.masks.shape == (1, H, W)
    assert result.answer == "I do not see a blue circle."


def test_many_seg_for_one_phrase_are_united() -> None:
    b, model = backend()
    model.queue("Sure, [SEG] and [SEG].")
    result = b.run(request("segment", "the squares", n=2))
    (obj,) = result.objects
    for j in range(2):
        assert np.array_equal(obj.masks[j], red(frame(j)) | green(frame(j)))
    assert result.answer == ""


@pytest.mark.parametrize(
    ("reply", "n_objects"),
    [
        (Reply("<p>a</p> [SEG] <p>b</p> [SEG] <p>c</p> [SEG]", n_masks=1), 1),  # more [SEG] than masks
        (Reply("<p>a</p> [SEG]", n_masks=3), 3),  # more masks than [SEG]
        (Reply("<p>a [SEG] </p></p> <p>broken [SEG"), 1),  # malformed tags
        (Reply("", n_masks=0), 0),  # empty output
    ],
)
def test_malformed_output_does_not_crash(reply: Reply, n_objects: int) -> None:
    b, model = backend()
    model.queue(reply)
    result = b.run(request("gcg"))
    assert len(result.objects) == n_objects
    assert "[SEG]" not in result.answer and "<p>" not in result.answer and "</p>" not in result.answer
    assert all(o.masks.shape == (1, H, W) for o in result.objects)


def test_masks_at_another_size_are_resized_to_the_frame() -> None:
    b, model = backend()
    model.queue(
        Reply("Sure, [SEG].", mask_size=(W * 2, H * 2)), Reply("Sure, [SEG].", mask_size=(W // 2, H // 2))
    )
    up = b.run(request("segment", "the green square"))
    down = b.run(request("segment", "the green square"))
    assert up.objects[0].masks.shape == down.objects[0].masks.shape == (1, H, W)
    assert np.array_equal(up.objects[0].masks[0], red(frame(0)))
    assert np.array_equal(down.objects[0].masks[0], red(frame(0)))


def test_missing_mask_frames_are_empty_not_misplaced() -> None:
    b, model = backend(keyframes="first")
    model.queue(Reply("Sure, [SEG].", mask_frames=2))
    result = b.run(request("segment", "the red square", n=4))
    masks = result.objects[0].masks
    assert masks.shape == (4, H, W)
    assert np.array_equal(masks[1], red(frame(1))) and not masks[2:].any()


def test_video_frames_of_another_size_are_resized_to_the_first() -> None:
    b, model = backend()
    frames = (frame(0), frame(1, size=(W * 2, H * 2)))
    result = b.run(VisionRequest(frames=frames, task="segment", text="the green square"))
    assert {im.size for im in model.calls[0].frames} == {(W, H)}
    assert result.objects[0].masks.shape == (2, H, W)


def test_model_failure_is_a_one_line_backend_error() -> None:
    b, model = backend()
    model.queue(RuntimeError("boom\nsecond line"))
    with pytest.raises(BackendError) as info:
        b.run(request("segment", "the cup"))
    assert "RuntimeError: boom" in str(info.value) and "\n" not in str(info.value)
    assert info.value.hint


def test_out_of_memory_names_fewer_frames_or_smaller_model() -> None:
    b, model = backend()
    b.config = replace(b.config, input=InputConfig(max_frames=32))
    model.queue(OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    with pytest.raises(BackendError, match="out of GPU memory on 3 frame") as info:
        b.run(request("caption", n=3))
    assert "input.max_frames, now 32" in info.value.hint and "Sa2VA-1B" in info.value.hint


def test_a_reply_that_breaks_the_contract_is_a_backend_error() -> None:
    class Broken(StandinSa2va):
        def predict_forward(self, **kwargs):  # type: ignore[no-untyped-def, override]
            return "just a string"

    b = Sa2vaBackend(Broken(), tokenizer=Token("t"), family="InternVL3")
    with pytest.raises(BackendError, match="not a dict"):
        b.run(request("caption"))


@pytest.mark.parametrize(
    ("req", "error"),
    [
        (VisionRequest(frames=(), task="caption"), InputError),
        (request("segment", "   "), InputError),
        (request("ask", ""), InputError),
    ],
)
def test_bad_requests(req: VisionRequest, error: type[Exception]) -> None:
    b, model = backend()
    with pytest.raises(error):
        b.run(req)
    assert model.calls == []


def test_ask_words_what_sa2va_found_as_for_any_backend() -> None:
    # "Sure, [SEG]." says nothing: the composer words the object from its mask, with the class the
    # phrase names, exactly as the lite backend words its own objects (spatial.position_phrase)
    from sa2va_assist.compose import answered
    from sa2va_assist.spatial import locate, position_phrase
    from sa2va_assist.tasks import request_for

    b, _ = backend()
    req = request_for((frame(0),), "segment", "Where is my cup?")
    assert req.targets[0].label == "cup"
    result = answered(req, b.run(req), 70.0)
    (obj,) = result.objects
    assert obj.label == "cup"  # from the phrase: a distance, hazard rules, as for a lite object
    assert result.answer == position_phrase("cup", locate(red(frame(0)), "cup", 70.0))
    assert result.answer.startswith("Cup, ") and ("metre" in result.answer or "within reach" in result.answer)
    empty = replace(result, objects=[replace(obj, masks=np.zeros_like(obj.masks))], answer="")
    assert answered(req, empty, 70.0).answer == "I don't see a cup."


def test_a_scan_of_everything_is_a_grounded_caption_with_labelled_objects() -> None:
    from sa2va_assist.types import EVERYTHING

    b, model = backend()
    model.queue("<p>A car</p> [SEG] near <p>a person</p> [SEG].<|im_end|>")
    result = b.run(VisionRequest((frame(0),), "segment", "everything", (EVERYTHING,)))
    assert model.calls[0].text.startswith("<image>Could you please give me a brief description")
    assert [(o.phrase, o.label) for o in result.objects] == [("A car", "car"), ("a person", "person")]
