"""Pins jobfsm.serve (`jobfsm serve`): its options, its verdict and exit codes, and how its server copes with
clients that misbehave on the wire."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

RUN = [sys.executable, "-m", "jobfsm", "serve"]


def get(url: str) -> int:
    """One GET; its HTTP code."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code


def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGTERM, then what it printed on standard output and standard error."""
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    return out, err


def test_a_reader_that_leaves_keeps_the_verdict() -> None:
    """`jobfsm serve ... | head -1`: the reader leaves after the URL, a client fails the check, the exit code
    still says so (1), with nothing on standard error."""
    read, write = os.pipe()
    proc = subprocess.Popen([*RUN, "--poll-limit", "2", "notStarted", "failed"], stdout=write,
                            stderr=subprocess.PIPE, text=True)
    os.close(write)
    with os.fdopen(read) as head:
        url = head.readline().split()[1]  # then the reader goes away, as head -1 does
    try:
        assert [get(url) for _ in range(3)] == [202, 200, 503]
    finally:
        _, err = stop(proc)
    assert (proc.returncode, err) == (1, "")
