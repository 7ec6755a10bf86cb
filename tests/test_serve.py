"""Pins jobfsm.serve (`jobfsm serve`): its options, its verdict and exit codes, and how its server copes with
clients that misbehave on the wire."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from jobfsm.cli import main
from jobfsm.errors import OptionsError
from jobfsm.fake import FakeServer

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


# --- the server against clients that misbehave on the wire (raw sockets) ---

def raw(server: FakeServer, data: bytes, *, half_close: bool = False) -> tuple[int | None, dict[str, str], bytes]:
    """Send bytes on a socket of its own (closing its sending side after, if asked); the answer's code,
    headers and body, (None, {}, b"") when the server closed without one."""
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(data)
        if half_close:
            conn.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := conn.recv(65536):
            got += chunk
    if not got:
        return None, {}, b""
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


START = "POST /monitor/1/start"


@pytest.mark.parametrize(("request_", "half_close", "where", "problem"), [
    (b"POST /monitor/1/start HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", False, START,
     "Content-Length 'abc' is not a number of bytes"),
    (b"POST /monitor/1/start HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", False, START,
     "Content-Length '99999999999999999999' is more than the 1048576 bytes the fake reads"),
    (b"POST /monitor/1/start HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", False, START,
     "Content-Length '-1' is not a number of bytes"),
    (b"POST /monitor/1/start HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", False, START,
     "Content-Length given more than once, with different values"),
    (b"POST /monitor/1/start HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", False, START,
     "the fake reads a request body by its Content-Length, not by Transfer-Encoding"),
    (b"POST /monitor/1/start HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", True, START,
     "the request ended 3 bytes into its body of 10"),
    (b"GET [ HTTP/1.1\r\nHost: x\r\n\r\n", False, "GET [", "expected a path starting with /, such as /monitor/1"),
    (b"GET /monitor/1 HTTP/1.1\r\nHost: x\r\n", True, "GET /monitor/1", "the request ended before its headers did"),
    (b"GARBAGE\r\n\r\n", False, None, "Bad request syntax ('GARBAGE')"),
], ids=["length-not-a-number", "length-huge", "length-negative", "length-twice", "chunked", "body-cut-off",
        "target-not-a-path", "headers-cut-off", "bad-request-line"])
def test_requests_that_are_not_http_get_400(request_: bytes, half_close: bool, where: str | None, problem: str,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    """A request the server cannot read gets a JSON 400 saying why, reaches no monitor (it is not recorded,
    and a cut-off poll does not move the job), and is listed in `rejected`; the server prints no traceback."""
    with FakeServer() as server:
        monitor = server.monitor(["notStarted", "inProgress", "completed"])
        code, headers, body = raw(server, request_, half_close=half_close)
        assert (code, headers["Content-Type"]) == (400, "application/json")
        assert json.loads(body) == {"error": {"code": "invalidRequest", "message": problem}}
        rejected = f"{where}: {problem}" if where else problem
        assert (monitor.exchanges, server.rejected, server.rejected_count) == ([], [rejected], 1)
        assert get(monitor.url) == 202  # the server still serves, and the job has not moved
        assert monitor.served == ["notStarted"]
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "BREW"])
def test_any_method_gets_405_and_is_recorded(method: str, capfd: pytest.CaptureFixture[str]) -> None:
    """HEAD, OPTIONS or a made-up method on the monitor gets the README's 405 (JSON, no body for HEAD), not
    the HTTP library's 501 page; it reaches the monitor, so it is recorded, but it is no poll."""
    with FakeServer() as server:
        monitor = server.monitor(["notStarted", "completed"])
        code, headers, body = raw(server, f"{method} /monitor/1 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert (code, headers["Allow"], headers["Content-Type"]) == (405, "GET", "application/json")
        assert body == (b"" if method == "HEAD" else json.dumps(
            {"error": {"code": "methodNotAllowed", "message": f"the monitor answers GET only, not {method}"}}).encode())
        assert [(ex.method, ex.code) for ex in monitor.exchanges] == [(method, 405)]
        assert monitor.polls == []
    assert capfd.readouterr().err == ""


def test_a_half_sent_request_is_cut_off_after_the_timeout(capfd: pytest.CaptureFixture[str]) -> None:
    """A client that stops in the middle of its request holds its connection no longer than the request
    timeout: the server closes it without an answer, records nothing, and says so in `rejected`."""
    with FakeServer(request_timeout=0.3) as server:
        monitor = server.monitor(["notStarted", "completed"])
        started = time.monotonic()
        assert raw(server, b"GET /monitor/1 HTTP/1.1\r\nHost: x\r\n") == (None, {}, b"")
        assert time.monotonic() - started < 5
        assert monitor.exchanges == []
        assert server.rejected == ["the request was not complete within 0.3 s; the connection was closed"]
    assert capfd.readouterr().err == ""


def test_the_verdict_lists_requests_the_server_rejected() -> None:
    """`jobfsm serve` says under its verdict how many requests it answered 400 and why the first one was."""
    proc, url = serve("notStarted", "inProgress")
    try:
        port = url.split(":")[2].split("/")[0]
        with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as conn:
            conn.sendall(b"POST /monitor/1/start HTTP/1.1\r\nContent-Length: abc\r\n\r\n")
            assert conn.recv(100).startswith(b"HTTP/1.0 400 ")
        assert [poll(url) for _ in range(2)] == [(202, "notStarted"), (202, "inProgress")]
    finally:
        out, err = stop(proc)
    assert (proc.returncode, err) == (0, "")
    assert out.splitlines() == [
        f"fake monitor job {url}: ok (final inProgress, 2 requests, 2 polls)",
        "  fake monitor:exchange 1: poll 1: warning: unterminated: trace ends at inProgress, which is not terminal; "
        "expected one of completed, failed, cancelled",
        "  note: 1 request the server could not read as HTTP, answered 400 and not recorded; the first: POST "
        "/monitor/1/start: Content-Length 'abc' is not a number of bytes"]


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan"), "10", True],
                         ids=["zero", "negative", "inf", "nan", "str", "bool"])
def test_request_timeout_must_be_a_number_of_seconds(timeout: object) -> None:
    """FakeServer's request_timeout is a positive number of seconds, at most an hour, or an OptionsError."""
    with pytest.raises(OptionsError) as exc:
        FakeServer(request_timeout=timeout)  # type: ignore[arg-type]
    assert str(exc.value) == (f"request_timeout must be a number of seconds above 0 and at most 3600, found "
                              f"{timeout!r}")


def test_the_verdict_covers_every_poll_of_the_monitor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A client that polls `/monitor/1?a=b` once, then `/monitor/1`: the verdict is one job of all three polls,
    and `jobfsm validate` on the HAR says the same."""
    har = tmp_path / "served.har"
    proc, url = serve("--har", str(har), "notStarted", "inProgress", "completed")
    try:
        assert [poll(u) for u in (url + "?a=b", url, url)] == [(202, "notStarted"), (202, "inProgress"),
                                                               (303, "completed")]
    finally:
        out, err = stop(proc)
    assert (proc.returncode, err, out.splitlines()) == (
        0, "", [f"fake monitor job {url}: ok (final completed, 3 requests, 3 polls)"])
    assert main(["validate", str(har)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{har} job {url}: ok (final completed, 3 polls)",
        "ok: 1 job, 0 failed, 3 polls; 0 errors, 0 warnings, 0 infos (sampled mode)"]


TIMEOUT = "expected a number of seconds above 0 and at most 604800 (a week); leave it out to serve until interrupted"


@pytest.mark.parametrize(("argv", "message"), [
    (["--port", "70000"], "--port 70000: expected a port from 1 to 65535, or 0 for a free one"),
    (["--port", "-1"], "--port -1: expected a port from 1 to 65535, or 0 for a free one"),
    (["--timeout", "inf"], f"--timeout inf: {TIMEOUT}"),
    (["--timeout", "1e10"], f"--timeout 1e+10: {TIMEOUT}"),
    (["--timeout", "nan"], f"--timeout nan: {TIMEOUT}"),
    (["--poll-limit", "0"], "--poll-limit 0: expected a number of polls, 1 or more"),
    (["--poll-limit", "-5"], "--poll-limit -5: expected a number of polls, 1 or more"),
    (["--expire-after", "0"], "--expire-after 0: expected a number of terminal answers, 1 or more"),
    (["--all-quirks", "--expire-after", "0"], "--expire-after 0: expected a number of terminal answers, 1 or more"),
    (["--all-quirks", "--long-queue", "-1"],
     "--long-queue -1: expected a number of extra notStarted answers, 0 or more"),
    (["--har", "-"], "--har -: standard output carries the monitor's URL and the verdict; give a file to write the "
                     "HAR to"),
    (["--har", "/nonexistent/x.har"], "cannot write /nonexistent/x.har: No such file or directory"),
], ids=["port-too-big", "port-negative", "timeout-inf", "timeout-huge", "timeout-nan", "poll-limit-zero",
        "poll-limit-negative", "expire-after-zero", "all-quirks-expire-after-zero", "all-quirks-long-queue-negative",
        "har-stdout", "har-unwritable"])
def test_impossible_options_are_usage_errors_before_serving(argv: list[str], message: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Options no fake monitor can honour are refused in one line, exit 2, before anything is served (no
    traceback, no session lost to an unwritable --har), with or without --all-quirks alike."""
    assert main(["serve", *argv, "notStarted", "completed"]) == 2
    assert capsys.readouterr() == ("", f"jobfsm: error: {message}\n")


def test_given_counts_win_over_all_quirks_defaults() -> None:
    """--all-quirks fills in --expire-after 1 and --long-queue 3 only when they are not given: a queue of 0 is no
    queue, an expiry after 2 is two terminal answers, never silently 1 and 3."""
    proc, url = serve("--all-quirks", "--long-queue", "0", "--expire-after", "2", "notStarted", "completed")
    try:
        assert [poll(url) for _ in range(5)] == [(202, "notStarted"), (202, "completed"), (303, "completed"),
                                                 (303, "completed"), (404, None)]
    finally:
        _, err = stop(proc)
    assert (proc.returncode, err) == (0, "")


def test_a_client_that_never_polls_fails() -> None:
    """A client that only POSTs to the start URL never polled the monitor: the check failed (exit 1), said in
    the verdict, not an input error (2)."""
    proc, url = serve("notStarted", "completed")
    try:
        request = urllib.request.Request(url + "/start", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 202
    finally:
        out, err = stop(proc)
    assert (proc.returncode, err) == (1, "")
    assert out.splitlines() == [f"fake monitor job {url}: FAILED (never polled, 1 request, 0 polls)",
                                f"  error: the client never polled the monitor; it made 1 request, the first POST "
                                f"{url}/start"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"port": 70000}, "port must be an integer from 0 to 65535 (0: a free one), found 70000"),
    ({"port": "80"}, "port must be an integer from 0 to 65535 (0: a free one), found '80'"),
    ({"host": None}, "host must be a string such as '127.0.0.1', found None"),
], ids=["port-too-big", "port-str", "host-none"])
def test_fake_server_arguments(kwargs: dict[str, object], message: str) -> None:
    """FakeServer refuses a port or host it could not bind, with an OptionsError instead of an OverflowError."""
    with pytest.raises(OptionsError) as exc:
        FakeServer(**kwargs)  # type: ignore[arg-type]
    assert str(exc.value) == message


def test_a_served_monitor_takes_no_url() -> None:
    """FakeServer.monitor(url=...) says the server chooses the URL, instead of a TypeError about keywords."""
    with FakeServer() as server, pytest.raises(OptionsError) as exc:
        server.monitor(["notStarted"], url="https://elsewhere.invalid/monitor/1")
    assert str(exc.value) == "a served monitor's url is the server's own, {base_url}/monitor/N: give no url"
