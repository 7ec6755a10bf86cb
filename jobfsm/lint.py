"""The checks a lifecycle must pass, each problem tied to the entry (and field) it is about.

``Spec`` runs them when built; ``jobfsm spec --check`` runs them on a file and turns each entry into
a line of that file. All problems are found in one pass: one mistake never hides another.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

from jobfsm.report import shorten

if TYPE_CHECKING:
    from jobfsm.spec import Alias, Edge, Status

Kind = Literal["initial", "active", "terminal"]
Outcome = Literal["success", "failure", "cancel"]
KINDS: tuple[Kind, ...] = ("initial", "active", "terminal")
OUTCOMES: tuple[Outcome, ...] = ("success", "failure", "cancel")


class Where(NamedTuple):
    """An entry of a spec: its table (statuses, edges, aliases), its index, and the field, if one."""

    table: str
    item: int
    key: str | None = None


class Problem(NamedTuple):
    """One reason a spec is not a usable lifecycle; ``where`` is None for the spec as a whole."""

    message: str
    where: Where | None = None


def problems(statuses: Sequence[Status], edges: Sequence[Edge], aliases: Sequence[Alias],
             indexes: dict[str, list[int]] | None = None) -> list[Problem]:
    """Every problem of these statuses, edges and aliases. ``indexes`` maps each table's entries to
    their positions in a file that held more (entries dropped for broken fields)."""
    out: list[Problem] = []

    def at(table: str, i: int, key: str | None = None) -> Where:
        return Where(table, indexes[table][i] if indexes else i, key)

    if not statuses:
        return [Problem("no statuses")]
    folded: dict[str, str] = {}
    for i, s in enumerate(statuses):
        if not isinstance(s.name, str) or not s.name.strip():
            out.append(Problem(_not_text("status name", s.name), at("statuses", i, "name")))
            continue
        key = s.name.lower()
        if key in folded:
            out.append(Problem(_repeated("status", s.name, folded[key]), at("statuses", i, "name")))
        folded.setdefault(key, s.name)
        if s.kind is None:
            out.append(Problem(f"status {shorten(s.name)} has no kind; expected one of {', '.join(KINDS)}",
                               at("statuses", i, "kind")))
        elif s.kind not in KINDS:
            out.append(Problem(f"status {shorten(s.name)}: kind {spelt(s.kind)} is not one of {', '.join(KINDS)}",
                               at("statuses", i, "kind")))
        if s.kind == "terminal" and s.outcome is None:
            out.append(Problem(f"terminal status {shorten(s.name)} has no outcome; expected one of "
                               f"{', '.join(OUTCOMES)}",
                               at("statuses", i, "outcome")))
        elif s.kind == "terminal" and s.outcome not in OUTCOMES:
            out.append(Problem(f"terminal status {shorten(s.name)}: outcome {spelt(s.outcome)} is not one of "
                               f"{', '.join(OUTCOMES)}", at("statuses", i, "outcome")))
        if s.kind != "terminal" and s.outcome is not None:
            out.append(Problem(f"status {shorten(s.name)} is not terminal but has outcome {spelt(s.outcome)}",
                               at("statuses", i, "outcome")))
    initials = [(i, s.name) for i, s in enumerate(statuses) if s.kind == "initial"]
    if not initials:
        out.append(Problem("expected exactly one initial status, found 0"))
    elif len(initials) > 1:
        out.append(Problem(f"expected exactly one initial status, found {len(initials)}: "
                           f"{_some([_n(n) for _, n in initials], ', ')}", at("statuses", initials[1][0], "kind")))
    known = {s.name for s in statuses}
    kind = {s.name: s.kind for s in statuses}
    by_event: dict[tuple[str, str], str] = {}
    by_pair: dict[tuple[str, str], str] = {}
    usable: list[Edge] = []
    for i, e in enumerate(edges):
        label = f"edge {_n(e.source)} -{_n(e.event)}-> {_n(e.dest)}"
        broken = False
        for end, key in ((e.source, "from"), (e.dest, "to")):
            if end not in known:
                why = f"{key!r} is missing" if end is None else f"unknown status {shorten(end)}"
                out.append(Problem(f"{label}: {why}", at("edges", i, key)))
                broken = True
        if not isinstance(e.event, str) or not e.event.strip():
            out.append(Problem(f"{label}: {_not_text('event', e.event)}", at("edges", i, "event")))
        if e.source == e.dest:
            out.append(Problem(f"{label}: a repeated status is not a transition", at("edges", i, "to")))
            broken = True
        if kind.get(e.source) == "terminal":
            out.append(Problem(f"{label}: terminal status {shorten(e.source)} has an exit", at("edges", i, "from")))
        first = by_event.get((e.source, e.event))
        if first is not None:
            out.append(Problem(f"{label}: duplicate of {label[5:]}" if first == e.dest
                               else f"{label}: event {shorten(e.event)} from {shorten(e.source)} already leads to "
                                    f"{shorten(first)}",
                               at("edges", i, "event")))
        elif (e.source, e.dest) in by_pair:
            other = f"{_n(e.source)} -{_n(by_pair[(e.source, e.dest)])}-> {_n(e.dest)}"
            out.append(Problem(f"{label}: {other} already joins these statuses (polls cannot tell two events "
                               "apart)", at("edges", i, "event")))
        by_event.setdefault((e.source, e.event), e.dest)
        by_pair.setdefault((e.source, e.dest), e.event)
        if not broken:
            usable.append(e)
    seen_alias: dict[str, str] = {}
    for i, a in enumerate(aliases):
        if not isinstance(a.name, str) or not a.name.strip():
            out.append(Problem(_not_text("alias name", a.name), at("aliases", i, "name")))
            continue
        key = a.name.lower()
        if key in folded:
            out.append(Problem(f"alias {shorten(a.name)} clashes with status {shorten(folded[key])}",
                               at("aliases", i, "name")))
        elif key in seen_alias:
            out.append(Problem(_repeated("alias", a.name, seen_alias[key]), at("aliases", i, "name")))
        seen_alias.setdefault(key, a.name)
        if a.target is not None and a.target not in known:
            out.append(Problem(f"alias {shorten(a.name)}: unknown target status {shorten(a.target)}",
                               at("aliases", i, "target")))
    exits = {e.source for e in edges}
    out += _graph_problems(statuses, usable, exits, [n for _, n in initials], at)
    return out


def _graph_problems(statuses: Sequence[Status], edges: list[Edge], exits: set[str], initials: list[str],
                    at: Callable[[str, int, str | None], Where]) -> list[Problem]:
    """Unreachable, trap and never-ending statuses, over the edges whose ends are known. A status left only
    by broken edges (already reported) is no trap: it cannot reach a terminal status, as written."""
    succ: dict[str, list[str]] = {s.name: [] for s in statuses}
    pred: dict[str, list[str]] = {s.name: [] for s in statuses}
    for e in edges:
        succ[e.source].append(e.dest)
        pred[e.dest].append(e.source)
    terminals = [s.name for s in statuses if s.kind == "terminal"]
    out: list[Problem] = []
    if not terminals:
        out.append(Problem("no terminal status"))
    elif all(s.outcome in OUTCOMES for s in statuses if s.kind == "terminal") and not any(
            s.outcome == "success" for s in statuses if s.kind == "terminal"):
        out.append(Problem("no terminal status with outcome 'success': a job could never succeed"))
    reach = _closure(initials, succ)
    finishing = _closure(terminals, pred)
    done: set[str] = set()
    for i, s in enumerate(statuses):
        if not isinstance(s.name, str) or s.name in done:
            continue
        done.add(s.name)
        if initials and s.name not in reach:
            sources = _some(list(map(shorten, initials)), " or ")
            out.append(Problem(f"status {shorten(s.name)} is not reachable from {sources}", at("statuses", i, "name")))
        if s.kind == "terminal" or not terminals:
            continue
        if s.name not in exits:
            out.append(Problem(f"status {shorten(s.name)} is a trap: it is not terminal and no edge leaves it",
                               at("statuses", i, "name")))
        elif s.name not in finishing:
            out.append(Problem(f"status {shorten(s.name)} cannot reach a terminal status", at("statuses", i, "name")))
    return out


def _n(text: str) -> str:
    """A name in a message: as it is when it reads plainly on one short line, else quoted with escapes (and cut
    to about 60 characters, as every value quoted in a message is)."""
    if text is None:
        return "(missing)"
    plain = isinstance(text, str) and text.isprintable() and text.strip() == text and 0 < len(text) <= 60
    return text if plain else shorten(text)


def _some(names: list[str], sep: str, most: int = 5) -> str:
    """The first few names, and how many more there are."""
    return sep.join(names[:most]) + (f"{sep}... ({len(names) - most} more)" if len(names) > most else "")


def _repeated(what: str, name: str, first: str) -> str:
    """A status or alias named again: the same name, or one that differs from the first only in case."""
    again = "duplicate" if first == name else f"same as {shorten(first)} but for case:"
    return f"{again} {what} {shorten(name)}"


def _not_text(what: str, value: object) -> str:
    """Why a name or event is no use: missing, or not a non-empty string."""
    return f"{what} is missing" if value is None else f"{what} {shorten(value)} is not a non-empty string"


def _closure(start: list[str], links: dict[str, list[str]]) -> set[str]:
    seen = set(start)
    todo = list(start)
    while todo:
        for nxt in links.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def spelt(value: object) -> str:
    """A value as spec files spell it: JSON's and TOML's null, true and false, TOML's dates and times named
    as such, the rest as ``shorten`` quotes it (strings quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime.date | datetime.time):
        kind = "datetime" if isinstance(value, datetime.datetime) else "date" if isinstance(value, datetime.date) \
            else "time"
        return f"a TOML {kind} ({value.isoformat()})"
    return shorten(value)
