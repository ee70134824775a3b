"""The detector's runtime stays apart from its build step: importing it loads no downloader or
converter code (those live in ``sa2va_assist.setup.detector`` and run only at setup)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SETUP_ONLY = ("urllib.request", "tarfile", "onnx", "sa2va_assist.setup")


def test_importing_the_runtime_detector_imports_no_setup_code() -> None:
    code = (
        "import json, sys\n"
        "import sa2va_assist.vision.lite.detector as d\n"
        "d.onnx_path()\n"
        f"print(json.dumps([m for m in {list(SETUP_ONLY)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_setup_writes_where_the_runtime_reads() -> None:
    from sa2va_assist.setup.detector import fetch
    from sa2va_assist.vision.lite.detector import onnx_path

    assert onnx_path().parent == fetch.detector_cache()


def test_a_missing_detector_is_a_logged_warning_the_cli_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sa2va_assist.cli import main
    from sa2va_assist.config import Config
    from sa2va_assist.vision.lite.loader import _load_objects

    with pytest.raises(SystemExit):
        main(["--version"])  # installs the CLI's warning handler, then exits
    capsys.readouterr()
    monkeypatch.setenv("SA2VA_ASSIST_CACHE", str(tmp_path))
    assert _load_objects(Config(), people=None) is None
    err = capsys.readouterr().err
    assert err.startswith("warning: the object detector is not prepared")
    assert "Until then only people and text are recognised." in err
