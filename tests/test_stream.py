"""Pins the log streamer: the light loop judges exactly as JobCheck, ended jobs wait a window, reports keep order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import LIFECYCLE, Options, Validator
from jobfsm.readers import poll_type
from jobfsm.report import JobReport
from jobfsm.stream import ACCELERATED, LogStream
from jobfsm.validation import JobCheck

Poll: Any = poll_type("job")
FIELDS = ("status", "percentageComplete", "resourceId", "resourceLocation", "operation")


class Watched(JobCheck):
    """A JobCheck subclass: the streamer then hands every poll to the full check."""

    __slots__ = ()


LOOPS = [pytest.param(False, id="python"), pytest.param(True, id="c", marks=pytest.mark.skipif(
    not ACCELERATED, reason="the C accelerator is not built"))]


@pytest.fixture(params=LOOPS, autouse=True)
def accelerated(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Every test here runs on the Python light loop and, when built, on the C one."""
    monkeypatch.setitem(LogStream.__init__.__kwdefaults__, "accelerated", request.param)
    return bool(request.param)


def run(polls: list[Any], *, full: bool = False, window: int = 4, options: Options | None = None,
        start: int = 1) -> list[JobReport]:
    out: list[JobReport] = []
    stream = LogStream(Validator(options), "log", lambda pos: f"log:{pos}", out.append,
                       check_type=Watched if full else JobCheck, window=window)
    stream.polls(polls, start)
    stream.close()
    return out


def polls(*rows: tuple[Any, ...]) -> list[Any]:
    """Typed polls from (job, status, progress, resourceId, operation) rows."""
    return [Poll(status=s, percentageComplete=p, resourceId=r, operation=o, job=j) for j, s, p, r, o in rows]


statuses = st.sampled_from([*LIFECYCLE.names, "Completed", "running", "bogus"])
typed_polls = st.builds(
    lambda job, status, progress, rid, rloc, op: Poll(status=status, percentageComplete=progress, resourceId=rid,
                                                      resourceLocation=rloc, operation=op, job=job),
    st.sampled_from(["a", "b", "c", None, 7]), statuses,
    st.none() | st.floats(0, 100), st.none() | st.sampled_from(["", "r1", "r2"]),
    st.none() | st.sampled_from(["", "/drive/items/1"]), st.none() | st.sampled_from(["ItemCopy", "Other"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(typed_polls, max_size=40), st.sampled_from(["sampled", "strict"]), st.booleans(),
       st.integers(1, 3))
def test_light_loop_reports_exactly_what_the_full_check_reports(log, mode, complete, window):
    """Any interleaved log, any window: the light loop and the full JobCheck give the same reports."""
    options = Options(mode, complete)
    assert run(log, window=window, options=options) == run(log, full=True, window=window, options=options)


def test_reports_leave_in_order_of_first_appearance():
    """A job still open holds back the reports of later jobs, which then leave in order."""
    log = polls(("slow", "inProgress", 10.0, None, None), ("quick", "notStarted", None, None, None),
                ("quick", "completed", 100.0, "r", None), ("slow", "failed", None, None, None))
    assert [r.job for r in run(log)] == ["slow", "quick"]


def test_late_poll_within_the_window_reaches_the_ended_job():
    """A terminal status polled again, or left, shortly after the job ended still belongs to that job."""
    log = polls(("a", "inProgress", None, None, None), ("a", "failed", None, None, None),
                ("b", "failed", None, None, None), ("a", "inProgress", None, None, None))
    a, b = run(log, window=2)
    assert (a.job, a.polls, [v.rule for v in a.violations]) == ("a", 3, ["left-terminal", "unterminated"])
    assert b.polls == 1


def test_poll_after_the_window_starts_a_new_job():
    """Once twice the window of other jobs ended after it, a job is finished; its key then starts a new job."""
    log = polls(("a", "failed", None, None, None), *[(f"j{i}", "failed", None, None, None) for i in range(4)],
                ("a", "inProgress", None, None, None))
    reports = run(log, window=2)
    assert [(r.job, r.polls, r.final) for r in reports if r.job == "a"] == [("a", 1, "failed"),
                                                                           ("a", 1, "inProgress")]


def test_light_jobs_carry_their_state_into_the_full_check():
    """Progress, resource and operation seen by the light loop are checked by the JobCheck that takes over."""
    log = polls(("a", "inProgress", 50.0, None, "ItemCopy"), ("a", "inProgress", 40.0, None, "ItemCopy"),
                ("a", "completed", 100.0, "r1", "Other"), ("a", "completed", 100.0, "r2", "Other"))
    (report,) = run(log, start=10)
    assert [(v.rule, v.location) for v in report.violations] == [
        ("progress-regressed", "log:11"), ("operation-changed", "log:12"), ("resource-changed", "log:13")]


def test_retry_resets_progress_in_the_light_loop():
    """waiting -> inProgress starts a new attempt: progress may start again from zero, light or full."""
    log = polls(("a", "inProgress", 80.0, None, None), ("a", "waiting", None, None, None),
                ("a", "inProgress", 5.0, None, None), ("a", "completed", 100.0, "r", None))
    assert run(log) == run(log, full=True)
    assert run(log)[0].violations == ()


@pytest.mark.parametrize("window", [1, 3, 1000], ids=["tiny", "small", "large"])
def test_every_job_is_reported_once(window):
    """Whatever the window, each of many interleaved jobs is reported exactly once, none lost."""
    rows = [(f"j{i % 50}-{i // 200}", s, None, "r" if s == "completed" else None, None)
            for i in range(1000) for s in (("notStarted", "inProgress", "completed")[i // 50 % 3],)]
    reports = run(polls(*rows), window=window)
    assert sum(r.polls for r in reports) == 1000


def test_typed_poll_struct_is_the_readers():
    """The streamer consumes the reader's typed polls: a decoded line goes straight in."""
    (rec,) = msgspec.json.Decoder(Poll).decode_lines(b'{"job":"x","status":"completed","resourceId":"r"}\n')
    (report,) = run([rec])
    assert (report.job, report.ok, report.final) == ("x", True, "completed")


def _write_log(path: Path, polls: int, *, stuck: bool = False) -> None:
    """Interleaved jobs, 200 open at a time, each queued, running, then completed: short jobs, so that
    keeping the ended ones would show as much as keeping the log; ``stuck``: first a job never polled again."""
    with path.open("w") as out:
        if stuck:
            out.write('{"job":"stuck","status":"inProgress"}\n')
        serial, open_jobs = 0, []
        for i in range(polls):
            if len(open_jobs) < 200:
                serial += 1
                open_jobs.append([f"job-{serial:08d}", 0])
            job = open_jobs[i % len(open_jobs)]
            step = job[1]
            job[1] += 1
            if step == 0:
                out.write(f'{{"job":"{job[0]}","status":"notStarted"}}\n')
            elif step < 2:
                out.write(f'{{"job":"{job[0]}","status":"inProgress","percentageComplete":{step * 10}}}\n')
            else:
                out.write(f'{{"job":"{job[0]}","status":"completed","percentageComplete":100,"resourceId":"r"}}\n')
                open_jobs.remove(job)


def _peak_mb(path: Path, env: dict[str, str], *, verdict: str = "ok: ") -> float:
    """Peak resident memory of ``jobfsm validate --quiet`` on ``path``, in a process of its own."""
    proc = subprocess.Popen([sys.executable, "-m", "jobfsm", "validate", "--quiet", str(path)],
                            stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    assert out.decode().splitlines()[-1].startswith(verdict)
    return usage.ru_maxrss / 1024


def test_memory_stays_flat_as_the_log_grows_tenfold(accelerated: bool, tmp_path: Path) -> None:
    """Streaming: a log ten times longer (24 MB more) costs the command no more than a few MB of memory."""
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    _write_log(small, 40_000)
    _write_log(large, 400_000)
    assert large.stat().st_size - small.stat().st_size > 23e6  # what holding the log would cost, at least
    env = {k: v for k, v in os.environ.items() if k != "JOBFSM_PURE"} | ({} if accelerated else {"JOBFSM_PURE": "1"})
    assert _peak_mb(large, env) - _peak_mb(small, env) < 5


@settings(max_examples=200, deadline=None)
@given(st.lists(typed_polls, max_size=40), st.integers(1, 3))
def test_clean_reports_are_counted_not_emitted(log, window):
    """With ``clean``, the reports without violations are only counted; the others leave as before, in order."""
    everything = run(log, window=window)
    shown: list[JobReport] = []
    counts: list[tuple[str, int, int]] = []
    stream = LogStream(Validator(), "log", lambda pos: f"log:{pos}", shown.append, window=window,
                       clean=lambda source, jobs, polls: counts.append((source, jobs, polls)))
    stream.polls(log, 1)
    stream.close()
    assert shown == [r for r in everything if r.violations]
    clean = [r for r in everything if not r.violations]
    assert counts == ([("log", len(clean), sum(r.polls for r in clean))] if clean else [])


def test_a_job_left_open_holds_back_no_memory(accelerated: bool, tmp_path: Path) -> None:
    """A job polled once at the start and never again holds back the later jobs' reports, but with -q those
    are only counted: memory stays flat as the jobs after it grow tenfold."""
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    _write_log(small, 40_000, stuck=True)
    _write_log(large, 400_000, stuck=True)
    env = {k: v for k, v in os.environ.items() if k != "JOBFSM_PURE"} | ({} if accelerated else {"JOBFSM_PURE": "1"})
    assert _peak_mb(large, env, verdict="ok: ") - _peak_mb(small, env, verdict="ok: ") < 3



def test_open_jobs_cost_a_few_hundred_bytes_each(accelerated: bool, tmp_path: Path) -> None:
    """Jobs that never end are finished at the end one by one, each let go with the JobCheck its report needed:
    180,000 more of them cost under 500 bytes each (keeping every JobCheck to the end cost about 1 KB each)."""
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    for path, jobs in ((small, 20_000), (large, 200_000)):
        path.write_text("".join(f'{{"job":"j{i:07d}","status":"inProgress"}}\n' for i in range(jobs)))
    env = {k: v for k, v in os.environ.items() if k != "JOBFSM_PURE"} | ({} if accelerated else {"JOBFSM_PURE": "1"})
    grown = _peak_mb(large, env) - _peak_mb(small, env)
    assert grown * 2**20 / 180_000 < 500
