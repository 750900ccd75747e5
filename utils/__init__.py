"""Helpers for the hands-on course on Python's Global Interpreter Lock.

Three layers, each a package:

- ``utils.engine``: run and measure experiments (environment, workloads, executors, isolation,
  timing, timeline, gil_profile, counters, bytecode, echo, bench, validation, plaindata). It imports nothing from
  the two layers above it (``tests/test_layout.py`` checks).
- ``utils.ui``: matplotlib figures (``plots``) and ipywidgets panels (``panels``).
- ``utils.lessons``: each lesson's own material (see its docstring for which module serves which lesson).

Beside them: ``utils.course`` (the list of lessons) and ``utils.checks`` (check cells for the
exercises). Importing ``utils`` imports nothing heavy and starts nothing; import the module you need.
"""


def __getattr__(name: str) -> str:
    """``utils.__version__``: pyproject.toml's version, the one version string (read lazily)."""
    if name != "__version__":
        raise AttributeError(f"module 'utils' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gil-course")
    except PackageNotFoundError:  # a checkout that was never installed
        return "0+unknown"
