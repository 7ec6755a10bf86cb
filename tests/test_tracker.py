"""Pins jobfsm.tracker: the online tracker on a shared machine, its errors, history and callbacks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SHARED

from jobfsm import JobFSMError, validate
from jobfsm.tracker import IllegalStepError, Tracker

EXPECTED: dict[str, dict[str, Any]] = json.loads((SHARED / "expected.json").read_text())
CASES = sorted(n for n in EXPECTED if n.endswith(".json"))


@pytest.mark.parametrize("name", CASES, ids=CASES)
def test_tracker_agrees_with_the_validator_on_shared_traces(name: str) -> None:
    """Legal shared traces are accepted; illegal ones raise at exactly the poll of their first error."""
    mode = EXPECTED[name].get("mode", "sampled")
    trace = json.loads((SHARED / name).read_text())
    errors = [v for v in validate(trace, mode=mode).violations if v.severity == "error"]
    tracker = Tracker(mode=mode)
    if not errors:
        for poll in trace:
            tracker.observe(poll)
        assert tracker.status == validate(trace, mode=mode).final
        return
    for i, poll in enumerate(trace):
        if i < errors[0].index:
            tracker.observe(poll)
        else:
            with pytest.raises(IllegalStepError) as info:
                tracker.observe(poll)
            assert (info.value.index, info.value.violation.rule) == (errors[0].index, errors[0].rule)
            break


def test_left_terminal_message_and_stop() -> None:
    """The error names the poll, rule and what was legal; the tracker keeps its last legal status and stops."""
    tracker = Tracker()
    tracker.observe({"status": "inProgress"})
    tracker.observe({"status": "completed", "resourceId": "r"})
    with pytest.raises(IllegalStepError) as info:
        tracker.observe({"status": "inProgress"})
    assert str(info.value) == ("poll 2: left-terminal: inProgress after terminal status completed; a terminal "
                               "status may only repeat")
    assert isinstance(info.value, ValueError)
    assert (tracker.status, tracker.finished, info.value.history) == ("completed", True,
                                                                      ["inProgress", "completed", "completed"])
    with pytest.raises(IllegalStepError) as again:
        tracker.observe("completed")
    assert again.value is info.value


@pytest.mark.parametrize(("mode", "polls", "history"), [
    ("strict", ["notStarted", "completed"], ["notStarted", "notStarted"]),
    ("sampled", ["inProgress", "mystery", "completed", "notStarted"], ["inProgress", "inProgress", "completed",
                                                                       "completed"]),
    ("sampled", ["waiting", {"status": 3}], ["waiting", "waiting"]),
], ids=["strict-illegal", "unknown-then-left-terminal", "invalid-field"])
def test_history_is_the_status_after_each_poll(mode: str, polls: list[Any], history: list[str | None]) -> None:
    """history holds the tracker's status after each poll: an illegal or unknown status is never recorded."""
    tracker = Tracker(mode=mode)  # type: ignore[arg-type]
    for poll in polls[:-1]:
        tracker.observe(poll)
    with pytest.raises(IllegalStepError) as info:
        tracker.observe(polls[-1])
    assert (tracker.history, info.value.history) == (history, history)
    assert tracker.status == history[-1]


def test_finish_reports_an_unterminated_job() -> None:
    """finish() closes the job: a job that never reached a terminal status gets its unterminated warning."""
    tracker = Tracker()
    tracker.observe("notStarted")
    tracker.observe("inProgress")
    report = tracker.finish()
    assert (report.final, [v.rule for v in report.violations]) == ("inProgress", ["unterminated"])
    with pytest.raises(JobFSMError):
        tracker.observe("completed")


def test_callbacks_fire_on_every_status_entered() -> None:
    """Class methods on_enter_<status> and instance callbacks run, inferred statuses of a skip included."""
    seen: list[str] = []

    class Copy(Tracker):
        def on_enter_completed(self) -> None:
            seen.append("class:completed")

    tracker = Copy()
    tracker.on_enter("inProgress", lambda t: seen.append(f"instance:{t.status}"))
    assert tracker.observe("notStarted") == "notStarted"
    assert tracker.observe("completed") == "completed"  # sampled: passes through inProgress
    assert seen == ["instance:inProgress", "class:completed"]
    assert tracker.history == ["notStarted", "completed"]


def test_trackers_share_one_machine() -> None:
    """Every tracker of a class uses one machine, and is not registered as one of its models."""
    trackers = [Tracker() for _ in range(1000)]
    for t in trackers:
        t.observe("inProgress")
        t.observe("waiting")
    assert Tracker.machine() is Tracker.machine()
    assert Tracker.machine().models == []
    assert {t.status for t in trackers} == {"waiting"}


def test_warnings_do_not_raise_unless_asked() -> None:
    """A warning (an unknown status) passes by default and raises with fail_on='warning'."""
    assert Tracker().observe("mystery") is None
    with pytest.raises(IllegalStepError) as info:
        Tracker(fail_on="warning").observe("mystery")
    assert info.value.violation.rule == "unknown-status"


def test_unknown_status_in_callback_registration() -> None:
    """on_enter names a status of the spec, or fails at once."""
    with pytest.raises(KeyError):
        Tracker().on_enter("done", lambda t: None)


def test_callbacks_cannot_reenter_and_raising_ones_leave_it_consistent() -> None:
    """observe() from a callback is refused; a callback that raises still leaves the tracker at the new status."""
    tracker = Tracker()
    tracker.observe("notStarted")
    tracker.on_enter("inProgress", lambda t: t.observe("completed"))
    with pytest.raises(JobFSMError) as info:
        tracker.observe("completed")
    assert str(info.value).startswith("observe() was called from a callback while the tracker was moving")
    assert (tracker.status, tracker.finished) == ("completed", True)


def test_trackers_and_errors_pickle() -> None:
    """Trackers and jobfsm's errors survive pickling (multiprocessing hands them between processes)."""
    import pickle

    tracker = Tracker(mode="strict")
    tracker.observe("inProgress")
    copy = pickle.loads(pickle.dumps(tracker))
    assert copy.observe("completed") == "completed"
    with pytest.raises(IllegalStepError) as info:
        tracker.observe("cancelled")
    again = pickle.loads(pickle.dumps(info.value))
    assert (type(again), str(again), again.index) == (IllegalStepError, str(info.value), 1)
