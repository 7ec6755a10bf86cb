"""What changes between two lifecycles: statuses, edges and aliases added, removed or changed, and the
pairs of statuses whose legality changes in strict and in sampled mode. For reviewing a lifecycle change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobfsm.rules import MODES
from jobfsm.spec import Edge, Spec

SCHEMA = "jobfsm.specdiff/1"


@dataclass(frozen=True)
class Change:
    """One field of an entry both specs have, changed: ``what`` names the entry (a status, an edge)."""

    what: str
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class PairChange:
    """A pair of statuses that both specs have, legal to observe one after the other in one of them only."""

    mode: str
    source: str
    dest: str
    legal_before: bool

    @property
    def legal_after(self) -> bool:
        """The legality under the new spec (the opposite of before)."""
        return not self.legal_before


@dataclass(frozen=True)
class SpecDiff:
    """The differences from ``old`` to ``new``, each list in the order of the spec it comes from."""

    old: Spec
    new: Spec
    added_statuses: tuple[str, ...]
    removed_statuses: tuple[str, ...]
    changed: tuple[Change, ...]
    added_edges: tuple[Edge, ...]
    removed_edges: tuple[Edge, ...]
    added_aliases: tuple[str, ...]
    removed_aliases: tuple[str, ...]
    added_notes: tuple[str, ...]
    removed_notes: tuple[str, ...]
    pairs: tuple[PairChange, ...]

    @property
    def identical(self) -> bool:
        """True when nothing differs."""
        return not any((self.added_statuses, self.removed_statuses, self.changed, self.added_edges,
                        self.removed_edges, self.added_aliases, self.removed_aliases, self.added_notes,
                        self.removed_notes, self.pairs))

    def text(self, old_label: str = "old", new_label: str = "new") -> str:
        """The differences for people: ``+`` added, ``-`` removed, ``~`` changed, legality by mode."""
        out = [f"--- {old_label} ({_show(self.old.name)})", f"+++ {new_label} ({_show(self.new.name)})"]
        if self.identical:
            return "\n".join([*out, "no differences"])
        statuses = [f"  + {_status(self.new, n)}" for n in self.added_statuses]
        statuses += [f"  - {_status(self.old, n)}" for n in self.removed_statuses]
        edges = [f"  + {_edge(e)}" for e in self.added_edges] + [f"  - {_edge(e)}" for e in self.removed_edges]
        aliases = [f"  + {_alias(self.new, n)}" for n in self.added_aliases]
        aliases += [f"  - {_alias(self.old, n)}" for n in self.removed_aliases]
        changed = [f"  ~ {c.what}: {c.field} {_value(c.old, c.field)} -> {_value(c.new, c.field)}"
                   for c in self.changed]
        notes = [f"  + {_show(n)}" for n in self.added_notes] + [f"  - {_show(n)}" for n in self.removed_notes]
        for title, lines in (("statuses", statuses), ("edges", edges), ("aliases", aliases),
                             ("changed", changed), ("notes", notes)):
            if lines:
                out += [f"{title}:", *lines]
        for mode, meaning in (("strict", "each change one edge"), ("sampled", "the next status reachable")):
            pairs = [p for p in self.pairs if p.mode == mode]
            if pairs:
                out.append(f"legality in {mode} mode ({meaning}), of statuses both specs have:")
                out += [f"  {_show(p.source)} -> {_show(p.dest)}: "
                        f"{'legal -> illegal' if p.legal_before else 'illegal -> legal'}" for p in pairs]
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """The differences as JSON-ready data (schema ``jobfsm.specdiff/1``)."""
        return {
            "schema": SCHEMA,
            "old": self.old.name,
            "new": self.new.name,
            "identical": self.identical,
            "statuses": {"added": list(self.added_statuses), "removed": list(self.removed_statuses)},
            "edges": {"added": [_edge_dict(e) for e in self.added_edges],
                      "removed": [_edge_dict(e) for e in self.removed_edges]},
            "aliases": {"added": list(self.added_aliases), "removed": list(self.removed_aliases)},
            "notes": {"added": list(self.added_notes), "removed": list(self.removed_notes)},
            "changed": [{"what": c.what, "field": c.field, "old": c.old, "new": c.new} for c in self.changed],
            "legality": {mode: [{"from": p.source, "to": p.dest, "old": _legal(p.legal_before),
                                 "new": _legal(p.legal_after)} for p in self.pairs if p.mode == mode]
                         for mode in MODES},
        }


def diff(old: Spec, new: Spec) -> SpecDiff:
    """Compare two lifecycles. Edges are the same edge when source, event and destination match."""
    old_names, new_names = set(old.names), set(new.names)
    changed: list[Change] = []
    if old.name != new.name:
        changed.append(Change("lifecycle", "name", old.name, new.name))
    for s in new.statuses:
        if s.name in old_names:
            before = old.status(s.name)
            changed += [Change(f"status {_show(s.name)}", f, getattr(before, f), getattr(s, f))
                        for f in ("kind", "outcome", "meaning") if getattr(before, f) != getattr(s, f)]
    old_edges = {(e.source, e.event, e.dest): e for e in old.edges}
    new_edges = {(e.source, e.event, e.dest): e for e in new.edges}
    for key, e in new_edges.items():
        if key in old_edges:
            before_edge = old_edges[key]
            changed += [Change(f"edge {_edge(e)}", f, getattr(before_edge, f), getattr(e, f))
                        for f in ("reason", "resets_progress") if getattr(before_edge, f) != getattr(e, f)]
    old_aliases = {a.name: a for a in old.aliases}
    new_aliases = {a.name: a for a in new.aliases}
    for name, a in new_aliases.items():
        if name in old_aliases:
            changed += [Change(f"alias {_show(name)}", f, getattr(old_aliases[name], f), getattr(a, f))
                        for f in ("target", "note") if getattr(old_aliases[name], f) != getattr(a, f)]
    both = [n for n in old.names if n in new_names]
    pairs = []
    for mode in MODES:
        was, now = _legal_next(old, both, mode), _legal_next(new, both, mode)
        pairs += [PairChange(mode, a, b, b in was[a]) for a in both for b in both
                  if a != b and (b in was[a]) != (b in now[a])]
    return SpecDiff(
        old, new,
        added_statuses=tuple(n for n in new.names if n not in old_names),
        removed_statuses=tuple(n for n in old.names if n not in new_names),
        changed=tuple(changed),
        added_edges=tuple(e for k, e in new_edges.items() if k not in old_edges),
        removed_edges=tuple(e for k, e in old_edges.items() if k not in new_edges),
        added_aliases=tuple(n for n in new_aliases if n not in old_aliases),
        removed_aliases=tuple(n for n in old_aliases if n not in new_aliases),
        added_notes=tuple(n for n in new.notes if n not in old.notes),
        removed_notes=tuple(n for n in old.notes if n not in new.notes),
        pairs=tuple(pairs),
    )


def _legal_next(spec: Spec, names: list[str], mode: str) -> dict[str, set[str]]:
    """For each status, the statuses that may be observed next in ``mode``: one search per status."""
    step = spec.successors if mode == "strict" else spec.reachable
    return {n: set(step(n)) for n in names}


def _show(text: str) -> str:
    """A name as it is when it reads plainly on one line, else quoted with escapes."""
    return text if text.isprintable() and text.strip() == text and text else repr(text)


def _value(value: object, field: str) -> str:
    """A changed field's value: text quoted, flags as spec files spell them, an alias without counterpart and a
    status without outcome said so in words (as the alias listing does), not as Python's None."""
    if value is None:
        return "(no counterpart)" if field == "target" else "(none)"
    return repr(value) if isinstance(value, str) else str(value).lower()


def _legal(legal: bool) -> str:
    return "legal" if legal else "illegal"


def _status(spec: Spec, name: str) -> str:
    s = spec.status(name)
    return f"{_show(name)} ({s.kind}{f', {s.outcome}' if s.outcome else ''})"


def _edge(e: Edge) -> str:
    return f"{_show(e.source)} -{_show(e.event)}-> {_show(e.dest)}"


def _alias(spec: Spec, name: str) -> str:
    target = next(a.target for a in spec.aliases if a.name == name)
    return f"{_show(name)} -> {_show(target) if target is not None else '(no counterpart)'}"


def _edge_dict(e: Edge) -> dict[str, Any]:
    return {"from": e.source, "event": e.event, "to": e.dest, "reason": e.reason,
            "resets_progress": e.resets_progress}
