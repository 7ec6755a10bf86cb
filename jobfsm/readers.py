"""Parse trace formats into records: plain text, JSON arrays and JSON Lines.

Readers yield ``(position, record)`` pairs, where the position is a line number (an element index for
JSON arrays) and the record is a status string, a body mapping, a typed ``Poll`` or an
``InputProblem``. JSON Lines are read as ``Lines``, chunks of whole lines that the log streamer
decodes (``LineDecoder``) or, with the C accelerator, scans itself. JSON goes through msgspec: a
typed decode does the type and range checks in C, and only records that fail it take the generic
path, which reports what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Annotated, Any, BinaryIO, NamedTuple

import msgspec

from jobfsm.report import InputProblem, shorten

BODY_FIELDS = ("status", "percentageComplete", "resourceId", "resourceLocation", "operation", "statusDescription")
CHUNK = 1 << 20
BLOCK = 1 << 15
"""JSON Lines are decoded this much at a time: small enough that a block's records are still in the CPU's
cache when the validator reads them and when they are freed (1 MiB blocks were 1.6 times slower)."""
BOM = b"\xef\xbb\xbf"
WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
             (b"\xfe\xff", "UTF-16"))

try:
    from jobfsm._speedups import count as _count_lines
except ImportError:  # the optional accelerator is not built
    def _count_lines(data: bytes) -> int:
        return data.count(b"\n")

Record = tuple[int, Any]
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


class Block(NamedTuple):
    """Consecutive lines from ``start`` that all decoded as typed polls (the fast path)."""

    start: int
    polls: list[Any]


class Lines(NamedTuple):
    """Whole lines of JSON Lines (``data`` ends with a line end), the first of them numbered ``start``."""

    start: int
    data: bytes


@lru_cache(maxsize=8)
def poll_type(job_key: str) -> type[msgspec.Struct]:
    """The typed record for fast decoding: any wrong type or range makes msgspec reject it."""
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


def wide_encoding(head: bytes) -> str | None:
    """``UTF-16`` or ``UTF-32`` when the data starts with that encoding's byte-order mark, else None."""
    return next((name for bom, name in WIDE_BOMS if head.startswith(bom)), None)


def read_text(data: bytes) -> Iterator[Record]:
    """One status per line; ``#`` starts a comment; blank lines are ignored."""
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield lineno, _problem(f"not UTF-8 text (byte {exc.start + 1} of the line)")
            continue
        line = line.lstrip("\ufeff").split("#", 1)[0].strip()  # a BOM may stand inside files joined by cat
        if not line:
            continue
        if line[0] in "[{\"":
            yield lineno, _problem(f"expected one status per line, found JSON {shorten(line)}; for JSON give the "
                                   f"file a .json or .jsonl name, or use --input-format")
        elif line.split() != [line]:
            yield lineno, _problem(f"expected one status per line, found {shorten(line)}")
        else:
            yield lineno, line


def read_jsonl(stream: BinaryIO) -> Iterator[Record | Lines]:
    """JSON Lines, streamed through one reused buffer in ``Lines`` of whole lines; a byte-order mark
    dropped. The buffer grows only to hold a line longer than it."""
    buf = bytearray(BLOCK)
    have = lineno = 0
    first = True
    while True:
        if have == len(buf):
            buf.extend(bytes(len(buf)))
        try:
            with memoryview(buf) as view:
                got = stream.readinto(view[have:])  # type: ignore[attr-defined]
        except OSError as exc:
            yield lineno + 1, _problem(f"cannot read further: {exc.strerror or exc}")
            return
        if not got:
            break
        end = have + got
        if first:
            if end < len(BOM) and BOM.startswith(buf[:end]):
                have = end  # perhaps a byte-order mark read in parts
                continue
            first = False
            if buf.startswith(BOM):
                buf[:end - len(BOM)] = buf[len(BOM):end]
                end -= len(BOM)
        cut = buf.rfind(b"\n", have, end) + 1
        if cut == 0:
            have = end
            continue
        with memoryview(buf) as view:
            data = bytes(view[:cut])
        yield Lines(lineno + 1, data)
        lineno += _count_lines(data)
        buf[:end - cut] = buf[cut:end]
        have = end - cut
    if bytes(buf[:have]).strip():
        yield Lines(lineno + 1, bytes(buf[:have]) + b"\n")


class LineDecoder:
    """Decodes ``Lines``: typed in one call when the lines allow it, else line by line."""

    def __init__(self, job_key: str) -> None:
        self.poll = poll_type(job_key)
        self._fast = msgspec.json.Decoder(self.poll)
        self._slow = msgspec.json.Decoder()

    def block(self, data: bytes, start: int) -> Iterator[Record | Block]:
        """The lines of ``data``, the first numbered ``start``."""
        lines = data.count(b"\n")
        # decode_lines reads values one after another, across line ends: it is only sound when every line
        # holds exactly one value. Inside a value a '{' never follows a '}' (only ',' ']' '}' can), so each
        # '}\n{' lies between two values; when there are lines - 1 of them and as many values as lines, and
        # no other line end, every line holds exactly one value.
        if data[:1] == b"{" and (
                (data[-2:] == b"}\n" and data.count(b"}\n{") == lines - 1)
                or (data[-3:] == b"}\r\n" and data.count(b"}\r\n{") == lines - 1)):
            try:
                polls = self._fast.decode_lines(data)
            except _DECODE_ERRORS:
                polls = None
            if polls is not None and len(polls) == lines:
                yield Block(start, polls)
                return
        for n, line in enumerate(data[:-1].split(b"\n"), start):
            if line.strip():
                yield n, self.line(line)

    def line(self, line: bytes) -> Any:
        """One line's record: a typed poll, a body mapping, a status string or an ``InputProblem``."""
        try:
            return self._fast.decode(line)
        except _DECODE_ERRORS:
            pass
        try:
            value = self._slow.decode(line)
        except _DECODE_ERRORS as exc:
            hint = " (a CR alone ends no line: expected LF or CRLF line ends)" if b"\r" in line.rstrip(b"\r") else ""
            return _problem(f"invalid JSON: {json_error(exc, line, one_line=True)[1]}{hint}")
        if isinstance(value, str | dict):
            return value
        return _problem(f"expected an asyncJobStatus object or a status string, found {json_kind(value)}")


def read_json(data: bytes, job_key: str) -> tuple[Iterable[Record], Callable[[int], int]]:
    """A JSON array of statuses or bodies; positions are element indexes, mapped to lines lazily. The
    records of a readable array are enumerated as they are validated, not listed first: a pair per poll
    of a 50 MB array was a third of the memory it took."""
    data = data.removeprefix(BOM)
    lines: list[int] = []

    def line_of(index: int) -> int:
        if not lines:
            lines.extend(element_lines(data))
        return lines[index] if index < len(lines) else 1

    typed: Any = poll_type(job_key)
    try:
        return enumerate(msgspec.json.decode(data, type=list[typed | str])), line_of
    except _DECODE_ERRORS:
        pass
    if not data.strip():
        return [], line_of
    try:
        value = msgspec.json.decode(data)
    except _DECODE_ERRORS as exc:
        line, message = json_error(exc, data, line_of=line_of)
        return [(line, _problem(f"invalid JSON: {message}"))], _same
    if not isinstance(value, list):
        hint = " (one body per line is JSON Lines: use .jsonl)" if isinstance(value, dict) else ""
        return [(1, _problem(f"expected a JSON array of statuses or asyncJobStatus bodies, "
                             f"found {json_kind(value)}{hint}"))], _same
    out: list[Record] = []
    for i, item in enumerate(value):
        if isinstance(item, str | dict):
            out.append((i, item))
        else:
            out.append((i, _problem(f"item {i}: expected an asyncJobStatus object or a status string, "
                                    f"found {json_kind(item)}")))
    return out, line_of


# A string token is unrolled ("[^"\\\n]*(?:\\.[^"\\\n]*)*") so that a long string costs no backtracking.
_TOKEN = re.compile(rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"|[\[\]{},\n]|[^\s\[\]{},"]+')


def element_lines(data: bytes) -> list[int]:
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


def json_error(exc: BaseException, data: bytes, *, one_line: bool = False,
               line_of: Callable[[int], int] | None = None) -> tuple[int, str]:
    """The line of a decode error and its message, with the position in lines and columns."""
    if isinstance(exc, RecursionError):
        return 1, "nested too deeply"
    text = str(exc).replace("JSON is malformed: ", "")
    m = re.search(r"\(byte (\d+)\)", text)
    if m:
        offset = int(m.group(1))
        text = text[:m.start()].rstrip()
        if data[offset:offset + 1] in (b"N", b"I", b"-") and text == "invalid character":
            text += " (JSON has no NaN or Infinity)"
    else:
        try:
            data.decode("utf-8")
            offset = len(data.rstrip())
        except UnicodeDecodeError as bad:
            offset = bad.start
        element = re.search(r"at `\$\[(\d+)\]", text)
        if element and line_of is not None:
            line = line_of(int(element.group(1)))
            return line, f"{text} (the item starting at line {line})"
    line = data.count(b"\n", 0, offset) + 1
    col = offset - data.rfind(b"\n", 0, offset)
    return line, text + (f" at column {col}" if one_line else f" at line {line} column {col}")


def json_kind(value: Any) -> str:
    """A JSON value's kind in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        return "a number" if isinstance(value, int) or value.is_integer() else f"a non-integer number {value!r}"
    return {bool: "a boolean", str: "a string", list: "an array", dict: "an object"}.get(type(value),
                                                                                         type(value).__name__)


def _problem(message: str) -> InputProblem:
    return InputProblem(None, "", message)


def _same(pos: int) -> int:
    return pos
