"""Pins jobfsm.machine: the transitions machine built from the spec, and the tables read off it."""

from __future__ import annotations

import itertools

import pytest
from transitions import MachineError

from jobfsm import LIFECYCLE, validate
from jobfsm.machine import build_machine, tables

PAIRS = list(itertools.product(LIFECYCLE.names, repeat=2))


def test_there_are_49_ordered_pairs() -> None:
    """Seven statuses give 49 ordered pairs, repeats included."""
    assert len(PAIRS) == 49


def _machine_allows(source: str, dest: str) -> bool:
    """Drive a fresh model from ``source`` by every trigger the machine offers; True if one lands on ``dest``."""
    machine = build_machine()
    for trigger in machine.get_triggers(source):
        model = type("Model", (), {})()
        machine.add_model(model, initial=source)
        getattr(model, trigger)()
        if model.state == dest:  # type: ignore[attr-defined]
            return True
    return False


@pytest.mark.parametrize(("source", "dest"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_spec_machine_and_validator_agree(source: str, dest: str) -> None:
    """For every ordered pair, the spec, the driven machine and both validator modes give one answer."""
    direct = LIFECYCLE.can_go(source, dest)
    assert _machine_allows(source, dest) is direct
    assert (dest in tables().successors[source]) is direct
    strict = validate([source, dest], mode="strict")
    sampled = validate([source, dest])
    transition_errors = {"illegal-transition", "left-terminal"}
    if source == dest:
        assert strict.violations == sampled.violations
        assert not transition_errors & strict.rules()
    else:
        assert (not transition_errors & strict.rules()) is direct
        assert (not transition_errors & sampled.rules()) is LIFECYCLE.can_reach(source, dest)
        assert ("skipped-states" in sampled.rules()) is (LIFECYCLE.can_reach(source, dest) and not direct)


def test_tables_paths_match_spec_shortest_paths() -> None:
    """The machine-derived shortest paths equal the spec's, pair by pair."""
    t = tables()
    for a, b in PAIRS:
        path = LIFECYCLE.shortest_path(a, b)
        assert t.paths[a].get(b) == (None if path is None else tuple(e.dest for e in path))


def test_no_auto_transitions() -> None:
    """auto_transitions=False: no to_<status> triggers from every status to every status."""
    machine = build_machine()
    assert not [t for t in machine.get_triggers(*LIFECYCLE.names) if t.startswith("to_")]
    assert sorted(machine.events) == sorted(LIFECYCLE.events)


def test_terminal_statuses_are_final_and_have_no_triggers() -> None:
    """completed, failed and cancelled are final states with nothing to fire."""
    machine = build_machine()
    assert {n for n, s in machine.states.items() if s.final} == set(LIFECYCLE.terminals)
    for name in LIFECYCLE.terminals:
        assert machine.get_triggers(name) == []


def test_users_can_attach_callbacks_and_illegal_triggers_raise() -> None:
    """The public machine drives a user model, fires on_enter callbacks, and refuses illegal events."""
    entered: list[str] = []

    class Job:
        def on_enter_completed(self) -> None:
            entered.append("completed")

    job = Job()
    build_machine(model=job)
    assert job.state == "notStarted"  # type: ignore[attr-defined]
    job.start()  # type: ignore[attr-defined]
    job.complete()  # type: ignore[attr-defined]
    assert entered == ["completed"]
    with pytest.raises(MachineError):
        job.start()  # type: ignore[attr-defined]
