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
from typing import TYPE_CHECKING, BinaryIO

from jobfsm import __version__
from jobfsm.errors import JobFSMError, OptionsError, SpecFileError
from jobfsm.render import BACKENDS, DIRECTIONS, IMAGE_FORMATS
from jobfsm.report import Report
from jobfsm.rules import LEVELS, MODES, RULES, SEVERITIES

if TYPE_CHECKING:
    from jobfsm.inputs import Format
    from jobfsm.output import Writer
    from jobfsm.progress import Meter
    from jobfsm.spec import Spec
    from jobfsm.validation import Options

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT = 0, 1, 2
MAX_WINDOW = 10_000_000
QUIET_HELP = ("text report: show only failing jobs and their violations at the failing severity, and no progress "
              "line; --format json always holds the complete report")

EPILOG = """\
examples:
  jobfsm validate examples/*.json examples/*.jsonl
  jobfsm validate --format json --mode strict events.jsonl
  jobfsm validate --job-key monitorUrl --fail-on warning polls.jsonl
  cat polls.txt | jobfsm validate -
  jobfsm check notStarted inProgress completed
  jobfsm spec
  jobfsm rules
  jobfsm render --format svg -o lifecycle.svg
  jobfsm render --format mermaid --trace examples/illegal.json
  jobfsm render --check diagrams/
  jobfsm docs -o LIFECYCLE.md
  jobfsm validate --spec examples/specs/long-running-operation.toml examples/specs/lro-*.json
  jobfsm spec --check my-lifecycle.toml
  jobfsm spec --diff old.toml new.toml
  jobfsm coverage --format junit -o coverage.xml --fail-under 80 examples/*.json
  jobfsm paths --format jsonl -o covering.jsonl
  jobfsm serve --all-quirks --har polls.har notStarted inProgress completed

exit codes: 0 valid, 1 violations at the failing severity, 2 usage or input error
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code instead of raising."""
    parser = _parser()
    if not (sys.argv[1:] if argv is None else argv):
        return _no_command(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: argparse has printed why
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    if sys.stdout is None:
        _complain("jobfsm: error: standard output is closed")
        return EXIT_INPUT
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")  # names in traces may not fit the terminal's encoding
    try:
        return int(args.run(args))
    except JobFSMError as exc:
        from jobfsm.report import one_line

        _complain(f"jobfsm: error: {one_line(str(exc))}")
        return EXIT_INPUT
    except OSError as exc:  # standard output is written through _Out, which a reader that left cannot break
        _complain(f"jobfsm: error: cannot write the output: {exc.strerror or exc}")
        _drop_stdout()
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130


def _no_command(parser: argparse.ArgumentParser) -> int:
    """No arguments at all: the usage and the commands, as -h lists them, then what is missing."""
    text = parser.format_help()
    start = text.index("\ncommands:\n")
    commands = text[start:text.index("\n\n", start + 1)]
    sys.stderr.write(f"{parser.format_usage()}{commands}\n\njobfsm: error: give a command; jobfsm COMMAND -h tells "
                     "more about one\n")
    return EXIT_INPUT


class _Out:
    """Standard output for every command: a reader that leaves (``| head``, ``| true``) silences the rest
    of the output but not the run, whose exit code still gives the verdict."""

    def __init__(self) -> None:
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return sys.stdout.write(text)
            except BrokenPipeError:
                self._broke()
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        """Binary output (images), after any text already written."""
        self.flush()
        if not self.broken:
            try:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            except BrokenPipeError:
                self._broke()

    def flush(self) -> None:
        if not self.broken:
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                self._broke()

    def _broke(self) -> None:
        self.broken = True
        _drop_stdout()


def _write(text: str) -> None:
    """One or more lines on standard output, through ``_Out``."""
    out = _Out()
    out.write(text + "\n")
    out.flush()


def _complain(text: str) -> None:
    """One line on standard error; a standard error nobody reads any more is no reason to fail otherwise."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr, flush=True)


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, sys.stdout.fileno())
        finally:
            os.close(null)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobfsm", description="Check recorded polls of Microsoft Graph / OneDrive monitor URLs "
        "against the asyncJobStatus lifecycle.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"jobfsm {__version__} ({_build()})")
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    val = sub.add_parser("validate", help="validate trace files", epilog=EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Validate trace files: text (one status per line), JSON arrays of "
                         "statuses or bodies, JSON Lines of bodies. '-' reads standard input.")
    val.add_argument("paths", nargs="+", metavar="PATH")
    val.add_argument("--input-format", choices=("auto", "text", "json", "jsonl", "har", "cassette"), default="auto",
                     help="input format (default: by extension, else sniffed)")
    val.add_argument("--job-key", metavar="FIELD",
                     help="field naming the job in logs of many jobs (default: job)")
    val.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                     help="validate the files in N processes (default 1); the report keeps their order")
    val.add_argument("--window", type=int, metavar="N",
                     help="logs: the jobs that ended last, at least N (default 16384), still take late polls; "
                     "a poll of a job that ended before them starts a new job")
    _spec_option(val)
    _judging(val)
    val.set_defaults(run=_validate)

    chk = sub.add_parser("check", help="validate a sequence of statuses typed inline",
                         description="Validate statuses given as arguments, in order.")
    chk.add_argument("statuses", nargs="+", metavar="STATUS")
    _spec_option(chk)
    _judging(chk)
    chk.set_defaults(run=_check)

    spec = sub.add_parser("spec", help="print the lifecycle; lint spec files (--check) or compare two (--diff)",
                          description="Print the lifecycle (built-in, or --spec FILE); in TOML or JSON it is a "
                          "spec file to start your own from. --check lints spec files: exit 0 clean, 1 problems, "
                          "2 unreadable. --diff compares two: exit 0 identical, 1 different.")
    spec.add_argument("--format", choices=("text", "json", "toml"), default="text",
                      help="text, json or toml (toml: printing only)")
    _spec_option(spec)
    spec.add_argument("--check", action="store_true", help="lint the spec files FILE..., every problem at once")
    spec.add_argument("--diff", action="store_true",
                      help="compare two spec files, FILE... being OLD NEW: statuses, edges and aliases added, removed "
                      "or changed, and the status pairs whose legality changes in each mode")
    spec.add_argument("files", nargs="*", metavar="FILE", help="with --check, the files to lint; with --diff, OLD NEW")
    spec.set_defaults(run=_spec)

    rules = sub.add_parser("rules", help="print the rule ids with their default severities")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rules.set_defaults(run=_rules)

    ren = sub.add_parser("render", help="draw the lifecycle (DOT, Mermaid, SVG, PNG, PDF), or a trace over it",
                         epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Draw the lifecycle. DOT and Mermaid need nothing else; SVG, PNG and PDF "
                         "need Graphviz: pip install 'jobfsm[render]', or the dot program with pip install "
                         "graphviz.")
    ren.add_argument("--format", choices=("dot", "mermaid", *IMAGE_FORMATS),
                     help="output format (default: from the -o extension, else dot)")
    ren.add_argument("-o", "--output", metavar="PATH", help="write here instead of standard output")
    ren.add_argument("--direction", choices=DIRECTIONS, default="LR", help="layout direction (default LR)")
    ren.add_argument("--title", help="the diagram's title")
    _spec_option(ren)
    ren.add_argument("--trace", metavar="FILE", help="draw this recorded trace over the lifecycle")
    ren.add_argument("--job", metavar="KEY", help="with --trace: the job to draw, in a log of several")
    ren.add_argument("--job-key", metavar="FIELD", help="with --trace: the field naming jobs (default: job)")
    ren.add_argument("--mode", choices=MODES, default="sampled", help="with --trace: how to judge it")
    ren.add_argument("--input-format", choices=("auto", "text", "json", "jsonl", "har", "cassette"), default="auto")
    ren.add_argument("--backend", choices=BACKENDS, default="auto",
                     help="Graphviz for images: the system dot, pygraphviz, or whichever is there (default)")
    ren.add_argument("--check", metavar="DIR", help="check that the diagrams in DIR match the spec (exit 1 if not)")
    ren.add_argument("--update", metavar="DIR", help="write the lifecycle's DOT, Mermaid, Markdown and SVG to DIR")
    ren.set_defaults(run=_render)

    docs = sub.add_parser("docs", help="write the Markdown lifecycle page")
    docs.add_argument("-o", "--output", metavar="PATH", help="write here instead of standard output")
    docs.add_argument("--svg", default="lifecycle.svg", metavar="HREF",
                      help="the address of the image the page shows, relative to the page (default lifecycle.svg; "
                      "'' for none); this writes no image: draw it with jobfsm render -o")
    _spec_option(docs)
    docs.set_defaults(run=_docs)
    _coverage_parser(sub)
    _paths_parser(sub)
    from jobfsm import serve

    serve.add_parser(sub)
    return parser


def _build() -> str:
    """Whether this install reads logs with the C accelerator, for --version."""
    import importlib.util

    if os.environ.get("JOBFSM_PURE"):
        return "pure Python: JOBFSM_PURE is set"
    return "C accelerator built" if importlib.util.find_spec("jobfsm._speedups") else "pure Python: no C accelerator"


def _spec_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", metavar="FILE",
                   help="the lifecycle in this spec file (TOML or JSON) instead of the built-in asyncJobStatus")


def _lifecycle(args: argparse.Namespace) -> Spec:
    """The spec the command works on: --spec FILE, else the built-in lifecycle."""
    if args.spec:
        from jobfsm.specfile import read_spec

        return read_spec(args.spec)
    from jobfsm.lifecycle import LIFECYCLE

    return LIFECYCLE


def _judging(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=MODES, default="sampled",
                   help="sampled: polls may skip statuses (default); strict: every change is one edge")
    p.add_argument("--complete", action="store_true",
                   help="require complete traces: start at the initial status and end terminal")
    p.add_argument("--fail-on", choices=SEVERITIES, default="error",
                   help="lowest severity that fails a job (default: error)")
    p.add_argument("--severity", action="append", default=[], metavar="RULE=LEVEL",
                   help=f"set a rule's severity ({', '.join(LEVELS)}); repeatable")
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    p.add_argument("-q", "--quiet", action="store_true",
                   help=QUIET_HELP)


def _options(args: argparse.Namespace) -> Options:
    from jobfsm.validation import Options

    severity: dict[str, str] = {}
    for item in args.severity:
        rule, sep, level = item.partition("=")
        if not sep:
            raise OptionsError(f"--severity {item!r}: expected RULE=LEVEL, e.g. unknown-status=error")
        severity[rule.strip()] = level.strip()
    return Options(args.mode, args.complete, args.fail_on, severity)


def _validate(args: argparse.Namespace) -> int:
    from jobfsm.output import Writer
    from jobfsm.progress import Meter

    options = _options(args)
    spec = _lifecycle(args)
    fmt = None if args.input_format == "auto" else args.input_format
    if args.jobs < 1:
        raise OptionsError(f"--jobs {args.jobs}: expected a number of processes, 1 or more")
    if args.window is not None and not 1 <= args.window <= MAX_WINDOW:
        raise OptionsError(f"--window {args.window}: expected a number of ended jobs from 1 to {MAX_WINDOW:,} "
                           "(each costs about 150 bytes while it waits)")
    writer = Writer(_Out(), args.format, args.mode, args.fail_on, quiet=args.quiet)
    meter = Meter.for_terminal(len(args.paths), args.quiet)
    try:
        if args.jobs > 1 and len(args.paths) > 1:
            _validate_pool(args.paths, options, spec, fmt, args, writer, meter)
        else:
            from jobfsm.inputs import validate_path
            from jobfsm.validation import Validator

            validator = Validator(options, spec)
            for path in args.paths:
                _, problems = validate_path(path, validator, fmt=fmt, job_key=args.job_key, emit=writer.job,
                                            clean=writer.clean if writer.counts_clean else None, meter=meter,
                                            window=args.window)
                writer.source_problems(problems)
                if meter:
                    meter.file_done()
    finally:
        if meter:
            meter.close()
    writer.close()
    t = writer.tally
    return EXIT_INPUT if t.input_errors else EXIT_OK if t.ok else EXIT_VIOLATIONS


def _validate_pool(paths: list[str], options: Options, spec: Spec, fmt: Format | None, args: argparse.Namespace,
                   writer: Writer, meter: Meter | None) -> None:
    """Validate files in ``args.jobs`` processes; each writes its part to a temporary file, pasted in
    the order the files were given (standard input is read here, in turn)."""
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    from jobfsm.output import validate_part

    with tempfile.TemporaryDirectory(prefix="jobfsm-") as tmp, ProcessPoolExecutor(args.jobs) as pool:
        futures = [None if path == "-" else
                   pool.submit(validate_part, path, os.path.join(tmp, f"{i}.part"), options, spec, fmt,
                               args.job_key, args.format, args.quiet, args.window)
                   for i, path in enumerate(paths)]
        for i, (path, future) in enumerate(zip(paths, futures, strict=True)):
            part = os.path.join(tmp, f"{i}.part")
            tally, problems = (validate_part(path, part, options, spec, fmt, args.job_key, args.format,
                                             args.quiet, args.window) if future is None else future.result())
            with open(part, encoding="utf-8") as f:
                writer.paste(f, tally, problems)
            os.remove(part)
            if meter:
                meter.file_done()


def _check(args: argparse.Namespace) -> int:
    from jobfsm.validation import Validator

    report = Validator(_options(args), _lifecycle(args)).validate(args.statuses, source="<arguments>")
    return _emit(report, args)


def _emit(report: Report, args: argparse.Namespace) -> int:
    from jobfsm.output import Writer

    writer = Writer(_Out(), args.format, args.mode, args.fail_on, quiet=args.quiet)
    for job in report.jobs:
        writer.job(job)
    writer.source_problems(report.input_errors)
    writer.close()
    return EXIT_INPUT if report.input_errors else EXIT_OK if report.ok else EXIT_VIOLATIONS


def _spec(args: argparse.Namespace) -> int:
    from jobfsm.specfile import to_json, to_toml

    if args.check or args.diff:
        if args.check and args.diff:
            raise OptionsError("--check and --diff: give one of them")
        if args.diff and len(args.files) != 2:
            raise OptionsError(f"--diff compares two spec files, OLD and NEW; found {len(args.files)}")
        if not args.files:
            raise OptionsError("--check: give the spec files to lint")
        if args.spec:
            raise OptionsError(f"--spec goes with printing a lifecycle; {'--check' if args.check else '--diff'} "
                               "names its own files")
        if args.format == "toml":
            raise OptionsError("--format toml prints a lifecycle; --check and --diff report in text or json")
        if args.check:
            return _spec_check(args.files, args.format)
        return _spec_diff(args.files[0], args.files[1], args.format)
    if args.files:
        raise OptionsError(f"{args.files[0]}: spec files go with --check or --diff; to print one, give --spec FILE")
    spec = _lifecycle(args)
    if args.format == "json":
        _write(json.dumps(to_json(spec), indent=1, ensure_ascii=False))
        return EXIT_OK
    if args.format == "toml":
        _write(to_toml(spec).rstrip("\n"))
        return EXIT_OK
    from jobfsm.report import one_line as o

    width = max(len(o(n)) for n in (*spec.names, *(a.name for a in spec.aliases)))
    lines = [f"lifecycle {o(spec.name)}", "", "statuses:"]
    for s in spec.statuses:
        kind = f"{s.kind} ({s.outcome})" if s.outcome else s.kind
        lines.append(f"  {o(s.name):<{width}}  {kind:<20}  {o(s.meaning)}")
    lines += ["", "transitions:"]
    ewidth = max(len(o(e.event)) for e in spec.edges)
    for e in spec.edges:
        lines.append(f"  {o(e.source):<{width}}  -{o(e.event):-<{ewidth}}->  {o(e.dest):<{width}}  {o(e.reason)}")
    lines += ["", "aliases:"]
    lines += [f"  {o(a.name):<{width}}  -> {o(a.target or '(no counterpart)'):<16}  {o(a.note)}" for a in spec.aliases]
    lines += ["", "notes:"] + [f"  - {o(n)}" for n in spec.notes]
    _write("\n".join(lines))
    return EXIT_OK


def _spec_check(paths: list[str], fmt: str) -> int:
    """Lint spec files: every problem, one line each; exit 2 if one cannot be read, else 1 on problems."""
    from jobfsm.report import one_line, plural
    from jobfsm.specfile import check_spec

    results = []
    code = EXIT_OK
    for path in paths:
        try:
            spec, problems = check_spec(path)
        except SpecFileError as exc:
            results.append({"file": path, "ok": False, "readable": False, "problems": [
                {"line": exc.line, "entry": None, "message": str(exc)}]})
            if fmt == "text":
                _complain(f"jobfsm: error: {one_line(str(exc))}")
            code = EXIT_INPUT
            continue
        if problems and code == EXIT_OK:
            code = EXIT_VIOLATIONS
        results.append({"file": path, "ok": not problems, "readable": True, "problems": [
            {"line": p.line, "entry": p.entry, "message": p.message} for p in problems]})
        if fmt == "text":
            lines = [str(p) for p in problems]
            if spec is None:
                lines.append(f"{path}: {plural(len(problems), 'problem')}")
            else:
                lines.append(f"{path}: ok ({spec.name}: {plural(len(spec.statuses), 'status', 'statuses')}, "
                             f"{plural(len(spec.edges), 'edge')}, {plural(len(spec.aliases), 'alias', 'aliases')})")
            _write("\n".join(map(one_line, lines)))
    if fmt == "json":
        _write(json.dumps({"schema": "jobfsm.speccheck/1", "ok": code == EXIT_OK, "files": results}, indent=1,
                          ensure_ascii=False))
    return code


def _spec_diff(old: str, new: str, fmt: str) -> int:
    from jobfsm.specdiff import diff
    from jobfsm.specfile import read_spec

    changes = diff(read_spec(old), read_spec(new))
    if fmt == "json":
        _write(json.dumps({**changes.to_dict(), "old_file": old, "new_file": new}, indent=1, ensure_ascii=False))
    else:
        _write(changes.text(old, new))
    return EXIT_OK if changes.identical else EXIT_VIOLATIONS


def _rules(args: argparse.Namespace) -> int:
    if args.format == "json":
        _write(json.dumps({"schema": "jobfsm.rules/1", "rules": [
            {"rule": r.id, "severity": r.severity, "meaning": r.meaning} for r in RULES]}, indent=1))
    else:
        width = max(len(r.id) for r in RULES)
        _write("\n".join(f"{r.id:<{width}}  {r.severity:<7}  {r.meaning}" for r in RULES))
    return EXIT_OK


_EXTENSIONS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid", ".svg": "svg", ".png": "png",
               ".pdf": "pdf"}


def _render(args: argparse.Namespace) -> int:
    from jobfsm.docs import check_diagrams, update_diagrams
    from jobfsm.render import check_drawable, render_image, to_dot, to_mermaid

    _render_options(args)
    spec = _lifecycle(args)
    if args.check is not None or args.update is not None:
        folder = args.check if args.check is not None else args.update
        if not folder:
            raise OptionsError("--check and --update need a directory")
        if args.update:
            check_drawable(spec, args.spec or "the lifecycle")
            try:
                written = update_diagrams(folder, spec, args.backend)
            except OSError as exc:
                raise OptionsError(f"cannot write the diagrams to {folder}: {exc.strerror or exc}") from None
            for path in written:
                _complain(f"wrote {path}")
        elif not os.path.isdir(folder):
            raise OptionsError(f"--check {folder}: not a directory")
        drifted = check_diagrams(folder, spec)
        for line in drifted:
            _write(f"drifted: {line}")
        if not drifted:
            _write(f"{folder}: the diagrams match the spec")
        return EXIT_VIOLATIONS if drifted else EXIT_OK
    fmt = _render_format(args.format, args.output)
    overlay = None
    if args.trace:
        from jobfsm.overlay import overlay_from_file
        from jobfsm.validation import Options, Validator

        validator = Validator(Options(args.mode), spec)
        input_format = None if args.input_format == "auto" else args.input_format
        overlay = overlay_from_file(args.trace, validator, fmt=input_format, job_key=args.job_key, job=args.job)
    make = to_mermaid if fmt == "mermaid" else to_dot
    text = make(spec, direction=args.direction, title=args.title, overlay=overlay)
    if fmt not in ("dot", "mermaid"):
        check_drawable(spec, args.spec or "the lifecycle", overlay)
    data = text.encode() if fmt in ("dot", "mermaid") else render_image(text, fmt, args.backend)
    if args.output and args.output != "-":
        _save(args.output, data)
    elif fmt in ("png", "pdf") and sys.stdout.isatty():
        raise OptionsError(f"{fmt} is binary: write it to a file with -o, or redirect standard output")
    else:
        _Out().write_bytes(data)
    return EXIT_OK


def _render_options(args: argparse.Namespace) -> None:
    """Refuse options that the chosen kind of render would silently ignore."""
    def given(*names: str) -> list[str]:
        defaults = {"direction": "LR", "mode": "sampled", "input_format": "auto"}
        return [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) not in (None, defaults.get(n))]

    if args.check is not None and args.update is not None:
        raise OptionsError("--check and --update: give one of them")
    if args.check is not None or args.update is not None:
        extra = given("format", "output", "direction", "title", "trace", "job", "job_key", "mode", "input_format")
        if extra:
            raise OptionsError(f"{'--check' if args.check else '--update'} draws the committed diagrams only; "
                               f"drop {', '.join(extra)}")
    elif not args.trace and (extra := given("job", "job_key", "mode", "input_format")):
        raise OptionsError(f"{', '.join(extra)} only go with --trace FILE")


def _render_format(fmt: str | None, output: str | None) -> str:
    """The output format: --format, else the extension of -o, else DOT; a mismatch is an error."""
    ext = os.path.splitext(output or "")[1].lower()
    implied = _EXTENSIONS.get(ext)
    if output and ext and implied is None and fmt is None:
        raise OptionsError(f"-o {output}: cannot tell the format from {ext!r}; use --format "
                           f"({', '.join(sorted(set(_EXTENSIONS.values())))})")
    if fmt and implied and implied != fmt:
        raise OptionsError(f"-o {output} looks like {implied}, but --format is {fmt}")
    return fmt or implied or "dot"


def _docs(args: argparse.Namespace) -> int:
    from jobfsm.docs import markdown

    page = markdown(_lifecycle(args), svg=args.svg or None)
    if args.output and args.output != "-":
        _save_text(args.output, page)
    else:
        _write(page.rstrip("\n"))
    return EXIT_OK


def _save_text(path: str, text: str) -> None:
    """Write a text file in UTF-8, with the escapes standard output uses for what UTF-8 cannot hold (a file
    name that is not UTF-8 shows as ``\\udcff``, as it does on the terminal)."""
    _save(path, text.encode("utf-8", "backslashreplace"))


def _save(path: str, data: bytes) -> None:
    """Write a file; a FIFO nobody reads is an error at once, not a wait."""
    with _create(path) as f:
        _write_to(f, path, data)


def _create(path: str) -> BinaryIO:
    """Open a file to write (created, or emptied); a FIFO nobody reads is an error at once, not a wait."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NONBLOCK", 0), 0o666)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return open(fd, "wb")
    except OSError as exc:
        raise OptionsError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_to(f: BinaryIO, path: str, data: bytes) -> None:
    """Write all of ``data`` to a file ``_create`` opened, and flush it."""
    try:
        f.write(data)
        f.flush()
    except OSError as exc:
        raise OptionsError(f"cannot write {path}: {exc.strerror or exc}") from None


# --- jobfsm coverage: which statuses and edges a set of traces exercised ---

def _coverage_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cov = sub.add_parser("coverage", help="which statuses and edges a set of traces exercised, and which not",
                         description="Report the statuses and edges of the lifecycle that the traces exercised, "
                         "with counts (edges inferred from sampled skips shown apart), and the legal edges "
                         "never seen. Exit 1 when edge coverage is under --fail-under.")
    cov.add_argument("paths", nargs="+", metavar="PATH")
    cov.add_argument("--format", choices=("text", "json", "junit"), default="text", help="report format")
    cov.add_argument("-o", "--output", metavar="PATH", help="write the report here instead of standard output")
    cov.add_argument("--fail-under", type=_percent, metavar="PCT",
                     help="exit 1 when fewer than PCT percent of the edges are covered")
    cov.add_argument("--count-inferred", action="store_true",
                     help="let edges and statuses inferred from sampled skips count as covered")
    cov.add_argument("--mode", choices=MODES, default="sampled",
                     help="sampled: polls may skip statuses (default); strict: every change is one edge")
    cov.add_argument("--input-format", choices=("auto", "text", "json", "jsonl", "har", "cassette"), default="auto")
    cov.add_argument("--job-key", metavar="FIELD", help="field naming the job in logs of many jobs (default: job)")
    _spec_option(cov)
    cov.set_defaults(run=_coverage)


def _percent(text: str) -> float:
    try:
        value = float(text.removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, found {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, found {text!r}")
    return value + 0.0  # -0 is 0: the verdict says 0%, never -0%


def _coverage(args: argparse.Namespace) -> int:
    from jobfsm.coverage import CoverageCollector
    from jobfsm.validation import Options

    collector = CoverageCollector(Options(args.mode), _lifecycle(args), count_inferred=args.count_inferred)
    fmt = None if args.input_format == "auto" else args.input_format
    for path in args.paths:
        collector.add_path(path, fmt=fmt, job_key=args.job_key)
    result = collector.result()
    below = args.fail_under is not None and result.below(args.fail_under)
    if args.format == "json":
        text = json.dumps({**result.to_dict(), "fail_under": args.fail_under,
                           "ok": not below and not result.input_errors}, indent=1)
    elif args.format == "junit":
        text = result.junit().rstrip("\n")
    else:
        text = result.text()
        if args.fail_under is not None:
            verdict = "FAILED" if below else "ok"
            text += (f"\n{verdict}: edge coverage {result.edge_percent:.1f}% "
                     f"{'is under' if below else 'reaches'} --fail-under {args.fail_under:g}%")
    if args.output and args.output != "-":
        _save_text(args.output, text + "\n")
        if below:  # the report is in the file: the failing verdict still says itself
            _complain(f"jobfsm: coverage: edge coverage {result.edge_percent:.1f}% is under --fail-under "
                      f"{args.fail_under:g}% (report in {args.output})")
    else:
        _write(text)
    return EXIT_INPUT if result.input_errors else EXIT_VIOLATIONS if below else EXIT_OK


# --- jobfsm paths: the fewest legal traces that cover the lifecycle ---

PATHS_POLL_LIMIT = 100_000
"""The most polls ``jobfsm paths`` writes (through ``--repeat``): the traces are built in memory."""


def _paths_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pth = sub.add_parser("paths", help="write the fewest legal traces that together cover every edge",
                         description="Write the fewest complete legal traces (notStarted to a terminal status) "
                         "that together take every edge of the lifecycle, as asyncJobStatus bodies with a rising "
                         "percentageComplete and a resourceId on completion, each carrying its trace's name "
                         "under the job key: jobfsm validate and jobfsm coverage read them as jobs.")
    pth.add_argument("--format", choices=("json", "jsonl", "text"), default="json",
                     help="a JSON array of bodies (default), JSON Lines, or one line of statuses per trace")
    pth.add_argument("-o", "--output", metavar="PATH", help="write here instead of standard output")
    pth.add_argument("--statuses", action="store_true",
                     help="cover every status instead of every edge: fewer traces (every edge covers every status)")
    pth.add_argument("--repeat", type=int, metavar="N",
                     help=f"with json or jsonl: polls per visit to a non-terminal status (default 1; at most what "
                     f"keeps the traces to {PATHS_POLL_LIMIT} polls)")
    pth.add_argument("--job-key", metavar="FIELD", help="with json or jsonl: field naming each trace (default: job)")
    _spec_option(pth)
    pth.set_defaults(run=_paths)


def _paths(args: argparse.Namespace) -> int:
    from jobfsm.inputs import check_job_key
    from jobfsm.paths import Target, covering_traces, covering_walks

    cover: Target = "statuses" if args.statuses else "edges"
    spec = _lifecycle(args)
    walks = covering_walks(spec, cover=cover)
    if args.format == "text":
        if extra := [o for o, v in (("--repeat", args.repeat), ("--job-key", args.job_key)) if v is not None]:
            verb = "shapes" if len(extra) == 1 else "shape"
            raise OptionsError(f"{' and '.join(extra)} {verb} the bodies of --format json and jsonl; --format text "
                               "prints statuses only: drop them")
        width = len(str(len(walks)))
        text = "\n".join(f"path-{n:0{width}d}: {' '.join(w)}" for n, w in enumerate(walks, 1))
    else:
        repeat = 1 if args.repeat is None else args.repeat
        visits = sum(1 for w in walks for status in w if not spec.is_terminal(status))
        most = max(1, (PATHS_POLL_LIMIT - len(walks)) // max(visits, 1))
        if not 1 <= repeat <= most:
            raise OptionsError(f"--repeat {repeat}: expected a number of polls per visit from 1 to {most} (the "
                               f"traces hold at most {PATHS_POLL_LIMIT} polls)")
        job_key = check_job_key("job" if args.job_key is None else args.job_key)
        log = covering_traces(spec, cover=cover, repeat=repeat, job_key=job_key)
        text = "\n".join(json.dumps(body) for body in log) if args.format == "jsonl" else json.dumps(log, indent=1)
    if args.output and args.output != "-":
        _save_text(args.output, text + "\n")
    else:
        _write(text)
    return EXIT_OK
