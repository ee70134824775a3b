"""The Python API (``sa2va_assist.load`` / ``Assistant.ask``, ``load_stt``): its public names are pinned,
importing it stays light, and it answers exactly as ``sa2va-assist ask`` does: on the ColourBackend
double (fast, no models) and on the real lite backend with the example photo."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

import sa2va_assist
from sa2va_assist import errors
from sa2va_assist.api import Assistant
from sa2va_assist.cli import main
from tests.conftest import REPO, paint_scene, write_rgb
from tests.fakes import ColourBackend

PUBLIC = {
    "__version__",
    "load",
    "load_stt",
    "Assistant",
    "VisionResult",
    "Transcript",
    "Config",
    "load_config",
    "AssistError",
    "InputError",
    "ConfigError",
    "DependencyError",
    "ModelError",
    "BackendError",
}
HEAVY = ("torch", "cv2", "onnxruntime", "whisper")
ASTRONAUT = REPO / "examples" / "astronaut.jpg"


def test_public_api_is_pinned() -> None:
    assert set(sa2va_assist.__all__) == PUBLIC and len(sa2va_assist.__all__) == len(PUBLIC)
    for name in PUBLIC:
        assert getattr(sa2va_assist, name) is not None, name
    assert set(dir(sa2va_assist)) >= PUBLIC
    assert sa2va_assist.__version__ == "0.1.0"
    from sa2va_assist.audio import stt
    from sa2va_assist.config import Config, load_config
    from sa2va_assist.types import VisionResult

    assert sa2va_assist.load_stt is stt.load_stt and sa2va_assist.Transcript is stt.Transcript
    assert (sa2va_assist.Config, sa2va_assist.load_config) == (Config, load_config)
    assert sa2va_assist.VisionResult is VisionResult and sa2va_assist.Assistant is Assistant
    for name in ("InputError", "ConfigError", "DependencyError", "ModelError", "BackendError"):
        assert issubclass(getattr(sa2va_assist, name), sa2va_assist.AssistError)
        assert getattr(sa2va_assist, name) is getattr(errors, name)
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        sa2va_assist.nonesuch  # noqa: B018


def test_import_is_light_in_a_fresh_process() -> None:
    """Neither the package nor its vision API (names only, nothing loaded) imports a heavy package."""
    script = (
        "import json, sys\n"
        "import sa2va_assist\n"
        f"bare = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "from sa2va_assist import Assistant, Config, VisionResult, load, load_config\n"
        f"names = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps({'bare': bare, 'names': names}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"bare": [], "names": []}


# --- on the ColourBackend double: the same request and the same document as the CLI ---------------------


@pytest.fixture
def fake(fake_backend: ColourBackend) -> Assistant:
    return sa2va_assist.load("fake")


def test_ask_a_path_sends_the_clis_request_and_answer(
    fake: Assistant, fake_backend: ColourBackend, scene_png: Path
) -> None:
    result = fake.ask(scene_png, "where is the red square?")
    assert result.answer == "Red square, 1 o'clock, at eye level." and result.task == "segment"
    ours = fake_backend.requests[0]
    assert main(["ask", str(scene_png), "where is the red square?", "--backend", "fake"]) == 0
    theirs = fake_backend.requests[1]
    assert (ours.task, ours.text, len(ours.frames)) == (theirs.task, theirs.text, len(theirs.frames))
    assert [f.name for f in ours.frames] == [f.name for f in theirs.frames] == ["scene"]
    assert np.array_equal(ours.frames[0].image, theirs.frames[0].image)


def _untimed(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "timings_ms"}


def test_ask_document_is_the_clis_json_and_out(
    fake: Assistant,
    scene_png: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = "find the red square and the blue ball"
    assert main(["ask", str(scene_png), text, "--backend", "fake", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert _untimed(fake.ask_document(str(scene_png), text)) == _untimed(printed)
    written = fake.ask_document(scene_png, text, out=tmp_path / "out")
    assert written == json.loads((tmp_path / "out" / "result.json").read_text())
    assert written["objects"][0]["frames"][0]["mask"] == "masks/01-the-red-square/scene.png"
    assert (tmp_path / "out" / "overlays" / "scene.jpg").is_file()


def test_one_array_a_list_and_a_stack(fake: Assistant, fake_backend: ColourBackend) -> None:
    one = fake.ask(paint_scene(), "the red square")
    assert one.answer == "Red square, 1 o'clock, at eye level."
    assert one.objects[0].masks.shape == (1, 480, 640)
    assert int(one.objects[0].masks.sum()) == 60 * 60
    clip = [paint_scene(320, 240, red_x=10 * i) for i in range(10)]
    moving = fake.ask(clip, "the red square")
    assert moving.objects[0].masks.shape == (10, 240, 320)
    assert [f.name for f in fake_backend.requests[1].frames][:3] == ["00000", "00001", "00002"]
    fake.ask(np.stack(clip), "the red square", max_frames=4)
    assert [f.index for f in fake_backend.requests[2].frames] == [0, 3, 6, 9]  # uniform, ends kept
    doc = fake.ask_document(clip, "the red square", max_frames=2)
    assert doc["source"] is None and [f["name"] for f in doc["frames"]] == ["00000", "00009"]
    assert doc["objects"][0]["motion"] == "moving right"


def test_arrays_are_downscaled_like_files(fake_backend: ColourBackend) -> None:
    from dataclasses import replace

    from sa2va_assist.config import Config

    config = Config()
    small = sa2va_assist.load("fake", config=replace(config, input=replace(config.input, max_side=320)))
    small.ask(paint_scene(640, 480), "the red square")
    assert fake_backend.requests[0].frames[0].size == (320, 240)


def test_task_choice_and_override(fake: Assistant, fake_backend: ColourBackend) -> None:
    assert fake.ask(paint_scene(), "describe the scene").task == "caption"
    assert fake.ask(paint_scene(), "the red square", task="caption").task == "caption"
    assert [r.task for r in fake_backend.requests] == ["caption", "caption"]


def test_config_path_and_model_path(fake_backend: ColourBackend, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("backend: fake\ninput:\n  max_frames: 3\n")
    assistant = sa2va_assist.load(config=config, model_path=tmp_path)
    assert assistant.name == "fake" and assistant.config.input.max_frames == 3
    assert assistant.config.sa2va.model_path == str(tmp_path)
    assistant.ask([paint_scene(64, 48)] * 8, "the red square")
    assert len(fake_backend.requests[0].frames) == 3


GREY = np.zeros((48, 64), np.uint8)


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("no/such/photo.jpg", "does not exist"),
        (Path("no/such/folder"), "does not exist"),
        (GREY, "must be (H, W, 3) or (N, H, W, 3)"),
        (np.zeros((48, 64, 4), np.uint8), "not (H, W, 3)"),
        (np.zeros((0, 64, 3), np.uint8), "not (H, W, 3)"),
        (np.zeros((48, 64, 3), np.float32), "dtype float32, not uint8"),
        ([], "no frames were given"),
        ([paint_scene(), "frame.png"], "frame 1 is a str"),
        ([paint_scene(64, 48), paint_scene(32, 24)], "different sizes (32x24, 64x48)"),
        (42, "cannot look at a int"),
        (b"\x89PNG", "cannot look at a bytes"),
    ],
)
def test_bad_sources_raise_input_error(fake: Assistant, source: Any, needle: str) -> None:
    with pytest.raises(errors.InputError) as caught:
        fake.ask(source, "where is the red square?")
    assert needle in str(caught.value) and caught.value.hint


def test_bad_arguments_raise_the_right_error(fake: Assistant, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8 definitely not a jpeg")
    with pytest.raises(errors.InputError, match="is damaged or not an image"):
        fake.ask(corrupt, "what is this")
    with pytest.raises(errors.InputError, match="max_frames"):
        fake.ask(paint_scene(), "the red square", max_frames=0)
    with pytest.raises(errors.InputError, match="text must be a string"):
        fake.ask(paint_scene(), None)  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigError, match="unknown task 'dance'") as caught:
        fake.ask(paint_scene(), "the red square", task="dance")
    assert "segment" in caught.value.hint
    with pytest.raises(errors.ConfigError, match="unknown backend 'nonesuch'"):
        sa2va_assist.load("nonesuch")
    with pytest.raises(errors.ConfigError, match="does not exist"):
        sa2va_assist.load("fake", config=tmp_path / "missing.yaml")
    with pytest.raises(errors.ConfigError, match="must be a Config or the path"):
        sa2va_assist.load("fake", config={"backend": "fake"})  # type: ignore[arg-type]


# --- the real lite backend on the example photo ---------------------------------------------------------


@pytest.fixture(scope="module")
def lite() -> Iterator[Assistant]:
    pytest.importorskip("mediapipe", reason="the lite backend's person models ship in mediapipe")
    pytest.importorskip("rapidocr", reason="the lite backend's text models ship in rapidocr")
    try:
        yield sa2va_assist.load("lite")
    except (errors.ModelError, errors.DependencyError) as err:
        pytest.skip(f"lite backend not set up ({err.one_line()}): run sa2va-assist setup")


def test_lite_answers_the_example_photo_as_the_cli_does(lite: Assistant) -> None:
    result = lite.ask(str(ASTRONAUT), "where is the person?")
    assert result.answer.startswith("Person, 12 o'clock") and result.backend == "lite"
    done = subprocess.run(
        [sys.executable, "-m", "sa2va_assist", "ask", str(ASTRONAUT), "where is the person?", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["answer"] == result.answer
    assert _untimed(lite.ask_document(ASTRONAUT, "where is the person?")) == _untimed(printed)


def test_lite_answers_about_an_array_and_a_list(lite: Assistant) -> None:
    photo = cv2.cvtColor(cv2.imread(str(ASTRONAUT)), cv2.COLOR_BGR2RGB)
    by_path = lite.ask(ASTRONAUT, "where is the person?")
    assert lite.ask(photo, "where is the person?").answer == by_path.answer
    three = lite.ask([photo, photo, photo], "where is the person?")
    assert three.answer.startswith("Person, 12 o'clock")
    assert three.objects[0].masks.shape == (3, 512, 512) and three.objects[0].masks.any(axis=(1, 2)).all()


def test_lite_load_reports_its_load_time(lite: Assistant, tmp_path: Path) -> None:
    assert lite.name == "lite" and lite.load_ms > 0 and repr(lite) == "Assistant(backend='lite')"
    png = write_rgb(tmp_path / "blank.png", np.zeros((64, 64, 3), np.uint8))
    assert lite.ask(png, "describe the scene").task == "caption"


def test_a_config_built_in_code_is_checked_like_a_file() -> None:
    from sa2va_assist.config import Config, InputConfig

    with pytest.raises(errors.ConfigError, match=r"input\.max_side"):
        sa2va_assist.load(config=Config(input=InputConfig(max_side=0)))
