"""The pytest plugin (entry point ``jobfsm``): the ``jobfsm_trace`` fixture, options, a marker, a summary.

It is inert until used: nothing runs unless a test asks for the fixture or calls ``assert_valid_trace``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from jobfsm.rules import MODES, SEVERITIES

if TYPE_CHECKING:
    from jobfsm.fake import FakeMonitor, FakeServer
    from jobfsm.testing import TraceRecorder

__all__ = ["jobfsm_monitor", "jobfsm_server", "jobfsm_trace"]
_RECORDER = pytest.StashKey["TraceRecorder"]()
_SERVER = pytest.StashKey["FakeServer"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jobfsm", "asyncJobStatus lifecycle checks")
    group.addoption("--jobfsm-mode", choices=MODES, default=None,
                    help="how jobfsm_trace judges polls: sampled (default) or strict")
    group.addoption("--jobfsm-fail-on", choices=SEVERITIES, default=None,
                    help="lowest severity that fails a test using jobfsm_trace (default: error)")
    group.addoption("--jobfsm-complete", action="store_true", default=False,
                    help="require complete traces: start at notStarted, end terminal")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "jobfsm(mode=None, fail_on=None, complete=None, severity=None): options "
                                       "for the jobfsm_trace fixture in this test")


@pytest.fixture
def jobfsm_trace(request: pytest.FixtureRequest) -> TraceRecorder:
    """Record polls with ``jobfsm_trace.observe(status_or_body, job=...)``; they are validated when the
    test body ends, and the test fails with the trace shown poll by poll if they break the lifecycle."""
    __tracebackhide__ = True
    from jobfsm.testing import TraceRecorder
    from jobfsm.validation import Options

    config = request.config
    given: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("jobfsm"))):  # module, class, test: nearest wins
        unknown = set(marker.kwargs) - {"mode", "fail_on", "complete", "severity"}
        if marker.args or unknown:
            raise pytest.UsageError(f"{request.node.nodeid}: @pytest.mark.jobfsm takes the keywords mode, "
                                    f"fail_on, complete and severity; found {marker.args or ''}{sorted(unknown) or ''}")
        given.update((k, v) for k, v in marker.kwargs.items() if v is not None)
    options = Options(
        mode=given.get("mode") or config.getoption("jobfsm_mode") or "sampled",
        complete=bool(given.get("complete", config.getoption("jobfsm_complete"))),
        fail_on=given.get("fail_on") or config.getoption("jobfsm_fail_on") or "error",
        severity=given.get("severity") or {},
    )
    recorder = TraceRecorder(options)
    request.node.stash[_RECORDER] = recorder  # found by the check even when fetched with getfixturevalue
    return recorder


@pytest.fixture
def jobfsm_server(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    """A ``FakeServer`` bound to 127.0.0.1 on a free port, stopped when the test ends."""
    from jobfsm.fake import FakeServer

    server = FakeServer().start()
    request.node.stash[_SERVER] = server
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def jobfsm_monitor(jobfsm_server: FakeServer) -> Callable[..., FakeMonitor]:
    """Make fake monitors served over HTTP: ``jobfsm_monitor(scenario, quirks=Quirks(...))`` or
    ``jobfsm_monitor(seed=3)``; poll ``monitor.url``. After the test body, a client that polled past the
    poll limit fails the test, and polls observed in ``jobfsm_trace`` under ``job=monitor.url`` are
    checked against what that monitor served."""
    return jobfsm_server.monitor


def _check_monitors(item: pytest.Item) -> None:
    """The fake monitors' verdicts on the client: no runaway polling; what it observed, it was served."""
    __tracebackhide__ = True
    server = item.stash.get(_SERVER, None)
    if server is None:
        return
    if server.errors:
        raise server.errors[0]
    recorder = item.stash.get(_RECORDER, None)
    if recorder is None:
        return
    for monitor in server.monitors:
        observed = recorder.polls.get(monitor.url)
        if observed is not None:
            monitor.check_observed(observed, recorder.validator.options)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a passing test body, check what its ``jobfsm_trace`` recorded (a failure fails the test)."""
    __tracebackhide__ = True
    try:
        result = yield
    except BaseException:
        recorder = item.stash.get(_RECORDER, None)
        # the test failed on its own: still show what the trace says, beside its error
        error = recorder.failures() if recorder is not None else None
        if error is not None:
            item.add_report_section("call", "jobfsm", str(error))
        raise
    recorder = item.stash.get(_RECORDER, None)
    if recorder is not None:
        recorder.check()
    _check_monitors(item)
    return result


def _stats() -> dict[str, int]:
    testing = sys.modules.get("jobfsm.testing")  # loaded only if some test checked a trace
    return dict(testing.STATS) if testing is not None else {"checked": 0, "failed": 0}


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: hand the counts to the controller
        workeroutput["jobfsm"] = _stats()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: add a worker's counts to the controller's."""
    counts = getattr(node, "workeroutput", {}).get("jobfsm")
    if counts:
        import jobfsm.testing

        for key in ("checked", "failed"):
            jobfsm.testing.STATS[key] += counts[key]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    stats = _stats()
    if stats["checked"]:
        from jobfsm.report import plural

        checked = plural(stats["checked"], "trace")
        terminalreporter.write_line(f"jobfsm: {checked} checked, {stats['failed']} failed the lifecycle")
