"""Pins jobfsm.coverage and `jobfsm coverage`: counts, inferred edges apart, gaps, JSON, JUnit XML, threshold."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import xml.dom.minidom
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import SHARED
from hypothesis import given
from hypothesis import strategies as st

from jobfsm.cli import main
from jobfsm.coverage import CoverageCollector, coverage, coverage_of_paths
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.spec import Edge, Spec, Status
from jobfsm.validation import Options

SHARED_TRACES = sorted(str(p) for p in SHARED.iterdir() if p.suffix in (".json", ".har", ".yaml")
                       and p.name != "expected.json")
# read off the shared traces by hand: no trace starts by failing or cancelling a queued job, and none
# leaves waiting other than by a retry
SHARED_UNCOVERED = [("notStarted", "fail", "failed"), ("notStarted", "cancel", "cancelled"),
                    ("notStarted", "request_cancel", "cancelPending"), ("waiting", "fail", "failed"),
                    ("waiting", "cancel", "cancelled"), ("waiting", "request_cancel", "cancelPending")]


def edge_counts(cov):
    """{(from, to): (observed, inferred, covered)} of a coverage."""
    return {(e.edge.source, e.edge.dest): (e.observed, e.inferred, e.covered) for e in cov.edges}


def status_counts(cov):
    """{status: (polls, inferred, covered)} of a coverage."""
    return {s.status.name: (s.polls, s.inferred, s.covered) for s in cov.statuses}


def run(*argv):
    """The exit code of ``main(argv)``; argparse's own exits count as exit codes too."""
    try:
        return main(list(argv))
    except SystemExit as exc:
        return exc.code


def test_shared_traces_list_the_uncovered_edges() -> None:
    """Coverage of the shared recordings (JSON, HAR, cassette) names exactly the edges none of them shows."""
    cov = coverage_of_paths(SHARED_TRACES)
    assert [(e.edge.source, e.edge.event, e.edge.dest) for e in cov.uncovered_edges] == SHARED_UNCOVERED
    assert not cov.uncovered_statuses
    assert not cov.input_errors
    assert len(cov.jobs) == len(SHARED_TRACES)
    assert round(cov.edge_percent, 1) == 53.8


def test_observed_changes_are_counted_per_edge() -> None:
    """Each change between two polls counts once on its edge; repeats count polls, not changes."""
    cov = coverage([["notStarted", "notStarted", "inProgress", "waiting", "inProgress", "completed"],
                    ["inProgress", "completed"]])
    counts = edge_counts(cov)
    assert counts[("notStarted", "inProgress")] == (1, 0, True)
    assert counts[("inProgress", "completed")] == (2, 0, True)
    assert counts[("inProgress", "waiting")] == (1, 0, True)
    assert counts[("waiting", "inProgress")] == (1, 0, True)
    assert sum(o for o, _, _ in counts.values()) == 5
    assert status_counts(cov)["notStarted"] == (2, 0, True)
    assert status_counts(cov)["inProgress"] == (3, 0, True)


@pytest.mark.parametrize("count_inferred", [False, True], ids=["observed-only", "count-inferred"])
def test_sampled_skips_are_inferred_along_the_shortest_path(count_inferred: bool) -> None:
    """notStarted -> completed infers start and complete (the validator's shortest path), counted apart."""
    cov = coverage([["notStarted", "completed"]], count_inferred=count_inferred)
    counts = edge_counts(cov)
    assert counts[("notStarted", "inProgress")] == (0, 1, count_inferred)
    assert counts[("inProgress", "completed")] == (0, 1, count_inferred)
    assert sum(o for o, _, _ in counts.values()) == 0
    assert status_counts(cov)["inProgress"] == (0, 1, count_inferred)
    assert status_counts(cov)["completed"] == (1, 0, True)


def test_strict_mode_infers_nothing() -> None:
    """In strict mode a skip is an illegal transition: it covers nothing and is listed as illegal."""
    cov = coverage([["notStarted", "completed"]], mode="strict")
    assert all(e.observed == e.inferred == 0 for e in cov.edges)
    assert [(c.source, c.dest, c.rule, c.count) for c in cov.illegal] == [
        ("notStarted", "completed", "illegal-transition", 1)]


@pytest.mark.parametrize("severity", [{}, {"left-terminal": "off"}], ids=["default", "rule-off"])
def test_illegal_changes_cover_nothing(severity: dict[str, str]) -> None:
    """A change leaving a terminal status covers no edge, even with its rule turned off."""
    collector = CoverageCollector(Options(severity=severity))
    collector.add_trace(["inProgress", "completed", "inProgress"])
    cov = collector.result()
    assert [e.observed for e in cov.edges if e.observed] == [1]
    assert edge_counts(cov)[("inProgress", "completed")] == (1, 0, True)
    assert [(c.source, c.dest, c.count) for c in cov.illegal] == [("completed", "inProgress", 1)]


def test_unknown_statuses_do_not_move_the_machine() -> None:
    """An unknown status between two known ones: the change is read from the last known status."""
    counts = edge_counts(coverage([["inProgress", "bogus", "completed"]]))
    assert counts[("inProgress", "completed")] == (1, 0, True)


def test_http_recordings_count_the_303_as_completion() -> None:
    """A HAR's 303 completes the job: its change counts on the complete edge."""
    cov = coverage_of_paths([str(SHARED / "har-doc-303.har")])
    assert edge_counts(cov)[("inProgress", "completed")][0] == 1


@given(st.lists(st.lists(st.sampled_from(LIFECYCLE.names), max_size=12), max_size=5))
def test_every_change_is_counted_once(traces: list[list[str]]) -> None:
    """Each change between distinct known statuses is one observed edge, one illegal change, or one skip
    whose hops are inferred: nothing is lost or counted twice."""
    cov = coverage(traces)
    changes = sum(a != b for t in traces for a, b in itertools.pairwise(t))
    observed = sum(e.observed for e in cov.edges)
    illegal = sum(c.count for c in cov.illegal)
    skips = sum(1 for t in traces for a, b in itertools.pairwise(t)
                if a != b and not LIFECYCLE.is_terminal(a) and LIFECYCLE.can_reach(a, b)
                and not LIFECYCLE.can_go(a, b))
    assert changes == observed + illegal + skips
    assert sum(e.inferred for e in cov.edges) >= 2 * skips


def test_text_report_lists_counts_and_gaps() -> None:
    """The text report gives totals, a line per status and edge, and the uncovered edges."""
    text = coverage([["notStarted", "inProgress", "completed"]]).text()
    lines = text.splitlines()
    assert lines[0] == "coverage of 1 job (3 polls, sampled mode; only observed changes count)"
    assert lines[1] == "statuses: 3 of 7 covered (42.9%)"
    assert "edges: 2 of 13 covered (15.4%)" in lines
    assert "uncovered edges (11):" in lines
    assert "  notStarted -fail-> failed" in lines
    assert any(line.startswith("  ok") and "notStarted -start-> inProgress" in line for line in lines)
    assert any(line.startswith("  MISSING") and "waiting -retry-> inProgress" in line for line in lines)


def test_cli_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm coverage --format json` carries the schema, the summary, every edge and the gaps."""
    assert run("coverage", "--format", "json", *SHARED_TRACES) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "jobfsm.coverage/1"
    assert doc["summary"]["edges"] == {"covered": 7, "total": 13, "percent": 53.8, "inferred_only": 0}
    assert doc["summary"]["statuses"]["covered"] == 7
    assert [(e["from"], e["event"], e["to"]) for e in doc["uncovered"]["edges"]] == SHARED_UNCOVERED
    assert len(doc["edges"]) == 13
    assert doc["ok"] is True


@pytest.mark.parametrize(("threshold", "code"), [("53", 0), ("53.8", 0), ("53.9", 1), ("100", 1), ("0", 0)],
                         ids=["under", "rounded", "just-above", "full", "zero"])
def test_fail_under(threshold: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    """--fail-under exits 1 when edge coverage (7/13, 53.85%) is below the threshold, else 0."""
    assert run("coverage", "--fail-under", threshold, *SHARED_TRACES) == code
    last = capsys.readouterr().out.splitlines()[-1]
    verdict = "FAILED" if code else "ok"
    assert last == (f"{verdict}: edge coverage 53.8% {'is under' if code else 'reaches'} --fail-under "
                    f"{float(threshold):g}%")


@pytest.mark.parametrize("argv", [["--fail-under", "101"], ["--fail-under", "lots"], ["--format", "xml"]],
                         ids=["over-100", "not-a-number", "bad-format"])
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Bad options exit 2 with a usage message."""
    assert run("coverage", *argv, SHARED_TRACES[0]) == 2
    assert "error" in capsys.readouterr().err


def test_unreadable_input_exits_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file is an input error (exit 2), reported in the output; the rest is still counted."""
    assert run("coverage", str(tmp_path / "missing.json"), SHARED_TRACES[0]) == 2
    out = capsys.readouterr().out
    assert f"{tmp_path / 'missing.json'}: input error: cannot read: No such file or directory" in out
    assert "coverage of 1 job" in out


def parse_junit(text: str) -> ET.Element:
    """Parse JUnit XML and check the structure JUnit readers rely on; return the root."""
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root:
        assert suite.tag == "testsuite"
        assert suite.get("name")
        cases = suite.findall("testcase")
        assert [c.tag for c in suite if c.tag != "properties"] == ["testcase"] * len(cases)
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors", "-1")) == sum(c.find("error") is not None for c in cases)
        assert int(suite.get("skipped", "-1")) == 0
        assert len({c.get("name") for c in cases}) == len(cases)
        for case in cases:
            assert case.get("classname")
            assert case.get("name")
            float(case.get("time", "x"))
            for bad in (*case.findall("failure"), *case.findall("error")):
                assert bad.get("message")
                assert bad.get("type")
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    assert {key: int(root.get(key, "-1")) for key in totals} == totals
    return root


def test_junit_is_valid_and_fails_each_uncovered_edge(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """The JUnit file has one case per edge and per status; the failing cases are the uncovered edges."""
    out = tmp_path / "coverage.xml"
    assert run("coverage", "--format", "junit", "-o", str(out), *SHARED_TRACES) == 0
    assert capsys.readouterr().out == ""
    text = out.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = parse_junit(text)
    edges, statuses = root.findall("testsuite")
    assert edges.get("name") == "jobfsm.coverage.edges"
    assert statuses.get("name") == "jobfsm.coverage.statuses"
    assert len(edges.findall("testcase")) == len(LIFECYCLE.edges)
    assert [c.get("name") for c in statuses.findall("testcase")] == list(LIFECYCLE.names)
    failing = [c.get("name") for c in edges.findall("testcase") if c.find("failure") is not None]
    assert failing == [f"{a} -{e}-> {b}" for a, e, b in SHARED_UNCOVERED]


def test_junit_marks_inferred_only_edges_and_input_errors(tmp_path) -> None:
    """Inferred-only edges fail with a message saying so; unreadable inputs are error cases of their own."""
    collector = CoverageCollector()
    collector.add_trace(["notStarted", "completed"])
    collector.add_path(str(tmp_path / "missing.json"))
    root = parse_junit(collector.result().junit())
    edges = root.find("testsuite[@name='jobfsm.coverage.edges']")
    assert edges is not None
    start = edges.find("testcase[@name='notStarted -start-> inProgress']/failure")
    assert start is not None
    assert start.get("message") == "notStarted -start-> inProgress: only inferred (sampled mode), never observed"
    inputs = root.find("testsuite[@name='jobfsm.coverage.inputs']")
    assert inputs is not None
    assert inputs.get("errors") == "1"
    assert root.get("errors") == "1"


def test_a_junit_reader_reads_the_report(tmp_path) -> None:
    """junitparser, as CI dashboards read JUnit, finds one case per edge, failing exactly the uncovered ones."""
    from junitparser import Failure, JUnitXml

    out = tmp_path / "coverage.xml"
    assert run("coverage", "--format", "junit", "-o", str(out), *SHARED_TRACES) == 0
    edges, statuses = JUnitXml.fromfile(str(out))
    assert (edges.name, edges.tests, edges.failures, edges.errors) == (
        "jobfsm.coverage.edges", len(LIFECYCLE.edges), len(SHARED_UNCOVERED), 0)
    assert [c.name for c in edges if any(isinstance(r, Failure) for r in c.result)] == [
        f"{a} -{e}-> {b}" for a, e, b in SHARED_UNCOVERED]
    assert (statuses.name, statuses.tests, statuses.failures) == ("jobfsm.coverage.statuses", len(LIFECYCLE.names), 0)


def _write_one_job(path: Path, polls: int) -> None:
    """One job that goes back and forth between inProgress and waiting: every poll is a change."""
    with path.open("w") as out:
        out.write('{"status":"notStarted"}\n')
        out.write('{"status":"inProgress"}\n{"status":"waiting"}\n' * ((polls - 2) // 2))
        out.write('{"status":"completed","resourceId":"r"}\n')


def _coverage_peak_mb(path: Path) -> float:
    """Peak resident memory of ``jobfsm coverage`` on ``path``, in a process of its own."""
    proc = subprocess.Popen([sys.executable, "-m", "jobfsm", "coverage", str(path)], stdout=subprocess.PIPE)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    assert b"inProgress -interrupt-> waiting  " in out
    return usage.ru_maxrss / 1024


def test_memory_stays_flat_as_one_job_grows_tenfold(tmp_path: Path) -> None:
    """Counters only: a job of 400,000 polls costs `jobfsm coverage` no more than a few MB over one of 40,000
    (keeping a walk per poll cost it 1.3 GB on 6 million)."""
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    _write_one_job(small, 40_000)
    _write_one_job(large, 400_000)
    assert large.stat().st_size - small.stat().st_size > 8e6
    assert _coverage_peak_mb(large) - _coverage_peak_mb(small) < 5


@pytest.mark.parametrize(("name", "shown"), [
    ("in\x02progress", "in\\x02progress"), ("nul\x00", "nul\\x00"), ("red\x1b[31m", "red\\x1b[31m"),
    ("lone\udc80", "lone\\udc80"), ("not\uffffa char", "not\\uffffa char"), ("tab\tcr\r", "tab\\x09cr\\x0d"),
], ids=["control", "nul", "escape-sequence", "lone-surrogate", "non-character", "tab-and-cr"])
def test_junit_escapes_names_xml_cannot_carry(name: str, shown: str) -> None:
    """A status name XML 1.0 cannot hold is written with escapes, so the file parses (minidom and ElementTree)."""
    spec = Spec("x", (Status("q", "initial"), Status(name, "active"), Status("done", "terminal", outcome="success")),
                (Edge("q", "go", name), Edge(name, "finish", "done")))
    collector = CoverageCollector(spec=spec)
    collector.add_trace(["q", "done"])
    text = collector.result().junit()
    xml.dom.minidom.parseString(text)
    edges, statuses = parse_junit(text).findall("testsuite")
    assert [c.get("name") for c in statuses.findall("testcase")] == ["q", shown, "done"]
    assert [c.get("name") for c in edges.findall("testcase")] == [f"q -go-> {shown}", f"{shown} -finish-> done"]
    failure = statuses.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == f"{shown}: only inferred (sampled mode), never observed"


@pytest.mark.parametrize(("name", "shown"), [
    ("bad\x02.json", "bad\\x02.json"), (os.fsdecode(b"\xff.json"), "\\udcff.json"),
], ids=["control", "not-utf8"])
def test_junit_of_awkward_file_names_parses(name: str, shown: str, tmp_path: Path) -> None:
    """An unreadable input whose name holds a control character or bytes that are not UTF-8 is an error case
    named with escapes: the JUnit file written with -o parses."""
    out = tmp_path / "coverage.xml"
    assert run("coverage", "--format", "junit", "-o", str(out), str(tmp_path / name)) == 2
    text = out.read_text()
    xml.dom.minidom.parseString(text)
    inputs = parse_junit(text).find("testsuite[@name='jobfsm.coverage.inputs']")
    assert inputs is not None
    (case,) = inputs.findall("testcase")
    error = case.find("error")
    assert error is not None
    assert (case.get("name"), error.get("message")) == (f"{tmp_path}/{shown}", "cannot read: No such file or directory")


def test_reports_written_with_o_keep_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    """`-o` writes a name that is not UTF-8 with escapes, as standard output does (not a UnicodeEncodeError)."""
    missing, out = tmp_path / os.fsdecode(b"\xff.json"), tmp_path / "coverage.txt"
    assert run("coverage", "-o", str(out), str(missing)) == 2
    assert out.read_text().splitlines()[-1] == (f"{tmp_path}/\\udcff.json: input error: cannot read: No such file or "
                                                "directory")


def test_failing_threshold_says_so_when_the_report_goes_to_a_file(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """With -o, a coverage under --fail-under exits 1 with one line on standard error saying so."""
    out = tmp_path / "coverage.xml"
    assert run("coverage", "--format", "junit", "-o", str(out), "--fail-under", "80", *SHARED_TRACES) == 1
    assert capsys.readouterr().err == (f"jobfsm: coverage: edge coverage 53.8% is under --fail-under 80% (report in "
                                       f"{out})\n")
