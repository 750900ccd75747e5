"""Benchmark: the canonical experiments side by side. It reports; it does not assert.

    python -m utils.engine.bench            # a table
    python -m utils.engine.bench --json     # the same as JSON
    python -m utils.engine.bench --quick    # smaller sizes, one repeat (a smoke test)

For each workload and executor: median wall time and its spread, speedup over sequential,
and effective parallelism (CPU time / wall time) against the ideal (the usable CPU count);
then the timing harness's own overhead and its agreement with ``timeit``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from utils.engine import environment
from utils.engine.executors import EXECUTORS, compare
from utils.engine.timing import agreement_with_timeit, harness_overhead
from utils.engine.workloads import WORKLOADS


def benchmark(
    workloads: list[str] | None = None, executors: list[str] | None = None, *, quick: bool = False
) -> dict[str, Any]:
    """Run the benchmark; return plain data (see :func:`format_table`)."""
    info = environment.python_info()
    workers = max(2, info.usable_cpus)
    rows = []
    for name in workloads or list(WORKLOADS):
        size = max(1, WORKLOADS[name].default_size // 4) if quick else None
        results = compare(name, executors or list(EXECUTORS), workers, size=size, repeat=1 if quick else 3)
        baseline = next((r for r in results if r.executor == "sequential"), results[0])
        for result in results:
            row = result.to_dict()
            row.pop("task_spans")
            row.update(
                wall=result.wall,
                spread=result.spread,
                parallelism=result.parallelism,
                speedup=result.speedup_over(baseline),
            )
            rows.append(row)
    agreement = agreement_with_timeit(repeat=5 if quick else 7)
    return {
        "python": info.to_dict(),
        "workers": workers,
        "ideal_parallelism": info.usable_cpus,
        "results": rows,
        "harness_overhead_seconds": harness_overhead(repeat=5 if quick else 20),
        "timeit": {
            "statement": agreement.statement,
            "measure": agreement.measure_median,
            "timeit": agreement.timeit_median,
            "ratio": agreement.ratio,
        },
    }


def format_table(report: dict[str, Any]) -> str:
    """The report as a text table for people."""
    py = report["python"]
    lines = [
        f"Python {py['version']} ({'free-threaded' if py['free_threaded_build'] else 'standard'} build, "
        f"GIL {'on' if py['gil_enabled'] else 'off'}), {py['usable_cpus']} usable CPUs, "
        f"{report['workers']} workers; ideal effective parallelism = {report['ideal_parallelism']}",
        "",
        f"{'workload':<10} {'executor':<20} {'wall (s)':>9} {'spread':>7} {'speedup':>8} {'eff. par.':>9}",
    ]
    for row in report["results"]:
        label = row["executor"] + (f" ({row['start_method']})" if row["start_method"] else "")
        if not row["available"]:
            lines.append(f"{row['workload']:<10} {label:<20} not available on this Python")
            continue
        lines.append(
            f"{row['workload']:<10} {label:<20} {row['wall']:9.3f} {row['spread']:7.0%} "
            f"{row['speedup']:7.2f}x {row['parallelism']:9.2f}"
        )
    t = report["timeit"]
    lines += [
        "",
        f"Timing harness overhead: {report['harness_overhead_seconds'] * 1e9:.0f} ns per call",
        f"Agreement with timeit on {t['statement']}: measure/timeit = {t['ratio']:.3f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m utils.engine.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and one repeat")
    parser.add_argument("--workload", action="append", choices=list(WORKLOADS), help="only this workload (repeatable)")
    parser.add_argument("--executor", action="append", choices=list(EXECUTORS), help="only this executor (repeatable)")
    args = parser.parse_args(argv)
    executors = args.executor
    if executors and "sequential" not in executors:
        executors = ["sequential", *executors]  # the baseline for speedups
    report = benchmark(args.workload, executors, quick=args.quick)
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
