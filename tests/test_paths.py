"""Pins jobfsm.paths and `jobfsm paths`: the fewest complete legal traces covering every edge or status."""

from __future__ import annotations

import itertools
import json

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
