"""Checks for other test suites: ``assert_valid_trace`` and a recorder of polls, with messages that show
the trace poll by poll and mark the bad one. No pytest here: the plugin wires these into pytest."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from jobfsm.errors import TraceViolationError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.report import JobReport, Report
from jobfsm.rules import RANK
from jobfsm.spec import Spec
from jobfsm.validation import Options, Validator

STATS = {"checked": 0, "failed": 0}
"""Traces checked and failed in this process: the pytest plugin's summary line reads them."""


def assert_valid_trace(trace: Iterable[Any], *, mode: str = "sampled", complete: bool = False,
                       fail_on: str = "error", severity: Mapping[str, str] | None = None,
                       spec: Spec = LIFECYCLE, name: str = "trace") -> Report:
    """Validate ``trace`` (statuses or bodies); raise ``TraceViolationError`` (an AssertionError) whose
    message lists the trace poll by poll and marks the offending poll. Returns the report when valid."""
    __tracebackhide__ = True  # pytest: show the caller, not this helper
    polls = list(trace)
    validator = Validator(Options(mode, complete, fail_on, severity or {}), spec)  # type: ignore[arg-type]
    report = validator.validate(polls, source=name)
    _count(report.jobs)
    if not report.ok:
        raise TraceViolationError(report, failure_message(polls, report.jobs[0], report.fail_on, report.mode))
    return report


class TraceRecorder:
    """Collects polls as a test (or the client under test) sees them, per job, and checks them at the end."""

    def __init__(self, options: Options | None = None, spec: Spec = LIFECYCLE) -> None:
        self.validator = Validator(options or Options(), spec)
        self.polls: dict[str | int | None, list[Any]] = {}

    def observe(self, poll: Any, job: str | int | None = None) -> None:
        """Record one poll (a status string or a body) of ``job``."""
        self.polls.setdefault(job, []).append(poll)

    def reports(self) -> list[JobReport]:
        """Validate every recorded job."""
        out = []
        for job, polls in self.polls.items():
            check = self.validator.job(None, job)
            check.feed_many(polls)
            out.append(check.finish())
        return out

    def check(self) -> list[JobReport]:
        """Validate every job; raise ``TraceViolationError`` listing each failing one, poll by poll."""
        __tracebackhide__ = True
        reports = self.reports()
        _count(reports)
        bad = [r for r in reports if not r.ok]
        if bad:
            options = self.validator.options
            text = "\n\n".join(failure_message(self.polls[r.job], r, options.fail_on, options.mode) for r in bad)
            raise TraceViolationError(Report(tuple(reports), options.mode, options.fail_on), text)
        return reports


def failure_message(polls: list[Any], job: JobReport, fail_on: str, mode: str) -> str:
    """The trace poll by poll; ``>`` marks polls with a violation at the failing severity, each violation
    is written under its poll with its rule and what would have been legal."""
    who = "the trace" if job.job is None else f"job {job.job!r}"
    failing = sum(RANK[v.severity] >= RANK[fail_on] for v in job.violations)
    lines = [f"{who} breaks the lifecycle ({mode} mode, failing at {fail_on}): {failing} "
             f"violation{'' if failing == 1 else 's'} in {len(polls)} poll{'' if len(polls) == 1 else 's'}"]
    by_poll: dict[int | None, list[Any]] = {}
    for v in job.violations:
        by_poll.setdefault(v.index, []).append(v)
    width = len(str(max(len(polls) - 1, 0)))
    for i, poll in enumerate(polls):
        found = by_poll.get(i, [])
        mark = ">" if any(RANK[v.severity] >= RANK[fail_on] for v in found) else " "
        lines.append(f"  {mark} poll {i:>{width}}  {_show(poll)}")
        lines += [f"  {' ' * (width + 8)}{v.severity} {v.rule}: {v.message}" for v in found]
    lines += [f"  {v.severity} {v.rule}: {v.message}" for v in by_poll.get(None, [])]
    return "\n".join(lines)


def _show(poll: Any, limit: int = 70) -> str:
    text = poll if isinstance(poll, str) else json.dumps(poll, default=repr, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _count(reports: Iterable[JobReport]) -> None:
    for r in reports:
        STATS["checked"] += 1
        STATS["failed"] += not r.ok
