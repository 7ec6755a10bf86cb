"""Pins jobfsm.pytest_plugin through real pytest runs (pytester): fixture, helper, options, marker, summary."""

from __future__ import annotations

import pytest

PASSING = '''
def test_copy(jobfsm_trace):
    for status in ["notStarted", "inProgress", "completed"]:
        jobfsm_trace.observe(status)
'''

FAILING = '''
def test_copy(jobfsm_trace):
    jobfsm_trace.observe({"status": "inProgress", "percentageComplete": 40})
    jobfsm_trace.observe({"status": "completed", "resourceId": "01R"})
    jobfsm_trace.observe({"status": "inProgress", "percentageComplete": 100})
'''


def test_passing_test_and_summary(pytester: pytest.Pytester) -> None:
    """A test whose polls follow the lifecycle passes; the summary counts the trace it checked."""
    pytester.makepyfile(PASSING)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["jobfsm: 1 traces checked, 0 failed"])


def test_failing_test_shows_the_trace_and_marks_the_poll(pytester: pytest.Pytester) -> None:
    """An illegal trace fails the test; the message lists the polls, marks the bad one, names the rule."""
    pytester.makepyfile(FAILING)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*the trace breaks the lifecycle (sampled mode, failing at error): 1 violation in 3 polls",
        '*    poll 0  {"status": "inProgress", "percentageComplete": 40}',
        '*    poll 1  {"status": "completed", "resourceId": "01R"}',
        '*  > poll 2  {"status": "inProgress", "percentageComplete": 100}',
        "*          error left-terminal: inProgress after terminal status completed; a terminal status may only "
        "repeat",
        "*jobfsm: 1 traces checked, 1 failed",
    ])


def test_assert_valid_trace_reads_without_assertion_rewriting(pytester: pytest.Pytester) -> None:
    """The helper raises a ready-made message, even with assertion rewriting off."""
    pytester.makepyfile('''
        from jobfsm import assert_valid_trace

        def test_strict():
            assert_valid_trace(["notStarted", "completed"], mode="strict")
    ''')
    result = pytester.runpytest_subprocess("--assert=plain")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*TraceViolationError: the trace breaks the lifecycle (strict mode, failing at error)*",
        "*> poll 1  completed",
        "*error illegal-transition: illegal transition notStarted -> completed (strict mode); from notStarted the "
        "legal next statuses are inProgress, cancelPending, failed, cancelled",
    ])


@pytest.mark.parametrize(("args", "marker", "outcome"), [
    ([], "", "passed"),
    (["--jobfsm-mode", "strict"], "", "failed"),
    ([], '@pytest.mark.jobfsm(mode="strict")', "failed"),
    (["--jobfsm-mode", "strict"], '@pytest.mark.jobfsm(mode="sampled")', "passed"),
    (["--jobfsm-fail-on", "info"], "", "failed"),
    (["--jobfsm-complete"], "", "passed"),
], ids=["default", "option-strict", "marker-strict", "marker-beats-option", "fail-on-info", "complete"])
def test_options_and_marker(pytester: pytest.Pytester, args: list[str], marker: str, outcome: str) -> None:
    """Command-line options set the defaults; a marker on the test wins over them."""
    pytester.makepyfile(f'''
        import pytest

        {marker}
        def test_skip(jobfsm_trace):
            jobfsm_trace.observe("notStarted")
            jobfsm_trace.observe("completed")
    ''')
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(**{outcome: 1})


def test_several_jobs_in_one_test(pytester: pytest.Pytester) -> None:
    """Polls are kept per job key; only the failing job is shown."""
    pytester.makepyfile('''
        def test_two(jobfsm_trace):
            jobfsm_trace.observe("inProgress", job="a")
            jobfsm_trace.observe("completed", job="a")
            jobfsm_trace.observe("completed", job="b")
            jobfsm_trace.observe("failed", job="b")
    ''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*job 'b' breaks the lifecycle*", "*> poll 1  failed", "*2 traces checked, 1 failed"])
    assert "job 'a' breaks" not in result.stdout.str()


def test_inert_when_unused(pytester: pytest.Pytester) -> None:
    """A suite that never uses jobfsm sees no summary line, and the plugin loads nothing heavy."""
    pytester.makepyfile('''
        import sys

        def test_nothing():
            assert "transitions" not in sys.modules
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "jobfsm:" not in result.stdout.str()
