"""One error root for everything jobfsm raises, each subclass paired with the built-in it resembles."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobfsm.report import Report, Violation


class JobFSMError(Exception):
    """Root of every error jobfsm raises on purpose."""

    def __reduce__(self) -> tuple[object, ...]:
        # subclasses take their data, not the message, so pickle (multiprocessing) rebuilds them from it
        return (_rebuild, (type(self), self.args, self.__dict__))


SHOWN = 10
"""The most problems one error line lists; it says how many more there are (``problems`` holds them all)."""


def _listed(problems: tuple[str, ...], more: str = "") -> str:
    shown = "; ".join(problems[:SHOWN])
    return shown if len(problems) <= SHOWN else f"{shown}; and {len(problems) - SHOWN} more{more}"


class SpecError(JobFSMError, ValueError):
    """A spec failed its checks; ``problems`` holds every one of them, not only the first."""

    def __init__(self, name: str, problems: tuple[str, ...]) -> None:
        self.name = name
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid spec {name[:200]!r}: {count}: " + _listed(problems))


class SpecFileError(JobFSMError, ValueError):
    """A spec file that cannot be read or parsed (``unreadable``), or that describes no usable lifecycle;
    ``problems`` holds every problem found, each a line ``file:line: what``; ``line`` is the line of a file
    that cannot be parsed, when known."""

    def __init__(self, path: str, problems: tuple[str, ...], unreadable: bool = False, line: int | None = None
                 ) -> None:
        self.path = path
        self.problems = problems
        self.unreadable = unreadable
        self.line = line
        if len(problems) == 1:
            super().__init__(problems[0])
        else:
            listed = _listed(problems, f" (jobfsm spec --check {path} lists every one)")
            super().__init__(f"{path}: {len(problems)} problems: {listed}")


class UnknownStatusError(JobFSMError, KeyError):
    """A query named a status the spec does not have; ``status`` holds it."""

    def __init__(self, status: str, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class InputError(JobFSMError, ValueError):
    """Input that cannot be read as a trace: ``location`` names the file, line or entry."""

    def __init__(self, location: str, message: str) -> None:
        self.location = location
        self.detail = message
        super().__init__(f"{location}: {message}" if location else message)


class OptionsError(JobFSMError, ValueError):
    """Validation options that make no sense (an unknown rule, mode or severity)."""


class TraceViolationError(JobFSMError, AssertionError):
    """Raised on request when a report holds violations at the failing severity."""

    def __init__(self, report: Report, message: str) -> None:
        self.report = report
        super().__init__(message)


class IllegalStepError(JobFSMError, ValueError):
    """A poll broke a rule at the failing severity (``Tracker``); the tracker stays at its last legal status."""

    def __init__(self, violation: Violation, history: list[str | None]) -> None:
        self.violation = violation
        self.index = violation.index
        self.history = list(history)
        super().__init__(f"poll {violation.index}: {violation.rule}: {violation.message}")


class RenderError(JobFSMError, RuntimeError):
    """An image was asked for and no Graphviz backend could make it."""


class ScenarioError(JobFSMError, ValueError):
    """A fake monitor's scenario that is not a legal trace; ``violations`` lists its errors, ``problem`` says
    what is wrong and ``remedy`` (when there is one) how to play it anyway."""

    def __init__(self, message: str, violations: tuple[Violation, ...] = (), remedy: str = "") -> None:
        self.violations = violations
        self.problem = message
        self.remedy = remedy
        super().__init__(f"{message}; {remedy}" if remedy else message)


class PollLimitError(JobFSMError, RuntimeError):
    """The client polled a fake monitor more often than ``poll_limit``: it is most likely looping forever."""


class ObservationError(JobFSMError, AssertionError):
    """What a client reports having seen does not match what the fake monitor served it."""


def _rebuild(cls: type[JobFSMError], args: tuple[object, ...], state: dict[str, object]) -> JobFSMError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error
