"""Pins that the benchmark scripts run end to end on small inputs (their figures are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "bench_core.py"
LOGS = SCRIPT.with_name("bench_logs.py")


def test_core_benchmark_runs_on_a_small_input() -> None:
    """bench_core.py measures every comparison and prints the target table (timings are not asserted)."""
    done = subprocess.run([sys.executable, str(SCRIPT), "--polls", "3000", "--repeat", "1", "--no-targets"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    names = [line.split("  ")[1].strip() for line in done.stdout.splitlines() if line.startswith("  ") and
             ("x  target" in line or "(for reference)" in line)]
    assert names == ["list: faster than transitions", "log: faster than transitions",
                     "log: time over bare dict decoding", "log: time over bare typed decoding",
                     "log, reports listed: time over dict decoding",
                     "long-job log: time over bare dict decoding", "trackers: cheaper than a machine per job"]


def test_log_benchmark_runs_on_small_logs(tmp_path: Path) -> None:
    """bench_logs.py times and measures the command and both bare decoders on each size (figures not asserted)."""
    done = subprocess.run([sys.executable, str(LOGS), "--sizes", "2000,4000", "--repeat", "1", "--no-targets",
                           "--keep", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    measured = [line.split("  ")[1].strip() for line in done.stdout.splitlines() if "M polls/s  peak" in line]
    assert measured == ["jobfsm validate --quiet", "jobfsm validate --format json", "bare decode, msgspec",
                        "bare decode, json (stdlib)"] * 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["polls-2000.jsonl", "polls-4000.jsonl"]
