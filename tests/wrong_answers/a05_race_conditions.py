"""Plausible wrong answers for assignment 05_race_conditions (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        # "Every read-modify-write races, += included", with the GIL (true on 3.9 and without the GIL only).
        'loses_updates = {"plain": True, "call": True, "locked": False, "append": False, "dict_pyhash": True}\n'
        "plain_without_gil = True",
        # "+= is safe on 3.10+", carried over to the free-threaded build.
        'loses_updates = {"plain": False, "call": True, "locked": False, "append": False, "dict_pyhash": True}\n'
        "plain_without_gil = False",
        # "The line looks like the int-key dict variant, so it is safe."
        'loses_updates = {"plain": False, "call": True, "locked": False, "append": False, "dict_pyhash": False}\n'
        "plain_without_gil = True",
        # "append is a read-modify-write of the list too."
        'loses_updates = {"plain": False, "call": True, "locked": False, "append": True, "dict_pyhash": True}\n'
        "plain_without_gil = True",
        # "The GIL makes my threaded code thread-safe."
        'loses_updates = dict.fromkeys(["plain", "call", "locked", "append", "dict_pyhash"], False)\n'
        "plain_without_gil = True",
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
        # The lock covers the read and the call, not the write: loses nothing on most runs with the GIL,
        # but another thread can read the old value between the release and the write.
        "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n        self.lock = threading.Lock()\n\n"
        "    def increment(self):\n        with self.lock:\n            new = slow_add_one(self.value)\n"
        "        self.value = new",
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
        # One lock at class level (not made in __init__, so no spy watches it), released before the write:
        # with the GIL the write almost always lands before another thread runs; the slow writes expose it.
        "class SafeCounter:\n    _lock = threading.Lock()\n\n    def __init__(self):\n        self.value = 0\n\n"
        "    def increment(self):\n        with self._lock:\n            new = slow_add_one(self.value)\n"
        "        self.value = new",
        # An RLock around the read and the call, not the write.
        "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n        self.lock = threading.RLock()\n\n"
        "    def increment(self):\n        with self.lock:\n            new = slow_add_one(self.value)\n"
        "        self.value = new",
        # The read before the lock is taken: the write is guarded, the value it is computed from is not.
        "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n        self.lock = threading.Lock()\n\n"
        "    def increment(self):\n        current = self.value\n        with self.lock:\n"
        "            self.value = slow_add_one(current)",
        # Read and write each under the lock, but in two holds: it is free in between.
        "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n        self.lock = threading.Lock()\n\n"
        "    def increment(self):\n        with self.lock:\n            new = slow_add_one(self.value)\n"
        "        with self.lock:\n            self.value = new",
        # A new lock per call, kept on the object: each thread may hold a different one.
        "class SafeCounter:\n    def __init__(self):\n        self.value = 0\n\n"
        "    def increment(self):\n        self.lock = threading.Lock()\n        with self.lock:\n"
        "            self.value = slow_add_one(self.value)",
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
        # The check outside the lock, the insert inside it, and no second look.
        "filing_lock = threading.Lock()\n\ndef file_item(groups, key, item):\n    if key not in groups:\n"
        "        with filing_lock:\n            groups[key] = make_bucket()\n    groups[key].append(item)",
        # "Missing or empty": replaces an empty bucket that is already there (the hidden tests pass one).
        "filing_lock = threading.Lock()\n\ndef file_item(groups, key, item):\n    with filing_lock:\n"
        "        if not groups.get(key):\n            groups[key] = make_bucket()\n    groups[key].append(item)",
        # Remembers the keys it made buckets for, across calls and dicts: a fresh dict gets none.
        "filing_lock = threading.Lock()\nknown = set()\n\ndef file_item(groups, key, item):\n    with filing_lock:\n"
        "        if key not in known:\n            known.add(key)\n            groups[key] = make_bucket()\n"
        "    groups[key].append(item)",
    ],
    "task4-answer": [
        # The ratio upside down.
        "rate = {row.variant: row.rate for row in rows}\nlock_cost = rate['locked'] / rate['confined']\n"
        "advice = 'lock_less'",
        "rate = {row.variant: row.rate for row in rows}\nlock_cost = rate['confined'] / rate['locked']\n"
        "advice = 'more_threads'",
        "rate = {row.variant: row.rate for row in rows}\nlock_cost = rate['confined'] / rate['locked']\n"
        "advice = 'no_lock'",
        # How much faster as a difference of rates, not a ratio.
        "rate = {row.variant: row.rate for row in rows}\nlock_cost = rate['confined'] - rate['locked']\n"
        "advice = 'lock_less'",
    ],
}
