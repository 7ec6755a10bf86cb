"""Pins jobfsm.recordings: HAR files and VCR.py cassettes read with the monitor's HTTP semantics."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import SHARED

from jobfsm import Validator
from jobfsm.inputs import validate_path

MONITOR = "https://tenant.example/_api/v2.0/monitor/42"
ITEM = "https://tenant.example/_api/v2.0/drives/d/items/01NEW"


def entry(method: str, url: str, code: int, body: Any = None, *, headers: dict[str, str] | None = None,
          request_headers: dict[str, str] | None = None, raw: bytes | None = None, encoding: str | None = None) -> dict:
    """A HAR entry; ``raw`` bytes (base64 in the file) or a JSON ``body``."""
    content: dict[str, Any] = {"size": 0, "mimeType": "application/json"}
    if raw is not None:
        content.update(text=base64.b64encode(raw).decode(), encoding="base64")
    elif body is not None:
        content["text"] = json.dumps(body)
    return {"startedDateTime": "2026-11-02T09:00:00Z", "time": 1,
            "request": {"method": method, "url": url, "headers": [{"name": k, "value": v} for k, v in
                                                                  (request_headers or {}).items()]},
            "response": {"status": code, "headers": [{"name": k, "value": v} for k, v in (headers or {}).items()],
                         "content": content}}


def har(tmp_path: Path, *entries: dict) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]], list[Any]]:
    """Write a HAR and validate it: (violations as (location, rule, severity), problems, (job, final, polls))."""
    path = tmp_path / "t.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": list(entries)}}))
    jobs, problems = validate_path(str(path), Validator())
    return ([(v.location.split(":", 1)[1], v.rule, v.severity) for j in jobs for v in j.violations],
            [(p.location.split(":", 1)[1], p.message) for p in problems],
            [(j.job, j.final, j.polls) for j in jobs])


@pytest.mark.parametrize(("code", "body", "message"), [
    (404, None, "HTTP 404 from the monitor before any terminal status: the monitor was lost and the outcome is "
                "unknown"),
    (200, {"error": {"code": "operationNotFound", "message": "gone"}}, "HTTP 200 with error code operationNotFound "
     "from the monitor before any terminal status: the monitor was lost and the outcome is unknown"),
    (404, {"errorCode": "operationNotFound"}, "HTTP 404 with error code operationNotFound from the monitor before "
     "any terminal status: the monitor was lost and the outcome is unknown"),
], ids=["404", "operationNotFound-with-200", "operationNotFound-with-404"])
def test_monitor_lost_names_what_said_so(tmp_path: Path, code: int, body: Any, message: str) -> None:
    """monitor-lost names the HTTP code and, when the body says so, the operationNotFound error code."""
    path = tmp_path / "t.har"
    entries = [entry("GET", MONITOR, 202, {"status": "inProgress"}), entry("GET", MONITOR, code, body)]
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    (job,), problems = validate_path(str(path), Validator())
    assert problems == []
    assert job.violations[0][1:] == ("warning", 1, f"{path}:entry 1", "inProgress", None, message)
    assert job.violations[0].rule == "monitor-lost"


def test_post_and_result_item_are_not_polls(tmp_path: Path) -> None:
    """The POST that starts the copy and the GET of the result after the 303 are not polls of the monitor."""
    found, problems, jobs = har(
        tmp_path,
        entry("POST", "https://graph.example/v1.0/drives/d/items/01SRC/copy", 202, headers={"Location": MONITOR}),
        entry("GET", MONITOR, 202, {"status": "inProgress", "percentageComplete": 10.0}),
        entry("GET", MONITOR, 303, headers={"Location": ITEM}),
        entry("GET", ITEM, 200, {"id": "01NEW", "name": "copy.docx"}),
        entry("GET", "https://graph.example/v1.0/me", 200, {"displayName": "someone"}),
    )
    assert (found, problems, jobs) == ([], [], [(MONITOR, "completed", 2)])


@pytest.mark.parametrize(("entries", "expected"), [
    ([entry("GET", MONITOR, 202, {"status": "completed", "resourceId": "01"})],
     [("entry 0", "http-status-mismatch", "warning")]),
    ([entry("GET", MONITOR, 202, {"status": "inProgress"}), entry("GET", MONITOR, 404)],
     [("entry 1", "monitor-lost", "warning"), ("entry 1", "unterminated", "warning")]),
    ([entry("GET", MONITOR, 200, {"status": "failed"}), entry("GET", MONITOR, 404),
      entry("GET", MONITOR, 200, {"error": {"code": "operationNotFound"}})], []),
    ([entry("GET", MONITOR, 401, {"error": {"code": "unauthenticated"}})] * 2,
     [("entry 0", "auth-error", "warning"), ("entry 1", "auth-error", "warning"),
      ("entry 1", "no-status-observed", "warning")]),
    ([entry("GET", MONITOR, 202, {"status": "inProgress"}), entry("GET", MONITOR, 200, {"id": "01", "name": "x"})],
     []),
    ([entry("GET", MONITOR, 303, {"status": "inProgress"}, headers={"Location": ITEM})],
     [("entry 0", "http-status-mismatch", "warning"), ("entry 0", "unterminated", "warning")]),
], ids=["202-carrying-completed", "404-before-terminal", "expiry-after-terminal", "401", "driveitem-means-done",
        "303-with-running-body"])
def test_http_semantics(tmp_path: Path, entries: list[dict], expected: list[tuple[str, str, str]]) -> None:
    """The body wins over the code; 303, a driveItem, 401 and 404 mean what domain.md section 5 says."""
    found, problems, _ = har(tmp_path, *entries)
    assert (found, problems) == (expected, [])


def test_auth_error_message_says_why(tmp_path: Path) -> None:
    """A 401 names the cause: the monitor URL is pre-authenticated and the client sent credentials."""
    path = tmp_path / "t.har"
    path.write_text(json.dumps({"log": {"entries": [entry("GET", MONITOR, 401, request_headers={
        "Authorization": "Bearer x"}), entry("GET", MONITOR, 202, {"status": "completed", "resourceId": "r"})]}}))
    (job,), _ = validate_path(str(path), Validator())
    assert job.violations[0].message == ("HTTP 401 from the monitor: its URL is pre-authenticated, so the client "
                                         "must not send an Authorization header (this request sent one)")


@pytest.mark.parametrize("encode", [gzip.compress, zlib.compress], ids=["gzip", "deflate"])
def test_compressed_bodies(tmp_path: Path, encode: Any) -> None:
    """Bodies are decoded from base64 and decompressed per Content-Encoding."""
    raw = encode(json.dumps({"status": "completed", "resourceId": "01"}).encode())
    name = "gzip" if encode is gzip.compress else "deflate"
    _, problems, jobs = har(tmp_path, entry("GET", MONITOR, 200, raw=raw, headers={"Content-Encoding": name}))
    assert (problems, jobs) == ([], [(MONITOR, "completed", 1)])


def test_broken_entries_are_input_problems_and_the_rest_counts(tmp_path: Path) -> None:
    """A corrupt gzip body and an entry without a response are reported at their entry; others still count."""
    bad_gzip = entry("GET", MONITOR, 200, raw=b"\x1f\x8bnot gzip", headers={"Content-Encoding": "gzip"})
    no_response = {"request": {"method": "GET", "url": MONITOR}}
    _, problems, jobs = har(tmp_path, entry("GET", MONITOR, 202, {"status": "inProgress"}), bad_gzip,
                                no_response, entry("GET", MONITOR, 200, {"status": "completed", "resourceId": "r"}))
    assert [p[0] for p in problems] == ["entry 1", "entry 2"]
    assert problems[1][1] == "unreadable HAR entry: missing 'response'"
    assert jobs == [(MONITOR, "completed", 2)]


@pytest.mark.parametrize(("doc", "message"), [
    ({"entries": []}, "expected a HAR 1.2 file: an object with log.entries"),
    ({"log": {}}, "expected a HAR 1.2 file: an object with log.entries"),
    ({"log": {"entries": []}}, None),
], ids=["no-log", "no-entries", "empty"])
def test_har_shape(tmp_path: Path, doc: dict, message: str | None) -> None:
    """A HAR without log.entries is one input problem; an empty one has no monitor."""
    path = tmp_path / "t.har"
    path.write_text(json.dumps(doc))
    _, problems = validate_path(str(path), Validator())
    want = message or ("no monitor found: no GET was answered with a status, none followed a 202's Location, "
                       "none was polled twice")
    assert [p.message for p in problems] == [want]


def test_yaml_cassette_with_python_tags_is_refused(tmp_path: Path) -> None:
    """Safe loading only: a !!python/object tag is refused and nothing is executed."""
    marker = tmp_path / "ran"
    path = tmp_path / "evil.yaml"
    path.write_text(f"interactions:\n- !!python/object/apply:os.system ['touch {marker}']\nversion: 1\n")
    jobs, problems = validate_path(str(path), Validator())
    assert jobs == []
    assert len(problems) == 1
    assert problems[0].message.startswith("unreadable cassette: could not determine a constructor for the tag")
    assert not marker.exists()


@pytest.mark.parametrize(("text", "message"), [
    ("interactions: []\nversion: 2\n", "unknown cassette version 2; expected 1"),
    ("just: text\n", "expected a VCR.py cassette: a mapping with interactions"),
    ("interactions: []\nversion: [1]\n", "the cassette version is an array; expected 1"),
    ("interactions: []\nversion: null\n", "unknown cassette version null; expected 1"),
], ids=["version", "not-a-cassette", "version-array", "version-null"])
def test_cassette_shape(tmp_path: Path, text: str, message: str) -> None:
    """Cassettes of another version or shape are one clear input problem."""
    path = tmp_path / "c.yaml"
    path.write_text(text)
    _, problems = validate_path(str(path), Validator())
    assert [p.message for p in problems] == [message]


def test_json_cassette_and_binary_bodies(tmp_path: Path) -> None:
    """The JSON serializer's cassettes read too; in YAML, !!binary bodies are bytes."""
    interactions = [{"request": {"method": "GET", "uri": MONITOR, "headers": {}},
                     "response": {"status": {"code": 202}, "headers": {},
                                  "body": {"string": json.dumps({"status": "inProgress"})}}},
                    {"request": {"method": "GET", "uri": MONITOR, "headers": {}},
                     "response": {"status": {"code": 303}, "headers": {"Location": [ITEM]}, "body": {"string": ""}}}]
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"interactions": interactions, "version": 1}))
    jobs, problems = validate_path(str(path), Validator())
    assert (problems, [(j.final, j.polls) for j in jobs]) == ([], [("completed", 2)])
    body = base64.b64encode(json.dumps({"status": "failed"}).encode()).decode()
    yaml_path = tmp_path / "c.yaml"
    yaml_path.write_text(f"interactions:\n- request: {{method: GET, uri: '{MONITOR}', headers: {{}}}}\n"
                         f"  response:\n    status: {{code: 200}}\n    headers: {{}}\n"
                         f"    body: {{string: !!binary '{body}'}}\nversion: 1\n")
    jobs, problems = validate_path(str(yaml_path), Validator())
    assert (problems, [(j.final, j.polls) for j in jobs]) == ([], [("failed", 1)])


def test_yaml_alias_bomb_is_cheap(tmp_path: Path) -> None:
    """A billion-laughs cassette is refused in a blink: fields are type-checked, never expanded."""
    import subprocess
    import sys

    lines = ["a0: &a0 [lol]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    for field in ("version: *a9", "interactions:\n- request: {method: *a9, uri: x}\n  response: {status: {code: 200}}"):
        path = tmp_path / "bomb.yaml"
        path.write_text("\n".join(lines) + f"\n{field}\n" + ("version: 1\n" if "interactions" in field else
                                                             "interactions: []\n"))
        done = subprocess.run([sys.executable, "-m", "jobfsm", "validate", str(path)], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2, done.stdout
        assert "input error" in done.stdout


@pytest.mark.parametrize(("response", "message"), [
    ({"status": 200, "headers": [{"name": "Content-Encoding", "value": "gzip"}],
      "content": {"text": base64.b64encode(gzip.compress(b'{"status": "failed"}')[:-6]).decode(),
                  "encoding": "base64"}}, "unreadable HAR entry: the compressed body ends early"),
    ({"status": 200, "headers": [{"name": "Content-Encoding", "value": "gzip"}],
      "content": {"text": base64.b64encode(gzip.compress(b" " * (70 << 20))).decode(), "encoding": "base64"}},
     "unreadable HAR entry: the body decompresses to more than 64 MiB"),
    ({"status": 200, "content": {"text": "eyJzdGF0dXMiOiAiZmFpbGVkIn0=", "encoding": "gzip"}},
     "unreadable HAR entry: content.encoding 'gzip' is not base64"),
    ({"status": 200, "headers": {"Location": "x"}, "content": {}},
     "unreadable HAR entry: headers are not a list of name/value pairs"),
    ({"status": "202", "content": {}}, "unreadable HAR entry: the HTTP status '202' is not a three-digit number"),
    ({"status": None, "content": {}}, "unreadable HAR entry: the HTTP status null is not a three-digit number"),
], ids=["truncated-gzip", "gzip-bomb", "unknown-encoding", "headers-object", "status-string", "status-null"])
def test_bad_entries_are_one_line_each(tmp_path: Path, response: dict, message: str) -> None:
    """Broken or oversized bodies and mistyped fields are input problems at their entry, never a traceback."""
    bad = {"request": {"method": "GET", "url": MONITOR}, "response": response}
    _, problems, jobs = har(tmp_path, entry("GET", MONITOR, 202, {"status": "inProgress"}), bad)
    assert problems == [("entry 1", message)]
    assert jobs == [(MONITOR, "inProgress", 1)]


def test_base64_in_any_case_and_303_without_location(tmp_path: Path) -> None:
    """'Base64' is base64; a 303 with no Location completes without a resource (a warning, not an error)."""
    body = base64.b64encode(b'{"status": "inProgress"}').decode()
    odd = entry("GET", MONITOR, 202)
    odd["response"]["content"] = {"text": body, "encoding": "Base64"}
    found, problems, jobs = har(tmp_path, odd, entry("GET", MONITOR, 303))
    assert (found, problems, jobs) == ([("entry 1", "completed-without-resource", "warning")], [],
                                       [(MONITOR, "completed", 2)])


@pytest.mark.parametrize("name", ["t.har", "t.dat"], ids=["har-with-bom", "minified-unknown-extension"])
def test_bom_and_one_line_recordings(tmp_path: Path, name: str) -> None:
    """A BOM before a HAR, or a whole HAR on one line in a file of unknown extension, still reads as HAR."""
    doc = json.dumps({"log": {"entries": [entry("GET", MONITOR, 200, {"status": "failed"})]}})
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if name.endswith(".har") else b"") + doc.encode())
    jobs, problems = validate_path(str(path), Validator())
    assert (problems, [(j.job, j.final) for j in jobs]) == ([], [(MONITOR, "failed")])


def test_file_level_problems_name_the_file_only(tmp_path: Path) -> None:
    """A problem with the whole file is located at the file, not at a made-up first entry."""
    path = tmp_path / "t.har"
    path.write_text('{"log": 5}')
    _, problems = validate_path(str(path), Validator())
    assert [(p.location, p.message) for p in problems] == [
        (str(path), "expected a HAR 1.2 file: an object with log.entries")]


@pytest.mark.parametrize("monitor", [MONITOR, MONITOR + "?c=Y2FjaGU&v=2"], ids=["no-query", "with-query"])
def test_cache_busters_poll_the_named_monitor(tmp_path: Path, monitor: str) -> None:
    """Polls of the 202's Location with query parameters added (a cache-buster) are polls of that monitor."""
    sep = "&" if "?" in monitor else "?"
    found, problems, jobs = har(
        tmp_path,
        entry("POST", "https://graph.example/v1.0/drives/d/items/01SRC/copy", 202, headers={"Location": monitor}),
        entry("GET", f"{monitor}{sep}_=1", 202, {"status": "notStarted"}),
        entry("GET", f"{monitor}{sep}_=2", 202, {"status": "inProgress", "percentageComplete": 10.0}),
        entry("GET", monitor, 303, headers={"Location": ITEM}),
        entry("GET", ITEM, 200, {"id": "01NEW", "name": "copy.docx"}),
    )
    assert (found, problems, jobs) == ([], [], [(monitor, "completed", 3)])


def test_unnamed_urls_with_other_queries_are_other_monitors(tmp_path: Path) -> None:
    """Without a 202 naming the monitor, a URL is its own monitor: the query may be what tells operations apart."""
    _, _, jobs = har(tmp_path, entry("GET", MONITOR + "?op=1", 200, {"status": "completed", "resourceId": "a"}),
                     entry("GET", MONITOR + "?op=2", 200, {"status": "failed"}))
    assert jobs == [(MONITOR + "?op=1", "completed", 1), (MONITOR + "?op=2", "failed", 1)]
def test_monitor_field_says_which_monitor_an_entry_polled(tmp_path: Path) -> None:
    """An entry's _monitor (which the fake monitor writes) names the monitor it polled, whatever its URL's query;
    '' says it polled none; without it, monitors are found as before."""
    marked = [entry("GET", MONITOR + "?a=b", 202, {"status": "notStarted"}), entry("GET", MONITOR, 202,
              {"status": "inProgress"}), entry("GET", MONITOR + "?_=3", 200, {"status": "failed"}),
              entry("GET", "https://tenant.example/other", 200, {"status": "completed", "resourceId": "x"})]
    for e, monitor in zip(marked, [MONITOR, MONITOR, MONITOR, ""], strict=True):
        e["_monitor"] = monitor
    assert har(tmp_path, *marked)[2] == [(MONITOR, "failed", 3)]
    for e in marked:
        del e["_monitor"]
    assert har(tmp_path, *marked)[2] == [(MONITOR + "?a=b", "notStarted", 1), (MONITOR, "inProgress", 1),
                                         (MONITOR + "?_=3", "failed", 1),
                                         ("https://tenant.example/other", "completed", 1)]


GET = {"method": "GET", "url": MONITOR}


@pytest.mark.parametrize(("bad", "message"), [
    (5, "expected an object, found a number"),
    ({"request": [], "response": {"status": 200}}, "request: expected an object, found an array"),
    ({"request": GET, "response": {"status": 200, "content": "x"}},
     "response.content: expected an object, found a string"),
    ({"request": GET, "response": {"status": 200, "headers": ["Location: x"]}},
     "response.headers[0]: expected an object, found a string"),
    ({"request": {**GET, "headers": [{"name": "Accept"}]}, "response": {"status": 200}},
     "missing 'request.headers[0].value'"),
    ({"request": {"url": MONITOR}, "response": {"status": 200}}, "missing 'request.method'"),
    ({"request": GET, "response": {"status": None}}, "the HTTP status null is not a three-digit number"),
    ({"request": GET, "response": {"status": [200]}}, "the HTTP status is an array, not a three-digit number"),
    ({"request": GET, "response": {"status": 200, "content": {"text": "eyJzdGF0dXMi!", "encoding": "base64"}}},
     "content.text is not valid base64 (Only base64 data is allowed)"),
    ({"request": GET, "response": {"status": 200, "headers": [{"name": "Content-Encoding", "value": "deflate"}],
                                   "content": {"text": base64.b64encode(b"\xff\xfe garbage").decode(),
                                               "encoding": "base64"}}},
     "the deflate body is corrupt (invalid block type)"),
    ({"request": GET, "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "application/json"}],
                                   "content": {"text": '{"status": "completed",}'}}},
     "the 'application/json' body is not valid JSON: trailing comma in object at column 24"),
    ({"request": GET, "response": {"status": 200}, "_monitor": 1},
     "_monitor is a number, not the monitor's URL (or '' for none)"),
], ids=["entry-number", "request-array", "content-string", "header-string", "header-without-value", "no-method",
        "status-null", "status-array", "bad-base64", "corrupt-deflate", "broken-json-body", "monitor-number"])
def test_har_entry_of_the_wrong_shape_says_where_and_what(tmp_path: Path, bad: Any, message: str) -> None:
    """An entry's part of the wrong JSON type is named by its path with what was expected, not Python's words."""
    _, problems, jobs = har(tmp_path, entry("GET", MONITOR, 202, {"status": "inProgress"}), bad)
    assert problems == [("entry 1", f"unreadable HAR entry: {message}")]
    assert jobs == [(MONITOR, "inProgress", 1)]


CASSETTE_GET = {"method": "GET", "uri": MONITOR}


@pytest.mark.parametrize(("bad", "message"), [
    ("GET", "expected an object, found a string"),
    ({"request": CASSETTE_GET, "response": {"status": {"message": "OK"}}}, "missing 'response.status.code'"),
    ({"request": CASSETTE_GET, "response": {"status": {"code": 200}, "body": {"string": 5}}},
     "response.body.string is neither text nor bytes but a number"),
    ({"request": {**CASSETTE_GET, "headers": ["Accept"]}, "response": {"status": {"code": 200}}},
     "request.headers are not a mapping"),
    ({"request": CASSETTE_GET, "response": {"status": {"code": 200}, "headers": {"Location": [5]}}},
     "response.headers['Location'] is not a string"),
], ids=["interaction-string", "status-without-code", "body-number", "headers-list", "header-value-number"])
def test_cassette_interaction_of_the_wrong_shape_says_where_and_what(tmp_path: Path, bad: Any, message: str) -> None:
    """A JSON cassette's interaction of the wrong shape is named by its path with what was expected."""
    good = {"request": CASSETTE_GET, "response": {"status": {"code": 202},
                                                  "body": {"string": json.dumps({"status": "inProgress"})}}}
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"interactions": [good, bad], "version": 1}))
    jobs, problems = validate_path(str(path), Validator())
    assert [(p.location, p.message) for p in problems] == [(f"{path}:interaction 1",
                                                            f"unreadable interaction: {message}")]
    assert [(j.final, j.polls) for j in jobs] == [("inProgress", 1)]


@pytest.mark.parametrize(("name", "data", "line", "message"), [
    ("t.har", b'{"log": {"entries": []}}\n]\n', 2, "invalid JSON: trailing characters at line 2 column 2"),
    ("c.yaml", b"interactions:\n- request: {method: GET\n", 3, "unreadable cassette: did not find expected ',' or "
     "'}' at line 3 column 1 (while parsing a flow mapping from line 2 column 12)"),
    ("c.yaml", b"interactions: []\n# caf\xe9\n", 2, "unreadable cassette: not UTF-8 text (byte 0xe9 at line 2)"),
    ("c.yaml", b'interactions: []\nversion: 1\nnote: "\xc3\xa9\x07"\n', 3,
     "unreadable cassette: control characters are not allowed (0x07) at line 3 column 10"),
    ("c.yaml", b"interactions:\n\t- x\n", 2,
     "unreadable cassette: found character that cannot start any token at line 2 column 1"),
], ids=["har-trailing", "yaml-unclosed-flow", "yaml-not-utf8", "yaml-control-character", "yaml-tab"])
def test_recording_syntax_errors_are_located(tmp_path: Path, name: str, data: bytes, line: int, message: str) -> None:
    """A HAR or cassette that does not parse is one problem at the error's line, with its line and column."""
    path = tmp_path / name
    path.write_bytes(data)
    _, problems = validate_path(str(path), Validator())
    assert [(p.location, p.message) for p in problems] == [(f"{path}:{line}", message)]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf \r\n"], ids=["empty", "bom-and-blanks"])
def test_empty_har_says_it_is_empty(tmp_path: Path, data: bytes) -> None:
    """An empty HAR is one problem at the file saying so, not 'Input data was truncated'."""
    path = tmp_path / "t.har"
    path.write_bytes(data)
    _, problems = validate_path(str(path), Validator())
    assert [(p.location, p.message) for p in problems] == [
        (str(path), "expected a HAR 1.2 file: an object with log.entries, found an empty file")]


def test_yaml_cassette_in_utf16_reads(tmp_path: Path) -> None:
    """YAML may be UTF-16 (YAML 1.1 says so): a cassette saved so is read like its UTF-8 original."""
    original = SHARED / "vcr-doc-flow.yaml"
    wide = tmp_path / "wide.yaml"
    wide.write_bytes(original.read_text().encode("utf-16"))
    assert [j.to_dict() | {"source": None} for j in validate_path(str(wide), Validator())[0]] == [
        j.to_dict() | {"source": None} for j in validate_path(str(original), Validator())[0]]
