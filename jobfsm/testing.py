"""Checks for other test suites: ``assert_valid_trace`` and a recorder of polls, with messages that show
the trace poll by poll and mark the bad one. No pytest here: the plugin wires these into pytest."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from jobfsm.errors import InputError, JobFSMError, TraceViolationError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.report import JobReport, Report, plural
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
    if isinstance(trace, str | bytes | Mapping) or not isinstance(trace, Iterable):
        raise InputError("trace", f"expected a sequence of polls (statuses or bodies), found "
                                  f"{type(trace).__name__}; wrap one poll in a list")
    polls = list(trace)
    validator = Validator(Options(mode, complete, fail_on, severity or {}), spec)  # type: ignore[arg-type]
    report = validator.validate(polls, source=name)
    _count(report.jobs)
    if not report.ok:
        raise TraceViolationError(report, failure_message(polls, report.jobs[0], report.fail_on, report.mode))
    return report


class TraceRecorder:
    """Collects polls as a test (or the client under test) sees them, per job, and checks them at the end.

    A recorder that saw nothing is checked as one empty trace (``no-status-observed``); once checked it
    takes no more polls, so none can be dropped unseen.
    """

    def __init__(self, options: Options | None = None, spec: Spec = LIFECYCLE) -> None:
        self.validator = Validator(options or Options(), spec)
        self.polls: dict[str | int | None, list[Any]] = {}
        self.checked = False

    def observe(self, poll: Any, job: str | int | None = None) -> None:
        """Record one poll (a status string or a body) of ``job``; anything else is refused here."""
        __tracebackhide__ = True
        if self.checked:
            raise JobFSMError("this trace was already checked; polls observed after the test body are not "
                              "validated, observe them in the test")
        if not isinstance(poll, str | Mapping):
            where = f"poll {len(self.polls.get(job, []))}"
            raise InputError(where if job is None else f"{where} of job {job!r}",
                             f"expected a status string or an asyncJobStatus object, found {type(poll).__name__}")
        # a copy: clients that update one dict in place must not rewrite the polls already seen
        self.polls.setdefault(job, []).append(dict(poll) if isinstance(poll, Mapping) else poll)

    def reports(self) -> list[JobReport]:
        """Validate every recorded job (an empty trace when nothing was recorded)."""
        out = []
        for job, polls in (self.polls or {None: []}).items():
            check = self.validator.job(None, job)
            check.feed_many(polls)
            out.append(check.finish())
        return out

    def failures(self) -> TraceViolationError | None:
        """The error listing every failing job, or None when all pass; counts the traces checked."""
        self.checked = True
        reports = self.reports()
        _count(reports)
        options = self.validator.options
        text = "\n\n".join(failure_message(self.polls.get(r.job, []), r, options.fail_on, options.mode)
                           for r in reports if not r.ok)
        return TraceViolationError(Report(tuple(reports), options.mode, options.fail_on), text) if text else None

    def check(self) -> None:
        """Validate every job; raise ``TraceViolationError`` listing each failing one, poll by poll."""
        __tracebackhide__ = True
        error = self.failures()
        if error is not None:
            raise error


def failure_message(polls: list[Any], job: JobReport, fail_on: str, mode: str, context: int = 3,
                    most: int = 20) -> str:
    """The trace poll by poll; ``>`` marks polls with a violation at the failing severity, written under
    them with the rule and what would have been legal. Long traces show only the polls near a mark."""
    who = "the trace" if job.job is None else f"job {job.job!r}"
    failing = [v for v in job.violations if RANK[v.severity] >= RANK[fail_on]]
    lines = [f"{who} breaks the lifecycle ({mode} mode, failing at {fail_on}): "
             f"{plural(len(failing), 'violation')} in {plural(len(polls), 'poll')}"]
    by_poll: dict[int | None, list[Any]] = {}
    for v in failing:
        if v.index is None or len(by_poll) < most or v.index in by_poll:
            by_poll.setdefault(v.index, []).append(v)
    hidden = len(failing) - sum(len(found) for found in by_poll.values())
    if hidden:  # keep messages readable on traces that fail everywhere
        polls = polls[:max(i for i in by_poll if i is not None) + context + 1]
    near = {i for mark in by_poll if mark is not None for i in range(mark - context, mark + context + 1)}
    width = len(str(max(len(polls) - 1, 0)))
    skipped = False
    for i, poll in enumerate(polls):
        if len(polls) > 20 and i not in near and i >= context:
            if not skipped:
                lines.append(f"  {' ' * (width + 7)}...")
            skipped = True
            continue
        skipped = False
        found = by_poll.get(i, [])
        lines.append(f"  {'>' if found else ' '} poll {i:>{width}}  {_show(poll)}")
        lines += [f"  {' ' * (width + 8)}{v.severity} {v.rule}: {v.message}" for v in found]
    lines += [f"  {v.severity} {v.rule}: {v.message}" for v in by_poll.get(None, [])]
    if hidden:
        lines.append(f"  ... and {hidden} more violations after these")
    others = len(job.violations) - len(failing)
    if others:
        lines.append(f"  ({others} more below {fail_on}; jobfsm validate shows them all)")
    return "\n".join(lines)


def _show(poll: Any, limit: int = 70) -> str:
    """One poll on one line: a plain status as it is, anything else as JSON, or its repr when it is not JSON."""
    try:
        if isinstance(poll, str) and poll.isprintable():
            text = poll
        elif isinstance(poll, str):
            text = repr(poll)
        else:
            text = json.dumps(poll, default=repr, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        try:
            text = repr(poll)
        except (ValueError, RecursionError):
            text = f"<a {type(poll).__name__} too large to show>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _count(reports: Iterable[JobReport]) -> None:
    for r in reports:
        STATS["checked"] += 1
        STATS["failed"] += not r.ok
