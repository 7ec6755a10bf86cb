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
    from jobfsm.spec import Spec
    from jobfsm.testing import TraceRecorder
    from jobfsm.validation import Options

__all__ = ["jobfsm_monitor", "jobfsm_server", "jobfsm_trace"]
_RECORDER = pytest.StashKey["TraceRecorder"]()
_SERVER = pytest.StashKey["FakeServer"]()
_SETTINGS = pytest.StashKey["tuple[Options, Spec]"]()
_MARKER_KEYS = ("mode", "fail_on", "complete", "severity", "spec")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jobfsm", "asyncJobStatus lifecycle checks")
    group.addoption("--jobfsm-mode", choices=MODES, default=None,
                    help="how jobfsm_trace judges polls: sampled (default) or strict")
    group.addoption("--jobfsm-fail-on", choices=SEVERITIES, default=None,
                    help="lowest severity that fails a test using jobfsm_trace (default: error)")
    group.addoption("--jobfsm-complete", action="store_true", default=False,
                    help="require complete traces: start at notStarted, end terminal")
    group.addoption("--jobfsm-spec", metavar="FILE", default=None,
                    help="the lifecycle jobfsm_trace and jobfsm_monitor use: a spec file (default: the built-in "
                         "asyncJobStatus)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "jobfsm(mode=None, fail_on=None, complete=None, severity=None, spec=None): "
                                       "options for the jobfsm_trace fixture in this test; spec (a Spec, or a spec "
                                       "file's path from the rootdir) for jobfsm_monitor too")


@pytest.fixture
def jobfsm_trace(request: pytest.FixtureRequest) -> TraceRecorder:
    """Record polls with ``jobfsm_trace.observe(status_or_body, job=...)``; they are validated when the
    test body ends, and the test fails with the trace shown poll by poll if they break the lifecycle."""
    __tracebackhide__ = True
    from jobfsm.testing import TraceRecorder

    recorder = TraceRecorder(*_settings(request))
    request.node.stash[_RECORDER] = recorder  # found by the check even when fetched with getfixturevalue
    return recorder


def _settings(request: pytest.FixtureRequest) -> tuple[Options, Spec]:
    """The options and the spec of this test: its jobfsm markers (nearest wins), else the command line."""
    __tracebackhide__ = True
    found: tuple[Options, Spec] | None = request.node.stash.get(_SETTINGS, None)
    if found is not None:
        return found
    from jobfsm.validation import Options

    config = request.config
    given: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("jobfsm"))):  # module, class, test: nearest wins
        unknown = set(marker.kwargs) - set(_MARKER_KEYS)
        if marker.args or unknown:
            raise pytest.UsageError(f"{request.node.nodeid}: @pytest.mark.jobfsm takes the keywords mode, "
                                    f"fail_on, complete, severity and spec; found "
                                    f"{marker.args or ''}{sorted(unknown) or ''}")
        given.update((k, v) for k, v in marker.kwargs.items() if v is not None)
    options = Options(
        mode=given.get("mode") or config.getoption("jobfsm_mode") or "sampled",
        complete=bool(given.get("complete", config.getoption("jobfsm_complete"))),
        fail_on=given.get("fail_on") or config.getoption("jobfsm_fail_on") or "error",
        severity=given.get("severity") or {},
    )
    spec = _spec(given["spec"], config.rootpath) if "spec" in given else _spec(
        config.getoption("jobfsm_spec"), config.invocation_params.dir)
    request.node.stash[_SETTINGS] = (options, spec)
    return options, spec


def _spec(given: Any, base: Any) -> Spec:
    """A marker's or option's spec: a ``Spec`` as it is, a path read as a spec file (relative to ``base``)."""
    __tracebackhide__ = True
    from jobfsm.errors import SpecFileError
    from jobfsm.lifecycle import LIFECYCLE
    from jobfsm.spec import Spec
    from jobfsm.specfile import read_spec

    if given is None:
        return LIFECYCLE
    if isinstance(given, Spec):
        return given
    try:
        return read_spec(str(base / given))
    except TypeError:
        raise pytest.UsageError(f"jobfsm spec: expected a Spec or the path of a spec file, found "
                                f"{type(given).__name__}") from None
    except SpecFileError as exc:
        raise pytest.UsageError(f"jobfsm spec: {exc}") from None


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
def jobfsm_monitor(request: pytest.FixtureRequest, jobfsm_server: FakeServer) -> Callable[..., FakeMonitor]:
    """Make fake monitors served over HTTP: ``jobfsm_monitor(scenario, quirks=Quirks(...))`` or
    ``jobfsm_monitor(seed=3)``; poll ``monitor.url``. They play the test's spec (marker or ``--jobfsm-spec``)
    unless given ``spec=``. After the test body, a client that polled past the poll limit fails the test, and
    polls observed in ``jobfsm_trace`` under ``job=monitor.url`` are checked against what that monitor served."""
    spec = _settings(request)[1]

    def monitor(scenario: Any = None, **kwargs: Any) -> FakeMonitor:
        kwargs.setdefault("spec", spec)
        return jobfsm_server.monitor(scenario, **kwargs)

    return monitor


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
