"""Pins the error-path corpus (tests/data/corpus): every broken input through `jobfsm validate` or `jobfsm spec`,
with its exit code, its exact one-line messages naming the file and the place, no traceback, bounded time and
memory, nothing executed, and the valid file given in the same run still validated and reported."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA

from jobfsm.cli import main

CORPUS = DATA / "corpus"
ROOT = DATA.parent.parent
CASES: list[dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())["cases"]
PLACES = {"legal": ROOT / "examples" / "legal.json",
          "legal_spec": ROOT / "examples" / "specs" / "long-running-operation.toml"}
MEMORY = 512 << 20
"""Address space a subprocess may use: a 50 MB input fits in it many times over, a leak or a blow-up does not."""
SECONDS = 60
"""Wall time a subprocess may take (a hang fails the case); in process, a case has a third of it."""

MIB = 1 << 20
DEEP = 100_000
MONITOR = "https://tenant.example/_api/v2.0/monitor/7"


def _har(*bodies: tuple[int, bytes]) -> bytes:
    entries = [{"request": {"method": "GET", "url": MONITOR, "headers": []},
                "response": {"status": code, "headers": [], "content": {"text": body.decode()}}}
               for code, body in bodies]
    return json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()


GENERATED: dict[str, Callable[[], bytes]] = {
    "text-50mb-line": lambda: b"x" * (50 * MIB) + b"\n",
    "json-50mb-line": lambda: (b'[{"status": "completed", "resourceId": "01A", "statusDescription": "'
                               + b"d" * (50 * MIB) + b'"}]'),
    "json-50mb-line-of-polls": lambda: b"[" + b'"inProgress",' * (50 * MIB // 13) + b'"completed"]',
    "jsonl-50mb-line": lambda: (b'{"status": "inProgress", "statusDescription": "' + b"d" * (50 * MIB)
                                + b'"}\n{"status": "bogus"}\n'),
    "har-50mb-body": lambda: _har((200, b'{"status": "completed", "resourceId": "01A", "statusDescription": "'
                                   + b"d" * (50 * MIB) + b'"}')),
    "har-deep": lambda: b'{"log": {"entries": ' + b"[" * DEEP + b"]" * DEEP + b"}}",
    "cassette-json-deep": lambda: b'{"interactions": ' + b"[" * DEEP + b"]" * DEEP + b', "version": 1}',
    "cassette-yaml-deep": lambda: b"interactions: " + b"[" * DEEP + b"]" * DEEP + b"\nversion: 1\n",
    "spec-json-deep": lambda: b'{"name": "x", "notes": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    "spec-json-100k-edges": lambda: (b'{"name": "x", "statuses": [{"name": "a", "kind": "initial"}, {"name": "z", '
                                     b'"kind": "terminal", "outcome": "success"}], "edges": ['
                                     + b"1, " * 99_999 + b"1]}"),
    "json-1mb-status": lambda: b'[{"status": "' + b"s" * MIB + b'"}, "failed"]',
    "har-1mb-status-in-500": lambda: _har((202, b'{"status": "inProgress"}'),
                                          (500, b'{"status": "' + b"s" * MIB + b'"}'),
                                          (200, b'{"status": "failed"}')),
}


def _make(kind: str, where: Path) -> Path:
    """Paths that cannot be read, made in ``where``: each fails to open for a reason of its own."""
    path = where / kind
    if kind == "symlink-loop":
        path.symlink_to(path.name)
    elif kind == "not-a-directory":
        (where / "plain.json").write_text("[]")
        path = where / "plain.json" / "trace.json"
    elif kind == "proc-self-mem":  # a regular file that no one, root included, can read from offset 0
        if not os.path.exists("/proc/self/mem"):
            pytest.skip("no /proc/self/mem here")
        path = Path("/proc/self/mem")
    elif kind == "mode-000":
        path.write_text("notStarted\n")
        path.chmod(0)
    elif kind == "directory":
        path.mkdir()
    else:
        raise AssertionError(f"unknown kind of path {kind!r}")
    return path


def _input(case: dict[str, Any], where: Path) -> Path:
    spec = case["input"]
    if isinstance(spec, str):
        return CORPUS / spec
    if "generate" in spec:
        path = where / spec["as"]
        path.write_bytes(GENERATED[spec["generate"]]())
        return path
    return _make(spec["make"], where)


def _fill(text: str, path: Path) -> str:
    """``text`` with {input}, {legal} and {legal_spec} replaced by their paths (messages hold other braces)."""
    for name, value in {"input": path, **PLACES}.items():
        text = text.replace(f"{{{name}}}", str(value))
    return text


def _argv(case: dict[str, Any], path: Path) -> list[str]:
    return [_fill(arg, path) for arg in case["argv"]]


def _expected(case: dict[str, Any], key: str, path: Path) -> list[str]:
    return [_fill(line, path) for line in case[key]]


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail a case that takes more than a third of SECONDS in process instead of letting it hang the suite."""
    def expire(*_: object) -> None:
        raise TimeoutError(f"the case took more than {SECONDS // 3} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(SECONDS // 3)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _check(case: dict[str, Any], path: Path, code: int, out: str, err: str) -> None:
    """Exit code, the exact lines naming the input, the valid file's verdict, the summary, and no traceback."""
    assert "Traceback" not in out + err
    assert code == case["exit"]
    lines = out.splitlines()
    assert [line for line in lines if str(path) in line] == _expected(case, "stdout", path)
    assert err.splitlines() == _expected(case, "stderr", path)
    assert all(str(path) in line for line in err.splitlines())  # every error names the file
    argv = case["argv"]
    if argv[0] == "validate" and case["stderr"]:  # a broken --spec stops the command before any trace is read
        assert (out, code) == ("", 2)
    elif argv[0] == "validate":
        assert _fill(case.get("legal_verdict", "{legal}: ok (final completed, 4 polls)"), path) in lines
        assert lines[-1].startswith("ok: " if code == 0 else "FAILED: ")
    elif "{legal_spec}" in argv:
        assert f"{PLACES['legal_spec']}: ok (longRunningOperationStatus: 4 statuses, 4 edges, 3 aliases)" in lines


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in cases]


def test_the_corpus_is_large_and_covers_every_format() -> None:
    """At least 40 broken inputs, every file on disk in the table, and every format and command among them."""
    on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()} - {"expected.json",
                                                                                                "README.md"}
    listed = {c["input"] for c in CASES if isinstance(c["input"], str)}
    assert on_disk == listed
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert sum(c["exit"] != 0 for c in CASES) >= 40
    suffixes = {Path(c["input"] if isinstance(c["input"], str) else c["input"].get("as", "")).suffix for c in CASES}
    assert {".txt", ".log", ".json", ".jsonl", ".har", ".yaml", ".toml"} <= suffixes
    assert {tuple(c["argv"][:2]) for c in CASES} >= {("validate", "{input}"), ("spec", "--check"),
                                                     ("validate", "--spec")}


IN_PROCESS = [c for c in CASES if not c.get("subprocess")]


@pytest.mark.parametrize("case", IN_PROCESS, ids=_ids(IN_PROCESS))
def test_corpus_case(case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str], deadline: None) -> None:
    """The command on one broken input gives its exit code and exact located lines, and creates nothing."""
    monkeypatch.chdir(tmp_path)
    path = _input(case, tmp_path)
    before = sorted(tmp_path.rglob("*"))
    code = main(_argv(case, path))
    out, err = capsys.readouterr()
    _check(case, path, code, out, err)
    assert sorted(tmp_path.rglob("*")) == before  # nothing was written: no tag ran, no file was made
    if case["argv"][0] == "validate" and "--spec" not in case["argv"]:
        assert main(["validate", "--format", "json", *_argv(case, path)[1:]]) == code
        report = json.loads(capsys.readouterr().out)
        problems = [f"{p['location']}: input error: {p['message']}" for p in report["input_errors"]]
        assert problems == [line for line in _expected(case, "stdout", path) if ": input error: " in line]


SUBPROCESS = [c for c in CASES if c.get("subprocess")]


@pytest.mark.parametrize("case", SUBPROCESS, ids=_ids(SUBPROCESS))
def test_corpus_case_in_a_real_process(case: dict[str, Any], tmp_path: Path) -> None:
    """`python -m jobfsm` under memory and time limits: the same lines, no traceback, nothing created."""
    path = _input(case, tmp_path)
    before = sorted(tmp_path.rglob("*"))
    done = subprocess.run([sys.executable, "-m", "jobfsm", *_argv(case, path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=SECONDS, preexec_fn=_limits)  # a hang raises TimeoutExpired
    _check(case, path, done.returncode, done.stdout, done.stderr)
    assert sorted(tmp_path.rglob("*")) == before


def test_mode_000_is_unreadable_when_not_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file its owner may not read is an input error (run only where permissions bind: not as root)."""
    if os.geteuid() == 0:
        pytest.skip("root reads a file of mode 000")
    path = _make("mode-000", tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0
    assert main(["validate", str(path), str(PLACES["legal"])]) == 2
    assert f"{path}: input error: cannot read: Permission denied" in capsys.readouterr().out.splitlines()
