"""Output folders written whole or not at all: ``whole_folder(path)`` gives a temporary folder beside
``path``; when the block ends without an error it takes ``path``'s place in one rename (the previous
run's folder, if any, is removed only then), and on any error or Ctrl-C it is deleted and ``path`` is
left as it was. A folder that holds other files than a previous run's is never replaced."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError

_HINT = "Choose a new folder name (or an earlier output folder) somewhere you can write."


@contextlib.contextmanager
def whole_folder(path: str | os.PathLike[str], marker: str) -> Iterator[Path]:
    """Write into the yielded folder; it becomes ``path`` when the block succeeds. ``marker`` is the
    file every run writes (``result.json``): an existing ``path`` is replaced only when it is empty
    or holds that file. Raises ``OutputError`` (one line, with the fix) when ``path`` is a file, not
    ours, or cannot be made."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder", _HINT)
    if out.is_dir() and any(out.iterdir()) and not (out / marker).is_file():
        raise OutputError(
            f"--out {out} is a folder with other files in it (no {marker} from an earlier run)",
            "Choose a new or empty folder: each run replaces its output folder whole.",
        )
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=parent))
    except OSError as err:
        raise OutputError(f"cannot make the output folder {out}: {err.strerror or err}", _HINT) from err
    try:
        yield work
        _replace(work, out)
    except OSError as err:
        raise OutputError(f"cannot write the output folder {out}: {err.strerror or err}", _HINT) from err
    finally:
        shutil.rmtree(work, ignore_errors=True)  # gone already when it took out's place


def _replace(work: Path, out: Path) -> None:
    """``work`` becomes ``out``; an earlier ``out`` is moved aside first and removed after."""
    if not out.exists():
        work.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.resolve().parent))
    old.rmdir()
    out.rename(old)
    try:
        work.rename(out)
    except OSError:
        old.rename(out)  # put the earlier run back
        raise
    shutil.rmtree(old, ignore_errors=True)
