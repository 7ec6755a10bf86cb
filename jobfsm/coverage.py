"""Coverage of the lifecycle by recorded traces: which statuses and edges a set of traces exercised.

Computed with the validator itself: each job is checked by a ``JobCheck`` that also follows the machine
(``overlay.WalkCheck``) and hands over each change as the trace overlay reads it: one edge when observed,
the hops of the spec's shortest path when a sampled skip passed statuses unseen, nothing for a change that
breaks a rule. Only the counts are kept, never the walks, so memory does not grow with the polls. Inferred
edges are counted apart and cover nothing unless asked: a client never saw them happen.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobfsm.inputs import Format, validate_path
from jobfsm.overlay import WalkCheck
from jobfsm.render import Step
from jobfsm.report import InputProblem, JobReport, clean, one_line, plural
from jobfsm.spec import Edge, Spec, Status
from jobfsm.validation import Options, Validator

if TYPE_CHECKING:
    from jobfsm.recordings import Exchange

SCHEMA = "jobfsm.coverage/1"
SUITE = "jobfsm.coverage"


@dataclass(frozen=True, slots=True)
class StatusCoverage:
    """How often a status was carried by a poll, and how often a sampled skip passed through it unseen."""

    status: Status
    polls: int
    inferred: int
    covered: bool


@dataclass(frozen=True, slots=True)
class EdgeCoverage:
    """How often an edge was observed (one change between two polls) and inferred (a hop of a skip)."""

    edge: Edge
    observed: int
    inferred: int
    covered: bool

    @property
    def label(self) -> str:
        """``source -event-> dest``."""
        return f"{self.edge.source} -{self.edge.event}-> {self.edge.dest}"


@dataclass(frozen=True, slots=True)
class IllegalChange:
    """A change that broke a rule: not an edge, so it covers nothing."""

    source: str
    dest: str
    rule: str
    count: int


@dataclass(frozen=True)
class Coverage:
    """The coverage of a spec by a set of jobs; ``count_inferred`` lets inferred edges and statuses count."""

    spec: Spec
    mode: str
    count_inferred: bool
    statuses: tuple[StatusCoverage, ...]
    edges: tuple[EdgeCoverage, ...]
    illegal: tuple[IllegalChange, ...]
    jobs: tuple[JobReport, ...]
    input_errors: tuple[InputProblem, ...] = ()
    sources: tuple[str | None, ...] = ()

    @property
    def uncovered_edges(self) -> tuple[EdgeCoverage, ...]:
        """The legal edges never covered, in spec order."""
        return tuple(e for e in self.edges if not e.covered)

    @property
    def uncovered_statuses(self) -> tuple[StatusCoverage, ...]:
        """The statuses never covered, in spec order."""
        return tuple(s for s in self.statuses if not s.covered)

    @property
    def edge_percent(self) -> float:
        """Covered edges as a percentage of the spec's edges."""
        return _percent(len(self.edges) - len(self.uncovered_edges), len(self.edges))

    @property
    def status_percent(self) -> float:
        """Covered statuses as a percentage of the spec's statuses."""
        return _percent(len(self.statuses) - len(self.uncovered_statuses), len(self.statuses))

    def below(self, percent: float) -> bool:
        """True when edge coverage is under ``percent`` (compared exactly, not through a rounded float)."""
        return (len(self.edges) - len(self.uncovered_edges)) * 100 < percent * len(self.edges)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (schema ``jobfsm.coverage/1``)."""
        return {
            "schema": SCHEMA, "mode": self.mode, "count_inferred": self.count_inferred,
            "summary": {
                "sources": len({j.source for j in self.jobs} | {p.source for p in self.input_errors}),
                "jobs": len(self.jobs), "failed_jobs": sum(not j.ok for j in self.jobs),
                "polls": sum(j.polls for j in self.jobs),
                "statuses": _totals(len(self.statuses), len(self.uncovered_statuses)),
                "edges": {**_totals(len(self.edges), len(self.uncovered_edges)),
                          "inferred_only": sum(e.observed == 0 < e.inferred for e in self.edges)},
                "illegal_changes": sum(c.count for c in self.illegal),
                "input_errors": len(self.input_errors),
            },
            "statuses": [{"name": s.status.name, "kind": s.status.kind, "polls": s.polls, "inferred": s.inferred,
                          "covered": s.covered} for s in self.statuses],
            "edges": [{"from": e.edge.source, "event": e.edge.event, "to": e.edge.dest, "observed": e.observed,
                       "inferred": e.inferred, "covered": e.covered} for e in self.edges],
            "uncovered": {"statuses": [s.status.name for s in self.uncovered_statuses],
                          "edges": [{"from": e.edge.source, "event": e.edge.event, "to": e.edge.dest}
                                    for e in self.uncovered_edges]},
            "illegal": [{"from": c.source, "to": c.dest, "rule": c.rule, "count": c.count} for c in self.illegal],
            "jobs": [{"source": j.source, "job": j.job, "ok": j.ok, "final": j.final, "polls": j.polls}
                     for j in self.jobs],
            "input_errors": [p.to_dict() for p in self.input_errors],
        }

    def text(self) -> str:
        """The report for people: the totals, every status and edge with its counts, the gaps."""
        d = self.to_dict()["summary"]
        counted = "observed and inferred count" if self.count_inferred else "only observed changes count"
        lines = [f"coverage of {plural(d['jobs'], 'job')} ({plural(d['polls'], 'poll')}, {self.mode} mode; "
                 f"{counted})"]
        lines.append(f"statuses: {_fraction(d['statuses'])}")
        width = max(len(s.status.name) for s in self.statuses)
        for s in self.statuses:
            extra = f", {s.inferred} inferred" if s.inferred else ""
            lines.append(f"  {_mark(s.covered, s.polls)}  {s.status.name:<{width}}  {plural(s.polls, 'poll')}{extra}")
        only = d["edges"]["inferred_only"]
        inferred = f"; {only} more only inferred" if only and not self.count_inferred else ""
        lines.append(f"edges: {_fraction(d['edges'])}{inferred}")
        width = max(len(e.label) for e in self.edges)
        for e in self.edges:
            lines.append(f"  {_mark(e.covered, e.observed)}  {e.label:<{width}}  {e.observed} observed, "
                         f"{e.inferred} inferred")
        if self.illegal:
            lines.append(f"illegal changes (cover nothing): {d['illegal_changes']}")
            lines += [f"  {c.source} -> {c.dest}: {c.rule}, {plural(c.count, 'time')}" for c in self.illegal]
        if self.uncovered_edges:
            lines.append(f"uncovered edges ({len(self.uncovered_edges)}):")
            lines += [f"  {e.label}" for e in self.uncovered_edges]
        if d["failed_jobs"]:
            lines.append(f"{d['failed_jobs']} of {plural(d['jobs'], 'job')} fail validation (jobfsm validate "
                         f"shows why); their legal changes still count")
        lines += [p.line() for p in self.input_errors]
        return "\n".join(map(one_line, lines))

    def junit(self) -> str:
        """JUnit XML: a test suite of edges and one of statuses, a test case each, failing when uncovered,
        and a suite of input errors when there are some; for CI dashboards that show the gaps."""
        root = ET.Element("testsuites", name=SUITE)
        edges = [(_xml(e.label), e.covered, e.observed, e.inferred) for e in self.edges]
        statuses = [(_xml(s.status.name), s.covered, s.polls, s.inferred) for s in self.statuses]
        for kind, cases in (("edges", edges), ("statuses", statuses)):
            suite = _suite(root, f"{SUITE}.{kind}", len(cases), sum(not c[1] for c in cases), 0)
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", name="mode", value=self.mode)
            ET.SubElement(props, "property", name="count_inferred", value=str(self.count_inferred).lower())
            for name, covered, seen, inferred in cases:
                case = ET.SubElement(suite, "testcase", classname=f"{SUITE}.{kind}", name=name, time="0")
                counts = f"{seen} {'observed' if kind == 'edges' else 'polls'}, {inferred} inferred"
                if not covered:
                    why = "only inferred (sampled mode), never observed" if inferred else "never observed"
                    failure = ET.SubElement(case, "failure", type="uncovered", message=f"{name}: {why}")
                    failure.text = f"{name} was not covered by any trace: {counts}"
                ET.SubElement(case, "system-out").text = counts
        if self.input_errors:
            suite = _suite(root, f"{SUITE}.inputs", len(self.input_errors), 0, len(self.input_errors))
            for p in self.input_errors:
                case = ET.SubElement(suite, "testcase", classname=f"{SUITE}.inputs", name=_xml(p.location), time="0")
                ET.SubElement(case, "error", type="input-error", message=_xml(p.message)).text = _xml(p.line())
        for key in ("tests", "failures", "errors"):
            root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class CoverageCollector:
    """Adds jobs (files, in-memory traces, recorded HTTP exchanges) and totals what they covered."""

    def __init__(self, options: Options | None = None, spec: Spec | None = None, *,
                 count_inferred: bool = False) -> None:
        self.validator = Validator(options, spec) if spec is not None else Validator(options)
        self.count_inferred = count_inferred
        spec = self.validator.spec
        self._polls = dict.fromkeys(spec.names, 0)
        self._passed = dict.fromkeys(spec.names, 0)
        self._observed = {(e.source, e.dest): 0 for e in spec.edges}
        self._inferred = dict(self._observed)
        self._illegal: dict[tuple[str, str, str], int] = {}
        self._jobs: list[JobReport] = []
        self._problems: list[InputProblem] = []
        self._sources: list[str | None] = []
        collector = self

        class _Counted(WalkCheck):
            """A job's polls and changes counted into the collector's totals as they come."""

            __slots__ = ()

            def __init__(self, *args: Any) -> None:
                super().__init__(*args)
                self.visits = collector._polls

            def record(self, steps: list[Step]) -> None:
                collector._count(steps)

        self._check_type = _Counted

    def add_path(self, path: str, *, fmt: Format | None = None, job_key: str | None = None) -> None:
        """Every job of a trace file (any format ``jobfsm validate`` reads; ``-`` for standard input)."""
        reports, problems = validate_path(path, self.validator, fmt=fmt, job_key=job_key,
                                          check_type=self._check_type)
        self._sources.append("<stdin>" if path == "-" else path)
        self._jobs += reports
        self._problems += problems

    def add_trace(self, trace: Iterable[Any], *, source: str | None = None, job: str | int | None = None) -> None:
        """One job held in memory: statuses or asyncJobStatus bodies, in order."""
        check = self._check_type(self.validator, source, job, None)
        check.feed_many(trace)
        self._sources.append(source)
        self._jobs.append(check.finish())

    def add_exchanges(self, exchanges: Sequence[Exchange], *, source: str = "<recording>",
                      unit: str = "exchange") -> None:
        """Recorded HTTP traffic (e.g. a fake monitor's), read with the monitor's HTTP semantics."""
        from jobfsm.recordings import check_exchanges

        self._jobs += check_exchanges(list(exchanges), self.validator, source, unit, self._check_type)
        self._sources.append(source)

    def _count(self, hops: list[Step]) -> None:
        """One change: an observed edge, a skip's inferred hops (its inner statuses passed unseen), or a
        change that breaks a rule (a rule turned off still covers nothing)."""
        for step in hops:
            pair = (step.source, step.dest)
            if step.kind == "violation" or pair not in self._observed:
                key = (step.source, step.dest, step.rule or "illegal-transition")
                self._illegal[key] = self._illegal.get(key, 0) + 1
            elif step.kind == "observed":
                self._observed[pair] += 1
            else:
                self._inferred[pair] += 1
        for step in hops[:-1]:
            if step.kind == "inferred":
                self._passed[step.dest] += 1

    def result(self) -> Coverage:
        """The totals so far."""
        v = self.validator
        spec = v.spec
        polls, passed, observed, inferred = self._polls, self._passed, self._observed, self._inferred
        counts = self.count_inferred
        return Coverage(
            spec, v.options.mode, counts,
            tuple(StatusCoverage(s, polls[s.name], passed[s.name], polls[s.name] > 0 or (counts and passed[s.name] > 0))
                  for s in spec.statuses),
            tuple(EdgeCoverage(e, observed[(e.source, e.dest)], inferred[(e.source, e.dest)],
                               observed[(e.source, e.dest)] > 0 or (counts and inferred[(e.source, e.dest)] > 0))
                  for e in spec.edges),
            tuple(IllegalChange(a, b, rule, n) for (a, b, rule), n in self._illegal.items()),
            tuple(self._jobs), tuple(self._problems), tuple(dict.fromkeys(self._sources)))


def coverage(traces: Iterable[Iterable[Any]], *, mode: str = "sampled", count_inferred: bool = False,
             spec: Spec | None = None) -> Coverage:
    """The coverage of in-memory traces (each a list of statuses or bodies of one job)."""
    collector = CoverageCollector(Options(mode), spec, count_inferred=count_inferred)  # type: ignore[arg-type]
    for i, trace in enumerate(traces):
        collector.add_trace(trace, source=f"trace {i}")
    return collector.result()


def coverage_of_paths(paths: Iterable[str], *, mode: str = "sampled", count_inferred: bool = False,
                      fmt: Format | None = None, job_key: str | None = None) -> Coverage:
    """The coverage of trace files, read as ``jobfsm validate`` reads them."""
    collector = CoverageCollector(Options(mode), count_inferred=count_inferred)  # type: ignore[arg-type]
    for path in paths:
        collector.add_path(path, fmt=fmt, job_key=job_key)
    return collector.result()


_NOT_XML = re.compile("[\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text that XML 1.0 can carry: control characters and lone surrogates (from spec names, or file names
    that are not UTF-8) written as escapes, as drawings write them; U+FFFE and U+FFFF too."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", clean(text, sys.maxsize))


def _suite(root: ET.Element, name: str, tests: int, failures: int, errors: int) -> ET.Element:
    return ET.SubElement(root, "testsuite", name=name, tests=str(tests), failures=str(failures),
                         errors=str(errors), skipped="0", time="0")


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


def _totals(total: int, uncovered: int) -> dict[str, Any]:
    return {"covered": total - uncovered, "total": total, "percent": round(_percent(total - uncovered, total), 1)}


def _fraction(t: dict[str, Any]) -> str:
    return f"{t['covered']} of {t['total']} covered ({t['percent']:.1f}%)"


def _mark(covered: bool, seen: int) -> str:
    return "ok      " if covered and seen else "inferred" if covered else "MISSING "
