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
        'fork_warning_reason = "b"\nwarns_311_thread = False\nwarns_313_thread = True\nwarns_313_alone = False',
        'fork_warning_reason = "d"\nwarns_311_thread = False\nwarns_313_thread = True\nwarns_313_alone = False',
        # "fork() has always been unsafe with threads, so every version warns."
        'fork_warning_reason = "a"\nwarns_311_thread = True\nwarns_313_thread = True\nwarns_313_alone = False',
        # "fork() is deprecated": a warning whether or not there are threads.
        'fork_warning_reason = "a"\nwarns_311_thread = False\nwarns_313_thread = True\nwarns_313_alone = True',
        # The versions the wrong way round.
        'fork_warning_reason = "a"\nwarns_311_thread = True\nwarns_313_thread = False\nwarns_313_alone = False',
    ],
    "task4-answer": [
        # The colleague's key, ascending: it changes with every transfer, and equal balances tie.
        "def lock_key(account):\n    return account.balance\n\n\ndef transfer_in_key_order(a, b, amount):\n    first, second = sorted((a, b), key=lock_key)\n    with first.lock, second.lock:\n        a.balance -= amount\n        b.balance += amount",
        # Name lengths tie (ann, amy, abe): ties keep the argument order.
        "def lock_key(account):\n    return len(account.name)\n\n\ndef transfer_in_key_order(a, b, amount):\n    first, second = sorted((a, b), key=lock_key)\n    with first.lock, second.lock:\n        a.balance -= amount\n        b.balance += amount",
        # First letters tie too.
        "def lock_key(account):\n    return account.name[0]\n\n\ndef transfer_in_key_order(a, b, amount):\n    first, second = sorted((a, b), key=lock_key)\n    with first.lock, second.lock:\n        a.balance -= amount\n        b.balance += amount",
        # One key for all: no order at all.
        "def lock_key(account):\n    return 0\n\n\ndef transfer_in_key_order(a, b, amount):\n    first, second = sorted((a, b), key=lock_key)\n    with first.lock, second.lock:\n        a.balance -= amount\n        b.balance += amount",
    ],
}
