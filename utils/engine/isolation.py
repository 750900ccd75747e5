"""Isolated runs: an experiment in a fresh worker process, optionally on another interpreter.

A Jupyter kernel has threads of its own (heartbeat, I/O, the comm machinery) that compete for
the GIL and distort timings. :func:`run_isolated` runs an experiment function in a new
``python -m utils.engine.isolation`` process instead and returns its :class:`RunResult`:

    result = run_isolated("countdown", "threads", workers=2)
    timeline = timeline_isolated("countdown", threads=2, switch_interval=0.001)
    ft = run_isolated("countdown", "threads", workers=2, python=find_free_threaded_python())

Every run has a timeout. A failure in the worker (bad argument, exception, crash, time-out)
comes back as :class:`IsolatedRunError` naming the cause, never as a hang.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

from utils.engine.executors import RunResult
from utils.engine.timeline import Timeline
from utils.engine.validation import check_seconds

#: Folder that holds the ``utils`` package: put on PYTHONPATH for interpreters without the editable install.
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
#: Functions a worker may be asked to run ("module:function").
DEFAULT_TARGET = "utils.engine.executors:run"


class IsolatedRunError(RuntimeError):
    """An isolated run failed; the message says why (worker exception, crash, or time-out)."""


def run_isolated(
    workload: str,
    executor: str = "threads",
    workers: int = 2,
    *,
    python: str | None = None,
    timeout: float = 120.0,
    **options: Any,
) -> RunResult:
    """:func:`utils.engine.executors.run` in a fresh process (on ``python``, default this interpreter)."""
    data = call_isolated(
        DEFAULT_TARGET,
        dict(workload=workload, executor=executor, workers=workers, **options),
        python=python,
        timeout=timeout,
    )
    return RunResult.from_dict(data)


def timeline_isolated(
    workload: str = "countdown",
    threads: int = 2,
    size: int | None = None,
    *,
    python: str | None = None,
    timeout: float = 60.0,
    **options: Any,
) -> Timeline:
    """:func:`utils.engine.timeline.record_timeline` in a fresh process (on ``python``, default this one)."""
    data = call_isolated(
        "utils.engine.timeline:record_timeline",
        dict(workload=workload, threads=threads, size=size, **options),
        python=python,
        timeout=timeout,
    )
    return Timeline.from_dict(data)


def call_isolated(target: str, kwargs: dict[str, Any], *, python: str | None = None, timeout: float = 120.0) -> Any:
    """Call ``module:function`` with JSON-serialisable ``kwargs`` in a fresh process; return its JSON result.

    The function's return value must be JSON-serialisable or have a ``to_dict()`` method.
    """
    if not isinstance(target, str) or ":" not in target:
        raise ValueError(f"target must be 'module:function', got {target!r}")
    if not isinstance(kwargs, dict):
        raise TypeError(f"kwargs must be a dict, not {type(kwargs).__name__}")
    timeout = check_seconds("timeout", timeout)
    interpreter = python or sys.executable
    if not isinstance(interpreter, str):
        raise TypeError(f"python must be a path (str), not {type(interpreter).__name__}")
    if not (os.path.isfile(interpreter) and os.access(interpreter, os.X_OK)):
        raise ValueError(f"python={interpreter!r} is not an executable file")
    try:
        request = json.dumps({"target": target, "kwargs": kwargs})
    except TypeError as exc:
        raise TypeError(f"kwargs must be JSON-serialisable: {exc}") from None

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
    # A new session, so that on a time-out the worker's own children (pool workers, the echo
    # server) are killed with it.
    process = subprocess.Popen(
        [interpreter, "-m", "utils.engine.isolation"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(request, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise IsolatedRunError(
            f"{target} did not finish within {timeout:g} s on {interpreter}; the worker was killed"
        ) from None
    except BaseException:  # e.g. KeyboardInterrupt in the notebook: never leave workers behind
        _kill_group(process)
        raise
    lines = stdout.strip().splitlines()
    try:
        reply = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        reply = None
    if not isinstance(reply, dict) or ("ok" not in reply and "error" not in reply):
        stderr_lines = stderr.strip().splitlines()
        detail = stderr_lines[-1] if stderr_lines else f"exit code {process.returncode}, no output"
        raise IsolatedRunError(f"the worker process for {target} failed: {detail}")
    if "error" in reply:
        raise IsolatedRunError(f"{target} raised {reply['error']}: {reply['message']}")
    return reply["ok"]


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.communicate()


def _worker() -> None:
    """Read one request from stdin, run it, print one JSON reply as the last line of stdout."""
    try:
        request = json.loads(sys.stdin.read())
        module_name, _, func_name = request["target"].partition(":")
        func = getattr(importlib.import_module(module_name), func_name)
        value = func(**request["kwargs"])
        if hasattr(value, "to_dict"):
            value = value.to_dict()
        reply = {"ok": value}
    except Exception as exc:  # reported to the parent, which raises IsolatedRunError
        reply = {"error": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}
    sys.stdout.write("\n" + json.dumps(reply) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    _worker()
