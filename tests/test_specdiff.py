"""Pins jobfsm.specdiff: what two lifecycles differ in, and the status pairs whose legality changes by mode."""

from __future__ import annotations

import dataclasses

import pytest

from jobfsm import LIFECYCLE, Alias, Edge, Spec, Status
from jobfsm.specdiff import diff

L = LIFECYCLE


def _without(spec: Spec, source: str, event: str) -> Spec:
    return dataclasses.replace(spec, edges=tuple(e for e in spec.edges if (e.source, e.event) != (source, event)))


def test_a_spec_against_itself_is_identical() -> None:
    """Nothing differs between a spec and itself, and the text says so."""
    changes = diff(L, L)
    assert changes.identical
    assert changes.text("a.toml", "b.toml") == (
        "--- a.toml (asyncJobStatus)\n+++ b.toml (asyncJobStatus)\nno differences")


def test_a_removed_edge_changes_strict_legality_only() -> None:
    """Without notStarted -fail-> failed, that change is illegal in strict mode; sampled mode still reaches
    failed through inProgress, so its legality does not change."""
    changes = diff(L, _without(L, "notStarted", "fail"))
    assert changes.text("old.toml", "new.toml") == (
        "--- old.toml (asyncJobStatus)\n+++ new.toml (asyncJobStatus)\n"
        "edges:\n  - notStarted -fail-> failed\n"
        "legality in strict mode (each change one edge), of statuses both specs have:\n"
        "  notStarted -> failed: legal -> illegal")
    assert changes.to_dict() == {
        "schema": "jobfsm.specdiff/1", "old": "asyncJobStatus", "new": "asyncJobStatus", "identical": False,
        "statuses": {"added": [], "removed": []},
        "edges": {"added": [], "removed": [{"from": "notStarted", "event": "fail", "to": "failed",
                                            "reason": "rejected before it started (e.g. a name conflict)",
                                            "resets_progress": False}]},
        "aliases": {"added": [], "removed": []}, "notes": {"added": [], "removed": []}, "changed": [],
        "legality": {"sampled": [],
                     "strict": [{"from": "notStarted", "to": "failed", "old": "legal", "new": "illegal"}]},
    }


def test_a_cut_off_status_changes_sampled_legality() -> None:
    """Without cancelPending -confirm_cancel-> cancelled and with a way to failed instead, both modes change."""
    edges = [e for e in L.edges if e.event != "confirm_cancel"]
    new = dataclasses.replace(L, edges=(*edges, Edge("cancelPending", "give_up", "failed", "the abort failed")))
    changes = diff(L, new)
    assert [(p.mode, p.source, p.dest, p.legal_before, p.legal_after) for p in changes.pairs] == [
        ("sampled", "cancelPending", "failed", False, True), ("sampled", "cancelPending", "cancelled", True, False),
        ("strict", "cancelPending", "failed", False, True), ("strict", "cancelPending", "cancelled", True, False)]


def test_every_kind_of_change_is_listed() -> None:
    """Added and removed statuses, edges, aliases and notes, and changed names, meanings, reasons and targets."""
    statuses = [dataclasses.replace(s, meaning="paused, will resume") if s.name == "waiting" else s
                for s in L.statuses]
    edges = [dataclasses.replace(e, reason="resumed") if e.event == "retry" else e for e in L.edges]
    aliases = [dataclasses.replace(a, target="failed") if a.name == "deletePending" else a
               for a in L.aliases if a.name != "updating"]
    new = Spec("asyncJobStatus2", (*statuses, Status("archived", "terminal", "kept", "success")),
               (*edges, Edge("inProgress", "archive", "archived")), (*aliases, Alias("Done", "completed")),
               (*L.notes[1:], "new note"))
    assert diff(L, new).text().splitlines()[:15] == [
        "--- old (asyncJobStatus)", "+++ new (asyncJobStatus2)",
        "statuses:", "  + archived (terminal, success)",
        "edges:", "  + inProgress -archive-> archived",
        "aliases:", "  + Done -> completed", "  - updating -> inProgress",
        "changed:", "  ~ lifecycle: name 'asyncJobStatus' -> 'asyncJobStatus2'",
        "  ~ status waiting: meaning 'interrupted, will be tried again' -> 'paused, will resume'",
        "  ~ edge waiting -retry-> inProgress: reason 'the documented \"will be tried again\"' -> 'resumed'",
        "  ~ alias deletePending: target (no counterpart) -> 'failed'",
        "notes:",
    ]


@pytest.mark.parametrize(("old", "new", "line"), [
    (Alias("x", "a"), Alias("x", None), "  ~ alias x: target 'a' -> (no counterpart)"),
    (Alias("x", None), Alias("x", "a"), "  ~ alias x: target (no counterpart) -> 'a'"),
], ids=["target-dropped", "target-given"])
def test_an_alias_without_counterpart_says_so(old: Alias, new: Alias, line: str) -> None:
    """An alias target that is or becomes None reads '(no counterpart)', as the alias listing says, not None."""
    statuses = (Status("a", "initial"), Status("z", "terminal", outcome="success"))
    edges = (Edge("a", "go", "z"),)
    assert diff(Spec("t", statuses, edges, (old,)), Spec("t", statuses, edges, (new,))).text().splitlines()[2:] == [
        "changed:", line]


def test_a_status_that_becomes_terminal_gains_an_outcome_from_none() -> None:
    """A status turned terminal shows its outcome changing from (none), not from None."""
    before = Spec("t", (Status("a", "initial"), Status("b", "active"), Status("z", "terminal", outcome="success")),
                  (Edge("a", "go", "b"), Edge("b", "end", "z")))
    after = Spec("t", (Status("a", "initial"), Status("b", "terminal", outcome="failure"),
                       Status("z", "terminal", outcome="success")), (Edge("a", "go", "b"), Edge("a", "end", "z")))
    changed = [line for line in diff(before, after).text().splitlines() if line.startswith("  ~ ")]
    assert changed == ["  ~ status b: kind 'active' -> 'terminal'", "  ~ status b: outcome (none) -> 'failure'"]


def test_odd_names_are_quoted_in_the_text() -> None:
    """Names with line breaks or surrounding spaces are shown quoted, so every change stays one line."""
    spec = Spec("t", (Status("a", "initial"), Status("b\nc", "terminal", outcome="success")),
                (Edge("a", "go", "b\nc"),))
    renamed = Spec("t", (Status("a", "initial"), Status(" d", "terminal", outcome="success")),
                   (Edge("a", "go", " d"),))
    assert diff(spec, renamed).text().splitlines()[2:] == [
        "statuses:", "  + ' d' (terminal, success)", "  - 'b\\nc' (terminal, success)",
        "edges:", "  + a -go-> ' d'", "  - a -go-> 'b\\nc'"]
