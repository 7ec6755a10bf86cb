"""Stream the polls of a log of interleaved jobs: open jobs in memory, never the log, reports in order.

A job is open until its status turns terminal; it then waits among the ended jobs for ``window``
further job ends, so that a repeated or late poll still reaches it, and only then is it finished and
its report released. Reports leave in the order the jobs first appeared: a job still open holds back
the reports of the jobs that appeared after it (with ``clean``, only those that have violations; a job
without any costs a byte until the jobs before it are finished).

Most polls of a healthy job change nothing reportable, so a job starts as a light state of the few
facts the rules need (a list of slots, or the accelerator's ``State``); the first poll that needs more
hands the job to a ``JobCheck``, which then keeps it. The light loop accepts exactly what
``JobCheck.poll``'s short cut accepts, plus progress resets.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from typing import Any

from jobfsm.readers import Block, LineDecoder
from jobfsm.report import InputProblem, JobReport
from jobfsm.validation import JobCheck, Validator

try:
    from jobfsm import _speedups
except ImportError:  # built without a compiler: the Python loops below do the same work
    _speedups = None  # type: ignore[assignment]

ACCELERATED = _speedups is not None and not os.environ.get("JOBFSM_PURE")
"""Whether the light loop and the eviction run in C (the optional ``jobfsm._speedups``, which reads and
writes this class's attributes by name); ``JOBFSM_PURE=1`` in the environment keeps them in Python."""

WINDOW = 16_384
"""Ended jobs kept for late polls; a job polled again after this many other jobs ended counts as new."""

# the slots of a light job state
_LAST, _PROGRESS, _RESOURCE, _OPERATION, _REFERENCED, _DONE, _POLLS, _POS, _SEQ, _CHECK, _KEY = range(11)
_SERIALS = itertools.count(1)  # each stream's own number, by which the accelerator tells their job states apart
_State = Any  # a job's light state: a list of those slots, or the accelerator's State that reads like one
_HANDED_OVER: Any = object()  # _LAST of a job its JobCheck keeps: equal to no status, so no move is light


class LogStream:
    """Validate the polls of many interleaved jobs as they come; ``emit`` gets each job's report.

    With ``clean``, the reports without any violation are only counted, and ``clean(source, jobs, polls)``
    gets their numbers at the end: for a report that shows failing jobs only, most of a large log's
    reports are nothing but numbers.
    """

    def __init__(self, validator: Validator, source: str, locate: Callable[[int], str],
                 emit: Callable[[JobReport], None], *, check_type: type[JobCheck] = JobCheck,
                 window: int = WINDOW, job_key: str = "job", accelerated: bool = ACCELERATED,
                 clean: Callable[[str, int, int], None] | None = None) -> None:
        self._v, self._source, self._locate, self._emit = validator, source, locate, emit
        self._clean = clean
        self.clean_jobs = self.clean_polls = 0
        if accelerated and _speedups is None:
            raise RuntimeError("jobfsm._speedups is not built")
        self._c = accelerated
        self._serial = next(_SERIALS)
        self._job_key = job_key
        self._decoder = LineDecoder(job_key)
        self._new = check_type
        self._light = check_type is JobCheck  # a subclass watches every poll: give it every poll
        self._window = window
        exact = validator.exact  # the moves name the spec's own strings: the C loop knows them by identity
        self._moves: dict[Any, dict[str, bool]] = {
            **{k: {exact[n]: r for n, r in v.items()} for k, v in validator.moves.items()}, _HANDED_OVER: {}}
        self._success, self._terminal, self._exact = validator.tables.success, validator.tables.terminal, exact
        self.open: dict[Any, _State] = {}
        self.ended: dict[Any, _State] = {}
        # reports leave in first-appearance order: _next is the first job not yet finished, _done[_done_at + i]
        # is 1 when job _next + i is, and _held keeps the reports that wait for an earlier job
        self._held: dict[int, JobReport] = {}
        self._next = self._seq = 0
        self._done = bytearray()
        self._done_at = 0
        self.problems: list[InputProblem] = []
        self.keyed = False
        self.unkeyed_polls = 0

    def lines(self, data: bytes, start: int) -> None:
        """Whole lines of JSON Lines (``readers.Lines``), the first numbered ``start``."""
        if self._c and self._light:
            _speedups.lines(self, data, start - 1)
            return
        for part in self._decoder.block(data, start):
            if part.__class__ is Block:
                self.polls(part.polls, part.start)
            else:
                self._route(*part)

    def _line(self, pos: int, line: bytes) -> None:
        """One line the C scanner leaves to the decoder."""
        self._route(pos, self._decoder.line(line))

    def _route(self, pos: int, rec: Any) -> None:
        if rec.__class__ is self._decoder.poll:
            self.polls([rec], pos)
        else:
            self.record(pos, rec, self._job_key)

    def polls(self, polls: list[Any], start: int) -> None:
        """Typed polls (``readers.poll_type``) at consecutive positions from ``start``: the hot loop."""
        if not self._light:
            for pos, rec in enumerate(polls, start):
                self._full(self.open.get(rec.job) or self._find(rec.job), pos, rec)
            return
        if self._c:
            _speedups.light_polls(self, polls, start)
            return
        opened, ended = self.open, self.ended
        get, get_ended = opened.get, ended.get
        moves, success, terminal = self._moves, self._success, self._terminal
        exact = self._v.exact
        seq, limit = self._seq, 2 * self._window
        LAST, PROGRESS, RESOURCE, OPERATION, REFERENCED, DONE, POLLS, POS = range(8)  # locals: fast to load
        for pos, rec in enumerate(polls, start):
            job = rec.job
            s = get(job)
            if s is None:
                s = get_ended(job)
                if s is None:
                    s = opened[job] = [None, None, None, None, False, False, 0, 0, seq, None, job]
                    seq += 1
            status = rec.status
            last = s[LAST]
            if status == last:
                reset = False
            else:
                reset = moves[last].get(status)  # type: ignore[assignment]
                if reset is None:
                    self._full(s, pos, rec)
                    continue
            op = rec.operation
            p = rec.percentageComplete
            rid = rec.resourceId
            rloc = rec.resourceLocation
            ref = s[REFERENCED]
            if ((op is not None and op != s[OPERATION] and s[OPERATION] is not None)
                    or (p is not None and not reset and s[PROGRESS] is not None and p < s[PROGRESS])):
                self._full(s, pos, rec)
                continue
            if rid is not None or rloc is not None:
                if rid == "" or rloc == "" or (rid is not None and s[RESOURCE] is not None and rid != s[RESOURCE]):
                    self._full(s, pos, rec)
                    continue
                ref = s[REFERENCED] = True
                if rid is not None:
                    s[RESOURCE] = rid
            if not s[DONE] and status in success:
                if not ref:
                    self._full(s, pos, rec)
                    continue
                s[DONE] = True
            if p is not None:
                s[PROGRESS] = p
            elif reset:
                s[PROGRESS] = None
            if op is not None and s[OPERATION] is None:
                s[OPERATION] = op
            s[POLLS] += 1
            s[POS] = pos
            if status != last:
                s[LAST] = status = exact[status]  # the spec's own string: a poll's copy would pin its block in memory
                if status in terminal:  # a light job only ever turns terminal while open
                    ended[job] = opened.pop(job)
                    if len(ended) >= limit:
                        self._evict()
        self._seq = seq

    def record(self, pos: int, rec: Any, job_key: str) -> None:
        """One record that is not a typed poll: a body mapping, a status string or an input problem."""
        if isinstance(rec, InputProblem):
            self.problems.append(InputProblem(self._source, self._locate(pos), rec.message))
            return
        key = rec.get(job_key) if isinstance(rec, dict) else None
        if key is not None and (isinstance(key, bool) or not isinstance(key, str | int)):
            from jobfsm.readers import json_kind

            self.problems.append(InputProblem(self._source, self._locate(pos), f"job key {job_key!r} must be a "
                                                                               f"string or an integer, found "
                                                                               f"{json_kind(key)}"))
            return
        s = self.open.get(key) or self._find(key)
        check = s[_CHECK] or self._hand_over(s)
        ended = check.ended
        check.feed(rec, pos)
        if not ended and check.ended and key in self.open:
            self._end(key)

    def close(self) -> None:
        """End of input: finish every job left and release every report."""
        if self._c:
            _speedups.close(self)
        else:
            for table in (self.ended, self.open):
                for job in list(table):  # each state let go as it is finished, with the JobCheck it needed
                    self._finish(table.pop(job))
        if self._clean is not None and self.clean_jobs:
            self._clean(self._source, self.clean_jobs, self.clean_polls)

    @property
    def jobs(self) -> int:
        """Jobs seen so far."""
        return self._seq

    def _find(self, job: Any) -> _State:
        s = self.ended.get(job)
        if s is None:
            s = self.open[job] = (_speedups.State(job, self._seq) if self._c else
                                  [None, None, None, None, False, False, 0, 0, self._seq, None, job])
            self._seq += 1
            if not self._light:
                self._hand_over(s)
        return s

    def _hand_over(self, s: _State) -> JobCheck:
        check = self._new(self._v, self._source, s[_KEY], self._locate)
        if s[_POLLS]:
            check.restore(s[_LAST], s[_PROGRESS], s[_RESOURCE], s[_OPERATION], s[_REFERENCED], s[_DONE], s[_POLLS],
                          s[_POS])
        s[_CHECK], s[_LAST] = check, _HANDED_OVER
        return check

    def _full(self, s: _State, pos: int, rec: Any) -> None:
        self._full_fields(s, pos, rec.status, rec.percentageComplete, rec.resourceId, rec.resourceLocation,
                          rec.operation)

    def _full_fields(self, s: _State, pos: int, status: str, progress: float | None, resource_id: str | None,
                     resource_location: str | None, operation: str | None) -> None:
        check = s[_CHECK] or self._hand_over(s)
        ended = check.ended
        check.poll(status, progress, resource_id, resource_location, operation, pos)
        if not ended and check.ended and s[_KEY] in self.open:
            self._end(s[_KEY])

    def _end(self, job: Any) -> None:
        self.ended[job] = self.open.pop(job)
        if len(self.ended) >= 2 * self._window:
            self._evict()

    def _evict(self) -> None:
        """Finish the older half of the ended jobs, keeping the ``window`` that ended last."""
        if self._c:
            _speedups.evict(self)
            return
        ended = self.ended
        for job in list(itertools.islice(ended, len(ended) - self._window)):
            self._finish(ended.pop(job))

    def _report(self, s: _State) -> JobReport:
        """The report on a finished job."""
        check = s[_CHECK]
        if check is None and s[_LAST] in self._terminal:
            return JobReport(self._source, s[_KEY], True, s[_LAST], s[_POLLS], ())  # nothing to report
        return (check or self._hand_over(s)).finish()

    def _finish(self, s: _State) -> None:
        report = self._report(s)
        if report.job is None:
            self.unkeyed_polls += report.polls
        else:
            self.keyed = True
        seq = s[_SEQ]
        if self._clean is not None and not report.violations:
            self.clean_jobs += 1
            self.clean_polls += report.polls
        else:
            self._held[seq] = report
        done, i = self._done, seq - self._next + self._done_at
        if i >= len(done):
            done.extend(bytes(i + 1 - len(done)))
        done[i] = 1
        while self._done_at < len(done) and done[self._done_at]:
            if self._held:
                shown = self._held.pop(self._next, None)
                if shown is not None:
                    self._emit(shown)
            self._next += 1
            self._done_at += 1
        if self._done_at > 4096 and 2 * self._done_at > len(done):
            del done[:self._done_at]
            self._done_at = 0
