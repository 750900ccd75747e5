"""Plausible wrong answers for assignment 03_inside_the_gil (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    # Task 1 asks about two named Pythons (a standard 3.12, the free-threaded 3.13): its truth is fixed.
    "task1-answer": [
        'inside_312 = inside_313t = {"add_through_call"}  # only calls to Python functions',
        'inside_312 = inside_313t = {"add_abs"}  # thinks inlined Python calls (3.11+) skip the check; RESUME checks',
        # Gets len() backwards: the fast path on 3.13t, which does not specialise, and none on 3.12.
        'inside_312 = {"add_through_call", "add_abs", "add_len"}\ninside_313t = {"add_through_call", "add_abs"}',
        # Forgets that the free-threaded 3.13 build does not specialise (gh-115999).
        'inside_312 = inside_313t = {"add_through_call", "add_abs"}',
        # Every C call checks when it returns, fast path or not.
        'inside_312 = inside_313t = {"add_through_call", "add_abs", "add_len"}',
        # No GIL, so no eval breaker on the free-threaded build.
        'inside_312 = {"add_through_call", "add_abs"}\ninside_313t = set()',
        "inside_312 = inside_313t = set()  # since 3.10 nothing switches inside a read-modify-write",
        "inside_312 = inside_313t = set(gil_internals.LOOPS)  # += is three instructions, so every loop",
        'inside_312 = ["add_through_call", "add_abs"]  # a list, not a set\ninside_313t = set(inside_312) | {"add_len"}',
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
        # Takes the last store of the name, not the first one after the load (new: generated functions).
        "def between(func, name):\n    ins = list(dis.get_instructions(func))\n"
        "    loads = [i for i, x in enumerate(ins) if x.opname.startswith('LOAD_') and x.argval == name]\n"
        "    stores = [i for i, x in enumerate(ins) if x.opname.startswith('STORE_') and x.argval == name]\n"
        "    if not loads or not stores or stores[-1] < loads[0]:\n        raise ValueError(name)\n"
        "    return [x.opname for x in ins[loads[0] + 1:stores[-1]]]",
        # Matches the name as a substring of argrepr, so `value_before` counts as `value` (new).
        "def between(func, name):\n    ins = list(dis.get_instructions(func))\n"
        "    for s, x in enumerate(ins):\n        if x.opname.startswith('LOAD_') and name in x.argrepr:\n"
        "            for e in range(s + 1, len(ins)):\n"
        "                if ins[e].opname.startswith('STORE_') and name in ins[e].argrepr:\n"
        "                    return [y.opname for y in ins[s + 1:e]]\n            break\n    raise ValueError(name)",
        # Stops at the first store of any name after the load (new).
        "def between(func, name):\n    ins = list(dis.get_instructions(func))\n"
        "    for s, x in enumerate(ins):\n        if x.opname.startswith('LOAD_') and x.argval == name:\n"
        "            for e in range(s + 1, len(ins)):\n"
        "                if ins[e].opname.startswith('STORE_'):\n"
        "                    return [y.opname for y in ins[s + 1:e]]\n            break\n    raise ValueError(name)",
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
    # Task 4 asks about a standard CPython build, whichever Python runs the notebook.
    "task4-answer": [
        "parallelism = {i: statistics.median(sum(t.busy()) / t.wall for t in ts) for i, ts in sweep.items()}\n"
        "shorter_interval = 'together'",
        "parallelism = {i: statistics.median(max(t.busy()) / t.wall for t in ts) for i, ts in sweep.items()}\n"
        "shorter_interval = 'turns'",
        # Per thread instead of in all, with the right statement.
        "parallelism = {i: statistics.median(sum(t.busy()) / t.wall / t.threads for t in ts) for i, ts in sweep.items()}\n"
        "shorter_interval = 'turns'",
        # Has the GIL backwards: "no GIL" on a standard build.
        "parallelism = {i: statistics.median(sum(t.busy()) / t.wall for t in ts) for i, ts in sweep.items()}\n"
        "shorter_interval = 'no_gil'",
    ],
}
