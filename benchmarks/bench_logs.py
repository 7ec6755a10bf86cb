"""Benchmark ``jobfsm validate`` on large JSON Lines logs against bare decoding, in one run (a script, not a test).

Targets (issue 5), each measured as a separate process so that time and peak memory are the command's own:
  * at least 1,000,000 polls per second on one core;
  * at most 1.5x the time of bare decoding of the same file with the fastest decoder the project uses
    (msgspec, into plain dicts, in the reader's block size); the standard library's json is shown too;
  * peak memory at most 150 MB on the largest (about 1 GB) log;
  * cost linear in size: the throughput on the largest log within 25% of the smallest.

Usage: python benchmarks/bench_logs.py [--sizes 1000000,3000000,10000000] [--repeat 3] [--keep DIR] [--no-targets]
Exit status 1 when a target is missed (unless --no-targets).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import print_targets, write_log

DECODE = {
    "msgspec": """
import sys, msgspec
from typing import Any
from jobfsm.readers import BLOCK
dec = msgspec.json.Decoder(Any)
n, carry = 0, b""
with open(sys.argv[1], "rb") as f:
    while chunk := f.read(BLOCK):
        chunk = carry + chunk
        cut = chunk.rfind(b"\\n") + 1
        carry = chunk[cut:]
        n += len(dec.decode_lines(chunk[:cut]))
print(n)
""",
    "json": """
import sys, json
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
        n += 1
print(n)
""",
}


# Each measured command runs under this wrapper, which reports the process's own peak memory: the
# kernel's ru_maxrss of a child also counts what its parent held when it forked.
PEAK = """
import runpy, sys
def peak():
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
sys.argv = sys.argv[1:]
try:
    if sys.argv[0] == "-m":
        sys.argv = sys.argv[1:]
        runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
    else:
        code, sys.argv = sys.argv[1], ["-c", *sys.argv[2:]]
        exec(compile(code, "<bench>", "exec"), {"__name__": "__main__"})
finally:
    sys.stderr.write(f"\\npeak-mb {peak():.1f}\\n")
"""


def run(argv: list[str], *, keep_output: bool) -> tuple[float, float, str]:
    """Wall time in seconds, peak resident memory in MB and (when kept) standard output of one process
    (``argv`` without the interpreter: ``-m module ...`` or ``-c code ...``); only jobfsm may exit 1 (violations)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK, *argv], stdout=subprocess.PIPE if keep_output else
                          subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    err = proc.stderr.decode(errors="replace")
    if proc.returncode not in ((0, 1) if argv[:2] == ["-m", "jobfsm"] else (0,)) or "peak-mb " not in err:
        raise SystemExit(f"{' '.join(argv[:4])}: exit {proc.returncode}: {err.strip()}")
    peak = float(err.rsplit("peak-mb ", 1)[1].split()[0])
    return elapsed, peak, proc.stdout.decode() if keep_output else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,3000000,10000000", help="polls per log, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure; the best is kept")
    parser.add_argument("--keep", metavar="DIR", help="write (and reuse) the logs here instead of a temporary folder")
    parser.add_argument("--no-targets", action="store_true", help="report only; never fail")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    jobfsm = ["-m", "jobfsm", "validate", "--quiet"]
    from jobfsm.stream import ACCELERATED

    print(f"jobfsm validate, {'with' if ACCELERATED else 'WITHOUT'} the C accelerator; best of {args.repeat}; "
          "each measure a process of its own")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            log = folder / f"polls-{n}.jsonl"
            if not log.exists():
                write_log(log, n, random.Random(n))
            size = log.stat().st_size
            cmds = {"jobfsm": [*jobfsm, str(log)], "jobfsm-json": ["-m", "jobfsm", "validate", "--format", "json",
                                                                   str(log)],
                    "msgspec": ["-c", DECODE["msgspec"], str(log)], "json": ["-c", DECODE["json"], str(log)]}
            best: dict[str, tuple[float, float]] = {}
            for _ in range(args.repeat):
                for name, argv in cmds.items():  # taking turns, so that a slow spell hits all of them
                    elapsed, peak, out = run(argv, keep_output=name == "jobfsm")
                    if name == "jobfsm":
                        last = out.strip().splitlines()[-1]
                        if f"{n} polls" not in last.replace(",", ""):
                            raise SystemExit(f"jobfsm did not count {n} polls: {last}")
                    prev = best.get(name)
                    best[name] = (min(elapsed, prev[0]) if prev else elapsed, max(peak, prev[1]) if prev else peak)
            rows.append((n, size, best))
            _t, peak = best["jobfsm"]
            print(f"{n:>11,} polls, {size / 1e6:7.1f} MB")
            for name, label in (("jobfsm", "jobfsm validate --quiet"), ("jobfsm-json", "jobfsm validate --format json"),
                                ("msgspec", "bare decode, msgspec"), ("json", "bare decode, json (stdlib)")):
                tt, pk = best[name]
                print(f"  {label:30s} {tt:8.2f} s  {n / tt / 1e6:6.2f} M polls/s  peak {pk:7.1f} MB")
            if not args.keep:
                log.unlink()

    n0, _, b0 = rows[0]
    n1, _, b1 = rows[-1]
    rate0, rate1 = n0 / b0["jobfsm"][0], n1 / b1["jobfsm"][0]
    results = [
        ("throughput on the largest log (M polls/s)", rate1 / 1e6, 1.0, ">="),
        ("time over bare msgspec decoding, largest log", b1["jobfsm"][0] / b1["msgspec"][0], 1.5, "<="),
        ("peak memory on the largest log (MB)", b1["jobfsm"][1], 150.0, "<="),
        ("throughput largest / smallest (linear: 1.0)", rate1 / rate0, 0.75, ">="),
        ("time over bare stdlib json decoding, largest log", b1["jobfsm"][0] / b1["json"][0], 0.0, "info"),
    ]
    return 1 if print_targets(results) and not args.no_targets else 0

if __name__ == "__main__":
    sys.exit(main())
