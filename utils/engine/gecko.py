"""The data of a GIL profile and its reader: Firefox Profiler ("Gecko") files from CPython 3.15's sampling profiler.

:func:`parse_gecko` turns the interval markers ``python -m profiling.sampling run -a --gecko`` writes
(``Lib/profiling/sampling/gecko_collector.py``, 3.15) into a :class:`GilProfile`: one lane per
thread, each a list of ``[start, end]`` intervals (seconds) per marker name. The format is the
Firefox Profiler's, so it is read defensively: unknown marker names are kept, and a missing field is
a ``ValueError`` naming it. :mod:`utils.engine.gil_profile` runs the profiler.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from utils.engine import environment
from utils.engine.plaindata import PlainData

#: The markers the profiler writes about threads; other names found in a file are kept too.
GIL_MARKERS = ("Has GIL", "Waiting for GIL", "No GIL", "On CPU", "Off CPU", "Python Code", "Native Code")

FREE_THREADED_NOTE = (
    "free-threaded build: there is no GIL to hold; 'Has GIL' marks a thread attached to "
    "the interpreter (running Python), and no thread waits for it"
)


@dataclass
class GilProfile(PlainData, environment.MadeOn):
    """Per-thread marker intervals of one profiled run (or why there is none); plain, JSON-serialisable data.

    ``lanes[i]`` maps each marker name to its ``[[start, end], ...]`` in seconds from the first
    marker of the worker threads; ``spans[i]`` is thread ``i``'s first and last marker time there.
    ``python``, ``free_threaded`` and ``cpu_count`` (usable CPUs) describe the profiled interpreter;
    :mod:`utils.engine.gil_profile` fills them with ``GilProfile.made_on(...)``. A file read by
    :func:`parse_gecko` alone does not say them: the CPU count in its ``meta`` is the machine's
    (``os.cpu_count()``), kept as ``extra["logical_cpus"]``.
    """

    available: bool
    reason: str = ""
    workload: str = ""
    threads: int = 0
    size: int = 0
    switch_interval: float | None = None
    python: str = ""
    interpreter: str = ""
    free_threaded: bool = False
    cpu_count: int = 1
    wall: float = 0.0
    names: list[str] = field(default_factory=list)
    tids: list[int] = field(default_factory=list)
    spans: list[list[float]] = field(default_factory=list)
    lanes: list[dict[str, list[list[float]]]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def seconds(self, thread: int, marker: str) -> float:
        """Seconds lane ``thread`` spent in ``marker`` (overlapping intervals counted once)."""
        return sum(e - s for s, e in _merge(self.lanes[thread].get(marker, [])))

    def share(self, thread: int, marker: str) -> float:
        """Fraction of lane ``thread``'s observed time spent in ``marker`` (0 to 1)."""
        start, end = self.spans[thread]
        return self.seconds(thread, marker) / (end - start) if end > start else 0.0

    def summary(self) -> list[dict[str, Any]]:
        """Per lane: the thread's name and the shares of its time holding the GIL, waiting for it, off-CPU."""
        return [
            {
                "thread": name,
                "held": self.share(i, "Has GIL"),
                "waiting": self.share(i, "Waiting for GIL"),
                "off_cpu": self.share(i, "Off CPU"),
            }
            for i, name in enumerate(self.names)
        ]

    def overlap(self, marker: str = "Has GIL") -> float:
        """Fraction of the wall time during which two or more threads were in ``marker`` at once."""
        spans = [span for lane in self.lanes for span in _merge(lane.get(marker, []))]
        events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
        count, last, together = 0, 0.0, 0.0
        for when, change in events:
            together += when - last if count >= 2 else 0.0
            count, last = count + change, when
        return together / self.wall if self.wall > 0 else 0.0

    def handovers(self) -> int:
        """How many times the GIL went from one lane's thread to another's (as :func:`utils.lessons.gil_internals.handovers`)."""
        spans = sorted((s, i) for i, lane in enumerate(self.lanes) for s, _ in _merge(lane.get("Has GIL", [])))
        return sum(1 for (_, before), (_, after) in itertools.pairwise(spans) if before != after)

    def describe(self) -> str:
        """What was profiled and the per-thread shares, or why there is no profile."""
        if not self.available:
            return self.reason
        lines = [f"{self.workload} x {self.threads} threads ({caption(self)}), {self.wall * 1000:.0f} ms profiled"]
        lines += [
            f"  {row['thread']:<10} held the GIL {row['held']:4.0%}, waited for it {row['waiting']:4.0%}, "
            f"off-CPU {row['off_cpu']:4.0%}"
            for row in self.summary()
        ]
        return "\n".join(lines + ([f"  ({FREE_THREADED_NOTE})"] if self.free_threaded else []))


def _merge(spans: list[list[float]]) -> list[list[float]]:
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _times(lane: dict[str, list[list[float]]]) -> list[float]:
    return [t for spans in lane.values() for span in spans for t in span]


def _need(mapping: dict, key: str, where: str, kind: type) -> Any:
    if key not in mapping:
        raise ValueError(f"Gecko profile: {where} has no {key!r} field")
    if not isinstance(mapping[key], kind):
        raise ValueError(f"Gecko profile: {where}.{key} is a {type(mapping[key]).__name__}, not a {kind.__name__}")
    return mapping[key]


def parse_gecko(
    source: dict | str | os.PathLike, *, names: dict[int, str] | None = None, include_main: bool | None = None
) -> GilProfile:
    """Read a Gecko profile (a dict, or the path of its JSON file) into a :class:`GilProfile`.

    Interval markers are kept under their names, known or not; instant ones (``phase`` 0) are skipped.
    Threads are named by ``names`` (native thread id -> name), else ``main`` or as the file names
    them, main thread first, then by thread id (start order on Linux). Times count from the other
    threads' first marker (the start-up is cut off), and a finished thread's last state ends at its
    last sample. ``include_main=None`` keeps the main thread only if it held the GIL 5 % of its time
    or more. A missing or mistyped field raises ValueError naming it.
    """
    if isinstance(source, (str, os.PathLike)):
        try:
            source = json.loads(Path(source).read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read a Gecko profile from {os.fspath(source)!r}: {exc}") from None
    if not isinstance(source, dict):
        raise TypeError(f"source must be a dict or a path, not {type(source).__name__}")
    if names is not None and not isinstance(names, dict):
        raise TypeError(f"names must be a dict of thread id -> name, not {type(names).__name__}")
    names = {int(tid): str(name) for tid, name in (names or {}).items()}
    shared = source.get("shared") if isinstance(source.get("shared"), dict) else {}
    rows = []
    for index, thread in enumerate(_need(source, "threads", "the profile", list)):
        where = f"threads[{index}]"
        if not isinstance(thread, dict):
            raise ValueError(f"Gecko profile: {where} is a {type(thread).__name__}, not an object")
        strings = thread.get("stringArray", shared.get("stringArray"))
        if not isinstance(strings, list):
            raise ValueError(f"Gecko profile: the profile has no 'shared.stringArray' field (nor {where})")
        markers = _need(thread, "markers", where, dict)
        columns = [_need(markers, key, f"{where}.markers", list) for key in ("name", "startTime", "endTime")]
        columns.append(markers.get("phase") or [1] * len(columns[0]))
        if len({len(column) for column in columns}) != 1:
            raise ValueError(f"Gecko profile: the columns of {where}.markers have different lengths")
        lane: dict[str, list[list[float]]] = {}
        for i, (name, start, end, phase) in enumerate(zip(*columns)):
            if phase == 0 or start is None or end is None:
                continue  # an instant marker, or an interval left open
            if not (isinstance(name, int) and 0 <= name < len(strings)):
                raise ValueError(f"Gecko profile: {where}.markers.name[{i}]={name!r} is not in the string table")
            if not all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in (start, end)):
                raise ValueError(f"Gecko profile: {where}.markers.startTime/endTime[{i}] is not a number of ms")
            lane.setdefault(str(strings[name]), []).append([float(start), float(end)])
        tid = thread.get("tid")
        tid = int(tid) if isinstance(tid, (int, str)) and str(tid).isdigit() else index
        main = bool(thread.get("isMainThread", False))
        seen = thread["samples"].get("time") if isinstance(thread.get("samples"), dict) else None
        seen = max((t for t in seen if isinstance(t, (int, float))), default=None) if isinstance(seen, list) else None
        rows.append([not main, tid, names.get(tid) or ("main" if main else str(thread.get("name", tid))), lane, seen])
    end = max((e for row in rows for spans in row[3].values() for _, e in spans), default=0.0)
    for row in rows:  # the profiler closes every open state at the very end, also a finished thread's
        if row[4] is not None and row[4] < end:
            row[3] = {
                k: [[s, row[4] if e == end else e] for s, e in v if s < row[4] or e < end] for k, v in row[3].items()
            }
    rows = sorted((row for row in rows if row[3]), key=lambda row: row[:2])
    times = [t for row in rows if row[0] for t in _times(row[3])] or [t for row in rows for t in _times(row[3])]
    low, high = min(times, default=0.0), max(times, default=0.0)
    kept = []
    for not_main, tid, label, lane, _ in rows:
        lane = {
            k: [[(max(s, low) - low) / 1000, (min(e, high) - low) / 1000] for s, e in v if e > low and s < high]
            for k, v in lane.items()
        }
        lane = {k: v for k, v in lane.items() if v}
        flat = _times(lane)
        held = sum(e - s for s, e in _merge(lane.get("Has GIL", [])))
        if flat and (not_main or include_main or (include_main is None and held >= 0.05 * (max(flat) - min(flat)))):
            kept.append((tid, label, [min(flat), max(flat)], lane))
    meta = source.get("meta") if isinstance(source.get("meta"), dict) else {}
    return GilProfile(
        available=True,
        threads=sum(1 for row in rows if row[0]),
        wall=(high - low) / 1000,
        names=[k[1] for k in kept],
        tids=[k[0] for k in kept],
        spans=[k[2] for k in kept],
        lanes=[k[3] for k in kept],
        extra={
            **{key: meta[key] for key in ("version", "interval", "importedFrom") if key in meta},
            **({"logical_cpus": meta["logicalCPUs"]} if isinstance(meta.get("logicalCPUs"), int) else {}),
        },
    )


def caption(profile: GilProfile) -> str:
    """ "Python 3.15.2, standard build, 2 CPUs": where a profile ran."""
    build = "free-threaded build" if profile.free_threaded else "standard build"
    return f"Python {profile.python or '?'}, {build}, {profile.cpu_count} CPUs"
