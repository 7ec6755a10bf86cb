"""Pins the jobfsm command (jobfsm.cli.main): exit codes, text and JSON reports, options, stdin, spec, rules."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import types

import pytest

from jobfsm import __version__
from jobfsm.cli import main

STATUSES = ["notStarted", "inProgress", "waiting", "cancelPending", "completed", "failed", "cancelled"]
EDGES = {
    ("notStarted", "start", "inProgress"), ("notStarted", "fail", "failed"), ("notStarted", "cancel", "cancelled"),
    ("notStarted", "request_cancel", "cancelPending"), ("inProgress", "complete", "completed"),
    ("inProgress", "fail", "failed"), ("inProgress", "interrupt", "waiting"),
    ("inProgress", "request_cancel", "cancelPending"), ("waiting", "retry", "inProgress"),
    ("waiting", "fail", "failed"), ("waiting", "cancel", "cancelled"), ("waiting", "request_cancel", "cancelPending"),
    ("cancelPending", "confirm_cancel", "cancelled"),
}
RULE_SEVERITIES = {
    "illegal-transition": "error", "left-terminal": "error", "unknown-status": "warning", "status-case": "warning",
    "status-alias": "info", "skipped-states": "info", "unterminated": "warning", "incomplete-start": "error",
    "missing-status": "error", "invalid-field": "error", "progress-out-of-range": "error",
    "progress-regressed": "warning", "completed-without-resource": "warning", "empty-resource-id": "error",
    "resource-changed": "error", "operation-changed": "error", "monitor-lost": "warning", "auth-error": "warning",
    "http-status-mismatch": "warning", "no-status-observed": "warning",
}
UNTERMINATED = "trace ends at inProgress, which is not terminal; expected one of completed, failed, cancelled"
UNKNOWN = ("unknown status 'bogus'; expected one of notStarted, inProgress, waiting, cancelPending, completed, "
           "failed, cancelled (the machine stays at inProgress)")


@pytest.fixture(autouse=True)
def _traces(tmp_path, monkeypatch):
    """Work in tmp_path, holding a few small traces and a directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.txt").write_text("notStarted\ninProgress\ncompleted\n")
    (tmp_path / "open.txt").write_text("notStarted\ninProgress\n")
    (tmp_path / "bad.txt").write_text("completed\ninProgress\n")
    (tmp_path / "unknown.txt").write_text("inProgress\nbogus\ncompleted\n")
    (tmp_path / "broken.jsonl").write_text('{"status": "notStarted"}\n{oops\n{"status": "failed"}\n')
    (tmp_path / "dir").mkdir()


def run(*argv):
    """The exit code of ``main(argv)``; argparse's own exits count as exit codes too."""
    try:
        return main(list(argv))
    except SystemExit as exc:
        return exc.code


def report(capsys, *argv):
    """Run ``validate --format json`` and return (exit code, parsed report)."""
    code = run("validate", "--format", "json", *argv)
    return code, json.loads(capsys.readouterr().out)


def rules_of(rep):
    """(rule, severity, message) of every violation in a JSON report."""
    return [(v["rule"], v["severity"], v["message"]) for j in rep["jobs"] for v in j["violations"]]


@pytest.mark.parametrize(("argv", "code"), [
    (["validate", "ok.txt"], 0),
    (["validate", "open.txt"], 0),
    (["validate", "ok.txt", "bad.txt"], 1),
    (["validate", "missing.txt"], 2),
    (["validate", "dir"], 2),
    (["validate", "bad.txt", "missing.txt"], 2),
    (["validate", "--severity", "nope=error", "ok.txt"], 2),
    (["validate", "--severity", "unknown-status", "ok.txt"], 2),
    (["validate", "--severity", "unknown-status=loud", "ok.txt"], 2),
    (["validate", "--mode", "loose", "ok.txt"], 2),
    (["validate"], 2),
    ([], 2),
    (["check", "notStarted", "completed"], 0),
    (["check", "completed", "inProgress"], 1),
], ids=["valid", "warnings-only", "violations", "missing-file", "directory", "input-error-beats-violations",
        "unknown-rule", "bad-severity-syntax", "unknown-level", "unknown-mode", "no-path", "no-command",
        "check-valid", "check-violation"])
def test_exit_codes(argv, code):
    """0 valid, 1 violations at the failing severity, 2 usage or input errors."""
    assert run(*argv) == code


def test_valid_text_report(capsys):
    """A valid trace prints its verdict line and the summary line."""
    assert run("validate", "ok.txt") == 0
    assert capsys.readouterr().out == ("ok.txt: ok (final completed, 3 polls)\n"
                                       "ok: 1 job, 0 failed, 3 polls; 0 errors, 0 warnings, 0 infos (sampled mode)\n")


@pytest.mark.parametrize(("path", "reason"), [
    ("missing.txt", "cannot read: No such file or directory"),
    ("dir", "is a directory; pass the trace files in it (e.g. dir/*.json)"),
    ("/dev/zero", "is a device, not a trace file"),
], ids=["missing-file", "directory", "device"])
def test_unreadable_path_is_an_input_error(path, reason, capsys):
    """A path that cannot be read as a trace is reported as an input error, exit 2."""
    assert run("validate", path) == 2
    assert capsys.readouterr().out == (f"{path}: input error: {reason}\n"
                                       "FAILED: 0 jobs, 0 failed, 0 polls; 0 errors, 0 warnings, 0 infos, "
                                       "1 input error (sampled mode)\n")


@pytest.mark.parametrize(("option", "message"), [
    ("nope=error", "unknown rule 'nope'; expected one of " + ", ".join(RULE_SEVERITIES)),
    ("unknown-status", "--severity 'unknown-status': expected RULE=LEVEL, e.g. unknown-status=error"),
    ("unknown-status=loud", "unknown severity 'loud' for unknown-status; expected one of error, warning, info, off"),
], ids=["unknown-rule", "bad-syntax", "unknown-level"])
def test_bad_severity_option(option, message, capsys):
    """A bad --severity is a usage error on stderr, before any file is read."""
    assert run("validate", "--severity", option, "ok.txt") == 2
    assert capsys.readouterr() == ("", f"jobfsm: error: {message}\n")


def test_unknown_mode_is_rejected_by_argparse(capsys):
    """An unknown --mode is an argparse usage error naming the option."""
    assert run("validate", "--mode", "loose", "ok.txt") == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("jobfsm validate: error: argument --mode: invalid choice: 'loose'")


def test_json_report_schema(capsys):
    """--format json: the documented top-level, job and violation keys."""
    code, rep = report(capsys, "ok.txt", "bad.txt")
    assert code == 1
    assert list(rep) == ["schema", "mode", "fail_on", "jobs", "input_errors", "summary", "ok"]
    assert (rep["schema"], rep["ok"], rep["mode"], rep["fail_on"]) == ("jobfsm.report/1", False, "sampled", "error")
    assert rep["summary"] == {"sources": 2, "jobs": 2, "failed_jobs": 1, "polls": 5, "errors": 1, "warnings": 1,
                              "infos": 0, "input_errors": 0}
    assert [list(j) for j in rep["jobs"]] == [["source", "job", "ok", "final", "polls", "violations"]] * 2
    assert rep["jobs"][0] == {"source": "ok.txt", "job": None, "ok": True, "final": "completed", "polls": 3,
                              "violations": []}
    assert rep["jobs"][1]["violations"][0] == {
        "rule": "left-terminal", "severity": "error", "index": 1, "location": "bad.txt:2", "from": "completed",
        "to": "inProgress", "message": "inProgress after terminal status completed; a terminal status may only repeat"}
    assert rep["input_errors"] == []


@pytest.mark.parametrize(("argv", "code"), [
    ([], 0), (["--fail-on", "warning"], 1), (["--fail-on", "info"], 1),
], ids=["default-error", "warning", "info"])
def test_fail_on(argv, code, capsys):
    """--fail-on lowers the severity that fails a job: an unterminated trace fails on warning."""
    got, rep = report(capsys, *argv, "open.txt")
    assert (got, rep["ok"], rules_of(rep)) == (code, code == 0, [("unterminated", "warning", UNTERMINATED)])


@pytest.mark.parametrize(("argv", "code", "expected"), [
    ([], 0, [("unknown-status", "warning", UNKNOWN)]),
    (["--severity", "unknown-status=error"], 1, [("unknown-status", "error", UNKNOWN)]),
    (["--severity", "unknown-status=off"], 0, []),
], ids=["default", "raised-to-error", "off"])
def test_severity_override(argv, code, expected, capsys):
    """--severity RULE=LEVEL reports a rule at another severity, or not at all with 'off'."""
    got, rep = report(capsys, *argv, "unknown.txt")
    assert (got, rules_of(rep)) == (code, expected)


def test_complete_requires_start_and_terminal_end(capsys):
    """--complete: unterminated becomes an error and a late start is reported as incomplete-start."""
    code, rep = report(capsys, "--complete", "open.txt", "unknown.txt")
    assert code == 1
    assert rules_of(rep) == [
        ("unterminated", "error", UNTERMINATED),
        ("incomplete-start", "error", "trace starts at inProgress, not at the initial status notStarted"),
        ("unknown-status", "warning", UNKNOWN)]


@pytest.mark.parametrize(("mode", "code", "expected"), [
    ("sampled", 0, [("skipped-states", "info", "notStarted -> completed passed unseen through inProgress "
                                               "(notStarted -start-> inProgress -complete-> completed)")]),
    ("strict", 1, [("illegal-transition", "error", "illegal transition notStarted -> completed (strict mode); "
                    "from notStarted the legal next statuses are inProgress, cancelPending, failed, cancelled")]),
], ids=["sampled", "strict"])
def test_mode(mode, code, expected, capsys):
    """--mode strict makes a skipped status an illegal transition; sampled notes it at info."""
    assert run("check", "--format", "json", "--mode", mode, "notStarted", "completed") == code
    rep = json.loads(capsys.readouterr().out)
    assert (rep["mode"], rules_of(rep)) == (mode, expected)


def test_quiet_shows_only_failing_severity(capsys):
    """--quiet hides violations below the failing severity and jobs that pass, but keeps the summary."""
    assert run("validate", "--quiet", "unknown.txt", "bad.txt") == 1
    assert capsys.readouterr().out == (
        "bad.txt: FAILED (final inProgress, 2 polls)\n"
        "  bad.txt:2: poll 1: error: left-terminal: inProgress after terminal status completed; "
        "a terminal status may only repeat\n"
        "FAILED: 2 jobs, 1 failed, 5 polls; 1 error, 2 warnings, 0 infos (sampled mode)\n")


@pytest.mark.parametrize(("data", "argv", "final", "polls"), [
    (b"notStarted\r\nfailed\r\n", [], "failed", 2),
    (b'{"status": "notStarted"}\n{"status": "cancelled"}\n', [], "cancelled", 2),
    (b'["inProgress", "waiting", "failed"]', ["--input-format", "json"], "failed", 3),
], ids=["text", "jsonl-sniffed", "json-by-option"])
def test_stdin(data, argv, final, polls, capsys, monkeypatch):
    """``-`` reads standard input's byte buffer, named <stdin>; the format is sniffed or given."""
    buffer = io.BufferedReader(io.BytesIO(data))  # what sys.stdin.buffer is: it can peek, so it can be sniffed
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=buffer))
    code, rep = report(capsys, *argv, "-")
    assert code == 0
    assert [(j["source"], j["final"], j["polls"]) for j in rep["jobs"]] == [("<stdin>", final, polls)]
    assert (rep["input_errors"], buffer.closed) == ([], False)


@pytest.mark.parametrize("command", [["validate", "unknown.txt", "bad.txt"], ["check", "inProgress", "bogus"]],
                         ids=["validate", "check"])
def test_quiet_leaves_the_json_report_complete(command, capsys):
    """-q changes the text report only: the JSON report, the complete record, is the same with or without it."""
    code = run(command[0], "--format", "json", *command[1:])
    full = capsys.readouterr().out
    assert "warning" in full
    assert run(command[0], "--format", "json", "-q", *command[1:]) == code
    assert capsys.readouterr().out == full


def test_quiet_help_says_it_is_for_text(capsys):
    """-q's help says what it hides in text and that the JSON report stays complete."""
    assert run("validate", "--help") == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert ("-q, --quiet text report: show only failing jobs and their violations at the failing severity, and no "
            "progress line; --format json always holds the complete report") in help_text


def test_a_job_without_a_status_says_so(capsys):
    """A job whose polls carried no known status reads 'no status observed' on its verdict line, not 'final none'."""
    from pathlib import Path

    har = Path(__file__).parent / "data" / "shared" / "har-auth-401.har"
    assert run("validate", "--severity", "auth-error=off", str(har)) == 0
    assert capsys.readouterr().out == (
        f"{har} job https://contoso-placeholder.example/_api/v2.0/monitor/00000000-0000-0000-0000-00000000000a: ok "
        "(no status observed, 3 polls)\n"
        f"  {har}:entry 2: poll 2: warning: no-status-observed: no poll carried a known status (3 polls)\n"
        "ok: 1 job, 0 failed, 3 polls; 0 errors, 1 warning, 0 infos (sampled mode)\n")


def test_no_arguments_lists_the_commands(capsys, monkeypatch):
    """`jobfsm` alone exits 2 with the usage, the commands as -h lists them, and what is missing."""
    monkeypatch.setenv("COLUMNS", "200")  # one line per command
    assert run() == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "usage: jobfsm [-h] [--version] COMMAND ...\n\ncommands:\n  COMMAND\n"
        "    validate  validate trace files\n"
        "    check     validate a sequence of statuses typed inline\n"
        "    spec      print the lifecycle; lint spec files (--check) or compare two (--diff)\n"
        "    rules     print the rule ids with their default severities\n"
        "    render    draw the lifecycle (DOT, Mermaid, SVG, PNG, PDF), or a trace over it\n"
        "    docs      write the Markdown lifecycle page\n"
        "    coverage  which statuses and edges a set of traces exercised, and which not\n"
        "    paths     write the fewest legal traces that together cover every edge\n"
        "    serve     serve a fake monitor URL over HTTP, quirks included\n"
        "\njobfsm: error: give a command; jobfsm COMMAND -h tells more about one\n")
    assert run("-h") == 0
    assert err.split("\n\n")[1] in capsys.readouterr().out


def test_check_command(capsys):
    """``jobfsm check`` validates the statuses given as arguments, located by index."""
    assert run("check", "completed", "inProgress") == 1
    assert capsys.readouterr().out == (
        "<arguments>: FAILED (final inProgress, 2 polls)\n"
        "  [1]: error: left-terminal: inProgress after terminal status completed; "
        "a terminal status may only repeat\n"
        f"  [1]: warning: unterminated: {UNTERMINATED}\n"
        "FAILED: 1 job, 1 failed, 2 polls; 1 error, 1 warning, 0 infos (sampled mode)\n")


def test_verdict_line_says_one_poll(capsys):
    """A job of one poll reads '1 poll' on its verdict line, as on the summary line."""
    assert run("check", "completed") == 0
    assert capsys.readouterr().out == ("<arguments>: ok (final completed, 1 poll)\n"
                                       "ok: 1 job, 0 failed, 1 poll; 0 errors, 0 warnings, 0 infos (sampled mode)\n")


def test_spec_text_lists_statuses_and_edges(capsys):
    """``jobfsm spec`` lists the 7 statuses and the 13 edges of the lifecycle."""
    assert run("spec") == 0
    out = capsys.readouterr().out
    statuses = out.split("\nstatuses:\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in statuses] == STATUSES
    transitions = out.split("\ntransitions:\n")[1].split("\n\n")[0].splitlines()
    edges = [re.match(r"\s+(\w+)\s+-(\w+)-*>\s+(\w+)\s", line).groups() for line in transitions]
    assert (len(edges), set(edges)) == (13, EDGES)


def test_spec_json(capsys):
    """``jobfsm spec --format json``: statuses with kinds and outcomes, edges with events."""
    assert run("spec", "--format", "json") == 0
    spec = json.loads(capsys.readouterr().out)
    assert list(spec) == ["schema", "name", "statuses", "edges", "aliases", "notes"]
    assert spec["schema"] == "jobfsm.spec/1"
    assert [(s["name"], s["kind"], s["outcome"]) for s in spec["statuses"]] == [
        ("notStarted", "initial", None), ("inProgress", "active", None), ("waiting", "active", None),
        ("cancelPending", "active", None), ("completed", "terminal", "success"), ("failed", "terminal", "failure"),
        ("cancelled", "terminal", "cancel")]
    edges = [(e["from"], e["event"], e["to"]) for e in spec["edges"]]
    assert (len(edges), set(edges)) == (13, EDGES)


@pytest.mark.parametrize("fmt", ["text", "json"], ids=["text", "json"])
def test_rules(fmt, capsys):
    """``jobfsm rules`` lists every rule id with its default severity, in both formats."""
    assert run("rules", "--format", fmt) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        doc = json.loads(out)
        assert doc["schema"] == "jobfsm.rules/1"
        pairs = [(r["rule"], r["severity"]) for r in doc["rules"]]
    else:
        pairs = [tuple(line.split()[:2]) for line in out.splitlines()]
    assert pairs == list(RULE_SEVERITIES.items())


def test_job_key_option_groups_jobs(tmp_path, capsys):
    """--job-key names the field that groups polls into jobs, reported in order of first appearance."""
    (tmp_path / "many.jsonl").write_text('{"monitorUrl": "m2", "job": 1, "status": "inProgress"}\n'
                                         '{"monitorUrl": "m1", "job": 1, "status": "failed"}\n'
                                         '{"monitorUrl": "m2", "job": 1, "status": "cancelled"}\n')
    code, rep = report(capsys, "--job-key", "monitorUrl", "many.jsonl")
    assert code == 0
    assert [(j["job"], j["final"], j["polls"]) for j in rep["jobs"]] == [("m2", "cancelled", 2), ("m1", "failed", 1)]


def test_malformed_record_does_not_stop_other_files(capsys):
    """A malformed record is an input error; the rest of its file and the other files are still reported."""
    code, rep = report(capsys, "broken.jsonl", "bad.txt")
    assert code == 2
    assert [(j["source"], j["final"], j["polls"], j["ok"]) for j in rep["jobs"]] == [
        ("broken.jsonl", "failed", 2, True), ("bad.txt", "inProgress", 2, False)]
    assert [(p["source"], p["location"]) for p in rep["input_errors"]] == [("broken.jsonl", "broken.jsonl:2")]
    assert (rep["ok"], rep["summary"]["input_errors"]) == (False, 1)


@pytest.mark.parametrize("pure", [False, True], ids=["as-built", "pure"])
def test_python_m_jobfsm_version(pure: bool) -> None:
    """``python -m jobfsm --version`` prints the version and whether logs are read with the C accelerator."""
    import importlib.util
    import os

    env = {k: v for k, v in os.environ.items() if k != "JOBFSM_PURE"} | ({"JOBFSM_PURE": "1"} if pure else {})
    proc = subprocess.run([sys.executable, "-m", "jobfsm", "--version"], capture_output=True, text=True,
                          timeout=60, check=False, env=env)
    build = ("pure Python: JOBFSM_PURE is set" if pure else
             "C accelerator built" if importlib.util.find_spec("jobfsm._speedups") else "pure Python: no C accelerator")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"jobfsm {__version__} ({build})\n", "")


@pytest.mark.parametrize(("fmt", "line"), [
    ("text", "\\udcff.json: input error: cannot read: No such file or directory"),
    ("junit", '      <error type="input-error" message="cannot read: No such file or directory">\\udcff.json: input '
              'error: cannot read: No such file or directory</error>'),
], ids=["text", "junit"])
def test_output_file_escapes_names_as_standard_output_does(fmt, line, tmp_path):
    """coverage -o writes a file name that is not UTF-8 with the escape standard output uses, not a traceback."""
    assert main(["coverage", "--format", fmt, "-o", "out", "ok.txt", "\udcff.json"]) == 2
    assert line in (tmp_path / "out").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(("argv", "message"), [
    (["--repeat", "200000"], "--repeat 200000: expected a number of polls per visit from 1 to 4347 (the traces hold "
                             "at most 100000 polls)"),
    (["--repeat", "0"], "--repeat 0: expected a number of polls per visit from 1 to 4347 (the traces hold at most "
                        "100000 polls)"),
    (["--format", "text", "--repeat", "3"], "--repeat shapes the bodies of --format json and jsonl; --format text "
                                            "prints statuses only: drop them"),
    (["--format", "text", "--repeat", "1", "--job-key", "x"],
     "--repeat and --job-key shape the bodies of --format json and jsonl; --format text prints statuses only: drop "
     "them"),
], ids=["repeat-too-many", "repeat-zero", "text-repeat", "text-repeat-and-job-key"])
def test_paths_options_that_cannot_apply(argv, message, capsys):
    """paths refuses a --repeat that would build more than its poll limit in memory, and options --format text
    would ignore, in one line (exit 2)."""
    assert main(["paths", *argv]) == 2
    assert capsys.readouterr().err == f"jobfsm: error: {message}\n"


def test_paths_largest_repeat_stays_within_the_poll_limit(tmp_path):
    """The largest --repeat paths accepts writes no more polls than its limit."""
    from jobfsm.cli import PATHS_POLL_LIMIT

    assert main(["paths", "--format", "jsonl", "--repeat", "4347", "-o", "p.jsonl"]) == 0
    assert PATHS_POLL_LIMIT - 100 < len((tmp_path / "p.jsonl").read_text().splitlines()) <= PATHS_POLL_LIMIT


def test_fail_under_minus_zero_reads_zero(capsys):
    """--fail-under -0 is 0%, and the verdict says so, not -0%."""
    assert main(["coverage", "--fail-under", "-0", "ok.txt"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "ok: edge coverage 15.4% reaches --fail-under 0%"
