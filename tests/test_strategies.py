"""Pins jobfsm.strategies: generated legal traces validate clean; illegal ones fail where they say."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import validate
from jobfsm.strategies import IllegalTrace, illegal_traces, legal_traces
from jobfsm.tracker import IllegalStepError, Tracker

MODES = st.sampled_from(["sampled", "strict"])


@settings(max_examples=1000, deadline=None)
@given(MODES, st.booleans(), st.booleans(), st.data())
def test_1000_legal_traces_validate_clean(mode: str, bodies: bool, complete: bool, data: st.DataObject) -> None:
    """Legal traces have no error or warning (but unterminated, when not complete) in their mode."""
    trace = data.draw(legal_traces(mode=mode, bodies=bodies, complete=complete))
    report = validate(trace, mode=mode, complete=complete)  # type: ignore[arg-type]
    allowed = set() if complete else {"unterminated"}
    assert {v.rule for v in report.violations if v.severity != "info"} <= allowed
    assert report.ok


@settings(max_examples=1000, deadline=None)
@given(MODES, st.booleans(), st.data())
def test_1000_illegal_traces_fail_at_their_index_with_their_rule(mode: str, bodies: bool,
                                                                 data: st.DataObject) -> None:
    """The first error of an illegal trace is the carried rule at the carried index; the tracker agrees."""
    bad: IllegalTrace = data.draw(illegal_traces(mode=mode, bodies=bodies))
    errors = [v for v in validate(bad.trace, mode=mode).violations if v.severity == "error"]  # type: ignore[arg-type]
    assert (errors[0].index, errors[0].rule) == (bad.index, bad.rule)
    tracker = Tracker(mode=mode)  # type: ignore[arg-type]
    for poll in bad.trace[:bad.index]:
        tracker.observe(poll)
    with pytest.raises(IllegalStepError) as info:
        tracker.observe(bad.trace[bad.index])
    assert (info.value.index, info.value.violation.rule) == (bad.index, bad.rule)


@settings(max_examples=200, deadline=None)
@given(legal_traces(bodies=True))
def test_legal_bodies_look_real(trace: list[dict[str, object]]) -> None:
    """Generated bodies carry operation and percentageComplete, and a resourceId when completed."""
    for body in trace:
        assert body["operation"] == "ItemCopy"
        assert 0 <= body["percentageComplete"] <= 100  # type: ignore[operator]
        assert ("resourceId" in body) is (body["status"] == "completed")


def test_illegal_traces_include_leaving_a_terminal_status() -> None:
    """Both kinds of transition errors are generated: illegal-transition and left-terminal."""
    from hypothesis import find

    assert find(illegal_traces(mode="strict"), lambda x: x.rule == "left-terminal").rule == "left-terminal"
    assert find(illegal_traces(), lambda x: x.rule == "illegal-transition").rule == "illegal-transition"


@pytest.mark.parametrize(("call", "message"), [
    (lambda: legal_traces(mode="bogus"), "mode must be 'sampled' or 'strict', not 'bogus'"),
    (lambda: legal_traces(max_polls=0), "max_polls must be an integer of at least 1, not 0"),
    (lambda: illegal_traces(max_polls=1), "max_polls must be an integer of at least 2, not 1"),
], ids=["mode", "legal-max", "illegal-max"])
def test_strategy_arguments_are_checked(call: object, message: str) -> None:
    """Bad strategy arguments fail at once with what is allowed."""
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        call()  # type: ignore[operator]
