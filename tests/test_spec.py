"""Pins jobfsm.spec and the built-in lifecycle: its data, its query API and its build-time checks."""

from __future__ import annotations

import dataclasses

import pytest

from jobfsm import LIFECYCLE, Alias, Edge, JobFSMError, Spec, SpecError, Status, UnknownStatusError


def test_lifecycle_has_the_seven_statuses_in_order() -> None:
    """The seven documented statuses, in the documented order, with their kinds and outcomes."""
    assert [(s.name, s.kind, s.outcome) for s in LIFECYCLE.statuses] == [
        ("notStarted", "initial", None),
        ("inProgress", "active", None),
        ("waiting", "active", None),
        ("cancelPending", "active", None),
        ("completed", "terminal", "success"),
        ("failed", "terminal", "failure"),
        ("cancelled", "terminal", "cancel"),
    ]


def test_lifecycle_has_the_thirteen_edges() -> None:
    """Exactly the 13 legal edges of domain.md section 3, each with its event name and a reason."""
    assert {(e.source, e.event, e.dest) for e in LIFECYCLE.edges} == {
        ("notStarted", "start", "inProgress"), ("notStarted", "fail", "failed"),
        ("notStarted", "cancel", "cancelled"), ("notStarted", "request_cancel", "cancelPending"),
        ("inProgress", "complete", "completed"), ("inProgress", "fail", "failed"),
        ("inProgress", "interrupt", "waiting"), ("inProgress", "request_cancel", "cancelPending"),
        ("waiting", "retry", "inProgress"), ("waiting", "fail", "failed"), ("waiting", "cancel", "cancelled"),
        ("waiting", "request_cancel", "cancelPending"), ("cancelPending", "confirm_cancel", "cancelled"),
    }
    assert len(LIFECYCLE.edges) == 13
    assert all(e.reason for e in LIFECYCLE.edges)


def test_spec_is_immutable() -> None:
    """A spec and its parts cannot be changed after they are built."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIFECYCLE.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIFECYCLE.statuses[0].name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(("name", "terminal"), [
    ("notStarted", False), ("inProgress", False), ("waiting", False), ("cancelPending", False),
    ("completed", True), ("failed", True), ("cancelled", True),
], ids=lambda v: str(v))
def test_is_terminal(name: str, terminal: bool) -> None:
    """Only completed, failed and cancelled are terminal."""
    assert LIFECYCLE.is_terminal(name) is terminal


def test_query_api() -> None:
    """initial, terminals, successors, can_go, can_reach, reachable and shortest_path answer as documented."""
    assert LIFECYCLE.initial == "notStarted"
    assert LIFECYCLE.terminals == ("completed", "failed", "cancelled")
    assert LIFECYCLE.successors("cancelPending") == ("cancelled",)
    assert LIFECYCLE.successors("completed") == ()
    assert LIFECYCLE.can_go("notStarted", "inProgress")
    assert not LIFECYCLE.can_go("notStarted", "completed")
    assert LIFECYCLE.can_reach("notStarted", "completed")
    assert not LIFECYCLE.can_reach("inProgress", "notStarted")
    assert LIFECYCLE.reachable("waiting") == ("inProgress", "waiting", "cancelPending", "completed", "failed",
                                              "cancelled")
    path = LIFECYCLE.shortest_path("notStarted", "completed")
    assert path is not None
    assert [(e.source, e.event, e.dest) for e in path] == [
        ("notStarted", "start", "inProgress"), ("inProgress", "complete", "completed")]
    assert LIFECYCLE.shortest_path("completed", "failed") is None


@pytest.mark.parametrize(("name", "message"), [
    ("done", "unknown status 'done'; known: notStarted, inProgress, waiting, cancelPending, completed, failed, "
             "cancelled"),
    ("Waiting", "unknown status 'Waiting' (did you mean 'waiting'?); known: notStarted, inProgress, waiting, "
                "cancelPending, completed, failed, cancelled"),
    ("running", "unknown status 'running' (did you mean 'inProgress'?); known: notStarted, inProgress, waiting, "
                "cancelPending, completed, failed, cancelled"),
], ids=["unknown", "case", "alias"])
def test_unknown_status_in_query_names_the_known_ones(name: str, message: str) -> None:
    """Asking about a status the spec lacks raises UnknownStatusError (a JobFSMError and a KeyError)."""
    with pytest.raises(UnknownStatusError) as info:
        LIFECYCLE.successors(name)
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, JobFSMError)
    assert (str(info.value), info.value.status) == (message, name)


@pytest.mark.parametrize(("raw", "status", "alias", "case_fixed"), [
    ("completed", "completed", None, False),
    ("Completed", "completed", None, True),
    ("INPROGRESS", "inProgress", None, True),
    ("running", "inProgress", "running", False),
    ("Succeeded", "completed", "succeeded", True),
    ("updating", "inProgress", "updating", False),
    ("deleteFailed", "failed", "deleteFailed", False),
    ("deletePending", None, "deletePending", False),
    ("unknownFutureValue", None, None, False),
    ("done", None, None, False),
], ids=lambda v: str(v))
def test_resolve(raw: str, status: str | None, alias: str | None, case_fixed: bool) -> None:
    """Raw statuses map to statuses exactly, through aliases, or case-folded; others are unknown."""
    r = LIFECYCLE.resolve(raw)
    assert (r.status, r.alias.name if r.alias else None, r.case_fixed) == (status, alias, case_fixed)
    assert r.known is (status is not None or alias is not None)


def _spec(statuses: tuple[Status, ...], edges: tuple[Edge, ...], aliases: tuple[Alias, ...] = ()) -> Spec:
    return Spec("t", statuses, edges, aliases)


GOOD = (Status("a", "initial"), Status("b", "active"), Status("z", "terminal", outcome="success"))
GOOD_EDGES = (Edge("a", "go", "b"), Edge("b", "end", "z"))


def test_a_small_valid_spec_builds() -> None:
    """A minimal well-formed spec passes every check."""
    assert _spec(GOOD, GOOD_EDGES).names == ("a", "b", "z")


def test_a_cycle_with_a_way_out_builds() -> None:
    """A cycle is fine when one of its statuses can leave it for a terminal status."""
    spec = _spec((*GOOD, Status("c", "active")), (*GOOD_EDGES, Edge("a", "loop", "c"), Edge("c", "back", "b"),
                                                   Edge("b", "again", "c")))
    assert spec.can_reach("c", "z")


def test_names_and_events_may_hold_any_text() -> None:
    """Quotes, backslashes, line breaks, non-ASCII text and keywords are data, not syntax: a spec takes them."""
    odd = (Status('a "1"\\', "initial"), Status("node\nend <&>", "active"), Status("é [*]", "terminal",
                                                                                      outcome="success"))
    spec = _spec(odd, (Edge(odd[0].name, "go 'x'", odd[1].name), Edge(odd[1].name, "état\n", odd[2].name)))
    assert spec.can_reach(odd[0].name, odd[2].name)


@pytest.mark.parametrize(("statuses", "edges", "aliases", "problems"), [
    ((), (), (), ["no statuses"]),
    (GOOD[1:], GOOD_EDGES[1:], (), ["expected exactly one initial status, found 0"]),
    ((*GOOD, Status("c", "initial")), GOOD_EDGES, (),
     ["expected exactly one initial status, found 2: a, c",
      "status 'c' is a trap: it is not terminal and no edge leaves it"]),
    (GOOD, (*GOOD_EDGES, Edge("z", "back", "b")), (), ["edge z -back-> b: terminal status 'z' has an exit"]),
    (GOOD, (*GOOD_EDGES, Edge("b", "go", "q")), (), ["edge b -go-> q: unknown status 'q'"]),
    (GOOD, (*GOOD_EDGES, Edge("b", "stay", "b")), (), ["edge b -stay-> b: a repeated status is not a transition"]),
    (GOOD, (*GOOD_EDGES, Edge("a", "go", "b")), (), ["edge a -go-> b: duplicate of a -go-> b"]),
    (GOOD, (*GOOD_EDGES, Edge("a", "go", "z")), (), ["edge a -go-> z: event 'go' from 'a' already leads to 'b'"]),
    (GOOD, (*GOOD_EDGES, Edge("a", " ", "z")), (), ["edge a -' '-> z: event ' ' is not a non-empty string"]),
    (GOOD, (*GOOD_EDGES, Edge("a", "skip", "b")), (),
     ["edge a -skip-> b: a -go-> b already joins these statuses (polls cannot tell two events apart)"]),
    ((*GOOD, Status("B", "active")), (*GOOD_EDGES, Edge("a", "up", "B"), Edge("B", "end", "z")), (),
     ["same as 'b' but for case: status 'B'"]),
    ((*GOOD, Status("lost", "active")), (*GOOD_EDGES, Edge("lost", "end", "z")), (),
     ["status 'lost' is not reachable from 'a'"]),
    ((*GOOD, Status("trap", "active")), (*GOOD_EDGES, Edge("a", "trap", "trap")), (),
     ["status 'trap' is a trap: it is not terminal and no edge leaves it"]),
    ((GOOD[0], GOOD[1], Status("c", "active")), (*GOOD_EDGES[:1], Edge("b", "on", "c"), Edge("c", "back", "b")), (),
     ["no terminal status"]),
    ((*GOOD[:2], Status("z", "terminal", outcome="failure")), GOOD_EDGES, (),
     ["no terminal status with outcome 'success': a job could never succeed"]),
    ((*GOOD, Status("c", "active"), Status("d", "active")),
     (*GOOD_EDGES, Edge("a", "loop", "c"), Edge("c", "on", "d"), Edge("d", "back", "c")), (),
     ["status 'c' cannot reach a terminal status", "status 'd' cannot reach a terminal status"]),
    ((*GOOD, Status("c", "active"), Status("b", "active")),
     (*GOOD_EDGES, Edge("c", "go", "q"), Edge("z", "back", "a")), (Alias("x", "b"), Alias("X", "z"), Alias("x", "a")),
     ["duplicate status 'b'", "edge c -go-> q: unknown status 'q'", "edge z -back-> a: terminal status 'z' has an exit",
      "same as 'x' but for case: alias 'X'", "duplicate alias 'x'", "status 'c' is not reachable from 'a'",
      "status 'c' cannot reach a terminal status"]),
    ((GOOD[0], GOOD[1], Status("z", "terminal")), GOOD_EDGES, (),
     ["terminal status 'z' has no outcome; expected one of success, failure, cancel"]),
    ((GOOD[0], Status("b", "active", outcome="success"), GOOD[2]), GOOD_EDGES, (),
     ["status 'b' is not terminal but has outcome 'success'"]),
    (GOOD, GOOD_EDGES, (Alias("B", "b"), Alias("old", "gone")),
     ["alias 'B' clashes with status 'b'", "alias 'old': unknown target status 'gone'"]),
], ids=["empty", "no-initial", "two-initials", "terminal-exit", "unknown-dest", "self-loop", "duplicate-edge",
        "ambiguous-event", "bad-event", "two-events-one-pair", "case-clash", "unreachable", "trap",
        "no-terminal", "no-success", "endless-cycle", "everything-at-once", "terminal-no-outcome",
        "active-with-outcome", "bad-aliases"])
def test_bad_specs_report_every_problem(statuses: tuple[Status, ...], edges: tuple[Edge, ...],
                                        aliases: tuple[Alias, ...], problems: list[str]) -> None:
    """Each broken spec raises SpecError listing exactly its problems."""
    with pytest.raises(SpecError) as info:
        _spec(statuses, edges, aliases)
    assert list(info.value.problems) == problems
    assert isinstance(info.value, ValueError)


LONG = "x" * 1000
LONG_SHOWN = "'" + "x" * 55 + "...' (1000 characters)"


@pytest.mark.parametrize(("statuses", "edges", "aliases", "problems"), [
    ((*GOOD, Status(LONG, "active")), (*GOOD_EDGES, Edge("a", "long", LONG)), (),
     [f"status {LONG_SHOWN} is a trap: it is not terminal and no edge leaves it"]),
    (GOOD, (*GOOD_EDGES, Edge("b", LONG, "q")), (), [f"edge b -{LONG_SHOWN}-> q: unknown status 'q'"]),
    (GOOD, GOOD_EDGES, (Alias("old", LONG),), [f"alias 'old': unknown target status {LONG_SHOWN}"]),
    (tuple(Status(f"s{i}", "initial") for i in range(8)) + GOOD[1:], GOOD_EDGES, (),
     ["expected exactly one initial status, found 8: s0, s1, s2, s3, s4, ... (3 more)",
      "status 'b' is not reachable from 's0' or 's1' or 's2' or 's3' or 's4' or ... (3 more)"]),
], ids=["long-status", "long-event", "long-alias-target", "many-initials"])
def test_long_values_are_cut_in_problems(statuses: tuple[Status, ...], edges: tuple[Edge, ...],
                                         aliases: tuple[Alias, ...], problems: list[str]) -> None:
    """A name of 1,000 characters is quoted cut to about 60 with its length, as every quoted value is, and a list
    of names to the first five."""
    with pytest.raises(SpecError) as info:
        _spec(statuses, edges, aliases)
    assert [p for p in info.value.problems if p in problems] == problems


def test_spec_error_lists_ten_problems_and_counts_the_rest() -> None:
    """Past ten problems, the message says how many more there are; ``problems`` keeps them all."""
    with pytest.raises(SpecError) as info:
        _spec(GOOD, (*GOOD_EDGES, *(Edge("b", f"e{i}", f"q{i}") for i in range(12))))
    assert len(info.value.problems) == 12
    assert str(info.value) == ("invalid spec 't': 12 problems: "
                               + "; ".join(f"edge b -e{i}-> q{i}: unknown status 'q{i}'" for i in range(10))
                               + "; and 2 more")


def test_spec_error_reports_all_problems_in_one_message() -> None:
    """Several problems come in one SpecError whose message lists them all."""
    with pytest.raises(SpecError) as info:
        _spec(GOOD, (*GOOD_EDGES, Edge("z", "back", "b"), Edge("q", "go", "b")))
    assert str(info.value) == ("invalid spec 't': 2 problems: edge z -back-> b: terminal status 'z' has an exit; "
                               "edge q -go-> b: unknown status 'q'")
