"""An online tracker: a transitions model fed poll by poll that raises at the first illegal step.

All trackers of a class share one machine, built once; a tracker is a plain object whose ``state``
the machine moves by firing the events of each change (the events of the shortest path, in sampled
mode). Subclasses may define ``on_enter_<status>`` methods, and any tracker takes callbacks through
``on_enter``; both run for every status entered, inferred ones included.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, ClassVar

from jobfsm.errors import IllegalStepError as IllegalStepError  # re-exported: its home was here
from jobfsm.errors import JobFSMError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.machine import Machine, build_machine, tables
from jobfsm.report import JobReport, Violation
from jobfsm.rules import RANK, Mode
from jobfsm.spec import Spec
from jobfsm.validation import Options, Validator


class Tracker:
    """Follow one job poll by poll; ``observe`` each answer (a status or a body) as it arrives."""

    spec: ClassVar[Spec] = LIFECYCLE

    def __init__(self, *, mode: Mode = "sampled", fail_on: str = "error", job: str | int | None = None) -> None:
        if mode not in ("sampled", "strict") or not isinstance(fail_on, str):
            Options(mode, fail_on=fail_on if isinstance(fail_on, str) else repr(fail_on))  # raises, naming the value
        self.state: str | None = None
        self._moving = False
        self.history: list[str | None] = []  # the status after each poll: the machine's, as ``status`` says
        self.error: IllegalStepError | None = None
        validator = _validator(self.spec, mode, fail_on)
        self._check = validator.job(None, job)
        self._rank = validator.fail_rank
        self._callbacks: dict[str, list[Callable[[Tracker], Any]]] = {}

    @classmethod
    def machine(cls) -> Machine:
        """The machine every tracker of this class shares (built on first use)."""
        return _machine(cls.spec)

    @property
    def status(self) -> str | None:
        """The current status: the last legal known status observed (None before one)."""
        return self.state

    @property
    def finished(self) -> bool:
        """True once the job is in a terminal status."""
        return self.state is not None and self.spec.is_terminal(self.state)

    @property
    def violations(self) -> list[Violation]:
        """Every violation so far, below the failing severity too."""
        return list(self._check.violations)

    def on_enter(self, status: str, callback: Callable[[Tracker], Any]) -> None:
        """Call ``callback(tracker)`` whenever this tracker enters ``status``."""
        self.spec.status(status)
        self._callbacks.setdefault(status, []).append(callback)

    def observe(self, poll: Any) -> str | None:
        """Take one poll; returns the current status, or raises ``IllegalStepError`` at the failing severity."""
        if self.error is not None:  # stopped at an illegal step: every later poll gets that same error
            raise self.error
        if self._moving:
            raise JobFSMError("observe() was called from a callback while the tracker was moving; record the poll "
                              "and observe it after the callback returns")
        before = len(self._check.violations)
        self._check.feed(poll)
        new = self._check.last
        failing = [v for v in self._check.violations[before:] if RANK[v.severity] >= self._rank]
        if failing:  # the machine does not move: the poll's status is in the violation, not in the history
            self.history.append(self.state)
            self.error = IllegalStepError(failing[0], self.history)
            raise self.error
        try:
            if new is not None and new != self.state:
                self._move(new)
        finally:
            self.history.append(self.state)
        return self.state

    def finish(self) -> JobReport:
        """The job is over: its report, with ``unterminated`` when it never reached a terminal status."""
        return self._check.finish()

    def _move(self, dest: str) -> None:
        if self.state is None:  # the first status seen: recording may start anywhere, nothing to fire
            self.state = dest
            self._entered()
            return
        t = tables(self.spec)
        machine = self.machine()
        here = self.state
        self._moving = True
        try:
            for step in t.paths[here][dest]:
                machine.events[t.events[(here, step)]].trigger(self)
                here = step
        finally:  # a callback that raises still leaves the tracker where the poll put it
            self._moving = False
            self.state = dest

    def _entered(self) -> None:
        """After every change of state (the machine's ``after_state_change``): run the callbacks."""
        if self.state is None:
            return
        method = getattr(self, f"on_enter_{self.state}", None)
        if callable(method):
            method()
        for callback in self._callbacks.get(self.state, ()):
            callback(self)


@lru_cache(maxsize=16)
def _machine(spec: Spec) -> Machine:
    return build_machine(spec, after_state_change="_entered")


@lru_cache(maxsize=64)
def _validator(spec: Spec, mode: str, fail_on: str) -> Validator:
    return Validator(Options(mode, fail_on=fail_on), spec)  # type: ignore[arg-type]
