"""scripts/version_matrix.py finds every CPython 3.10+ (no upper version), one per line and build, and selects them."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def matrix():
    spec = importlib.util.spec_from_file_location("version_matrix", ROOT / "scripts" / "version_matrix.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["version_matrix"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["version_matrix"]


def fake_python(folder: Path, name: str, version: str, free_threaded: bool, implementation: str = "cpython") -> Path:
    """An executable that answers version_matrix.probe the way that interpreter would."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho {version} {free_threaded} {implementation}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A PATH, a course interpreter folder and a pyenv with fake interpreters, and nothing else."""
    bin_dir, course, pyenv = tmp_path / "bin", tmp_path / "pythons", tmp_path / "pyenv"
    fake_python(bin_dir, "python3.11", "3.11.2", False)  # the system's 3.11: pyenv's 3.11.7 comes first
    fake_python(bin_dir, "python3.9", "3.9.18", False)  # too old
    fake_python(bin_dir, "python3.16t", "3.16.0", True)  # no upper version
    fake_python(bin_dir, "python3.12", "7.3.17", False, "pypy")  # not CPython
    fake_python(course / "bin", "python3.15", "3.15.2", False)
    fake_python(course / "bin", "python3.13t", "3.13.5", True)
    fake_python(pyenv / "versions" / "3.11.7" / "bin", "python3", "3.11.7", False)
    fake_python(pyenv / "shims", "python3.10", "3.10.13", False)  # a shim is not an interpreter
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{pyenv / 'shims'}")
    monkeypatch.setenv("PYTHONS_DIR", str(course))
    monkeypatch.setenv("PYENV_ROOT", str(pyenv))
    monkeypatch.delenv("GIL_COURSE_PYTHON", raising=False)
    return tmp_path


def test_finds_every_line_and_build_once_oldest_first(matrix, machine):
    found = matrix.find_interpreters()
    assert [i.name for i in found] == ["py3.11.7", "py3.13.5t", "py3.15.2", "py3.16.0t"]
    assert found[0].path.startswith(str(machine / "pyenv"))


def test_the_named_interpreter_comes_first(matrix, machine, monkeypatch):
    named = fake_python(machine / "elsewhere", "python", "3.15.0", False)
    monkeypatch.setenv("GIL_COURSE_PYTHON", str(named))
    assert [i.version for i in matrix.find_interpreters() if i.minor == "3.15"] == ["3.15.0"]


def test_select_by_line_build_or_version(matrix, machine):
    found = matrix.find_interpreters()
    assert [i.name for i in matrix.select(found, ["3.13t"])] == ["py3.13.5t"]
    assert [i.name for i in matrix.select(found, ["3.15.2", "3.11"])] == ["py3.15.2", "py3.11.7"]
    assert matrix.select(found, []) == found
    with pytest.raises(SystemExit, match=r"3\.13: no such interpreter"):
        matrix.select(found, ["3.13"])  # only the free-threaded 3.13 is there


def test_newest_standard_build_is_the_one_that_stores_outputs(matrix, machine):
    assert matrix.newest_standard(matrix.find_interpreters()).name == "py3.15.2"
