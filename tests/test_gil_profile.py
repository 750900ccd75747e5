import copy
import json
import os
import subprocess
import sys
import threading
import time

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from utils.engine import gil_profile
from utils.engine.environment import OtherPython, WhereItRan, free_threaded_pythons, usable_cpus
from utils.engine.gecko import GilProfile, parse_gecko
from utils.engine.gil_profile import (
    call_naming_threads,
    find_profiler_python,
    profile_call,
    profile_threads,
    run_threads,
)
from utils.ui import plots

STRINGS = ["(root)", "Has GIL", "Waiting for GIL", "No GIL", "On CPU", "Off CPU", "GC Collecting", "A Future Marker"]
HAS, WAIT, NO, ON, OFF, GC, FUTURE = range(1, 8)


def thread(tid, markers, *, main=False, samples=None):
    """One thread of a Gecko profile as the 3.15 profiler writes it: markers as columns, times in ms."""
    return {
        "name": f"Thread-{tid}",
        "tid": tid,
        "isMainThread": main,
        "samples": {"time": samples or [], "length": len(samples or [])},
        "markers": {
            "name": [m[0] for m in markers],
            "startTime": [m[1] for m in markers],
            "endTime": [m[2] for m in markers],
            "phase": [m[3] if len(m) > 3 else 1 for m in markers],
            "category": [4] * len(markers),
            "data": [{} for _ in markers],
            "length": len(markers),
        },
    }


def gecko():
    """Two workers taking turns on the GIL in 10 ms slices from t = 100 ms; the main thread only waits."""
    worker_a = [(HAS, 100, 110), (WAIT, 110, 120), (HAS, 120, 130), (WAIT, 130, 140), (ON, 100, 140)]
    worker_b = [(WAIT, 100, 110), (HAS, 110, 120), (WAIT, 120, 130), (HAS, 130, 140), (OFF, 100, 140)]
    main = [(HAS, 0, 95), (NO, 95, 140), (OFF, 95, 140), (GC, 20, 30), (FUTURE, 50, 50, 0)]
    return {
        "meta": {"interval": 1.0, "startTime": 0.0, "logicalCPUs": 2, "version": 32},
        # file order is not start order: the parser sorts main first, then by thread id
        "threads": [
            thread(12, worker_b, samples=[100, 140]),
            thread(10, main, main=True, samples=[0, 140]),
            thread(11, worker_a + [(FUTURE, 105, 115)], samples=[100, 140]),
        ],
        "shared": {"stringArray": STRINGS},
    }


def test_the_parser_reads_lanes_in_start_order_in_seconds_from_the_workers_start():
    profile = parse_gecko(gecko(), names={11: "worker-0", 12: "worker-1"})
    assert profile.available and profile.threads == 2
    assert profile.names == ["worker-0", "worker-1"] and profile.tids == [11, 12]  # the main thread only waited
    assert profile.wall == pytest.approx(0.040)
    assert profile.lanes[0]["Has GIL"] == [[0.0, pytest.approx(0.01)], [pytest.approx(0.02), pytest.approx(0.03)]]
    assert profile.share(0, "Has GIL") == pytest.approx(0.5) and profile.share(1, "Waiting for GIL") == pytest.approx(
        0.5
    )
    assert profile.seconds(1, "Has GIL") == pytest.approx(0.02) and profile.overlap("Has GIL") == pytest.approx(0.0)
    assert profile.handovers() == 3  # a, b, a, b
    assert [row["thread"] for row in profile.summary()] == ["worker-0", "worker-1"]
    assert profile.summary()[1]["off_cpu"] == pytest.approx(1.0) and profile.summary()[0]["off_cpu"] == 0.0
    # meta.logicalCPUs is the machine's os.cpu_count() (Lib/profiling/sampling/gecko_collector.py, 3.15), not the
    # usable CPUs that cpu_count means: it is kept aside, and cpu_count is left to the profiling run.
    assert profile.extra["logical_cpus"] == 2 and profile.extra["version"] == 32
    assert GilProfile.from_dict(json.loads(json.dumps(profile.to_dict()))) == profile
    assert "worker-1" in profile.describe() and "held the GIL  50%" in profile.describe()


def test_unknown_markers_are_kept_and_instant_ones_skipped():
    profile = parse_gecko(gecko(), include_main=True)
    assert profile.names == ["main", "Thread-11", "Thread-12"]  # without names: as the file names them
    assert profile.lanes[1]["A Future Marker"] == [[pytest.approx(0.005), pytest.approx(0.015)]]
    assert "A Future Marker" not in profile.lanes[0]  # the main thread's was an instant marker (phase 0)
    # the main thread's start-up (before the workers' first marker) is cut off, with its GC marker
    assert "GC Collecting" not in profile.lanes[0] and profile.spans[0] == [0.0, pytest.approx(0.04)]


def test_the_main_thread_is_kept_when_asked_or_when_it_holds_the_gil():
    data = gecko()
    assert parse_gecko(data, include_main=False).names == ["Thread-11", "Thread-12"]
    data["threads"][1]["markers"]["endTime"][0] = 120  # main now holds the GIL for 20 of its 40 ms
    assert parse_gecko(data).names[0] == "main"


def test_a_finished_threads_last_state_ends_at_its_last_sample():
    data = gecko()
    data["threads"][0] = thread(12, [(HAS, 100, 200), (ON, 100, 200)], samples=[100, 150])
    data["threads"][2] = thread(11, [(WAIT, 100, 150), (HAS, 150, 200)], samples=[100, 200])
    profile = parse_gecko(data)
    assert profile.lanes[1]["Has GIL"] == [[0.0, pytest.approx(0.05)]]  # not to 200 ms, where the profile ended
    assert profile.overlap() == 0.0 and profile.spans[1][1] == pytest.approx(0.05)


def test_older_files_with_a_string_table_per_thread_parse_too():
    data = gecko()
    for entry in data["threads"]:
        entry["stringArray"] = STRINGS
    del data["shared"], data["meta"]
    profile = parse_gecko(data)
    assert profile.names == ["Thread-11", "Thread-12"] and "logical_cpus" not in profile.extra


@pytest.mark.parametrize(
    "path, field",
    [
        ((), "threads"),
        (("threads", 0), "markers"),
        (("threads", 0, "markers"), "startTime"),
        (("threads", 0, "markers"), "endTime"),
        (("threads", 0, "markers"), "name"),
        (("shared",), "stringArray"),
    ],
)
def test_a_missing_field_is_a_value_error_naming_it(path, field):
    data = gecko()
    parent = data
    for key in path:
        parent = parent[key]
    del parent[field]
    with pytest.raises(ValueError, match=field):
        parse_gecko(data)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(threads={}), "threads is a dict"),
        (lambda d: d["threads"].__setitem__(0, 7), r"threads\[0\] is a int"),
        (lambda d: d["threads"][0]["markers"].update(startTime=5), "startTime is a int"),
        (lambda d: d["threads"][0]["markers"]["name"].__setitem__(0, 99), r"name\[0\]=99 is not in the string table"),
        (lambda d: d["threads"][0]["markers"]["endTime"].pop(), "different lengths"),
        (lambda d: d["threads"][0]["markers"]["endTime"].__setitem__(1, "soon"), r"endTime\[1\] is not a number"),
    ],
)
def test_malformed_profiles_are_value_errors_saying_where(change, message):
    data = copy.deepcopy(gecko())
    change(data)
    with pytest.raises(ValueError, match=message):
        parse_gecko(data)


def test_the_parser_reads_files_and_rejects_what_is_not_a_profile(tmp_path):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(gecko()))
    assert parse_gecko(path).names == parse_gecko(str(path)).names == ["Thread-11", "Thread-12"]
    path.write_text("{not json")
    with pytest.raises(ValueError, match="cannot read a Gecko profile"):
        parse_gecko(path)
    with pytest.raises(TypeError, match="dict or a path"):
        parse_gecko([1, 2])
    with pytest.raises(TypeError, match="names"):
        parse_gecko(gecko(), names=["a"])


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(workload=42), TypeError),
        (dict(workload="nope"), ValueError),
        (dict(workload="echo"), ValueError),
        (dict(workload="not a:target"), ValueError),
        (dict(workload=print), TypeError),
        (dict(threads=0), ValueError),
        (dict(threads="2"), TypeError),
        (dict(size=0), ValueError),
        (dict(block=4096), ValueError),
        (dict(workload="sha256", block=0), ValueError),
        (dict(rate=5), ValueError),
        (dict(timeout=0), ValueError),
        (dict(switch_interval=2.0), ValueError),
        (dict(python=3), TypeError),
        (dict(python="/no/such/python3.15"), ValueError),
    ],
)
def test_bad_arguments_are_rejected_before_anything_runs(kwargs, error):
    with pytest.raises(error):
        profile_threads(**kwargs)


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """A machine with no other interpreter: nothing on PATH, empty PYTHONS_DIR and pyenv, an old kernel."""
    for name in ("bin", "pythons/bin", "pyenv/versions"):
        (tmp_path / name).mkdir(parents=True)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYTHONS_DIR", str(tmp_path / "pythons"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.delenv("GIL_COURSE_PYTHON", raising=False)
    monkeypatch.setattr(gil_profile, "_kernel_version", lambda: (3, 11))
    return tmp_path


def test_without_a_315_the_result_says_how_to_get_one(nowhere):
    assert find_profiler_python() is None
    profile = profile_threads("countdown", 2)
    assert not profile.available and profile.lanes == []
    assert "needs CPython 3.15+" in profile.reason and "uv python install 3.15" in profile.reason
    assert profile.describe() == profile.reason
    assert GilProfile.from_dict(json.loads(json.dumps(profile.to_dict()))) == profile
    with pytest.raises(ValueError, match=r"needs CPython 3\.15"):
        plots.plot_gil_timeline(profile, show=False)


def test_the_finder_looks_only_at_python3_15_and_later(nowhere):
    for name in ("python3.13", "python3.14t", "python3.15", "python3.16t", "python3"):
        script = nowhere / "pythons" / "bin" / name
        script.write_text("#!/bin/sh\nexit 1\n")
        script.chmod(0o755)
    assert [os.path.basename(p) for p in gil_profile._candidates()] == ["python3.15", "python3.16t"]
    assert find_profiler_python() is None  # neither answers when probed


def test_the_finder_finds_a_315_in_the_course_folder(nowhere, monkeypatch):
    monkeypatch.undo()  # look for a real one with the machine's own settings first
    real = find_profiler_python()
    if real is None:
        pytest.skip("no CPython 3.15+ on this machine")
    real = os.path.realpath(real)
    for name in ("bin", "pythons/bin", "pyenv/versions"):
        (nowhere / name).mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("PATH", str(nowhere / "bin"))
    monkeypatch.setenv("PYTHONS_DIR", str(nowhere / "pythons"))
    monkeypatch.setenv("PYENV_ROOT", str(nowhere / "pyenv"))
    monkeypatch.delenv("GIL_COURSE_PYTHON", raising=False)
    monkeypatch.setattr(gil_profile, "_kernel_version", lambda: (3, 11))
    os.symlink(real, nowhere / "pythons" / "bin" / "python3.15")
    assert find_profiler_python() == str(nowhere / "pythons" / "bin" / "python3.15")


def test_an_older_interpreter_named_explicitly_is_not_available():
    older = sys.executable if sys.version_info < (3, 15) else None
    if older is None:  # on 3.15: a free-threaded 3.13/3.14 is older, if the machine has one
        older = next((p.path for p in free_threaded_pythons() if p.version_key[:2] < (3, 15)), None)
    if older is None:
        pytest.skip("no CPython older than 3.15 here")
    profile = profile_threads(python=older)
    assert not profile.available and "needs 3.15+" in profile.reason and profile.python.startswith("3.1")
    assert profile.ran_on == WhereItRan(profile.python, profile.free_threaded, not profile.free_threaded, usable_cpus())


def test_a_profile_records_the_profiled_interpreter_as_where_it_ran():
    parsed = parse_gecko(gecko(), names={11: "worker-0", 12: "worker-1"})
    found = OtherPython("/somewhere/python3.15t", "3.15.2", True)
    profile = gil_profile._made_on(parsed, found, workload="countdown")
    assert (profile.python, profile.free_threaded, profile.cpu_count) == ("3.15.2", True, usable_cpus())
    assert profile.workload == "countdown" and profile.lanes == parsed.lanes and profile.extra == parsed.extra
    assert (profile.ran_on.python, profile.ran_on.free_threaded) == ("3.15.2", True)


@pytest.mark.parametrize("groups", ["process groups", "no process groups (Windows)"])
def test_a_hung_profiled_run_is_killed_on_time(monkeypatch, groups):
    if groups.startswith("no"):
        monkeypatch.delattr(os, "killpg")  # as on Windows: kill_process_tree falls back to killing the process
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match=r"did not finish within 0\.5 s"):
        gil_profile._run([sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ), 0.5)
    assert time.perf_counter() - start < 15


def test_importing_the_module_does_not_import_matplotlib():
    code = "import sys, utils.engine.gil_profile; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_plots_return_figures_titled_with_python_build_and_cpus():
    profile = parse_gecko(gecko(), names={11: "worker-0", 12: "worker-1"})
    profile.python, profile.workload, profile.cpu_count = "3.15.2", "countdown", 2
    fig = plots.plot_gil_timeline(profile, show=False)
    title = fig.axes[0].get_title()
    assert "Python 3.15.2, standard build, 2 CPUs" in title and "0%" in title
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["worker-0", "worker-1"]
    free = GilProfile.from_dict({**profile.to_dict(), "free_threaded": True})
    assert "no GIL to hold" in plots.plot_gil_timeline(free, show=False).axes[0].get_title()
    summary = plots.plot_gil_summary(free, show=False)
    assert "free-threaded build" in summary.axes[0].get_title() and len(summary.axes[0].patches) == 6
    plt.close("all")
    with pytest.raises(TypeError):
        plots.plot_gil_summary("profile", show=False)


def test_the_runner_starts_named_threads_in_process():
    names = run_threads("countdown", 2, 10_000, switch_interval=0.001)
    assert sorted(names.values()) == ["main", "worker-0", "worker-1"]
    assert names[threading.get_native_id()] == "main"
    with pytest.raises(ValueError, match=r"unknown workload|nope"):
        run_threads("nope", 1, 1)


def start_named_threads(count: int) -> int:
    """Start and join ``count`` short threads named ``mine-<i>``; what profile_call's runner calls."""
    pool = [threading.Thread(target=sum, args=(range(1000),), name=f"mine-{i}") for i in range(count)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(10)
    return count


def test_the_call_runner_names_every_thread_the_function_started_even_finished_ones():
    names, result = call_naming_threads(f"{__name__}:start_named_threads", [2], {})
    assert result == 2 and names[threading.get_native_id()] == "main"
    assert sorted(v for v in names.values() if v != "main") == ["mine-0", "mine-1"]
    assert threading.Thread.start.__name__ == "start"  # the wrapper is gone again
    assert threading.Thread.start is threading.Thread.__dict__["start"]


def test_profile_call_checks_its_arguments_first(nowhere):
    with pytest.raises(ValueError, match="defined in a function"):
        profile_call(lambda: None)
    with pytest.raises(TypeError, match="JSON"):
        profile_call(start_named_threads, object())
    with pytest.raises(ValueError):
        profile_call(start_named_threads, 1, timeout=0)
    profile = profile_call(start_named_threads, 1)  # no 3.15 on this "machine"
    assert not profile.available and "needs CPython 3.15+" in profile.reason
    assert profile.workload == "start_named_threads"


# --- real runs under CPython's sampling profiler (3.15+), skipped where there is none -------------

needs_315 = pytest.mark.skipif(find_profiler_python() is None, reason="no CPython 3.15+ (the sampling profiler) here")


@needs_315
def test_two_countdown_threads_take_turns_holding_the_gil():
    # Measured here (2 cores busy with other work, the profiler itself sampling at 1 kHz): each thread
    # held the GIL 0.3-0.7 of its time in 15-40 turns, together 0.96-1.0 of the wall time, never two
    # at once. With more runnable processes than cores, a waiting thread is sometimes not scheduled to
    # ask for the GIL, and the holder keeps it (shares of 0.07 / 0.93 seen in 2 of 15 runs with two
    # extra busy loops): so the shares are the best of up to 3 runs; the rest holds on every run.
    shares = []
    for _ in range(3):
        profile = profile_threads("countdown", 2, 4_000_000, timeout=120)
        if profile.free_threaded:
            pytest.skip("a free-threaded 3.15 has no GIL to take turns on")
        assert profile.available and profile.names == ["worker-0", "worker-1"]
        assert {"Has GIL", "Waiting for GIL", "No GIL", "On CPU"} <= set().union(*profile.lanes)
        total = sum(profile.seconds(i, "Has GIL") for i in range(2)) / profile.wall
        assert 0.6 < total < 1.1, f"GIL held {total:.2f} of the wall time in total"
        assert profile.overlap("Has GIL") < 0.05, "two threads held the GIL at once"
        held = [profile.share(i, "Has GIL") for i in range(2)]
        turns = [len(profile.lanes[i].get("Has GIL", [])) for i in range(2)]
        shares.append((held, turns))
        if min(held) > 0.15 and min(turns) >= 3:
            break
    else:
        pytest.fail(f"in 3 runs, one thread never got a fair share of the GIL: (shares, turns) {shares}")


@needs_315
def test_sha256_threads_on_64_kib_blocks_mostly_do_not_hold_the_gil():
    profile = profile_threads("sha256", 2, 2_000, block=64 * 1024, timeout=120)
    assert profile.available and profile.extra["block"] == 65536
    held = [profile.share(i, "Has GIL") for i in range(2)]
    # Measured here: 0-5 % each (hashlib releases the GIL around each 64 KiB update).
    assert max(held) < 0.25, f"shares of the GIL: {held}"
    assert all(profile.share(i, "No GIL") > 0.6 for i in range(2))


@needs_315
def test_profile_call_names_the_functions_own_threads():
    # any importable function that starts threads; run_threads names its threads worker-0, worker-1
    profile = profile_call(run_threads, "countdown", 2, 2_000_000, include_main=True, timeout=120)
    assert profile.available and profile.workload == "run_threads" and profile.names[0] == "main"
    assert profile.names[1:] == ["worker-0", "worker-1"]
    assert sorted(profile.extra["result"].values()) == ["main", "worker-0", "worker-1"]  # its return value, as JSON
    assert all(profile.seconds(i, "Has GIL") > 0 for i in (1, 2))


@needs_315
def test_a_failing_workload_and_a_hung_run_are_clear_errors():
    with pytest.raises(RuntimeError, match="ValueError: unknown workload"):
        profile_call(run_threads, "no such workload", 1, 1, timeout=60)
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match="did not finish within 2 s"):
        profile_threads("countdown", 1, 10**9, timeout=2)
    assert time.perf_counter() - start < 20
