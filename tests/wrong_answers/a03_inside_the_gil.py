"""Plausible wrong answers for assignment 03_inside_the_gil (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        'switch_inside = {"add_through_call"}  # only calls to Python functions',
        'switch_inside = {"add_abs"}  # thinks inlined Python calls (3.11+) skip the check; RESUME checks',
        # Gets len() backwards for this Python: "every C call checks, like abs()" where len() has its
        # fast path; "the fast path skips the check" where it has none (3.10, free-threaded 3.13).
        'switch_inside = {"add_through_call", "add_abs"}\n'
        "if sys.version_info >= (3, 11) and not (sys.version_info[:2] == (3, 13) and free_threaded_build()):\n"
        '    switch_inside.add("add_len")',
        "switch_inside = set()  # since 3.10 nothing switches inside a read-modify-write",
        "switch_inside = set(gil_internals.LOOPS)  # += is three instructions, so every loop",
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
        "rates = switching.median_handovers(sweep)\nmax_rates = {i: 1 / i for i in sweep}",
        # Thinks two threads share the limit.
        "rates = {i: statistics.median(switching.handovers(t) / t.wall for t in ts) for i, ts in sweep.items()}\n"
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
}
