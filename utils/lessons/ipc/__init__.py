"""What a process pool pays to move work and data between processes (lesson 08).

Processes side-step the GIL because each has its own interpreter, but they share no objects:
every task, argument and result crosses from one process to another as a pickle, through a
pipe (``multiprocessing`` docs, *Exchanging objects between processes*; ``concurrent.futures``
docs, ``ProcessPoolExecutor``). The package, by concern:

- :mod:`.workers`: the importable functions workers run (:func:`echo`, :func:`square`,
  :func:`checksum`, :func:`checksum_shared`) and a pool that always shuts down;
- :mod:`.experiments`: :func:`task_overhead` (many tiny tasks, and how ``chunksize`` hides their
  overhead), :func:`ipc_cost` (payloads of growing size to a worker and back, beside pickling alone
  and a thread), :func:`shared_vs_copy` (copies vs ``multiprocessing.shared_memory``, 3.8+). Run
  them in a fresh process, ``utils.engine.isolation.isolated(task_overhead, ...)``, so that the
  notebook kernel's own threads do not distort them;
- :mod:`.importable`: :func:`call_in_new_pool` and :func:`unpickle_in_fresh_interpreter`: what
  happens to a function a worker cannot import (one defined in a notebook) under each start method;
- :mod:`.spy`: the checks' instruments: :func:`started_processes` records which start method really
  started each worker, :func:`recording_pools` which pools were made, with what context, and whether
  they were shut down; :func:`call_with_deadline` calls a function without waiting forever;
- :mod:`.facts`: the documented facts assignment 08's predictions are graded against;
- :mod:`.plots`: :func:`plot_task_overhead`, :func:`plot_ipc_cost` (matplotlib imported only there).

Every pool is shut down and every shared-memory block unlinked, also on errors; every wait has a
timeout. Importing this package starts nothing and imports no plotting library.
"""

from __future__ import annotations

from utils.lessons.ipc.experiments import (
    KINDS,
    IpcCost,
    MiB,
    SharedVsCopy,
    TaskOverhead,
    ipc_cost,
    make_payload,
    shared_vs_copy,
    task_overhead,
)
from utils.lessons.ipc.facts import DEFAULT_START_METHODS, NOTEBOOK_FUNCTION_RUNS, wrong_keys
from utils.lessons.ipc.importable import call_in_new_pool, unpickle_in_fresh_interpreter
from utils.lessons.ipc.plots import plot_ipc_cost, plot_task_overhead
from utils.lessons.ipc.spy import PoolRecord, call_with_deadline, recording_pools, started_processes, stop_pools
from utils.lessons.ipc.workers import checksum, checksum_shared, echo, square

__all__ = [
    "DEFAULT_START_METHODS",
    "KINDS",
    "NOTEBOOK_FUNCTION_RUNS",
    "IpcCost",
    "MiB",
    "PoolRecord",
    "SharedVsCopy",
    "TaskOverhead",
    "call_in_new_pool",
    "call_with_deadline",
    "checksum",
    "checksum_shared",
    "echo",
    "ipc_cost",
    "make_payload",
    "plot_ipc_cost",
    "plot_task_overhead",
    "recording_pools",
    "shared_vs_copy",
    "square",
    "started_processes",
    "stop_pools",
    "task_overhead",
    "unpickle_in_fresh_interpreter",
    "wrong_keys",
]
