"""Turn a recorded trace into an ``Overlay``: where the job was at each poll, and each change it made."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from jobfsm.errors import InputError
from jobfsm.inputs import Format, validate_path
from jobfsm.render import Overlay, Step
from jobfsm.report import JobReport
from jobfsm.validation import JobCheck, Validator

_BROKEN = ("illegal-transition", "left-terminal")


class WalkCheck(JobCheck):
    """A job check that also notes, for every poll, the machine's status after it and the known status the
    poll itself carried (None for an unknown or missing one), whichever way the poll came in: typed JSON
    records, statuses, bodies, or an HTTP recording's answers."""

    __slots__ = ("_depth", "carried", "walk")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.walk: list[str | None] = []
        self.carried: list[str | None] = []
        self._depth = 0

    def observe(self, status: str | None, *args: Any, **kwargs: Any) -> None:
        self._depth += 1
        try:
            super().observe(status, *args, **kwargs)
        finally:
            self._depth -= 1
        if not self._depth:
            self._note(status)

    def poll(self, status: str, *args: Any) -> None:
        self._depth += 1  # the typed fast path falls back on observe: note the poll once
        try:
            super().poll(status, *args)
        finally:
            self._depth -= 1
        self._note(status)

    def feed_many(self, items: Iterable[Any]) -> None:
        for item in items:  # one by one: the short cut of the base class would skip the notes
            self.feed(item)

    def _note(self, raw: Any) -> None:
        self.walk.append(self.last)
        self.carried.append(self._v.resolve(raw)[0] if isinstance(raw, str) else None)


def overlay_from_walk(walk: list[str | None], carried: list[str | None], report: JobReport, validator: Validator,
                      name: str) -> Overlay:
    """The overlay of one job: polls per status carried, and its changes numbered in order, each observed
    (an edge), inferred (the hops of a sampled skip) or a violation labelled with its rule."""
    visits: dict[str, int] = {}
    for status in carried:
        if status is not None:
            visits[status] = visits.get(status, 0) + 1
    by_index: dict[int, str] = {}
    for v in report.violations:
        if v.index is not None and v.rule in (*_BROKEN, "skipped-states"):
            by_index.setdefault(v.index, v.rule)
    steps: list[Step] = []
    order = 0
    prev: str | None = None
    for index, status in enumerate(walk):
        if status is None or status == prev:
            continue
        if prev is not None:
            order += 1
            rule = by_index.get(index)
            if rule in _BROKEN:
                steps.append(Step(order, prev, status, "violation", rule))
            elif rule == "skipped-states":
                path = (prev, *validator.tables.paths[prev][status])
                steps += [Step(order, a, b, "inferred") for a, b in itertools.pairwise(path)]
            else:
                steps.append(Step(order, prev, status, "observed"))
        prev = status
    if report.final is None:
        note = f"no poll carried a known status ({report.polls} polls)"
    elif report.final in validator.tables.terminal:
        note = f"the trace ends at {report.final} after {report.polls} polls"
    else:
        note = f"the trace ends at {report.final} after {report.polls} polls: not terminal (unterminated)"
    return Overlay(visits, tuple(steps), name, note)


def overlay_from_file(path: str, validator: Validator, *, fmt: Format | None = None, job_key: str | None = None,
                      job: str | None = None) -> Overlay:
    """Read a trace file and build the overlay of its job (``job`` picks one in a log of several)."""
    checks: list[WalkCheck] = []

    class _Kept(WalkCheck):
        __slots__ = ()

        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            checks.append(self)

    reports, problems = validate_path(path, validator, fmt=fmt, job_key=job_key, check_type=_Kept)
    if problems:
        raise InputError(problems[0].location, problems[0].message)
    if job is not None:
        # a string key wins over a number key with the same digits; a number key is picked by its digits
        wanted = [i for i, r in enumerate(reports) if r.job == job] or [
            i for i, r in enumerate(reports) if isinstance(r.job, int) and str(r.job) == job]
        if not wanted:
            raise InputError(path, f"no job {repr(job)[:60]}; the jobs are {_keys(reports)}")
        pick = wanted[0]
    elif len(reports) == 1:
        pick = 0
    else:
        raise InputError(path, f"holds {len(reports)} jobs ({_keys(reports)}); pick one with --job")
    return overlay_from_walk(checks[pick].walk, checks[pick].carried, reports[pick], validator, reports[pick].name)


def _keys(reports: list[JobReport], most: int = 5) -> str:
    shown = [_key(r.job) for r in reports[:most]]
    return ", ".join(shown) + (f", ... ({len(reports)} in all)" if len(reports) > most else "")


def _key(key: str | int | None) -> str:
    """A job key on one safe line: strings plainly when they are, numbers marked, none said so."""
    if key is None:
        return "(no job key)"
    if isinstance(key, int):
        return f"{key} (a number)"
    plain = key.isprintable() and len(key) <= 60 and key.strip() == key and key
    return key if plain else repr(key)[:60]
