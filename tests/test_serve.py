"""Pins jobfsm.serve (`jobfsm serve`): its options, its verdict and exit codes, and how its server copes with
clients that misbehave on the wire."""

from __future__ import annotations

import json
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


def serve(*argv: str) -> tuple[subprocess.Popen[str], str]:
    """Start `jobfsm serve` in a process; the process and the monitor URL it printed first (the rest of its
    banner read too)."""
    proc = subprocess.Popen([*RUN, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().split()[1]
    for _ in range(2):
        proc.stdout.readline()
    return proc, url


def poll(url: str) -> tuple[int, object]:
    """One GET that does not follow redirects: its code and the body's status."""
    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    try:
        with urllib.request.build_opener(Stay).open(url, timeout=10) as answer:
            return int(answer.status), json.loads(answer.read()).get("status")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, (json.loads(exc.read() or b"{}") or {}).get("status")


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


def test_aliases_are_served_as_written() -> None:
    """`jobfsm serve notStarted running completed` plays Graph's alias as written (it validates, so it is served)."""
    proc, url = serve("notStarted", "running", "completed")
    try:
        assert [poll(url) for _ in range(3)] == [(202, "notStarted"), (202, "running"), (303, "completed")]
    finally:
        out, err = stop(proc)
    assert (proc.returncode, err) == (0, "")
    assert out.splitlines() == [
        f"fake monitor job {url}: ok (final completed, 3 requests, 3 polls)",
        "  fake monitor:exchange 1: poll 1: info: status-alias: status 'running' is from another vocabulary (Graph "
        "longRunningOperationStatus vocabulary): mapped to inProgress"]


def test_a_long_queue_of_a_billion_serves_at_once() -> None:
    """`--long-queue 1000000000` is served lazily: the monitor answers at once, notStarted, without a MemoryError."""
    proc, url = serve("--long-queue", "1000000000", "notStarted", "completed")
    try:
        assert [poll(url) for _ in range(2)] == [(202, "notStarted")] * 2
    finally:
        _, err = stop(proc)
    assert (proc.returncode, err) == (0, "")
