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
    monkeypatch.setattr(
        sysconfig, "get_config_var", lambda name: int(free_threaded) if name == "Py_GIL_DISABLED" else real(name)
    )
    command = install_env.pip_command(dev=False)
    assert ("--prefer-binary" in command) == free_threaded
    assert ("-c" in command) == free_threaded
    if free_threaded:
        constraints = Path(command[command.index("-c") + 1])
        assert "cffi<2" in constraints.read_text()
    assert str(ROOT / "requirements-dev.txt") not in command
    assert str(ROOT / "requirements-dev.txt") in install_env.pip_command(dev=True)


def test_make_lab_installs_through_this_recipe():
    # `make lab PYTHON=python3.13t` in a fresh clone: the venv is made with $(PYTHON), then install_env.py runs.
    makefile = (ROOT / "Makefile").read_text()
    lab = next(line for line in makefile.splitlines() if line.startswith("lab:"))
    assert "$(VENV)/.installed" in lab.split(":", 1)[1]
    recipe = makefile[makefile.index("$(VENV)/.installed:") :].split("\n\n", 1)[0]
    assert "scripts/install_env.py" in recipe
    python_ok = makefile[makefile.index("$(VENV)/.python-ok:") :].split("\n\n", 1)[0]
    assert "$(PYTHON) -m venv $(VENV)" in python_ok, "the venv is made with the interpreter named by PYTHON"


def test_main_installs_the_requirements_then_the_course_editable(install_env, monkeypatch):
    calls = []
    monkeypatch.setattr(install_env.sys, "prefix", "/a/venv")
    monkeypatch.setattr(install_env.sys, "base_prefix", "/usr")
    monkeypatch.setattr(install_env.subprocess, "run", lambda command, check: calls.append(command))
    assert install_env.main([]) == 0
    assert calls[0] == install_env.pip_command(dev=False)
    assert calls[1][-3:] == ["--no-deps", "-e", str(ROOT)]


def test_main_refuses_an_interpreter_outside_a_venv(install_env, monkeypatch):
    monkeypatch.setattr(install_env.sys, "prefix", "/usr")
    monkeypatch.setattr(install_env.sys, "base_prefix", "/usr")
    monkeypatch.setattr(install_env.subprocess, "run", lambda *a, **k: pytest.fail("must not install"))
    with pytest.raises(SystemExit):
        install_env.main([])


def test_the_cffi_cap_applies_to_3_13t_and_not_to_3_14t():
    requirements = pytest.importorskip("packaging.requirements")
    lines = [line.strip() for line in (ROOT / "constraints-free-threaded.txt").read_text().splitlines()]
    caps = [requirements.Requirement(line) for line in lines if line and not line.startswith("#")]
    cffi = [cap for cap in caps if cap.name == "cffi"]
    assert len(cffi) == 1 and "2" not in cffi[0].specifier and "1.17.1" in cffi[0].specifier
    assert cffi[0].marker.evaluate({"python_version": "3.13"})
    assert not cffi[0].marker.evaluate({"python_version": "3.14"})
