"""The spec built into a ``transitions`` machine, and the lookup tables derived from that machine.

This is the only module that imports ``transitions``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from transitions import Machine

from jobfsm.lifecycle import LIFECYCLE
from jobfsm.spec import Spec

__all__ = ["Machine", "Paths", "Tables", "build_machine", "tables"]


def build_machine(spec: Spec = LIFECYCLE, model: Any = None, **kwargs: Any) -> Machine:
    """A ``transitions.Machine`` for ``spec``: triggers named by events, terminal statuses final.

    ``auto_transitions=False`` matters: otherwise transitions adds a ``to_<status>`` edge from every
    status to every status. Extra keyword arguments go to ``Machine`` (callbacks, ``send_event``, ...).
    """
    states = [{"name": s.name, "final": s.kind == "terminal"} for s in spec.statuses]
    edges = [{"trigger": e.event, "source": e.source, "dest": e.dest} for e in spec.edges]
    kwargs.setdefault("initial", spec.initial)
    return Machine(model=model, states=states, transitions=edges, auto_transitions=False, **kwargs)


class Paths(Mapping[str, tuple[str, ...]]):
    """The shortest paths from one status: each status reachable from it (itself too, round a loop) to the
    statuses after it along the way, the last being that status. Only each status's predecessor is kept and
    a path is rebuilt when asked for, so that a chain of 500 statuses costs its 125,000 pairs, not the 20
    million statuses of all their paths."""

    __slots__ = ("_before", "source")

    def __init__(self, source: str, before: dict[str, str]) -> None:
        self.source = source
        self._before = before  # in the order the search found them: a status's predecessor comes first

    def __getitem__(self, dest: str) -> tuple[str, ...]:
        before = self._before
        out = [dest]
        here = before[dest]
        while here != self.source:
            out.append(here)
            here = before[here]
        return tuple(reversed(out))

    def __contains__(self, dest: object) -> bool:
        return dest in self._before

    def __iter__(self) -> Iterator[str]:
        return iter(self._before)

    def __len__(self) -> int:
        return len(self._before)

    def before(self, dest: str) -> str:
        """The status right before ``dest`` on the path (``source`` when one edge leads there)."""
        return self._before[dest]

    def taking(self, edges: frozenset[tuple[str, str]]) -> set[str]:
        """The statuses whose path takes one of ``edges``."""
        found: set[str] = set()
        for dest, prev in self._before.items():
            if (prev, dest) in edges or (prev != self.source and prev in found):
                found.add(dest)
        return found


@dataclass(frozen=True)
class Tables:
    """The validator's lookup tables, read off a built machine."""

    spec: Spec
    terminal: frozenset[str]
    success: frozenset[str]
    successors: Mapping[str, tuple[str, ...]]
    events: Mapping[tuple[str, str], str]
    paths: Mapping[str, Paths]
    resets: frozenset[tuple[str, str]]

    def path_text(self, source: str, dest: str) -> str:
        """``a -event-> b -event-> c`` along the shortest path."""
        out, here = source, source
        for nxt in self.paths[source][dest]:
            out += f" -{self.events[(here, nxt)]}-> {nxt}"
            here = nxt
        return out


@lru_cache(maxsize=32)
def tables(spec: Spec = LIFECYCLE) -> Tables:
    """Derive the tables from ``build_machine(spec)``: edges, final states, shortest paths."""
    machine = build_machine(spec)
    order = {(e.source, e.event, e.dest): i for i, e in enumerate(spec.edges)}
    found = [(src, name, str(t.dest)) for name, event in machine.events.items()
             for src, trans in event.transitions.items() for t in trans]
    found.sort(key=lambda edge: order.get(edge, len(order)))
    successors: dict[str, list[str]] = {name: [] for name in machine.states}
    events: dict[tuple[str, str], str] = {}
    for src, name, dest in found:
        successors[src].append(dest)
        events.setdefault((src, dest), name)
    paths = {name: _shortest_paths(name, successors) for name in machine.states}
    terminal = frozenset(name for name, state in machine.states.items() if state.final)
    resets = frozenset((e.source, e.dest) for e in spec.edges if e.resets_progress)
    return Tables(
        spec=spec,
        terminal=terminal,
        success=frozenset(n for n in terminal if spec.outcome(n) == "success"),
        successors={k: tuple(v) for k, v in successors.items()},
        events=events,
        paths=paths,
        resets=resets,
    )


def _shortest_paths(source: str, successors: Mapping[str, list[str]]) -> Paths:
    """Breadth first, ties broken by edge order."""
    before: dict[str, str] = {}
    queue = deque([source])
    while queue:
        here = queue.popleft()
        for nxt in successors[here]:
            if nxt not in before:
                before[nxt] = here
                queue.append(nxt)
    return Paths(source, before)
