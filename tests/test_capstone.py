import math
import sys

import pytest

from utils.engine.environment import gil_enabled, where_it_ran
from utils.engine.isolation import isolated
from utils.lessons import capstone, free_threaded
from utils.lessons.capstone import (
    STAGES,
    PipelineResult,
    StageRun,
    check_plan,
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


def test_the_capstone_reports_where_it_ran_as_the_course_does(pipeline):
    ran, here = pipeline.ran_on, where_it_ran()  # the same Python, in a fresh worker
    assert (ran.python, ran.free_threaded, ran.usable_cpus) == (here.python, here.free_threaded, here.usable_cpus)
    assert pipeline.cpu_count == here.usable_cpus, "cpu_count means usable CPUs"


def test_the_import_probe_is_lesson_12s_one():
    # Issue 13: one probe of imports and the GIL; lesson 13 imports it from here.
    assert capstone.gil_after_imports is free_threaded.gil_after_imports
    assert capstone.ImportReport is free_threaded.ImportReport
