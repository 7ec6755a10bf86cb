"""Pins jobfsm.paths and `jobfsm paths`: the fewest complete legal traces covering every edge or status."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobfsm.cli import main
from jobfsm.coverage import coverage, coverage_of_paths
from jobfsm.errors import OptionsError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.paths import bodies, covering_traces, covering_walks, resource_id
from jobfsm.spec import Edge, Spec, Status
from jobfsm.validation import validate

DIAMOND = Spec("diamond", (Status("a", "initial"), Status("b", "active"), Status("c", "active"),
                           Status("d", "terminal", outcome="success")),
               (Edge("a", "left", "b"), Edge("a", "right", "c"), Edge("b", "finish", "d"), Edge("c", "finish", "d")))
LOOP = Spec("loop", (Status("q", "initial"), Status("run", "active"), Status("pause", "active"),
                     Status("ok", "terminal", outcome="success")),
            (Edge("q", "start", "run"), Edge("run", "pause", "pause"), Edge("pause", "resume", "run"),
             Edge("run", "finish", "ok")))
# x and y make a loop beside the way a -> z: a least-cost circulation visits them on a loop no trace passes
SIDE = Spec("side", (Status("i", "initial"), Status("a", "active"), Status("x", "active"), Status("y", "active"),
                     Status("z", "terminal", outcome="success")),
            (Edge("i", "go", "a"), Edge("a", "finish", "z"), Edge("a", "detour", "x"), Edge("x", "on", "y"),
             Edge("y", "back", "x"), Edge("x", "finish", "z")))


def run(*argv):
    """The exit code of ``main(argv)``; argparse's own exits count as exit codes too."""
    try:
        return main(list(argv))
    except SystemExit as exc:
        return exc.code


def edges_of(walk):
    """The (from, to) changes of a walk."""
    return set(itertools.pairwise(walk))


@pytest.mark.parametrize("spec", [LIFECYCLE, DIAMOND, LOOP], ids=["lifecycle", "diamond", "loop"])
def test_walks_are_complete_legal_and_cover_every_edge(spec: Spec) -> None:
    """Every walk runs from the initial status to a terminal one through edges; together they take every edge."""
    walks = covering_walks(spec)
    for walk in walks:
        assert walk[0] == spec.initial
        assert spec.is_terminal(walk[-1])
        assert not any(spec.is_terminal(s) for s in walk[:-1])
        assert all(spec.can_go(a, b) for a, b in itertools.pairwise(walk))
    assert set().union(*map(edges_of, walks)) == {(e.source, e.dest) for e in spec.edges}


@pytest.mark.parametrize(("spec", "cover", "fewest", "polls"), [
    # each trace ends on one edge into a terminal status (7 of them), and cancelPending, entered by 3
    # edges, has one exit: 6 + 3 traces at least; the shortest such set has 32 polls
    (LIFECYCLE, "edges", 9, 32),
    (LIFECYCLE, "statuses", 3, 10),  # three terminal statuses, so three traces at least
    (DIAMOND, "edges", 2, 6),
    (DIAMOND, "statuses", 2, 6),
    (LOOP, "edges", 1, 5),  # q run pause run ok: the loop is taken inside the one trace
], ids=["lifecycle-edges", "lifecycle-statuses", "diamond-edges", "diamond-statuses", "loop-edges"])
def test_the_fewest_traces_then_the_fewest_polls(spec: Spec, cover: str, fewest: int, polls: int) -> None:
    """The number of traces is the proven minimum, and their total length the least for that number."""
    walks = covering_walks(spec, cover=cover)  # type: ignore[arg-type]
    assert len(walks) == fewest
    assert sum(map(len, walks)) == polls


def test_status_cover_visits_every_status() -> None:
    """With cover='statuses' every status appears in some trace, and every trace is legal and complete."""
    walks = covering_walks(cover="statuses")
    assert set(itertools.chain(*walks)) == set(LIFECYCLE.names)
    for walk in walks:
        assert validate(walk, mode="strict", complete=True, fail_on="info").ok


@pytest.mark.parametrize(("cover", "walks"), [
    ("edges", [["i", "a", "z"], ["i", "a", "x", "y", "x", "z"]]),
    ("statuses", [["i", "a", "x", "y", "x", "z"]]),
], ids=["edges", "statuses"])
def test_a_loop_beside_the_way_is_joined_to_a_trace(cover: str, walks: list[list[str]]) -> None:
    """Statuses only a loop would visit are spliced into a trace (once 'the covering circulation is not connected')."""
    assert covering_walks(SIDE, cover=cover) == walks  # type: ignore[arg-type]


@pytest.mark.parametrize("cover", ["edges", "statuses"])
def test_a_dense_lifecycle_is_covered_in_seconds(cover: str) -> None:
    """100 statuses each with an edge to every other (10,001 edges) are covered in seconds, not the minutes that
    cancelling cycles took (a subprocess under a time limit), still with the fewest traces and polls."""
    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from conftest import dense_spec
from jobfsm.paths import covering_walks
walks = covering_walks(dense_spec(100), cover={cover!r})
print(len(walks), sum(map(len, walks)), len({{p for w in walks for p in zip(w, w[1:])}}), len({{*sum(walks, [])}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    k, edges = 100, 100 * 100 + 1
    if cover == "edges":  # a trace per edge into done; an extra step into a0 per trace but one, and into each other a
        assert done.stdout.split() == [str(k), str(edges + 2 * (k - 1) + k), str(edges), str(k + 2)]
    else:  # one trace through every status
        assert done.stdout.split() == ["1", str(k + 2), str(k + 1), str(k + 2)]


@pytest.mark.parametrize(("active", "end", "cover"), [
    ("in\0progress", "done", "edges"), ("in\0progress", "done", "statuses"),
    ("running", "\0end", "edges"), ("running", "\0end", "statuses"),
], ids=["nul-inside-edges", "nul-inside-statuses", "nul-first-edges", "nul-first-statuses"])
def test_names_holding_nul_come_back_whole(active: str, end: str, cover: str) -> None:
    """Status names holding NUL are walked as they are (once cut at the NUL, or "\\0end" taken for the end node)."""
    statuses = (Status("queued", "initial"), Status(active, "active"), Status(end, "terminal", outcome="success"))
    spec = Spec("nul", statuses,
                (Edge("queued", "start", active), Edge(active, "finish", end), Edge("queued", "skip", end)))
    walks = [["queued", active, end], ["queued", end]]
    assert covering_walks(spec, cover=cover) == (walks if cover == "edges" else walks[:1])  # type: ignore[arg-type]


def test_walks_are_deterministic() -> None:
    """Two calls give the same walks in the same order (fixtures must not churn)."""
    assert covering_walks() == covering_walks()


@given(st.integers(1, 4), st.sampled_from(["edges", "statuses"]))
def test_bodies_validate_without_any_note(repeat: int, cover: str) -> None:
    """The bodies of every covering trace pass strict, complete validation failing on info: no violation."""
    for walk in covering_walks(cover=cover):  # type: ignore[arg-type]
        report = validate(bodies(walk, repeat=repeat), mode="strict", complete=True, fail_on="info")
        assert report.violations == ()


def test_progress_rises_within_an_attempt_and_restarts_after_a_retry() -> None:
    """percentageComplete: 0 while queued, rising while in progress, kept while waiting, lower after a retry,
    100 with a resourceId on completion."""
    walk = ["notStarted", "inProgress", "waiting", "inProgress", "completed"]
    got = [(b["status"], b["percentageComplete"]) for b in bodies(walk, repeat=2, job="j")]
    assert got == [("notStarted", 0.0), ("notStarted", 0.0), ("inProgress", 33.3), ("inProgress", 66.7),
                   ("waiting", 66.7), ("waiting", 66.7), ("inProgress", 33.3), ("inProgress", 66.7),
                   ("completed", 100.0)]
    assert bodies(walk, job="j")[-1]["resourceId"] == resource_id("j")


def test_resource_ids_look_like_onedrive_ids_and_differ_per_job() -> None:
    """A resourceId is 01 and 32 upper-case base32 characters, stable for a job and different between jobs."""
    rid = resource_id("path-1")
    assert len(rid) == 34
    assert rid.startswith("01")
    assert rid[2:].isalnum()
    assert rid.upper() == rid
    assert rid == resource_id("path-1") != resource_id("path-2")


def test_covering_traces_name_their_jobs() -> None:
    """The log carries each trace's name under the job key; the job's polls are its walk, in order."""
    log = covering_traces(job_key="monitor")
    walks = covering_walks()
    names = list(dict.fromkeys(b["monitor"] for b in log))
    assert names == [f"path-{n}" for n in range(1, len(walks) + 1)]
    for name, walk in zip(names, walks, strict=True):
        assert [b["status"] for b in log if b["monitor"] == name] == walk


@pytest.mark.parametrize(("call", "message"), [
    (lambda: covering_walks(cover="everything"), "unknown cover 'everything'; expected one of edges, statuses"),
    (lambda: bodies(["notStarted"], repeat=0), "repeat must be an integer of at least 1, found 0"),
], ids=["cover", "repeat"])
def test_bad_arguments(call, message: str) -> None:
    """Nonsense arguments raise OptionsError naming what is allowed."""
    with pytest.raises(OptionsError) as exc:
        call()
    assert str(exc.value) == message


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_cli_output_reaches_full_edge_coverage(fmt: str, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm paths` written to a file, then `jobfsm coverage --fail-under 100` on it: every edge covered."""
    out = tmp_path / f"covering.{fmt}"
    assert run("paths", "--format", fmt, "-o", str(out), "--repeat", "2") == 0
    assert run("coverage", "--fail-under", "100", str(out)) == 0
    text = capsys.readouterr().out
    assert "edges: 13 of 13 covered (100.0%)" in text
    assert text.splitlines()[-1] == "ok: edge coverage 100.0% reaches --fail-under 100%"
    assert run("validate", "--complete", "--mode", "strict", "--fail-on", "info", str(out)) == 0


def test_cli_statuses_cover_every_status_not_every_edge(tmp_path) -> None:
    """`--statuses` writes three traces: all statuses covered, not all edges (coverage --fail-under 100 fails)."""
    out = tmp_path / "statuses.json"
    assert run("paths", "--statuses", "-o", str(out)) == 0
    log = json.loads(out.read_text())
    assert len({b["job"] for b in log}) == 3
    cov = coverage_of_paths([str(out)])
    assert not cov.uncovered_statuses
    assert cov.uncovered_edges
    assert run("coverage", "--fail-under", "100", str(out)) == 1


def test_cli_text_format(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format text` prints one line of statuses per trace."""
    assert run("paths", "--format", "text") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"path-{n}: {' '.join(w)}" for n, w in enumerate(covering_walks(), 1)]


@pytest.mark.parametrize("argv", [["--repeat", "0"], ["--job-key", "status"], ["--job-key", " "]],
                         ids=["repeat", "body-field-key", "blank-key"])
def test_cli_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Bad options exit 2 with one line on standard error."""
    assert run("paths", *argv) == 2
    assert capsys.readouterr().err.startswith("jobfsm: error: ")


def test_in_memory_coverage_of_the_walks_is_full() -> None:
    """coverage() of the walks themselves (statuses, no bodies) covers every edge and status."""
    cov = coverage(covering_walks(), mode="strict")
    assert cov.edge_percent == cov.status_percent == 100.0
