"""Recorded HTTP traffic: HAR 1.2 files and VCR.py cassettes, read with the monitor's HTTP semantics.

A recording holds more than polls: the POST that started the job, the GET of the result item, other
traffic. Monitors are found by what they do, never by URL shape: the ``Location`` of a 202, a URL whose
answers carry an asyncJobStatus ``status``, or a URL polled again and again. Each monitor is one job.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from jobfsm.readers import BOM
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


_ENTRY_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OSError, EOFError, OverflowError, zlib.error)
BODY_LIMIT = 64 << 20
"""The most a decompressed body may hold: a gzip bomb is an input problem, not an exhausted machine."""


def read_har(data: bytes, problems: list[InputProblem]) -> list[Exchange]:
    """The entries of a HAR 1.2 log, bodies decoded (base64, gzip, deflate)."""
    try:
        doc = msgspec.json.decode(data.removeprefix(BOM))
    except (msgspec.DecodeError, RecursionError) as exc:
        problems.append(InputProblem(None, "", f"invalid JSON: {_why(exc)}"))
        return []
    entries = doc.get("log", {}).get("entries") if isinstance(doc, dict) and isinstance(doc.get("log"), dict) else None
    if not isinstance(entries, list):
        problems.append(InputProblem(None, "", "expected a HAR 1.2 file: an object with log.entries"))
        return []
    out = []
    for i, entry in enumerate(entries):
        try:
            request, response = entry["request"], entry["response"]
            content = response.get("content") or {}
            text = content.get("text")
            encoding = content.get("encoding")
            if text is not None and not isinstance(text, str):
                raise ValueError("content.text is not a string")
            if encoding is not None and str(encoding).lower() != "base64":
                raise ValueError(f"content.encoding {shorten(encoding)} is not base64")
            raw = (base64.b64decode(text, validate=True) if encoding else text.encode()) if text else b""
            headers = _har_headers(response.get("headers"))
            out.append(Exchange(i, _text(request["method"], "method").upper(), _text(request["url"], "url"),
                                _code(response["status"]), headers, _har_headers(request.get("headers")),
                                _json(raw, headers)))
        except _ENTRY_ERRORS as exc:
            problems.append(InputProblem(None, f"entry {i}", f"unreadable HAR entry: {_why(exc)}"))
    return out


def read_cassette(data: bytes, problems: list[InputProblem], *, yaml: bool) -> list[Exchange]:
    """The interactions of a VCR.py cassette (YAML, loaded safely, or the JSON serializer's output).

    Fields are type-checked, never turned into strings: a YAML alias bomb stays a cheap shared object.
    """
    try:
        if yaml:
            import yaml as pyyaml

            doc = pyyaml.load(data, Loader=getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader))
        else:
            doc = msgspec.json.decode(data.removeprefix(BOM))
    except ImportError:
        problems.append(InputProblem(None, "", "reading YAML cassettes needs PyYAML: pip install 'jobfsm[vcr]'"))
        return []
    except Exception as exc:  # the YAML and JSON parsers' own errors; unsafe tags are refused here too
        problems.append(InputProblem(None, "", f"unreadable cassette: {_why(exc)}"))
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("interactions"), list):
        problems.append(InputProblem(None, "", "expected a VCR.py cassette: a mapping with interactions"))
        return []
    version = doc.get("version", 1)
    if type(version) is not int or version != 1:
        problems.append(InputProblem(None, "", f"unknown cassette version {shorten(version)}; expected 1"))
        return []
    out = []
    for i, item in enumerate(doc["interactions"]):
        try:
            request, response = item["request"], item["response"]
            headers = _vcr_headers(response.get("headers"))
            body = response.get("body") or {}
            raw = body.get("string", b"") if isinstance(body, dict) else body
            if raw is None:
                raw = b""
            if not isinstance(raw, str | bytes):
                raise ValueError("the body is neither text nor bytes")
            out.append(Exchange(i, _text(request["method"], "method").upper(), _text(request["uri"], "uri"),
                                _code(response["status"]["code"]), headers, _vcr_headers(request.get("headers")),
                                _json(raw.encode() if isinstance(raw, str) else raw, headers)))
        except _ENTRY_ERRORS as exc:
            problems.append(InputProblem(None, f"interaction {i}", f"unreadable interaction: {_why(exc)}"))
    return out


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a string")
    return value


def _code(value: Any) -> int:
    if type(value) is not int or not 100 <= value <= 999:
        raise ValueError(f"the HTTP status {shorten(value)} is not a three-digit number")
    return value


def check_exchanges(exchanges: list[Exchange], validator: Validator, source: str, unit: str,
                    check_type: type[JobCheck] = JobCheck) -> list[JobReport]:
    """Find the monitors and validate each as a job, with the HTTP semantics of the monitor."""
    def locate(pos: int) -> str:
        return f"{source}:{unit} {pos}"

    monitors = _monitors(exchanges)
    checks: dict[str, JobCheck] = {}
    for ex in exchanges:
        if ex.method == "GET" and ex.url in monitors:
            check = checks.get(ex.url)
            if check is None:
                check = checks[ex.url] = check_type(validator, source, ex.url, locate)
            _poll(check, ex)
    return [c.finish() for c in checks.values()]


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
            check.flag("http-status-mismatch", f"HTTP {code} {clash}, but the body says {status!r}; the body wins",
                       pos, known)
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
    if raw and encoding == "gzip":
        raw = _inflate(raw, 16 + zlib.MAX_WBITS)
    elif raw and encoding == "deflate":
        try:
            raw = _inflate(raw, zlib.MAX_WBITS)
        except zlib.error:
            raw = _inflate(raw, -zlib.MAX_WBITS)
    elif raw and encoding not in ("", "identity"):
        raise ValueError(f"body in unsupported Content-Encoding {shorten(encoding)}")
    if not raw.strip():
        return None
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        kind = headers.get("content-type", "")
        if any(t in kind for t in _JSON_TYPES):
            raise ValueError(f"the {kind} body is not valid JSON") from None
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


def _har_headers(items: Any) -> dict[str, str]:
    if items is None:
        return {}
    if not isinstance(items, list):
        raise ValueError("headers are not a list of name/value pairs")
    return {_text(h["name"], "a header name").lower(): _text(h["value"], "a header value") for h in items}


def _vcr_headers(items: Any) -> dict[str, str]:
    if items is None:
        return {}
    if not isinstance(items, dict):
        raise ValueError("headers are not a mapping")
    out = {}
    for name, value in items.items():
        first = value[0] if isinstance(value, list) and value else value
        out[_text(name, "a header name").lower()] = _text(first, "a header value")
    return out


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    return " ".join(str(exc).split())[:200] or type(exc).__name__


