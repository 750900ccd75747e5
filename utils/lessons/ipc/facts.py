"""The documented facts assignment 08's predictions are graded against (not the grading machine's).

A prediction about start methods names the platform and the Python it is about, so its truth is
fixed by the sources below, whatever interpreter grades it:

- ``spawn`` is the default on Windows (no ``os.fork()``) and, since 3.8, on macOS, where
  ``fork`` "should be considered unsafe" (bpo-33725; multiprocessing docs,
  https://docs.python.org/3.14/library/multiprocessing.html#contexts-and-start-methods);
- ``fork`` was the default on the other POSIX platforms up to 3.13; from 3.14 it is
  ``forkserver`` there (What's New in Python 3.14, *multiprocessing*; gh-84559), except on
  macOS, which stays on ``spawn`` (``_get_platform_default_context`` in
  ``Lib/multiprocessing/context.py``, 3.14; it also falls back to ``spawn`` when no writable
  temporary directory exists);
- pickle stores a function by module and name, so only a *forked* worker, a copy of the parent,
  has a function defined in a notebook's ``__main__``; a *forkserver* worker is forked from a
  server started fresh, which imported only what it was told to (pickle docs, *What can be
  pickled and unpickled?*).
"""

from __future__ import annotations

#: Default start method of ``multiprocessing`` for each platform and Python the assignment asks about.
DEFAULT_START_METHODS: dict[str, str] = {
    "Linux, Python 3.13": "fork",
    "Linux, Python 3.14": "forkserver",
    "macOS, Python 3.13": "spawn",
    "macOS, Python 3.14": "spawn",
    "Windows, Python 3.13": "spawn",
}

#: Can a pool started with each method run a function defined in the notebook (in ``__main__``)?
NOTEBOOK_FUNCTION_RUNS: dict[str, bool] = {"fork": True, "spawn": False, "forkserver": False}


def wrong_keys(answer: dict[str, object], truth: dict[str, object]) -> list[str]:
    """The keys of ``truth`` (in its order) whose value in ``answer`` differs: what a check reports."""
    if not isinstance(answer, dict) or not isinstance(truth, dict):
        raise TypeError("answer and truth must be dicts")
    return [
        key
        for key, value in truth.items()
        if key not in answer or answer[key] != value or type(answer[key]) is not type(value)
    ]
