"""Pins jobfsm.lint: each problem tied to the entry and field it is about, all found in one pass."""

from __future__ import annotations

import pytest

from jobfsm.lint import Problem, Where, problems
from jobfsm.spec import Alias, Edge, Status

A, B, Z = Status("a", "initial"), Status("b", "active"), Status("z", "terminal", outcome="success")
GO = (Edge("a", "go", "b"), Edge("b", "end", "z"))


@pytest.mark.parametrize(("statuses", "edges", "aliases", "found"), [
    ((A, B, Z, Status("b", "active")), GO, (), [Problem("duplicate status 'b'", Where("statuses", 3, "name"))]),
    ((A, Status("b", "initial"), Z), GO, (),
     [Problem("expected exactly one initial status, found 2: a, b", Where("statuses", 1, "kind"))]),
    ((Status("a", "active"), B, Z), GO, (), [Problem("expected exactly one initial status, found 0")]),
    ((A, B, Z), (*GO, Edge("q", "go", "b"), Edge("b", "x", "r")), (),
     [Problem("edge q -go-> b: unknown status 'q'", Where("edges", 2, "from")),
      Problem("edge b -x-> r: unknown status 'r'", Where("edges", 3, "to"))]),
    ((A, B, Z), (*GO, Edge("z", "back", "a")), (Alias("old", "gone"),),
     [Problem("edge z -back-> a: terminal status 'z' has an exit", Where("edges", 2, "from")),
      Problem("alias 'old': unknown target status 'gone'", Where("aliases", 0, "target"))]),
    ((A, B, Z), (GO[0], Edge("b", "end", "q")), (),
     [Problem("edge b -end-> q: unknown status 'q'", Where("edges", 1, "to")),
      Problem("status 'a' cannot reach a terminal status", Where("statuses", 0, "name")),
      Problem("status 'b' cannot reach a terminal status", Where("statuses", 1, "name")),
      Problem("status 'z' is not reachable from 'a'", Where("statuses", 2, "name"))]),
], ids=["duplicate", "two-initials", "no-initial", "unknown-ends", "terminal-exit-and-alias", "broken-exit-no-trap"])
def test_problems_point_at_their_entries(statuses: tuple[Status, ...], edges: tuple[Edge, ...],
                                         aliases: tuple[Alias, ...], found: list[Problem]) -> None:
    """Each problem names its table, entry and field; problems of the whole spec name none. A status left only
    by a broken edge is reported as unable to finish, not as a trap."""
    assert problems(statuses, edges, aliases) == found


def test_indexes_map_entries_back_to_the_file() -> None:
    """With ``indexes``, entries are numbered as in a file that held entries dropped before the check."""
    found = problems((A, B, Z, Status("b", "active")), GO, (Alias("B", "b"),),
                     indexes={"statuses": [0, 2, 3, 5], "edges": [0, 1], "aliases": [4]})
    assert found == [Problem("duplicate status 'b'", Where("statuses", 5, "name")),
                     Problem("alias 'B' clashes with status 'b'", Where("aliases", 4, "name"))]


def test_odd_names_keep_messages_on_one_line() -> None:
    """Names with line breaks or surrounding spaces are quoted in messages, so each problem stays one line."""
    odd = Status("a\nb", "initial")
    found = problems((odd, Z, Status(" c", "initial")), (Edge("a\nb", "go\n", "z"), Edge("a\nb", "go\n", "z")), ())
    assert [p.message for p in found] == [
        "expected exactly one initial status, found 2: 'a\\nb', ' c'",
        "edge 'a\\nb' -'go\\n'-> z: duplicate of 'a\\nb' -'go\\n'-> z",
        "status ' c' is a trap: it is not terminal and no edge leaves it"]


@pytest.mark.parametrize(("statuses", "edges", "aliases", "messages"), [
    ((A, B, Status("z", "terminal")), GO, (), ["terminal status 'z' has no outcome; expected one of success, failure, "
                                               "cancel"]),
    ((A, Status("b", None), Z), GO, (), ["status 'b' has no kind; expected one of initial, active, terminal"]),  # type: ignore[arg-type]
    ((A, B, Z, Status(None, "active")), GO, (), ["status name is missing"]),  # type: ignore[arg-type]
    ((A, B, Z), (GO[0], Edge("b", None, "z")), (), ["edge b -(missing)-> z: event is missing"]),  # type: ignore[arg-type]
    ((A, B, Z), GO, (Alias(None, "b"),), ["alias name is missing"]),  # type: ignore[arg-type]
], ids=["no-outcome", "no-kind", "no-status-name", "no-event", "no-alias-name"])
def test_missing_values_never_read_none(statuses: tuple[Status, ...], edges: tuple[Edge, ...],
                                        aliases: tuple[Alias, ...], messages: list[str]) -> None:
    """A kind, outcome, name or event left out (None) is named missing, never printed as Python's None."""
    assert [p.message for p in problems(statuses, edges, aliases)] == messages
