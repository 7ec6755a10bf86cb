"""Violations and reports: frozen data, rendered for people or as JSON; raising is a separate step."""

from __future__ import annotations

import re
import reprlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from jobfsm.errors import TraceViolationError
from jobfsm.rules import RANK

SCHEMA = "jobfsm.report/1"


class _Short(reprlib.Repr):
    """Containers cut to a few items and levels, with JSON's null, true and false in them: they come from traces."""

    def repr_NoneType(self, x: None, level: int) -> str:  # reprlib dispatches on the type's name
        return "null"

    def repr_bool(self, x: bool, level: int) -> str:
        return "true" if x else "false"


_REPR = _Short()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxtuple, _REPR.maxstring = 3, 5, 5, 5, 80


class Violation(NamedTuple):
    """One broken rule at one poll (``index`` None for a job with no poll at all).

    Immutable; a NamedTuple rather than a frozen dataclass because logs make millions of them.
    """

    rule: str
    severity: str
    index: int | None  # type: ignore[assignment]  # the poll index; shadowing tuple.index is intended
    location: str
    from_status: str | None
    to_status: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with ``from`` and ``to`` keys."""
        return {"rule": self.rule, "severity": self.severity, "index": self.index,
                "location": self.location, "from": self.from_status, "to": self.to_status,
                "message": self.message}

    def line(self) -> str:
        """One line for people: where, severity, rule, message (names from a spec or a file name with
        control characters in them written as escapes)."""
        poll = "" if self.index is None or self.location == f"[{self.index}]" else f"poll {self.index}: "
        return one_line(f"{self.location}: {poll}{self.severity}: {self.rule}: {self.message}")


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Input that could not be read as a poll; the rest of the input is still validated."""

    source: str | None
    location: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"source": self.source, "location": self.location, "message": self.message}

    def line(self) -> str:
        """One line for people."""
        return one_line(f"{self.location}: input error: {self.message}")


class JobReport(NamedTuple):
    """The verdict on one job: ``ok`` is False when a violation is at or above the failing severity.

    Immutable; a NamedTuple for the same reason as ``Violation``: one per job of a large log.
    """

    source: str | None
    job: str | int | None
    ok: bool
    final: str | None
    polls: int
    violations: tuple[Violation, ...]

    @property
    def name(self) -> str:
        """``source`` and job key as people read them."""
        where = self.source or "<trace>"
        if self.job is None:
            return where
        if not isinstance(self.job, str):
            return f"{where} job {self.job} (a number)"
        plain = self.job.isprintable() and len(self.job) <= 160 and self.job.strip() == self.job and self.job
        return f"{where} job {self.job}" if plain else f"{where} job {shorten(self.job, 80)}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"source": self.source, "job": self.job, "ok": self.ok, "final": self.final,
                "polls": self.polls, "violations": [v.to_dict() for v in self.violations]}


@dataclass(frozen=True, slots=True)
class Report:
    """Every job's verdict and every input problem of one validation run."""

    jobs: tuple[JobReport, ...]
    mode: str
    fail_on: str
    input_errors: tuple[InputProblem, ...] = ()
    sources: tuple[str | None, ...] = ()
    """The order the sources were given in; the text report follows it."""

    @property
    def ok(self) -> bool:
        """True when every job passed and all input was readable."""
        return not self.input_errors and all(j.ok for j in self.jobs)

    @property
    def violations(self) -> tuple[Violation, ...]:
        """All violations of all jobs, job by job."""
        return tuple(v for j in self.jobs for v in j.violations)

    @property
    def final(self) -> str | None:
        """The final status of the only job (None when there are several or none)."""
        return self.jobs[0].final if len(self.jobs) == 1 else None

    def rules(self) -> set[str]:
        """The rule ids reported anywhere."""
        return {v.rule for v in self.violations}

    def summary(self) -> dict[str, int]:
        """Counts for the JSON summary and the closing line."""
        sev = Counter(v.severity for v in self.violations)
        sources = {j.source for j in self.jobs} | {p.source for p in self.input_errors}
        return {"sources": len(sources), "jobs": len(self.jobs),
                "failed_jobs": sum(not j.ok for j in self.jobs), "polls": sum(j.polls for j in self.jobs),
                "errors": sev["error"], "warnings": sev["warning"], "infos": sev["info"],
                "input_errors": len(self.input_errors)}

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON schema (``jobfsm.report/1``); the verdict comes last, as when it is streamed."""
        return {"schema": SCHEMA, "mode": self.mode, "fail_on": self.fail_on,
                "jobs": [j.to_dict() for j in self.jobs], "input_errors": [p.to_dict() for p in self.input_errors],
                "summary": self.summary(), "ok": self.ok}

    def text(self, *, min_severity: str = "info", quiet: bool = False) -> str:
        """The report for people, source by source: a verdict line per job with its violations at or
        above ``min_severity``, the input problems, a summary line. ``quiet`` leaves out passing jobs."""
        lines: list[str] = []
        order = dict.fromkeys([*self.sources, *(j.source for j in self.jobs), *(p.source for p in self.input_errors)])
        for source in order:
            for job in (j for j in self.jobs if j.source == source):
                lines += job_lines(job, min_severity, quiet)
            lines += [p.line() for p in self.input_errors if p.source == source]
        lines.append(summary_line(self.summary(), self.ok, self.mode))
        return "\n".join(lines)

    def raise_for_violations(self) -> Report:
        """Raise ``TraceViolationError`` unless ``ok``; return self so calls chain."""
        if not self.ok:
            raise TraceViolationError(self, self.text())
        return self


def job_lines(job: JobReport, min_severity: str = "info", quiet: bool = False) -> list[str]:
    """A job's verdict line and its violations at or above ``min_severity``; none for a quiet pass."""
    shown = [f"  {v.line()}" for v in job.violations if RANK[v.severity] >= RANK[min_severity]]
    if quiet and job.ok and not shown:
        return []
    verdict = "ok" if job.ok else "FAILED"
    return [one_line(f"{job.name}: {verdict} ({final_text(job.final)}, {plural(job.polls, 'poll')})"), *shown]


def final_text(final: str | None) -> str:
    """Where a job ended, for its verdict line: ``final completed``, or that no poll carried a known status."""
    return "no status observed" if final is None else f"final {final}"


def summary_line(s: dict[str, int], ok: bool, mode: str) -> str:
    """The closing line: the verdict and the counts of ``Report.summary``."""
    counts = [plural(s["jobs"], "job"), f"{s['failed_jobs']} failed", plural(s["polls"], "poll")]
    found = [plural(s["errors"], "error"), plural(s["warnings"], "warning"), plural(s["infos"], "info")]
    if s["input_errors"]:
        found.append(plural(s["input_errors"], "input error"))
    return f"{'ok' if ok else 'FAILED'}: {', '.join(counts)}; {', '.join(found)} ({mode} mode)"


def shorten(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, with the full length when cut: messages stay one
    short line whatever a trace holds. None is shown as JSON's null: the values come from JSON and YAML."""
    if value is None:
        return "null"
    try:
        # containers through reprlib, which stops at a few items and levels: a YAML alias bomb is cheap to
        # hold but exponential to print in full
        shown = repr(value) if isinstance(value, str | int | float | bool | None) else _REPR.repr(value)
    except (ValueError, RecursionError):  # an int past Python's digit limit
        return f"a {type(value).__name__} too large to show"
    if len(shown) <= limit:
        return shown
    return f"{shown[:limit - 4]}...{shown[-1]} ({len(value) if isinstance(value, str) else len(shown)} characters)"


# control characters (C0, DEL, C1) and the invisible marks that reorder text on screen (bidirectional
# embeddings, overrides and isolates): a name holding them would end a line, colour a terminal or read backwards
_CONTROL = "\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_IN_TEXT = re.compile(f"[{_CONTROL}]")
_IN_LINE = re.compile(f"[\n{_CONTROL}]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str, limit: int = 2000) -> str:
    """Text any drawing can take: control characters, bidirectional overrides and undecodable bytes (from
    arguments that are not UTF-8) written as escapes, line breaks kept, and no longer than ``limit``
    (Graphviz refuses labels over 16 KiB)."""
    text = _IN_TEXT.sub(_escape, text).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def one_line(text: str) -> str:
    """Text for one line of a terminal: as ``clean`` writes it, line breaks escaped too, never cut."""
    if text.isprintable():
        return text
    return _IN_LINE.sub(_escape, text).encode("utf-8", "backslashreplace").decode("utf-8")


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``1 poll``, ``2 polls`` (``many`` for nouns that take more than an s): every count that jobfsm prints."""
    return f"{n} {noun if n == 1 else many or noun + 's'}"
