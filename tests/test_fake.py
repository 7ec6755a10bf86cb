"""Pins jobfsm.fake: the fake monitor's answers and quirks, its recording read by the validator's HTTP code,
the HTTP server polled by a real urllib client, and the pytest fixtures that check a client against it."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from jobfsm.cli import main
from jobfsm.coverage import CoverageCollector
from jobfsm.errors import InputError, ObservationError, OptionsError, TraceViolationError
from jobfsm.fake import FakeMonitor, FakeServer, PollLimitError, Quirks, ScenarioError, random_walk
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.paths import covering_walks
from jobfsm.spec import Spec
from jobfsm.specfile import read_spec
from jobfsm.validation import Options, validate

HAPPY = ["notStarted", "inProgress", "completed"]
LRO = Path(__file__).parent.parent / "examples" / "specs" / "long-running-operation.toml"


def codes(monitor: FakeMonitor, polls: int, headers: dict[str, str] | None = None) -> list[tuple[int, Any]]:
    """Poll ``monitor`` in process: (code, status or error code) of each answer."""
    out = []
    for _ in range(polls):
        answer = monitor("GET", monitor.url, headers)
        body = answer.json()
        out.append((answer.code, body.get("status") or body["error"]["code"]))
    return out


def rules(monitor: FakeMonitor) -> list[str]:
    """The rule ids the validator reports on the monitor's recording."""
    return [v.rule for v in monitor.report().violations]


@pytest.mark.parametrize(("scenario", "expected"), [
    (HAPPY, [(202, "notStarted"), (202, "inProgress"), (303, "completed"), (303, "completed")]),
    (["inProgress", "failed"], [(202, "inProgress"), (200, "failed"), (200, "failed")]),
    (["notStarted", "cancelPending", "cancelled"], [(202, "notStarted"), (202, "cancelPending"), (200, "cancelled")]),
], ids=["completed", "failed", "cancelled"])
def test_plain_answers(scenario: list[str], expected: list[tuple[int, str]]) -> None:
    """202 while running, 303 at completion, 200 for the other ends; the terminal answer repeats."""
    monitor = FakeMonitor(scenario)
    assert codes(monitor, len(expected)) == expected
    assert rules(monitor) == []


def test_completion_redirects_to_the_result_item() -> None:
    """The 303 carries a Location naming the result item, whose id is the body's resourceId; the item is served."""
    monitor = FakeMonitor(HAPPY)
    codes(monitor, 2)
    answer = monitor("GET", monitor.url)
    body = answer.json()
    assert answer.headers["Location"] == monitor.item_url
    assert monitor.item_url.endswith(f"/drive/items/{body['resourceId']}")
    item = monitor("GET", answer.headers["Location"])
    assert (item.code, item.json()["id"]) == (200, body["resourceId"])
    assert monitor.report().ok


@pytest.mark.parametrize(("quirks", "expected", "found"), [
    (Quirks(accepted_completed=True),
     [(202, "notStarted"), (202, "inProgress"), (202, "completed"), (303, "completed")], ["http-status-mismatch"]),
    (Quirks(server_error=True),
     [(202, "notStarted"), (500, "inProgress"), (303, "completed")], ["http-status-mismatch"]),
    (Quirks(expire_after=2),
     [(202, "notStarted"), (202, "inProgress"), (303, "completed"), (303, "completed"), (404, "itemNotFound")], []),
    (Quirks(long_queue=3),
     [*[(202, "notStarted")] * 4, (202, "inProgress"), (303, "completed")], []),
], ids=["202-completed", "500-with-body", "expiry", "long-queue"])
def test_quirks(quirks: Quirks, expected: list[tuple[int, str]], found: list[str]) -> None:
    """Each quirk changes the answers as the real service does; the validator reads the recording as a HAR."""
    monitor = FakeMonitor(HAPPY, quirks=quirks)
    assert codes(monitor, len(expected)) == expected
    assert rules(monitor) == found
    assert monitor.report().ok


@pytest.mark.parametrize(("scenario", "spec", "expected"), [
    (["notStarted", "waiting", "inProgress", "completed"], LIFECYCLE, [202, 202, 500, 303]),
    (["notStarted", "cancelPending", "cancelled"], LIFECYCLE, [202, 202, 200]),
    (["notStarted", "running", "succeeded"], read_spec(str(LRO)), [202, 500, 303]),
], ids=["waiting-first", "no-inProgress", "own-spec"])
def test_server_error_hits_the_first_inprogress(scenario: list[str], spec: Spec, expected: list[int]) -> None:
    """server_error answers 500 to the first inProgress poll, as documented, not to an earlier waiting or
    cancelPending; a scenario without inProgress gets none; a spec of one's own fails its working status."""
    monitor = FakeMonitor(scenario, spec=spec, quirks=Quirks(server_error=True))
    assert [code for code, _ in codes(monitor, len(expected))] == expected


@pytest.mark.parametrize(("scenario", "expected"), [
    (["inProgress", "completed"], [(202, "notStarted")] * 2 + [(202, "inProgress"), (303, "completed")]),
    ([{"operation": "DownloadUrl", "percentageComplete": 40.0, "status": "inProgress"}, {"status": "failed"}],
     [(202, {"operation": "DownloadUrl", "percentageComplete": 0.0, "status": "notStarted"})] * 2
     + [(202, {"operation": "DownloadUrl", "percentageComplete": 40.0, "status": "inProgress"}),
        (200, {"status": "failed"})]),
], ids=["statuses", "bodies"])
def test_a_long_queue_before_a_scenario_that_starts_later(scenario: list[Any], expected: list[Any]) -> None:
    """long_queue gives its notStarted answers even when the scenario starts past notStarted: they come
    first, with the operation of the scenario's first body, and the recording still validates."""
    monitor = FakeMonitor(scenario, quirks=Quirks(long_queue=2))
    answers = [monitor("GET", monitor.url) for _ in expected]
    if isinstance(scenario[0], str):
        assert [(a.code, a.json()["status"]) for a in answers] == expected
    else:
        assert [(a.code, a.json()) for a in answers] == expected
    assert rules(monitor) == []


def test_a_long_queue_costs_no_memory() -> None:
    """long_queue is a count, not a list of answers: a billion queued answers take no more memory than three."""
    import tracemalloc

    tracemalloc.start()
    try:
        monitor = FakeMonitor(HAPPY, quirks=Quirks(long_queue=10**9))
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()
    assert codes(monitor, 3) == [(202, "notStarted")] * 3


def test_401_whenever_an_authorization_header_is_sent() -> None:
    """With auth_401, a poll with Authorization gets 401 and the job does not move; without, it goes on."""
    monitor = FakeMonitor(HAPPY, quirks=Quirks(auth_401=True))
    bearer = {"authorization": "Bearer token"}
    assert codes(monitor, 2, bearer) == [(401, "unauthenticated")] * 2
    assert codes(monitor, 1) == [(202, "notStarted")]
    assert codes(monitor, 1, {"Authorization": "Bearer token"}) == [(401, "unauthenticated")]
    assert codes(monitor, 2) == [(202, "inProgress"), (303, "completed")]
    assert rules(monitor) == ["auth-error", "auth-error", "auth-error"]
    assert monitor.report().violations[0].message == (
        "HTTP 401 from the monitor: its URL is pre-authenticated, so the client must not send an Authorization "
        "header (this request sent one)")


def test_start_url_and_other_requests() -> None:
    """POST to the start URL gives 202 with the monitor as Location; other methods 405, other paths 404; the
    POST and the item GET are recorded but are not polls."""
    monitor = FakeMonitor(HAPPY)
    start = monitor("POST", monitor.start_url)
    assert (start.code, start.headers["Location"], start.body) == (202, monitor.url, b"")
    assert monitor("DELETE", monitor.url).code == 405
    assert monitor("GET", monitor.origin + "/elsewhere").code == 404
    codes(monitor, 3)
    monitor("GET", monitor.item_url)
    assert len(monitor.exchanges) == 7
    assert len(monitor.polls) == 3
    assert monitor.served == HAPPY
    assert monitor.report().ok


@pytest.mark.parametrize(("method", "where", "allow"), [
    ("POST", "item_url", "GET"), ("DELETE", "item_url", "GET"), ("PUT", "url", "GET"), ("HEAD", "url", "GET"),
    ("GET", "start_url", "POST"),
], ids=["post-item", "delete-item", "put-monitor", "head-monitor", "get-start"])
def test_other_methods_get_405(method: str, where: str, allow: str) -> None:
    """Each URL answers its one method; any other gets 405 with Allow naming it (the result item too, which
    used to answer 200 with the item to a POST or a DELETE)."""
    monitor = FakeMonitor(HAPPY)
    answer = monitor(method, getattr(monitor, where))
    assert (answer.code, answer.headers["Allow"], answer.json()["error"]["code"]) == (405, allow, "methodNotAllowed")


def test_the_verdict_is_one_job_per_monitor_as_validate_reads_its_har(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Polls of the monitor with a query of their own (a cache-buster) and without are one job in report(),
    not the first URL seen; `jobfsm validate` on the HAR the fake writes reads the same one job."""
    monitor = FakeMonitor(HAPPY)
    for url in (monitor.url + "?a=b", monitor.url, monitor.url):
        monitor("GET", url)
    monitor("GET", monitor.item_url)
    report = monitor.report()
    assert (report.job, report.final, report.polls, report.violations) == (monitor.url, "completed", 3, ())
    assert len(monitor.polls) == 3
    har = tmp_path / "fake.har"
    har.write_text(json.dumps(monitor.har()))
    assert main(["validate", "--format", "json", str(har)]) == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert [(j["job"], j["final"], j["polls"], j["violations"]) for j in jobs] == [(monitor.url, "completed", 3, [])]


def test_a_query_the_monitor_url_lacks_is_no_poll() -> None:
    """A monitor URL with a query of its own is polled with that query first (more may follow); the same path
    with another query is another resource, 404."""
    monitor = FakeMonitor(HAPPY, url="https://tenant.example/_api/v2.1/drive/operations/7?c=x")
    assert monitor("GET", monitor.url + "&_=1").code == 202
    assert monitor("GET", "https://tenant.example/_api/v2.1/drive/operations/7?c=y").code == 404
    assert [ex.monitor for ex in monitor.exchanges] == [monitor.url, ""]


def test_seeded_random_walks_are_legal_complete_and_repeatable() -> None:
    """A seed gives the same complete legal walk every time; different seeds give different walks."""
    walks = [random_walk(seed) for seed in range(20)]
    assert walks == [random_walk(seed) for seed in range(20)]
    assert len({tuple(w) for w in walks}) > 5
    for walk in walks:
        assert validate(walk, mode="strict", complete=True, fail_on="info").ok
    monitor = FakeMonitor(seed=7)
    assert [b["status"] for b in monitor.scenario] == random_walk(7)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"scenario": ["completed", "inProgress"]}, ScenarioError,
     "the scenario is not a legal trace: [1]: error: left-terminal: inProgress after terminal status completed; a "
     "terminal status may only repeat; pass check=False to play it anyway"),
    ({}, OptionsError, "nothing to play: give a scenario (a legal trace of statuses or bodies) or a seed for a "
                       "random walk"),
    ({"scenario": HAPPY, "seed": 1}, OptionsError,
     "give a scenario (a legal trace of statuses or bodies) or a seed for a random walk, not both"),
    ({"scenario": "completed"}, ScenarioError, "a scenario is a list of statuses or asyncJobStatus bodies, found str"),
    ({"scenario": []}, ScenarioError, "a scenario needs at least one poll"),
    ({"scenario": ["notStarted", {"status": "failed"}]}, ScenarioError,
     "a scenario is all statuses or all asyncJobStatus bodies; found a mix or something else"),
    ({"scenario": [{"percentageComplete": 5}]}, ScenarioError, "every body of a scenario needs a 'status' string"),
], ids=["illegal", "neither", "both", "string", "empty", "mixed", "no-status"])
def test_bad_scenarios(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    """Scenarios that are not legal traces are refused with a message saying what is wrong."""
    with pytest.raises(error) as exc:
        FakeMonitor(**kwargs)
    assert str(exc.value) == message


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"poll_limit": "3"}, OptionsError, "poll_limit must be an integer of at least 1, found '3'"),
    ({"poll_limit": 0}, OptionsError, "poll_limit must be an integer of at least 1, found 0"),
    ({"poll_limit": True}, OptionsError, "poll_limit must be an integer of at least 1, found True"),
    ({"quirks": "all"}, OptionsError,
     "quirks must be a Quirks, such as Quirks(auth_401=True) or Quirks.all(), found 'all'"),
    ({"quirks": {"auth_401": True}}, OptionsError,
     "quirks must be a Quirks, such as Quirks(auth_401=True) or Quirks.all(), found dict"),
    ({"spec": "x"}, OptionsError,
     "spec must be a Spec, such as jobfsm.specfile.read_spec('my-lifecycle.toml'), found 'x'"),
    ({"url": 5}, OptionsError, "url must be an absolute URL such as https://monitor.fake.invalid/monitor/1, found 5"),
    ({"url": "/monitor/1"}, OptionsError,
     "url must be an absolute URL such as https://monitor.fake.invalid/monitor/1, found '/monitor/1'"),
    ({"url": "http://[/monitor"}, OptionsError,
     "url must be an absolute URL such as https://monitor.fake.invalid/monitor/1, found 'http://[/monitor'"),
    ({"seed": "7", "scenario": None}, OptionsError, "seed must be an integer, found '7'"),
    ({"check": "no"}, OptionsError, "check must be True or False, found 'no'"),
    ({"scenario": [{"status": "notStarted", "at": object()}]}, ScenarioError,
     "body 0 of the scenario cannot be sent as JSON: Object of type object is not JSON serializable"),
    ({"scenario": [{"status": "notStarted"}, {"status": "failed", "percentageComplete": float("nan")}],
      "check": False}, ScenarioError,
     "body 1 of the scenario cannot be sent as JSON: Out of range float values are not JSON compliant"),
], ids=["poll-limit-str", "poll-limit-zero", "poll-limit-bool", "quirks-str", "quirks-dict", "spec-str", "url-int",
        "url-relative", "url-unparsable", "seed-str", "check-str", "body-not-json", "body-nan-unchecked"])
def test_bad_arguments_are_refused_at_construction(kwargs: dict[str, Any], error: type[Exception],
                                                   message: str) -> None:
    """Arguments of the wrong type or out of range are refused when the monitor is made, in one line, not
    at the first poll (or in the server's thread)."""
    kwargs = {"scenario": HAPPY, **kwargs}
    with pytest.raises(error) as exc:
        FakeMonitor(kwargs.pop("scenario"), **kwargs)
    assert str(exc.value) == message


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"long_queue": True}, "long_queue must be an integer of at least 0, found True"),
    ({"long_queue": -1}, "long_queue must be an integer of at least 0, found -1"),
    ({"expire_after": True}, "expire_after must be a positive integer or None, found True"),
    ({"expire_after": 0}, "expire_after must be a positive integer or None, found 0"),
    ({"auth_401": "yes"}, "auth_401 must be True or False, found 'yes'"),
], ids=["long-queue-bool", "long-queue-negative", "expire-after-bool", "expire-after-zero", "flag-str"])
def test_bad_quirks(kwargs: dict[str, Any], message: str) -> None:
    """Quirks refuses values that are not what each quirk counts (True is not a number of answers)."""
    with pytest.raises(OptionsError) as exc:
        Quirks(**kwargs)
    assert str(exc.value) == message


@pytest.mark.parametrize(("request_", "message"), [
    (("GET", FakeMonitor(HAPPY).url, [("Authorization", "x")]),
     "headers must be a mapping of header names to values, all strings; found list"),
    (("GET", FakeMonitor(HAPPY).url, {"X-Count": 1}),
     "headers must be a mapping of header names to values, all strings; found dict"),
    ((None, FakeMonitor(HAPPY).url, {}), "a request is a method and a URL, both strings; found None and "
                                         "'https://monitor.fake.invalid/monitor/1'"),
    (("GET", "http://[::1/monitor/1", {}), "cannot read the URL 'http://[::1/monitor/1': Invalid IPv6 URL"),
], ids=["headers-list", "header-value-int", "method-none", "url-unreadable"])
def test_bad_requests_in_process(request_: tuple[Any, Any, Any], message: str) -> None:
    """A request the in-process monitor cannot read is an OptionsError naming what was wrong, and is not
    recorded."""
    monitor = FakeMonitor(HAPPY)
    with pytest.raises(OptionsError) as exc:
        monitor(*request_)
    assert (str(exc.value), monitor.exchanges) == (message, [])


@pytest.mark.parametrize(("scenario", "check", "expected", "found"), [
    (["notStarted", "running", "completed"], True, [(202, "notStarted"), (202, "running"), (303, "completed")],
     ["status-alias"]),
    (["notStarted", "updating", "deleteFailed"], True, [(202, "notStarted"), (202, "updating"), (200, "deleteFailed")],
     ["status-alias", "status-alias"]),
    (["notStarted", "Completed"], False, [(202, "notStarted"), (303, "Completed")], ["status-case"]),
    (["notStarted", "bogus", "failed"], False, [(202, "notStarted"), (202, "bogus"), (200, "failed")],
     ["unknown-status"]),
], ids=["alias-running", "old-vocabulary", "miscased-unchecked", "unknown-unchecked"])
def test_statuses_are_served_as_written(scenario: list[str], check: bool, expected: list[tuple[int, str]],
                                        found: list[str]) -> None:
    """An alias, a miscased status or (check off) an unknown one is served as written, with the code of the
    status the validator reads it as; the verdict notes it as `jobfsm validate` does."""
    monitor = FakeMonitor(scenario, check=check)
    assert codes(monitor, len(expected)) == expected
    assert [v.rule for v in monitor.report().violations if v.rule != "skipped-states"] == found


def test_an_illegal_scenario_plays_with_check_off() -> None:
    """check=False plays any trace; the validator then reports what it breaks."""
    monitor = FakeMonitor(["completed", "inProgress"], check=False)
    codes(monitor, 2)
    assert "left-terminal" in rules(monitor)


def test_bodies_are_served_as_given() -> None:
    """A scenario of bodies is served body by body, extra fields included."""
    scenario = [{"status": "inProgress", "percentageComplete": 10, "errorCode": None},
                {"status": "failed", "error": {"code": "nameAlreadyExists", "message": "exists"}}]
    monitor = FakeMonitor(scenario)
    assert [monitor("GET", monitor.url).json() for _ in range(2)] == scenario


def test_poll_limit_stops_a_looping_client() -> None:
    """Past poll_limit, the in-process monitor raises PollLimitError naming what it served."""
    monitor = FakeMonitor(["inProgress", "failed"], poll_limit=3)
    codes(monitor, 3)
    with pytest.raises(PollLimitError) as exc:
        monitor("GET", monitor.url)
    assert str(exc.value) == (f"{monitor.url}: polled more than 3 times; the client is most likely looping "
                              f"(served so far: inProgress -> failed -> failed)")


def test_check_observed() -> None:
    """What the client saw must be legal, served, in order, and end where the monitor ended."""
    monitor = FakeMonitor(["notStarted", "inProgress", "waiting", "inProgress", "failed"])
    codes(monitor, 5)
    assert monitor.check_observed(["notStarted", "failed"]).ok
    assert monitor.check_observed(["inProgress", "Failed"]).ok  # casing is the validator's business (a warning)
    with pytest.raises(ObservationError) as exc:
        monitor.check_observed(["notStarted", "completed"])
    assert str(exc.value) == (
        f"{monitor.url}: the client reports completed (its change 1), which the monitor did not serve at that "
        f"point; served: notStarted -> inProgress -> waiting -> inProgress -> failed; observed: notStarted -> "
        f"completed")
    with pytest.raises(ObservationError) as exc:
        monitor.check_observed(["notStarted", "inProgress"])
    assert str(exc.value) == (
        f"{monitor.url}: the monitor ended at failed, but the client's last status is inProgress; served: "
        f"notStarted -> inProgress -> waiting -> inProgress -> failed; observed: notStarted -> inProgress")
    with pytest.raises(TraceViolationError):
        monitor.check_observed(["failed", "inProgress"])
    with pytest.raises(ObservationError) as exc:
        monitor.check_observed(["mystery"])  # an unknown status is a warning, and no status the monitor ended at
    assert str(exc.value) == (
        f"{monitor.url}: the monitor ended at failed, but the client reports no known status; served: "
        f"notStarted -> inProgress -> waiting -> inProgress -> failed; observed: nothing")


@pytest.mark.parametrize(("observed", "found"), [
    ("completed", "a single string; wrap one poll in a list"),
    ({"status": "completed"}, "a single object; wrap one poll in a list"),
    (5, "int"),
], ids=["string", "dict", "not-iterable"])
def test_check_observed_refuses_what_is_not_a_trace(observed: Any, found: str) -> None:
    """check_observed takes a sequence of polls: a single status or body, or no sequence at all, is refused in
    one line, as Validator.validate does, instead of being read character by character or raising TypeError."""
    monitor = FakeMonitor(HAPPY)
    codes(monitor, 3)
    with pytest.raises(InputError) as exc:
        monitor.check_observed(observed)
    assert str(exc.value) == ("observed: expected a sequence of the polls the client saw (statuses or bodies), "
                              f"found {found}")


def test_covering_walks_played_by_fakes_cover_every_edge() -> None:
    """Fakes playing the covering walks, polled to the end: their recordings cover every edge."""
    collector = CoverageCollector(Options(mode="strict"))
    for walk in covering_walks():
        monitor = FakeMonitor(walk, quirks=Quirks(accepted_completed=True))
        codes(monitor, len(walk) + 1)
        collector.add_exchanges(monitor.exchanges, source=monitor.url)
    result = collector.result()
    assert result.uncovered_edges == ()
    assert result.edge_percent == 100.0


# --- a real HTTP client against the server ---

class Client:
    """A small monitor client on urllib, as a client author would write it: follows redirects, reads the body
    whatever the code (the body wins), drops credentials on 401, stops at a terminal status."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.seen: list[dict[str, Any]] = []
        self.result: dict[str, Any] | None = None

    def get(self) -> tuple[int, str, Any]:
        """One GET: (code, final URL, JSON body or None)."""
        request = urllib.request.Request(self.url, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.geturl(), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, self.url, json.loads(exc.read() or b"null")

    def run(self, limit: int = 50) -> str:
        """Poll until a terminal status; return it."""
        for _ in range(limit):
            code, where, body = self.get()
            if code == 401:
                self.headers.pop("Authorization", None)
                continue
            if isinstance(body, dict) and "status" in body:
                self.seen.append(body)
                if LIFECYCLE.resolve(body["status"]).status in LIFECYCLE.terminals:
                    return str(body["status"])
            elif where != self.url and code == 200:  # a redirect followed to the finished item
                self.result = body
                self.seen.append({"status": "completed", "resourceId": body["id"]})
                return "completed"
        raise AssertionError(f"no terminal status after {limit} polls")


def test_urllib_client_through_every_quirk(jobfsm_monitor, jobfsm_trace, tmp_path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A urllib client polls the fake server through 401, a long queue, a 500 with a body, a retry, a 202
    carrying completed; polling on, it follows the 303 to the item and then meets the expired monitor. Both
    what it saw and what the server recorded (as a HAR read by `jobfsm validate`) validate."""
    monitor = jobfsm_monitor(["notStarted", "inProgress", "waiting", "inProgress", "completed"],
                             quirks=Quirks.all(expire_after=1, long_queue=3))
    assert monitor.url.startswith("http://127.0.0.1:")
    client = Client(monitor.url, token="secret")
    assert client.run() == "completed"
    for body in client.seen:
        jobfsm_trace.observe(body, job=monitor.url)  # the plugin checks these against the server's answers
    assert [b["status"] for b in client.seen] == ["notStarted"] * 4 + ["inProgress", "waiting", "inProgress",
                                                                       "completed"]
    assert client.get()[:2] == (200, monitor.item_url)  # polled once more: the 303 is followed to the item
    assert client.get()[0] == 404  # and once more: the monitor has expired
    assert [ex.code for ex in monitor.exchanges] == [401, 202, 202, 202, 202, 500, 202, 202, 202, 303, 200, 404]
    report = monitor.report()
    assert report.ok
    assert report.final == "completed"
    assert [v.rule for v in report.violations] == ["auth-error", "http-status-mismatch", "http-status-mismatch"]
    har = tmp_path / "fake.har"
    har.write_text(json.dumps(monitor.har()))
    assert main(["validate", "--format", "json", str(har)]) == 0
    (job,) = json.loads(capsys.readouterr().out)["jobs"]
    assert (job["job"], job["final"], job["polls"]) == (monitor.url, "completed", 11)
    assert [v["rule"] for v in job["violations"]] == [v.rule for v in report.violations]


def test_server_serves_several_monitors_and_stops(tmp_path) -> None:
    """One server, two monitors on their own paths, other paths 404; after stop the port refuses."""
    with FakeServer() as server:
        a = server.monitor(["inProgress", "failed"])
        b = server.monitor(seed=3)
        assert Client(a.url).run() == "failed"
        assert Client(b.url).run() == random_walk(3)[-1]
        assert Client(server.base_url + "/nothing").get()[0] == 404
        url = a.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)


PLUGIN_LOOP = '''
import json, urllib.error, urllib.request

def test_loops_on_failed(jobfsm_monitor):
    monitor = jobfsm_monitor(["inProgress", "failed"], poll_limit=5)
    for _ in range(8):  # a client that does not stop at failed
        try:
            urllib.request.urlopen(monitor.url, timeout=5).close()
        except urllib.error.HTTPError as exc:
            exc.close()
'''

PLUGIN_OBSERVED = '''
import json, urllib.request

def test_client(jobfsm_monitor, jobfsm_trace):
    monitor = jobfsm_monitor(["notStarted", "inProgress", "failed"])
    for _ in range(2):  # a client that gives up too early
        with urllib.request.urlopen(monitor.url, timeout=5) as r:
            jobfsm_trace.observe(json.loads(r.read()), job=monitor.url)
    {extra}
'''


@pytest.mark.parametrize(("source", "line"), [
    (PLUGIN_LOOP, "*PollLimitError: http://127.0.0.1:*/monitor/1: polled more than 5 times; the client is most "
                  "likely looping (served so far: inProgress -> failed -> failed -> failed -> failed)"),
    (PLUGIN_OBSERVED.format(extra="urllib.request.urlopen(monitor.url).close()"),
     "*ObservationError: http://127.0.0.1:*/monitor/1: the monitor ended at failed, but the client's last status is "
     "inProgress; served: notStarted -> inProgress -> failed; observed: notStarted -> inProgress"),
], ids=["runaway-polling", "missed-the-end"])
def test_fixture_fails_the_test(pytester: pytest.Pytester, source: str, line: str) -> None:
    """jobfsm_monitor fails a test whose client polls past the limit, or reports less than it was served; the
    failure is its one message, jobfsm's own frames hidden, as for a trace that breaks the lifecycle."""
    pytester.makepyfile(source)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["=* FAILURES =*", "_* test_* _*", "", line.replace("*", "E   jobfsm.errors.", 1)],
                                consecutive=True)
    assert "fake.py" not in result.stdout.str()


def test_fixture_passes_a_client_that_saw_what_it_was_served(pytester: pytest.Pytester) -> None:
    """A client whose observations are a prefix of what it was served passes (the job had not ended)."""
    pytester.makepyfile(PLUGIN_OBSERVED.format(extra="pass"))
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_serve_command_plays_a_scenario_until_terminated(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm serve` prints the monitor URL, answers a urllib client, and on SIGTERM validates what it
    answered and writes it as a HAR that `jobfsm validate` reads."""
    har = tmp_path / "served.har"
    proc = subprocess.Popen([sys.executable, "-m", "jobfsm", "serve", "--all-quirks", "--har", str(har),
                             "--timeout", "60", "notStarted", "inProgress", "completed"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        head = [proc.stdout.readline() for _ in range(3)]
        assert head[0].startswith("monitor: http://127.0.0.1:")
        url = head[0].split()[1]
        assert head[1:] == [f"start: {url}/start\n",
                            "serving for 60 s or until interrupted (notStarted inProgress completed)\n"]
        client = Client(url, token="secret")
        assert client.run() == "completed"
        assert [b["status"] for b in client.seen] == ["notStarted"] * 4 + ["inProgress", "completed"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.splitlines() == [
        f"fake monitor job {url}: ok (final completed, 7 requests, 7 polls)",
        "  fake monitor:exchange 0: poll 0: warning: auth-error: HTTP 401 from the monitor: its URL is "
        "pre-authenticated, so the client must not send an Authorization header (this request sent one)",
        "  fake monitor:exchange 5: poll 5: warning: http-status-mismatch: HTTP 500 is an error, but the body says "
        "'inProgress'; the body wins",
        "  fake monitor:exchange 6: poll 6: warning: http-status-mismatch: HTTP 202 says the job is still running, "
        "but the body says 'completed'; the body wins",
    ]
    assert main(["validate", "--fail-on", "error", str(har)]) == 0
    assert f"{har} job {url}: ok (final completed, 7 polls)" in capsys.readouterr().out


NEVER_POLLED = "  error: the client never polled the monitor; no requests were made"


@pytest.mark.parametrize(("argv", "code", "out", "err"), [
    (["--timeout", "0.1", "notStarted"], 1, NEVER_POLLED, ""),
    (["--timeout", "0.1", "completed", "inProgress"], 2, "",
     "jobfsm: error: the scenario is not a legal trace: [1]: error: left-terminal: inProgress after terminal status "
     "completed; a terminal status may only repeat; pass --no-check to play it anyway"),
    (["--timeout", "0.1", "--no-check", "completed", "inProgress"], 1, NEVER_POLLED, ""),
    (["--timeout", "0", "notStarted"], 2, "", "jobfsm: error: --timeout 0: expected a number of seconds above 0 and "
                                              "at most 604800 (a week); leave it out to serve until interrupted"),
    (["--timeout", "0.1"], 2, "", "jobfsm: error: nothing to serve: give the scenario's statuses (e.g. jobfsm serve "
                                  "notStarted inProgress completed) or --seed N for a random walk"),
    ([], 2, "", "jobfsm: error: nothing to serve: give the scenario's statuses (e.g. jobfsm serve notStarted "
                "inProgress completed) or --seed N for a random walk"),
    (["--seed", "3", "notStarted"], 2, "", "jobfsm: error: give the scenario's statuses or --seed N for a random "
                                           "walk, not both"),
], ids=["idle", "illegal-scenario", "illegal-scenario-no-check", "zero-timeout", "nothing-to-play", "no-arguments",
        "statuses-and-seed"])
def test_serve_command_exits(argv: list[str], code: int, out: str, err: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm serve` with nothing polled exits 1 (the client failed); an illegal or missing scenario is a usage
    error (2)."""
    assert main(["serve", *argv]) == code
    got = capsys.readouterr()
    assert got.out.splitlines()[-1:] == ([out] if out else [])
    assert got.err.strip() == err


def _serve(*argv: str) -> tuple[subprocess.Popen[str], str]:
    """Start `jobfsm serve` in a process; the process and the monitor URL it printed first."""
    proc = subprocess.Popen([sys.executable, "-m", "jobfsm", "serve", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()[1]


def test_serve_command_fails_a_client_past_the_poll_limit() -> None:
    """A client polling past --poll-limit gets 503s and the run FAILED with exit 1, never 'ok'; without
    --timeout it serves until interrupted."""
    proc, url = _serve("--poll-limit", "3", "notStarted", "failed")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == f"start: {url}/start\n"
        assert proc.stdout.readline() == "serving until interrupted (notStarted failed)\n"
        assert [Client(url).get()[0] for _ in range(5)] == [202, 200, 200, 503, 503]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (1, "")
    assert out.splitlines() == [
        f"fake monitor job {url}: FAILED (final failed, 5 requests, 5 polls)",
        f"  error: {url}: polled more than 3 times; the client is most likely looping (served so far: notStarted -> "
        "failed -> failed)"]


def test_serve_command_plays_a_spec_of_its_own() -> None:
    """serve --spec plays that lifecycle: succeeded is its success (a 303), and the verdict judges by it."""
    spec = Path(__file__).parent.parent / "examples" / "specs" / "long-running-operation.toml"
    proc, url = _serve("--spec", str(spec), "notStarted", "running", "succeeded")
    try:
        assert proc.stdout is not None
        assert [proc.stdout.readline() for _ in range(2)] == [
            f"start: {url}/start\n", "serving until interrupted (notStarted running succeeded)\n"]
        assert [(code, body.get("status")) for code, _, body in (Client(url).get() for _ in range(3))] == [
            (202, "notStarted"), (202, "running"), (200, None)]  # urllib follows the 303 to the item
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (0, "")
    assert out.splitlines() == [f"fake monitor job {url}: ok (final succeeded, 4 requests, 3 polls)"]


def test_serve_command_says_how_long_it_serves(capsys: pytest.CaptureFixture[str]) -> None:
    """With --timeout, `jobfsm serve` says it serves for that long or until interrupted."""
    assert main(["serve", "--timeout", "0.1", "notStarted", "failed"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "serving for 0.1 s or until interrupted (notStarted failed)"


def test_serve_command_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    """A port that is taken is a usage error (2) naming the port, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--timeout", "0.1", "notStarted"]) == 2
    assert capsys.readouterr().err.startswith(f"jobfsm: error: cannot listen on 127.0.0.1:{port}: ")
