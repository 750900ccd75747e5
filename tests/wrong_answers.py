"""Plausible wrong answers, per assignment and task (the grade_id of the answer cell).

tests/test_assignments.py puts each one in place of the solution and requires the task's check
cell to fail. Every task needs at least one. Keep them plausible: the mistakes learners make.

Each wrong answer starts from the names the solution left (see WrongAnswerRun), so one whose
mistake is in the conclusion, not in the measurement, uses the solution's measurement (`rows`,
`sweep`, `alone`/`loaded`, `tuned`, `on_threads`/`on_processes`) instead of measuring again: the tests
measure once, and a learner who re-runs only the last lines of the cell makes the same mistake.
"""

WRONG_ANSWERS: dict[str, dict[str, list[str]]] = {
    "02_reference_counting": {
        "task1-answer": [
            "predicted_count = 4  # forgot getrefcount's own argument",
            "predicted_count = 3  # counted box once",
        ],
        "task2-answer": [
            # Collects garbage first, so cycles look "freed without gc".
            "def freed_without_gc(make):\n    obj = make()\n    ref = weakref.ref(obj)\n    del obj\n"
            "    gc.collect()\n    return ref() is None",
            # Leaves the collector off.
            "def freed_without_gc(make):\n    gc.disable()\n    obj = make()\n    ref = weakref.ref(obj)\n"
            "    del obj\n    return ref() is None",
        ],
        "task3-answer": [
            "none_is_immortal = sys.version_info < (3, 12)  # the opposite of the truth on this Python",
            "none_is_immortal = 'yes'",
        ],
    },
    "03_inside_the_gil": {
        "task1-answer": [
            'switch_inside = {"add_through_call"}  # only calls to Python functions',
            'switch_inside = {"add_abs"}  # thinks inlined Python calls (3.11+) skip the check; RESUME checks',
            # Gets len() backwards for this Python: "every C call checks, like abs()" where len() has its
            # fast path; "the fast path skips the check" where it has none (3.10, free-threaded 3.13).
            'switch_inside = {"add_through_call", "add_abs"}\n'
            "if sys.version_info >= (3, 11) and not (sys.version_info[:2] == (3, 13) and free_threaded_build()):\n"
            '    switch_inside.add("add_len")',
            "switch_inside = set()  # since 3.10 nothing switches inside a read-modify-write",
            'switch_inside = set(gil_internals.LOOPS)  # += is three instructions, so every loop',
            'switch_inside = ["add_through_call", "add_abs"]  # a list, not a set',
        ],
        "task2-answer": [
            # Keeps the load and the store in the window.
            "def between(func, name):\n    ins = list(dis.get_instructions(func))\n"
            "    start = next(i for i, x in enumerate(ins) if x.opname.startswith('LOAD_') and x.argval == name)\n"
            "    end = next(i for i, x in enumerate(ins) if i > start and x.opname.startswith('STORE_') and x.argval == name)\n"
            "    return [x.opname for x in ins[start:end + 1]]",
            # Takes the first store anywhere, not the first one after the load.
            "def between(func, name):\n    ins = list(dis.get_instructions(func))\n"
            "    start = [i for i, x in enumerate(ins) if x.opname.startswith('LOAD_') and x.argval == name]\n"
            "    end = [i for i, x in enumerate(ins) if x.opname.startswith('STORE_') and x.argval == name]\n"
            "    if not start or not end:\n        raise ValueError(name)\n"
            "    return [x.opname for x in ins[start[0] + 1:end[0]]]",
            # Only attributes: LOAD_ATTR / STORE_ATTR.
            "def between(func, name):\n    ins = list(dis.get_instructions(func))\n"
            "    for s, x in enumerate(ins):\n        if x.opname == 'LOAD_ATTR' and x.argval == name:\n"
            "            for e in range(s + 1, len(ins)):\n"
            "                if ins[e].opname == 'STORE_ATTR' and ins[e].argval == name:\n"
            "                    return [y.opname for y in ins[s + 1:e]]\n    raise ValueError(name)",
            # Returns the instructions, not their names.
            "def between(func, name):\n    ins = list(dis.get_instructions(func))\n"
            "    start = next(i for i, x in enumerate(ins) if x.opname.startswith('LOAD_') and x.argval == name)\n"
            "    end = next(i for i, x in enumerate(ins) if i > start and x.opname.startswith('STORE_') and x.argval == name)\n"
            "    return ins[start + 1:end]",
            # Returns an empty list instead of raising ValueError.
            "def between(func, name):\n    ins = list(dis.get_instructions(func))\n"
            "    for s, x in enumerate(ins):\n        if x.opname.startswith('LOAD_') and x.argval == name:\n"
            "            for e in range(s + 1, len(ins)):\n"
            "                if ins[e].opname.startswith('STORE_') and ins[e].argval == name:\n"
            "                    return [y.opname for y in ins[s + 1:e]]\n    return []",
        ],
        "task3-answer": [
            # Counts turns (bars) instead of hand-overs.
            "rates = {i: statistics.median(t.turns / t.wall for t in ts) for i, ts in sweep.items()}\n"
            "max_rates = {i: 1 / i for i in sweep}",
            # Hand-overs per run, not per second.
            "rates = gil_internals.median_handovers(sweep)\nmax_rates = {i: 1 / i for i in sweep}",
            # Thinks two threads share the limit.
            "rates = {i: statistics.median(gil_internals.handovers(t) / t.wall for t in ts) for i, ts in sweep.items()}\n"
            "max_rates = {i: 1 / i / 2 for i in sweep}  # two threads share the hand-overs",
        ],
        "task4-answer": [
            "parallelism = {i: statistics.median(sum(t.busy()) / t.wall for t in ts) for i, ts in sweep.items()}\n"
            "shorter_interval = 'together'",
            "parallelism = {i: statistics.median(max(t.busy()) / t.wall for t in ts) for i, ts in sweep.items()}\n"
            "shorter_interval = 'turns'",
            # Per thread instead of in all, with the right statement.
            "parallelism = {i: statistics.median(sum(t.busy()) / t.wall / t.threads for t in ts) for i, ts in sweep.items()}\n"
            "shorter_interval = 'turns' if gil_enabled() else 'no_gil'",
            # Has the GIL backwards: "no GIL" where there is one, "turns" where there is none.
            "parallelism = {i: statistics.median(sum(t.busy()) / t.wall for t in ts) for i, ts in sweep.items()}\n"
            "shorter_interval = 'no_gil' if gil_enabled() else 'turns'",
        ],
    },
    "06_fairness_and_latency": {
        "task1-answer": [
            # Answers for the other build: "two CPUs, so the threads run side by side" (true only with the
            # GIL off), or, on a free-threaded Python, the convoy of a standard build.
            'latency_with_cpu_thread = "about the same" if info.gil_enabled else "higher"\n'
            'extra_wait_set_by = "nothing" if info.gil_enabled else "the switch interval"',
            # Right direction, wrong cause: thinks the I/O thread waits until the CPU thread is done.
            'latency_with_cpu_thread = "higher"\nextra_wait_set_by = "the CPU thread\'s whole run"',
        ],
        "task2-answer": [
            # Upside down.
            "slowdown_ratio = statistics.median(alone.latencies) / statistics.median(loaded.latencies)",
            # Means instead of medians.
            "slowdown_ratio = statistics.mean(loaded.latencies) / statistics.mean(alone.latencies)",
            # Forgot the CPU thread: both runs alone.
            "alone = isolated_latencies(requests=100)\nloaded = isolated_latencies(requests=100)\n"
            "slowdown_ratio = statistics.median(loaded.latencies) / statistics.median(alone.latencies)",
            # The tail instead of the median.
            "slowdown_ratio = loaded.p95 / alone.p95",
        ],
        "task3-answer": [
            # A longer interval "lets each thread get more done" (the prediction alone is wrong).
            "lowest_latency_interval = 0.02",
            "lowest_latency_interval = 0.005  # the default must be tuned best",
            # Right prediction, but the measurement forgot to pass it.
            "lowest_latency_interval = 0.0005\ntuned = isolated_latencies(requests=100, cpu_threads=1)",
        ],
        "task4-answer": ['removes_the_wait = "a"', 'removes_the_wait = "b"', 'removes_the_wait = "d"'],
    },
    "07_deadlocks": {
        "task1-answer": [
            "lock_again = True  # the thread already holds it\nrlock_again = True",
            "lock_again = True\nrlock_again = False  # swapped",
        ],
        "task2-answer": [
            # The original: locks in argument order.
            "def transfer(a, b, amount):\n    with a.lock:\n        with b.lock:\n"
            "            a.balance -= amount\n            b.balance += amount",
            # Re-entrant locks instead of an order: still two threads waiting for each other.
            "def open_account(name, balance):\n    return Account(name, balance, lock=threading.RLock())\n\n"
            "def transfer(a, b, amount):\n    with a.lock:\n        with b.lock:\n"
            "            a.balance -= amount\n            b.balance += amount",
            # One lock at a time: no deadlock, but the money is in flight between the two.
            "def transfer(a, b, amount):\n    with a.lock:\n        a.balance -= amount\n"
            "    with b.lock:\n        b.balance += amount",
            # Sorted the accounts, then moved the money in the sorted direction.
            "def transfer(a, b, amount):\n    first, second = sorted((a, b), key=lambda acc: acc.name)\n"
            "    with first.lock, second.lock:\n        first.balance -= amount\n        second.balance += amount",
            # One big lock for the bank instead of the accounts' locks.
            "bank_lock = threading.Lock()\n\ndef transfer(a, b, amount):\n    with bank_lock:\n"
            "        a.balance -= amount\n        b.balance += amount",
        ],
        "task3-answer": [
            'fork_warning_reason = "b"\nfork_warns_here = hasattr(os, "fork") and sys.version_info >= (3, 12)',
            'fork_warning_reason = "d"\nfork_warns_here = hasattr(os, "fork") and sys.version_info >= (3, 12)',
            'fork_warning_reason = "a"\nfork_warns_here = sys.version_info < (3, 12)',
        ],
    },
    "09_releasing_the_gil": {
        "task1-answer": [
            "releases = {1000: True, 2048: True, 4096: True}  # hashlib always releases the GIL",
            # The two versions' rules swapped: 'more than 2048' before 3.15, 'at least 2048' from 3.15.
            "releases = {1000: False, 2048: sys.version_info >= (3, 15), 4096: True}",
            "releases = {1000: False, 2048: False, 4096: False}  # C code keeps the GIL",
            "releases = {1000: 'no', 2048: 'yes', 4096: 'yes'}",
        ],
        "task2-answer": [
            # Right digest, but 64-byte chunks: below HASHLIB_GIL_MINSIZE, the GIL is never released.
            "def digest_file_like(data):\n    stream = io.BytesIO(data)\n    digest = hashlib.sha256()\n"
            "    for chunk in iter(lambda: stream.read(64), b''):\n        digest.update(chunk)\n"
            "    return digest.hexdigest()",
            # 1 KiB 'sounds big' but is still below the threshold.
            "def digest_file_like(data):\n    stream = io.BytesIO(data)\n    digest = hashlib.sha256()\n"
            "    while chunk := stream.read(1024):\n        digest.update(chunk)\n    return digest.hexdigest()",
            # Off by one at the threshold: 2047-byte chunks keep the GIL up to 3.14, 2048-byte chunks from 3.15.
            "def digest_file_like(data):\n    chunk_size = HASHLIB_GIL_MINSIZE - (sys.version_info < (3, 15))\n"
            "    stream = io.BytesIO(data)\n    digest = hashlib.sha256()\n"
            "    while chunk := stream.read(chunk_size):\n        digest.update(chunk)\n    return digest.hexdigest()",
            # A pure-Python checksum loop instead of a hash.
            "def digest_file_like(data):\n    total = 0\n    for byte in data:\n"
            "        total = (total * 31 + byte) % 2**64\n    return format(total, '016x')",
            # A new hash object per chunk: the digest of the last chunk only.
            "def digest_file_like(data):\n    stream = io.BytesIO(data)\n    digest = None\n"
            "    for chunk in iter(lambda: stream.read(65536), b''):\n        digest = hashlib.sha256(chunk)\n"
            "    return digest.hexdigest()",
        ],
        "task3-answer": [
            'loader = "b"  # PyDLL: keep the GIL to be safe',
            'loader = "c"',
            'loader = "d"',
            'loader = "CDLL"',
        ],
    },
    "10_asyncio": {
        "task1-answer": [
            'speeds_up = {"sleep": True, "echo": True, "countdown": True}  # asyncio speeds everything up',
            'speeds_up = {"sleep": True, "echo": False, "countdown": False}  # only sleeping overlaps',
            'speeds_up = {"sleep": "yes", "echo": "yes", "countdown": "no"}',
        ],
        "task2-answer": [
            # Awaits each request before starting the next: sequential.
            "async def fetch_all(n, delay):\n    results = []\n    for i in range(n):\n"
            "        await asyncio.sleep(delay)\n        results.append(i)\n    return results",
            # gather, but time.sleep inside the coroutine blocks the loop.
            "async def fetch_all(n, delay):\n    async def request(i):\n        time.sleep(delay)\n        return i\n"
            "    return await asyncio.gather(*(request(i) for i in range(n)))",
            # Returns the gather future without awaiting it.
            "async def fetch_all(n, delay):\n    async def request(i):\n        await asyncio.sleep(delay)\n"
            "        return i\n    return asyncio.gather(*(request(i) for i in range(n)))",
            # Not a coroutine function.
            "def fetch_all(n, delay):\n    return list(range(n))",
        ],
        "task3-answer": [
            # Computes in the loop's own thread.
            "async def count_primes(limit):\n    return primes(limit)",
            # An await before the work does not help: the call itself still blocks.
            "async def count_primes(limit):\n    await asyncio.sleep(0)\n    return primes(limit)",
            # Calls primes in the loop, then hands its result to to_thread.
            "async def count_primes(limit):\n    return await asyncio.to_thread(primes(limit))",
        ],
        "task4-answer": [
            'to_thread_lateness = "the whole computation"',
            # With a GIL: forgets that the worker thread holds it. Without one: expects a GIL that is not there.
            'to_thread_lateness = "as when idle" if gil_enabled() else "one switch interval"',
            'to_thread_lateness = 5',
        ],
    },
    "05_race_conditions": {
        "task1-answer": [
            # The other build's answer for `+=`: "every read-modify-write races, += included" with the GIL
            # (true without it only), or "+= is safe on 3.10+" without the GIL (true with it only).
            'loses_updates = {"plain": gil_enabled(), "call": True, "locked": False, "append": False, "dict_pyhash": True}',
            # "The line looks like the int-key dict variant, so it is safe."
            'loses_updates = {"plain": False, "call": True, "locked": False, "append": False, "dict_pyhash": False}',
            # "append is a read-modify-write of the list too."
            'loses_updates = {"plain": False, "call": True, "locked": False, "append": True, "dict_pyhash": True}',
            # "The GIL makes my threaded code thread-safe."
            'loses_updates = dict.fromkeys(["plain", "call", "locked", "append", "dict_pyhash"], False)',
        ],
        "task2-answer": [
            # A new lock per increment: no other thread ever waits for it.
            "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n\n"
            "    def increment(self):\n        with threading.Lock():\n"
            "            self.value = slow_add_one(self.value)",
            # The lock covers the read only.
            "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n        self.lock = threading.Lock()\n\n"
            "    def increment(self):\n        with self.lock:\n            current = self.value\n"
            "        self.value = slow_add_one(current)",
            # The lock covers the write only.
            "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n        self.lock = threading.Lock()\n\n"
            "    def increment(self):\n        new = slow_add_one(self.value)\n        with self.lock:\n"
            "            self.value = new",
            # No lock: "the GIL protects it".
            "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n\n"
            "    def increment(self):\n        self.value = slow_add_one(self.value)",
            # Skips the work: `+=` with no call looks atomic on 3.10+ with the GIL, but drops slow_add_one.
            "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n\n"
            "    def increment(self):\n        self.value += 1",
        ],
        "task3-answer": [
            # The racy version unchanged.
            "def file_item(groups, key, item):\n    if key not in groups:\n        groups[key] = make_bucket()\n"
            "    groups[key].append(item)",
            # A new lock per call.
            "def file_item(groups, key, item):\n    with threading.Lock():\n        if key not in groups:\n"
            "            groups[key] = make_bucket()\n    groups[key].append(item)",
            # The lock covers the check only.
            "filing_lock = threading.Lock()\n\ndef file_item(groups, key, item):\n    with filing_lock:\n"
            "        missing = key not in groups\n    if missing:\n        groups[key] = make_bucket()\n"
            "    groups[key].append(item)",
            # get() then store: still check-then-act.
            "def file_item(groups, key, item):\n    bucket = groups.get(key)\n    if bucket is None:\n"
            "        bucket = make_bucket()\n        groups[key] = bucket\n    bucket.append(item)",
        ],
        "task4-answer": [
            # The ratio upside down.
            "rate = {row.variant: row.rate for row in rows}\nlock_cost = rate['locked'] / rate['confined']\n"
            "advice = 'lock_less'",
            "rate = {row.variant: row.rate for row in rows}\nlock_cost = rate['confined'] / rate['locked']\n"
            "advice = 'more_threads'",
            "rate = {row.variant: row.rate for row in rows}\nlock_cost = rate['confined'] / rate['locked']\n"
            "advice = 'no_lock'",
        ],
    },
    "13_choosing_a_strategy": {
        "task1-answer": [
            # Threads for everything: "the GIL is only a problem in theory".
            'choices = dict.fromkeys(["crawler", "chat", "simulation", "compress", "quick"], "threads")',
            # "Processes for anything that computes", short job and C code included.
            'choices = {"crawler": "threads", "chat": "asyncio", "simulation": "processes", '
            '"compress": "processes", "quick": "processes"}',
            # Threads for every kind of waiting, thousands of connections included.
            'choices = {"crawler": "threads", "chat": "threads", "simulation": "processes", '
            '"compress": "threads", "quick": "sequential"}',
            # The newest tools, ignoring the extension that is not ready for them.
            'choices = {"crawler": "threads", "chat": "asyncio", "simulation": "subinterpreters", '
            '"compress": "threads", "quick": "sequential"}',
            # A library name instead of a strategy.
            'choices = {"crawler": "threads", "chat": "asyncio", "simulation": "multiprocessing", '
            '"compress": "threads", "quick": "sequential"}',
        ],
        "task2-answer": [
            # The ratio upside down.
            "parallelism_gain = on_threads.parallelism / on_processes.parallelism\n"
            "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
            # Speedup (wall times) taken for effective parallelism.
            "parallelism_gain = on_threads.wall / on_processes.wall\n"
            "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
            # min instead of max.
            "parallelism_gain = on_processes.parallelism / on_threads.parallelism\n"
            "more_parallel = min((on_threads, on_processes), key=lambda r: r.parallelism).executor",
            # Copied the first line and forgot to change the executor.
            'on_threads = run_isolated("primes", "threads", workers=2, repeat=3)\n'
            'on_processes = run_isolated("primes", "threads", workers=2, repeat=3)\n'
            "parallelism_gain = on_processes.parallelism / on_threads.parallelism\n"
            "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
            # One worker: nothing to run in parallel.
            'on_threads = run_isolated("primes", "threads", workers=1, repeat=3)\n'
            'on_processes = run_isolated("primes", "processes", workers=1, repeat=3)\n'
            "parallelism_gain = on_processes.parallelism / on_threads.parallelism\n"
            "more_parallel = max((on_threads, on_processes), key=lambda r: r.parallelism).executor",
        ],
        "task3-answer": [
            # Mixed up: thinks the GIL is what lets threads run.
            'threads_scale_here = gil_enabled()\nlets_threads_scale = "a"',
            'threads_scale_here = not gil_enabled()\nlets_threads_scale = "b"  # turns more often',
            'threads_scale_here = not gil_enabled()\nlets_threads_scale = "c"  # more threads',
            'threads_scale_here = not gil_enabled()\nlets_threads_scale = "d"',
            'threads_scale_here = "no"\nlets_threads_scale = "a"',
        ],
    },
    "04_cpu_vs_io": {
        "task1-answer": [
            # "sha256 is CPU work, so the GIL serialises it too."
            'threads_beat_sequential = {"countdown": False, "sleep": True, "sha256": False}',
            # The other build's answer for the countdown: "more threads, more speed" with the GIL, or
            # "threads never speed up bytecode" without it.
            'threads_beat_sequential = {"countdown": gil_enabled(), "sleep": True, "sha256": True}',
            # "Sleeping threads have nothing to run in parallel."
            'threads_beat_sequential = {"countdown": False, "sleep": False, "sha256": True}',
            'threads_beat_sequential = {"countdown": "no", "sleep": "yes", "sha256": "yes"}',
        ],
        "task2-answer": [
            # "Threads are lighter than processes": wrong with the GIL. Without it threads are a right answer,
            # so there the learner's next idea, a single event loop, stands in.
            'executor = "threads" if gil_enabled() else "asyncio"',
            'executor = "asyncio"',
            'executor = "sequential"',
            'executor = "process"',
        ],
        "task3-answer": [
            # Upside down.
            "def effective_parallelism(result):\n    return result.wall / result.cpu",
            # Per worker: the fraction of the workers that were busy.
            "def effective_parallelism(result):\n    return result.cpu / result.wall / result.workers",
            # A speedup over the sequential baseline, not effective parallelism.
            "def effective_parallelism(result):\n    return baseline.wall / result.wall",
            # The library's median of per-repeat ratios instead of computing it.
            "def effective_parallelism(result):\n    return result.parallelism",
        ],
    },
    "08_processes": {
        "task1-answer": [
            # spawn everywhere (true on Windows and macOS only).
            'default_start_method = "spawn"\n'
            'notebook_function_runs = {m: m == "fork" for m in multiprocessing.get_all_start_methods()}',
            # The 3.14 change the wrong way round.
            'default_start_method = "forkserver" if sys.version_info < (3, 14) else "fork"\n'
            'notebook_function_runs = {m: m == "fork" for m in multiprocessing.get_all_start_methods()}',
            # "Pickle sends the function's code along."
            "default_start_method = multiprocessing.get_all_start_methods()[0]\n"
            "notebook_function_runs = {m: True for m in multiprocessing.get_all_start_methods()}",
            # "A notebook function never works in a pool."
            "default_start_method = multiprocessing.get_all_start_methods()[0]\n"
            "notebook_function_runs = {m: False for m in multiprocessing.get_all_start_methods()}",
        ],
        "task2-answer": [
            # A function defined in the notebook: spawn workers cannot import it (BrokenProcessPool).
            "from concurrent.futures import ProcessPoolExecutor\n\ndef count_primes(bound):\n    return primes(bound)\n\n"
            "def primes_in_pool(bounds, start_method, timeout):\n"
            "    context = multiprocessing.get_context(start_method)\n"
            "    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
            "        return list(pool.map(count_primes, bounds, timeout=timeout))",
            # A lambda cannot be pickled.
            "from concurrent.futures import ProcessPoolExecutor\n\n"
            "def primes_in_pool(bounds, start_method, timeout):\n"
            "    context = multiprocessing.get_context(start_method)\n"
            "    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
            "        return list(pool.map(lambda bound: primes(bound), bounds, timeout=timeout))",
            # A multiprocessing.Pool with a notebook function: the task is lost, only the timeout ends the wait.
            "def count_primes(bound):\n    return primes(bound)\n\n"
            "def primes_in_pool(bounds, start_method, timeout):\n"
            "    with multiprocessing.get_context(start_method).Pool(2) as pool:\n"
            "        return pool.map_async(count_primes, bounds).get(timeout=timeout)",
            # Ignores start_method: the platform default (fork up to 3.13) hides the problem.
            "from concurrent.futures import ProcessPoolExecutor\n\n"
            "def primes_in_pool(bounds, start_method, timeout):\n"
            "    with ProcessPoolExecutor(max_workers=2) as pool:\n"
            "        return list(pool.map(primes, bounds, timeout=timeout))",
            # No timeout.
            "from concurrent.futures import ProcessPoolExecutor\n\n"
            "def primes_in_pool(bounds, start_method, timeout):\n"
            "    context = multiprocessing.get_context(start_method)\n"
            "    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
            "        return list(pool.map(primes, bounds))",
            # Returns map's iterator, not a list.
            "from concurrent.futures import ProcessPoolExecutor\n\n"
            "def primes_in_pool(bounds, start_method, timeout):\n"
            "    context = multiprocessing.get_context(start_method)\n"
            "    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:\n"
            "        return pool.map(primes, bounds, timeout=timeout)",
        ],
        "task3-answer": [
            "chunksize = 1  # the default",
            "chunksize = 1000  # one chunk per worker",
            "chunksize = 2000  # everything in one message",
            "chunksize = 5",
        ],
    },
    "11_beyond_the_gil": {
        "task1-answer": [
            # Assumes sys._is_gil_enabled exists: AttributeError before 3.13.
            "def describe_build() -> dict:\n"
            "    return {'free_threaded_build': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),\n"
            "            'gil_enabled': sys._is_gil_enabled()}",
            # Reads Py_GIL_DISABLED as a string: str(None) and '0' are truthy.
            "def describe_build() -> dict:\n"
            "    flag = getattr(sys, '_is_gil_enabled', None)\n"
            "    return {'free_threaded_build': bool(str(sysconfig.get_config_var('Py_GIL_DISABLED'))),\n"
            "            'gil_enabled': True if flag is None else flag()}",
            # Compares with the string '1': never true, the variable is an int.
            "def describe_build() -> dict:\n"
            "    flag = getattr(sys, '_is_gil_enabled', None)\n"
            "    return {'free_threaded_build': sysconfig.get_config_var('Py_GIL_DISABLED') == '1',\n"
            "            'gil_enabled': True if flag is None else flag()}",
            # Confuses the build with the GIL's state right now.
            "def describe_build() -> dict:\n"
            "    free = bool(sysconfig.get_config_var('Py_GIL_DISABLED'))\n"
            "    return {'free_threaded_build': free, 'gil_enabled': not free}",
            # Forgets to call sys._is_gil_enabled.
            "def describe_build() -> dict:\n"
            "    return {'free_threaded_build': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),\n"
            "            'gil_enabled': getattr(sys, '_is_gil_enabled', True)}",
        ],
        "task2-answer": [
            # With a GIL: "two CPUs, two threads". Without one (GIL off): "Python threads always take turns".
            "interpreters_available = availability()['interpreters'] == ''\n"
            "threads_run_in_parallel = environment.gil_enabled()",
            # Mixes up PEP 684 (3.12, C API only) and PEP 734 (3.14): the opposite of the truth here.
            "interpreters_available = not (sys.version_info >= (3, 14) or (sys.version_info >= (3, 13)\n"
            "    and importlib.util.find_spec('interpreters_backport') is not None))\n"
            "threads_run_in_parallel = False",
            "interpreters_available = 'yes'\nthreads_run_in_parallel = False",
        ],
        "task3-answer": [
            "not_shareable = 'a'  # a tuple with mixed items\nsees_writes = 'b'",
            "not_shareable = 'c'\nsees_writes = 'a'  # the queue passes the same list",
            "not_shareable = 'c'\nsees_writes = 'B'",
        ],
    },
}
