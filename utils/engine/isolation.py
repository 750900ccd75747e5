"""Isolated runs: any importable function in a fresh worker process, optionally on another interpreter.

A Jupyter kernel has threads of its own (heartbeat, I/O, the comm machinery) that compete for
the GIL and distort timings, and ``spawn``/``forkserver`` workers cannot import a function
defined in a notebook. :func:`isolated` calls a function from an importable module (``utils``)
in a new ``python -m utils.engine.isolation`` process instead:

    from utils.engine.executors import run
    result = isolated(run, "countdown", "threads", 2)                 # a RunResult
    ft = isolated(run, "countdown", "threads", 2, python=find_free_threaded_python())

The contract:

- the function is named by its module and qualified name; its arguments and its return value
  travel as JSON, and the result is rebuilt from the function's return annotation
  (:func:`utils.engine.plaindata.from_plain`: dataclasses, nested ones, tuples, dicts);
- ``ValueError``, ``TypeError`` and ``TimeoutError`` raised in the worker are raised here as
  themselves, with the worker's traceback as their ``__cause__``; anything else, or a crash, is
  an :class:`IsolatedRunError` naming the cause;
- every run has a timeout; on a time-out the worker and its children (pool workers, an echo
  server) are killed (its process group on POSIX, the process on Windows) and
  :class:`IsolatedTimeout` (a ``TimeoutError``) is raised;
- the worker imports only the standard library and this package's plain-data module before the
  function's own module: a fresh worker is ready in a few milliseconds.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from utils.engine.plaindata import from_plain, return_hint, to_plain

#: Folder that holds the ``utils`` package: put on PYTHONPATH for interpreters without the editable install.
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
#: Exceptions a worker's function may raise that come back as themselves.
PASSED_THROUGH = {"ValueError": ValueError, "TypeError": TypeError, "TimeoutError": TimeoutError}


class IsolatedRunError(RuntimeError):
    """An isolated run failed; the message says why (worker exception, crash, or time-out)."""


class IsolatedTimeout(IsolatedRunError, TimeoutError):
    """The worker did not finish within the timeout and was killed."""


class RemoteTraceback(Exception):
    """The worker's traceback, attached as ``__cause__`` of the exception raised here."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


def target_of(func: Callable[..., Any]) -> str:
    """``module:qualname`` of ``func``; ``ValueError`` if a fresh process could not import it."""
    if not callable(func):
        raise TypeError(f"func must be a function, not {type(func).__name__}")
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise TypeError(f"{func!r} has no module and name to import it by")
    if module == "__main__" or "<locals>" in qualname or "<lambda>" in qualname:
        raise ValueError(
            f"{qualname} is defined in {'a notebook or script' if module == '__main__' else 'a function'}: "
            "a fresh process can only run a function it can import, so put it in a module (utils/lessons/...)"
        )
    return f"{module}:{qualname}"


def isolated(
    func: Callable[..., Any],
    /,
    *args: Any,
    python: str | None = None,
    timeout: float = 120.0,
    env: Mapping[str, str | None] | None = None,
    **kwargs: Any,
) -> Any:
    """``func(*args, **kwargs)`` in a fresh process on ``python`` (default: this interpreter).

    ``env``: environment variables to set in the worker, e.g. ``{"PYTHON_GIL": "1"}`` to run a
    free-threaded build with its GIL on (free-threading HOWTO, 3.13+); None removes a variable from
    the worker's environment. This process's own environment never changes. ``python``, ``timeout`` and
    ``env`` are :func:`isolated`'s own; every other keyword goes to ``func``.

    Returns the function's result rebuilt from its return annotation. Raises the worker's
    ``ValueError``/``TypeError``/``TimeoutError`` as themselves, :class:`IsolatedTimeout` after
    ``timeout`` seconds (the worker is killed), :class:`IsolatedRunError` for anything else.
    """
    target = target_of(func)
    reply = _call(target, list(args), kwargs, python=python, timeout=timeout, env=env)
    return from_plain(return_hint(func), reply)


def _call(
    target: str,
    args: list[Any],
    kwargs: dict[str, Any],
    *,
    python: str | None,
    timeout: float,
    env: Mapping[str, str | None] | None = None,
) -> Any:
    """Run ``target`` in a worker; return its JSON result (or raise as :func:`isolated` documents)."""
    from utils.engine.validation import check_seconds

    timeout = check_seconds("timeout", timeout)
    interpreter = python or sys.executable
    if not isinstance(interpreter, str):
        raise TypeError(f"python must be a path (str), not {type(interpreter).__name__}")
    if not (os.path.isfile(interpreter) and os.access(interpreter, os.X_OK)):
        raise ValueError(f"python={interpreter!r} is not an executable file")
    try:
        request = json.dumps({"target": target, "args": to_plain(args), "kwargs": to_plain(kwargs)})
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the arguments of {target} must be JSON-serialisable: {exc}") from None

    env = dict(env or {}) if env is None or isinstance(env, Mapping) else env
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in env.items()
    ):
        raise TypeError("env must map variable names (str) to values (str, or None to remove one)")
    worker_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    worker_env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, worker_env.get("PYTHONPATH")]))
    # A new process group, so that on a time-out the worker's own children are killed with it.
    group = new_process_group()
    process = subprocess.Popen(
        [interpreter, "-m", "utils.engine.isolation"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=worker_env,
        **group,
    )
    try:
        stdout, stderr = process.communicate(request, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_process_tree(process)
        raise IsolatedTimeout(
            f"{target} did not finish within {timeout:g} s on {interpreter}; the worker was killed"
        ) from None
    except BaseException:  # e.g. KeyboardInterrupt in the notebook: never leave workers behind
        kill_process_tree(process)
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
        cause = RemoteTraceback(reply.get("traceback", ""))
        passed = PASSED_THROUGH.get(reply["error"]) if reply.get("builtin") else None
        if passed is not None:
            raise passed(reply["message"]) from cause
        raise IsolatedRunError(f"{target} raised {reply['error']}: {reply['message']}") from cause
    return reply["ok"]


def new_process_group() -> dict[str, Any]:
    """``subprocess.Popen`` options that start a process leading a group of its own (for :func:`kill_process_tree`).

    POSIX: a new session (``start_new_session``); Windows: ``CREATE_NEW_PROCESS_GROUP``, which
    no signal can kill as a whole, so there :func:`kill_process_tree` kills the process alone.
    """
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}


def kill_process_tree(process: subprocess.Popen) -> None:
    """Kill ``process`` and, on POSIX, its whole process group (it must lead one); reap it."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # Windows: no process groups to signal; the worker's own children may outlive it
            process.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass
    process.communicate()


def loaded_modules() -> list[str]:
    """The modules imported in this process: ``isolated(loaded_modules)`` shows what a fresh worker pays for."""
    return sorted(sys.modules)


def _resolve(target: str) -> Callable[..., Any]:
    module_name, _, qualname = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _worker() -> None:
    """Read one request from stdin, run it, print one JSON reply as the last line of stdout."""
    try:
        request = json.loads(sys.stdin.read())
        func = _resolve(request["target"])
        reply = {"ok": to_plain(func(*request.get("args", []), **request["kwargs"]))}
        text = json.dumps(reply)
    except Exception as exc:  # reported to the parent, which raises it (see isolated)
        text = json.dumps(
            {
                "error": type(exc).__name__,
                "builtin": type(exc).__module__ == "builtins",
                "message": str(exc),
                "traceback": traceback.format_exc(),
            }
        )
    sys.stdout.write("\n" + text + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    _worker()
