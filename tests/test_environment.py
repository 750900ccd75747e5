import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import time

import pytest

from utils.engine import environment


def test_python_info_is_plain_consistent_data():
    info = environment.python_info()
    data = json.loads(json.dumps(info.to_dict()))
    assert data["version"] == ".".join(map(str, sys.version_info[:3]))
    assert info.free_threaded_build == bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    assert 1 <= info.usable_cpus <= info.cpu_count
    assert info.switch_interval == sys.getswitchinterval()
    assert "Switch interval" in info.describe()


def test_gil_state_matches_the_build():
    if sys.version_info < (3, 13):
        assert environment.gil_enabled() is True
    else:
        assert environment.gil_enabled() == sys._is_gil_enabled()
    if not environment.free_threaded_build():
        assert environment.gil_enabled()


def test_reading_the_start_method_does_not_fix_it():
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    environment.python_info()
    assert multiprocessing.get_start_method(allow_none=True) == before


# --- finding a free-threaded interpreter, in fake folders -------------------------------------


SLEEP = shutil.which("sleep")  # looked up before the tests empty PATH


def fake_python(folder, name, version="3.13.5", free_threaded=True, body=None):
    """An executable that answers the probe as a CPython ``version`` would (a shell script)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    answer = f"echo cpython {version} {int(free_threaded)}"
    path.write_text("#!/bin/sh\n" + (body or answer) + "\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def machine(monkeypatch, tmp_path):
    """A machine with no interpreters: empty PATH, course folder and pyenv, a standard kernel."""
    for name in ("bin", "pythons", "pyenv"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv(environment.PYTHONS_DIR_ENV, str(tmp_path / "pythons"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.delenv(environment.OTHER_PYTHON_ENV, raising=False)
    monkeypatch.setattr(environment, "free_threaded_build", lambda: False)
    return tmp_path


def test_nothing_found_on_an_empty_machine(machine):
    fake_python(machine / "bin", "python3.13", free_threaded=False)  # a standard build is never chosen
    assert environment.free_threaded_pythons() == []
    assert environment.find_free_threaded_python() is None


def test_every_place_is_searched_and_the_newest_comes_first(machine):
    on_path = fake_python(machine / "bin", "python3.13t", "3.13.5")
    newest = fake_python(machine / "pythons" / "bin", "python3.16t", "3.16.0")  # no upper version
    in_pyenv = fake_python(machine / "pyenv" / "versions" / "3.14.2t" / "bin", "python3.14t", "3.14.2")
    also_new = fake_python(machine / "bin", "python3.15t", "3.15.1")
    fake_python(machine / "bin", "python3.14t", "3.14.0", free_threaded=False)  # named t, but not free-threaded
    found = environment.free_threaded_pythons()
    assert [f.path for f in found] == [newest, also_new, in_pyenv, on_path]
    assert [f.name for f in found] == ["3.16.0t", "3.15.1t", "3.14.2t", "3.13.5t"]
    assert environment.find_free_threaded_python() == newest


def test_the_variable_comes_first_but_only_if_it_is_free_threaded(machine, monkeypatch):
    older = fake_python(machine / "elsewhere", "my-python", "3.13.1")
    newer = fake_python(machine / "bin", "python3.14t", "3.14.2")
    monkeypatch.setenv(environment.OTHER_PYTHON_ENV, older)
    assert environment.find_free_threaded_python() == older
    assert [f.path for f in environment.free_threaded_pythons()] == [older, newer]
    monkeypatch.setenv(environment.OTHER_PYTHON_ENV, fake_python(machine / "elsewhere", "std", "3.14.2", False))
    assert environment.find_free_threaded_python() == newer
    monkeypatch.setenv(environment.OTHER_PYTHON_ENV, str(machine / "no-such-python"))
    assert environment.find_free_threaded_python() == newer
    monkeypatch.setenv(environment.OTHER_PYTHON_ENV, "python3.14t")  # a command on PATH works too
    assert environment.find_free_threaded_python() == newer


def test_a_free_threaded_kernel_is_its_own_first_choice(machine, monkeypatch):
    fake_python(machine / "bin", "python3.15t", "3.15.0")
    monkeypatch.setattr(environment, "free_threaded_build", lambda: True)
    found = environment.free_threaded_pythons()
    assert found[0].path == sys.executable and found[0].version == platform.python_version()
    assert [f.version for f in found[1:]] == ["3.15.0"]


def test_the_same_file_is_listed_once(machine):
    real = fake_python(machine / "pythons" / "bin", "python3.14t", "3.14.2")
    os.symlink(real, machine / "bin" / "python3.14t")
    assert [f.path for f in environment.free_threaded_pythons()] == [str(machine / "bin" / "python3.14t")]


def test_broken_slow_and_foreign_candidates_are_skipped(machine, monkeypatch):
    monkeypatch.setattr(environment, "PROBE_TIMEOUT", 0.5)
    folder = machine / "bin"
    fake_python(folder, "python3.20t", body=f"exec {SLEEP} 30")  # hangs: the probe gives up
    fake_python(folder, "python3.21t", body="echo hello")  # answers nonsense
    fake_python(folder, "python3.22t", body="exit 3")  # fails
    fake_python(folder, "python3.23t", body="echo pypy 3.23.0 1")  # not CPython
    (folder / "python3.24t").write_text("not executable")
    shims = machine / "pyenv" / "shims"  # pyenv's shims on PATH are not run: pyenv's versions are read instead
    fake_python(shims, "python3.25t", "3.25.0")
    monkeypatch.setenv("PATH", os.pathsep.join([str(folder), str(shims), ""]))
    good = fake_python(folder, "python3.13t", "3.13.5")
    start = time.monotonic()
    assert [f.path for f in environment.free_threaded_pythons()] == [good]
    assert time.monotonic() - start < 10, "a hanging candidate must time out"


def test_probe_python_describes_an_interpreter():
    this = environment.probe_python(sys.executable)
    assert this is not None and this.path == sys.executable
    assert this.version == platform.python_version()
    assert this.free_threaded == environment.free_threaded_build()
    assert environment.probe_python("/no/such/python") is None
    assert json.loads(json.dumps(this.to_dict())) == this.to_dict()


@pytest.mark.parametrize("bad, error", [(None, TypeError), (3.13, TypeError), ("", ValueError)])
def test_probe_python_rejects_bad_paths(bad, error):
    with pytest.raises(error):
        environment.probe_python(bad)


def test_probe_python_rejects_a_bad_timeout():
    with pytest.raises(ValueError):
        environment.probe_python(sys.executable, timeout=0)
    with pytest.raises(TypeError):
        environment.probe_python(sys.executable, timeout="1")


def test_what_this_machine_finds_really_is_free_threaded():
    """No machine paths here: whatever is found is asked again, independently, what it is."""
    path = environment.find_free_threaded_python()
    if path is None:
        return
    code = "import sysconfig; print(bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"
    out = subprocess.run([path, "-c", code], capture_output=True, text=True, timeout=60).stdout.strip()
    assert out == "True", path


def test_where_it_ran_is_the_running_interpreter_with_its_usable_cpus():
    where = environment.where_it_ran()
    info = environment.python_info()
    assert (where.python, where.free_threaded, where.gil_enabled) == (
        info.version,
        info.free_threaded_build,
        info.gil_enabled,
    )
    assert where.usable_cpus == info.usable_cpus  # usable, not the machine's count
    assert environment.WhereItRan.from_dict(json.loads(json.dumps(where.to_dict()))) == where


@pytest.mark.parametrize(
    "where, text",
    [
        (environment.WhereItRan("3.11.7", False, True, 2), "Python 3.11.7 (standard), 2 usable CPUs"),
        (environment.WhereItRan("3.13.5", True, False, 1), "Python 3.13.5 (free-threaded, GIL off), 1 usable CPU"),
        (environment.WhereItRan("3.13.5", True, True, 4), "Python 3.13.5 (free-threaded, GIL on), 4 usable CPUs"),
    ],
)
def test_where_it_ran_describes_the_build(where, text):
    assert where.describe() == text


def test_made_on_fills_only_the_where_fields_a_result_declares():
    @dataclasses.dataclass
    class Partial(environment.MadeOn):
        value: int
        python: str = ""
        cpu_count: int = 0

    where = environment.WhereItRan("3.13.5", True, False, 3)
    made = Partial.made_on(where, value=7)
    assert (made.value, made.python, made.cpu_count) == (7, "3.13.5", 3)
    assert made.ran_on == environment.WhereItRan("3.13.5", False, True, 3)  # facts it does not record: defaults

    @dataclasses.dataclass
    class BuildOnly(environment.MadeOn):
        free_threaded: bool = False

    assert BuildOnly.made_on(where).ran_on.gil_enabled is False  # free-threaded, no GIL state recorded: off
    with pytest.raises(TypeError, match="python"):
        Partial.made_on(where, value=1, python="3.11")
    with pytest.raises(TypeError, match="WhereItRan"):
        Partial.made_on({"python": "3.13"}, value=1)
