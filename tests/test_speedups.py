"""Pins the optional C accelerator: built where CI requires it, and judging every log exactly as the Python code."""

from __future__ import annotations

import json
import os
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import LIFECYCLE, Options, Validator
from jobfsm.readers import poll_type
from jobfsm.report import InputProblem, JobReport
from jobfsm.stream import ACCELERATED, LogStream

pytestmark = pytest.mark.skipif(not ACCELERATED and os.environ.get("JOBFSM_REQUIRE_SPEEDUPS") != "1",
                                reason="the C accelerator is not built")


def test_accelerator_is_built() -> None:
    """Where a compiler is present (CI sets JOBFSM_REQUIRE_SPEEDUPS=1), the install builds jobfsm._speedups."""
    assert ACCELERATED, "jobfsm._speedups did not build: pip install -e . needs a C compiler and Python headers"


def feed(data: bytes, accelerated: bool, *, options: Options | None = None, window: int = 3,
         job_key: str = "job") -> tuple[list[JobReport], list[InputProblem], int]:
    """The reports, input problems and job count of one JSON Lines log fed in two chunks."""
    out: list[JobReport] = []
    stream = LogStream(Validator(options), "log", lambda pos: f"log:{pos}", out.append, window=window,
                       job_key=job_key, accelerated=accelerated)
    lines = data.split(b"\n")
    half = len(lines) // 2
    first, rest = b"".join(line + b"\n" for line in lines[:half]), b"".join(line + b"\n" for line in lines[half:])
    stream.lines(first, 1)
    stream.lines(rest, half + 1)
    stream.close()
    return out, stream.problems, stream.jobs


STATUSES = [*LIFECYCLE.names, "Completed", "running", "bogus", ""]
# numbers in every JSON spelling, in range and out; text and other kinds where a number belongs
PROGRESS = ["0", "50", "50.0", "5e1", "5E+1", "-0", "-0.0", "100", "100.0", "100.5", "-1", "1e400", "0.1",
            "33.333333333333336", "1234567890123456.5", "99.99999999999999999999", '"50"', "true", "null", "[]",
            "01", "1.", ".5", "NaN"]
TEXTS = ['"r1"', '"r2"', '""', "null", "7", '"a\\u0062"', '"caf\u00e9"', '"tab\\there"', "{}", '"x\\"y"',
         '"ItemCopy"', '"DownloadUrl"']
JOBS = ['"a"', '"b"', '"c"', "null", "7", '"a\\u0062"', '"\u00e9t\u00e9"', "true", '""', "1.5"]
EXTRAS = ['"@odata.context":"x"', '"error":{"code":"operationNotFound","details":[1,[2,{"a":null}]]}',
          '"n":-1.5e-3', '"t":true', '"f":false', '"deep":[[[[[]]]]]', '"esc\\u0041":"v"', '"u":"\u00fc"']
WS = ["", " ", "\t", "\r", "  "]


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    """One line of a log: mostly bodies with known fields in any order, spacing and type, sometimes broken."""
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return draw(st.sampled_from([b"", b"   ", b"\t\r", b"\x0c", b'"completed"', b"[1]", b"42", b"{", b"}",
                                     b'{"status":"completed"} {"status":"failed"}', b"\xff\xfe", b"null"]))
    members = []
    if draw(st.booleans()) or kind < 15:
        members.append(f'"status":{json.dumps(draw(st.sampled_from(STATUSES)))}')
    if draw(st.booleans()):
        members.append(f'"job":{draw(st.sampled_from(JOBS))}')
    if draw(st.booleans()):
        members.append(f'"percentageComplete":{draw(st.sampled_from(PROGRESS))}')
    for name in ("resourceId", "resourceLocation", "operation", "statusDescription"):
        if draw(st.integers(0, 3)) == 0:
            members.append(f'"{name}":{draw(st.sampled_from(TEXTS))}')
    members += draw(st.lists(st.sampled_from(EXTRAS), max_size=2))
    if members and draw(st.integers(0, 9)) == 0:
        members.append(draw(st.sampled_from(members)))  # a duplicate key
    members = draw(st.permutations(members))
    ws = draw(st.sampled_from(WS))
    text = "{" + ws + ("," + ws).join(m.replace(":", ws + ":" + ws, 1) for m in members) + ws + "}"
    if draw(st.integers(0, 24)) == 0:
        text = text[:draw(st.integers(0, len(text)))]  # truncated
    return (draw(st.sampled_from(WS)) + text + draw(st.sampled_from(WS))).encode()


@settings(max_examples=int(os.environ.get("JOBFSM_EXAMPLES", 400)), deadline=None)
@given(st.lists(lines(), max_size=30), st.sampled_from(["sampled", "strict"]), st.booleans(), st.integers(1, 3))
def test_scanner_judges_every_log_as_the_decoder(log: list[bytes], mode: str, complete: bool, window: int) -> None:
    """Any log, clean or broken, judged from its bytes by the C scanner gives the Python reader's reports."""
    data = b"\n".join(log)
    options = Options(mode, complete)
    assert feed(data, True, options=options, window=window) == feed(data, False, options=options, window=window)


@settings(max_examples=600, deadline=None)
@given(lines())
def test_scanner_reads_what_msgspec_reads(line: bytes) -> None:
    """Every line the scanner takes itself decodes as a typed poll with the same fields; it leaves the rest."""
    from jobfsm import _speedups

    found = _speedups.scan(line, "job")
    if found is None:
        return
    poll: Any = msgspec.json.decode(line, type=poll_type("job"))
    assert found == {"status": poll.status, "percentageComplete": poll.percentageComplete,
                     "resourceId": poll.resourceId, "resourceLocation": poll.resourceLocation,
                     "operation": poll.operation, "statusDescription": poll.statusDescription, "job": poll.job}


@pytest.mark.parametrize("line", [
    b'{"status":"inProgress","job":"a\\u0062"}', b'{"status":"inProgress","job":7}', b'{"status":"caf\xc3\xa9"}',
    b'{"status":"completed","status":"failed"}', b'{"status":"inProgress","percentageComplete":1e400}',
    b'{"status":"inProgress","percentageComplete":"5"}', b'{"status":"inProgress"} x', b'{"status":null}',
    b'{"status":"inProgress","x":[' + b"[" * 100 + b"]" * 100 + b"]}", b'{"status":"a\x01b"}',
], ids=["escape", "numeric-job", "non-ascii", "duplicate", "huge-number", "number-as-text", "trailing", "null",
        "deep", "control-character"])
def test_scanner_leaves_unusual_lines_to_the_decoder(line: bytes) -> None:
    """Escapes, other text, duplicates, odd numbers, deep nesting: the general way decides, not the scanner."""
    from jobfsm import _speedups

    assert _speedups.scan(line, "job") is None


def test_scanner_reads_a_plain_body() -> None:
    """A compact body with spacing, an extra nested field and the job under its own key."""
    from jobfsm import _speedups

    line = b' { "jobId" : "j-1", "status":"completed","percentageComplete":1E2, "resourceId":"01AB",' \
           b' "error":{"details":[{"a":[true,false,null]}]}, "operation":null }\r'
    assert _speedups.scan(line, "jobId") == {
        "status": "completed", "percentageComplete": 100.0, "resourceId": "01AB", "resourceLocation": None,
        "operation": None, "statusDescription": None, "job": "j-1"}


def test_state_reads_and_writes_like_the_slot_list() -> None:
    """The C job state answers every index as the Python list would, and refuses what no list slot holds."""
    from jobfsm import _speedups

    s = _speedups.State("job-1", 5)
    assert [s[i] for i in range(len(s))] == [None, None, None, None, False, False, 0, 0, 5, None, "job-1"]
    for i, value in enumerate(["inProgress", 42.5, "r", "ItemCopy", True, True, 3, 17, 6, "check", "k"]):
        s[i] = value
    assert [s[i] for i in range(11)] == ["inProgress", 42.5, "r", "ItemCopy", True, True, 3, 17, 6, "check", "k"]
    s[1] = None
    assert s[1] is None
    with pytest.raises(IndexError):
        s[11]
    with pytest.raises(TypeError):
        s[6] = "many"


def test_streams_side_by_side_keep_their_own_jobs() -> None:
    """Two logs read in turns, with the same job keys, each judge their own jobs (the C key cache is shared)."""
    first = [b'{"job":"j","status":"inProgress","percentageComplete":50}', b'{"job":"j","status":"completed"}']
    second = [b'{"job":"j","status":"notStarted"}', b'{"job":"j","status":"inProgress","percentageComplete":10}']
    reports: dict[bool, list[list[JobReport]]] = {}
    for accelerated in (False, True):
        outs: list[list[JobReport]] = [[], []]
        streams = [LogStream(Validator(), name, lambda pos, n=name: f"{n}:{pos}", out.append, window=1,
                             accelerated=accelerated) for name, out in zip(("a", "b"), outs, strict=True)]
        for i in range(2):
            for stream, log in zip(streams, (first, second), strict=True):
                stream.lines(log[i] + b"\n", i + 1)
        for stream in streams:
            stream.close()
        reports[accelerated] = outs
    assert reports[True] == reports[False]
    assert [(r.final, [v.rule for v in r.violations]) for out in reports[True] for r in out] == [
        ("completed", ["completed-without-resource"]), ("inProgress", ["unterminated"])]
