"""Helpers for the hands-on course on Python's Global Interpreter Lock.

Modules, by concern:

- ``utils.environment``: what Python is running (version, GIL build and state, CPUs, switch interval).
- ``utils.workloads``: the work experiments run (countdown, primes, sha256, zlib, sleep, echo).
- ``utils.executors``: one interface to sequential, threads, processes, asyncio, interpreters.
- ``utils.isolation``: run an experiment in a fresh process, optionally on another interpreter.
- ``utils.timing``: measure a callable (wall and CPU time, median and spread, effective parallelism).
- ``utils.timeline``: when each thread ran (Beazley-style GIL timelines).
- ``utils.gil_profile``: when each thread held or waited for the GIL, from CPython 3.15's sampling profiler.
- ``utils.echo``: a local echo server for I/O experiments.
- ``utils.plots``: matplotlib figures for all of the above.
- ``utils.panels``: ipywidgets experiment panels.
- ``utils.bench``: ``python -m utils.bench``, the canonical experiments side by side.
- ``utils.history``, ``utils.refcount``: material for lessons 01 and 02.
- ``utils.course``: the list of lessons.
- ``utils.validation``: shared argument checks; ``utils.plaindata``: results as dicts and back.
- ``utils.checks``: check cells for the exercises.
- Lesson material: ``utils.gil_internals`` (03), ``utils.cpu_io`` (04), ``utils.races`` (05),
  ``utils.convoy`` (06), ``utils.deadlocks`` (07), ``utils.ipc`` (08), ``utils.release`` (09),
  ``utils.async_demos`` (10), ``utils.beyond`` (11), ``utils.strategy`` (12).

Importing ``utils`` imports nothing heavy and starts nothing; import the module you need.
"""

__version__ = "0.1.0"
