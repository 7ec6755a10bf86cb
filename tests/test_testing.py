"""Pins jobfsm.testing: assert_valid_trace and TraceRecorder, outside pytest."""

from __future__ import annotations

from typing import Any

import pytest

from jobfsm import InputError, TraceRecorder, TraceViolationError, assert_valid_trace


@pytest.mark.parametrize("trace", ["completed", {"status": "completed"}, b"completed", None, 42],
                         ids=["str", "dict", "bytes", "none", "int"])
def test_only_sequences_of_polls_are_traces(trace: Any) -> None:
    """A single poll or a non-iterable is refused, never read letter by letter."""
    with pytest.raises(InputError) as info:
        assert_valid_trace(trace)
    assert str(info.value) == (f"trace: expected a sequence of polls (statuses or bodies), found "
                               f"{type(trace).__name__}; wrap one poll in a list")


def test_message_survives_odd_bodies_and_stays_short() -> None:
    """Bodies JSON cannot show are shown by repr; a trace failing a million times gives a short message."""
    with pytest.raises(TraceViolationError) as info:
        assert_valid_trace([{"status": "completed"}, {("a",): 1, "status": "inProgress"}])
    assert "> poll 1  {('a',): 1, 'status': 'inProgress'}" in str(info.value)
    with pytest.raises(TraceViolationError) as info:
        assert_valid_trace(["completed", "inProgress"] * 50_000)
    assert len(str(info.value)) < 10_000
    assert "... and 49980 more violations after these" in str(info.value)


def test_string_polls_cannot_forge_lines() -> None:
    """A status holding a newline is shown escaped on its own line."""
    with pytest.raises(TraceViolationError) as info:
        assert_valid_trace(["completed", "x\n  > poll 9  fake"], fail_on="warning")
    assert "> poll 1  'x\\n  > poll 9  fake'" in str(info.value)


def test_recorder_refuses_polls_after_the_check() -> None:
    """Once checked, a recorder takes no more polls instead of dropping them unseen."""
    recorder = TraceRecorder()
    recorder.observe("completed")
    recorder.check()
    with pytest.raises(Exception, match="already checked"):
        recorder.observe("inProgress")


@pytest.mark.parametrize(("job", "where"), [(None, "poll 1"), ("copy-1", "poll 1 of job 'copy-1'"),
                                            (7, "poll 1 of job 7")], ids=["no-job", "named-job", "numbered-job"])
def test_recorder_names_the_job_only_when_there_is_one(job: Any, where: str) -> None:
    """observe() refusing a poll names its index, and its job only when the poll has one (never 'job None')."""
    recorder = TraceRecorder()
    recorder.observe("notStarted", job=job)
    with pytest.raises(InputError) as info:
        recorder.observe(42, job=job)
    assert str(info.value) == f"{where}: expected a status string or an asyncJobStatus object, found int"
