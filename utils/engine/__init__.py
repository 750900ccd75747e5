"""The course's engine: run and measure experiments. It imports nothing from ``utils.ui`` or ``utils.lessons``.

- ``environment``: what Python is running (version, GIL build and state, CPUs, switch interval).
- ``workloads``: the work experiments run (countdown, primes, sha256, zlib, sleep, echo).
- ``executors``: one interface to sequential, threads, processes, asyncio, interpreters.
- ``isolation``: run any importable function in a fresh process, optionally on another interpreter.
- ``timing``: measure a callable (wall and CPU time, median and spread, effective parallelism).
- ``timeline``: when each thread ran (Beazley-style timelines, by instrumenting the workload).
- ``gil_profile``: when each thread held or waited for the GIL, from CPython 3.15's sampling profiler.
- ``echo``: a local echo server for I/O experiments.
- ``counters``: racing counters (the kernels lessons 02, 03 and 05 share, and the thread runner).
- ``bytecode``: where a function reads, changes and writes a value (the one bytecode scanner).
- ``bench``: ``python -m utils.engine.bench``, the canonical experiments side by side.
- ``validation``: shared argument checks; ``plaindata``: results as plain data, to JSON and back.

Importing a module here imports no plotting or widget library.
"""
