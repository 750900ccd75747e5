import json

from utils.engine import bench


def test_benchmark_reports_every_pair_without_asserting(capsys):
    assert bench.main(["--quick", "--json", "--workload", "sleep", "--executor", "threads"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["workload"], r["executor"]) for r in report["results"]] == [
        ("sleep", "sequential"),
        ("sleep", "threads"),
    ]
    assert report["results"][0]["speedup"] == 1.0
    assert report["ideal_parallelism"] == report["python"]["usable_cpus"]
    assert report["harness_overhead_seconds"] > 0 and report["timeit"]["ratio"] > 0


def test_table_lists_unavailable_executors_plainly():
    report = bench.benchmark(["sleep"], ["sequential", "interpreters"], quick=True)
    table = bench.format_table(report)
    assert "sleep" in table and "Agreement with timeit" in table
    if not report["results"][1]["available"]:
        assert "not available on this Python" in table
