"""scripts/install_env.py: the one install recipe; free-threaded builds get wheels first and the cffi cap."""

from __future__ import annotations

import importlib.util
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def install_env():
    spec = importlib.util.spec_from_file_location("install_env", ROOT / "scripts" / "install_env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("free_threaded", [False, True])
def test_free_threaded_builds_prefer_wheels_and_respect_the_constraints(install_env, monkeypatch, free_threaded):
    real = sysconfig.get_config_var
    monkeypatch.setattr(sysconfig, "get_config_var",
                        lambda name: int(free_threaded) if name == "Py_GIL_DISABLED" else real(name))
    command = install_env.pip_command(dev=False)
    assert ("--prefer-binary" in command) == free_threaded
    assert ("-c" in command) == free_threaded
    if free_threaded:
        constraints = Path(command[command.index("-c") + 1])
        assert "cffi<2" in constraints.read_text()
    assert str(ROOT / "requirements-dev.txt") not in command
    assert str(ROOT / "requirements-dev.txt") in install_env.pip_command(dev=True)
