"""The ``jobfsm`` command: validate traces, check a typed sequence, print the lifecycle and the rules.

Exit codes: 0 valid; 1 a violation at the failing severity; 2 a usage or input error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence

from jobfsm import __version__
from jobfsm.errors import JobFSMError, OptionsError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.report import InputProblem, JobReport, Report
from jobfsm.rules import RULES, SEVERITIES
from jobfsm.validation import LEVELS, MODES, Options, Validator

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT = 0, 1, 2

EPILOG = """\
examples:
  jobfsm validate examples/*.json examples/*.jsonl
  jobfsm validate --format json --mode strict events.jsonl
  jobfsm validate --job-key monitorUrl --fail-on warning polls.jsonl
  cat polls.txt | jobfsm validate -
  jobfsm check notStarted inProgress completed
  jobfsm spec
  jobfsm rules

exit codes: 0 valid, 1 violations at the failing severity, 2 usage or input error
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code instead of raising."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: argparse has printed why
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    if sys.stdout is None:
        print("jobfsm: error: standard output is closed", file=sys.stderr)
        return EXIT_INPUT
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")  # names in traces may not fit the terminal's encoding
    try:
        return int(args.run(args))
    except JobFSMError as exc:
        print(f"jobfsm: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_OK
    except OSError as exc:
        print(f"jobfsm: error: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        _drop_stdout()
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130


def _write(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobfsm", description="Check recorded polls of Microsoft Graph / OneDrive monitor URLs "
        "against the asyncJobStatus lifecycle.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"jobfsm {__version__}")
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    val = sub.add_parser("validate", help="validate trace files", epilog=EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Validate trace files: text (one status per line), JSON arrays of "
                         "statuses or bodies, JSON Lines of bodies. '-' reads standard input.")
    val.add_argument("paths", nargs="+", metavar="PATH")
    val.add_argument("--input-format", choices=("auto", "text", "json", "jsonl"), default="auto",
                     help="input format (default: by extension, else sniffed)")
    val.add_argument("--job-key", metavar="FIELD",
                     help="field naming the job in logs of many jobs (default: job)")
    _judging(val)
    val.set_defaults(run=_validate)

    chk = sub.add_parser("check", help="validate a sequence of statuses typed inline",
                         description="Validate statuses given as arguments, in order.")
    chk.add_argument("statuses", nargs="+", metavar="STATUS")
    _judging(chk)
    chk.set_defaults(run=_check)

    spec = sub.add_parser("spec", help="print the lifecycle: statuses, edges, reasons")
    spec.add_argument("--format", choices=("text", "json"), default="text")
    spec.set_defaults(run=_spec)

    rules = sub.add_parser("rules", help="print the rule ids with their default severities")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rules.set_defaults(run=_rules)
    return parser


def _judging(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=MODES, default="sampled",
                   help="sampled: polls may skip statuses (default); strict: every change is one edge")
    p.add_argument("--complete", action="store_true",
                   help="require complete traces: start at notStarted and end terminal")
    p.add_argument("--fail-on", choices=SEVERITIES, default="error",
                   help="lowest severity that fails a job (default: error)")
    p.add_argument("--severity", action="append", default=[], metavar="RULE=LEVEL",
                   help=f"set a rule's severity ({', '.join(LEVELS)}); repeatable")
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="text report: show only violations at the failing severity")


def _options(args: argparse.Namespace) -> Options:
    severity: dict[str, str] = {}
    for item in args.severity:
        rule, sep, level = item.partition("=")
        if not sep:
            raise OptionsError(f"--severity {item!r}: expected RULE=LEVEL, e.g. unknown-status=error")
        severity[rule.strip()] = level.strip()
    return Options(args.mode, args.complete, args.fail_on, severity)


def _validate(args: argparse.Namespace) -> int:
    from jobfsm.inputs import validate_path

    validator = Validator(_options(args))
    fmt = None if args.input_format == "auto" else args.input_format
    jobs: list[JobReport] = []
    problems: list[InputProblem] = []
    for path in args.paths:
        found, bad = validate_path(path, validator, fmt=fmt, job_key=args.job_key)
        jobs += found
        problems += bad
    sources = tuple("<stdin>" if p == "-" else p for p in args.paths)
    return _emit(Report(tuple(jobs), args.mode, args.fail_on, tuple(problems), sources), args)


def _check(args: argparse.Namespace) -> int:
    report = Validator(_options(args)).validate(args.statuses, source="<arguments>")
    return _emit(report, args)


def _emit(report: Report, args: argparse.Namespace) -> int:
    code = EXIT_INPUT if report.input_errors else EXIT_OK if report.ok else EXIT_VIOLATIONS
    try:
        if args.format == "json":
            _write(json.dumps(report.to_dict(), indent=1))
        else:
            _write(report.text(min_severity=args.fail_on if args.quiet else "info", quiet=args.quiet))
    except BrokenPipeError:  # the reader left (e.g. `| head`): the verdict still stands
        _drop_stdout()
    return code


def _spec(args: argparse.Namespace) -> int:
    spec = LIFECYCLE
    if args.format == "json":
        _write(json.dumps({
            "schema": "jobfsm.spec/1",
            "name": spec.name,
            "statuses": [{"name": s.name, "kind": s.kind, "outcome": s.outcome, "meaning": s.meaning}
                         for s in spec.statuses],
            "edges": [{"from": e.source, "event": e.event, "to": e.dest, "reason": e.reason} for e in spec.edges],
            "aliases": [{"name": a.name, "target": a.target, "note": a.note} for a in spec.aliases],
            "notes": list(spec.notes),
        }, indent=1))
        return EXIT_OK
    width = max(len(s.name) for s in spec.statuses)
    lines = [f"lifecycle {spec.name}", "", "statuses:"]
    for s in spec.statuses:
        kind = f"{s.kind} ({s.outcome})" if s.outcome else s.kind
        lines.append(f"  {s.name:<{width}}  {kind:<20}  {s.meaning}")
    lines += ["", "transitions:"]
    ewidth = max(len(e.event) for e in spec.edges)
    for e in spec.edges:
        lines.append(f"  {e.source:<{width}}  -{e.event:-<{ewidth}}->  {e.dest:<{width}}  {e.reason}")
    lines += ["", "aliases:"]
    lines += [f"  {a.name:<{width}}  -> {a.target or '(no counterpart)':<16}  {a.note}" for a in spec.aliases]
    lines += ["", "notes:"] + [f"  - {n}" for n in spec.notes]
    _write("\n".join(lines))
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    if args.format == "json":
        _write(json.dumps({"schema": "jobfsm.rules/1", "rules": [
            {"rule": r.id, "severity": r.severity, "meaning": r.meaning} for r in RULES]}, indent=1))
    else:
        width = max(len(r.id) for r in RULES)
        _write("\n".join(f"{r.id:<{width}}  {r.severity:<7}  {r.meaning}" for r in RULES))
    return EXIT_OK
