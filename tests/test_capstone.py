import math
import sys

import pytest

from utils.engine.environment import find_free_threaded_python, free_threaded_build, gil_enabled
from utils.engine.isolation import isolated
from utils.lessons.capstone import (
    STAGES,
    ImportReport,
    PipelineResult,
    StageRun,
    check_plan,
    gil_after_imports,
    parse_records,
    run_pipeline,
    run_stage_task,
)

GOOD = {"fetch": "threads", "hash": "threads", "parse": "processes"}


def test_parse_records_counts_what_it_parses():
    # Prices cycle through (i * 37) % 10000 / 100: exactly those above 50 are counted.
    assert parse_records(1000) == sum(1 for i in range(1000) if (i * 37) % 10_000 / 100 > 50)
    with pytest.raises(ValueError):
        parse_records(0)
    with pytest.raises(TypeError):
        parse_records("10")


@pytest.mark.parametrize(
    "plan, error",
    [
        (["threads"], TypeError),
        ({"fetch": "threads"}, ValueError),
        ({**GOOD, "extra": "threads"}, ValueError),
        ({**GOOD, "parse": "gpu"}, ValueError),
    ],
)
def test_bad_plans_are_rejected_with_a_clear_error(plan, error):
    with pytest.raises(error):
        check_plan(plan)
    with pytest.raises(error):
        run_pipeline(plan)


def test_check_plan_puts_the_stages_in_pipeline_order():
    assert list(check_plan(dict(reversed(list(GOOD.items()))))) == list(STAGES)


def test_stage_tasks_report_their_cpu_time_and_reject_unknown_stages():
    for stage, size in (("hash", 1), ("parse", 100)):
        cpu = run_stage_task(stage, size)
        assert isinstance(cpu, float) and math.isfinite(cpu)
    with pytest.raises(ValueError, match="address"):
        run_stage_task("fetch", 1)
    with pytest.raises(ValueError, match="stage"):
        run_stage_task("render", 1)


@pytest.fixture(scope="module")
def pipeline() -> PipelineResult:
    return isolated(run_pipeline, GOOD, 2, tasks=2, repeat=2, timeout=60)


def test_pipeline_measures_plan_and_baseline_in_the_same_run(pipeline):
    assert isinstance(pipeline, PipelineResult) and pipeline.plan == GOOD
    assert [s.stage for s in pipeline.stages] == [s.stage for s in pipeline.baseline_stages] == list(STAGES)
    assert [s.executor for s in pipeline.stages] == list(GOOD.values())
    assert {s.executor for s in pipeline.baseline_stages} == {"sequential"}
    for run in pipeline.stages + pipeline.baseline_stages:
        assert isinstance(run, StageRun) and len(run.wall_times) == len(run.cpu_times) == 2
    # The totals are the sums of the stages, repeat by repeat.
    for i in range(2):
        assert math.isclose(pipeline.wall_times[i], sum(s.wall_times[i] for s in pipeline.stages))
        assert math.isclose(pipeline.baseline_walls[i], sum(s.wall_times[i] for s in pipeline.baseline_stages))
    assert math.isclose(pipeline.speedup, pipeline.baseline_wall / pipeline.wall)
    assert pipeline.python == ".".join(map(str, sys.version_info[:3])) and pipeline.gil_enabled == gil_enabled()


def test_waiting_overlaps_on_threads_whatever_the_load(pipeline):
    # 2 fetch tasks mostly wait on the server's 5 ms replies: threads overlap them on a busy machine too.
    fetch, alone = pipeline.stage("fetch"), pipeline.stage("fetch", baseline=True)
    assert alone.wall / fetch.wall > 1.3, pipeline.summary()
    assert fetch.parallelism < 0.5, "fetching waits: little CPU time"
    with pytest.raises(ValueError):
        pipeline.stage("render")


def test_summary_shows_every_stage_and_the_total(pipeline):
    lines = pipeline.summary().splitlines()
    assert len(lines) == 2 + len(STAGES)
    assert f"speedup {pipeline.speedup:.2f}x" in lines[-1]
    assert all(stage in line for stage, line in zip(STAGES, lines[1:]))


def test_a_result_round_trips_as_plain_data(pipeline):
    assert PipelineResult.from_dict(pipeline.to_dict()) == pipeline


def test_gil_after_imports_on_this_python():
    report = gil_after_imports(["json", "no_such_module_here"])
    assert report.modules == ["json", "no_such_module_here"] and len(report.gil_after) == 2
    assert "no_such_module_here" in report.errors and "json" not in report.errors
    assert report.free_threaded == free_threaded_build()
    if not free_threaded_build():
        assert report.gil_at_start and report.gil_enabled and report.culprit is None
        assert "standard build" in report.describe()


@pytest.mark.parametrize(
    "modules, error", [("json", TypeError), ([], ValueError), (["no such"], ValueError), ([3], ValueError)]
)
def test_gil_after_imports_rejects_bad_module_lists(modules, error):
    with pytest.raises(error):
        gil_after_imports(modules)


def test_culprit_is_the_first_import_that_switched_the_gil_on():
    report = ImportReport("3.13.5", True, ["json", "ext", "other"], False, [False, True, True])
    assert report.culprit == "ext" and report.gil_enabled and "importing ext switched the GIL on" in report.describe()
    assert ImportReport("3.13.5", True, ["json"], False, [False]).culprit is None


def test_gil_after_imports_on_a_free_threaded_interpreter():
    python = find_free_threaded_python()
    if python is None:
        pytest.skip("no free-threaded interpreter found")
    report = isolated(gil_after_imports, ["json", "hashlib", "socket", "utils.lessons.capstone"], python=python)
    assert report.free_threaded and not report.gil_at_start
    assert report.gil_after == [False] * 4 and report.culprit is None, report
    assert "the GIL stayed off" in report.describe()
