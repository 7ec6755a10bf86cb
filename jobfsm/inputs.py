"""Validate files and standard input: open them safely, sniff the format, group records into jobs."""

from __future__ import annotations

import gc
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, Literal

import msgspec

from jobfsm.errors import InputError, OptionsError
from jobfsm.progress import Meter
from jobfsm.readers import (
    BODY_FIELDS,
    BOM,
    CHUNK,
    Lines,
    Record,
    poll_type,
    read_json,
    read_jsonl,
    read_text,
    wide_encoding,
)
from jobfsm.report import InputProblem, JobReport
from jobfsm.stream import WINDOW, LogStream
from jobfsm.validation import JobCheck, Validator

Format = Literal["text", "json", "jsonl", "har", "cassette"]
# .log is not here: logs are as often JSON Lines as text, so a .log is sniffed
EXTENSIONS: dict[str, Format] = {".txt": "text", ".json": "json", ".jsonl": "jsonl",
                                 ".ndjson": "jsonl", ".har": "har", ".yaml": "cassette", ".yml": "cassette"}
DEFAULT_JOB_KEY = "job"


def validate_path(path: str, validator: Validator, *, fmt: Format | None = None, job_key: str | None = None,
                  check_type: type[JobCheck] = JobCheck, emit: Callable[[JobReport], None] | None = None,
                  clean: Callable[[str, int, int], None] | None = None, meter: Meter | None = None,
                  window: int | None = None) -> tuple[list[JobReport], list[InputProblem]]:
    """Validate one file (``-`` for standard input): per-job reports and the input problems met.

    ``job_key`` names the field that tells jobs apart (default ``job``); naming one that no record
    carries is an input problem, since it would silently validate all the jobs as one. ``check_type``
    lets a caller watch each job (a ``JobCheck`` subclass). With ``emit``, each job's report goes
    there as soon as the job is done (first appearance order) and none is returned: a log of any
    length then takes memory for its open jobs only. With ``clean`` too, the reports of traces and
    logs that have no violation are counted instead, ``clean(source, jobs, polls)`` (see
    ``LogStream``). ``meter`` shows progress. ``window`` is how many ended jobs a log keeps for late
    polls (``stream.WINDOW`` by default).
    """
    key = check_job_key(job_key)
    name = "<stdin>" if path == "-" else path
    try:
        stream = open_source(path)
    except InputError as exc:
        return [], [InputProblem(name, name, exc.detail)]
    if meter is not None:
        stream = meter.wrap(stream, name)
    try:
        head, stream = sniff(stream)
        if fmt is None:
            fmt = detect_format(path, head)
        wide = wide_encoding(head)
        if wide and fmt != "cassette":  # YAML reads UTF-16 and UTF-32; the other formats are UTF-8
            return [], [InputProblem(name, name, f"{wide} text (it starts with {wide}'s byte-order mark); expected "
                                                 f"UTF-8: convert it first, e.g. iconv -f {wide} -t UTF-8")]
        if fmt == "jsonl":
            return check_records(read_jsonl(stream), validator, name, key, explicit=job_key is not None,
                                 check_type=check_type, emit=emit, clean=clean, window=window)
        data = stream.read()
    except OSError as exc:
        return [], [InputProblem(name, name, f"cannot read: {exc.strerror or exc}")]
    finally:
        if path != "-":
            stream.close()
    recorded = _recording(fmt, data)
    if recorded:
        reports, problems = _check_recording(recorded, data, validator, name, check_type)
        if emit is not None:
            for report in reports:
                emit(report)
            reports = []
        return reports, problems
    if fmt == "text":
        return check_records(read_text(data), validator, name, key, check_type=check_type, emit=emit, clean=clean,
                             window=window)
    records, line_of = read_json(data, key)
    return check_records(records, validator, name, key, line_of, explicit=job_key is not None, check_type=check_type,
                         emit=emit, clean=clean, window=window)


def _recording(fmt: str, data: bytes) -> str | None:
    """The kind of HTTP recording ``data`` is (har, vcr-yaml, vcr-json), or None."""
    if fmt == "har":
        return "har"
    if fmt == "cassette":
        return "vcr-json" if data.removeprefix(BOM).lstrip()[:1] == b"{" else "vcr-yaml"
    if fmt == "json" and data.removeprefix(BOM).lstrip()[:1] == b"{":
        try:
            doc = msgspec.json.decode(data.removeprefix(BOM))
        except (msgspec.DecodeError, RecursionError):
            return None  # the JSON reader says what is wrong with it
        if isinstance(doc, dict) and isinstance(doc.get("log"), dict):
            return "har"
        if isinstance(doc, dict) and "interactions" in doc:
            return "vcr-json"
    return None


def _check_recording(kind: str, data: bytes, validator: Validator, source: str,
                     check_type: type[JobCheck]) -> tuple[list[JobReport], list[InputProblem]]:
    from jobfsm.recordings import check_exchanges, read_cassette, read_har

    problems: list[InputProblem] = []
    exchanges = read_har(data, problems) if kind == "har" else read_cassette(data, problems, yaml=kind == "vcr-yaml")
    unit = "entry" if kind == "har" else "interaction"
    problems = [InputProblem(source, f"{source}:{p.location}" if p.location else source, p.message) for p in problems]
    reports = check_exchanges(exchanges, validator, source, unit, check_type)
    if not reports and not problems:
        problems.append(InputProblem(source, source, "no monitor found: no GET was answered with a status, "
                                                     "none followed a 202's Location, none was polled twice"))
    return reports, problems


def check_job_key(job_key: str | None) -> str:
    """The job key to use; a blank one, or one naming a body field, would hide violations."""
    if job_key is None:
        return DEFAULT_JOB_KEY
    if not job_key.strip():
        raise OptionsError("job key: expected a field name, found an empty string")
    if job_key in BODY_FIELDS:
        raise OptionsError(f"job key {job_key!r} is a field of the body being validated; name the field that "
                           f"identifies the job (e.g. job, jobId, monitorUrl)")
    return job_key


def open_source(path: str) -> BinaryIO:
    """Open a trace for reading; directories, devices and closed standard input are input errors.

    FIFOs are opened without waiting for a writer, so a FIFO nobody writes to reads as empty.
    """
    if path == "-":
        if sys.stdin is None:
            raise InputError("<stdin>", "standard input is closed")
        return sys.stdin.buffer
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(path, f"is a directory; pass the trace files in it (e.g. {path}/*.json)")
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise InputError(path, "is a device, not a trace file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return open(fd, "rb", buffering=CHUNK)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None


class _Prefixed:
    """A stream whose first bytes were already read for sniffing."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = head, rest

    def read(self, n: int = -1) -> bytes:
        head, self._head = self._head, b""
        if n < 0:
            return head + self._rest.read()
        if head:
            return head
        return self._rest.read(n)

    def readinto(self, buffer: Any) -> int:
        if not self._head:
            return int(self._rest.readinto(buffer))  # type: ignore[attr-defined]
        n = min(len(buffer), len(self._head))
        buffer[:n] = self._head[:n]
        self._head = self._head[n:]
        return n

    def close(self) -> None:
        self._rest.close()


def sniff(stream: BinaryIO) -> tuple[bytes, BinaryIO]:
    """Read enough to sniff the format: up to the end of the first line holding more than white space, a
    ``#`` comment or a YAML document marker, or 1 MiB, or the end; return those bytes and a stream that
    still yields them first."""
    head = b""
    read1 = getattr(stream, "read1", stream.read)
    while len(head) < CHUNK:
        more = read1(CHUNK)
        if not more:
            break
        head += more
        if _first_line(head, complete=True) is not None:
            break
    return head, _Prefixed(head, stream)  # type: ignore[return-value]


# a top-level key of a VCR.py cassette in YAML, at the start of a line
_CASSETTE_KEY = re.compile(rb"""["']?(?:interactions|version)["']?[ \t]*:(?:[ \t]|$)""")


def _first_line(head: bytes, *, complete: bool = False) -> bytes | None:
    """The first line of ``head`` that is not blank, a ``#`` comment, a YAML directive or ``---``; with
    ``complete``, only a line whose end has been read."""
    lines = head.removeprefix(BOM).split(b"\n")
    for line in lines[:-1] if complete else lines:
        text = line.strip()
        if text and not text.startswith((b"#", b"%")) and text != b"---":
            return line.rstrip(b"\r")
    return None


def detect_format(path: str, head: bytes) -> Format:
    """The format named by the extension, else sniffed from the first bytes: ``[`` is JSON, an object
    complete on its first line is JSON Lines, an object spread over lines is JSON, a first line that is a
    cassette's top-level key (``interactions:``, ``version:``) is a YAML cassette, anything else text."""
    ext = os.path.splitext(path)[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    line = _first_line(head)
    if line is not None and _CASSETTE_KEY.match(line):
        return "cassette"
    head = head.removeprefix(BOM).lstrip()
    if head[:1] == b"[":
        return "json"
    if head[:1] != b"{":
        return "text"
    try:
        first = msgspec.json.decode(head.split(b"\n", 1)[0])
    except (msgspec.DecodeError, RecursionError):
        return "json"
    if isinstance(first, dict) and ("log" in first or "interactions" in first):
        return "json"  # a HAR or cassette on one line: read whole, then recognised as a recording
    return "jsonl"


def check_records(records: Iterable[Record | Lines], validator: Validator, source: str, job_key: str,
                  line_of: Callable[[int], int] | None = None, *, explicit: bool = False,
                  check_type: type[JobCheck] = JobCheck, emit: Callable[[JobReport], None] | None = None,
                  clean: Callable[[str, int, int], None] | None = None,
                  window: int | None = None) -> tuple[list[JobReport], list[InputProblem]]:
    """Group records by job and validate each job on its own, streaming (see ``jobfsm.stream``).

    Reports go to ``emit`` in order of first appearance, or are returned when there is none. Records
    without the key form one job; when others have it, or when the key was ``explicit``ly asked for
    and none has it, that is reported as an input problem rather than passed over.
    """
    if line_of is None:
        def locate(pos: int) -> str:
            return f"{source}:{pos}"
    else:
        def locate(pos: int) -> str:
            return f"{source}:{line_of(pos)}"
    reports: list[JobReport] = []
    stream = LogStream(validator, source, locate, emit or reports.append, check_type=check_type, job_key=job_key,
                       clean=clean if emit is not None else None, window=WINDOW if window is None else window)
    with _collector_paused():
        _feed(records, stream, poll_type(job_key), job_key)
        stream.close()
    problems = stream.problems
    if not stream.jobs and not problems:
        problems.append(InputProblem(source, source, "no polls found: expected statuses or asyncJobStatus bodies"))
    elif stream.unkeyed_polls and stream.keyed:
        problems.append(InputProblem(source, source, f"records without the job key {job_key!r} "
                                                     f"({stream.unkeyed_polls} of them) were validated together "
                                                     f"as one job"))
    elif explicit and stream.jobs and not stream.keyed:
        problems.append(InputProblem(source, source, f"no record carries the job key {job_key!r}; the file was "
                                                     f"validated as one job"))
    return reports, problems


def _feed(records: Iterable[Record | Lines], stream: LogStream, poll: type, job_key: str) -> None:
    """Route each part to the stream; typed polls at consecutive positions go in runs, one call a run."""
    part: Any
    run: list[Any] = []
    start = 0
    for part in records:
        if part.__class__ is not Lines and part[1].__class__ is poll:
            if run and part[0] == start + len(run) and len(run) < 4096:
                run.append(part[1])
                continue
            if run:
                stream.polls(run, start)
            start, run = part[0], [part[1]]
            continue
        if run:
            stream.polls(run, start)
            run = []
        if part.__class__ is Lines:
            stream.lines(part.data, part.start)
        else:
            stream.record(part[0], part[1], job_key)
    if run:
        stream.polls(run, start)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Job states hold no reference cycles, so the cyclic collector's passes over the growing set of
    them are wasted work; pause it while a log is read (reference counting still frees everything)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
