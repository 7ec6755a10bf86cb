"""Pins jobfsm.specfile: spec files in TOML and JSON, the built-in one, and every problem located in the file."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobfsm import LIFECYCLE, Alias, Edge, Spec, Status
from jobfsm.errors import JobFSMError, SpecFileError
from jobfsm.specfile import MAX_BYTES, MAX_STATUSES, check_spec, parse_spec, read_spec, to_json, to_toml

EXAMPLE = Path(__file__).parent.parent / "examples" / "specs" / "long-running-operation.toml"
HEAD = 'name = "x"\n\n[[statuses]]\nname = "a"\nkind = "initial"\n\n[[statuses]]\nname = "b"\nkind = "terminal"\n' \
       'outcome = "success"\n'
GOOD_EDGE = '\n[[edges]]\nfrom = "a"\nevent = "go"\nto = "b"\n'


def _problems(text: str, fmt: str = "toml") -> list[str]:
    spec, found = parse_spec(text, f"f.{fmt}", fmt)
    assert (spec is None) == bool(found)
    return [str(p) for p in found]


def _unreadable(data: bytes | str, fmt: str = "toml") -> str:
    with pytest.raises(SpecFileError) as info:
        parse_spec(data, f"f.{fmt}", fmt)
    assert info.value.unreadable
    return str(info.value)


def test_the_shipped_file_is_the_lifecycle() -> None:
    """The built-in lifecycle is the spec file inside the package, read back into exactly LIFECYCLE."""
    data = files("jobfsm").joinpath("asyncjobstatus.toml").read_bytes()
    assert parse_spec(data, "asyncjobstatus.toml") == (LIFECYCLE, [])
    assert LIFECYCLE.name == "asyncJobStatus"


def test_the_long_running_operation_example_reads() -> None:
    """The example spec for Graph's longRunningOperationStatus has its four statuses and three aliases."""
    spec = read_spec(str(EXAMPLE))
    assert [(s.name, s.kind, s.outcome) for s in spec.statuses] == [
        ("notStarted", "initial", None), ("running", "active", None), ("succeeded", "terminal", "success"),
        ("failed", "terminal", "failure")]
    assert [(a.name, a.target) for a in spec.aliases] == [
        ("unknownFutureValue", None), ("inProgress", "running"), ("completed", "succeeded")]


def test_toml_and_json_forms_read_back() -> None:
    """to_toml and to_json write spec files that read back into an equal spec."""
    assert parse_spec(to_toml(LIFECYCLE)) == (LIFECYCLE, [])
    assert parse_spec(json.dumps(to_json(LIFECYCLE)), fmt="json") == (LIFECYCLE, [])


def test_hostile_names_read_back(hostile_spec: Spec) -> None:
    """Quotes, backslashes, line breaks, control and non-ASCII text survive a trip through TOML."""
    assert parse_spec(to_toml(hostile_spec)) == (hostile_spec, [])


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).filter(str.strip)


@given(names=st.lists(_TEXT, min_size=1, max_size=5, unique_by=str.lower), event=_TEXT, note=st.text(max_size=20))
def test_any_text_reads_back(names: list[str], event: str, note: str) -> None:
    """Any names, events and notes (NUL, DEL, quotes, newlines included) survive TOML and JSON."""
    chain = ["__a", *names, "__z"]
    spec = Spec(f"n{note}", (Status("__a", "initial", note), *(Status(n, "active") for n in names),
                              Status("__z", "terminal", outcome="success")),
                tuple(Edge(a, event, b, note) for a, b in itertools.pairwise(chain)), notes=(note,))
    assert parse_spec(to_toml(spec)) == (spec, [])
    assert parse_spec(json.dumps(to_json(spec)), fmt="json") == (spec, [])


@pytest.mark.parametrize(("text", "problems"), [
    (HEAD + GOOD_EDGE + 'resets_progress = "yes"\n\n[[edges]]\nfrom = "a"\nto = "b"\n',
     ["f.toml:16: edges[1].resets_progress: expected true or false, found 'yes'",
      "f.toml:18: edges[2]: missing 'event'"]),
    (HEAD + GOOD_EDGE + '\n[[aliases]]\nname = 5\ntarget = "a"\n[[aliases]]\nname = "B"\ntarget = "b"\ncolour = 1\n',
     ["f.toml:18: aliases[1].name: expected a string, found 5", "f.toml:21: alias 'B' clashes with status 'b'",
      "f.toml:23: aliases[2]: unknown key 'colour'; expected one of name, target, note"]),
    (HEAD + GOOD_EDGE + 'reason = 3\n\n[[edges]]\nfrom = "b"\nevent = "back"\nto = "a"\n',
     ["f.toml:16: edges[1].reason: expected a string, found 3",
      "f.toml:19: edge b -back-> a: terminal status 'b' has an exit"]),
    (HEAD.replace('kind = "initial"', 'kind = "activ"') + GOOD_EDGE + 'colour = "red"\n',
     ["f.toml: expected exactly one initial status, found 0",
      "f.toml:5: status 'a': kind 'activ' is not one of initial, active, terminal",
      "f.toml:16: edges[1]: unknown key 'colour'; expected one of from, event, to, reason, resets_progress"]),
    (HEAD + '\n[[statuses]]\nname = "c"\nkind = "active"\n' + GOOD_EDGE + '\n[[edges]]\nfrom = "a"\nevent = "x"\n'
     'to = "q"\n',
     ["f.toml:13: status 'c' is not reachable from 'a'", "f.toml:13: status 'c' is a trap: it is not terminal and "
      "no edge leaves it", "f.toml:24: edge a -x-> q: unknown status 'q'"]),
    ('name = "x"\nstatuses = [\n  { name = "a", kind = "initial" },\n  { name = "b", kind = "terminal", '
     'outcome = "win" },\n  "c",\n]\nedges = [{ from = "a", event = "go", to = "b" }, { from = "b", event = "back", '
     'to = "a" }]\n',
     ["f.toml:4: terminal status 'b': outcome 'win' is not one of success, failure, cancel",
      "f.toml:5: statuses[3]: expected a table, found a string",
      "f.toml:7: edge b -back-> a: terminal status 'b' has an exit"]),
    ('schema = "jobfsm.spec/2"\nnotes = "one"\nstatuses = 3\nedges = {}\nextra = 1\n',
     ["f.toml: the lifecycle's 'name' is missing", "f.toml: no statuses",
      "f.toml:1: schema 'jobfsm.spec/2' is not supported; expected "
      "'jobfsm.spec/1'", "f.toml:2: 'notes' is not a list of strings", "f.toml:3: 'statuses' is not a list of tables "
      "but a number", "f.toml:4: 'edges' is not a list of tables but a table",
      "f.toml:5: unknown key 'extra'; expected one of schema, name, statuses, edges, aliases, notes"]),
    ('name = "x"\r\n[[statuses]]\r\nname = "a"\r\nkind = "initial"\r\n[[statuses]]\r\nname = "a"\r\nkind = "terminal"'
     '\r\noutcome="success"\r\n',
     ["f.toml:3: status 'a' is a trap: it is not terminal and no edge leaves it", "f.toml:6: duplicate status 'a'"]),
    ('name = "x"\n[[statuses]]\nname = "a"\nkind = "initial"\nmeaning = """two\n[[statuses]]\nlines"""\n'
     '[[statuses]]\nname = "b"\nkind = "active"\n',
     ["f.toml: no terminal status", "f.toml:9: status 'b' is not reachable from 'a'"]),
], ids=["bad-flag-and-missing-event", "bad-alias-name-and-unknown-key", "bad-reason-keeps-the-entry",
        "unknown-kind-and-key", "unreachable-trap-unknown", "inline-tables", "top-level", "crlf",
        "header-in-a-multiline-string"])
def test_toml_problems_are_located(text: str, problems: list[str]) -> None:
    """Every problem of a TOML spec file at once, each at the line of its entry (or key) when it has one."""
    assert _problems(text) == problems


@pytest.mark.parametrize(("text", "problems"), [
    ('{"name": "x",\n "name": "y",\n "statuses": [\n  {"name": "a", "kind": "initial", "kind": "initial"},\n'
     '  {"name": "b", "kind": "terminal", "outcome": "success"}\n ],\n "edges": [{"from": "a", "event": "go", '
     '"to": "b"}]}',
     ["f.json:2: duplicate key 'name' (JSON readers keep only the last)",
      "f.json:4: duplicate key 'kind' in statuses[1] (JSON readers keep only the last)"]),
    ('{"name": "x", "statuses": [\n{"name": "a", "kind": "initial"},\n{"name": "b", "kind": "terminal"}],\n'
     '"edges": [\n{"from": "a", "event": "", "to": "b"}]}',
     ["f.json:3: terminal status 'b' has no outcome; expected one of success, failure, cancel",
      "f.json:5: edge a -''-> b: event '' is not a non-empty string"]),
    ("[1, 2]", ["f.json: expected a table of schema, name, statuses, edges, aliases, notes at the top, found a list"]),
    ("null", ["f.json: expected a table of schema, name, statuses, edges, aliases, notes at the top, found null"]),
    ('{"name": "x", "statuses": [\n{"name": null, "kind": "initial"},\n{"name": "b", "kind": "terminal", "outcome": '
     '"success", "meaning": false}],\n"edges": [{"from": "b", "event": "go", "to": "b", "resets_progress": 1}]}',
     ["f.json: expected exactly one initial status, found 0",
      "f.json:2: statuses[1]: missing 'name'",
      "f.json:3: statuses[2].meaning: expected a string, found false",
      "f.json:4: edges[1].resets_progress: expected true or false, found 1",
      "f.json:4: edge b -go-> b: a repeated status is not a transition",
      "f.json:4: edge b -go-> b: terminal status 'b' has an exit"]),
], ids=["duplicate-keys", "missing-outcome-and-empty-event", "not-a-table", "null", "null-and-false-spelt-as-json"])
def test_json_problems_are_located(text: str, problems: list[str]) -> None:
    """JSON spec files get the same checks, duplicate keys found too (JSON readers drop them silently)."""
    assert _problems(text, "json") == problems


def test_json_null_is_an_absent_key() -> None:
    """In JSON, null stands for an absent optional key: an alias without counterpart, an edge without reason."""
    text = json.dumps({"name": "x", "statuses": [{"name": "a", "kind": "initial", "outcome": None},
                                                 {"name": "b", "kind": "terminal", "outcome": "success"}],
                       "edges": [{"from": "a", "event": "go", "to": "b", "reason": None}],
                       "aliases": [{"name": "old", "target": None}]})
    spec, found = parse_spec(text, fmt="json")
    assert found == []
    assert spec is not None
    assert spec.aliases == (Alias("old", None),)
    assert spec.edges == (Edge("a", "go", "b"),)


_BASE = {"schema": "jobfsm.spec/1", "name": "x", "notes": ["n"],
         "statuses": [{"name": "a", "kind": "initial"}, {"name": "b", "kind": "terminal", "outcome": "success"}],
         "edges": [{"from": "a", "event": "go", "to": "b"}], "aliases": [{"name": "old", "target": "b"}]}


@pytest.mark.parametrize(("key", "problems"), [
    ("schema", []),
    ("notes", []),
    ("aliases", []),
    ("edges", ["f.json:1: status 'a' is a trap: it is not terminal and no edge leaves it",
               "f.json:1: status 'b' is not reachable from 'a'"]),
    ("statuses", ["f.json: no statuses"]),
    ("name", ["f.json:1: the lifecycle's 'name' is missing"]),
], ids=["schema", "notes", "aliases", "edges", "statuses", "name"])
def test_json_null_at_the_top_is_an_absent_key(key: str, problems: list[str]) -> None:
    """A top-level key set to null reads exactly as the file without that key: no 'None' in any message."""
    without = {k: v for k, v in _BASE.items() if k != key}
    assert _problems(json.dumps({**_BASE, key: None}), "json") == problems
    assert parse_spec(json.dumps({**_BASE, key: None}), "f.json", "json")[0] == parse_spec(
        json.dumps(without), "f.json", "json")[0]


def test_json_null_for_a_required_field_is_missing() -> None:
    """null for a required field of an entry is that field missing, and a null entry is named null."""
    doc = {"name": "x", "statuses": _BASE["statuses"], "edges": [{"from": "a", "event": None, "to": "b"}, None]}
    assert _problems(json.dumps(doc, indent=1), "json") == [
        "f.json:5: status 'a' is a trap: it is not terminal and no edge leaves it",
        "f.json:9: status 'b' is not reachable from 'a'", "f.json:15: edges[1]: missing 'event'",
        "f.json:20: edges[2]: expected a table, found null"]


@pytest.mark.parametrize(("data", "fmt", "message"), [
    ('name = "x"\n[[statuses]]\nname = \n', "toml", "f.toml:3:8: not valid TOML: Invalid value"),
    ('name = "x"\nname = "y"\n', "toml", "f.toml:2:11: not valid TOML: Cannot overwrite a value"),
    ('name = "x"\nstatuses = [\n', "toml", "f.toml:3: not valid TOML: Invalid value at the end"),
    ('{"name": "x",\n "statuses": [1,]}', "json", "f.json:2:17: not valid JSON: Expecting value"),
    ('{"name": "x"} trailing', "json", "f.json:1:15: not valid JSON: Extra data"),
    ("", "json", "f.json:1:1: not valid JSON: Expecting value"),
    ('{"name": "x', "json", "f.json:1:10: not valid JSON: Unterminated string starting here"),
    (b'name = "a"\n\xff\n', "toml", "f.toml:2: not UTF-8 text (byte 0xff at offset 11)"),
    ('{"a":' * 100_000, "json", "f.json: nested too deeply to read as JSON"),
    ("a = " + "[" * 100_000, "toml", "f.toml: nested too deeply to read as TOML"),
    ("{}", "yaml", "f.yaml: unknown spec format 'yaml'; expected one of toml, json"),
], ids=["toml-syntax", "toml-duplicate-key", "toml-truncated", "json-syntax", "json-trailing", "json-empty",
        "json-unterminated-string", "not-utf8", "json-too-deep", "toml-too-deep", "unknown-format"])
def test_unreadable_spec_text(data: bytes | str, fmt: str, message: str) -> None:
    """Text that is no TOML or JSON at all is one located error, marked unreadable."""
    assert _unreadable(data, fmt) == message


@pytest.mark.skipif(not hasattr(sys, "get_int_max_str_digits"), reason="Python reads integers of any length here")
@pytest.mark.parametrize(("data", "fmt", "message"), [
    ('{"name": "x",\n "statuses": [' + "7" * 5000 + "]}", "json",
     "f.json:2:15: not readable JSON: a number too large (more than 4300 digits)"),
    ('name = "x"\nschema = -' + "7" * 5000 + "\n", "toml",
     "f.toml:2:11: not readable TOML: a number too large (more than 4300 digits)"),
], ids=["json", "toml"])
def test_a_number_too_large_is_located(data: str, fmt: str, message: str) -> None:
    """A number past Python's digit limit is named as such at its line and column, not sys.set_int_max_str_digits."""
    assert sys.get_int_max_str_digits() == 4300
    assert _unreadable(data, fmt) == message


@pytest.mark.parametrize(("text", "problems"), [
    ("name = 1979-05-27T07:32:00Z\n" + HEAD[10:] + GOOD_EDGE,
     ["f.toml:1: 'name' is a TOML datetime (1979-05-27T07:32:00+00:00), not a string"]),
    (HEAD.replace('name = "a"', "name = 1979-05-27") + GOOD_EDGE,
     ["f.toml: expected exactly one initial status, found 0", "f.toml:4: statuses[1].name: expected a string, "
      "found a TOML date (1979-05-27)", "f.toml:13: edge a -go-> b: unknown status 'a'"]),
    (HEAD.replace('kind = "initial"', "kind = 07:32:00") + GOOD_EDGE,
     ["f.toml: expected exactly one initial status, found 0",
      "f.toml:5: status 'a': kind a TOML time (07:32:00) is not one of initial, active, terminal"]),
    ('schema = 1979-05-27T07:32:00\n' + HEAD + GOOD_EDGE,
     ["f.toml:1: schema a TOML datetime (1979-05-27T07:32:00) is not supported; expected 'jobfsm.spec/1'"]),
], ids=["name-datetime", "status-name-date", "kind-time", "schema-local-datetime"])
def test_toml_dates_are_named_as_toml_dates(text: str, problems: list[str]) -> None:
    """A TOML date, time or datetime where text belongs reads as one, not as Python's datetime.date(...)."""
    assert _problems(text) == problems


def test_unreadable_files(tmp_path: Path) -> None:
    """A directory, a missing file and a file over the size limit are refused before parsing."""
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    for path, message in ((tmp_path, f"{tmp_path}: is a directory, not a spec file"),
                          (tmp_path / "no.toml", f"{tmp_path}/no.toml: cannot read: No such file or directory"),
                          (big, f"{big}: larger than {MAX_BYTES} bytes: not a spec file")):
        with pytest.raises(SpecFileError) as info:
            check_spec(str(path))
        assert (str(info.value), info.value.unreadable) == (message, True)


def test_format_from_extension_else_sniffed(tmp_path: Path) -> None:
    """.toml and .json name the format; other files are JSON when they start with '{', else TOML."""
    (tmp_path / "spec.txt").write_text(json.dumps(to_json(LIFECYCLE)))
    (tmp_path / "spec.cfg").write_text(to_toml(LIFECYCLE))
    (tmp_path / "spec.json").write_text("\ufeff" + json.dumps(to_json(LIFECYCLE)))
    assert [read_spec(str(tmp_path / n)) for n in ("spec.txt", "spec.cfg", "spec.json")] == [LIFECYCLE] * 3


def test_read_spec_raises_every_problem_in_one_line(tmp_path: Path) -> None:
    """read_spec raises SpecFileError, a JobFSMError and ValueError, naming every problem on one line."""
    path = tmp_path / "s.toml"
    path.write_text(HEAD + '\n[[edges]]\nfrom = "a"\nevent = "go"\nto = "c"\n\n[[edges]]\nfrom = "q"\nevent = "go"\n'
                    'to = "b"\n')
    with pytest.raises(SpecFileError) as info:
        read_spec(str(path))
    assert isinstance(info.value, JobFSMError)
    assert isinstance(info.value, ValueError)
    assert not info.value.unreadable
    assert str(info.value) == (
        f"{path}: 4 problems: {path}:4: status 'a' cannot reach a terminal status; {path}:8: status 'b' is not "
        f"reachable from 'a'; {path}:15: edge a -go-> c: unknown status 'c'; {path}:18: edge q -go-> b: unknown "
        "status 'q'")


def test_too_many_statuses_are_refused() -> None:
    """A lifecycle of more than MAX_STATUSES statuses is one problem at its key, not minutes of path tables."""
    statuses = [{"name": f"s{i}", "kind": "active"} for i in range(MAX_STATUSES + 1)]
    text = json.dumps({"name": "big", "statuses": statuses}).replace('"statuses"', '\n"statuses"')
    assert _problems(text, "json") == [f"f.json:2: {MAX_STATUSES + 1} statuses: more than the {MAX_STATUSES} jobfsm "
                                       "checks"]


_VALID = to_toml(LIFECYCLE)


@given(data=st.one_of(
    st.binary(max_size=300),
    st.tuples(st.integers(0, len(_VALID)), st.integers(0, 40), st.text(max_size=20)).map(
        lambda m: _VALID[:m[0]] + m[2] + _VALID[m[0] + m[1]:]),
    st.tuples(st.integers(0, 2000), st.text(max_size=20)).map(
        lambda m: json.dumps(to_json(LIFECYCLE))[:m[0]] + m[1])),
    fmt=st.sampled_from(["toml", "json"]))
def test_any_input_is_a_spec_or_located_problems(data: bytes | str, fmt: str) -> None:
    """Random bytes and mutated spec files give a spec, problems with messages, or SpecFileError: nothing else."""
    try:
        spec, found = parse_spec(data, f"f.{fmt}", fmt)
    except SpecFileError as exc:
        error = str(exc)
    else:
        error = ""
        assert (spec is None) == bool(found)
        assert all(p.message and "\n" not in str(p) for p in found)
    assert error.startswith(f"f.{fmt}") or not error


def test_lone_surrogate_escapes_are_problems_at_their_lines() -> None:
    """JSON's \\ud800 is no Unicode text: no trace can carry it and TOML cannot write it, so it is a problem."""
    text = json.dumps({"name": "x\udc00", "notes": ["n\ud800"], "statuses": [
        {"name": "a", "kind": "initial", "meaning": "m\ud800"}, {"name": "b\ud800", "kind": "terminal",
                                                                 "outcome": "success"}],
        "edges": [{"from": "a", "event": "go", "to": "b\ud800"}]}, indent=1)
    surrogate = "holds a lone surrogate escape (no Unicode character)"
    assert _problems(text, "json") == [
        "f.json: no terminal status", f"f.json:2: 'name' 'x\\udc00' {surrogate}",
        f"f.json:3: 'notes' 'n\\ud800' {surrogate}",
        f"f.json:10: statuses[1].meaning: expected Unicode text, found 'm\\ud800', which {surrogate}",
        f"f.json:13: statuses[2].name: expected Unicode text, found 'b\\ud800', which {surrogate}",
        f"f.json:22: edges[1].to: expected Unicode text, found 'b\\ud800', which {surrogate}"]


def test_a_fifo_without_writer_reads_as_empty_at_once(tmp_path: Path) -> None:
    """A named pipe nobody writes to is read as an empty spec at once, not waited on for ever."""
    fifo = tmp_path / "spec.toml"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "jobfsm", "spec", "--check", str(fifo)], capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (
        1, f"{fifo}: the lifecycle's 'name' is missing\n{fifo}: no statuses\n{fifo}: 2 problems\n", "")


def test_a_kind_that_cannot_be_used_drops_its_status_not_the_run() -> None:
    """A kind with a lone surrogate drops its status (it was a KeyError); wrong kinds are spelt as in JSON."""
    text = json.dumps({"name": "x", "statuses": [{"name": "a", "kind": "ini\ud800"}, {"name": "b", "kind": False},
                                                 {"name": "c", "kind": "terminal", "outcome": True}]})
    assert _problems(text, "json") == [
        "f.json: expected exactly one initial status, found 0",
        "f.json:1: statuses[1].kind: expected Unicode text, found 'ini\\ud800', which holds a lone surrogate escape "
        "(no Unicode character)",
        "f.json:1: status 'b': kind false is not one of initial, active, terminal",
        "f.json:1: terminal status 'c': outcome true is not one of success, failure, cancel",
        "f.json:1: status 'b' is a trap: it is not terminal and no edge leaves it"]


def test_null_for_a_required_key_is_a_problem_not_a_crash() -> None:
    """JSON's null for a required key (a kind) is that key left out: a problem at it (it was a KeyError)."""
    text = '{"name": "x", "statuses": [\n{"name": "a", "kind": null},\n{"name": "b", "kind": "terminal"}]}'
    assert _problems(text, "json") == [
        "f.json: expected exactly one initial status, found 0",
        "f.json:2: statuses[1]: missing 'kind'",
        "f.json:3: terminal status 'b' has no outcome; expected one of success, failure, cancel"]
