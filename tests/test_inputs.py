"""Pins jobfsm.inputs: what may be opened, format sniffing on files and pipes, the command's output edges."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobfsm import Validator
from jobfsm.inputs import validate_path

RUN = [sys.executable, "-m", "jobfsm"]
EXAMPLES = Path(__file__).parent.parent / "examples"
SHARED = Path(__file__).parent / "data" / "shared"


def jobfsm(*args: str, stdin: bytes | None = None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the real command with a time limit, so that a hang fails the test instead of stalling it."""
    return subprocess.run([*RUN, *args], input=stdin.decode() if stdin is not None else None, capture_output=True,
                          text=True, timeout=60, **kwargs)  # type: ignore[call-overload, no-any-return]


def test_fifo_without_writer_reads_as_empty(tmp_path: Path) -> None:
    """A named pipe nobody writes to is reported as empty at once, and the next file is still validated."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = jobfsm("validate", str(fifo), str(EXAMPLES / "legal.json"))
    assert done.returncode == 2
    assert f"{fifo}: input error: no polls found: expected statuses or asyncJobStatus bodies" in done.stdout
    assert "legal.json: ok (final completed, 4 polls)" in done.stdout


def test_closed_stdin_is_an_input_error() -> None:
    """`-` with standard input closed is one input error; the other files are still validated."""
    done = subprocess.run([*RUN, "validate", "-", str(EXAMPLES / "legal.json")], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, preexec_fn=lambda: os.close(0))
    assert done.returncode == 2
    assert done.stdout.splitlines()[0] == "<stdin>: input error: standard input is closed"
    assert done.stderr == ""


def test_full_output_device_is_one_line_error() -> None:
    """Writing the report to a full device fails with one line on standard error, exit 2."""
    with open("/dev/full", "w") as full:
        done = subprocess.run([*RUN, "validate", str(EXAMPLES / "legal.json")], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, "jobfsm: error: cannot write the output: No space left on device\n")


def test_broken_pipe_keeps_the_verdict() -> None:
    """A reader that leaves early (`| head -1`) does not turn a failing verdict into success."""
    done = subprocess.run(f"{' '.join(RUN)} validate {EXAMPLES}/illegal.json {EXAMPLES}/statuses.txt | head -c 10; "
                          "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, "")


SPECS = Path(__file__).parent.parent / "jobfsm"


@pytest.mark.parametrize(("argv", "code"), [
    (["coverage", "--fail-under", "100", str(EXAMPLES / "legal.json")], 1),
    (["spec", "--diff", str(SPECS / "asyncjobstatus.toml"), str(EXAMPLES / "specs" / "long-running-operation.toml")],
     1),
    (["spec", "--check", "BAD"], 1),
    (["check", "completed", "inProgress"], 1),
    (["validate", "--format", "json", str(EXAMPLES / "illegal.json")], 1),
    (["validate", "missing.json"], 2),
    (["render", "--check", "DIR"], 1),
    (["rules"], 0),
], ids=["coverage-under", "spec-diff", "spec-check", "check", "validate-json", "validate-missing", "render-check",
        "rules"])
def test_closed_standard_output_keeps_every_verdict(argv: list[str], code: int, tmp_path: Path) -> None:
    """A standard output whose reader has gone (`| true`) silences the output, never the exit code, in every
    command."""
    (tmp_path / "bad.toml").write_text('name = "x"\n')
    argv = [str(tmp_path / "bad.toml") if a == "BAD" else str(tmp_path) if a == "DIR" else a for a in argv]
    read, write = os.pipe()
    os.close(read)  # every write to standard output now fails with EPIPE, as after `| true`
    try:
        done = subprocess.run([*RUN, *argv], stdout=write, stderr=subprocess.PIPE, text=True, timeout=60,
                              cwd=tmp_path)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (code, "")


def test_output_in_a_narrow_encoding_escapes() -> None:
    """Names that the output encoding cannot show are escaped, not a UnicodeEncodeError."""
    done = jobfsm("check", "inProgress", "fértig", env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0
    assert "unknown status 'f\\xe9rtig'" in done.stdout


@pytest.mark.parametrize("lead", [b"", b"\n" * 70, b" " * 5000], ids=["none", "70-newlines", "5000-spaces"])
def test_stdin_is_sniffed_from_a_whole_first_line(lead: bytes) -> None:
    """Standard input is sniffed from its first non-blank line, however much white space comes first."""
    done = jobfsm("validate", "-", stdin=lead + b'["completed",\n"inProgress"]\n')
    assert done.returncode == 1
    assert "left-terminal" in done.stdout


def test_stdin_sniffing_waits_for_slow_writers() -> None:
    """A pipe that delivers its first byte early and the rest later gets the same verdict."""
    done = subprocess.run(f"(printf ' '; sleep 1; printf '[\"completed\",\"inProgress\"]\\n') | {' '.join(RUN)} "
                          "validate -", shell=True, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "left-terminal" in done.stdout


def test_sniffed_file_with_leading_blank_lines(tmp_path: Path) -> None:
    """A JSON array after many blank lines in a file of unknown extension is still read as JSON."""
    path = tmp_path / "trace.out"
    path.write_bytes(b"\n" * 70 + b'["completed",\n"inProgress"]\n')
    jobs, problems = validate_path(str(path), Validator())
    assert problems == []
    assert next((v.rule, v.location) for j in jobs for v in j.violations) == ("left-terminal", f"{path}:72")


@pytest.mark.parametrize("how", ["stdin", "unknown-extension"])
def test_yaml_cassette_is_sniffed(how: str, tmp_path: Path) -> None:
    """A YAML cassette on standard input or under an unknown extension is read as a cassette, not as text."""
    data = (SHARED / "vcr-doc-flow.yaml").read_bytes()
    if how == "stdin":
        done, name = jobfsm("validate", "-", stdin=data), "<stdin>"
    else:
        (tmp_path / "polls.rec").write_bytes(data)
        done, name = jobfsm("validate", str(tmp_path / "polls.rec")), str(tmp_path / "polls.rec")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        f"{name} job https://contoso-placeholder.example/_api/v2.0/monitor/00000000-0000-0000-0000-00000000000a: "
        "ok (final completed, 2 polls)\nok: 1 job, 0 failed, 2 polls; 0 errors, 0 warnings, 0 infos (sampled mode)\n")


@pytest.mark.parametrize(("content", "fmt"), [
    (b'{"job":"a","status":"inProgress","@odata.context":"https://x/#y"}\n', "jsonl"),
    (b"notStarted\n# a comment\ncompleted\n", "text"),
], ids=["json-lines", "statuses"])
def test_a_log_file_is_sniffed(content: bytes, fmt: str) -> None:
    """A .log holds JSON Lines as often as text: its first line decides, not its name."""
    from jobfsm.inputs import detect_format

    assert detect_format("app.log", content) == fmt
