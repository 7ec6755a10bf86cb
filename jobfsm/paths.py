"""Minimal covering traces: the fewest complete legal traces that together take every edge (or visit
every status), as status walks or as realistic asyncJobStatus bodies.

Each trace starts at the initial status and ends at a terminal one, as a client sees a whole job. Finding
the fewest is a minimum-cost circulation: every edge (or status) must carry at least one trace, a trace
costs far more than a step, so the fewest traces come first and the fewest polls second. It is solved by
cancelling negative cycles from a feasible circulation (one trace per required edge), then split into
traces along an Euler circuit. Lifecycles are small, so plain Bellman-Ford is plenty.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from jobfsm.errors import JobFSMError, OptionsError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.spec import Spec

Target = Literal["edges", "statuses"]
TARGETS: tuple[Target, ...] = ("edges", "statuses")
_END = "\0end"  # the node every terminal status drains into; a circulation runs it back to the initial status


@dataclass
class _Arc:
    tail: str
    head: str
    lower: int
    cost: int
    flow: int = 0
    status_arc: bool = False  # statuses mode: the arc standing for a visit to a status


def covering_walks(spec: Spec = LIFECYCLE, *, cover: Target = "edges") -> list[list[str]]:
    """The fewest complete legal walks (initial to terminal) covering every edge, or with
    ``cover="statuses"`` every status; among those, the fewest statuses in all. Deterministic."""
    if cover not in TARGETS:
        raise OptionsError(f"unknown cover {cover!r}; expected one of {', '.join(TARGETS)}")
    arcs = _network(spec, cover)
    _feasible(arcs, spec)
    _cancel_negative_cycles(arcs)
    return _walks(arcs, spec, cover)


def _network(spec: Spec, cover: Target) -> list[_Arc]:
    """Arcs with lower bounds: edges (or status visits) at least once; the end back to the start."""
    def node(name: str, side: str) -> str:
        return name if cover == "edges" else f"{name}\0{side}"

    arcs = [_Arc(node(e.source, "out"), node(e.dest, "in"), int(cover == "edges"), 1) for e in spec.edges]
    if cover == "statuses":
        arcs += [_Arc(node(n, "in"), node(n, "out"), 1, 0, status_arc=True) for n in spec.names]
    arcs += [_Arc(node(t, "out"), _END, 0, 0) for t in spec.terminals]
    big = 1 + len(spec.names) * max(len(spec.edges), 1) * 4  # one trace more always costs more than any detour
    arcs.append(_Arc(_END, node(spec.initial, "in"), 0, big))
    return arcs


def _route(arcs: list[_Arc], start: str, goal: str) -> list[int]:
    """The arcs of a shortest route (fewest arcs, ties by arc order) from ``start`` to ``goal``."""
    back: dict[str, int | None] = {start: None}
    frontier = [start]
    while frontier and goal not in back:
        nxt = []
        for here in frontier:
            for i, a in enumerate(arcs):
                if a.tail == here and a.head not in back:
                    back[a.head] = i
                    nxt.append(a.head)
        frontier = nxt
    if goal not in back:
        raise JobFSMError(f"no route from {start!r} to {goal!r}: the lifecycle cannot be covered")
    out: list[int] = []
    here = goal
    while (via := back[here]) is not None:
        out.append(via)
        here = arcs[via].tail
    return out[::-1]


def _feasible(arcs: list[_Arc], spec: Spec) -> None:
    """A circulation meeting every lower bound: one closed route through each required arc."""
    start = arcs[-1].head
    for i, arc in enumerate(arcs):
        if arc.lower and arc.flow < arc.lower:
            for j in (*_route(arcs, start, arc.tail), i, *_route(arcs, arc.head, start)):
                arcs[j].flow += 1


def _cancel_negative_cycles(arcs: list[_Arc]) -> None:
    """Push flow around negative-cost residual cycles until there are none: a minimum-cost circulation."""
    nodes = sorted({a.tail for a in arcs} | {a.head for a in arcs})
    while True:
        cycle = _negative_cycle(arcs, nodes)
        if cycle is None:
            return
        room = min(arcs[i].flow - arcs[i].lower for i, forward in cycle if not forward)
        for i, forward in cycle:
            arcs[i].flow += room if forward else -room


def _negative_cycle(arcs: list[_Arc], nodes: list[str]) -> list[tuple[int, bool]] | None:
    """Bellman-Ford on the residual network: a negative cycle as (arc, forward) pairs, or None."""
    residual = [(a.tail, a.head, a.cost, i, True) for i, a in enumerate(arcs)]
    residual += [(a.head, a.tail, -a.cost, i, False) for i, a in enumerate(arcs) if a.flow > a.lower]
    dist = dict.fromkeys(nodes, 0)
    pred: dict[str, tuple[str, int, bool]] = {}
    changed = None
    for _ in range(len(nodes)):
        changed = None
        for tail, head, cost, i, forward in residual:
            if dist[tail] + cost < dist[head]:
                dist[head] = dist[tail] + cost
                pred[head] = (tail, i, forward)
                changed = head
        if changed is None:
            return None
    here = changed
    assert here is not None
    for _ in range(len(nodes)):  # step back far enough to stand on the cycle itself
        here = pred[here][0]
    cycle: list[tuple[int, bool]] = []
    at = here
    while True:
        tail, i, forward = pred[at]
        cycle.append((i, forward))
        at = tail
        if at == here:
            return cycle[::-1]


def _walks(arcs: list[_Arc], spec: Spec, cover: Target) -> list[list[str]]:
    """Split the circulation into walks: an Euler circuit of its arcs, cut where it returns to the start."""
    start = arcs[-1].head
    left = {i: a.flow for i, a in enumerate(arcs)}
    stack: list[tuple[str, int | None]] = [(start, None)]
    circuit: list[int] = []
    while stack:
        here, via = stack[-1]
        nxt = next((i for i, a in enumerate(arcs) if a.tail == here and left[i]), None)
        if nxt is None:
            stack.pop()
            if via is not None:
                circuit.append(via)
        else:
            left[nxt] -= 1
            stack.append((arcs[nxt].head, nxt))
    if any(left.values()):
        raise JobFSMError(f"lifecycle {spec.name!r}: the covering circulation is not connected; no walks found")
    circuit.reverse()
    walks: list[list[str]] = []
    walk: list[str] = []
    for i in circuit:
        arc = arcs[i]
        if arc.head == _END:
            walks.append(walk)
            walk = []
        elif arc.tail == _END or arc.status_arc:
            continue
        else:
            if not walk:
                walk.append(arc.tail.split("\0")[0])
            walk.append(arc.head.split("\0")[0])
    for w in walks:  # a walk that is the initial status alone (statuses mode, no edge taken) still names it
        if not w:
            w.append(spec.initial)
    return walks


def resource_id(job: str) -> str:
    """A realistic OneDrive item id (``01`` and 32 base32 characters), derived from ``job``."""
    digest = hashlib.sha256(job.encode()).digest()
    return "01" + base64.b32encode(digest).decode()[:32]


def bodies(walk: Sequence[str], spec: Spec = LIFECYCLE, *, job: str = "job", repeat: int = 1,
           operation: str = "ItemCopy") -> list[dict[str, Any]]:
    """asyncJobStatus bodies for a walk, ``repeat`` polls per active status: ``percentageComplete`` 0 while
    queued, rising within each attempt and starting again after a retry, kept while waiting or cancelling,
    100 with a ``resourceId`` on success."""
    if not isinstance(repeat, int) or repeat < 1:
        raise OptionsError(f"repeat must be an integer of at least 1, found {repeat!r}")
    resets = {(e.source, e.dest) for e in spec.edges if e.resets_progress}
    terminal = set(spec.terminals)
    attempts: list[int] = []  # polls of the working status per attempt, to spread progress evenly
    prev = None
    for status in walk:
        if prev is None or (prev, status) in resets:
            attempts.append(0)
        if _working(spec, status):
            attempts[-1] += repeat
        prev = status
    out: list[dict[str, Any]] = []
    progress, attempt, done, prev = 0.0, -1, 0, None
    for status in walk:
        if prev is None or (prev, status) in resets:
            attempt, done, progress = attempt + 1, 0, 0.0
        for _ in range(1 if status in terminal else repeat):
            if _working(spec, status):
                done += 1
                progress = round(100.0 * done / (attempts[attempt] + 1), 1)
            body: dict[str, Any] = {"operation": operation, "percentageComplete": progress, "status": status}
            if spec.outcome(status) == "success":
                body["percentageComplete"] = 100.0
                body["resourceId"] = resource_id(job)
            out.append(body)
        prev = status
    return out


def _working(spec: Spec, status: str) -> bool:
    """A status in which work progresses: an active one with an edge to success (inProgress)."""
    return spec.status(status).kind == "active" and any(
        spec.outcome(e.dest) == "success" for e in spec.edges if e.source == status)


def covering_traces(spec: Spec = LIFECYCLE, *, cover: Target = "edges", repeat: int = 1, job_key: str = "job",
                    prefix: str = "path-") -> list[dict[str, Any]]:
    """The covering walks as one log of bodies, each carrying its job's name under ``job_key``."""
    out: list[dict[str, Any]] = []
    walks = covering_walks(spec, cover=cover)
    width = len(str(len(walks)))
    for n, walk in enumerate(walks, 1):
        job = f"{prefix}{n:0{width}d}"
        out += [{job_key: job, **body} for body in bodies(walk, spec, job=job, repeat=repeat)]
    return out
