"""Pins jobfsm.validation: every body-level rule, the two modes, options, and whole messages."""

from __future__ import annotations

from typing import Any

import pytest

from jobfsm import InputError, JobFSMError, Options, OptionsError, TraceViolationError, Validator, validate

C = {"status": "completed", "resourceId": "01R"}


def rows(trace: list[Any], **options: Any) -> list[tuple[Any, ...]]:
    return [(v.rule, v.severity, v.index, v.location, v.from_status, v.to_status, v.message)
            for v in validate(trace, **options).violations]


CASES: list[tuple[str, list[Any], dict[str, Any], list[tuple[Any, ...]]]] = [
    ("legal-direct", ["notStarted", "inProgress", "completed"], {}, []),
    ("repeats-are-not-transitions", ["inProgress", "inProgress", "completed", "completed"], {}, []),
    ("may-start-anywhere", ["waiting", "failed"], {}, []),
    ("skip-sampled", ["notStarted", "completed"], {}, [
        ("skipped-states", "info", 1, "[1]", "notStarted", "completed",
         "notStarted -> completed passed unseen through inProgress "
         "(notStarted -start-> inProgress -complete-> completed)")]),
    ("skip-strict", ["notStarted", "completed"], {"mode": "strict"}, [
        ("illegal-transition", "error", 1, "[1]", "notStarted", "completed",
         "illegal transition notStarted -> completed (strict mode); from notStarted the legal next statuses "
         "are inProgress, cancelPending, failed, cancelled")]),
    ("backwards-sampled", ["inProgress", "notStarted", "inProgress", "completed"], {}, [
        ("illegal-transition", "error", 1, "[1]", "inProgress", "notStarted",
         "illegal transition inProgress -> notStarted; after inProgress only inProgress, waiting, cancelPending, "
         "completed, failed, cancelled may be observed")]),
    ("left-terminal", ["completed", "inProgress", "completed"], {}, [
        ("left-terminal", "error", 1, "[1]", "completed", "inProgress",
         "inProgress after terminal status completed; a terminal status may only repeat")]),
    ("cancel-via-pending", ["inProgress", "cancelled"], {}, [
        ("skipped-states", "info", 1, "[1]", "inProgress", "cancelled",
         "inProgress -> cancelled passed unseen through cancelPending "
         "(inProgress -request_cancel-> cancelPending -confirm_cancel-> cancelled)")]),
    ("unknown-does-not-move", ["inProgress", "exploded", "completed"], {}, [
        ("unknown-status", "warning", 1, "[1]", "inProgress", "exploded",
         "unknown status 'exploded'; expected one of notStarted, inProgress, waiting, cancelPending, completed, "
         "failed, cancelled (the machine stays at inProgress)")]),
    ("unknown-future-value", ["unknownFutureValue", "completed"], {}, [
        ("unknown-status", "warning", 0, "[0]", None, "unknownFutureValue",
         "unknown status 'unknownFutureValue'; expected one of notStarted, inProgress, waiting, cancelPending, "
         "completed, failed, cancelled (no known status yet)")]),
    ("case", ["inProgress", "COMPLETED"], {}, [
        ("status-case", "warning", 1, "[1]", "inProgress", "completed",
         "status 'COMPLETED' is 'completed' in the wrong case")]),
    ("alias", ["updating", "deleteFailed"], {}, [
        ("status-alias", "info", 0, "[0]", None, "inProgress",
         "status 'updating' is from another vocabulary (older asyncJobStatus vocabulary, still on a Graph beta "
         "page): mapped to inProgress"),
        ("status-alias", "info", 1, "[1]", "inProgress", "failed",
         "status 'deleteFailed' is from another vocabulary (older asyncJobStatus vocabulary): mapped to failed")]),
    ("alias-without-counterpart", ["inProgress", "deletePending", "failed"], {}, [
        ("status-alias", "info", 1, "[1]", "inProgress", "deletePending",
         "status 'deletePending' is from another vocabulary (older asyncJobStatus vocabulary: an active status "
         "with no counterpart): recognised, the machine does not move")]),
    ("unterminated", ["notStarted", "inProgress"], {}, [
        ("unterminated", "warning", 1, "[1]", "inProgress", None,
         "trace ends at inProgress, which is not terminal; expected one of completed, failed, cancelled")]),
    ("complete-required", ["inProgress", "waiting"], {"complete": True}, [
        ("incomplete-start", "error", 0, "[0]", None, "inProgress",
         "trace starts at inProgress, not at the initial status notStarted"),
        ("unterminated", "error", 1, "[1]", "waiting", None,
         "trace ends at waiting, which is not terminal; expected one of completed, failed, cancelled")]),
    ("empty-trace", [], {}, [
        ("no-status-observed", "warning", None, "<trace>", None, None, "no poll carried a known status (0 polls)")]),
    ("monitor-lost", [{"status": "inProgress"}, {"error": {"code": "operationNotFound", "message": "gone"}}], {}, [
        ("monitor-lost", "warning", 1, "[1]", "inProgress", None,
         "the monitor answered operationNotFound before any terminal status: the outcome is unknown"),
        ("unterminated", "warning", 1, "[1]", "inProgress", None,
         "trace ends at inProgress, which is not terminal; expected one of completed, failed, cancelled")]),
    ("monitor-expired-after-terminal", ["failed", {"errorCode": "operationNotFound"}], {}, []),
    ("missing-status", [{"percentageComplete": 3}, {"status": "failed"}], {}, [
        ("missing-status", "error", 0, "[0]", None, None,
         "body has no 'status' field; expected one of notStarted, inProgress, waiting, cancelPending, completed, "
         "failed, cancelled")]),
    ("invalid-fields", [{"status": 7, "percentageComplete": "50", "resourceId": 1, "operation": [],
                         "statusDescription": {}}, {"status": "failed", "percentageComplete": True}], {}, [
        ("invalid-field", "error", 0, "[0]", None, None, "field 'status' must be a string, found number 7"),
        ("invalid-field", "error", 0, "[0]", None, None,
         "field 'percentageComplete' must be a number, found string '50'"),
        ("invalid-field", "error", 0, "[0]", None, None, "field 'resourceId' must be a string, found number 1"),
        ("invalid-field", "error", 0, "[0]", None, None, "field 'operation' must be a string, found array []"),
        ("invalid-field", "error", 0, "[0]", None, None,
         "field 'statusDescription' must be a string, found object {}"),
        ("invalid-field", "error", 1, "[1]", None, None,
         "field 'percentageComplete' must be a number, found boolean true")]),
    ("progress-range", [{"status": "inProgress", "percentageComplete": 101}, {"status": "failed",
                                                                              "percentageComplete": -0.5}], {}, [
        ("progress-out-of-range", "error", 0, "[0]", None, None, "percentageComplete 101 is outside 0..100"),
        ("progress-out-of-range", "error", 1, "[1]", "inProgress", None,
         "percentageComplete -0.5 is outside 0..100")]),
    ("progress-regressed", [{"status": "inProgress", "percentageComplete": 56},
                            {"status": "inProgress", "percentageComplete": 30.5}, {**C, "percentageComplete": 100}],
     {}, [("progress-regressed", "warning", 1, "[1]", "inProgress", "inProgress",
           "percentageComplete dropped from 56 to 30.5 within one attempt (only a retry starts a new one)")]),
    ("progress-resets-on-retry", [{"status": "inProgress", "percentageComplete": 40},
                                  {"status": "waiting", "percentageComplete": 40},
                                  {"status": "inProgress", "percentageComplete": 5}, C], {"mode": "strict"}, []),
    ("progress-resets-on-sampled-retry", [{"status": "waiting", "percentageComplete": 40},
                                          {"status": "completed", "percentageComplete": 5, "resourceId": "r"}], {}, [
        ("skipped-states", "info", 1, "[1]", "waiting", "completed",
         "waiting -> completed passed unseen through inProgress (waiting -retry-> inProgress -complete-> completed)")]),
    ("completed-without-resource", [{"status": "inProgress"}, {"status": "completed"}, {"status": "completed"}],
     {}, [("completed-without-resource", "warning", 1, "[1]", "inProgress", "completed",
           "completed without a resource reference: expected resourceId or resourceLocation")]),
    ("resource-location-is-enough", [{"status": "completed", "resourceLocation": "https://x/items/1"}], {}, []),
    ("status-list-needs-no-resource", ["completed"], {}, []),
    ("empty-resource-id", [{"status": "completed", "resourceId": ""}], {}, [
        ("empty-resource-id", "error", 0, "[0]", None, "completed", "resourceId is present but empty"),
        ("completed-without-resource", "warning", 0, "[0]", None, "completed",
         "completed without a resource reference: expected resourceId or resourceLocation")]),
    ("resource-changed", [{"status": "completed", "resourceId": "A"}, {"status": "completed", "resourceId": "B"}],
     {}, [("resource-changed", "error", 1, "[1]", "completed", "completed", "resourceId changed from 'A' to 'B'")]),
    ("operation-changed", [{"status": "inProgress", "operation": "ItemCopy"},
                           {"status": "failed", "operation": "DownloadUrl"}], {}, [
        ("operation-changed", "error", 1, "[1]", "inProgress", "failed",
         "operation changed from 'ItemCopy' to 'DownloadUrl'")]),
    ("extra-fields-tolerated", [{"status": "failed", "errorCode": "AccessDenied_x", "error": {"code": "x"},
                                 "@odata.context": "c", "createdDateTime": "0001-01-01T00:00:00Z"}], {}, []),
    ("null-optional-fields-are-absent", [{"status": "failed", "percentageComplete": None, "resourceId": None}], {},
     []),
    ("severity-raised", ["inProgress", "what", "completed"], {"severity": {"unknown-status": "error"}}, [
        ("unknown-status", "error", 1, "[1]", "inProgress", "what",
         "unknown status 'what'; expected one of notStarted, inProgress, waiting, cancelPending, completed, "
         "failed, cancelled (the machine stays at inProgress)")]),
    ("severity-off", ["notStarted", "completed"], {"severity": {"skipped-states": "off"}}, []),
]


@pytest.mark.parametrize(("trace", "options", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rules(trace: list[Any], options: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    """Each trace yields exactly these violations, whole messages included."""
    assert rows(trace, **options) == expected


@pytest.mark.parametrize(("trace", "options", "ok"), [
    (["inProgress", "completed"], {}, True),
    (["inProgress"], {}, True),
    (["inProgress"], {"fail_on": "warning"}, False),
    (["notStarted", "completed"], {"fail_on": "warning"}, True),
    (["notStarted", "completed"], {"fail_on": "info"}, False),
    (["inProgress"], {"complete": True}, False),
    (["inProgress"], {"complete": True, "severity": {"unterminated": "warning", "incomplete-start": "off"}}, True),
    (["completed", "failed"], {}, False),
], ids=["clean", "unterminated-warns", "fail-on-warning", "info-passes-warning", "fail-on-info", "complete",
        "complete-overridden", "left-terminal"])
def test_ok_follows_the_failing_severity(trace: list[str], options: dict[str, Any], ok: bool) -> None:
    """A job fails when a violation is at or above fail_on; explicit severities beat --complete."""
    assert validate(trace, **options).ok is ok


def test_report_fields() -> None:
    """A report gives the final status, poll count and the rules reported."""
    report = validate(["notStarted", "inProgress", "inProgress", "failed"])
    assert (report.ok, report.final, report.jobs[0].polls, report.rules()) == (True, "failed", 4, set())


def test_raising_is_a_separate_step() -> None:
    """validate returns a report; raise_for_violations raises an AssertionError with the report text."""
    report = validate(["completed", "inProgress"])
    with pytest.raises(TraceViolationError) as info:
        report.raise_for_violations()
    assert isinstance(info.value, AssertionError)
    assert info.value.report is report
    assert str(info.value) == (
        "<trace>: FAILED (final inProgress, 2 polls)\n"
        "  [1]: error: left-terminal: inProgress after terminal status completed; a terminal status may only "
        "repeat\n"
        "  [1]: warning: unterminated: trace ends at inProgress, which is not terminal; expected one of "
        "completed, failed, cancelled\n"
        "FAILED: 1 job, 1 failed, 2 polls; 1 error, 1 warning, 0 infos (sampled mode)")
    assert validate(["completed"]).raise_for_violations().ok


@pytest.mark.parametrize("trace", ["completed", b"completed", {"status": "completed"}], ids=["str", "bytes", "dict"])
def test_a_single_poll_is_not_a_trace(trace: Any) -> None:
    """A string or a body passed as the whole trace is refused, not read letter by letter or key by key."""
    with pytest.raises(InputError) as info:
        validate(trace)
    kind = {str: "string", bytes: "bytes", dict: "object"}[type(trace)]
    assert str(info.value) == (f"trace: expected a sequence of polls (statuses or bodies), found a single {kind}; "
                               "wrap one poll in a list")


def test_options_must_be_options() -> None:
    """A dict where Options belong is refused with a hint."""
    with pytest.raises(OptionsError) as info:
        Validator({"mode": "strict"})  # type: ignore[arg-type]
    assert str(info.value) == ("options must be an Options, found dict; e.g. Validator(Options(mode='strict'))")


def test_a_finished_job_takes_no_more_polls() -> None:
    """finish() is final: later polls raise, and finish() again returns the same report."""
    check = Validator().job("log", "j")
    check.feed_many(["inProgress", "completed"])
    report = check.finish()
    for feed in (lambda: check.feed("inProgress"), lambda: check.feed_many(["failed"]),
                 lambda: check.feed({"status": "failed"}), lambda: check.poll("failed", None, None, None, None, 3)):
        with pytest.raises(JobFSMError) as info:
            feed()
        assert str(info.value) == "job 'j' of log is finished: it takes no more polls"
    assert check.finish() is report
    assert (report.final, report.polls) == ("completed", 2)


def test_item_of_wrong_type_is_an_input_error() -> None:
    """A poll that is neither a status nor a body raises InputError naming its index."""
    with pytest.raises(InputError) as info:
        validate(["inProgress", 3])
    assert str(info.value) == "[1]: expected a status string or an asyncJobStatus object, found number"


@pytest.mark.parametrize(("options", "message"), [
    ({"mode": "loose"}, "unknown mode 'loose'; expected one of sampled, strict"),
    ({"fail_on": "fatal"}, "unknown failing severity 'fatal'; expected one of error, warning, info"),
    ({"severity": {"no-such-rule": "error"}}, "unknown rule 'no-such-rule'; expected one of illegal-transition, "
     "left-terminal, unknown-status, status-case, status-alias, skipped-states, unterminated, incomplete-start, "
     "missing-status, invalid-field, progress-out-of-range, progress-regressed, completed-without-resource, "
     "empty-resource-id, resource-changed, operation-changed, monitor-lost, auth-error, http-status-mismatch, "
     "no-status-observed"),
    ({"severity": {"unknown-status": "loud"}},
     "unknown severity 'loud' for unknown-status; expected one of error, warning, info, off"),
], ids=["mode", "fail-on", "rule", "level"])
def test_bad_options(options: dict[str, Any], message: str) -> None:
    """Options are checked when built, with a message naming what is allowed."""
    with pytest.raises(OptionsError) as info:
        Options(**options)
    assert str(info.value) == message


def test_jobcheck_is_incremental() -> None:
    """A JobCheck takes polls one at a time with custom locations, and finishes into a job report."""
    check = Validator().job("log.jsonl", "j1", lambda pos: f"log.jsonl:{pos}")
    check.feed({"status": "inProgress", "percentageComplete": 10}, pos=7)
    check.feed("notStarted", pos=9)
    job = check.finish()
    assert (job.source, job.job, job.ok, job.final, job.polls) == ("log.jsonl", "j1", False, "notStarted", 2)
    assert [(v.rule, v.index, v.location) for v in job.violations] == [
        ("illegal-transition", 1, "log.jsonl:9"), ("unterminated", 1, "log.jsonl:9")]


def test_huge_numbers_and_structures_are_reported_not_crashed() -> None:
    """A 400-digit percentageComplete is out of range with a readable message, not an OverflowError."""
    (v,) = validate([{"status": "failed", "percentageComplete": 10**400}]).violations
    assert v.rule == "progress-out-of-range"
    assert v.message.startswith("percentageComplete 1000000000")
    assert len(v.message) < 120


@pytest.mark.parametrize(("field", "rule"), [("resourceId", "resource-changed"), ("operation", "operation-changed")],
                         ids=["resource", "operation"])
def test_a_megabyte_value_that_changes_is_shortened_on_both_sides(field: str, rule: str) -> None:
    """A 1 MB resourceId or operation that later changes is shown shortened, as before so after: one short line."""
    big = "r" * (1 << 20)
    report = validate([{"status": "inProgress", field: big}, {"status": "inProgress", field: "x"}, "failed"])
    (v,) = report.violations
    assert (v.rule, v.message) == (rule, f"{field} changed from '{'r' * 55}...' (1048576 characters) to 'x'")


def test_containers_in_messages_spell_null_true_false_as_json() -> None:
    """A field holding an array or object is shown with JSON's null, true and false, as the kinds are named."""
    (v, _) = validate([{"status": [None, True, {"a": False}]}]).violations
    assert v.message == "field 'status' must be a string, found array [null, true, {'a': false}]"


def test_empty_trace_is_located_at_the_trace() -> None:
    """An empty trace's violation has no poll index and no poll location: both name the trace as a whole."""
    (v,) = Validator().validate([]).violations
    assert (v.index, v.location) == (None, "<trace>")
    assert v.line() == "<trace>: warning: no-status-observed: no poll carried a known status (0 polls)"
    (v,) = Validator().validate([], source="copy.json").violations
    assert v.line() == "copy.json: warning: no-status-observed: no poll carried a known status (0 polls)"


@pytest.mark.parametrize(("source", "job", "message"), [
    (None, None, "<trace> is finished: it takes no more polls"),
    ("f.txt", None, "f.txt is finished: it takes no more polls"),
    ("f.txt", "j1", "job 'j1' of f.txt is finished: it takes no more polls"),
], ids=["unnamed", "source", "source-and-job"])
def test_finished_job_names_only_what_it_has(source: str | None, job: str | None, message: str) -> None:
    """Feeding a finished job is refused naming its source and job, never 'job None'."""
    check = Validator().job(source, job)
    check.finish()
    with pytest.raises(JobFSMError) as info:
        check.feed("completed")
    assert str(info.value) == message


def _peak_mb(argv: list[str], tmp_path: Any) -> tuple[float, str]:
    """Peak resident memory of ``python -m jobfsm ARGV`` in a process of its own (killed after 60 s: a hang
    fails), and its output."""
    import os
    import subprocess
    import sys
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "jobfsm", *argv], stdout=subprocess.PIPE, cwd=tmp_path)
    timer = threading.Timer(60, proc.kill)
    timer.start()
    try:
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    assert os.waitstatus_to_exitcode(status) == 0, out
    return usage.ru_maxrss / 1024, out.decode()


def test_a_chain_of_500_statuses_costs_little_more_than_the_builtin_lifecycle(tmp_path: Any) -> None:
    """Shortest-path tables keep predecessors, not whole paths: a 500-status chain (40 KB of spec) costs a few MB
    more than the built-in lifecycle (whole paths cost 385 MB and seconds), and its 498-status skip still reads."""
    import json

    n = 500
    statuses = [{"name": "s0", "kind": "initial"}, *({"name": f"s{i}", "kind": "active"} for i in range(1, n - 1)),
                {"name": f"s{n - 1}", "kind": "terminal", "outcome": "success"}]
    edges = [{"from": f"s{i}", "event": "next", "to": f"s{i + 1}"} for i in range(n - 1)]
    (tmp_path / "chain.json").write_text(json.dumps({"name": "chain", "statuses": statuses, "edges": edges}))
    builtin, _ = _peak_mb(["check", "notStarted", "completed"], tmp_path)
    chain, out = _peak_mb(["check", "--spec", "chain.json", "s0", "s250", f"s{n - 1}"], tmp_path)
    assert chain - builtin < 40
    lines = out.splitlines()
    unseen = ", ".join(f"s{i}" for i in range(251, n - 1))
    path = " ".join(f"-next-> s{i}" for i in range(251, n))
    assert lines[2] == f"  [2]: info: skipped-states: s250 -> s{n - 1} passed unseen through {unseen} (s250 {path})"
