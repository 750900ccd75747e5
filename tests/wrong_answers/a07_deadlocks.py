"""Plausible wrong answers for assignment 07_deadlocks (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
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
}
