"""Pins the streamed report: the same text and JSON as Report, parts pasted in order, --jobs, progress, pipes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from jobfsm import LIFECYCLE
from jobfsm.cli import main
from jobfsm.inputs import validate_path
from jobfsm.output import Tally, Writer, validate_part
from jobfsm.progress import Meter
from jobfsm.report import Report
from jobfsm.validation import Options, Validator

LOG = "".join(f'{{"job": "j{i % 3}", "status": "{s}"{r}}}\n'
              for i, (s, r) in enumerate([("notStarted", ""), ("inProgress", ""), ("notStarted", ""),
                                          ("completed", ', "resourceId": "x"'), ("failed", ""), ("bogus", "")]))


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """Four sources in tmp_path: a log of three jobs, a passing and a failing trace, a broken file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "log.jsonl").write_text(LOG)
    (tmp_path / "ok.txt").write_text("notStarted\ninProgress\nfailed\n")
    (tmp_path / "bad.txt").write_text("completed\ninProgress\n")
    (tmp_path / "broken.json").write_text('[{"status": "completed"')
    return ["log.jsonl", "ok.txt", "bad.txt", "broken.json", "missing.txt"]


def whole_report(paths, options=None):
    validator = Validator(options)
    jobs, problems = [], []
    for path in paths:
        found, bad = validate_path(path, validator)
        jobs += found
        problems += bad
    o = validator.options
    return Report(tuple(jobs), o.mode, o.fail_on, tuple(problems), tuple(paths))


def streamed(paths, fmt, *, quiet=False):
    out = io.StringIO()
    writer = Writer(out, fmt, "sampled", "error", quiet=quiet)
    validator = Validator()
    for path in paths:
        _, problems = validate_path(path, validator, emit=writer.job,
                                    clean=writer.clean if writer.counts_clean else None)  # as the command does
        writer.source_problems(problems)
    writer.close()
    return out.getvalue(), writer.tally


@pytest.mark.parametrize("quiet", [False, True], ids=["full", "quiet"])
def test_streamed_text_is_the_reports_text(inputs, quiet):
    """Written job by job, the text is exactly Report.text of the same run."""
    text, _ = streamed(inputs, "text", quiet=quiet)
    report = whole_report(inputs)
    assert text == report.text(min_severity="error" if quiet else "info", quiet=quiet) + "\n"


def test_streamed_json_is_the_reports_dict(inputs):
    """Written job by job, the JSON parses to Report.to_dict of the same run, keys in the same order."""
    text, tally = streamed(inputs, "json")
    doc = json.loads(text)
    assert doc == whole_report(inputs).to_dict()
    assert list(doc) == list(whole_report(inputs).to_dict())
    assert (tally.ok, tally.summary()) == (False, whole_report(inputs).summary())


def test_empty_json_report_is_valid_json():
    """A report with no job at all is still one JSON document."""
    out = io.StringIO()
    Writer(out, "json", "strict", "warning").close()
    assert json.loads(out.getvalue()) == {"schema": "jobfsm.report/1", "mode": "strict", "fail_on": "warning",
                                          "jobs": [], "input_errors": [], "summary": Tally().summary(), "ok": True}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_parts_pasted_in_order_make_the_same_report(inputs, tmp_path, fmt):
    """Each file written apart (as a worker does) and pasted in order gives the serial report."""
    out = io.StringIO()
    writer = Writer(out, fmt, "sampled", "error")
    for i, path in enumerate(inputs):
        part = tmp_path / f"{i}.part"
        tally, problems = validate_part(path, str(part), Options(), LIFECYCLE, None, None, fmt, False)
        with part.open() as f:
            writer.paste(f, tally, problems)
    writer.close()
    assert out.getvalue() == streamed(inputs, fmt)[0]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_jobs_option_gives_the_serial_output(inputs, capsys, fmt):
    """--jobs 3 spreads the files over processes; output and exit code are those of one process."""
    serial = main(["validate", "--format", fmt, *inputs]), capsys.readouterr().out
    pooled = main(["validate", "--jobs", "3", "--format", fmt, *inputs]), capsys.readouterr().out
    assert pooled == serial
    assert serial[0] == 2


def test_jobs_option_must_be_positive(capsys):
    """--jobs 0 is a usage error, said in one line."""
    assert main(["validate", "--jobs", "0", "x.txt"]) == 2
    assert capsys.readouterr().err == "jobfsm: error: --jobs 0: expected a number of processes, 1 or more\n"


def test_reader_leaving_keeps_the_verdict(tmp_path):
    """`| head -1` closes the pipe early: the run still validates everything and exits with its verdict."""
    log = tmp_path / "many.jsonl"
    log.write_text("".join(f'{{"job": "j{i}", "status": "failed"}}\n' for i in range(20_000))
                   + '{"job": "last", "status": "completed"}\n{"job": "last", "status": "inProgress"}\n')
    run = subprocess.run(f"{sys.executable} -m jobfsm validate {log} | head -1; exit ${{PIPESTATUS[0]}}",
                         shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout.count("\n"), run.stderr) == (1, 1, "")


class Terminal(io.StringIO):
    """A standard error that says it is a terminal."""

    def isatty(self):
        return True


def test_progress_line_drawn_then_erased(tmp_path, monkeypatch):
    """On a terminal the meter draws name, size, share and rate, then erases its line."""
    data = tmp_path / "log.jsonl"
    data.write_text(LOG * 1000)
    err = Terminal()
    meter = Meter(2, err, delay=0)
    with open(data, "rb") as f:
        stream = meter.wrap(f, "log.jsonl")
        while stream.read(40_000):
            pass
    meter.file_done()
    meter.close()
    drawn = err.getvalue().split("\r\x1b[2K")
    size = f"{os.path.getsize(data) / 1e6:,.0f} MB"
    assert drawn[1].startswith(f"jobfsm: log.jsonl: 0 MB of {size} (")
    assert drawn[-2].endswith("MB/s; 0 of 2 files done")
    assert drawn[-1] == ""


def test_no_progress_unless_a_terminal(monkeypatch):
    """Not a terminal, or --quiet: no meter at all."""
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert Meter.for_terminal(3, quiet=False) is None
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert Meter.for_terminal(3, quiet=True) is None
    assert Meter.for_terminal(3, quiet=False) is not None


def test_jobs_option_with_a_file_name_that_is_not_utf8(tmp_path):
    """A file name that is not UTF-8 (a surrogate escape in Python) is shown escaped with --jobs as without."""
    name = os.fsdecode(b"caf\xe9.txt")
    (tmp_path / name).write_text("notStarted\ncompleted\n")
    (tmp_path / "ok.txt").write_text("failed\n")
    runs = [subprocess.run([sys.executable, "-m", "jobfsm", "validate", *jobs, name, "ok.txt"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60) for jobs in ([], ["--jobs", "2"])]
    assert [(r.returncode, r.stderr) for r in runs] == [(0, "")] * 2
    assert runs[1].stdout == runs[0].stdout
    assert runs[0].stdout.splitlines()[0] == "caf\\udce9.txt: ok (final completed, 2 polls)"


@pytest.mark.parametrize("window", ["0", "10000001"], ids=["none", "too-many"])
def test_window_option_is_bounded(window, capsys):
    """--window needs 1 to 10,000,000 ended jobs, said in one line with what each costs."""
    assert main(["validate", "--window", window, "x.txt"]) == 2
    assert capsys.readouterr().err == (f"jobfsm: error: --window {window}: expected a number of ended jobs from 1 to "
                                       "10,000,000 (each costs about 150 bytes while it waits)\n")


@pytest.mark.parametrize("window", [None, "2", "1"], ids=["default", "two", "one"])
def test_window_option_decides_when_a_late_poll_is_a_new_job(window, tmp_path, capsys):
    """A poll of job a after two other jobs ended reaches a with --window 2 (a left-terminal error), not with 1."""
    log = tmp_path / "late.jsonl"
    log.write_text('{"job":"a","status":"completed","resourceId":"r"}\n{"job":"b","status":"failed"}\n'
                   '{"job":"c","status":"failed"}\n{"job":"a","status":"inProgress"}\n')
    argv = ["validate", "-q", *(["--window", window] if window else []), str(log)]
    code = main(argv)
    last = capsys.readouterr().out.splitlines()[-1]
    if window == "1":
        assert (code, last) == (0, "ok: 4 jobs, 0 failed, 4 polls; 0 errors, 1 warning, 0 infos (sampled mode)")
    else:
        assert (code, last) == (1, "FAILED: 3 jobs, 1 failed, 4 polls; 1 error, 1 warning, 0 infos (sampled mode)")


def test_window_default_in_help_is_the_streams():
    """--help states the default window that jobfsm.stream uses."""
    from jobfsm.cli import _parser
    from jobfsm.stream import WINDOW

    validate = _parser()._subparsers._group_actions[0].choices["validate"]  # type: ignore[union-attr]
    (action,) = [a for a in validate._actions if a.dest == "window"]
    assert f"(default {WINDOW})" in action.help
