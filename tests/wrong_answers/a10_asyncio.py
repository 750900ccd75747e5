"""Plausible wrong answers for assignment 10_asyncio (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
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
        "import time\n\n\nasync def fetch_all(n, delay):\n    async def request(i):\n        time.sleep(delay)\n"
        "        return i\n    return await asyncio.gather(*(request(i) for i in range(n)))",
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
        'lateness_standard = "the whole computation"\nlateness_free_threaded = "as when idle"',
        # Swapped: forgets that the worker thread holds the GIL, and expects a GIL that is not there.
        'lateness_standard = "as when idle"\nlateness_free_threaded = "one switch interval"',
        # Right for the standard build, but expects the GIL's wait without a GIL.
        'lateness_standard = "one switch interval"\nlateness_free_threaded = "one switch interval"',
        "lateness_standard = 5\nlateness_free_threaded = 0",
    ],
}
