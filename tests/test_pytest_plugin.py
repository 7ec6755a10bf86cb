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
    result.stdout.fnmatch_lines(["jobfsm: 1 trace checked, 0 failed the lifecycle"])


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
        "*(1 more below error; jobfsm validate shows them all)",
        "*jobfsm: 1 trace checked, 1 failed the lifecycle",
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
    result.stdout.fnmatch_lines(["*job 'b' breaks the lifecycle*", "*> poll 1  failed",
                                 "*2 traces checked, 1 failed the lifecycle"])
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


def test_bad_marker_arguments_are_a_usage_error(pytester: pytest.Pytester) -> None:
    """A misspelt or positional marker argument is refused instead of silently ignored."""
    pytester.makepyfile('''
        import pytest

        @pytest.mark.jobfsm(failon="warning")
        def test_typo(jobfsm_trace):
            jobfsm_trace.observe("inProgress")
    ''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*UsageError: *@pytest.mark.jobfsm takes the keywords mode, fail_on, complete, "
                                 "severity and spec; found ?'failon'?"])


def test_nothing_observed_is_still_checked(pytester: pytest.Pytester) -> None:
    """A test that asks for the fixture but sees no poll is checked as an empty trace."""
    pytester.makepyfile('''
        import pytest

        @pytest.mark.jobfsm(fail_on="warning")
        def test_silent_client(jobfsm_trace):
            pass
    ''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*warning no-status-observed: no poll carried a known status (0 polls)"])


def test_trace_is_shown_when_the_test_fails_on_its_own(pytester: pytest.Pytester) -> None:
    """When the test body raises, the trace's verdict is still shown beside that error."""
    pytester.makepyfile('''
        def test_crashing_client(jobfsm_trace):
            jobfsm_trace.observe("inProgress")
            jobfsm_trace.observe("notStarted")
            raise RuntimeError("client crashed")
    ''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: client crashed", "*Captured jobfsm call*",
                                 "*error illegal-transition: illegal transition inProgress -> notStarted*"])


def test_observe_refuses_what_is_not_a_poll_at_the_call(pytester: pytest.Pytester) -> None:
    """observe(42) fails on the test's own line, not at the end."""
    pytester.makepyfile('''
        def test_wrong(jobfsm_trace):
            jobfsm_trace.observe(42)
    ''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*jobfsm_trace.observe(42)*", "*InputError: poll 0: expected a status "
                                 "string or an asyncJobStatus object, found int"])


def test_markers_merge_and_runtime_fixtures_are_checked(pytester: pytest.Pytester) -> None:
    """Module, class and test markers merge (nearest wins per key); getfixturevalue'd recorders are checked too."""
    pytester.makepyfile('''
        import pytest

        pytestmark = pytest.mark.jobfsm(mode="strict")

        @pytest.mark.jobfsm(fail_on="warning")
        def test_merged(jobfsm_trace):
            jobfsm_trace.observe("inProgress")
            jobfsm_trace.observe("cancelled")

        def test_runtime(request):
            trace = request.getfixturevalue("jobfsm_trace")
            trace.observe("completed")
            trace.observe("inProgress")
    ''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*(strict mode, failing at warning)*", "*(strict mode, failing at error)*"])


def test_bodies_are_copied_when_observed(pytester: pytest.Pytester) -> None:
    """A client that reuses one dict for every answer is still checked answer by answer."""
    pytester.makepyfile('''
        def test_reused(jobfsm_trace):
            body = {"resourceId": "01R"}
            for status in ["completed", "inProgress", "completed"]:
                body["status"] = status
                jobfsm_trace.observe(body)
    ''')
    pytester.runpytest_subprocess().assert_outcomes(failed=1)


LRO = str(__import__("pathlib").Path(__file__).parent.parent / "examples" / "specs" / "long-running-operation.toml")
LRO_TEST = '''
import json
import urllib.request


def test_lro(jobfsm_monitor, jobfsm_trace):
    monitor = jobfsm_monitor(["notStarted", "running", "succeeded"])
    for _ in range(3):
        with urllib.request.urlopen(monitor.url) as answer:  # the last one follows the 303 to the item
            body = json.loads(answer.read())
        jobfsm_trace.observe(body if "status" in body else {"status": "succeeded", "resourceId": body["id"]},
                             job=monitor.url)
    assert monitor.spec.name == "longRunningOperationStatus"
'''


@pytest.mark.parametrize("how", ["option", "marker-path", "marker-spec"])
def test_a_spec_of_ones_own_for_the_fixtures(how: str, pytester: pytest.Pytester) -> None:
    """--jobfsm-spec FILE, or the marker's spec= (a path from the rootdir, or a Spec), sets the lifecycle of
    jobfsm_trace and of the monitors jobfsm_monitor makes."""
    pytester.copy_example(LRO)
    argv: list[str] = []
    if how == "option":
        code, argv = LRO_TEST, ["--jobfsm-spec", "long-running-operation.toml"]
    elif how == "marker-path":
        code = 'import pytest\npytestmark = pytest.mark.jobfsm(spec="long-running-operation.toml")\n' + LRO_TEST
    else:
        code = ("import pytest\nfrom jobfsm.specfile import read_spec\npytestmark = pytest.mark.jobfsm("
                "spec=read_spec('long-running-operation.toml'))\n" + LRO_TEST)
    pytester.makepyfile(code)
    result = pytester.runpytest_subprocess(*argv)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["jobfsm: 1 trace checked, 0 failed the lifecycle"])


@pytest.mark.parametrize(("spec", "message"), [
    ('"missing.toml"', "*UsageError: jobfsm spec: */missing.toml: cannot read: No such file or directory"),
    ("42", "*UsageError: jobfsm spec: expected a Spec or the path of a spec file, found int"),
], ids=["missing-file", "not-a-spec"])
def test_a_bad_spec_for_the_fixtures_is_a_usage_error(spec: str, message: str, pytester: pytest.Pytester) -> None:
    """A spec= marker that names no readable spec file, or is no spec at all, is a one-line usage error."""
    pytester.makepyfile(f'''
        import pytest

        @pytest.mark.jobfsm(spec={spec})
        def test_it(jobfsm_trace):
            jobfsm_trace.observe("completed")
    ''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])
