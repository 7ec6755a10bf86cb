"""Coverage-guided fuzzing of every jobfsm reader with atheris (optional; pytest does not collect it).

Each target feeds the fuzzer's bytes to one input format, exactly as ``jobfsm validate`` would read a file
of that format, or to the spec-file parser, and fails on anything but the project's own behaviour: a
report and located one-line input problems, or a ``JobFSMError``. Any other exception, a problem or
violation spread over several lines, not naming the file, or speaking Python (``'int' object is not
subscriptable``, ``None``) instead of saying what was expected, is a finding.

Run it (atheris has wheels for Linux and the common CPython versions; elsewhere it builds with clang)::

    pip install atheris
    python fuzz/fuzz_readers.py --target har -max_total_time=120
    python fuzz/fuzz_readers.py --target spec-toml -runs=100000 fuzz/corpus/spec-toml

Targets: text, json, jsonl, har, vcr-yaml, vcr-json, auto (sniffed from the content), spec-toml,
spec-json. Without a corpus directory, fuzz/corpus/TARGET/ is made (ignored by git) and seeded with the
shipped examples and the shared traces of that format. Every other argument goes to libFuzzer
(``-timeout=10 -rss_limit_mb=2048 -dict=fuzz/tokens.dict`` are set unless given; the dictionary holds
JSON, YAML and TOML tokens and the field names the readers look at). A finding leaves ``crash-*`` in the
current directory: replay it with ``python fuzz/fuzz_readers.py --target T crash-...``.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["jobfsm", "tomllib", "yaml"]):
    import jobfsm.recordings  # noqa: F401  (imported on first use otherwise: uninstrumented)
    from jobfsm.errors import JobFSMError
    from jobfsm.inputs import validate_path
    from jobfsm.specfile import parse_spec
    from jobfsm.validation import Validator

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [ROOT / "examples", ROOT / "examples" / "specs", ROOT / "tests" / "data" / "shared", ROOT / "jobfsm"]
# target: (input format for validate_path, file extension, seed file extensions)
TRACE_TARGETS: dict[str, tuple[str | None, str, tuple[str, ...]]] = {
    "text": ("text", ".txt", (".txt",)),
    "json": ("json", ".json", (".json",)),
    "jsonl": ("jsonl", ".jsonl", (".jsonl",)),
    "har": ("har", ".har", (".har",)),
    "vcr-yaml": ("cassette", ".yaml", (".yaml",)),
    "vcr-json": ("cassette", ".json", (".yaml",)),  # seeded from the YAML cassettes, converted
    "auto": (None, ".dat", (".txt", ".json", ".jsonl", ".har")),
}
SPEC_TARGETS = {"spec-toml": "toml", "spec-json": "json"}
VALIDATOR = Validator()
WORK = Path(tempfile.mkdtemp(prefix="jobfsm-fuzz-"))


# Python's words leaking into a message (outside the quoted values it shows): the reader did not say what it wanted
PYTHON_WORDS = re.compile(r"object (?:is not|has no)|NoneType|\b(?:None|True|False)\b|<class |Errno|Traceback")
QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def one_line(text: str, where: str) -> None:
    """A finding unless ``text`` is a non-empty single line in the project's words."""
    if not text or "\n" in text or "\r" in text:
        raise AssertionError(f"{where}: not a non-empty single line: {text!r}")
    if PYTHON_WORDS.search(QUOTED.sub("", text)):
        raise AssertionError(f"{where}: speaks Python, not JSON or the user's terms: {text!r}")


def trace_target(fmt: str | None, ext: str) -> Callable[[bytes], None]:
    """Validate the bytes as a file of one format; only located one-line problems or JobFSMError may come out."""
    path = str(WORK / f"input{ext}")

    def run(data: bytes) -> None:
        with open(path, "wb") as f:
            f.write(data)
        try:
            reports, problems = validate_path(path, VALIDATOR, fmt=fmt)  # type: ignore[arg-type]
        except JobFSMError as exc:
            one_line(str(exc), "error")
            return
        for p in problems:
            one_line(p.message, "problem")
            one_line(p.line(), "problem line")
            if not p.location.startswith(path):
                raise AssertionError(f"problem not located in the file: {p.line()!r}")
        for r in reports:
            for v in r.violations:
                one_line(v.line(), "violation")
            one_line(r.name, "job name")

    return run


def spec_target(fmt: str) -> Callable[[bytes], None]:
    """Parse the bytes as a spec file: a spec, or located one-line problems, or SpecFileError."""
    def run(data: bytes) -> None:
        try:
            spec, found = parse_spec(data, f"f.{fmt}", fmt)
        except JobFSMError as exc:
            one_line(str(exc), "error")
            if not str(exc).startswith(f"f.{fmt}"):
                raise AssertionError(f"error not located in the file: {exc}") from None
            return
        if (spec is None) != bool(found):
            raise AssertionError(f"a spec and problems at once, or neither: {spec!r} {found!r}")
        for p in found:
            one_line(str(p), "spec problem")

    return run


def seed(target: str, folder: Path) -> None:
    """Copy the shipped examples and shared traces of the target's format into ``folder``; cassettes in
    JSON and spec files in JSON are the YAML cassettes and TOML specs converted."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    exts = (".toml",) if target in SPEC_TARGETS else TRACE_TARGETS[target][2]
    for src in SEEDS:
        for path in sorted(src.glob("*")):
            if path.suffix not in exts or path.name == "expected.json":
                continue
            data = path.read_bytes()
            if target == "vcr-json":
                import yaml

                data = json.dumps(yaml.safe_load(data)).encode()
            elif target == "spec-json":
                from jobfsm.specfile import read_spec, to_json

                data = json.dumps(to_json(read_spec(str(path))), indent=1).encode()
            (folder / path.name).write_bytes(data)


def main() -> None:
    args, target = [sys.argv[0]], "auto"
    rest = iter(sys.argv[1:])
    for arg in rest:
        if arg == "--target":
            target = next(rest, "")
        elif arg.startswith("--target="):
            target = arg.split("=", 1)[1]
        else:
            args.append(arg)
    if target in TRACE_TARGETS:
        fmt, ext, _ = TRACE_TARGETS[target]
        test = trace_target(fmt, ext)
    elif target in SPEC_TARGETS:
        test = spec_target(SPEC_TARGETS[target])
    else:
        sys.exit(f"unknown target {target!r}; expected one of {', '.join([*TRACE_TARGETS, *SPEC_TARGETS])}")
    if not any(not a.startswith("-") for a in args[1:]):
        corpus = ROOT / "fuzz" / "corpus" / target
        seed(target, corpus)
        args.append(str(corpus))
    for flag in ("-timeout=10", "-rss_limit_mb=2048", f"-dict={ROOT / 'fuzz' / 'tokens.dict'}"):
        if not any(a.startswith(flag.split("=")[0] + "=") for a in args):
            args.append(flag)
    try:
        atheris.Setup(args, test)
        atheris.Fuzz()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
