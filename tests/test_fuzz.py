"""Fuzzes every reader and the validator with Hypothesis: random bytes, random JSON values and mutated shipped
traces, in every input format, give a report and located one-line problems, or a JobFSMError: nothing else.

Bounded for the suite (a few hundred examples per test); fuzz/fuzz_readers.py fuzzes longer with atheris."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobfsm.cli import main
from jobfsm.errors import JobFSMError
from jobfsm.inputs import validate_path
from jobfsm.specfile import parse_spec, read_spec, to_json
from jobfsm.validation import Validator

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALIDATOR = Validator()


def _seeds(*patterns: str) -> list[bytes]:
    found = [p for pattern in patterns for p in sorted(ROOT.glob(pattern)) if p.name != "expected.json"]
    assert found, patterns
    return [p.read_bytes() for p in found]


_CASSETTES = _seeds("tests/data/shared/*.yaml")
SEEDS: dict[str, list[bytes]] = {
    "text": _seeds("examples/*.txt"),
    "json": _seeds("examples/*.json", "examples/specs/lro-*.json", "tests/data/shared/*.json"),
    "jsonl": _seeds("examples/*.jsonl", "examples/specs/*.jsonl"),
    "har": _seeds("examples/*.har", "tests/data/shared/*.har"),
    "vcr-yaml": _CASSETTES,
    "vcr-json": [json.dumps(yaml.safe_load(c)).encode() for c in _CASSETTES],
    "spec-toml": _seeds("jobfsm/*.toml", "examples/specs/*.toml"),
}
SEEDS["spec-json"] = [json.dumps(to_json(read_spec(str(p)))).encode()
                      for p in sorted([*ROOT.glob("jobfsm/*.toml"), *ROOT.glob("examples/specs/*.toml")])]
# target: (input format given to the reader, file name)
TRACES = {"text": ("text", "t.txt"), "json": ("json", "t.json"), "jsonl": ("jsonl", "t.jsonl"),
          "har": ("har", "t.har"), "vcr-yaml": ("cassette", "t.yaml"), "vcr-json": ("cassette", "c.json"),
          "sniffed": (None, "trace.dat")}
TOKENS = [b'"', b"{", b"}", b"[", b"]", b",", b":", b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b"\xff\xfe", b"\xff",
          b"\x00", b"\\u0000", b"\\ud800", b"NaN", b"Infinity", b"null", b"true", b"1e400", b"-1", b"101",
          b'"status"', b'"percentageComplete"', b'"job"', b'"log"', b'"entries"', b'"interactions"', b"- ", b"&a ",
          b"*a", b"!!python/object/apply:os.system ", b"!!binary ", b"\t", b"#", b"'", b"[[statuses]]", b"= "]
# Python's words leaking into a message (outside the quoted values it shows): the reader did not say what it wanted
PYTHON_WORDS = re.compile(r"object (?:is not|has no)|NoneType|\b(?:None|True|False)\b|<class |Errno|Traceback")
QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few bytes flipped, runs deleted and bytes or tokens inserted."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "token"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        else:
            data[pos:pos] = draw(st.sampled_from(TOKENS))
    return bytes(data)


KEYS = st.sampled_from(["status", "percentageComplete", "resourceId", "resourceLocation", "operation",
                        "statusDescription", "job", "error", "code", "log", "entries", "request", "response",
                        "method", "url", "uri", "headers", "name", "value", "content", "text", "encoding", "body",
                        "string", "interactions", "version", "kind", "from", "to", "event", "statuses", "edges"])
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from(["notStarted", "inProgress", "completed", "GET", "base64", "gzip", "terminal", ""])
           | st.text(max_size=10))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(KEYS | st.text(max_size=5), inner, max_size=6), max_leaves=30)


def _one_line(text: str, what: str) -> None:
    assert text, f"{what} is empty"
    assert "\n" not in text, f"{what} is not one line: {text!r}"
    assert "\r" not in text, f"{what} is not one line: {text!r}"
    assert not PYTHON_WORDS.search(QUOTED.sub("", text)), f"{what} speaks Python: {text!r}"


def _read(folder: Path, target: str, data: bytes) -> None:
    """Validate ``data`` as a file of the target's format: only reports and located one-line problems, or a
    JobFSMError, may come out; anything else propagates and fails the test."""
    fmt, name = TRACES[target]
    path = folder / name
    path.write_bytes(data)
    try:
        reports, problems = validate_path(str(path), VALIDATOR, fmt=fmt)  # type: ignore[arg-type]
    except JobFSMError as exc:
        _one_line(str(exc), "error")
        return
    for p in problems:
        _one_line(p.message, "problem")
        assert p.location.startswith(str(path)), p.line()
    for r in reports:
        for v in r.violations:
            _one_line(v.message, "violation")
            assert v.location.startswith(str(path)), v.line()
        _one_line(r.name, "job name")


def _spec(fmt: str, data: bytes) -> None:
    """Parse ``data`` as a spec file: a spec, or located one-line problems, or a located SpecFileError."""
    try:
        spec, found = parse_spec(data, f"f.{fmt}", fmt)
    except JobFSMError as exc:
        error = str(exc)
    else:
        assert (spec is None) == bool(found)
        for p in found:
            _one_line(str(p), "spec problem")
        return
    _one_line(error, "error")
    assert error.startswith(f"f.{fmt}")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for every example's file (each example overwrites the last)."""
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("target", list(TRACES), ids=list(TRACES))
@FUZZ
@given(data=st.binary(max_size=1500))
def test_random_bytes_in_every_format(folder: Path, target: str, data: bytes) -> None:
    """Random bytes in any format give located one-line problems (or a report), never another exception."""
    _read(folder, target, data)


@pytest.mark.parametrize("target", list(SEEDS)[:6], ids=list(SEEDS)[:6])
@FUZZ
@given(data=st.data())
def test_mutated_traces_in_every_format(folder: Path, target: str, data: st.DataObject) -> None:
    """The shipped examples and shared traces with bytes flipped, deleted or inserted: reported, never a crash."""
    _read(folder, target, data.draw(mutated(SEEDS[target])))


@pytest.mark.parametrize("target", ["json", "jsonl", "har", "vcr-json", "vcr-yaml", "sniffed"],
                         ids=["json", "jsonl", "har", "vcr-json", "vcr-yaml", "sniffed"])
@FUZZ
@given(value=JSON_VALUES)
def test_random_json_values(folder: Path, target: str, value: Any) -> None:
    """Any JSON value (in YAML for a cassette), whole or one per line, shaped with the readers' keys: reported."""
    if target == "jsonl" and isinstance(value, list):
        data = b"".join(json.dumps(item).encode() + b"\n" for item in value)
    elif target == "vcr-yaml":
        data = yaml.safe_dump(value, allow_unicode=True).encode()
    else:
        data = json.dumps(value).encode()
    _read(folder, target, data)


@FUZZ
@given(value=JSON_VALUES)
def test_random_json_values_inside_a_har_and_a_cassette(folder: Path, value: Any) -> None:
    """A random value in place of one part of a recording (an entry, its response, a header) is reported."""
    for target, doc in (("har", {"log": {"entries": [{"request": {"method": "GET", "url": "u"}, "response": value}]}}),
                        ("har", {"log": {"entries": [value]}}),
                        ("vcr-json", {"interactions": [{"request": value, "response": {"status": {"code": 200}}}],
                                      "version": 1}),
                        ("vcr-json", {"interactions": [{"request": {"method": "GET", "uri": "u"},
                                                        "response": {"status": {"code": 200}, "body": value}}]})):
        _read(folder, target, json.dumps(doc).encode())


@pytest.mark.parametrize("fmt", ["toml", "json"])
@FUZZ
@given(data=st.data())
def test_spec_files_random_and_mutated(fmt: str, data: st.DataObject) -> None:
    """Random bytes, random JSON values and mutated spec files: a spec or located one-line problems, no crash."""
    seeds = SEEDS[f"spec-{fmt}"]
    text = data.draw(st.binary(max_size=600) | mutated(seeds)
                     | JSON_VALUES.map(lambda v: json.dumps({"name": "x", "statuses": v}).encode()))
    _spec(fmt, text)


@FUZZ
@given(polls=st.lists(JSON_VALUES, max_size=8))
def test_validator_on_random_python_values(polls: list[Any]) -> None:
    """The validator on a list of arbitrary values: a report with one-line violations, or an InputError."""
    try:
        report = VALIDATOR.validate(polls)
    except JobFSMError as exc:
        _one_line(str(exc), "error")
        return
    for v in report.violations:
        _one_line(v.message, "violation")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_command_on_mutated_inputs(folder: Path, data: st.DataObject) -> None:
    """`jobfsm validate` on a mutated input: exit 0, 1 or 2, one-line messages, the valid file still reported."""
    target = data.draw(st.sampled_from(list(TRACES)[:6]))
    path = folder / TRACES[target][1]
    path.write_bytes(data.draw(mutated(SEEDS[target])))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path), str(EXAMPLES / "legal.json")])
    lines = out.getvalue().splitlines()
    assert (code in (0, 1, 2), err.getvalue()) == (True, "")
    assert f"{EXAMPLES / 'legal.json'}: ok (final completed, 4 polls)" in lines
    for line in lines:
        _one_line(line, "report line")
