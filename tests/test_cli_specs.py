"""Pins the jobfsm command with spec files: --spec on every command, spec --check and spec --diff, and the
whole tool run on the long-running-operation example spec and its traces."""

from __future__ import annotations

import importlib.util
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jobfsm import LIFECYCLE
from jobfsm.cli import main
from jobfsm.specfile import parse_spec, to_toml

SPECS = Path(__file__).parent.parent / "examples" / "specs"
LRO = SPECS / "long-running-operation.toml"
LRO_TRACES = sorted(str(p) for p in SPECS.glob("lro-*"))


def run(*argv: str | Path) -> int:
    """The exit code of ``main(argv)``; argparse's own exits count as exit codes too."""
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return int(exc.code or 0)


def test_lro_traces_are_listed() -> None:
    """The example spec ships with example traces: a success, a failure and a log of two jobs."""
    assert [Path(p).name for p in LRO_TRACES] == ["lro-failed.json", "lro-jobs.jsonl", "lro-succeeded.json"]


@pytest.mark.parametrize("mode", ["sampled", "strict"])
def test_lro_spec_validates_its_own_traces(mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Under its own spec every example trace is valid in both modes; unknownFutureValue is a known alias."""
    assert run("validate", "--spec", LRO, "--mode", mode, *LRO_TRACES) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"ok: 4 jobs, 0 failed, 12 polls; 0 errors, 0 warnings, 1 info ({mode} mode)"
    assert ("status-alias: status 'unknownFutureValue' is from another vocabulary (the evolvable-enum sentinel: a "
            "status newer than the client, with no counterpart here): recognised, the machine does not move") in out


def test_lro_traces_under_the_builtin_spec_are_other_vocabulary(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --spec the same traces are read through the built-in aliases, and unknownFutureValue is unknown."""
    assert run("validate", "--format", "json", *LRO_TRACES) == 0
    rules = [v["rule"] for j in json.loads(capsys.readouterr().out)["jobs"] for v in j["violations"]]
    assert rules.count("unknown-status") == 1
    assert rules.count("status-alias") == 7


def test_lro_paths_and_their_coverage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """paths --spec covers that spec's edges; coverage --spec counts them against it: every edge, exit 0."""
    assert run("paths", "--spec", LRO, "--format", "text") == 0
    assert capsys.readouterr().out == ("path-1: notStarted running succeeded\npath-2: notStarted running failed\n"
                                       "path-3: notStarted failed\n")
    assert run("paths", "--spec", LRO, "-o", tmp_path / "covering.json") == 0
    assert run("coverage", "--spec", LRO, "--fail-under", "100", tmp_path / "covering.json") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "ok: edge coverage 100.0% reaches --fail-under 100%"


def test_lro_coverage_of_the_example_traces(capsys: pytest.CaptureFixture[str]) -> None:
    """coverage --spec reports that spec's statuses and edges, and the edge its example traces never take."""
    assert run("coverage", "--spec", LRO, *LRO_TRACES) == 0
    assert capsys.readouterr().out == (
        "coverage of 4 jobs (12 polls, sampled mode; only observed changes count)\n"
        "statuses: 4 of 4 covered (100.0%)\n"
        "  ok        notStarted  3 polls\n  ok        running     4 polls\n  ok        succeeded   3 polls\n"
        "  ok        failed      1 poll\n"
        "edges: 3 of 4 covered (75.0%)\n"
        "  ok        notStarted -start-> running   2 observed, 0 inferred\n"
        "  ok        notStarted -reject-> failed   1 observed, 0 inferred\n"
        "  ok        running -succeed-> succeeded  3 observed, 0 inferred\n"
        "  MISSING   running -fail-> failed        0 observed, 0 inferred\n"
        "uncovered edges (1):\n  running -fail-> failed\n")


def test_lro_check_and_its_violations(capsys: pytest.CaptureFixture[str]) -> None:
    """check --spec judges typed statuses by that spec: leaving succeeded is an error naming its statuses."""
    assert run("check", "--spec", LRO, "notStarted", "succeeded", "running") == 1
    assert capsys.readouterr().out == (
        "<arguments>: FAILED (final running, 3 polls)\n"
        "  [1]: info: skipped-states: notStarted -> succeeded passed unseen through running "
        "(notStarted -start-> running -succeed-> succeeded)\n"
        "  [2]: error: left-terminal: running after terminal status succeeded; a terminal status may only repeat\n"
        "  [2]: warning: unterminated: trace ends at running, which is not terminal; expected one of succeeded, "
        "failed\n"
        "FAILED: 1 job, 1 failed, 3 polls; 1 error, 1 warning, 1 info (sampled mode)\n")


def test_lro_spec_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """spec --spec prints that lifecycle; in TOML and JSON it reads back into the same spec."""
    assert run("spec", "--spec", LRO) == 0
    text = capsys.readouterr().out
    assert text.startswith("lifecycle longRunningOperationStatus\n\nstatuses:\n  notStarted          initial   ")
    assert "  running             -succeed->  succeeded           the work finished\n" in text
    assert run("spec", "--spec", LRO, "--format", "toml") == 0
    spec, _ = parse_spec(capsys.readouterr().out)
    assert run("spec", "--spec", LRO, "--format", "json") == 0
    assert parse_spec(capsys.readouterr().out, fmt="json") == (spec, [])
    assert spec is not None
    assert spec.names == ("notStarted", "running", "succeeded", "failed")


def test_lro_spec_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """render and docs draw the example spec: DOT, Mermaid, SVG, a trace over it, the Markdown page, and a
    diagrams folder that --check then finds current."""
    assert run("render", "--spec", LRO) == 0
    dot = capsys.readouterr().out
    assert "  running -> succeeded [label=\"succeed\", tooltip=\"the work finished\", weight=8];" in dot
    assert run("render", "--spec", LRO, "--format", "mermaid") == 0
    assert "  notStarted --> failed : reject\n" in capsys.readouterr().out
    if shutil.which("dot") is not None or importlib.util.find_spec("pygraphviz") is not None:
        assert run("render", "--spec", LRO, "-o", tmp_path / "lro.svg") == 0
        texts = {t.text for t in ET.parse(tmp_path / "lro.svg").iter("{http://www.w3.org/2000/svg}text")}
        assert {"notStarted", "running", "succeeded", "failed", "reject"} <= texts
        assert run("render", "--spec", LRO, "--update", tmp_path / "diagrams") == 0
        assert run("render", "--spec", LRO, "--check", tmp_path / "diagrams") == 0
        assert run("render", "--check", tmp_path / "diagrams") == 1  # the built-in lifecycle draws otherwise
    capsys.readouterr()
    assert run("render", "--spec", LRO, "--trace", SPECS / "lro-succeeded.json") == 0
    assert 'label="start [1]"' in capsys.readouterr().out
    assert run("docs", "--spec", LRO, "--svg", "") == 0
    page = capsys.readouterr().out
    assert page.startswith("# The longRunningOperationStatus lifecycle\n")
    assert "| `unknownFutureValue` | (no counterpart) | the evolvable-enum sentinel: a status newer than the " \
           "client, with no counterpart here |" in page




def test_spec_check_clean(capsys: pytest.CaptureFixture[str]) -> None:
    """spec --check on clean files: one ok line each, exit 0."""
    assert run("spec", "--check", LRO, "jobfsm/asyncjobstatus.toml") == 0
    assert capsys.readouterr().out == (
        f"{LRO}: ok (longRunningOperationStatus: 4 statuses, 4 edges, 3 aliases)\n"
        "jobfsm/asyncjobstatus.toml: ok (asyncJobStatus: 7 statuses, 13 edges, 5 aliases)\n")


BAD = ('name = "demo"\n\n[[statuses]]\nname = "queued"\nkind = "initial"\n\n[[statuses]]\nname = "done"\n'
       'kind = "terminal"\noutcome = "success"\n\n[[statuses]]\nname = "stuck"\nkind = "active"\n\n'
       '[[edges]]\nfrom = "queued"\nevent = "finish"\nto = "donee"\n\n[[edges]]\nfrom = "done"\nevent = "again"\n'
       'to = "queued"\n')


def test_spec_check_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """spec --check prints every problem on its own line at file:line, then a count; exit 1."""
    (tmp_path / "bad.toml").write_text(BAD)
    bad = tmp_path / "bad.toml"
    assert run("spec", "--check", bad) == 1
    assert capsys.readouterr().out == (
        f"{bad}:4: status 'queued' cannot reach a terminal status\n"
        f"{bad}:8: status 'done' is not reachable from 'queued'\n"
        f"{bad}:13: status 'stuck' is not reachable from 'queued'\n"
        f"{bad}:13: status 'stuck' is a trap: it is not terminal and no edge leaves it\n"
        f"{bad}:19: edge queued -finish-> donee: unknown status 'donee'\n"
        f"{bad}:22: edge done -again-> queued: terminal status 'done' has an exit\n"
        f"{bad}: 6 problems\n")


def test_spec_check_json_and_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable file makes the exit 2 while the other files are still checked; JSON has them all."""
    (tmp_path / "bad.toml").write_text(BAD)
    (tmp_path / "broken.json").write_text('{"name": ')
    paths = [LRO, tmp_path / "bad.toml", tmp_path / "broken.json"]
    assert run("spec", "--check", *paths) == 2
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == f"{LRO}: ok (longRunningOperationStatus: 4 statuses, 4 edges, 3 aliases)"
    assert out.splitlines()[-1] == f"{tmp_path}/bad.toml: 6 problems"
    assert err == f"jobfsm: error: {tmp_path}/broken.json:1:10: not valid JSON: Expecting value\n"
    assert run("spec", "--format", "json", "--check", *paths) == 2
    result = json.loads(capsys.readouterr().out)
    assert result["schema"] == "jobfsm.speccheck/1"
    assert [(f["ok"], f["readable"], len(f["problems"])) for f in result["files"]] == [
        (True, True, 0), (False, True, 6), (False, False, 1)]
    assert result["files"][1]["problems"][0] == {
        "line": 4, "entry": "statuses[1].name", "message": "status 'queued' cannot reach a terminal status"}
    assert result["files"][2]["problems"] == [  # the line of a syntax error too, not null
        {"line": 1, "entry": None, "message": f"{tmp_path}/broken.json:1:10: not valid JSON: Expecting value"}]


@pytest.mark.parametrize(("text", "name", "line"), [
    ('name = "x"\n[[statuses]\n', "s.toml", 2), ('{"name": "x",\n "statuses": [1,]}', "s.json", 2),
    (b'name = "x"\n\n\xff\n', "s.toml", 3),
], ids=["toml-syntax", "json-syntax", "not-utf8"])
def test_spec_check_json_gives_the_line_of_unreadable_files(text: str | bytes, name: str, line: int, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`spec --check --format json` fills "line" for a file that cannot be parsed, from where the parser stopped."""
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert run("spec", "--format", "json", "--check", path) == 2
    (problem,) = json.loads(capsys.readouterr().out)["files"][0]["problems"]
    assert problem["line"] == line
    assert problem["message"].startswith(f"{path}:{line}:")


def test_spec_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """spec --diff: exit 0 and 'no differences' for equal specs, exit 1 and the changes otherwise."""
    old = tmp_path / "old.toml"
    old.write_text(to_toml(LIFECYCLE))
    new = tmp_path / "new.json"
    assert run("spec", "--format", "json") == 0
    edited = json.loads(capsys.readouterr().out)
    edited["edges"] = [e for e in edited["edges"] if e["event"] != "confirm_cancel"]
    edited["edges"].append({"from": "cancelPending", "event": "give_up", "to": "failed"})
    new.write_text(json.dumps(edited))
    assert run("spec", "--diff", old, old) == 0
    assert capsys.readouterr().out == f"--- {old} (asyncJobStatus)\n+++ {old} (asyncJobStatus)\nno differences\n"
    assert run("spec", "--diff", old, new) == 1
    assert capsys.readouterr().out == (
        f"--- {old} (asyncJobStatus)\n+++ {new} (asyncJobStatus)\n"
        "edges:\n  + cancelPending -give_up-> failed\n  - cancelPending -confirm_cancel-> cancelled\n"
        "legality in strict mode (each change one edge), of statuses both specs have:\n"
        "  cancelPending -> failed: illegal -> legal\n  cancelPending -> cancelled: legal -> illegal\n"
        "legality in sampled mode (the next status reachable), of statuses both specs have:\n"
        "  cancelPending -> failed: illegal -> legal\n  cancelPending -> cancelled: legal -> illegal\n")
    assert run("spec", "--diff", old, new, "--format", "json") == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["old_file"], result["new_file"], result["legality"]["strict"][0]) == (
        str(old), str(new), {"from": "cancelPending", "to": "failed", "old": "illegal", "new": "legal"})


@pytest.mark.parametrize("order", [
    ["--diff", "--format", "json", "{old}", "{new}"], ["--format", "json", "--diff", "{old}", "{new}"],
    ["--diff", "{old}", "{new}", "--format", "json"], ["{old}", "{new}", "--diff", "--format", "json"],
], ids=["flags-first", "format-first", "files-first-after-diff", "files-first"])
def test_spec_diff_takes_options_in_any_order(order: list[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """spec --diff OLD NEW reads its options before or after the files: the same JSON report in every order."""
    old, new = tmp_path / "old.toml", tmp_path / "new.toml"
    old.write_text(to_toml(LIFECYCLE))
    new.write_text(to_toml(LIFECYCLE).replace('event = "confirm_cancel"', 'event = "confirm"'))
    assert run("spec", *(a.format(old=old, new=new) for a in order)) == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["old_file"], result["new_file"]) == (str(old), str(new))
    assert result["schema"] == "jobfsm.specdiff/1"


@pytest.mark.parametrize("order", [["--check", "--format", "json", "{lro}"], ["{lro}", "--format", "json", "--check"]],
                         ids=["flags-first", "file-first"])
def test_spec_check_takes_options_in_any_order(order: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """spec --check FILE... reads its options before or after the files."""
    assert run("spec", *(a.format(lro=LRO) for a in order)) == 0
    assert json.loads(capsys.readouterr().out)["files"][0]["file"] == str(LRO)


@pytest.mark.parametrize(("argv", "message"), [
    (["spec", "--check", "--diff", "a.toml", "b.toml"], "--check and --diff: give one of them"),
    (["spec", "--spec", "a.toml", "--check", "b.toml"], "--spec goes with printing a lifecycle; --check names its "
     "own files"),
    (["spec", "--format", "toml", "--diff", "a.toml", "b.toml"],
     "--format toml prints a lifecycle; --check and --diff report in text or json"),
    (["spec", "--diff", "missing.toml", str(LRO)], "missing.toml: cannot read: No such file or directory"),
    (["validate", "--spec", "missing.toml", "x.json"], "missing.toml: cannot read: No such file or directory"),
    (["spec", "--diff", "a.toml"], "--diff compares two spec files, OLD and NEW; found 1"),
    (["spec", "--diff", "a.toml", "b.toml", "c.toml"], "--diff compares two spec files, OLD and NEW; found 3"),
    (["spec", "--check", "--format", "json"], "--check: give the spec files to lint"),
    (["spec", "a.toml"], "a.toml: spec files go with --check or --diff; to print one, give --spec FILE"),
], ids=["check-and-diff", "spec-and-check", "toml-and-diff", "diff-missing", "validate-missing-spec", "diff-one-file",
        "diff-three-files", "check-no-file", "file-without-check-or-diff"])
def test_spec_option_mistakes(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Options that do not go together, and missing spec files, are one-line errors with exit 2."""
    assert run(*argv) == 2
    assert capsys.readouterr() == ("", f"jobfsm: error: {message}\n")


@pytest.mark.parametrize("command", [["validate", "x.json"], ["check", "a"], ["spec"], ["render"], ["docs"],
                                     ["coverage", "x.json"], ["paths"], ["serve", "--seed", "1"]],
                         ids=["validate", "check", "spec", "render", "docs", "coverage", "paths", "serve"])
def test_every_command_refuses_a_broken_spec(command: list[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """--spec with problems stops every command with one line naming them all, exit 2, nothing on stdout."""
    (tmp_path / "bad.toml").write_text(BAD)
    bad = tmp_path / "bad.toml"
    assert run(*command, "--spec", bad) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"jobfsm: error: {bad}: 6 problems: {bad}:4: status 'queued' cannot reach a terminal status; {bad}:8: status "
        f"'done' is not reachable from 'queued'; {bad}:13: status 'stuck' is not reachable from 'queued'; {bad}:13: "
        f"status 'stuck' is a trap: it is not terminal and no edge leaves it; {bad}:19: edge queued -finish-> donee: "
        f"unknown status 'donee'; {bad}:22: edge done -again-> queued: terminal status 'done' has an exit\n")


CONTROL_SPEC = {"name": "x\u0000y", "statuses": [
    {"name": "a\u0001\n", "kind": "initial", "meaning": "two\nlines"},
    {"name": "z\u001b[31m", "kind": "terminal", "outcome": "success"}],
    "edges": [{"from": "a\u0001\n", "event": "\u202ego", "to": "z\u001b[31m", "reason": "tab\there"}],
    "notes": ["ends\r"]}


@pytest.mark.parametrize(("argv", "code", "lines"), [
    (["spec", "--spec", "{spec}"], 0, [
        "lifecycle x\\x00y", "", "statuses:", "  a\\x01\\x0a  initial               two\\x0alines",
        "  z\\x1b[31m  terminal (success)    ", "", "transitions:",
        "  a\\x01\\x0a  -\\u202ego->  z\\x1b[31m  tab\\x09here", "", "aliases:", "", "notes:", "  - ends\\x0d"]),
    (["spec", "--check", "{spec}"], 0, ["{spec}: ok (x\\x00y: 2 statuses, 1 edge, 0 aliases)"]),
    (["check", "--spec", "{spec}", "z\x1b[31m", "a\x01\n"], 1, [
        "<arguments>: FAILED (final a\\x01\\x0a, 2 polls)",
        "  [1]: error: left-terminal: a\\x01\\x0a after terminal status z\\x1b[31m; a terminal status may only repeat",
        "  [1]: warning: unterminated: trace ends at a\\x01\\x0a, which is not terminal; expected one of z\\x1b[31m",
        "FAILED: 1 job, 1 failed, 2 polls; 1 error, 1 warning, 0 infos (sampled mode)"]),
], ids=["spec", "spec-check", "check"])
def test_control_characters_in_names_are_escaped(argv: list[str], code: int, lines: list[str], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Names, meanings, events, reasons and notes holding NUL, escape sequences, line breaks or U+202E print as
    escapes, so no message splits over lines nor colours the terminal (as drawings and spec --diff write them)."""
    spec = tmp_path / "control.json"
    spec.write_text(json.dumps(CONTROL_SPEC))
    assert run(*(a.replace("{spec}", str(spec)) for a in argv)) == code
    assert capsys.readouterr() == ("\n".join(line.replace("{spec}", str(spec)) for line in lines) + "\n", "")


def test_a_file_name_with_a_line_break_stays_on_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An error about a spec file whose name holds a line break is still one line on standard error."""
    missing = tmp_path / "two\nlines.toml"
    assert run("check", "--spec", missing, "notStarted") == 2
    assert capsys.readouterr().err == (f"jobfsm: error: {tmp_path}/two\\x0alines.toml: cannot read: No such file or "
                                       "directory\n")
