"""A fake monitor URL to poll in tests: it answers like the real one, quirks included, and records every poll.

``FakeMonitor`` plays a scenario (a legal trace) or a seeded random legal walk, one answer per poll, with the
HTTP semantics of the real service: 202 while the job runs, 303 with a ``Location`` at completion, 200 for
the other terminal statuses. Optional ``Quirks`` reproduce what has made clients loop forever: a 202 that
carries ``completed``, a 500 that carries a real status body, a 401 whenever an ``Authorization`` header is
sent (the URL is pre-authenticated), a 404 once the monitor expires, a long ``notStarted``. It is a callable
``(method, url, headers) -> Answer`` for in-process use; ``FakeServer`` serves monitors over HTTP on
127.0.0.1. What it answered is kept as ``recordings.Exchange`` records, so the validator's own HTTP reading
checks it, and ``check_observed`` compares what a client reports having seen with what it was served.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import SplitResult, urlsplit

from jobfsm.errors import InputError, JobFSMError, ObservationError, OptionsError, PollLimitError, ScenarioError
from jobfsm.lifecycle import LIFECYCLE
from jobfsm.paths import bodies, resource_id
from jobfsm.recordings import Exchange, check_exchanges
from jobfsm.report import JobReport, shorten
from jobfsm.spec import Spec
from jobfsm.validation import Options, Validator

__all__ = ["Answer", "FakeMonitor", "FakeServer", "PollLimitError", "Quirks", "ScenarioError"]

_JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Quirks:
    """The real service's surprises, each off by default; ``Quirks.all()`` turns every one on."""

    accepted_completed: bool = False
    """The first ``completed`` answer comes as 202 Accepted (the body wins), the 303 only on the next poll."""
    server_error: bool = False
    """The first poll in a working status (``inProgress``: active, with an edge into success) is answered 500
    with the real status body; a scenario without one gets no 500."""
    auth_401: bool = False
    """Any poll sending an ``Authorization`` header gets 401, and the job does not move for it."""
    expire_after: int | None = None
    """After the terminal answer was given this many times the monitor is gone: 404."""
    long_queue: int = 0
    """Extra ``notStarted`` answers before the job starts: more of the scenario's first answer when it is
    ``notStarted``, else that many ``notStarted`` answers before it."""

    def __post_init__(self) -> None:
        for name in ("accepted_completed", "server_error", "auth_401"):
            if not isinstance(getattr(self, name), bool):
                raise OptionsError(f"{name} must be True or False, found {_found(getattr(self, name))}")
        if self.expire_after is not None and (not _is_int(self.expire_after) or self.expire_after < 1):
            raise OptionsError(f"expire_after must be a positive integer or None, found {_found(self.expire_after)}")
        if not _is_int(self.long_queue) or self.long_queue < 0:
            raise OptionsError(f"long_queue must be an integer of at least 0, found {_found(self.long_queue)}")

    @classmethod
    def all(cls, *, expire_after: int = 1, long_queue: int = 3) -> Quirks:
        """Every quirk on."""
        return cls(True, True, True, expire_after, long_queue)


class Answer(NamedTuple):
    """One HTTP answer: code, headers, body bytes (empty for none)."""

    code: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON, or None when there is none."""
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class _Planned:
    code: int
    body: dict[str, Any]
    data: bytes  # the body as sent
    terminal: bool  # its status is terminal (as the validator reads it: aliases and casing resolved)


class FakeMonitor:
    """A monitor URL that plays ``scenario`` (statuses or asyncJobStatus bodies, a legal trace) or, when
    ``seed`` is given instead, a seeded random complete legal walk; one answer per poll, then the terminal
    answer again (until it expires). Thread-safe; every request is recorded in ``exchanges``."""

    def __init__(self, scenario: Sequence[Any] | None = None, *, seed: int | None = None,
                 quirks: Quirks | None = None, url: str = "https://monitor.fake.invalid/monitor/1",
                 spec: Spec = LIFECYCLE, poll_limit: int = 1000, check: bool = True) -> None:
        if scenario is None and seed is None:
            raise OptionsError("nothing to play: give a scenario (a legal trace of statuses or bodies) or a seed "
                               "for a random walk")
        if scenario is not None and seed is not None:
            raise OptionsError("give a scenario (a legal trace of statuses or bodies) or a seed for a random walk, "
                               "not both")
        if quirks is not None and not isinstance(quirks, Quirks):
            raise OptionsError(f"quirks must be a Quirks, such as Quirks(auth_401=True) or Quirks.all(), found "
                               f"{_found(quirks)}")
        if not isinstance(spec, Spec):
            raise OptionsError(f"spec must be a Spec, such as jobfsm.specfile.read_spec('my-lifecycle.toml'), found "
                               f"{_found(spec)}")
        if not _is_int(poll_limit) or poll_limit < 1:
            raise OptionsError(f"poll_limit must be an integer of at least 1, found {_found(poll_limit)}")
        if seed is not None and not _is_int(seed):
            raise OptionsError(f"seed must be an integer, found {_found(seed)}")
        if not isinstance(check, bool):
            raise OptionsError(f"check must be True or False, found {_found(check)}")
        parts = _absolute_url(url)
        self.spec = spec
        self.quirks = quirks or Quirks()
        self.url = url
        self.poll_limit = poll_limit
        self.path, self.query = parts.path, parts.query
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.start_path = f"{self.path}/start"
        self.scenario = _scenario(random_walk(seed, spec) if seed is not None else scenario, spec, url)
        self._encoded = [_encode(i, body) for i, body in enumerate(self.scenario)]
        if check:
            _check_scenario(self.scenario, spec)
        self.item_path = f"/drive/items/{self._resource()}"
        self._runs = self._plan()
        self.exchanges: list[Exchange] = []
        self._at = self._used = 0  # the run of the plan being answered, and how many of its answers were given
        self._terminal_answers = 0
        self._polls = 0
        self.overrun = False
        self._lock = threading.Lock()

    @property
    def item_url(self) -> str:
        """The result item a 303 points to; the fake serves it as a driveItem."""
        return self.origin + self.item_path

    @property
    def start_url(self) -> str:
        """POST here to 'start' the job: 202 Accepted with the monitor's URL as ``Location``."""
        return self.origin + self.start_path

    @property
    def polls(self) -> list[Exchange]:
        """The GETs of the monitor URL (cache-busting query parameters included), as answered."""
        return [ex for ex in self.exchanges if ex.monitor]

    @property
    def served(self) -> list[str]:
        """The statuses the monitor's answers carried, in order (401 and 404 answers carry none)."""
        return [ex.body["status"] for ex in self.polls if isinstance(ex.body, dict) and "status" in ex.body]

    @property
    def finished(self) -> bool:
        """True once a terminal status has been served."""
        return self._terminal_answers > 0

    def _plan(self) -> list[tuple[_Planned, int]]:
        """The answers in order, as runs of one answer given so many times (a long queue is one run, never a
        list as long as itself); the last answer is repeated once the plan runs out."""
        q = self.quirks
        plan: list[tuple[_Planned, int]] = []
        errored = accepted = False
        working = _working(self.spec)
        first = self.scenario[0]
        if q.long_queue and _canonical(self.spec, first.get("status")) != self.spec.initial:
            # the queue comes first even when the scenario starts later on: answers of the initial status,
            # with the operation of the scenario's own first body
            waiting: dict[str, Any] = {k: first[k] for k in ("operation",) if k in first}
            if "percentageComplete" in first:
                waiting["percentageComplete"] = 0.0
            waiting["status"] = self.spec.initial
            plan.append((_Planned(202, waiting, _encode(0, waiting), False), q.long_queue))
        for i, (body, data) in enumerate(zip(self.scenario, self._encoded, strict=True)):
            status = _canonical(self.spec, body.get("status"))  # aliases and casing as the validator reads them
            terminal = status is not None and self.spec.is_terminal(status)
            code = 202
            if terminal and self.spec.outcome(str(status)) == "success":
                if q.accepted_completed and not accepted:
                    plan.append((_Planned(202, body, data, True), 1))
                    accepted = True
                code = 303
            elif terminal:
                code = 200
            elif q.server_error and not errored and status in working:
                code, errored = 500, True
            queued = q.long_queue if i == 0 and status == self.spec.initial else 0
            plan.append((_Planned(code, body, data, terminal), 1 + queued))
        return plan

    def __call__(self, method: str, url: str, headers: Mapping[str, str] | None = None) -> Answer:
        """Answer one request; raises ``PollLimitError`` past ``poll_limit`` polls (the server answers 503)."""
        __tracebackhide__ = True  # pytest: a failing test shows the client's code, not the fake's
        if not isinstance(method, str) or not isinstance(url, str):
            raise OptionsError(f"a request is a method and a URL, both strings; found {_found(method)} and "
                               f"{_found(url)}")
        if headers is not None and (not isinstance(headers, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items())):
            raise OptionsError(f"headers must be a mapping of header names to values, all strings; found "
                               f"{_found(headers)}")
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise OptionsError(f"cannot read the URL {shorten(url)}: {exc}") from None
        with self._lock:
            answer, polled = self._answer(method.upper(), parts.path, parts.query, sent)
            body: Any = json.loads(answer.body) if answer.body else None
            self.exchanges.append(Exchange(len(self.exchanges), method.upper(), url, answer.code,
                                           {k.lower(): v for k, v in answer.headers.items()}, sent, body,
                                           self.url if polled else ""))
        if answer.code == 503 and self.overrun:
            raise PollLimitError(f"{self.url}: polled more than {self.poll_limit} times; the client is most "
                                 f"likely looping (served so far: {_served_text(self.served)})")
        return answer

    def _answer(self, method: str, path: str, query: str, headers: Mapping[str, str]) -> tuple[Answer, bool]:
        """The answer, and whether the request was a poll of the monitor (a GET of its URL, with query
        parameters of its own first: a cache-buster may follow them)."""
        if path == self.start_path:
            if method != "POST":
                return _error(405, "methodNotAllowed", f"{method} {path}: POST here to start the job",
                              Allow="POST"), False
            return Answer(202, {"Location": self.url}, b""), False
        if path == self.item_path:
            if method != "GET":
                return _error(405, "methodNotAllowed", f"the result item answers GET only, not {method}",
                              Allow="GET"), False
            item = {"id": self._resource(), "name": "copy-of-item", "file": {}}
            return Answer(200, dict(_JSON), json.dumps(item).encode()), False
        if path != self.path or not (not self.query or query == self.query or query.startswith(f"{self.query}&")):
            return _error(404, "itemNotFound", f"no such resource: {path}"), False
        if method != "GET":
            return _error(405, "methodNotAllowed", f"the monitor answers GET only, not {method}", Allow="GET"), False
        return self._poll(headers), True

    def _poll(self, headers: Mapping[str, str]) -> Answer:
        """The answer to one poll of the monitor."""
        if self.quirks.auth_401 and "authorization" in headers:
            return _error(401, "unauthenticated", "the monitor URL is pre-authenticated: send no Authorization "
                                                  "header")
        self._polls += 1
        if self._polls > self.poll_limit:
            self.overrun = True
            return _error(503, "pollLimit", f"jobfsm fake monitor: more than {self.poll_limit} polls")
        expire = self.quirks.expire_after
        if expire is not None and self._terminal_answers >= expire:
            return _error(404, "itemNotFound", "the monitor has expired")
        step, count = self._runs[self._at]
        self._used += 1
        last = self._at == len(self._runs) - 1
        if self._used >= count and not last:
            self._at, self._used = self._at + 1, 0
        if last and self._used >= count and step.terminal:
            self._terminal_answers += 1
        out = dict(_JSON)
        if step.code == 303:
            out["Location"] = self.item_url
        return Answer(step.code, out, step.data)

    def _resource(self) -> str:
        ids = [b.get("resourceId") for b in self.scenario if isinstance(b.get("resourceId"), str)]
        return str(ids[-1]) if ids else resource_id(self.url)

    def report(self, options: Options | None = None) -> JobReport:
        """The monitor's recorded answers validated as a recording is (``jobfsm validate`` on its HAR)."""
        reports = check_exchanges(self.exchanges, Validator(options, self.spec), "fake monitor", "exchange")
        mine = [r for r in reports if r.job == self.url]  # every request is marked: its polls are one job
        if not mine:
            raise ObservationError(f"{self.url}: the monitor was never polled")
        return mine[0]

    def check_observed(self, observed: Iterable[Any], options: Options | None = None) -> JobReport:
        """Check what a client reports having seen (statuses or bodies): it must follow the lifecycle, carry
        only statuses the monitor served, in the order served, and end where the monitor ended when it did.
        Raises ``TraceViolationError`` or ``ObservationError``; returns the report of the observed trace."""
        __tracebackhide__ = True
        from jobfsm.testing import failure_message

        if isinstance(observed, str | bytes | Mapping) or not isinstance(observed, Iterable):
            found = (f"a single {_json_kind(observed)}; wrap one poll in a list"
                     if isinstance(observed, str | bytes | Mapping) else type(observed).__name__)
            raise InputError("observed", f"expected a sequence of the polls the client saw (statuses or bodies), "
                                         f"found {found}")
        polls = list(observed)
        validator = Validator(options, self.spec)
        check = validator.job(f"client of {self.url}")
        check.feed_many(polls)
        report = check.finish()
        if not report.ok:
            from jobfsm.errors import TraceViolationError
            from jobfsm.report import Report

            mode, fail_on = validator.options.mode, validator.options.fail_on
            raise TraceViolationError(Report((report,), mode, fail_on),
                                      failure_message(polls, report, fail_on, mode))
        seen = _collapse(validator, [p.get("status") if isinstance(p, Mapping) else p for p in polls])
        served = _collapse(validator, self.served)
        at = 0
        for i, status in enumerate(seen):
            while at < len(served) and served[at] != status:
                at += 1
            if at == len(served):
                raise ObservationError(
                    f"{self.url}: the client reports {status} (its change {i}), which the monitor did not serve "
                    f"at that point; served: {_served_text(served)}; observed: {_served_text(seen)}")
        if self.finished and served and (not seen or seen[-1] != served[-1]):
            last = f"the client's last status is {seen[-1]}" if seen else "the client reports no known status"
            raise ObservationError(f"{self.url}: the monitor ended at {served[-1]}, but {last}; served: "
                                   f"{_served_text(served)}; observed: {_served_text(seen)}")
        return report

    def har(self) -> dict[str, Any]:
        """The recorded exchanges as a HAR 1.2 document: save it as JSON and ``jobfsm validate`` reads it.
        Each entry's ``_monitor`` (a HAR custom field) names the monitor it polled, '' for none, so that the
        validator groups the polls as the fake did (a cache-buster's query included)."""
        entries = []
        for ex in self.exchanges:
            text = json.dumps(ex.body) if ex.body is not None else ""
            entries.append({
                "startedDateTime": "1970-01-01T00:00:00Z", "time": 0,
                "request": {"method": ex.method, "url": ex.url, "httpVersion": "HTTP/1.1",
                            "headers": [{"name": k, "value": v} for k, v in ex.request_headers.items()],
                            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": ex.code, "statusText": "", "httpVersion": "HTTP/1.1",
                             "headers": [{"name": k, "value": v} for k, v in ex.headers.items()],
                             "cookies": [], "content": {"size": len(text), "mimeType": "application/json",
                                                        **({"text": text} if text else {})},
                             "redirectURL": ex.headers.get("location", ""), "headersSize": -1,
                             "bodySize": len(text)},
                "cache": {}, "timings": {"send": 0, "wait": 0, "receive": 0},
                "_monitor": ex.monitor or ""})  # which monitor it polled, as the fake knows: validate reads it
        return {"log": {"version": "1.2", "creator": {"name": "jobfsm.fake", "version": "1"}, "entries": entries}}


def random_walk(seed: int, spec: Spec = LIFECYCLE, *, max_polls: int = 30) -> list[str]:
    """A seeded random complete legal walk from the initial status to a terminal one. Like real jobs it
    mostly heads for success: each poll repeats the status (3 in 10), else takes an edge, one on the way to
    success nine times as likely as another; near ``max_polls`` it ends by a shortest path."""
    rng = random.Random(seed)
    success = [t for t in spec.terminals if spec.outcome(t) == "success"]
    walk = [spec.initial]
    while not spec.is_terminal(walk[-1]):
        here = walk[-1]
        if len(walk) >= max_polls - len(spec.names):
            ends = [t for t in spec.terminals if spec.can_reach(here, t)]
            walk += [e.dest for e in spec.shortest_path(here, rng.choice(ends)) or ()]
            break
        if rng.random() < 0.3:
            walk.append(here)
            continue
        ahead = {path[0].dest for t in success if (path := spec.shortest_path(here, t))}
        nexts = spec.successors(here)
        walk.append(rng.choices(nexts, weights=[9 if n in ahead else 1 for n in nexts])[0])
    return walk


def _scenario(scenario: Any, spec: Spec, url: str) -> list[dict[str, Any]]:
    """Bodies for the scenario: statuses become realistic bodies; bodies are copied as given."""
    if isinstance(scenario, str | bytes | Mapping) or not isinstance(scenario, Sequence):
        raise ScenarioError(f"a scenario is a list of statuses or asyncJobStatus bodies, found "
                            f"{type(scenario).__name__}")
    if not scenario:
        raise ScenarioError("a scenario needs at least one poll")
    if all(isinstance(s, str) for s in scenario):
        return _status_bodies(list(scenario), spec, url)
    if not all(isinstance(s, Mapping) for s in scenario):
        raise ScenarioError("a scenario is all statuses or all asyncJobStatus bodies; found a mix or something else")
    return [dict(s) for s in scenario]


def _working(spec: Spec) -> set[str]:
    """The statuses work happens in, which ``server_error`` fails: active ones with an edge into success
    (``inProgress``); in a spec without one, every active status."""
    active = {s.name for s in spec.statuses if s.kind == "active"}
    return {e.source for e in spec.edges if e.source in active and spec.outcome(e.dest) == "success"} or active


def _canonical(spec: Spec, status: Any) -> str | None:
    """The spec's status a body's status stands for (an alias's target, a miscased name); None when unknown."""
    return spec.resolve(status).status if isinstance(status, str) else None


def _status_bodies(statuses: list[str], spec: Spec, url: str) -> list[dict[str, Any]]:
    """Realistic bodies for statuses, each carrying its status as written: an alias (``running``), a miscased
    name (``Completed``), or with check off an unknown one, which does not move the job (its body is the one of
    the status before it)."""
    walk: list[str] = []
    for raw in statuses:
        status = _canonical(spec, raw)
        walk.append(status if status is not None else walk[-1] if walk else spec.initial)
    out = bodies(walk, spec, job=url)
    for body, raw in zip(out, statuses, strict=True):
        body["status"] = raw
    return out


def _encode(index: int, body: dict[str, Any]) -> bytes:
    """A scenario body as the monitor sends it: JSON, or a ``ScenarioError`` at once instead of at poll time."""
    try:
        return json.dumps(body, allow_nan=False).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise ScenarioError(f"body {index} of the scenario cannot be sent as JSON: {' '.join(str(exc).split())}") \
            from None


def _check_scenario(scenario: list[dict[str, Any]], spec: Spec) -> None:
    if any(not isinstance(b.get("status"), str) for b in scenario):
        raise ScenarioError("every body of a scenario needs a 'status' string")
    report = Validator(Options(), spec).validate(scenario, source="scenario")
    errors = tuple(v for v in report.violations if v.severity == "error")
    if errors:
        raise ScenarioError(f"the scenario is not a legal trace: {errors[0].line()}"
                            f"{f' (and {len(errors) - 1} more)' if len(errors) > 1 else ''}", errors,
                            "pass check=False to play it anyway")


def _json_kind(value: str | bytes | Mapping[Any, Any]) -> str:
    """A single poll, as the validator's messages name it."""
    return "string" if isinstance(value, str) else "bytes" if isinstance(value, bytes) else "object"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _found(value: Any) -> str:
    """An argument as a message shows it: a scalar by its repr, anything else by its type."""
    if value is None or isinstance(value, bool):
        return repr(value)
    return shorten(value) if isinstance(value, str | int | float) else type(value).__name__


def _absolute_url(url: Any) -> SplitResult:
    """The parts of a monitor URL, which must be absolute (a scheme and a host)."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.netloc:
        raise OptionsError(f"url must be an absolute URL such as https://monitor.fake.invalid/monitor/1, found "
                           f"{_found(url)}")
    return parts


def _collapse(validator: Validator, raw: Iterable[Any]) -> list[str]:
    """Known statuses with repeats merged: the changes a trace made."""
    out: list[str] = []
    for item in raw:
        status = validator.resolve(item)[0] if isinstance(item, str) else None
        if status is not None and (not out or out[-1] != status):
            out.append(status)
    return out


def _served_text(statuses: Sequence[str]) -> str:
    return " -> ".join(statuses) if statuses else "nothing"


def _error(code: int, error: str, message: str, **headers: str) -> Answer:
    return Answer(code, {**_JSON, **headers}, json.dumps({"error": {"code": error, "message": message}}).encode())


REQUEST_TIMEOUT = 10.0
"""Seconds a connection may take to send its request (and to take its answer) before it is closed."""
BODY_LIMIT = 1 << 20
"""The most request body the fake server reads (a monitor needs none; a start POST may carry a little)."""
REJECTED_KEPT = 100
"""How many rejected requests a ``FakeServer`` keeps the message of (it counts them all)."""


class _Lines:
    """A request stream that notes the last line read (a header block must end with an empty line, not with
    the end of the stream) and whether a read timed out."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.last: bytes = b""
        self.timed_out = False

    def readline(self, limit: int = -1) -> bytes:
        try:
            self.last = self.raw.readline(limit)
        except TimeoutError:
            self.timed_out = True
            raise
        return self.last

    def read(self, size: int = -1) -> bytes:
        try:
            return self.raw.read(size)  # type: ignore[no-any-return]
        except TimeoutError:
            self.timed_out = True
            raise

    def close(self) -> None:
        self.raw.close()


def _plain(text: str) -> str:
    """Text from a request as a message shows it: as it is when short and printable, else quoted and cut."""
    return text if text.isprintable() and len(text) <= 80 else shorten(text)


class _Handler(BaseHTTPRequestHandler):
    """One connection to a ``FakeServer``: any method goes to the monitors; a request that cannot be read as
    HTTP gets a 400 (JSON, like every other answer) and reaches no monitor."""

    fake: FakeServer  # set on the subclass that start() makes
    rfile: Any

    def setup(self) -> None:
        super().setup()  # sets the socket's timeout: a half-sent request cannot hold the thread for ever
        self.rfile = _Lines(self.rfile)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # HEAD, OPTIONS, any method: the monitors answer 405 where they must
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        problem = self._problem()
        if problem is not None:
            self.fake._reject(f"{_plain(self.command)} {_plain(self.path)}: {problem}")
            self.close_connection = True
            self._send(_error(400, "invalidRequest", problem))
            return
        self._send(self.fake.dispatch(self.command, f"{self.fake.base_url}{self.path}", dict(self.headers.items())))

    def _problem(self) -> str | None:
        """What makes the request unreadable, reading its body (by Content-Length) if it has one; or None."""
        if self.rfile.last not in (b"\r\n", b"\n"):
            return "the request ended before its headers did"
        if not self.path.startswith("/"):
            return "expected a path starting with /, such as /monitor/1"
        try:
            urlsplit(f"{self.fake.base_url}{self.path}")
        except ValueError as exc:
            return f"cannot read the URL: {exc}"
        if "transfer-encoding" in self.headers:
            return "the fake reads a request body by its Content-Length, not by Transfer-Encoding"
        lengths = {v.strip() for v in self.headers.get_all("content-length") or ()}
        if len(lengths) > 1:
            return "Content-Length given more than once, with different values"
        if not lengths:
            return None
        (text,) = lengths
        if not (text.isascii() and text.isdigit()):
            return f"Content-Length {shorten(text)} is not a number of bytes"
        if len(text) > 9 or int(text) > BODY_LIMIT:
            return f"Content-Length {shorten(text)} is more than the {BODY_LIMIT} bytes the fake reads"
        size = int(text)
        body = self.rfile.read(size)
        if len(body) < size:
            return f"the request ended {len(body)} bytes into its body of {size}"
        return None

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.code)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The HTTP layer's own refusals (a malformed request line, headers too long): JSON, like the rest."""
        text = message or self.responses.get(code, ("invalid request",))[0]
        self.fake._reject(text)
        self.request_version = self.protocol_version  # a status line, even when the request line was unreadable
        self.close_connection = True
        self._send(_error(code, "invalidRequest", text))

    def finish(self) -> None:
        if self.rfile.timed_out:
            self.fake._reject(f"the request was not complete within {self.timeout:g} s; the connection was closed")
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the monitors record every request, the server every one it rejected


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):  # a client that left before taking its answer
            return
        super().handle_error(request, client_address)


class FakeServer:
    """Fake monitors over HTTP on 127.0.0.1 and a free port, in a background thread; a context manager.

    A request that cannot be read as HTTP (a Content-Length that is not a number, headers cut off, a target
    that is not a path) is answered 400 and reaches no monitor, so it is in no recording: ``rejected`` keeps
    what was wrong with the first ``REJECTED_KEPT`` of them, ``rejected_count`` counts them all."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, request_timeout: float = REQUEST_TIMEOUT) -> None:
        if not isinstance(host, str):
            raise OptionsError(f"host must be a string such as '127.0.0.1', found {_found(host)}")
        if not _is_int(port) or not 0 <= port <= 65535:
            raise OptionsError(f"port must be an integer from 0 to 65535 (0: a free one), found {_found(port)}")
        if isinstance(request_timeout, bool) or not isinstance(request_timeout, int | float) or not (
                0 < request_timeout <= 3600):
            raise OptionsError(f"request_timeout must be a number of seconds above 0 and at most 3600, found "
                               f"{_found(request_timeout)}")
        self._host, self._port = host, port
        self.request_timeout = request_timeout
        self.monitors: list[FakeMonitor] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.errors: list[PollLimitError] = []
        self.rejected: list[str] = []
        self.rejected_count = 0
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if self._httpd is None:
            raise JobFSMError("the fake server is not running: call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        handler = type("Handler", (_Handler,), {"fake": self, "timeout": self.request_timeout})
        self._httpd = _HTTPServer((self._host, self._port), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="jobfsm-fake-monitor", daemon=True)
        self._thread.start()
        return self

    def _reject(self, message: str) -> None:
        with self._lock:
            self.rejected_count += 1
            if len(self.rejected) < REJECTED_KEPT:
                self.rejected.append(message)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join()
            self._httpd = self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def monitor(self, scenario: Sequence[Any] | None = None, **kwargs: Any) -> FakeMonitor:
        """A new monitor served at ``{base_url}/monitor/N``; keyword arguments go to ``FakeMonitor``."""
        if "url" in kwargs:
            raise OptionsError("a served monitor's url is the server's own, {base_url}/monitor/N: give no url")
        monitor = FakeMonitor(scenario, url=f"{self.start().base_url}/monitor/{len(self.monitors) + 1}", **kwargs)
        self.monitors.append(monitor)
        return monitor

    def dispatch(self, method: str, url: str, headers: Mapping[str, str]) -> Answer:
        """Route one request to the monitor it belongs to; 404 for any other path."""
        __tracebackhide__ = True
        try:
            path = urlsplit(url).path
        except ValueError as exc:
            return _error(400, "invalidRequest", f"cannot read the URL: {exc}")
        for monitor in self.monitors:
            if path in (monitor.path, monitor.item_path, monitor.start_path):
                try:
                    return monitor(method, url, headers)
                except PollLimitError as exc:
                    self.errors.append(exc)
                    return _error(503, "pollLimit", str(exc))
        return _error(404, "itemNotFound", f"no such resource: {path}")
