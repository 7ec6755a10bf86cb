"""Differential fuzzing of the C accelerator: mutated JSON Lines logs, judged by the C scanner and by the
Python reader, must get the same reports (optional; pytest does not collect it).

It mutates the shipped JSON Lines logs and a few bodies line by line (bytes deleted, replaced, copied,
JSON tokens inserted) and stops at the first log on which the two paths disagree, saving it as
``diff-N.jsonl`` in the current directory. Run it against a build with AddressSanitizer and
UndefinedBehaviorSanitizer to catch memory errors too::

    gcc -shared -fPIC -O1 -g -fsanitize=address,undefined $(python3-config --includes) \\
        jobfsm/_speedups.c -o jobfsm/_speedups$(python3-config --extension-suffix)
    LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \\
        ASAN_OPTIONS=detect_leaks=0 python fuzz/diff_speedups.py --seconds 600

(then ``pip install -e .`` again for the normal build).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_speedups import feed  # noqa: E402  (the tests' own feeding of a log to both paths)

from jobfsm import Options  # noqa: E402
from jobfsm.stream import ACCELERATED  # noqa: E402

TOKENS = [b'"', b"\\", b"{", b"}", b"[", b"]", b",", b":", b" ", b"\r", b"\x00", b"\xff", b"-", b"e", b"1", b".",
          b"null", b"true", b'"status"', b'"job"', b'"percentageComplete"', b'"resourceId"', b"\\u0041", b"1e400",
          b"-0"]
BODIES = [b'{"job":"a","status":"inProgress","percentageComplete":12.5,"operation":"ItemCopy"}',
          b'{"job":"a","status":"completed","resourceId":"01X","percentageComplete":100}',
          b'{"job":"b","status":"waiting","error":{"code":"x","details":[1,2,{"y":null}]}}']


def mutated(rng: random.Random, seeds: list[bytes]) -> bytes:
    """A log of 1 to 12 seed lines, each changed 0 to 4 times."""
    lines = [bytearray(rng.choice(seeds)) for _ in range(rng.randint(1, 12))]
    for line in lines:
        for _ in range(rng.randint(0, 4)):
            op, i = rng.randrange(4), rng.randrange(len(line) + 1)
            if op == 0 and line:
                del line[min(i, len(line) - 1)]
            elif op == 1:
                line[i:i] = rng.choice(TOKENS)
            elif op == 2 and line:
                line[min(i, len(line) - 1)] = rng.randrange(256)
            else:
                line[i:i] = line[rng.randrange(len(line) + 1):][:rng.randint(0, 20)]
    return b"\n".join(bytes(line) for line in lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not ACCELERATED:
        print("jobfsm._speedups is not built: nothing to compare", file=sys.stderr)
        return 2
    seeds = [line for path in [*ROOT.glob("examples/*.jsonl"), *ROOT.glob("tests/data/**/*.jsonl")]
             for line in path.read_bytes().split(b"\n") if line.strip()] + BODIES
    rng = random.Random(args.seed)
    deadline, n = time.monotonic() + args.seconds, 0
    while time.monotonic() < deadline:
        data = mutated(rng, seeds)
        options, window = Options(rng.choice(["sampled", "strict"]), rng.random() < 0.3), rng.randint(1, 3)
        if feed(data, True, options=options, window=window) != feed(data, False, options=options, window=window):
            Path(f"diff-{n}.jsonl").write_bytes(data)
            print(f"the C and Python paths disagree on diff-{n}.jsonl", file=sys.stderr)
            return 1
        n += 1
    print(f"{n} logs, no disagreement")
    return 0


if __name__ == "__main__":
    sys.exit(main())
