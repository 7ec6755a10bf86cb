"""Validate observed polls against a spec: per job, incrementally, every violation collected.

``JobCheck`` eats one poll at a time (a status string or an asyncJobStatus body) and keeps only what
the rules need, so the same code serves in-memory lists, streamed logs and online use.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from jobfsm.errors import InputError, JobFSMError, OptionsError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.machine import Tables, tables
from jobfsm.report import JobReport, Report, Violation, plural, shorten
from jobfsm.rules import BY_ID, LEVELS, MODES, RANK, SEVERITIES, Mode
from jobfsm.spec import Spec

_COMPLETE_ERRORS = ("unterminated", "incomplete-start")
_CACHE_LIMIT = 4096
_MISSING: Any = object()


@dataclass(frozen=True)
class Options:
    """How to judge a trace: the mode, complete traces, the failing severity, per-rule severities."""

    mode: Mode = "sampled"
    complete: bool = False
    fail_on: str = "error"
    severity: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise OptionsError(f"unknown mode {self.mode!r}; expected one of {', '.join(MODES)}")
        if self.fail_on not in SEVERITIES:
            raise OptionsError(f"unknown failing severity {self.fail_on!r}; expected one of {', '.join(SEVERITIES)}")
        if not isinstance(self.severity, Mapping):
            raise OptionsError(f"severity must map rule ids to levels, e.g. {{'unterminated': 'off'}}; found "
                               f"{type(self.severity).__name__}")
        for rule, level in self.severity.items():
            if rule not in BY_ID:
                raise OptionsError(f"unknown rule {rule!r}; expected one of {', '.join(BY_ID)}")
            if level not in LEVELS:
                raise OptionsError(f"unknown severity {level!r} for {rule}; expected one of {', '.join(LEVELS)}")
        object.__setattr__(self, "severity", MappingProxyType(dict(self.severity)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Options, (self.mode, self.complete, self.fail_on, dict(self.severity)))

    def level(self, rule: str) -> str:
        """The severity ``rule`` is reported at under these options ('off' drops it)."""
        if rule in self.severity:
            return self.severity[rule]
        if self.complete and rule in _COMPLETE_ERRORS:
            return "error"
        return BY_ID[rule].severity


@dataclass(frozen=True, slots=True)
class _Step:
    rule: str


_LEFT, _ILLEGAL, _SKIPPED = _Step("left-terminal"), _Step("illegal-transition"), _Step("skipped-states")


class Validator:
    """Shared, read-only context for checking many jobs: tables, options, a status cache."""

    def __init__(self, options: Options | None = None, spec: Spec = LIFECYCLE) -> None:
        if options is not None and not isinstance(options, Options):
            raise OptionsError(f"options must be an Options, found {type(options).__name__}; "
                               f"e.g. Validator(Options(mode='strict'))")
        self.options = options or Options()
        self.spec = spec
        self.tables: Tables = tables(spec)
        self.levels = {rule: self.options.level(rule) for rule in BY_ID}
        self.fail_rank = RANK[self.options.fail_on]
        self.exact = {name: name for name in spec.names}
        self.steps, self.resets = _steps(self.tables, self.options.mode)
        self.complete = self.options.complete
        # statuses a body poll may move to with no check beyond the fast path's own
        quick: dict[str | None, frozenset[str]] = {
            a: frozenset(b for b, step in row.items() if step is None and (a, b) not in self.resets)
            for a, row in self.steps.items()}
        quick[None] = frozenset(n for n in spec.names if not self.complete or n == spec.initial)
        self.quick = quick
        # the same moves with their progress resets, for the log streamer's light job states
        moves: dict[str | None, dict[str, bool]] = {
            a: {b: (a, b) in self.resets for b, step in row.items() if step is None} for a, row in self.steps.items()}
        moves[None] = dict.fromkeys(quick[None], False)
        self.moves = moves
        self.terminals_text = ", ".join(spec.terminals)
        self._resolved: dict[str, tuple[str | None, tuple[tuple[str, str], ...]]] = {}

    def job(self, source: str | None = None, job: str | int | None = None,
            locate: Callable[[int], str] | None = None) -> JobCheck:
        """A fresh incremental check for one job."""
        return JobCheck(self, source, job, locate)

    def validate(self, trace: Iterable[Any], *, source: str | None = None) -> Report:
        """Validate one job's polls (status strings or body mappings) held in memory."""
        if isinstance(trace, str | bytes | Mapping):
            raise InputError("trace", f"expected a sequence of polls (statuses or bodies), found a single "
                                      f"{_kind(trace)}; wrap one poll in a list")
        check = self.job(source)
        check.feed_many(trace)
        return Report((check.finish(),), self.options.mode, self.options.fail_on)

    def resolve(self, raw: str) -> tuple[str | None, tuple[tuple[str, str], ...]]:
        """The canonical status of ``raw`` (None when unknown) and the notes (rule, message) it earns."""
        hit = self._resolved.get(raw)
        if hit is not None:
            return hit
        r = self.spec.resolve(raw)
        notes: list[tuple[str, str]] = []
        if r.case_fixed:
            right = r.alias.name if r.alias else r.status
            notes.append(("status-case", f"status {raw!r} is {right!r} in the wrong case"))
        if r.alias is not None:
            meaning = f"mapped to {r.alias.target}" if r.alias.target else "recognised, the machine does not move"
            notes.append(("status-alias", f"status {r.alias.name!r} is from another vocabulary "
                                          f"({r.alias.note}): {meaning}"))
        elif r.status is None:
            notes.append(("unknown-status", f"unknown status {shorten(raw)}; expected one of "
                                            f"{', '.join(self.spec.names)}"))
        out = (r.status, tuple(notes))
        if len(self._resolved) < _CACHE_LIMIT and len(raw) <= 256:  # bounded: keep no huge strings alive
            self._resolved[raw] = out
        return out


def validate(trace: Iterable[Any], *, mode: Mode = "sampled", complete: bool = False,
             fail_on: str = "error", severity: Mapping[str, str] | None = None,
             spec: Spec = LIFECYCLE) -> Report:
    """Validate one job's polls: status strings or asyncJobStatus bodies, in order."""
    options = Options(mode, complete, fail_on, severity or {})
    return Validator(options, spec).validate(trace)


class JobCheck:
    """Incremental validation of one job; ``feed`` each poll, then ``finish`` for the report."""

    __slots__ = (
        "_done_checked",
        "_last_pos",
        "_locate",
        "_operation",
        "_progress",
        "_referenced",
        "_report",
        "_resource",
        "_v",
        "job",
        "last",
        "polls",
        "source",
        "violations",
    )

    def __init__(self, validator: Validator, source: str | None, job: str | int | None,
                 locate: Callable[[int], str] | None) -> None:
        self._v = validator
        self.source = source
        self.job = job
        self._locate = locate or _index_location
        self.polls = 0
        self.last: str | None = None
        self._last_pos = 0
        self._progress: float | None = None
        self._resource: str | None = None
        self._operation: str | None = None
        self._referenced = False
        self._done_checked = False
        self._report: JobReport | None = None
        self.violations: list[Violation] = []

    def restore(self, last: str | None, progress: float | None, resource: str | None, operation: str | None,
                referenced: bool, done_checked: bool, polls: int, last_pos: int) -> JobCheck:
        """Take over a job checked so far by a lighter loop that found nothing to report (the streamer)."""
        self.last, self._progress, self._resource, self._operation = last, progress, resource, operation
        self._referenced, self._done_checked, self.polls, self._last_pos = referenced, done_checked, polls, last_pos
        return self

    def feed(self, item: Any, pos: int | None = None) -> None:
        """One poll: a status string or an asyncJobStatus body; ``pos`` locates it (default: its index)."""
        if self._report is not None:
            self._finished()
        if isinstance(item, str):
            self.observe(item, pos=pos)
        elif isinstance(item, Mapping):
            self.feed_body(item, pos)
        else:
            where = self._locate(self.polls if pos is None else pos)
            raise InputError(where, f"expected a status string or an asyncJobStatus object, found {_kind(item)}")

    def feed_many(self, items: Iterable[Any]) -> None:
        """Feed polls in order, located by their indexes; repeats and legal direct changes take a short cut."""
        if self._report is not None:
            self._finished()
        exact, steps, resets = self._v.exact, self._v.steps, self._v.resets
        last, polls = self.last, self.polls
        for item in items:
            if item.__class__ is str and last is not None:
                if item == last:
                    polls += 1
                    continue
                canon = exact.get(item)
                if canon is not None and steps[last][canon] is None:
                    if (last, canon) in resets:
                        self._progress = None
                    last = canon
                    polls += 1
                    continue
            self.polls, self.last = polls, last
            self.feed(item)
            last, polls = self.last, self.polls
        self.polls, self.last = polls, last
        if polls:
            self._last_pos = polls - 1

    def poll(self, status: str, progress: float | None, resource_id: str | None, resource_location: str | None,
             operation: str | None, pos: int) -> None:
        """A body whose fields are already type- and range-checked (the JSON fast path); same verdicts as
        ``feed_body``, with a short cut for repeats and legal direct changes that need no other check."""
        last = self.last
        if (self._report is None and (status == last or status in self._v.quick[last])
                and (operation is None or operation == self._operation or self._operation is None)
                and (progress is None or self._progress is None or progress >= self._progress)):
            referenced = self._referenced
            if resource_id is not None or resource_location is not None:
                if (resource_id == "" or resource_location == ""
                        or (resource_id is not None and self._resource is not None and resource_id != self._resource)):
                    self.observe(status, progress, resource_id, resource_location, operation, pos=pos, body=True)
                    return
                referenced = True
            if not self._done_checked and status in self._v.tables.success:
                if not referenced:
                    self.observe(status, progress, resource_id, resource_location, operation, pos=pos, body=True)
                    return
                self._done_checked = True
            self.last = status
            if progress is not None:
                self._progress = progress
            if resource_id is not None:
                self._resource = resource_id
            self._referenced = referenced
            if operation is not None:
                self._operation = operation
            self._last_pos = pos
            self.polls += 1
            return
        self.observe(status, progress, resource_id, resource_location, operation, pos=pos, body=True)

    def feed_body(self, body: Mapping[str, Any], pos: int | None = None) -> None:
        """One asyncJobStatus body: type-check the known fields, then observe it."""
        if self._report is not None:
            self._finished()
        at = self.polls if pos is None else pos
        status = body.get("status", _MISSING)
        if status is _MISSING:
            if error_code(body) == "operationNotFound":
                if self.last not in self._v.tables.terminal:
                    self._emit("monitor-lost", self.polls, at, None,
                               "the monitor answered operationNotFound before any terminal status: the outcome "
                               "is unknown")
            else:
                self._emit("missing-status", self.polls, at, None,
                           f"body has no 'status' field; expected one of {', '.join(self._v.spec.names)}")
            status = None
        elif not isinstance(status, str):
            self._bad_field("status", "a string", status, at)
            status = None
        progress = body.get("percentageComplete")
        if progress is not None:
            if isinstance(progress, bool) or not isinstance(progress, int | float):
                self._bad_field("percentageComplete", "a number", progress, at)
                progress = None
            elif not 0 <= progress <= 100:
                self._emit("progress-out-of-range", self.polls, at, None,
                           f"percentageComplete {_num(progress)} is outside 0..100")
                progress = None
        texts = [body.get(name) for name in ("resourceId", "resourceLocation", "operation", "statusDescription")]
        for i, name in enumerate(("resourceId", "resourceLocation", "operation", "statusDescription")):
            if texts[i] is not None and not isinstance(texts[i], str):
                self._bad_field(name, "a string", texts[i], at)
                texts[i] = None
        self.observe(status, progress, texts[0], texts[1], texts[2], pos=pos, body=True)

    def observe(self, status: str | None, progress: float | None = None, resource_id: str | None = None,
                resource_location: str | None = None, operation: str | None = None, *,
                pos: int | None = None, body: bool = False) -> None:
        """One poll with fields already type-checked; ``status`` None when the poll carried none."""
        if self._report is not None:
            self._finished()
        v = self._v
        index = self.polls
        self.polls = index + 1
        at = index if pos is None else pos
        self._last_pos = at
        last = self.last
        canon = None
        if status is not None:
            canon = v.exact.get(status)
            if canon is None:
                canon, notes = v.resolve(status)
                for rule, message in notes:
                    if rule == "unknown-status":
                        message += f" (the machine stays at {last})" if last else " (no known status yet)"
                    self._emit(rule, index, at, canon or status, message)
        if canon is not None and canon != last:
            if last is None:
                if v.complete and canon != v.spec.initial:
                    self._emit("incomplete-start", index, at, canon,
                               f"trace starts at {canon}, not at the initial status {v.spec.initial}")
            else:
                step = v.steps[last][canon]
                if step is not None:
                    self._step(step, last, canon, index, at)
                if (last, canon) in v.resets:
                    self._progress = None
        if progress is not None:
            prev = self._progress
            if prev is not None and progress < prev:
                self._emit("progress-regressed", index, at, canon,
                           f"percentageComplete dropped from {_num(prev)} to {_num(progress)} within one "
                           f"attempt (only a retry starts a new one)")
            self._progress = progress
        if resource_id is not None or resource_location is not None:
            self._check_resource(resource_id, resource_location, index, at, canon)
        if operation is not None:
            if self._operation is not None and operation != self._operation:
                self._emit("operation-changed", index, at, canon,
                           f"operation changed from {shorten(self._operation)} to {shorten(operation)}")
            self._operation = operation
        if body and canon in v.tables.success and not self._done_checked:
            self._done_checked = True
            if not self._referenced:
                self._emit("completed-without-resource", index, at, canon,
                           f"{canon} without a resource reference: expected resourceId or resourceLocation")
        if canon is not None:
            self.last = canon

    @property
    def validator(self) -> Validator:
        """The shared context this job is checked in."""
        return self._v

    @property
    def ended(self) -> bool:
        """True when the last known status is terminal."""
        return self.last in self._v.tables.terminal

    def flag(self, rule: str, message: str, pos: int | None = None, to: str | None = None) -> None:
        """Report ``rule`` at the poll about to be fed: for checks made outside the body (HTTP codes)."""
        if self._report is not None:
            self._finished()
        self._emit(rule, self.polls, self.polls if pos is None else pos, to, message)

    def finish(self) -> JobReport:
        """Close the job (unterminated or status-less jobs are reported here); later calls return the same."""
        if self._report is not None:
            return self._report
        v = self._v
        if self.last is None:  # with no poll at all, neither an index nor a poll's location: the trace's name
            self._emit("no-status-observed", self.polls - 1 if self.polls else None,
                       self._last_pos if self.polls else None, None,
                       f"no poll carried a known status ({plural(self.polls, 'poll')})")
        elif self.last not in v.tables.terminal:
            self._emit("unterminated", self.polls - 1, self._last_pos, None,
                       f"trace ends at {self.last}, which is not terminal; expected one of "
                       f"{v.terminals_text}")
        ok = not self.violations or all(RANK[x.severity] < v.fail_rank for x in self.violations)
        self._report = JobReport(self.source, self.job, ok, self.last, self.polls, tuple(self.violations))
        return self._report

    def _finished(self) -> None:
        where = self.source or "<trace>"
        raise JobFSMError(f"{where if self.job is None else f'job {self.job!r} of {where}'} is finished: it takes no "
                          "more polls")

    def _step(self, step: _Step, last: str, canon: str, index: int, at: int) -> None:
        t = self._v.tables
        if step.rule == "skipped-states":
            self._emit(step.rule, index, at, canon,
                       f"{last} -> {canon} passed unseen through {', '.join(t.paths[last][canon][:-1])} "
                       f"({t.path_text(last, canon)})", last)
            return
        self._progress = None
        if step.rule == "left-terminal":
            message = f"{canon} after terminal status {last}; a terminal status may only repeat"
        elif self._v.options.mode == "strict":
            message = (f"illegal transition {last} -> {canon} (strict mode); from {last} the legal next "
                       f"statuses are {', '.join(n for n in t.spec.names if n in t.successors[last])}")
        else:
            message = (f"illegal transition {last} -> {canon}; after {last} only "
                       f"{', '.join(n for n in t.spec.names if n in t.paths[last])} may be observed")
        self._emit(step.rule, index, at, canon, message, last)

    def _check_resource(self, rid: str | None, rloc: str | None, index: int, at: int, canon: str | None) -> None:
        for name, value in (("resourceId", rid), ("resourceLocation", rloc)):
            if value == "":
                self._emit("empty-resource-id", index, at, canon, f"{name} is present but empty")
            elif value is not None:
                self._referenced = True
        if rid:
            if self._resource is not None and rid != self._resource:
                self._emit("resource-changed", index, at, canon,
                           f"resourceId changed from {shorten(self._resource)} to {shorten(rid)}")
            self._resource = rid

    def _bad_field(self, name: str, expected: str, value: Any, at: int) -> None:
        if value is None:
            found = "null"
        else:  # true and false as JSON spells them, like the kinds
            found = f"{_kind(value)} {str(value).lower() if isinstance(value, bool) else shorten(value)}"
        self._emit("invalid-field", self.polls, at, None, f"field {name!r} must be {expected}, found {found}")

    def _emit(self, rule: str, index: int | None, at: int | None, to: str | None, message: str,
              frm: str | None = _MISSING) -> None:
        level = self._v.levels[rule]
        if level == "off":
            return
        where = (self.source or "<trace>") if at is None else self._locate(at)
        self.violations.append(Violation(rule, level, index, where, self.last if frm is _MISSING else frm, to, message))


def _steps(t: Tables, mode: Mode) -> tuple[dict[str, dict[str, _Step | None]], frozenset[tuple[str, str]]]:
    """For every ordered pair of different statuses: legal (None) or the rule a change breaks (one shared
    ``_Step`` per rule, so the table grows with the pairs only); and the legal changes that reset progress."""
    steps: dict[str, dict[str, _Step | None]] = {}
    resets: set[tuple[str, str]] = set()
    names = t.spec.names
    for a in names:
        paths = t.paths[a]
        if a in t.terminal:
            steps[a] = dict.fromkeys((b for b in names if b != a), _LEFT)
            continue
        row: dict[str, _Step | None] = {}
        for b in names:
            if b == a:
                continue
            if b not in paths:
                row[b] = _ILLEGAL
            elif paths.before(b) == a:
                row[b] = None
            else:
                row[b] = _ILLEGAL if mode == "strict" else _SKIPPED
        steps[a] = row
        resets.update((a, b) for b in paths.taking(t.resets) if b != a and row[b] is not _ILLEGAL)
    return steps, frozenset(resets)


def error_code(body: Any) -> Any:
    """The error code a body carries (``error.code`` or ``errorCode``), or None."""
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    return error.get("code") if isinstance(error, Mapping) else body.get("errorCode")


def _index_location(pos: int) -> str:
    return f"[{pos}]"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)


def _num(x: float) -> str:
    try:
        short = f"{x:g}"
        return short if math.isfinite(x) and float(short) == x else repr(x)
    except (OverflowError, ValueError):
        return shorten(x)
