import contextlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from sa2va_assist.cli import main
from tests.conftest import REPO, paint_scene, write_rgb, write_video
from tests.fakes import ColourBackend


def test_ask_prints_the_answer(scene_png: Path, fake_backend: ColourBackend, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", str(scene_png), "where is the red square?", "--backend", "fake"]) == 0
    # the fake returns objects only: the answer is the composer's, as for every backend
    assert capsys.readouterr().out.strip() == "Red square, 1 o'clock, at eye level."
    request = fake_backend.requests[0]
    assert request.task == "segment" and request.text == "where is the red square?"
    assert request.targets[0].words == "the red square"  # the same understanding the agent uses


def test_ask_json_and_out_write_the_documented_files(
    scene_png: Path,
    fake_backend: ColourBackend,
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "ask",
            str(scene_png),
            "find the red square and the blue ball",
            "--backend",
            "fake",
            "--out",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((out / "result.json").read_text())
    red, blue = printed["objects"]
    assert red["found"] and red["clock_hour"] == 1 and not blue["found"]  # square centre x=510 of 640
    mask = cv2.imread(str(out / red["frames"][0]["mask"]), cv2.IMREAD_GRAYSCALE)
    assert int((mask > 0).sum()) == 60 * 60
    assert (out / "overlays" / "scene.jpg").is_file()


def test_task_flag_overrides_auto(scene_png: Path, fake_backend: ColourBackend) -> None:
    assert main(["ask", str(scene_png), "the red square", "--task", "caption", "--backend", "fake"]) == 0
    assert fake_backend.requests[0].task == "caption"


def test_video_and_folder_sources(tmp_path: Path, fake_backend: ColourBackend) -> None:
    clip = write_video(tmp_path / "clip.mp4", [paint_scene(320, 300, red_x=8 * i) for i in range(20)])
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        write_rgb(folder / f"{i:03d}.png", paint_scene(320, 300, red_x=50 * i))
    out = tmp_path / "out"
    assert (
        main(
            ["ask", str(clip), "the red square", "--backend", "fake", "--max-frames", "5", "--out", str(out)]
        )
        == 0
    )
    assert len(fake_backend.requests[0].frames) == 5
    doc = json.loads((out / "result.json").read_text())
    assert [f["index"] for f in doc["frames"]] == [0, 5, 10, 14, 19]
    assert len(list((out / "masks").glob("*/*.png"))) == 5 and doc["objects"][0]["motion"] == "moving right"
    assert main(["ask", str(folder), "the red square", "--backend", "fake"]) == 0
    assert [f.name for f in fake_backend.requests[1].frames] == ["000", "001", "002"]


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sa2va_assist", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ask", "no/such/file.jpg", "what is this"], "does not exist"),
        (["ask", "{corrupt}", "what is this"], "is damaged or not an image"),
        (["ask", "{scene}", "what", "--backend", "nonesuch"], "unknown backend 'nonesuch'"),
        (["ask", "{scene}", "what", "--task", "dance"], "invalid choice: 'dance'"),
        (["ask", "{scene}", "what", "--config", "{badconfig}"], "unknown config key colour"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(tmp_path: Path, args: list[str], needle: str) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8 definitely not a jpeg")
    scene = write_rgb(tmp_path / "scene.png", np.zeros((8, 8, 3), np.uint8))
    badconfig = tmp_path / "bad.yaml"
    badconfig.write_text("colour: red\n")
    filled = [a.format(corrupt=corrupt, scene=scene, badconfig=badconfig) for a in args]
    done = _run_cli(*filled)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_debug_flag_shows_the_traceback(tmp_path: Path) -> None:
    done = _run_cli("ask", str(tmp_path / "missing.png"), "hi", "--debug")
    assert done.returncode != 0 and "Traceback" in done.stderr and "InputError" in done.stderr


def test_models_lists_every_checkpoint_with_its_transformers_range(capsys) -> None:  # type: ignore[no-untyped-def]
    from sa2va_assist.vision.zoo import MODELS

    assert main(["models"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    assert [r[0] for r in rows] == list(MODELS)
    by_id = {r[0]: r for r in rows}
    assert by_id["ByteDance/Sa2VA-8B"][1:] == ["InternVL2.5", ">=4.45,<4.50"]
    assert by_id["ByteDance/Sa2VA-Qwen3-VL-4B"][1:] == ["Qwen3-VL", ">=4.57,<4.58"]


def test_setup_with_an_unwritable_model_cache_says_so_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sa2va_assist", "setup", "--no-system"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "SA2VA_ASSIST_CACHE": "/proc/no-such-cache"},
    )  # fmt: skip
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(errors) == 1, done.stderr
    assert "cannot write the model cache at /proc/no-such-cache" in errors[0]
    assert "SA2VA_ASSIST_CACHE" in errors[0]


def test_logged_errors_are_said_as_errors_not_warnings(capsys) -> None:  # type: ignore[no-untyped-def]
    """The CLI's stderr handler names the level it prints: a logged error is not called a warning."""
    with contextlib.suppress(SystemExit):  # main installs the handler before it parses
        main(["ask", "--help"])
    capsys.readouterr()
    logging.getLogger("sa2va_assist.test").error("the model broke mid-stream")
    logging.getLogger("sa2va_assist.test").warning("a frame was dropped")
    assert capsys.readouterr().err.splitlines() == [
        "error: the model broke mid-stream", "warning: a frame was dropped",
    ]  # fmt: skip
