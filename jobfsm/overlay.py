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
    """A job check that also follows the job's walk as it goes, whichever way the polls come in (typed JSON
    records, statuses, bodies, or an HTTP recording's answers): ``visits`` counts the polls that carried
    each known status, and each change is handed to ``record`` when it is made, numbered in order and
    observed (an edge), inferred (the hops of a sampled skip) or a violation labelled with its rule. Nothing
    is kept per poll, so a job of millions of polls costs what a short one does."""

    __slots__ = ("_depth", "_prev", "order", "steps", "visits")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.visits: dict[str, int] = {}
        self.steps: list[Step] = []
        self.order = 0
        self._prev: str | None = None
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

    def record(self, steps: list[Step]) -> None:
        """One change, as one step or a skip's hops (coverage counts them instead of keeping them)."""
        self.steps += steps

    def _note(self, raw: Any) -> None:
        carried = self._v.resolve(raw)[0] if isinstance(raw, str) else None
        if carried is not None:
            self.visits[carried] = self.visits.get(carried, 0) + 1
        prev, status = self._prev, self.last
        if status is None or status == prev:
            return
        self._prev = status
        if prev is None:
            return
        self.order += 1
        found, index = self.violations, self.polls - 1
        first = len(found)
        while first and found[first - 1].index == index:  # this poll's violations are the last ones
            first -= 1
        rule = next((v.rule for v in found[first:] if v.rule in (*_BROKEN, "skipped-states")), None)
        if rule in _BROKEN:
            self.record([Step(self.order, prev, status, "violation", rule)])
        elif rule == "skipped-states":
            path = (prev, *self._v.tables.paths[prev][status])
            self.record([Step(self.order, a, b, "inferred") for a, b in itertools.pairwise(path)])
        else:
            self.record([Step(self.order, prev, status, "observed")])


def overlay_of(check: WalkCheck, report: JobReport) -> Overlay:
    """The overlay of one checked job: polls per status carried, and its changes numbered in order."""
    terminal = check.validator.tables.terminal
    if report.final is None:
        note = f"no poll carried a known status ({report.polls} polls)"
    elif report.final in terminal:
        note = f"the trace ends at {report.final} after {report.polls} polls"
    else:
        note = f"the trace ends at {report.final} after {report.polls} polls: not terminal (unterminated)"
    return Overlay(dict(check.visits), tuple(check.steps), report.name, note)


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
    return overlay_of(checks[pick], reports[pick])


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
