"""Plausible wrong answers for assignment 09_releasing_the_gil (see tests/wrong_answers/__init__.py)."""

WRONG: dict[str, list[str]] = {
    "task1-answer": [
        "releases_314 = releases_315 = {1000: True, 2048: True, 4096: True}  # hashlib always releases the GIL",
        # The two versions' rules swapped: 'more than 2048' up to 3.14, 'at least 2048' from 3.15.
        "releases_314 = {1000: False, 2048: False, 4096: True}\nreleases_315 = {1000: False, 2048: True, 4096: True}",
        "releases_314 = releases_315 = {1000: False, 2048: False, 4096: False}  # C code keeps the GIL",
        "releases_314 = releases_315 = {1000: 'no', 2048: 'yes', 4096: 'yes'}",
        # The rule of the grader's Python for both versions: wrong for one of them on every Python.
        "releases_314 = releases_315 = {1000: False, 2048: sys.version_info < (3, 15), 4096: True}",
        # Only one of the two versions answered.
        "releases_314 = {1000: False, 2048: True, 4096: True}\nreleases_315 = None",
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
        "def digest_file_like(data):\n    chunk_size = release.HASHLIB_GIL_MINSIZE - (sys.version_info < (3, 15))\n"
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
    "task4-answer": [
        # The threshold from the table, with no probe at the boundary to show it (nor a None without a GIL).
        "my_probes = [isolated(release.probe, 'sha256', size, seconds=0.2) for size in (1, 65536)]\n"
        "threshold = release.HASHLIB_GIL_MINSIZE",
        # The bisection's lower bound: the largest size that KEPT the GIL (off by one the other way).
        "threshold = max((p.size for p in my_probes if p.released is False), default=0)",
        # No record of the probes: nothing to grade the conclusion against.
        "my_probes = []\nthreshold = 2049",
        # Probes of the wrong operation: zlib releases the GIL at every size.
        "my_probes = [isolated(release.probe, 'zlib', size, seconds=0.2) for size in (2048, 2049)]\nthreshold = 2049",
    ],
}
