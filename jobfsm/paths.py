"""Minimal covering traces: the fewest complete legal traces that together take every edge (or visit
every status), as status walks or as realistic asyncJobStatus bodies.

Each trace starts at the initial status and ends at a terminal one, as a client sees a whole job. Finding
the fewest is a minimum-cost circulation: every edge (or status) must carry at least one trace, a trace
costs far more than a step, so the fewest traces come first and the fewest polls second
(``jobfsm.circulation`` finds it). It is split into traces along an Euler circuit. Nodes are numbers, never
names, so that any status name (one holding a NUL included) comes back as it was.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any, Literal

from jobfsm.circulation import Arc, Network, circulate, connect
from jobfsm.errors import JobFSMError, OptionsError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.spec import Spec

Target = Literal["edges", "statuses"]
TARGETS: tuple[Target, ...] = ("edges", "statuses")


def covering_walks(spec: Spec = LIFECYCLE, *, cover: Target = "edges") -> list[list[str]]:
    """The fewest complete legal walks (initial to terminal) covering every edge, or with
    ``cover="statuses"`` every status; among those, the fewest statuses in all. Deterministic.

    With ``cover="statuses"`` a least-cost circulation may visit some statuses on a loop that no trace
    passes (nothing else makes a trace go there); such a loop is spliced into the traces where that costs
    least, which may then not be the very fewest (covering statuses with fewest polls is NP-hard)."""
    if cover not in TARGETS:
        raise OptionsError(f"unknown cover {cover!r}; expected one of {', '.join(TARGETS)}")
    net = _network(spec, cover)
    connect(net, circulate(net, spec.name))
    return _walks(net, spec)


def _network(spec: Spec, cover: Target) -> Network:
    """Arcs with lower bounds: edges (or status visits) at least once; the end back to the start."""
    index = {name: i for i, name in enumerate(spec.names)}
    sides = 1 if cover == "edges" else 2

    def node(name: str, side: int) -> int:  # side 0 the way in, 1 the way out (the same node for edges)
        return index[name] * sides + side * (sides - 1)

    arcs = [Arc(node(e.source, 1), node(e.dest, 0), int(cover == "edges"), 1) for e in spec.edges]
    if cover == "statuses":
        arcs += [Arc(node(n, 0), node(n, 1), 1, 0, status_arc=True) for n in spec.names]
    end = len(index) * sides
    arcs += [Arc(node(t, 1), end, 0, 0) for t in spec.terminals]
    big = 1 + len(spec.names) * max(len(spec.edges), 1) * 4  # one trace more always costs more than any detour
    arcs.append(Arc(end, node(spec.initial, 0), 0, big))
    labels: list[str | None] = [name for name in spec.names for _ in range(sides)]
    labels.append(None)
    out: list[list[int]] = [[] for _ in labels]
    into: list[list[int]] = [[] for _ in labels]
    for i, a in enumerate(arcs):
        out[a.tail].append(i)
        into[a.head].append(i)
    return Network(arcs, labels, out, into)


def _walks(net: Network, spec: Spec) -> list[list[str]]:
    """Split the circulation into walks: an Euler circuit of its arcs, cut where it returns to the start."""
    arcs = net.arcs
    left = [a.flow for a in arcs]
    at = [0] * len(net.labels)  # each node's first arc out that may have flow left
    stack: list[tuple[int, int | None]] = [(net.start, None)]
    circuit: list[int] = []
    while stack:
        here, via = stack[-1]
        exits = net.out[here]
        while at[here] < len(exits) and not left[exits[at[here]]]:
            at[here] += 1
        if at[here] == len(exits):
            stack.pop()
            if via is not None:
                circuit.append(via)
        else:
            nxt = exits[at[here]]
            left[nxt] -= 1
            stack.append((arcs[nxt].head, nxt))
    if any(left):
        raise JobFSMError(f"lifecycle {spec.name!r}: the covering circulation is not connected; no walks found")
    circuit.reverse()
    walks: list[list[str]] = []
    walk: list[str] = []
    for i in circuit:
        arc = arcs[i]
        tail, head = net.labels[arc.tail], net.labels[arc.head]
        if head is None:
            walks.append(walk)
            walk = []
        elif tail is None or arc.status_arc:
            continue
        else:
            if not walk:
                walk.append(tail)
            walk.append(head)
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
