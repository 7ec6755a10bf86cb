"""Recorded HTTP traffic: HAR 1.2 files and VCR.py cassettes, read with the monitor's HTTP semantics.

A recording holds more than polls: the POST that started the job, the GET of the result item, other
traffic. Monitors are found by what they do, never by URL shape: the ``Location`` of a 202, a URL whose
answers carry an asyncJobStatus ``status``, or a URL polled again and again. Each monitor is one job.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from jobfsm.readers import BOM, json_error, json_kind
from jobfsm.report import InputProblem, JobReport, shorten
from jobfsm.validation import JobCheck, Validator, error_code

_JSON_TYPES = ("json", "javascript")


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as recorded."""

    pos: int
    method: str
    url: str
    code: int
    headers: Mapping[str, str]
    request_headers: Mapping[str, str]
    body: Any  # the decoded JSON body, or None
    monitor: str | None = None
    """The monitor this request polled, when the recording says (HAR ``_monitor``; '' for none): the
    fake monitor knows; otherwise monitors are found by what the requests do."""


_ENTRY_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OSError, EOFError, OverflowError, zlib.error)
BODY_LIMIT = 64 << 20
"""The most a decompressed body may hold: a gzip bomb is an input problem, not an exhausted machine."""



_UNREADABLE: Any = object()


def _json_document(data: bytes, problems: list[InputProblem]) -> Any:
    """A recording's JSON document, or ``_UNREADABLE`` with the problem (at its line) noted."""
    try:
        return msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError) as exc:
        line, message = json_error(exc, data)
        problems.append(InputProblem(None, str(line), f"invalid JSON: {message}"))
        return _UNREADABLE

def read_har(data: bytes, problems: list[InputProblem]) -> list[Exchange]:
    """The entries of a HAR 1.2 log, bodies decoded (base64, gzip, deflate)."""
    data = data.removeprefix(BOM)
    if not data.strip():
        problems.append(InputProblem(None, "", "expected a HAR 1.2 file: an object with log.entries, found an empty "
                                               "file"))
        return []
    doc = _json_document(data, problems)
    if doc is _UNREADABLE:
        return []
    entries = doc.get("log", {}).get("entries") if isinstance(doc, dict) and isinstance(doc.get("log"), dict) else None
    if not isinstance(entries, list):
        problems.append(InputProblem(None, "", "expected a HAR 1.2 file: an object with log.entries"))
        return []
    out = []
    for i, entry in enumerate(entries):
        try:
            request, response = _get(entry, "request", ""), _get(entry, "response", "")
            content = _get(response, "content", "response", required=False) or {}
            text = _get(content, "text", "response.content", required=False)
            encoding = _get(content, "encoding", "response.content", required=False)
            if text is not None and not isinstance(text, str):
                raise ValueError("content.text is not a string")
            if encoding is not None and (not isinstance(encoding, str) or encoding.lower() != "base64"):
                raise ValueError(f"content.encoding {shorten(encoding)} is not base64")
            raw = (_base64(text) if encoding else text.encode()) if text else b""
            headers = _har_headers(_get(response, "headers", "response", required=False), "response")
            monitor = _get(entry, "_monitor", "", required=False)
            if monitor is not None and not isinstance(monitor, str):
                raise ValueError(f"_monitor is {json_kind(monitor)}, not the monitor's URL (or '' for none)")
            out.append(Exchange(i, _text(_get(request, "method", "request"), "request.method").upper(),
                                _text(_get(request, "url", "request"), "request.url"),
                                _code(_get(response, "status", "response")), headers,
                                _har_headers(_get(request, "headers", "request", required=False), "request"),
                                _json(raw, headers), monitor))
        except _ENTRY_ERRORS as exc:
            problems.append(InputProblem(None, f"entry {i}", f"unreadable HAR entry: {_why(exc)}"))
    return out


def read_cassette(data: bytes, problems: list[InputProblem], *, yaml: bool) -> list[Exchange]:
    """The interactions of a VCR.py cassette (YAML, loaded safely, or the JSON serializer's output).

    Fields are type-checked, never turned into strings: a YAML alias bomb stays a cheap shared object.
    """
    if yaml:
        try:
            import yaml as pyyaml
        except ImportError:
            problems.append(InputProblem(None, "", "reading YAML cassettes needs PyYAML: pip install 'jobfsm[vcr]'"))
            return []
        loader = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)
        try:
            doc = pyyaml.load(data, Loader=loader)
        except Exception as exc:  # the YAML parser's own errors; unsafe tags are refused here too
            at, message = _yaml_error(exc, data, in_bytes=loader.__name__ == "CSafeLoader")
            problems.append(InputProblem(None, "" if at is None else str(at), f"unreadable cassette: {message}"))
            return []
    else:
        doc = _json_document(data.removeprefix(BOM), problems)
        if doc is _UNREADABLE:
            return []
    if not isinstance(doc, dict) or not isinstance(doc.get("interactions"), list):
        problems.append(InputProblem(None, "", "expected a VCR.py cassette: a mapping with interactions"))
        return []
    version = doc.get("version", 1)
    if type(version) is not int or version != 1:
        what = f"the cassette version is {json_kind(version)}" if isinstance(version, dict | list) else \
            f"unknown cassette version {_shown(version)}"
        problems.append(InputProblem(None, "", f"{what}; expected 1"))
        return []
    out = []
    for i, item in enumerate(doc["interactions"]):
        try:
            request, response = _get(item, "request", ""), _get(item, "response", "")
            headers = _vcr_headers(_get(response, "headers", "response", required=False), "response")
            body = _get(response, "body", "response", required=False) or {}
            raw = _get(body, "string", "response.body", required=False) if isinstance(body, dict) else body
            if raw is None:
                raw = b""
            if not isinstance(raw, str | bytes):
                raise ValueError(f"response.body{'.string' if isinstance(body, dict) else ''} is neither text nor "
                                 f"bytes but {json_kind(raw)}")
            out.append(Exchange(i, _text(_get(request, "method", "request"), "request.method").upper(),
                                _text(_get(request, "uri", "request"), "request.uri"),
                                _code(_get(_get(response, "status", "response"), "code", "response.status")),
                                headers, _vcr_headers(_get(request, "headers", "request", required=False), "request"),
                                _json(raw.encode() if isinstance(raw, str) else raw, headers)))
        except _ENTRY_ERRORS as exc:
            problems.append(InputProblem(None, f"interaction {i}", f"unreadable interaction: {_why(exc)}"))
    return out


def _get(obj: Any, key: str, where: str, *, required: bool = True) -> Any:
    """``obj[key]``, where ``obj`` must be an object (``where`` names it: ``response.content``, or '' for
    the entry itself); a missing required key is a ``KeyError`` naming its whole path."""
    if not isinstance(obj, dict):
        raise ValueError(f"{where + ': ' if where else ''}expected an object, found {json_kind(obj)}")
    if key not in obj:
        if required:
            raise KeyError(f"{where}.{key}" if where else key)
        return None
    return obj[key]


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a string")
    return value


def _code(value: Any) -> int:
    if type(value) is not int or not 100 <= value <= 999:
        what = f"is {json_kind(value)}," if isinstance(value, dict | list) else f"{_shown(value)} is"
        raise ValueError(f"the HTTP status {what} not a three-digit number")
    return value


def _yaml_error(exc: Exception, data: bytes, *, in_bytes: bool) -> tuple[int | None, str]:
    """The line of a YAML error and its message on one line, positions as line and column."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None and getattr(exc, "problem", None):
        message = f"{exc.problem} at line {mark.line + 1} column {mark.column + 1}"  # type: ignore[attr-defined]
        context, at = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and at is not None and (at.line, at.column) != (mark.line, mark.column):
            message += f" ({context} from line {at.line + 1} column {at.column + 1})"
        return mark.line + 1, message
    if type(exc).__name__ == "ReaderError":  # a byte that is not UTF-8, or a character YAML refuses
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            line = data.count(b"\n", 0, bad.start) + 1
            return line, f"not UTF-8 text (byte {data[bad.start]:#04x} at line {line})"
        position, char = getattr(exc, "position", None), getattr(exc, "character", None)
        what = f"{getattr(exc, 'reason', 'unacceptable character')}{f' ({char:#04x})' if isinstance(char, int) else ''}"
        if not isinstance(position, int):
            return None, what
        if not in_bytes:  # the pure-Python reader counts characters, libyaml bytes
            position = len(data.decode("utf-8")[:position].encode())
        line = data.count(b"\n", 0, position) + 1
        column = position - data.rfind(b"\n", 0, position)
        return line, f"{what} at line {line} column {column}"
    return None, _why(exc)


def _shown(value: Any) -> str:
    """A scalar from a recording as JSON spells it (strings quoted)."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    return shorten(value)


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"content.text is not valid base64 ({_why(exc)})") from None


def check_exchanges(exchanges: list[Exchange], validator: Validator, source: str, unit: str,
                    check_type: type[JobCheck] = JobCheck) -> list[JobReport]:
    """Find the monitors and validate each as a job, with the HTTP semantics of the monitor."""
    def locate(pos: int) -> str:
        return f"{source}:{unit} {pos}"

    monitors = _monitors(exchanges)
    named = _named_monitors(exchanges)
    checks: dict[str, JobCheck] = {}
    for ex in exchanges:
        if ex.monitor is not None:  # the recording says which monitor this request polled, if any
            url = ex.monitor or None
        else:
            url = _monitor_of(ex.url, named) if ex.method == "GET" else None
            if url is None and ex.method == "GET" and ex.url in monitors:
                url = ex.url
        if url is not None:
            check = checks.get(url)
            if check is None:
                check = checks[url] = check_type(validator, source, url, locate)
            _poll(check, ex)
    return [c.finish() for c in checks.values()]


def _named_monitors(exchanges: list[Exchange]) -> set[str]:
    """The monitor URLs that 202s named in their ``Location``."""
    return {ex.headers["location"] for ex in exchanges if ex.code == 202 and "location" in ex.headers}


def _monitor_of(url: str, named: set[str]) -> str | None:
    """The named monitor that ``url`` polls: the monitor itself, or its URL with query parameters added
    after its own (a client's cache-buster such as ``&_=1712345678``). Other URLs are judged by what
    they answer."""
    if url in named:
        return url
    head, sep, query = url.partition("?")
    if not sep:
        return None
    if head in named:
        return head
    parts = query.split("&")[:64]
    for n in range(len(parts) - 1, 0, -1):
        base = f"{head}?{'&'.join(parts[:n])}"
        if base in named:
            return base
    return None


def _monitors(exchanges: list[Exchange]) -> set[str]:
    """Monitor URLs: Locations of 202s, URLs answered with a status body, URLs polled more than once;
    less the result items that 303s point to (unless a 202 named them too)."""
    accepted = {ex.headers["location"] for ex in exchanges if ex.code == 202 and "location" in ex.headers}
    gets: dict[str, int] = {}
    statused = set()
    for ex in exchanges:
        if ex.method == "GET":
            gets[ex.url] = gets.get(ex.url, 0) + 1
            if isinstance(ex.body, dict) and "status" in ex.body:
                statused.add(ex.url)
    results = {ex.headers["location"] for ex in exchanges if ex.code == 303 and "location" in ex.headers}
    polled = {url for url, n in gets.items() if n > 1}
    return accepted | statused | (polled - results)


def _poll(check: JobCheck, ex: Exchange) -> None:
    """One GET of a monitor: the body wins over the code; the code alone says what a body does not."""
    body, code, pos = ex.body, ex.code, ex.pos
    location = ex.headers.get("location")
    if isinstance(body, dict) and "status" in body:
        status = body["status"]
        known = check.validator.resolve(status)[0] if isinstance(status, str) else None
        clash = _clash(code, known, check)
        if clash:
            check.flag("http-status-mismatch",
                       f"HTTP {code} {clash}, but the body says {shorten(status)}; the body wins", pos, known)
        if code == 303 and location and not body.get("resourceLocation"):
            body = {**body, "resourceLocation": location}
        check.feed_body(body, pos)
    elif code == 303:  # completed; the Location, when there is one, names the result
        check.feed_body({"status": _success(check), "resourceLocation": location}, pos)
    elif 200 <= code < 300 and isinstance(body, dict) and ("id" in body or "name" in body):
        check.feed_body({"status": _success(check), "resourceId": str(body.get("id", "")) or None}, pos)
    elif code == 401:
        sent = "authorization" in ex.request_headers
        check.flag("auth-error", "HTTP 401 from the monitor: its URL is pre-authenticated, so the client must not "
                   f"send an Authorization header{' (this request sent one)' if sent else ''}", pos)
        check.observe(None, pos=pos)
    elif code == 404 or error_code(body) == "operationNotFound":
        if not check.ended:
            said = " with error code operationNotFound" if error_code(body) == "operationNotFound" else ""
            check.flag("monitor-lost", f"HTTP {code}{said} from the monitor before any terminal status: the monitor "
                       "was lost and the outcome is unknown", pos)
        check.observe(None, pos=pos)
    else:
        check.observe(None, pos=pos)


def _clash(code: int, status: str | None, check: JobCheck) -> str | None:
    """What the code claims when it contradicts the body's status, else None."""
    terminal = status is not None and status in check.validator.tables.terminal
    if code >= 400:
        return "is an error"
    if code == 202 and terminal:
        return "says the job is still running"
    if code == 303 and status is not None and status not in check.validator.tables.success:
        return "says the job completed"
    return None


def _success(check: JobCheck) -> str:
    return sorted(check.validator.tables.success)[0]


def _json(raw: bytes, headers: Mapping[str, str]) -> Any:
    """A JSON body, decompressed per Content-Encoding; None when there is none or it is not JSON."""
    encoding = headers.get("content-encoding", "").lower()
    try:
        if raw and encoding == "gzip":
            raw = _inflate(raw, 16 + zlib.MAX_WBITS)
        elif raw and encoding == "deflate":
            try:
                raw = _inflate(raw, zlib.MAX_WBITS)
            except zlib.error:
                raw = _inflate(raw, -zlib.MAX_WBITS)
        elif raw and encoding not in ("", "identity"):
            raise ValueError(f"body in unsupported Content-Encoding {shorten(encoding)}")
    except zlib.error as exc:
        raise ValueError(f"the {encoding} body is corrupt ({str(exc).split(': ', 1)[-1]})") from None
    if not raw.strip():
        return None
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError) as exc:
        kind = headers.get("content-type", "")
        if any(t in kind for t in _JSON_TYPES):
            raise ValueError(f"the {shorten(kind)} body is not valid JSON: "
                             f"{json_error(exc, raw, one_line=True)[1]}") from None
        return None


def _inflate(raw: bytes, wbits: int) -> bytes:
    """Decompress, refusing more than ``BODY_LIMIT`` bytes and a stream that ends early."""
    engine = zlib.decompressobj(wbits)
    out = engine.decompress(raw, BODY_LIMIT)
    if engine.unconsumed_tail:
        raise ValueError(f"the body decompresses to more than {BODY_LIMIT >> 20} MiB")
    if not engine.eof:
        raise ValueError("the compressed body ends early")
    return out


def _har_headers(items: Any, side: str) -> dict[str, str]:
    if items is None:
        return {}
    if not isinstance(items, list):
        raise ValueError(f"{'headers' if side == 'response' else side + '.headers'} are not a list of name/value "
                         "pairs")
    out = {}
    for i, h in enumerate(items):
        where = f"{side}.headers[{i}]"
        out[_text(_get(h, "name", where), f"{where}.name").lower()] = _text(_get(h, "value", where), f"{where}.value")
    return out


def _vcr_headers(items: Any, side: str) -> dict[str, str]:
    if items is None:
        return {}
    if not isinstance(items, dict):
        raise ValueError(f"{side}.headers are not a mapping")
    out = {}
    for name, value in items.items():
        first = value[0] if isinstance(value, list) and value else value
        where = f"{side}.headers[{shorten(name)}]"
        out[_text(name, f"{side}.headers: a header name").lower()] = _text(first, where)
    return out


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    return " ".join(str(exc).split())[:200] or type(exc).__name__


