"""utils.lessons.history: the GIL's timeline data, its table and its figure."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from utils.lessons import history
from utils.lessons.history import EVENTS, HistoryEvent


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def event(year=2000, **changes):
    fields = dict(year=year, label="something happened", source="a source", url="https://example.org/", kind="debate")
    fields.update(changes)
    return HistoryEvent(**fields)


# --- the data ---------------------------------------------------------------------------


def test_events_are_sorted_by_year_and_span_the_history():
    years = [e.year for e in EVENTS]
    assert years == sorted(years)
    assert years[0] == 1992, "the timeline starts when threads (and the lock) arrived"
    assert years[-1] >= 2025, "the timeline reaches the supported free-threaded build (3.14)"


def test_every_event_has_a_source_a_link_and_a_known_kind():
    for e in EVENTS:
        assert e.label.strip() and e.source.strip(), e
        assert e.url.startswith("https://"), e
        assert e.kind in history.KINDS, e
    assert {e.kind for e in EVENTS} == set(history.KINDS), "every kind is used, so the legend is complete"


def test_docs_links_name_the_version_whose_page_they_mean():
    """docs.python.org/3/ moves with each release (3.15 now); a pinned version keeps its anchors."""
    docs = [e.url for e in EVENTS if e.url.startswith("https://docs.python.org/")]
    assert docs, "the timeline links What's New pages"
    for url in docs:
        assert re.match(r"https://docs\.python\.org/3\.\d+/", url), url


def test_events_are_immutable_and_distinct():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EVENTS[0].year = 1990
    assert len({e.label for e in EVENTS}) == len(EVENTS)


def test_release_events_name_their_release_consistently():
    """A release event names the CPython version in its label; versions rise with the years."""
    releases = [e for e in EVENTS if e.python is not None]
    assert {e.python for e in releases} >= {(3, 2), (3, 9), (3, 12), (3, 13), (3, 14)}
    for e in releases:
        assert e.kind == "release"
        assert f"{e.python[0]}.{e.python[1]}" in e.label, e
    versions = [e.python for e in releases]
    assert versions == sorted(versions)


def test_key_facts_carry_the_right_sources():
    by_pep = {pep: [e for e in EVENTS if f"PEP {pep}" in e.source] for pep in (683, 684, 703, 734, 779)}
    assert all(by_pep.values()), {pep: len(found) for pep, found in by_pep.items()}
    assert [e.python for e in by_pep[684]] == [(3, 12)]
    assert [e.python for e in by_pep[683]] == [(3, 12)]
    assert {e.python for e in by_pep[779]} == {(3, 14)}
    assert {e.python for e in by_pep[734]} == {(3, 14)}


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"year": "2001"}, TypeError),
        ({"year": True}, TypeError),
        ({"year": 1066}, ValueError),
        ({"label": "  "}, ValueError),
        ({"source": ""}, ValueError),
        ({"source": None}, TypeError),
        ({"url": "http://example.org/"}, ValueError),
        ({"kind": "rumour"}, ValueError),
        ({"python": "3.12"}, TypeError),
        ({"python": (3, 12, 0)}, TypeError),
    ],
)
def test_bad_events_are_rejected(changes, error):
    with pytest.raises(error):
        event(**changes)


def test_check_events_rejects_unsorted_empty_and_foreign_items():
    with pytest.raises(ValueError, match="sorted"):
        history.check_events([event(2001), event(2000)])
    with pytest.raises(ValueError, match="empty"):
        history.check_events([])
    with pytest.raises(TypeError, match="HistoryEvent"):
        history.check_events([event(), "2001: something"])
    with pytest.raises(TypeError):
        history.check_events("1992 threads")
    assert history.check_events(iter(EVENTS)) == EVENTS


# --- what the running Python includes ----------------------------------------------------


def test_shipped_in_follows_the_version():
    assert history.shipped_in((3, 1)) == ()
    assert [e.python for e in history.shipped_in((3, 2))] == [(3, 2)]
    upto_313 = history.shipped_in((3, 13, 0, "final", 0))
    assert {e.python for e in upto_313} == {(3, 2), (3, 9), (3, 12), (3, 13)}
    assert len(history.shipped_in((3, 14))) == len([e for e in EVENTS if e.python])
    here = history.shipped_in()
    assert all(e.python <= sys.version_info[:2] for e in here)
    assert any(e.python == (3, 9) for e in here), "the course needs 3.10+, so 3.9's removal is always in"


@pytest.mark.parametrize("bad", ["3.12", (3,), 3.12, (3, "12")])
def test_shipped_in_rejects_bad_versions(bad):
    with pytest.raises(TypeError, match="major, minor"):
        history.shipped_in(bad)


# --- the table --------------------------------------------------------------------------


def test_table_has_one_row_per_event_with_a_linked_source():
    lines = history.history_table_markdown().splitlines()
    assert lines[0].startswith("| Year |") and set(lines[1]) <= set("|-")
    rows = lines[2:]
    assert len(rows) == len(EVENTS)
    for row, e in zip(rows, EVENTS):
        assert row.startswith(f"| {e.year} |")
        assert re.search(r"\]\(" + re.escape(e.url) + r"\) \|$", row), row
        assert row.count(" | ") == 2, "a label or source with '|' would break the table"


def test_table_escapes_pipes():
    row = history.history_table_markdown([event(label="a | b")]).splitlines()[2]
    assert "a \\| b" in row


# --- the figure -------------------------------------------------------------------------


def marker_count(ax):
    return sum(len(collection.get_offsets()) for collection in ax.collections)


def test_plot_has_one_marker_and_one_label_per_event_and_a_title():
    fig = history.plot_history()
    assert isinstance(fig, matplotlib.figure.Figure)
    (ax,) = fig.axes
    assert marker_count(ax) == len(EVENTS)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == len(EVENTS)
    for e in EVENTS:
        assert sum(e.label in t and str(e.year) in t for t in texts) == 1, e.label
    assert ax.get_title()
    assert str(EVENTS[0].year) in ax.get_title() and str(EVENTS[-1].year) in ax.get_title()
    assert ax.get_xlabel() == "year"


def test_plot_puts_markers_at_their_years_oldest_on_top():
    fig = history.plot_history()
    ax = fig.axes[0]
    points = sorted(
        (tuple(xy) for collection in ax.collections for xy in collection.get_offsets()),
        key=lambda xy: -xy[1],
    )
    assert [x for x, _ in points] == [e.year for e in EVENTS]
    low, high = ax.get_xlim()
    assert low < EVENTS[0].year and high > EVENTS[-1].year


def test_plot_legend_names_every_kind_present():
    ax = history.plot_history().axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(legend) == sorted(history.KINDS.values())
    only_debates = [e for e in EVENTS if e.kind == "debate"]
    ax2 = history.plot_history(only_debates).axes[0]
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == [history.KINDS["debate"]]
    assert marker_count(ax2) == len(only_debates)


def test_plot_draws_into_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    returned = history.plot_history(ax=right)
    assert returned is fig
    assert marker_count(right) == len(EVENTS) and marker_count(left) == 0


@pytest.mark.parametrize("bad", ["ax", 0, plt])
def test_plot_rejects_a_bad_ax(bad):
    with pytest.raises(TypeError, match="Axes"):
        history.plot_history(ax=bad)


def test_plot_rejects_bad_events():
    with pytest.raises(ValueError, match="sorted"):
        history.plot_history([event(2001), event(2000)])


def test_plot_of_one_event_works():
    ax = history.plot_history([event(2000)]).axes[0]
    assert marker_count(ax) == 1 and len(ax.texts) == 1


def test_importing_the_module_does_not_import_matplotlib():
    code = "import sys, utils.lessons.history; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"
