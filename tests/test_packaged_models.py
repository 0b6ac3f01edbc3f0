"""Models shipped inside a PyPI wheel, found by name and unpacked once."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from assist.encoders import packaged as packaged_models
from assist.encoders.packaged import PackagedModel, packaged_model_folder
from assist.errors import ModelError


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An importable module folder holding model.zip with a minimal model folder."""
    module = tmp_path / "site" / "fake_model_pkg"
    module.mkdir(parents=True)
    (module / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    with zipfile.ZipFile(module / "model.zip", "w") as archive:
        archive.writestr("modules.json", "[]")
        archive.writestr("config.json", "{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setitem(
        packaged_models.PACKAGED_MODELS, "fake-model",
        PackagedModel("fake-model", "fake_model_pkg", "fake-model-dist", "model.zip"),
    )
    return module


def test_unpacks_once_without_importing_the_package(fake_package: Path, tmp_path: Path) -> None:
    folder = packaged_model_folder("fake-model", tmp_path / "cache")
    assert (folder / "modules.json").read_text() == "[]"
    (folder / "marker").write_text("kept")
    assert packaged_model_folder("FAKE-MODEL", tmp_path / "cache") == folder
    assert (folder / "marker").is_file()
    assert "fake_model_pkg" not in sys.modules
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [folder.name]


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(
        packaged_models.PACKAGED_MODELS, "absent-model",
        PackagedModel("absent-model", "no_such_module_here", "absent-dist", "model.zip"),
    )
    with pytest.raises(ModelError, match="pip install absent-dist"):
        packaged_model_folder("absent-model", tmp_path)


def test_zip_without_a_model_folder_is_refused(fake_package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(fake_package / "model.zip", "w") as archive:
        archive.writestr("readme.txt", "no model")
    with pytest.raises(ModelError, match=r"no modules\.json"):
        packaged_model_folder("fake-model", tmp_path / "cache")
    assert not any((tmp_path / "cache").iterdir())


def test_a_damaged_unpacked_model_is_unpacked_again(fake_package: Path, tmp_path: Path) -> None:
    folder = packaged_model_folder("fake-model", tmp_path / "cache")
    (folder / "config.json").write_text("{}")  # same size, same bytes: still intact
    assert packaged_model_folder("fake-model", tmp_path / "cache") == folder
    (folder / "config.json").write_text("{]")  # same size, other bytes: the CRC catches it
    assert packaged_model_folder("fake-model", tmp_path / "cache") == folder
    assert (folder / "config.json").read_text() == "{}"
    (folder / "config.json").unlink()  # a file gone
    assert (packaged_model_folder("fake-model", tmp_path / "cache") / "config.json").read_text() == "{}"
