"""The least-cost circulation behind the covering traces (``jobfsm.paths``): arcs with lower bounds and
costs on numbered nodes, every lower bound met at least cost, then joined into one piece so that an Euler
circuit of it takes every arc that carries flow.

The lower bounds leave some nodes with more flow in than out; the least-cost way to balance them is found
by successive shortest paths (Dijkstra on reduced costs, stopped at the nearest node short of flow; about
as many runs as there are nodes), so a dense lifecycle of thousands of edges takes well under a second.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from jobfsm.errors import JobFSMError


@dataclass
class Arc:
    """An arc that must carry at least ``lower`` units of flow, each at ``cost``."""

    tail: int
    head: int
    lower: int
    cost: int
    flow: int = 0
    status_arc: bool = False  # statuses mode: the arc standing for a visit to a status


@dataclass
class Network:
    """The arcs, each node's arcs out and in (in arc order), and each node's status (None: the end node)."""

    arcs: list[Arc]
    labels: list[str | None]
    out: list[list[int]]
    into: list[list[int]]

    @property
    def start(self) -> int:
        """Where the circulation is cut into traces: the head of the last arc (the end back to the start)."""
        return self.arcs[-1].head


def circulate(net: Network, name: str) -> list[int]:
    """A least-cost circulation meeting every lower bound: each arc at its bound, then the excess the bounds
    leave at some nodes sent to the nodes they leave short, along shortest residual paths. Returns the node
    potentials, which prove it least: no residual arc has a negative reduced cost."""
    arcs = net.arcs
    excess = [0] * len(net.labels)
    for a in arcs:
        a.flow = a.lower
        excess[a.head] += a.lower
        excess[a.tail] -= a.lower
    potential = [0] * len(net.labels)  # keeps reduced costs non-negative, so Dijkstra stays exact
    ahead = [[(i, True, arcs[i].head, arcs[i].cost) for i in exits] for exits in net.out]  # residual steps
    above: list[dict[int, None]] = [{} for _ in net.labels]  # per node, the arcs into it above their lower bound
    while any(excess):
        sources = [v for v, x in enumerate(excess) if x > 0]
        dist, back, sink = _dijkstra(net, ahead, above, sources, potential, excess)
        if sink is None:
            raise JobFSMError(f"lifecycle {name!r}: no route balances the covering traces; it cannot be covered")
        path, here = [], sink
        while (step := back[here]) is not None:
            path.append(step)
            here = arcs[step[0]].tail if step[1] else arcs[step[0]].head
        room = min(excess[here], -excess[sink], *(arcs[i].flow - arcs[i].lower for i, forward in path if not forward))
        for i, forward in path:
            a = arcs[i]
            a.flow += room if forward else -room
            if a.flow > a.lower:
                above[a.head][i] = None
            else:
                above[a.head].pop(i, None)
        excess[here] -= room
        excess[sink] += room
        for v in range(len(potential)):  # nodes not settled count as at the sink's distance: still exact
            potential[v] += dist.get(v, dist[sink])
    return potential


def _dijkstra(net: Network, ahead: list[list[tuple[int, bool, int, int]]], above: list[dict[int, None]],
              sources: list[int], potential: list[int], excess: list[int]
              ) -> tuple[dict[int, int], dict[int, tuple[int, bool] | None], int | None]:
    """Reduced distances over the residual network (every arc forward, those ``above`` their lower bound
    backward) from the nearest of ``sources`` until the nearest node short of flow (the sink, None when
    none is reached), with the last (arc, forward) step to each node."""
    arcs = net.arcs
    dist: dict[int, int] = {}
    back: dict[int, tuple[int, bool] | None] = dict.fromkeys(sources)
    best = dict.fromkeys(sources, 0)
    heap = [(0, v) for v in sources]
    while heap:
        d, here = heapq.heappop(heap)
        if here in dist:
            continue
        dist[here] = d
        if excess[here] < 0:
            return dist, back, here
        base = d + potential[here]
        for i, forward, there, cost in (*ahead[here], *((i, False, arcs[i].tail, -arcs[i].cost) for i in above[here])):
            if there in dist:
                continue
            reach = base + cost - potential[there]
            if reach < best.get(there, reach + 1):
                best[there] = reach
                back[there] = (i, forward)
                heapq.heappush(heap, (reach, there))
    return dist, back, None


def connect(net: Network, potential: list[int]) -> None:
    """Join to the traces every loop of the circulation that none of them reaches (statuses mode: nothing
    else may make a trace pass there). First at no cost, along a cycle of zero reduced cost, which keeps the
    circulation least; else where it costs least: one unit of a used arc ``p -> q`` rerouted as
    ``p -> loop -> q``, or a detour ``u -> loop -> u``."""
    arcs = net.arcs
    free = True
    while True:
        reached = _reached(net)
        stray = next((a.tail for a in arcs if a.flow and a.tail not in reached), None)
        if stray is None:
            return
        loop = sorted(_reached(net, stray))
        if free and any(_merge_free(net, potential, reached, v) for v in loop):
            continue
        free = False  # a merge that costs leaves the potentials behind
        options = []
        for v in loop:
            to_v, from_v = _routes(net, v, forward=False), _routes(net, v, forward=True)
            for i, a in enumerate(arcs):
                if a.tail in reached and a.flow > a.lower and a.tail in to_v and a.head in from_v:
                    options.append((to_v[a.tail][0] + from_v[a.head][0] - a.cost, v, a.tail, a.head, i))
            for u in sorted(reached & to_v.keys() & from_v.keys()):
                options.append((to_v[u][0] + from_v[u][0], v, u, u, -1))
        _, v, p, q, i = min(options)
        for j in (*_route(net, p, v), *_route(net, v, q)):
            arcs[j].flow += 1
        if i >= 0:
            arcs[i].flow -= 1


def _merge_free(net: Network, potential: list[int], reached: set[int], v: int) -> bool:
    """Push one unit around a residual cycle of zero reduced cost through ``v`` and a reached node, if that
    leaves fewer nodes apart from the traces; False when there is no such cycle."""
    arcs = net.arcs
    strays = _strays(net)

    def steps(here: int, ahead: bool) -> list[tuple[int, int, int]]:
        """Zero-cost residual steps leaving ``here`` (``ahead``) or entering it: (arc, change, other end)."""
        found = []
        for i in net.out[here] if ahead else net.into[here]:  # more flow on the arc
            a = arcs[i]
            if a.cost + potential[a.tail] == potential[a.head]:
                found.append((i, 1, a.head if ahead else a.tail))
        for i in net.into[here] if ahead else net.out[here]:  # less flow on the arc
            a = arcs[i]
            if a.flow > a.lower and a.cost + potential[a.tail] == potential[a.head]:
                found.append((i, -1, a.tail if ahead else a.head))
        return found

    def search(ahead: bool) -> dict[int, tuple[int, int, int] | None]:
        back: dict[int, tuple[int, int, int] | None] = {v: None}
        todo = [v]
        for here in todo:
            for i, change, there in steps(here, ahead):
                if there not in back:
                    back[there] = (i, change, here)
                    todo.append(there)
        return back

    out_of, into = search(True), search(False)
    u = min(reached & out_of.keys() & into.keys(), default=None)
    if u is None:
        return False
    changes: dict[int, int] = {}
    for back in (out_of, into):
        here = u
        while (step := back[here]) is not None:
            changes[step[0]] = changes.get(step[0], 0) + step[1]
            here = step[2]
    if any(arcs[i].flow + d < arcs[i].lower for i, d in changes.items()):
        return False
    for i, d in changes.items():
        arcs[i].flow += d
    if _strays(net) < strays:
        return True
    for i, d in changes.items():  # it cut off as much as it joined: undo
        arcs[i].flow -= d
    return False


def _strays(net: Network) -> int:
    """How many nodes carry flow but are not joined to the initial status."""
    reached = _reached(net)
    return len({a.tail for a in net.arcs if a.flow} - reached)


def _reached(net: Network, start: int | None = None) -> set[int]:
    """The nodes joined to ``start`` (default: the initial status) by arcs that carry flow."""
    seen = {net.start if start is None else start}
    todo = list(seen)
    while todo:
        here = todo.pop()
        for i in (*net.out[here], *net.into[here]):
            a = net.arcs[i]
            if a.flow:
                for there in (a.tail, a.head):
                    if there not in seen:
                        seen.add(there)
                        todo.append(there)
    return seen


def _routes(net: Network, goal: int, *, forward: bool) -> dict[int, tuple[int, int | None]]:
    """Shortest routes from ``goal`` (``forward``) or to it, over every arc: for each node, the cost and the
    route's arc at that node (the one into it, or out of it towards ``goal``)."""
    found: dict[int, tuple[int, int | None]] = {}
    heap: list[tuple[int, int, int | None]] = [(0, goal, None)]
    while heap:
        d, here, via = heapq.heappop(heap)
        if here in found:
            continue
        found[here] = (d, via)
        for i in (net.out if forward else net.into)[here]:
            a = net.arcs[i]
            there = a.head if forward else a.tail
            if there not in found:
                heapq.heappush(heap, (d + a.cost, there, i))
    return found


def _route(net: Network, start: int, goal: int) -> list[int]:
    """The arcs of a shortest route from ``start`` to ``goal``."""
    found = _routes(net, goal, forward=False)
    out: list[int] = []
    here = start
    while (via := found[here][1]) is not None:
        out.append(via)
        here = net.arcs[via].head
    return out
