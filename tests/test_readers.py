"""Pins jobfsm.readers: format detection, the text, JSON and JSON Lines readers, job grouping, locations."""

from __future__ import annotations

import json

import pytest

from jobfsm.errors import OptionsError
from jobfsm.inputs import detect_format, validate_path
from jobfsm.validation import Validator

NO_POLLS = "no polls found: expected statuses or asyncJobStatus bodies"
NOT_A_POLL = "expected an asyncJobStatus object or a status string, found "


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Run each test in its tmp_path so locations read ``name:LINE``."""
    monkeypatch.chdir(tmp_path)


def read(name, data, **kwargs):
    """Write ``data`` to ``name`` and validate it: (jobs, problems)."""
    with open(name, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return validate_path(name, Validator(), **kwargs)


def found(jobs):
    """Every violation of every job as (location, rule)."""
    return [(v.location, v.rule) for j in jobs for v in j.violations]


def issues(problems):
    """Every input problem as (location, message)."""
    return [(p.location, p.message) for p in problems]


@pytest.mark.parametrize(("path", "head", "expected"), [
    ("t.txt", b"[", "text"),
    ("t.log", b'{"status": "completed"}\n', "jsonl"),
    ("t.json", b"{", "json"),
    ("t.JSONL", b"[", "jsonl"),
    ("t.ndjson", b"", "jsonl"),
    ("trace", b"  \n [", "json"),
    ("trace.dat", b'\xef\xbb\xbf{"status": 1}', "jsonl"),
    ("trace", b"notStarted", "text"),
    ("trace", b"", "text"),
    ("-", b"interactions:\n- request:\n", "cassette"),
    ("trace", b"\xef\xbb\xbf# recorded\n%YAML 1.1\n---\n\nversion: 1\n", "cassette"),
    ("trace", b'"interactions":\r\n', "cassette"),
    ("trace", b"# interactions:\nnotStarted\n", "text"),
    ("trace", b"  interactions:\n", "text"),
    ("trace", b"versions:\n", "text"),
], ids=["txt", "log-is-sniffed", "json-ext-wins", "jsonl-ext-any-case", "ndjson", "sniff-array",
        "sniff-object-after-bom", "sniff-text", "sniff-empty", "sniff-cassette",
        "sniff-cassette-after-comments-and-marker", "sniff-cassette-quoted-key-crlf", "comment-is-not-a-key",
        "indented-is-not-top-level", "other-key"])
def test_detect_format(path, head, expected):
    """The extension decides; else the first significant byte after a BOM and blanks, or a cassette's
    top-level key on the first line that is not blank, a comment or a YAML marker."""
    assert detect_format(path, head) == expected


@pytest.mark.parametrize(("data", "expected"), [
    ('\n  ["notStarted",\n "bogus"]', [("trace:3", "unknown-status"), ("trace:3", "unterminated")]),
    ('{"status": "notStarted"}\n"bogus"\n', [("trace:2", "unknown-status"), ("trace:2", "unterminated")]),
    ("notStarted\nbogus\n", [("trace:2", "unknown-status"), ("trace:2", "unterminated")]),
], ids=["json", "jsonl", "text"])
def test_file_without_extension_is_sniffed(data, expected):
    """A file with no known extension is read in the format its content shows."""
    jobs, problems = read("trace", data)
    assert (found(jobs), problems) == (expected, [])


def test_explicit_format_overrides_extension():
    """``fmt`` wins over the extension: a .txt holding JSON Lines is read as JSON Lines."""
    jobs, problems = read("t.txt", '{"status": "failed"}\n', fmt="jsonl")
    assert ([(j.final, j.polls) for j in jobs], problems) == ([("failed", 1)], [])


def test_text_reader_skips_comments_blank_lines_crlf_and_bom():
    """Text: BOM, ``#`` comments, blank lines and CRLF are not polls; lines keep their numbers."""
    data = b"\xef\xbb\xbf# recorded 2024-05-01\r\nnotStarted  # queued\r\n\r\n   \r\ninProgress\r\nbogus\r\n"
    jobs, problems = read("t.txt", data)
    assert problems == []
    assert [(j.final, j.polls) for j in jobs] == [("inProgress", 3)]
    assert [(v.location, v.rule, v.to_status) for v in jobs[0].violations] == [
        ("t.txt:6", "unknown-status", "bogus"), ("t.txt:6", "unterminated", None)]


@pytest.mark.parametrize(("line", "message"), [
    (b"in\xffProgress", "not UTF-8 text (byte 3 of the line)"),
    (b"in Progress", "expected one status per line, found 'in Progress'"),
], ids=["not-utf8", "two-words"])
def test_text_reader_input_problem_keeps_the_rest(line, message):
    """A bad text line is an input problem at its line; the other lines are still validated."""
    jobs, problems = read("t.txt", b"notStarted\n" + line + b"\ncompleted\n")
    assert issues(problems) == [("t.txt:2", message)]
    assert [(j.final, j.polls) for j in jobs] == [("completed", 2)]


STATUSES_PRETTY = '[\n  "notStarted",\n\n  "inProgress",\n  "bogus",\n  "failed"\n]\n'
BODIES_PRETTY = """\
[
  {
    "status": "notStarted",
    "statusDescription": "queued [1/2], \\"copy\\" {x}",
    "error": {"details": [{"code": "a"}, {"code": "b"}]}
  },
  {"status": "Completed"}, {
    "status": "bogus"
  }
]
"""
ONE_LINE = '[{"status": "notStarted"}, {"status": "bogus"}, "inProgress"]'


@pytest.mark.parametrize(("data", "expected"), [
    (STATUSES_PRETTY, [("t.json:5", "unknown-status")]),
    (BODIES_PRETTY, [("t.json:7", "status-case"), ("t.json:7", "skipped-states"),
                     ("t.json:7", "completed-without-resource"), ("t.json:7", "unknown-status")]),
    (ONE_LINE, [("t.json:1", "unknown-status"), ("t.json:1", "unterminated")]),
], ids=["statuses-pretty", "bodies-pretty", "one-line"])
def test_json_array_locations_are_element_start_lines(data, expected):
    """JSON arrays: each poll is located at the line its element starts on."""
    jobs, problems = read("t.json", data)
    assert (found(jobs), problems) == (expected, [])


@pytest.mark.parametrize(("data", "message"), [
    ('{"status": "completed"}', "expected a JSON array of statuses or asyncJobStatus bodies, found an object "
                                "(one body per line is JSON Lines: use .jsonl)"),
    ('"completed"', "expected a JSON array of statuses or asyncJobStatus bodies, found a string"),
    ('[\n {"status": "notStarted"},\n {"status": "inProg',
     "invalid JSON: Input data was truncated at line 3 column 20"),
    ('[\n {"status": "notStarted"},\n]', "invalid JSON: trailing comma in array at line 3 column 1"),
], ids=["object", "string", "truncated", "trailing-comma"])
def test_json_that_is_not_an_array_of_polls(data, message):
    """A JSON file that is not a readable array is one input problem with the whole message."""
    jobs, problems = read("t.json", data)
    assert (jobs, [p.message for p in problems]) == ([], [message])


@pytest.mark.parametrize(("data", "line"), [
    ('[\n "notStarted",\n 5,\n "completed"\n]', 3),
    ('["notStarted"\n, 5\n, "completed"\n]', 2),
], ids=["pretty", "comma-first"])
def test_json_array_item_that_is_a_number(data, line):
    """A number in the array is an input problem at its own line; the other items are validated."""
    jobs, problems = read("t.json", data)
    assert issues(problems) == [(f"t.json:{line}", "item 1: " + NOT_A_POLL + "a number")]
    assert [(j.final, j.polls) for j in jobs] == [("completed", 2)]


@pytest.mark.parametrize(("data", "expected"), [
    ('{"status": "notStarted"}\n\n\n{"status": "bogus"}\n', [("t.jsonl:4", "unknown-status"),
                                                              ("t.jsonl:4", "unterminated")]),
    ('"notStarted"\n"bogus"\n"failed"\n', [("t.jsonl:2", "unknown-status")]),
    ('{"status": "notStarted"}\n{"status": "bogus"}', [("t.jsonl:2", "unknown-status"), ("t.jsonl:2", "unterminated")]),
], ids=["blank-lines", "bare-status-strings", "no-trailing-newline"])
def test_jsonl_line_numbers(data, expected):
    """JSON Lines: blank lines are skipped but counted, bare status strings are polls, the last line counts."""
    jobs, problems = read("t.jsonl", data)
    assert (found(jobs), problems) == (expected, [])


BAD_LINES = [
    ("[1]", NOT_A_POLL + "an array"),
    ("12", NOT_A_POLL + "a number"),
    ('{"status": x}', "invalid JSON: invalid character at column 12"),
]
BAD_LINE_IDS = ["array", "number", "malformed"]


def bad_line_log(line):
    """A four-line log whose second line is ``line``."""
    return f'{{"status": "notStarted"}}\n{line}\n{{"status": "bogus"}}\n"failed"\n'


@pytest.mark.parametrize("line", [line for line, _ in BAD_LINES], ids=BAD_LINE_IDS)
def test_jsonl_bad_line_is_reported_and_rest_validated(line):
    """A bad JSON line is an input problem at its line; the lines after it are still validated."""
    jobs, problems = read("t.jsonl", bad_line_log(line))
    assert found(jobs) == [("t.jsonl:3", "unknown-status")]
    assert [(j.final, j.polls) for j in jobs] == [("failed", 3)]
    assert [p.location for p in problems] == ["t.jsonl:2"]


@pytest.mark.parametrize(("line", "message"), BAD_LINES, ids=BAD_LINE_IDS)
def test_jsonl_bad_line_message(line, message):
    """The message of a bad JSON line; a syntax error gives its column (the location gives the line)."""
    _, problems = read("t.jsonl", bad_line_log(line))
    assert [p.message for p in problems] == [message]


def test_jsonl_large_file_keeps_line_numbers_across_chunks():
    """A 3,000,000-byte log is read in 1 MiB chunks; lines across chunk boundaries keep their numbers."""
    width, count = 100, 30_000
    cross1, cross2 = (1 << 20) // width + 1, (2 << 20) // width + 1  # lines spanning the chunk boundaries
    lines = ['{"status": "inProgress"}'] * count
    lines[0] = '{"status": "notStarted"}'
    lines[cross1 - 1] = lines[cross2 - 1] = lines[29_999 - 1] = '{"status": "bogus"}'
    lines[15_000 - 1] = ""
    lines[25_000 - 1] = "{broken"
    lines[-1] = '{"status": "completed", "resourceId": "r"}'
    data = "".join(line.ljust(width - 1) + "\n" for line in lines).encode()
    assert len(data) == 3_000_000
    jobs, problems = read("big.jsonl", data)
    assert found(jobs) == [(f"big.jsonl:{n}", "unknown-status") for n in (cross1, cross2, 29_999)]
    assert [(j.final, j.polls) for j in jobs] == [("completed", count - 2)]
    assert [p.location for p in problems] == ["big.jsonl:25000"]


@pytest.mark.parametrize(("data", "expected"), [
    ('{"status": "inProgress", "x": {"y": 1}\n} {"status": "failed"}\n',
     [("t.jsonl:1", "invalid JSON: Input data was truncated at column 39"),
      ("t.jsonl:2", "invalid JSON: invalid character at column 1")]),
    ('{"status":\n}\n', [("t.jsonl:1", "invalid JSON: Input data was truncated at column 11"),
                         ("t.jsonl:2", "invalid JSON: invalid character at column 1")]),
], ids=["value-across-lines-and-two-on-one", "pretty-printed"])
def test_jsonl_values_across_lines_are_errors_at_their_lines(data, expected):
    """A value spread over lines is malformed JSON Lines, even where its lines decode as a stream of values."""
    _, problems = read("t.jsonl", data)
    assert issues(problems) == expected


@pytest.mark.parametrize("end", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_jsonl_compact_log_keeps_line_numbers_across_buffers(end):
    """A compact log larger than the read buffer, with one line longer than it: every line keeps its number."""
    lines = [f'{{"job": "j{i % 7}", "status": "inProgress", "percentageComplete": 1}}' for i in range(60_000)]
    lines[0] = '{"job": "j0", "status": "notStarted"}'
    lines[40_000] = '{"job": "j3", "status": "bogus", "statusDescription": "' + "x" * 3_000_000 + '"}'
    for n, status, progress in [(50_000, "inProgress", 60), (50_007, "waiting", 60), (50_014, "inProgress", 0),
                                (50_021, "inProgress", 0.5), (50_028, "inProgress", 0.2)]:
        lines[n] = f'{{"job": "w", "status": "{status}", "percentageComplete": {progress}}}'
    jobs, problems = read("big.jsonl", end.join(lines) + end)
    assert sorted(found(jobs)) == [("big.jsonl:40001", "unknown-status"), ("big.jsonl:50029", "progress-regressed"),
                                   ("big.jsonl:50029", "unterminated")] + [
        (f"big.jsonl:{59_994 + i}", "unterminated") for i in range(7)]
    assert problems == []


RICH = [
    {"job": "a", "status": "notStarted", "operation": "ItemCopy", "percentageComplete": 0},
    {"job": "b", "status": "Completed"},
    {"job": "a", "status": "inProgress", "percentageComplete": 40.5},
    {"job": "a", "status": "inProgress", "percentageComplete": 12, "resourceId": "r1"},
    {"job": "a", "status": "running", "resourceId": "r2", "operation": "DownloadUrl", "extra": [1, {"x": 2}]},
    {"job": "a", "status": "mystery"},
    {"job": "a", "status": "completed", "resourceId": ""},
    {"job": "a", "status": "inProgress"},
    {"job": 7, "status": "failed", "statusDescription": "Completed 0/0 files"},
]
RICH_RULES = ["progress-regressed", "status-alias", "resource-changed", "operation-changed", "unknown-status",
              "empty-resource-id", "left-terminal", "unterminated", "status-case", "completed-without-resource"]


@pytest.mark.parametrize(("name", "valid", "with_bad"), [
    ("t.json", json.dumps(RICH, indent=2), json.dumps([*RICH, 3], indent=2)),
    ("t.jsonl", "".join(json.dumps(b) + "\n" for b in RICH), "".join(json.dumps(b) + "\n" for b in RICH) + "{oops\n"),
], ids=["json-array", "jsonl"])
def test_typed_and_generic_paths_give_identical_reports(name, valid, with_bad):
    """One malformed record forces the generic path: the valid records' reports must not change."""
    fast_jobs, fast_problems = read(name, valid)
    slow_jobs, slow_problems = read(name, with_bad)
    assert [v.rule for j in fast_jobs for v in j.violations] == RICH_RULES
    assert (fast_problems, len(slow_problems)) == ([], 1)
    assert [j.to_dict() for j in slow_jobs] == [j.to_dict() for j in fast_jobs]


MULTI = [
    {"job": "b", "status": "notStarted"},
    {"job": 2, "status": "inProgress"},
    {"job": "a", "status": "completed", "resourceId": "r"},
    {"job": "b", "status": "completed", "resourceId": "s"},
    {"status": "failed"},
]


def _rekey(body, key):
    out = {k: v for k, v in body.items() if k != "job"}
    if "job" in body:
        out[key] = body["job"]
    return {**out, "job": "ignored"}


@pytest.mark.parametrize(("name", "job_key"), [
    ("t.jsonl", "job"), ("t.jsonl", "monitorUrl"), ("t.json", "job"), ("t.json", "monitorUrl"),
], ids=["jsonl-default", "jsonl-custom", "json-default", "json-custom"])
def test_jobs_grouped_by_key_in_first_appearance_order(name, job_key):
    """Polls are grouped by the job key (default ``job``) and jobs come out in order of first appearance."""
    bodies = MULTI if job_key == "job" else [_rekey(b, job_key) for b in MULTI]
    data = json.dumps(bodies) if name.endswith(".json") else "".join(json.dumps(b) + "\n" for b in bodies)
    jobs, problems = read(name, data, job_key=job_key)
    assert issues(problems) == [(name, f"records without the job key {job_key!r} (1 of them) were validated "
                                       "together as one job")]
    assert [(j.job, j.final, j.polls) for j in jobs] == [
        ("b", "completed", 2), (2, "inProgress", 1), ("a", "completed", 1), (None, "failed", 1)]


@pytest.mark.parametrize(("job_key", "problems"), [
    (None, []),
    ("job", [("t.jsonl", "no record carries the job key 'job'; the file was validated as one job")]),
    ("monitorUrl", [("t.jsonl", "no record carries the job key 'monitorUrl'; the file was validated as one job")]),
], ids=["default-absent", "explicit-default-absent", "explicit-absent"])
def test_a_job_key_asked_for_but_absent_is_an_input_problem(job_key, problems):
    """A single-job log needs no key; a key asked for by name that no record carries is reported."""
    jobs, found_problems = read("t.jsonl", '{"status": "inProgress"}\n{"status": "failed"}\n', job_key=job_key)
    assert issues(found_problems) == problems
    assert [(j.job, j.final, j.polls) for j in jobs] == [(None, "failed", 2)]


@pytest.mark.parametrize(("data", "fmt"), [
    (b'{"status": "inProgress"}\n{"status": "failed"}\n', "jsonl"),
    (b'{\n "status": "inProgress"\n}\n', "json"),
    (b'  ["inProgress"]', "json"),
    (b"inProgress\n", "text"),
], ids=["one-object-per-line", "object-over-lines", "array", "text"])
def test_sniffing_unknown_extensions(data, fmt):
    """Without a known extension, an object complete on its first line means JSON Lines, else JSON."""
    assert detect_format("trace.dat", data) == fmt


@pytest.mark.parametrize("job_key", ["status", "operation", "percentageComplete", "resourceId"])
def test_job_key_that_names_a_body_field_is_refused(job_key):
    """Grouping by a field being validated would split one trace and hide its violations: refused."""
    with pytest.raises(OptionsError) as info:
        read("t.jsonl", '{"status": "completed"}\n{"status": "inProgress"}\n', job_key=job_key)
    assert str(info.value) == (f"job key {job_key!r} is a field of the body being validated; name the field "
                               "that identifies the job (e.g. job, jobId, monitorUrl)")


@pytest.mark.parametrize("job_key", ["", "  "], ids=["empty", "blank"])
def test_blank_job_key_is_refused(job_key):
    """A blank job key is a usage error."""
    with pytest.raises(OptionsError) as info:
        read("t.jsonl", '{"status": "completed"}\n', job_key=job_key)
    assert str(info.value) == "job key: expected a field name, found an empty string"


def test_job_key_that_is_an_object_is_an_input_problem():
    """A job key holding an object is an input problem named in JSON terms; other records still count."""
    jobs, problems = read("t.jsonl", '{"job": {"id": 1}, "status": "failed"}\n{"job": "x", "status": "failed"}\n')
    assert [(j.job, j.polls) for j in jobs] == [("x", 1)]
    assert issues(problems) == [("t.jsonl:1", "job key 'job' must be a string or an integer, found an object")]


@pytest.mark.parametrize(("name", "data"), [
    ("t.txt", b""),
    ("t.txt", b"# only a comment\n\n"),
    ("t.jsonl", b""),
    ("t.jsonl", b"\n \n"),
    ("t.json", b"[]"),
    ("t.json", b""),
    ("trace", b""),
], ids=["txt-empty", "txt-comments", "jsonl-empty", "jsonl-blank", "json-empty-array", "json-empty", "sniffed-empty"])
def test_no_polls_found(name, data):
    """A file without a single poll is one input problem located at the file."""
    jobs, problems = read(name, data)
    assert (jobs, issues(problems)) == ([], [(name, NO_POLLS)])


def _deep(depth):
    return '{"status": "completed", "resourceId": "r", "extra": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(("name", "data", "where"), [
    ("t.jsonl", '{"status": "notStarted"}\n' + _deep(100_000) + '\n{"status": "bogus"}\n', "t.jsonl:2"),
    ("t.json", "[" + _deep(100_000) + "]", "t.json:1"),
], ids=["jsonl", "json"])
def test_deep_nesting_is_an_input_problem(name, data, where):
    """JSON nested 100,000 deep is one input problem, never a RecursionError; other lines still count."""
    jobs, problems = read(name, data)
    assert issues(problems) == [(where, "invalid JSON: nested too deeply")]
    if name.endswith(".jsonl"):
        assert found(jobs) == [("t.jsonl:3", "unknown-status"), ("t.jsonl:3", "unterminated")]


def test_several_values_on_one_line_are_malformed_even_beside_blank_lines():
    """Two objects on one line are an input problem at that line, and later line numbers stay right."""
    data = '{"status": "completed", "resourceId": "r"}{"status": "inProgress"}\n\n{"status": "failed"}\n'
    jobs, problems = read("t.jsonl", data)
    assert issues(problems) == [("t.jsonl:1", "invalid JSON: trailing characters at column 44")]
    assert [(j.final, j.polls) for j in jobs] == [("failed", 1)]


def test_json_in_a_text_file_is_an_input_problem():
    """A text trace holding JSON says so instead of reading brackets as unknown statuses."""
    jobs, problems = read("t.txt", '["notStarted",\n"completed"]\n')
    hint = "; for JSON give the file a .json or .jsonl name, or use --input-format"
    assert issues(problems) == [("t.txt:1", "expected one status per line, found JSON '[\"notStarted\",'" + hint),
                                ("t.txt:2", "expected one status per line, found JSON '\"completed\"]'" + hint)]
    assert jobs == []


def test_long_text_line_is_shortened_in_the_message():
    """A 1 MB line with spaces is reported with a shortened excerpt and its length."""
    _, problems = read("t.txt", "notStarted\n" + "a " * 500_000 + "\ncompleted\n")
    (problem,) = problems
    assert problem.location == "t.txt:2"
    assert problem.message == ("expected one status per line, found 'a a a a a a a a a a a a a a a a a a a a a a a "
                               "a a a a a...' (999999 characters)")


def test_bom_inside_a_text_file_is_ignored():
    """Files joined with cat carry a BOM mid-file; it does not turn a status into an unknown one."""
    jobs, problems = read("t.txt", "\ufeffcompleted\n\ufeffinProgress\n".encode())
    assert problems == []
    assert found(jobs) == [("t.txt:2", "left-terminal"), ("t.txt:2", "unterminated")]


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("t.json", b'[\n "notStarted",\n "\xe9",\n "completed"\n]',
     ("t.json:3", "invalid JSON: Invalid UTF-8 encoded string at line 3 column 3")),
    ("t.json", b'[\n"notStarted",\n{"status": "inProgress",\n\n "percentageComplete": 1e400}\n]',
     ("t.json:3", "invalid JSON: Number out of range - at `$[1][...]` (the item starting at line 3)")),
    ("t.json", b'["notStarted", NaN]', ("t.json:1", "invalid JSON: invalid character (JSON has no NaN or Infinity) "
                                                    "at line 1 column 16")),
    ("t.jsonl", b'{"status": "inProgress"}\n{"status":"\xe9"}\n',
     ("t.jsonl:2", "invalid JSON: Invalid UTF-8 encoded string at column 12")),
], ids=["utf8-in-array", "number-out-of-range", "nan", "utf8-in-line"])
def test_errors_without_a_byte_offset_are_still_located(name, data, expected):
    """Decode errors that carry no position are located by the bad byte or by the item's line."""
    _, problems = read(name, data)
    assert issues(problems) == [expected]


def test_job_key_with_a_fraction_says_so():
    """A job key 1.5 is not 'a number' in general but a non-integer one."""
    _, problems = read("t.jsonl", '{"job": 1.5, "status": "failed"}\n')
    assert issues(problems) == [("t.jsonl:1", "job key 'job' must be a string or an integer, found a non-integer "
                                              "number 1.5")]


def test_job_keys_cannot_forge_report_lines(tmp_path):
    """Job keys with newlines or control characters are shown escaped on one line; numbers are marked."""
    data = ('{"job": "a\\nb: ok (final completed, 1 poll)\\nFAKE", "status": "failed"}\n'
            '{"job": 1, "status": "failed"}\n{"job": "1", "status": "failed"}\n')
    jobs, _ = read("t.jsonl", data)
    assert [j.name for j in jobs] == ["t.jsonl job 'a\\nb: ok (final completed, 1 poll)\\nFAKE'",
                                      "t.jsonl job 1 (a number)", "t.jsonl job 1"]


def test_element_lines_on_a_long_string_is_linear():
    """Locating elements after a 20 MB string takes one pass, not a backtracking stack per character."""
    from jobfsm.readers import element_lines

    data = b'[\n"notStarted",\n{"status": "completed", "statusDescription": "' + b"x" * (20 << 20) + b'"},\n"failed"\n]'
    assert element_lines(data) == [2, 3, 4]


@pytest.mark.parametrize(("name", "encoding", "wide"), [
    ("t.txt", "utf-16", "UTF-16"), ("t.json", "utf-16", "UTF-16"), ("t.jsonl", "utf-32", "UTF-32"),
    ("trace", "utf-16", "UTF-16"),
], ids=["text-utf16", "json-utf16", "jsonl-utf32", "sniffed-utf16"])
def test_utf16_and_utf32_are_one_problem_naming_the_encoding(name, encoding, wide):
    """A trace saved as UTF-16 or UTF-32 is one problem naming the encoding, not a line of NULs per status."""
    jobs, problems = read(name, "notStarted\ncompleted\n".encode(encoding))
    message = f"{wide} text (it starts with {wide}'s byte-order mark); expected UTF-8: convert it first, e.g. iconv " \
              f"-f {wide} -t UTF-8"
    assert (jobs, issues(problems)) == ([], [(name, message)])


def test_jsonl_with_cr_line_ends_says_so():
    """JSON Lines ending lines in a CR alone (classic Mac) read as one line: the message says why."""
    _, problems = read("t.jsonl", b'{"status": "notStarted"}\r{"status": "failed"}\r')
    assert issues(problems) == [("t.jsonl:1", "invalid JSON: trailing characters at column 27 (a CR alone ends no "
                                              "line: expected LF or CRLF line ends)")]
