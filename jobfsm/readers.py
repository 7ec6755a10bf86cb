"""Read trace files into polls: plain text, JSON arrays and JSON Lines, many jobs per file.

Readers yield ``(position, record)`` pairs, where the position is a line number and the record is a
status string, a body mapping, a decoded ``Poll`` or an ``InputProblem``; ``check_records`` groups
them by job and validates. JSON goes through msgspec: a typed decode does the type checks in C,
and only records that fail it take the slower generic path that reports what is wrong.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Annotated, Any, BinaryIO, Literal, NamedTuple

import msgspec

from jobfsm.report import InputProblem, JobReport
from jobfsm.validation import JobCheck, Validator

Format = Literal["text", "json", "jsonl"]
FORMATS: tuple[Format, ...] = ("text", "json", "jsonl")
EXTENSIONS: dict[str, Format] = {".txt": "text", ".log": "text", ".json": "json", ".jsonl": "jsonl",
                                 ".ndjson": "jsonl"}
DEFAULT_JOB_KEY = "job"
BODY_FIELDS = ("status", "percentageComplete", "resourceId", "resourceLocation", "operation", "statusDescription")
_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"
Record = tuple[int, Any]


class Block(NamedTuple):
    """Consecutive lines from ``start`` that all decoded as typed polls (the fast path)."""

    start: int
    polls: list[Any]


@lru_cache(maxsize=8)
def poll_type(job_key: str) -> type[msgspec.Struct] | None:
    """The typed record for fast decoding: any wrong type or range makes msgspec reject it.

    None when the job key names a body field: then every record takes the generic path.
    """
    if job_key in BODY_FIELDS:
        return None
    progress = Annotated[float, msgspec.Meta(ge=0, le=100)]
    return msgspec.defstruct("Poll", [
        ("status", str),
        ("percentageComplete", progress | None, None),
        ("resourceId", str | None, None),
        ("resourceLocation", str | None, None),
        ("operation", str | None, None),
        ("statusDescription", str | None, None),
        ("job", str | int | None, None),
    ], rename={"job": job_key}, gc=False)


def detect_format(path: str, head: bytes) -> Format:
    """The format named by the extension, else sniffed from the first bytes: ``[`` is JSON, an object
    complete on its first line is JSON Lines, an object spread over lines is JSON, anything else text."""
    ext = os.path.splitext(path)[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    head = head.removeprefix(_BOM).lstrip()
    if head[:1] == b"[":
        return "json"
    if head[:1] != b"{":
        return "text"
    try:
        msgspec.json.decode(head.split(b"\n", 1)[0])
    except msgspec.DecodeError:
        return "json"
    return "jsonl"


def validate_path(path: str, validator: Validator, *, fmt: Format | None = None,
                  job_key: str | None = None) -> tuple[list[JobReport], list[InputProblem]]:
    """Validate one file (``-`` for standard input): per-job reports and the input problems met.

    ``job_key`` names the field that tells jobs apart (default ``job``); naming one that no record
    carries is an input problem, since it would silently validate all the jobs as one.
    """
    name = "<stdin>" if path == "-" else path
    try:
        stream: BinaryIO = sys.stdin.buffer if path == "-" else open(path, "rb", buffering=_CHUNK)  # noqa: SIM115
    except OSError as exc:
        return [], [InputProblem(name, name, f"cannot read: {exc.strerror or exc}")]
    key, explicit = job_key or DEFAULT_JOB_KEY, job_key is not None
    try:
        head = stream.peek(_CHUNK)[:_CHUNK] if hasattr(stream, "peek") else b""
        fmt = fmt or detect_format(path, head)
        if fmt == "jsonl":
            return check_records(read_jsonl(stream, key), validator, name, key, explicit=explicit)
        data = stream.read()
    except OSError as exc:
        return [], [InputProblem(name, name, f"cannot read: {exc.strerror or exc}")]
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if fmt == "text":
        return check_records(read_text(data), validator, name, key)
    records, line_of = read_json(data, key)
    return check_records(records, validator, name, key, line_of, explicit=explicit)


def check_records(records: Iterable[Record | Block], validator: Validator, source: str, job_key: str,
                  line_of: Callable[[int], int] | None = None, *,
                  explicit: bool = False) -> tuple[list[JobReport], list[InputProblem]]:
    """Group records by job (first appearance order) and validate each job on its own.

    Records without the key form one job; when others have it, or when the key was ``explicit``ly
    asked for and none has it, that is reported as an input problem rather than passed over.
    """
    if line_of is None:
        def locate(pos: int) -> str:
            return f"{source}:{pos}"
    else:
        def locate(pos: int) -> str:
            return f"{source}:{line_of(pos)}"
    checks: dict[Any, JobCheck] = {}
    problems: list[InputProblem] = []
    poll: Any = poll_type(job_key)
    part: Any
    rec: Any
    for part in records:
        if part.__class__ is Block:
            for pos, rec in enumerate(part.polls, part.start):
                check = checks.get(rec.job)
                if check is None:
                    check = checks[rec.job] = validator.job(source, rec.job, locate)
                check.poll(rec.status, rec.percentageComplete, rec.resourceId, rec.resourceLocation,
                           rec.operation, pos)
            continue
        pos, rec = part
        if rec.__class__ is poll:
            check = checks.get(rec.job)
            if check is None:
                check = checks[rec.job] = validator.job(source, rec.job, locate)
            check.poll(rec.status, rec.percentageComplete, rec.resourceId, rec.resourceLocation, rec.operation, pos)
        elif isinstance(rec, InputProblem):
            problems.append(InputProblem(source, locate(pos), rec.message))
        else:
            key = rec.get(job_key) if isinstance(rec, Mapping) else None
            if key is not None and (isinstance(key, bool) or not isinstance(key, str | int)):
                problems.append(InputProblem(source, locate(pos), f"job key {job_key!r} must be a string or an "
                                                                  f"integer, found {_json_kind(key)}"))
                continue
            check = checks.get(key)
            if check is None:
                check = checks[key] = validator.job(source, key, locate)
            check.feed(rec, pos)
    if not checks and not problems:
        problems.append(InputProblem(source, source, "no polls found: expected statuses or asyncJobStatus bodies"))
    elif None in checks and len(checks) > 1:
        problems.append(InputProblem(source, source, f"records without the job key {job_key!r} "
                                                     f"({checks[None].polls} of them) were validated together as "
                                                     f"one job"))
    elif explicit and list(checks) == [None]:
        problems.append(InputProblem(source, source, f"no record carries the job key {job_key!r}; the file was "
                                                     f"validated as one job"))
    return [c.finish() for c in checks.values()], problems



def read_text(data: bytes) -> Iterator[Record]:
    """One status per line; ``#`` starts a comment; blank lines are ignored."""
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield lineno, InputProblem(None, "", f"not UTF-8 text (byte {exc.start + 1} of the line)")
            continue
        line = line.removeprefix("\ufeff" if lineno == 1 else "").split("#", 1)[0].strip()
        if not line:
            continue
        if line.split() != [line]:
            yield lineno, InputProblem(None, "", f"expected one status per line, found {line!r}")
            continue
        yield lineno, line


def read_jsonl(stream: BinaryIO, job_key: str) -> Iterator[Record | Block]:
    """JSON Lines, streamed in chunks: a body (or a status string) per line, blank lines ignored."""
    typed = poll_type(job_key)
    slow = msgspec.json.Decoder()
    fast = slow if typed is None else msgspec.json.Decoder(typed)
    lineno = 0
    carry = b""
    first = True
    while True:
        chunk = stream.read(_CHUNK)
        if first:
            chunk, first = chunk.removeprefix(_BOM), False
        if not chunk:
            break
        chunk = carry + chunk
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            carry = chunk
            continue
        block, carry = chunk[:cut], chunk[cut:]
        yield from _jsonl_block(block, lineno, fast, slow)
        lineno += block.count(b"\n")
    if carry:
        yield from _jsonl_block(carry, lineno, fast, slow)


def _jsonl_block(block: bytes, lineno: int, fast: msgspec.json.Decoder[Any],
                slow: msgspec.json.Decoder[Any]) -> Iterator[Record | Block]:
    lines = block.count(b"\n") + (not block.endswith(b"\n"))
    try:
        polls = None if fast is slow else fast.decode_lines(block)
    except (msgspec.DecodeError, msgspec.ValidationError):
        polls = None
    if polls is not None and len(polls) == lines:
        yield Block(lineno + 1, polls)
        return
    for n, line in enumerate(block.split(b"\n"), lineno + 1):
        if line.strip():
            yield n, _one_line(line, fast, slow)


def _one_line(line: bytes, fast: msgspec.json.Decoder[Any],
                slow: msgspec.json.Decoder[Any]) -> Any:
    if fast is not slow:
        try:
            return fast.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
    try:
        value = slow.decode(line)
    except msgspec.DecodeError as exc:
        return InputProblem(None, "", f"invalid JSON: {_json_error(exc, line, one_line=True)[1]}")
    if isinstance(value, str | dict):
        return value
    return InputProblem(None, "", f"expected an asyncJobStatus object or a status string, found {_json_kind(value)}")


def read_json(data: bytes, job_key: str) -> tuple[list[Record], Callable[[int], int]]:
    """A JSON array of statuses or bodies; positions are element indexes, mapped to lines lazily."""
    data = data.removeprefix(_BOM)
    lines: list[int] = []

    def line_of(index: int) -> int:
        if not lines:
            lines.extend(_element_lines(data))
        return lines[index] if index < len(lines) else 1

    typed: Any = poll_type(job_key)
    if typed is not None:
        try:
            return list(enumerate(msgspec.json.decode(data, type=list[typed | str]))), line_of
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
    if not data.strip():
        return [], line_of
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        line, message = _json_error(exc, data)
        return [(line, InputProblem(None, "", f"invalid JSON: {message}"))], _same
    if not isinstance(value, list):
        hint = " (one body per line is JSON Lines: use .jsonl)" if isinstance(value, dict) else ""
        return [(1, InputProblem(None, "", f"expected a JSON array of statuses or asyncJobStatus bodies, "
                                           f"found {_json_kind(value)}{hint}"))], _same
    out: list[Record] = []
    for i, item in enumerate(value):
        if isinstance(item, str | dict):
            out.append((i, item))
        else:
            out.append((i, InputProblem(None, "", f"item {i}: expected an asyncJobStatus object or a status "
                                                  f"string, found {_json_kind(item)}")))
    return out, line_of


_TOKEN = re.compile(rb'"(?:[^"\\\n]|\\.)*"|[\[\]{},\n]|[^\s\[\]{},"]+')


def _element_lines(data: bytes) -> list[int]:
    """The line on which each element of a top-level JSON array starts."""
    out: list[int] = []
    line, depth, want = 1, 0, False
    for m in _TOKEN.finditer(data):
        tok = m.group()
        if tok == b"\n":
            line += 1
            continue
        if want:
            out.append(line)
            want = False
        if tok in (b"[", b"{"):
            depth += 1
            want = depth == 1 and tok == b"["
        elif tok in (b"]", b"}"):
            depth -= 1
        elif tok == b"," and depth == 1:
            want = True
    return out


def _same(pos: int) -> int:
    return pos


def _json_error(exc: msgspec.DecodeError, data: bytes, *, one_line: bool = False) -> tuple[int, str]:
    """The line of a decode error and its message, with the position in lines and columns."""
    text = str(exc).replace("JSON is malformed: ", "")
    m = re.search(r"\(byte (\d+)\)", text)
    offset = int(m.group(1)) if m else len(data.rstrip())
    if m:
        text = text[:m.start()].rstrip()
    line = data.count(b"\n", 0, offset) + 1
    col = offset - data.rfind(b"\n", 0, offset)
    return line, text + (f" at column {col}" if one_line else f" at line {line} column {col}")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
            dict: "an object"}.get(type(value), type(value).__name__)
