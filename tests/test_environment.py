import json
import sys
import sysconfig


from utils import environment


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


def test_find_free_threaded_python_honours_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(environment.OTHER_PYTHON_ENV, sys.executable)
    assert environment.find_free_threaded_python() == sys.executable
    monkeypatch.setenv(environment.OTHER_PYTHON_ENV, str(tmp_path / "no-such-python"))
    assert environment.find_free_threaded_python() is None
