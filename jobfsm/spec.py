"""A lifecycle as immutable data: statuses, edges, aliases, checked when built.

Everything else in jobfsm (the machine, the validator, the docs) derives from a ``Spec``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from jobfsm.errors import SpecError, UnknownStatusError
from jobfsm.lint import KINDS, OUTCOMES, Kind, Outcome, problems

__all__ = ["KINDS", "OUTCOMES", "Alias", "Edge", "Kind", "Outcome", "Resolved", "Spec", "Status"]


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
        found = problems(self.statuses, self.edges, self.aliases)
        if found:
            raise SpecError(self.name, tuple(p.message for p in found))
        by_name = {s.name: s for s in self.statuses}
        exits: dict[str, list[Edge]] = {s.name: [] for s in self.statuses}
        for e in self.edges:
            exits[e.source].append(e)
        succ = {name: tuple(found) for name, found in exits.items()}
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
