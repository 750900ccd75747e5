"""Real GIL timelines from CPython's own sampling profiler (3.15+, PEP 799), beside :mod:`utils.engine.timeline`.

``python -m profiling.sampling run -a --gecko -o FILE ...`` (CPython 3.15) samples every thread of a
child process it starts itself (so no ptrace permission is needed) and writes a Firefox Profiler
("Gecko") file whose interval markers say, per thread, when it held the GIL, waited for it, was on
a CPU, ran Python or native code (``Lib/profiling/sampling/gecko_collector.py``):

    profile = profile_threads("countdown", threads=2)     # a fresh process on a 3.15+ interpreter
    profile.lanes[0]["Has GIL"]      # [[start, end], ...] in seconds from the workers' start
    profile.share(0, "Has GIL")      # fraction of thread 0's time it held the GIL
    profile = profile_call(my_module.start_my_threads, seconds=0.3)   # any importable function
    plot_gil_timeline(profile)       # from utils.ui.plots (the engine does not plot)

With no 3.15+ interpreter the result has ``available=False`` and its ``reason`` says how to get one.
On a free-threaded build there is no GIL: ``Has GIL`` then marks a thread attached to the
interpreter (running Python) and no thread waits (``Modules/_remote_debugging/threads.c``, 3.15).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from utils.engine import environment
from utils.engine.gecko import GilProfile, parse_gecko
from utils.engine.isolation import kill_process_tree, new_process_group, target_of
from utils.engine.plaindata import to_plain
from utils.engine.timeline import run_together
from utils.engine.validation import check_count, check_seconds
from utils.engine.workloads import WORKLOADS, check_size, get_workload

#: The sampling profiler (``profiling.sampling``) is new in CPython 3.15 (PEP 799).
PROFILER_VERSION = (3, 15)
#: About 0.2 s of work per thread on one core: countdown iterations, sha256 blocks (of 64 KiB by default).
DEFAULT_SIZES = {"countdown": 8_000_000, "sha256": 2_500}
SHA256_BLOCK = 64 * 1024
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
HOW_TO_GET = (
    "The GIL timelines come from CPython's sampling profiler (python -m profiling.sampling, PEP 799), which "
    "needs CPython 3.15+. This kernel runs Python {kernel}, and no python3.N (N >= 15) was found through "
    "GIL_COURSE_PYTHON, on PATH, in $PYTHONS_DIR/bin (default /opt/pythons/bin) or in pyenv's versions.\n"
    "To get one: `make pythons`, `uv python install 3.15`, `pyenv install 3.15` or the python.org installer, "
    "then restart JupyterLab (or set GIL_COURSE_PYTHON=/path/to/python3.15)."
)
_NAME = re.compile(r"^python3\.(\d+)t?$")


def _candidates() -> list[str]:
    """Paths that may be a CPython 3.15+, found like the version matrix finds interpreters."""
    named = os.environ.get(environment.OTHER_PYTHON_ENV)
    paths = [shutil.which(named) or named] if named else []
    folders = [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p and "shims" not in Path(p).parts]
    folders.append(Path(os.environ.get(environment.PYTHONS_DIR_ENV) or environment.DEFAULT_PYTHONS_DIR) / "bin")
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    folders += [v / "bin" for v in (sorted(pyenv.iterdir()) if pyenv.is_dir() else [])]
    for folder in folders:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        paths += [str(e) for e in entries if (m := _NAME.match(e.name)) and int(m.group(1)) >= PROFILER_VERSION[1]]
    return list(dict.fromkeys(paths))


def _kernel_version() -> tuple[int, int]:
    return sys.version_info[:2]


def find_profiler_python() -> str | None:
    """Path of a CPython 3.15+ to profile on, or None: this kernel's own if it is 3.15+, else one found.

    Candidates: ``GIL_COURSE_PYTHON``, ``python3.N`` (N >= 15, also ``python3.Nt``) on PATH, in
    ``$PYTHONS_DIR/bin`` (default /opt/pythons/bin) and in pyenv's versions, each probed with a timeout
    (:func:`utils.engine.environment.probe_python`); standard builds (with a GIL to watch) first, newest first.
    """
    if _kernel_version() >= PROFILER_VERSION and sys.executable:
        return sys.executable
    found = [f for f in map(environment.probe_python, _candidates()) if f and f.version_key[:2] >= PROFILER_VERSION]
    found.sort(key=lambda f: (f.free_threaded, [-part for part in f.version_key]))
    return found[0].path if found else None


def _check_workload(workload: Any, block: int | None) -> None:
    if not isinstance(workload, str):
        raise TypeError(
            f"workload must be a workload name (str), not {type(workload).__name__}; "
            "to profile a function of your own, use profile_call(func, ...)"
        )
    if get_workload(workload).needs_echo_server:
        raise ValueError(
            f"the {workload!r} workload needs an echo server; choose one of "
            f"{', '.join(n for n, w in WORKLOADS.items() if not w.needs_echo_server)}"
        )
    if block is not None and workload != "sha256":
        raise ValueError("block is only for the sha256 workload")
    if block is not None:
        check_size(block, "block")


def run_threads(
    workload: str,
    threads: int,
    size: int,
    *,
    block: int | None = None,
    switch_interval: float | None = None,
    timeout: float = 60.0,
) -> dict[int, str]:
    """Run ``threads`` threads of ``workload(size)``, released together by a barrier, and join them.

    This is what runs under the profiler (``python -m utils.engine.gil_profile _run ...``); the threads are
    started by :func:`utils.engine.timeline.run_together`. Returns the native thread ids of the main
    thread (``"main"``) and of the workers (``"worker-0"``, ...).
    """
    _check_workload(workload, block)
    check_count("threads", threads, 1, 16)
    check_size(size)
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    func = get_workload(workload).func
    func = functools.partial(func, block=block) if block is not None else func
    names = {threading.get_native_id(): "main"}

    def work(index: int) -> None:
        names[threading.get_native_id()] = f"worker-{index}"
        func(size)

    run_together(work, threads, switch_interval=switch_interval, timeout=timeout, what=workload)
    return names


def call_naming_threads(target: str, args: list[Any], kwargs: dict[str, Any]) -> tuple[dict[int, str], Any]:
    """Call ``module:qualname`` with ``args``/``kwargs``; return the native id -> name of every thread it started.

    What :func:`profile_call` runs under the profiler: :meth:`threading.Thread.start` is wrapped for the
    call, so that each thread started (also one that has finished by the end) is named as in Python.
    """
    module, _, qualname = target.partition(":")
    func: Any = importlib.import_module(module)
    for part in qualname.split("."):
        func = getattr(func, part)
    names = {threading.get_native_id(): "main"}
    original = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        original(thread)  # returns once the thread runs, its native_id set
        if thread.native_id is not None:
            names[thread.native_id] = thread.name

    threading.Thread.start = start  # type: ignore[method-assign]
    try:
        result = func(*args, **kwargs)
    finally:
        threading.Thread.start = original  # type: ignore[method-assign]
    return names, result


def _made_on(profile: GilProfile, found: environment.OtherPython, **changes: Any) -> GilProfile:
    """``profile`` with ``changes``, its where-it-ran fields filled for the profiled interpreter ``found``.

    The profiled process runs with ``PYTHON_GIL`` unset, so with its build's default (a GIL on a
    standard build, none on a free-threaded one), and inherits this process's CPU affinity, so its
    usable CPUs are ours (:func:`utils.engine.environment.usable_cpus`).
    """
    where = environment.WhereItRan(
        python=found.version,
        free_threaded=found.free_threaded,
        gil_enabled=not found.free_threaded,
        usable_cpus=environment.usable_cpus(),
    )
    own = {f.name: getattr(profile, f.name) for f in dataclasses.fields(profile)}
    for name in ("python", "free_threaded", "cpu_count"):  # filled from `where` by made_on
        own.pop(name)
    return GilProfile.made_on(where, **{**own, **changes})


def _interpreter(python: Any, timeout: float, empty: GilProfile) -> tuple[str, Any] | GilProfile:
    """The 3.15+ interpreter to profile on and its probe, or an unavailable profile saying why."""
    if python is not None and not isinstance(python, str):
        raise TypeError(f"python must be a path (str) or None, not {type(python).__name__}")
    path = python or find_profiler_python()
    if path is None:
        return dataclasses.replace(empty, reason=HOW_TO_GET.format(kernel=".".join(map(str, sys.version_info[:3]))))
    found = environment.probe_python(path, timeout=min(timeout, 30.0))
    if found is None:
        raise ValueError(f"python={path!r} is not a CPython interpreter (it did not say its version when asked)")
    if found.version_key[:2] < PROFILER_VERSION:
        return _made_on(
            empty,
            found,
            interpreter=path,
            reason=f"{path} is Python {found.version}, and CPython's sampling profiler (PEP 799) needs "
            "3.15+: name a 3.15+ interpreter, or leave python=None to look for one.",
        )
    return path, found


def _profile(
    where: tuple[str, Any],
    runner: list[str],
    empty: GilProfile,
    *,
    rate: int,
    include_main: bool | None,
    timeout: float,
    request: dict[str, Any] | None = None,
) -> GilProfile:
    """Run ``python -m utils.engine.gil_profile RUNNER...`` under the profiler; parse its Gecko file."""
    path, found = where
    label = empty.workload
    with tempfile.TemporaryDirectory(prefix="gil_profile_") as tmp:
        out, names_file = os.path.join(tmp, "profile.json"), os.path.join(tmp, "names.json")
        if request is not None:
            runner = [*runner, os.path.join(tmp, "request.json")]
            Path(runner[-1]).write_text(json.dumps(request))
        command = [
            path,
            "-m",
            "profiling.sampling",
            "run",
            "-a",
            "--gecko",
            "-o",
            out,
            "-r",
            str(rate),
            "-m",
            "utils.engine.gil_profile",
            *runner,
            "--names",
            names_file,
            "--timeout",
            str(timeout),
        ]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_PARENT, os.environ.get("PYTHONPATH")])),
        }
        env.pop("PYTHON_GIL", None)  # the interpreter's own default: a GIL on standard builds, none on free-threaded
        stdout, stderr, code = _run(command, env, timeout)
        reply = json.loads(Path(names_file).read_text()) if os.path.exists(names_file) else {}
        if "error" in reply:
            raise RuntimeError(f"{label} failed under the profiler on {path}: {reply['error']}")
        if code != 0 or "ok" not in reply or not os.path.exists(out):
            last = (stderr.strip().splitlines() or [f"exit code {code}, no error output"])[-1]
            raise RuntimeError(f"profiling {label} on {path} failed: {last}")
        profile = parse_gecko(out, names={int(k): v for k, v in reply["ok"].items()}, include_main=include_main)
    samples = re.search(r"Captured (\d+) samples", stdout)
    extra = dict(profile.extra, rate=rate, samples=int(samples.group(1)) if samples else None)
    if "result" in reply:
        extra["result"] = reply["result"]
    return _made_on(
        profile,
        found,
        workload=label,
        size=empty.size,
        switch_interval=empty.switch_interval,
        threads=empty.threads or profile.threads,
        interpreter=path,
        extra={**empty.extra, **extra},
    )


def profile_threads(
    workload: str = "countdown",
    threads: int = 2,
    size: int | None = None,
    *,
    block: int | None = None,
    switch_interval: float | None = None,
    python: str | None = None,
    rate: int = 1000,
    include_main: bool | None = None,
    timeout: float = 60.0,
) -> GilProfile:
    """Profile ``threads`` threads of ``workload`` under ``profiling.sampling run -a --gecko``, in a fresh process.

    ``workload`` is a name from :mod:`utils.engine.workloads` (sha256 hashes ``block``-byte blocks, default
    64 KiB); for a function of your own use :func:`profile_call`. ``python`` defaults to
    :func:`find_profiler_python`; with none, or one older than 3.15, the result has ``available=False``
    and a ``reason`` saying how to get CPython 3.15+. ``rate``: samples per second. The run is killed
    after ``timeout`` seconds (TimeoutError); a failed one raises RuntimeError.
    """
    _check_workload(workload, block)
    check_count("threads", threads, 1, 16)
    size = check_size(DEFAULT_SIZES.get(workload, WORKLOADS[workload].default_size) if size is None else size)
    block = SHA256_BLOCK if workload == "sha256" and block is None else block
    check_count("rate", rate, 10, 20_000)
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    if switch_interval is not None:
        check_seconds("switch_interval", switch_interval, 1e-6, 1.0, allow_low=True)
    empty = GilProfile(
        available=False,
        workload=workload,
        threads=threads,
        size=size,
        switch_interval=switch_interval,
        extra={"block": block},
    )
    where = _interpreter(python, timeout, empty)
    if isinstance(where, GilProfile):
        return where
    runner = ["_run", workload, str(threads), str(size)]
    runner += ["--block", str(block)] if block is not None else []
    runner += ["--switch-interval", repr(switch_interval)] if switch_interval is not None else []
    return _profile(where, runner, empty, rate=rate, include_main=include_main, timeout=timeout)


def profile_call(
    func: Callable[..., Any],
    /,
    *args: Any,
    python: str | None = None,
    rate: int = 1000,
    include_main: bool | None = None,
    timeout: float = 60.0,
    **kwargs: Any,
) -> GilProfile:
    """Profile ``func(*args, **kwargs)`` (which starts threads of its own) on a 3.15+ interpreter, in a fresh process.

    ``func`` must be importable from a module (as for :func:`utils.engine.isolation.isolated`) and its
    arguments JSON-serialisable. Lanes are named as the threads were in Python (``thread.name``),
    the calling thread ``main`` (kept if it held the GIL 5 % of its time, or with ``include_main=True``).
    The JSON form of its return value is in ``extra["result"]``. Unavailable before 3.15, killed after
    ``timeout`` seconds, RuntimeError on a failure: as :func:`profile_threads`.
    """
    target = target_of(func)
    check_count("rate", rate, 10, 20_000)
    timeout = check_seconds("timeout", timeout, 0.0, 600.0)
    try:
        request = {"target": target, "args": to_plain(list(args)), "kwargs": to_plain(kwargs)}
        json.dumps(request)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the arguments of {target} must be JSON-serialisable: {exc}") from None
    empty = GilProfile(available=False, workload=target.partition(":")[2])
    where = _interpreter(python, timeout, empty)
    if isinstance(where, GilProfile):
        return where
    return _profile(where, ["_call"], empty, rate=rate, include_main=include_main, timeout=timeout, request=request)


def _run(command: list[str], env: dict[str, str], timeout: float) -> tuple[str, str, int]:
    """Run ``command`` in a process group of its own; on a time-out kill it (profiler and target).

    On POSIX the whole group (session) is killed; Windows has no process groups to signal, so there
    only the profiler is killed (:func:`utils.engine.isolation.kill_process_tree`).
    """
    group = new_process_group()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **group,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException as exc:  # the time-out, or e.g. KeyboardInterrupt: never leave the workers behind
        kill_process_tree(process)
        if isinstance(exc, subprocess.TimeoutExpired):
            raise TimeoutError(f"the profiled run did not finish within {timeout:g} s; it was killed") from None
        raise
    return stdout, stderr, process.returncode


def _main(argv: list[str]) -> int:
    """``python -m utils.engine.gil_profile _run WORKLOAD THREADS SIZE --names FILE`` (or ``_call REQUEST``):
    the run the profiler watches; writes its reply (thread names, or the error) to FILE."""
    parser = argparse.ArgumentParser(prog="python -m utils.engine.gil_profile", description="the profiled runner")
    parser.add_argument("command", choices=("_run", "_call"))
    parser.add_argument("target", help="_run: a workload name; _call: the JSON request file")
    for name in ("threads", "size"):
        parser.add_argument(name, type=int, nargs="?")
    for name, kind in (("--block", int), ("--switch-interval", float), ("--timeout", float)):
        parser.add_argument(name, type=kind)
    parser.add_argument("--names", required=True, help="file for the JSON reply: thread names, or the error")
    args = parser.parse_args(argv)
    try:
        if args.command == "_run":
            reply: dict[str, Any] = {
                "ok": run_threads(
                    args.target,
                    args.threads,
                    args.size,
                    block=args.block,
                    switch_interval=args.switch_interval,
                    timeout=args.timeout or 60.0,
                )
            }
        else:
            request = json.loads(Path(args.target).read_text())
            names, result = call_naming_threads(request["target"], request["args"], request["kwargs"])
            try:
                plain = to_plain(result)
                json.dumps(plain)
            except (TypeError, ValueError):
                plain = repr(result)
            reply = {"ok": names, "result": plain}
    except Exception as exc:  # reported to the parent, which raises RuntimeError
        reply = {"error": f"{type(exc).__name__}: {exc}"}
    Path(args.names).write_text(json.dumps(reply))
    return 0 if "ok" in reply else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
