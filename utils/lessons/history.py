"""The GIL's history as data, as a Markdown table, and as a timeline figure (lesson 01).

Every event carries the source it comes from (a CPython file, a docs page, a PEP, a talk or a
post), so that the timeline can be checked. Events shipped in a CPython release also carry that
release's version, so a lesson can ask which of them the running interpreter includes.

Importing this module imports neither matplotlib nor anything else heavy: ``plot_history``
imports matplotlib when it is called.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from utils.engine.validation import check_version

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The kinds of event, with the words the timeline's legend uses for them.
KINDS: dict[str, str] = {
    "release": "in a CPython release",
    "attempt": "attempt to remove the GIL",
    "debate": "decision or debate",
}

#: Marker colour and shape per kind (colour-blind-safe colours, and shapes as a second cue).
_STYLE: dict[str, tuple[str, str]] = {
    "release": ("#0072B2", "o"),
    "attempt": ("#D55E00", "s"),
    "debate": ("#009E73", "D"),
}

#: Years a Python history can sensibly hold (Python's first public release was in 1991).
_FIRST_YEAR, _LAST_YEAR = 1989, 2100


@dataclass(frozen=True)
class HistoryEvent:
    """One event in the GIL's history.

    ``year`` is the year the event happened (for a feature, the year of the CPython release
    that shipped it); ``label`` says what happened in a few words; ``source`` names where that
    is documented and ``url`` links to it; ``kind`` is a key of :data:`KINDS`; ``python`` is
    the ``(major, minor)`` CPython release that shipped the event, or None if no release did.
    """

    year: int
    label: str
    source: str
    url: str
    kind: str
    python: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise TypeError(f"year must be an int, not {type(self.year).__name__}")
        if not _FIRST_YEAR <= self.year <= _LAST_YEAR:
            raise ValueError(f"year {self.year} is outside {_FIRST_YEAR}..{_LAST_YEAR}")
        for name in ("label", "source", "url", "kind"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, not {type(value).__name__}")
            if not value.strip():
                raise ValueError(f"{name} must not be empty (event of {self.year})")
        if not self.url.startswith("https://"):
            raise ValueError(f"url must be an https:// link, got {self.url!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        if self.python is not None and not (
            isinstance(self.python, tuple)
            and len(self.python) == 2
            and all(isinstance(part, int) and not isinstance(part, bool) for part in self.python)
        ):
            raise TypeError(f"python must be None or a (major, minor) tuple of ints, got {self.python!r}")


_PEP703 = "https://peps.python.org/pep-0703/"

#: The events of the GIL's history, oldest first.
EVENTS: tuple[HistoryEvent, ...] = (
    HistoryEvent(
        1992,
        "Threads arrive (Python 0.9.7 beta), serialised by one global lock",
        "CPython Misc/HISTORY, release 0.9.7beta (thread module; BGN_SAVE/END_SAVE)",
        "https://github.com/python/cpython/blob/main/Misc/HISTORY",
        "release",
    ),
    HistoryEvent(
        1996,
        "Greg Stein's free-threading patch (Python 1.4): about 2x slower single-threaded",
        "PEP 703, 'Greg Stein's Free-Threading Patch'; slowdown: G. van Rossum (2007)",
        _PEP703 + "#greg-stein-s-free-threading-patch",
        "attempt",
    ),
    HistoryEvent(
        2007,
        "Guido van Rossum: removal only if single-threaded code gets no slower",
        "G. van Rossum, 'It isn't Easy to Remove the GIL', artima, 10 Sep 2007",
        "https://www.artima.com/weblogs/viewpost.jsp?thread=214235",
        "debate",
    ),
    HistoryEvent(
        2011,
        "Python 3.2: Antoine Pitrou's new GIL switches threads every 5 ms",
        "What's New in Python 3.2, 'Multi-threading'; Python/ceval_gil.c",
        "https://docs.python.org/3.14/whatsnew/3.2.html#multi-threading",
        "release",
        (3, 2),
    ),
    HistoryEvent(
        2016,
        "Larry Hastings' Gilectomy: the GIL removed, but CPython much slower",
        "PEP 703, 'Gilectomy'; L. Hastings, 'The Gilectomy', PyCon US 2016",
        "https://github.com/larryhastings/gilectomy",
        "attempt",
    ),
    HistoryEvent(
        2020,
        "Python 3.9 removes sys.setcheckinterval (deprecated since 3.2)",
        "What's New in Python 3.9, 'Removed'",
        "https://docs.python.org/3.14/whatsnew/3.9.html#removed",
        "release",
        (3, 9),
    ),
    HistoryEvent(
        2021,
        "Sam Gross's nogil fork of Python 3.9 runs threads in parallel",
        "PEP 703, 'Reference Implementation'; github.com/colesbury/nogil",
        "https://github.com/colesbury/nogil",
        "attempt",
    ),
    HistoryEvent(
        2023,
        "Python 3.12: one GIL per interpreter, from the C API (PEP 684)",
        "PEP 684, 'A Per-Interpreter GIL'",
        "https://peps.python.org/pep-0684/",
        "release",
        (3, 12),
    ),
    HistoryEvent(
        2023,
        "Python 3.12: immortal objects, whose reference counts never change (PEP 683)",
        "PEP 683, 'Immortal Objects, Using a Fixed Refcount'",
        "https://peps.python.org/pep-0683/",
        "release",
        (3, 12),
    ),
    HistoryEvent(
        2023,
        "Steering Council accepts PEP 703: make the GIL optional, gradually",
        "PEP 703, 'Resolution' (acceptance, October 2023)",
        _PEP703,
        "debate",
    ),
    HistoryEvent(
        2024,
        "Python 3.13: experimental free-threaded build (python3.13t)",
        "What's New in Python 3.13, 'Free-threaded CPython'; PEP 703",
        "https://docs.python.org/3.13/whatsnew/3.13.html#free-threaded-cpython",
        "release",
        (3, 13),
    ),
    HistoryEvent(
        2025,
        "Python 3.14: free-threaded build supported, not the default (PEP 779)",
        "PEP 779, 'Criteria for supported status for free-threaded Python'",
        "https://peps.python.org/pep-0779/",
        "release",
        (3, 14),
    ),
    HistoryEvent(
        2025,
        "Python 3.14: concurrent.interpreters, one GIL per interpreter from Python (PEP 734)",
        "PEP 734, 'Multiple Interpreters in the Stdlib'",
        "https://peps.python.org/pep-0734/",
        "release",
        (3, 14),
    ),
)


def check_events(events: Iterable[HistoryEvent]) -> tuple[HistoryEvent, ...]:
    """Return ``events`` as a tuple after checking they are HistoryEvents, oldest first.

    Raises TypeError for anything that is not a HistoryEvent and ValueError for an empty
    sequence or one that is not sorted by year.
    """
    if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
        raise TypeError(f"events must be an iterable of HistoryEvent, not {type(events).__name__}")
    result = tuple(events)
    if not result:
        raise ValueError("events must not be empty")
    for event in result:
        if not isinstance(event, HistoryEvent):
            raise TypeError(f"every event must be a HistoryEvent, got {type(event).__name__}")
    years = [event.year for event in result]
    if years != sorted(years):
        raise ValueError(f"events must be sorted by year, oldest first; got years {years}")
    return result


def shipped_in(
    version: Sequence[int] | None = None, events: Iterable[HistoryEvent] = EVENTS
) -> tuple[HistoryEvent, ...]:
    """The events shipped in a CPython release up to ``version`` (default: the running Python).

    ``version`` is anything starting with (major, minor), such as ``sys.version_info``.
    """
    major_minor = check_version(version)
    return tuple(e for e in check_events(events) if e.python is not None and e.python <= major_minor)


def history_table_markdown(events: Iterable[HistoryEvent] = EVENTS) -> str:
    """The events as a Markdown table: year, what happened, and the linked source."""
    rows = ["| Year | What happened | Source |", "|---|---|---|"]
    for event in check_events(events):
        label = event.label.replace("|", "\\|")
        source = event.source.replace("|", "\\|").replace("[", "(").replace("]", ")")
        rows.append(f"| {event.year} | {label} | [{source}]({event.url}) |")
    return "\n".join(rows)


def plot_history(events: Iterable[HistoryEvent] = EVENTS, ax: Axes | None = None) -> Figure:
    """Draw the events as a timeline and return the matplotlib Figure.

    One row per event, oldest at the top; the x axis is the year. Each event gets one marker
    (colour and shape by kind) and one text label. Pass ``ax`` to draw into your own Axes;
    otherwise a new figure is made. The caller shows it (``plt.show()`` in a notebook).
    """
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes as _Axes

    if ax is not None and not isinstance(ax, _Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, not {type(ax).__name__}")
    events = check_events(events)
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 0.42 * len(events) + 1.6), layout="constrained")

    first, last = events[0].year, events[-1].year
    span = max(last - first, 1)
    middle = first + span / 2
    rows = [len(events) - 1 - index for index in range(len(events))]  # oldest at the top

    for kind, legend in KINDS.items():
        chosen = [index for index, event in enumerate(events) if event.kind == kind]
        if not chosen:
            continue
        colour, marker = _STYLE[kind]
        ax.scatter(
            [events[index].year for index in chosen],
            [rows[index] for index in chosen],
            s=60,
            color=colour,
            marker=marker,
            zorder=3,
            label=legend,
        )
    gap = span * 0.012
    for event, row in zip(events, rows):
        right = event.year <= middle  # early events: text to the right; late ones: to the left
        ax.annotate(
            f"{event.year}  {event.label}" if right else f"{event.label}  {event.year}",
            (event.year, row),
            xytext=(event.year + (gap if right else -gap), row),
            ha="left" if right else "right",
            va="center",
            fontsize=9,
        )
        ax.axhline(row, color="0.9", linewidth=0.8, zorder=1)

    ax.set_xlim(first - span * 0.05, last + span * 0.04)
    ax.set_ylim(-0.8, len(events) - 0.2)
    ax.set_yticks([])
    ax.set_xlabel("year")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="lower left", frameon=False, fontsize=9)
    ax.set_title(f"The GIL's history, {first}–{last}: one lock, and the attempts to remove it")
    return ax.figure
