"""Write a validation report while jobs are still being checked: text or JSON, memory bounded by the
input problems, never by the jobs.

The text is line for line what ``Report.text`` gives; the JSON is ``Report.to_dict`` with the jobs
written as they come and the verdict (``summary``, ``ok``) last.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from jobfsm.report import SCHEMA, InputProblem, JobReport, job_lines, summary_line

if TYPE_CHECKING:
    from jobfsm.inputs import Format
    from jobfsm.spec import Spec
    from jobfsm.validation import Options


class Sink(Protocol):
    """Where a report is written: a text stream, or anything with its ``write`` and ``flush``."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


@dataclass
class Tally:
    """The running counts of a report; tallies of separate parts add up."""

    sources: set[str | None] = field(default_factory=set)
    jobs: int = 0
    failed_jobs: int = 0
    polls: int = 0
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    input_errors: int = 0

    def job(self, report: JobReport) -> None:
        """Count one job."""
        self.sources.add(report.source)
        self.jobs += 1
        self.failed_jobs += not report.ok
        self.polls += report.polls
        for v in report.violations:
            if v.severity == "error":
                self.errors += 1
            elif v.severity == "warning":
                self.warnings += 1
            else:
                self.infos += 1

    def clean(self, source: str | None, jobs: int, polls: int) -> None:
        """Count jobs without any violation (passing, with nothing to tally but their polls)."""
        self.sources.add(source)
        self.jobs += jobs
        self.polls += polls

    def problem(self, problem: InputProblem) -> None:
        """Count one input problem."""
        self.sources.add(problem.source)
        self.input_errors += 1

    def add(self, other: Tally) -> None:
        """Fold in the counts of another part."""
        self.sources |= other.sources
        for name in ("jobs", "failed_jobs", "polls", "errors", "warnings", "infos", "input_errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def ok(self) -> bool:
        """True when no job failed and all input was readable."""
        return not self.failed_jobs and not self.input_errors

    def summary(self) -> dict[str, int]:
        """The JSON summary (the keys of ``Report.summary``)."""
        return {"sources": len(self.sources), "jobs": self.jobs, "failed_jobs": self.failed_jobs,
                "polls": self.polls, "errors": self.errors, "warnings": self.warnings, "infos": self.infos,
                "input_errors": self.input_errors}


class Writer:
    """Writes jobs as they are reported, each source's input problems after its jobs, the verdict last.

    ``part=True`` writes one source's share only (no header or verdict), for a worker process whose
    output ``paste`` later copies into the whole.
    """

    def __init__(self, out: Sink, fmt: str, mode: str, fail_on: str, *, quiet: bool = False,
                 part: bool = False) -> None:
        self.out, self.fmt, self.mode, self.fail_on, self.quiet = out, fmt, mode, fail_on, quiet
        self.min_severity = fail_on if quiet else "info"
        self._quiet_text = quiet and fmt != "json"
        self.tally = Tally()
        self.problems: list[InputProblem] = []
        self._first = True
        if fmt == "json" and not part:
            out.write(f'{{"schema": "{SCHEMA}", "mode": {json.dumps(mode)}, "fail_on": {json.dumps(fail_on)}, '
                      f'"jobs": [')

    def job(self, report: JobReport) -> None:
        """One job's report."""
        if self._quiet_text and not report.violations:  # the bulk of a large log: a passing job, not shown
            self.tally.clean(report.source, 1, report.polls)
            return
        self.tally.job(report)
        if self.fmt == "json":
            self.out.write(("\n" if self._first else ",\n") + json.dumps(report.to_dict()))
            self._first = False
        else:
            lines = job_lines(report, self.min_severity, self.quiet)
            if lines:
                self.out.write("\n".join(lines) + "\n")

    @property
    def counts_clean(self) -> bool:
        """Whether reports without violations need only be counted (``clean``): a quiet text report."""
        return self._quiet_text

    def clean(self, source: str | None, jobs: int, polls: int) -> None:
        """Jobs without any violation, counted and not shown (a quiet text report)."""
        self.tally.clean(source, jobs, polls)

    def source_problems(self, problems: Iterable[InputProblem]) -> None:
        """The input problems of the source whose jobs were just written."""
        for p in problems:
            self.tally.problem(p)
            self.problems.append(p)
            if self.fmt != "json":
                self.out.write(p.line() + "\n")

    def paste(self, part: TextIO, tally: Tally, problems: list[InputProblem]) -> None:
        """Copy in a part written by another ``Writer(part=True)``, with its counts and problems."""
        if self.fmt == "json" and tally.jobs:
            if not self._first:
                self.out.write(",")
            self._first = False
        while chunk := part.read(1 << 16):
            self.out.write(chunk)
        self.tally.add(tally)
        self.problems += problems

    def close(self) -> None:
        """The verdict: the summary line, or the JSON report's tail."""
        t = self.tally
        if self.fmt == "json":
            tail: dict[str, Any] = {"input_errors": [p.to_dict() for p in self.problems], "summary": t.summary(),
                                    "ok": t.ok}
            self.out.write(("\n" if not self._first else "") + "], " + json.dumps(tail)[1:] + "\n")
        else:
            self.out.write(summary_line(t.summary(), t.ok, self.mode) + "\n")
        self.out.flush()


def validate_part(path: str, out_path: str, options: Options, spec: Spec, fmt: Format | None,
                  job_key: str | None, out_format: str, quiet: bool,
                  window: int | None = None) -> tuple[Tally, list[InputProblem]]:
    """One file's share of a report, written to ``out_path`` (run in a worker process)."""
    from jobfsm.inputs import validate_path
    from jobfsm.validation import Validator

    with open(out_path, "w", encoding="utf-8", errors="backslashreplace") as out:  # as standard output is
        writer = Writer(out, out_format, options.mode, options.fail_on, quiet=quiet, part=True)
        _, problems = validate_path(path, Validator(options, spec), fmt=fmt, job_key=job_key, emit=writer.job,
                                    clean=writer.clean if writer.counts_clean else None, window=window)
        writer.source_problems(problems)
    return writer.tally, problems
