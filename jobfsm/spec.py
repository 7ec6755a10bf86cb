"""A lifecycle as immutable data: statuses, edges, aliases, checked when built.

Everything else in jobfsm (the machine, the validator, the docs) derives from a ``Spec``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from jobfsm.errors import SpecError, UnknownStatusError

Kind = Literal["initial", "active", "terminal"]
Outcome = Literal["success", "failure", "cancel"]
KINDS: tuple[Kind, ...] = ("initial", "active", "terminal")
OUTCOMES: tuple[Outcome, ...] = ("success", "failure", "cancel")


@dataclass(frozen=True, slots=True)
class Status:
    """One status of the lifecycle; terminal statuses carry an outcome."""

    name: str
    kind: Kind
    meaning: str = ""
    outcome: Outcome | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """A legal change ``source -> dest``, named by its event, with the reason it exists."""

    source: str
    event: str
    dest: str
    reason: str = ""
    resets_progress: bool = False


@dataclass(frozen=True, slots=True)
class Alias:
    """A status from another vocabulary; ``target`` None means recognised but without a counterpart."""

    name: str
    target: str | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a raw status string means under a spec."""

    raw: str
    status: str | None
    alias: Alias | None = None
    case_fixed: bool = False

    @property
    def known(self) -> bool:
        """True when the string names a status or an alias of this spec."""
        return self.status is not None or self.alias is not None


@dataclass(frozen=True)
class Spec:
    """An immutable lifecycle; building one runs every check and reports all problems at once."""

    name: str
    statuses: tuple[Status, ...]
    edges: tuple[Edge, ...]
    aliases: tuple[Alias, ...] = ()
    notes: tuple[str, ...] = ()
    _by_name: dict[str, Status] = field(init=False, repr=False, compare=False)
    _succ: dict[str, tuple[Edge, ...]] = field(init=False, repr=False, compare=False)
    _folded: dict[str, str | Alias] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise SpecError(self.name, tuple(problems))
        by_name = {s.name: s for s in self.statuses}
        succ = {s.name: tuple(e for e in self.edges if e.source == s.name) for s in self.statuses}
        folded: dict[str, str | Alias] = {s.name.lower(): s.name for s in self.statuses}
        folded.update((a.name.lower(), a) for a in self.aliases)
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_succ", succ)
        object.__setattr__(self, "_folded", folded)
        object.__setattr__(self, "_hash", hash((self.name, self.statuses, self.edges, self.aliases, self.notes)))

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Spec({self.name!r}: {len(self.statuses)} statuses, {len(self.edges)} edges)"

    @property
    def names(self) -> tuple[str, ...]:
        """Status names in spec order."""
        return tuple(s.name for s in self.statuses)

    @property
    def initial(self) -> str:
        """The one initial status."""
        return next(s.name for s in self.statuses if s.kind == "initial")

    @property
    def terminals(self) -> tuple[str, ...]:
        """Terminal statuses in spec order."""
        return tuple(s.name for s in self.statuses if s.kind == "terminal")

    @property
    def events(self) -> tuple[str, ...]:
        """Event names in order of first use."""
        return tuple(dict.fromkeys(e.event for e in self.edges))

    def status(self, name: str) -> Status:
        """The status called ``name``; ``UnknownStatusError`` (a KeyError) names the known ones."""
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            pass
        hint = ""
        if isinstance(name, str):
            meant = self.resolve(name).status
            hint = f" (did you mean {meant!r}?)" if meant else ""
        raise UnknownStatusError(name, f"unknown status {name!r}{hint}; known: {', '.join(self.names)}") from None

    def is_terminal(self, name: str) -> bool:
        """True when ``name`` is a terminal status."""
        return self.status(name).kind == "terminal"

    def outcome(self, name: str) -> Outcome | None:
        """The outcome of a terminal status, None for the others."""
        return self.status(name).outcome

    def successors(self, name: str) -> tuple[str, ...]:
        """Statuses one edge away from ``name``, in edge order."""
        self.status(name)
        return tuple(e.dest for e in self._succ[name])

    def edge(self, source: str, dest: str) -> Edge | None:
        """The edge ``source -> dest``, or None."""
        self.status(dest)
        return next((e for e in self._succ[self.status(source).name] if e.dest == dest), None)

    def can_go(self, source: str, dest: str) -> bool:
        """True when ``source -> dest`` is one edge (strict mode's question)."""
        return self.edge(source, dest) is not None

    def reachable(self, source: str) -> tuple[str, ...]:
        """Statuses reachable from ``source`` by one or more edges, in spec order."""
        self.status(source)
        seen = set(self._paths_from(source))
        return tuple(n for n in self.names if n in seen)

    def can_reach(self, source: str, dest: str) -> bool:
        """True when ``dest`` is reachable from ``source`` (sampled mode's question)."""
        self.status(dest)
        return dest in self._paths_from(self.status(source).name)

    def shortest_path(self, source: str, dest: str) -> tuple[Edge, ...] | None:
        """The edges of a shortest path (ties broken by edge order), or None when unreachable."""
        self.status(dest)
        return self._paths_from(self.status(source).name).get(dest)

    def resolve(self, raw: str) -> Resolved:
        """Map a raw status string to a status: exact, alias, or case-folded."""
        if raw in self._by_name:
            return Resolved(raw, raw)
        hit = self._folded.get(raw.lower()) if raw.isascii() else None  # ASCII folds only: no Unicode look-alikes
        if hit is None:
            return Resolved(raw, None)
        if isinstance(hit, Alias):
            return Resolved(raw, hit.target, hit, case_fixed=raw != hit.name)
        return Resolved(raw, hit, case_fixed=True)

    def _paths_from(self, source: str) -> dict[str, tuple[Edge, ...]]:
        paths: dict[str, tuple[Edge, ...]] = {}
        queue: deque[tuple[str, tuple[Edge, ...]]] = deque([(source, ())])
        while queue:
            here, path = queue.popleft()
            for e in self._succ[here]:
                if e.dest not in paths:
                    paths[e.dest] = (*path, e)
                    queue.append((e.dest, paths[e.dest]))
        return paths


def _problems(spec: Spec) -> list[str]:
    """Every reason ``spec`` is not a usable lifecycle."""
    out: list[str] = []
    if not spec.statuses:
        return ["no statuses"]
    names = [s.name for s in spec.statuses]
    folded: dict[str, str] = {}
    for s in spec.statuses:
        if not isinstance(s.name, str) or not s.name.strip():
            out.append(f"status name {s.name!r} is not a non-empty string")
            continue
        key = s.name.lower()
        if key in folded:
            what = "duplicate" if folded[key] == s.name else f"same as {folded[key]!r} but for case:"
            out.append(f"{what} status {s.name!r}")
        folded.setdefault(key, s.name)
        if s.kind not in KINDS:
            out.append(f"status {s.name!r}: kind {s.kind!r} is not one of {', '.join(KINDS)}")
        if s.kind == "terminal" and s.outcome not in OUTCOMES:
            out.append(f"terminal status {s.name!r}: outcome {s.outcome!r} is not one of {', '.join(OUTCOMES)}")
        if s.kind != "terminal" and s.outcome is not None:
            out.append(f"status {s.name!r} is not terminal but has outcome {s.outcome!r}")
    initials = [s.name for s in spec.statuses if s.kind == "initial"]
    if len(initials) != 1:
        listed = f": {', '.join(initials)}" if initials else ""
        out.append(f"expected exactly one initial status, found {len(initials)}{listed}")
    known = set(names)
    kind = {s.name: s.kind for s in spec.statuses}
    seen_edges: dict[tuple[str, str], str] = {}
    for e in spec.edges:
        label = f"edge {e.source} -{e.event}-> {e.dest}"
        for end in (e.source, e.dest):
            if end not in known:
                out.append(f"{label}: unknown status {end!r}")
        if not e.event.isidentifier():
            out.append(f"{label}: event {e.event!r} is not an identifier")
        if e.source == e.dest:
            out.append(f"{label}: a repeated status is not a transition")
        if kind.get(e.source) == "terminal":
            out.append(f"{label}: terminal status {e.source!r} has an exit")
        if (e.source, e.event) in seen_edges:
            first = seen_edges[(e.source, e.event)]
            out.append(f"{label}: duplicate of {e.source} -{e.event}-> {first}" if first == e.dest
                       else f"{label}: event {e.event!r} from {e.source!r} already leads to {first!r}")
        seen_edges.setdefault((e.source, e.event), e.dest)
    for a in spec.aliases:
        if a.name.lower() in folded:
            out.append(f"alias {a.name!r} clashes with status {folded[a.name.lower()]!r}")
        if a.target is not None and a.target not in known:
            out.append(f"alias {a.name!r}: unknown target status {a.target!r}")
    if len(initials) == 1 and not out:
        out.extend(_graph_problems(spec, initials[0]))
    return out


def _graph_problems(spec: Spec, initial: str) -> list[str]:
    succ: dict[str, list[str]] = {s.name: [] for s in spec.statuses}
    pred: dict[str, list[str]] = {s.name: [] for s in spec.statuses}
    for e in spec.edges:
        succ[e.source].append(e.dest)
        pred[e.dest].append(e.source)
    reach = _closure([initial], succ)
    terminals = [s.name for s in spec.statuses if s.kind == "terminal"]
    finishing = _closure(terminals, pred)
    out = [f"status {n!r} is not reachable from {initial!r}" for n in spec.names if n not in reach]
    out += [f"status {n!r} cannot reach a terminal status" for n in spec.names if n not in finishing]
    if not terminals:
        out.append("no terminal status")
    return out


def _closure(start: list[str], links: dict[str, list[str]]) -> set[str]:
    seen = set(start)
    todo = list(start)
    while todo:
        for nxt in links[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
