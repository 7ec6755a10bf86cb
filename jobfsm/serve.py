"""``jobfsm serve``: one fake monitor over HTTP, for clients in any language; its verdict is the exit code.

Exit codes: 0 the client polled the monitor and the recording has no violation at ``--fail-on``; 1 it has
one, the client polled past the poll limit, or it never polled the monitor at all; 2 a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
from typing import TYPE_CHECKING, BinaryIO

from jobfsm.cli import EXIT_OK, EXIT_VIOLATIONS, _create, _lifecycle, _spec_option, _write, _write_to
from jobfsm.errors import OptionsError
from jobfsm.report import final_text, plural
from jobfsm.rules import SEVERITIES

if TYPE_CHECKING:
    from jobfsm.fake import FakeMonitor, FakeServer, Quirks

TIMEOUT_LIMIT = 7 * 24 * 3600
"""The longest ``--timeout``, a week: a run meant to last longer leaves the option out."""

EXIT_CODES = """\
exit codes:
  0  the client polled the monitor, and the recording has no violation at --fail-on
  1  the recording has a violation at --fail-on, the client polled past --poll-limit, or it never polled
     the monitor (no requests at all, or none to the monitor URL)
  2  a usage error: a bad option, an illegal scenario without --no-check, a port in use, a --har path that
     cannot be written (checked before serving)
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``serve`` command's options."""
    srv = sub.add_parser("serve", help="serve a fake monitor URL over HTTP, quirks included", epilog=EXIT_CODES,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Serve a fake monitor on 127.0.0.1 that plays the given statuses (a legal "
                         "trace) or a seeded random walk, with the real service's HTTP semantics and optional "
                         "quirks. Prints the monitor's URL, serves until interrupted (Ctrl-C, SIGTERM) or "
                         "--timeout, then validates what it answered and writes it to --har.")
    srv.add_argument("statuses", nargs="*", metavar="STATUS", help="the scenario (or give --seed)")
    srv.add_argument("--seed", type=int, help="play a seeded random complete legal walk instead")
    srv.add_argument("--port", type=int, default=0, help="port on 127.0.0.1, 1 to 65535 (default: a free one)")
    srv.add_argument("--accepted-completed", action="store_true", help="quirk: a 202 carrying completed first")
    srv.add_argument("--server-error", action="store_true", help="quirk: a 500 carrying the first inProgress")
    srv.add_argument("--auth-401", action="store_true", help="quirk: 401 to any poll sending Authorization")
    srv.add_argument("--expire-after", type=int, metavar="N",
                     help="quirk: 404 after N terminal answers, N of 1 or more")
    srv.add_argument("--long-queue", type=int, metavar="N",
                     help="quirk: N extra notStarted answers, N of 0 or more")
    srv.add_argument("--all-quirks", action="store_true",
                     help="every quirk; --expire-after and --long-queue, when not given, are 1 and 3")
    srv.add_argument("--poll-limit", type=int, default=1000, metavar="N",
                     help="answer 503 past N polls, N of 1 or more (default 1000)")
    srv.add_argument("--no-check", action="store_true",
                     help="play the statuses even when they break the lifecycle (the verdict then reports it)")
    srv.add_argument("--timeout", type=float, metavar="SECONDS",
                     help=f"stop serving after this long, at most {TIMEOUT_LIMIT} (a week); without it, serve until "
                     "interrupted")
    srv.add_argument("--har", metavar="PATH",
                     help="write what was asked and answered to this file, as HAR 1.2, once serving stops (the "
                     "file is created before serving; standard output, -, is refused: it carries the URL and "
                     "the verdict)")
    srv.add_argument("--fail-on", choices=SEVERITIES, default="error",
                     help="lowest severity of the recording that makes the exit code 1 (default: error)")
    _spec_option(srv)
    srv.set_defaults(run=run)


def _quirks(args: argparse.Namespace) -> Quirks:
    """The quirks the options ask for; impossible counts are refused, with or without --all-quirks."""
    from jobfsm.fake import Quirks

    if args.expire_after is not None and args.expire_after < 1:
        raise OptionsError(f"--expire-after {args.expire_after}: expected a number of terminal answers, 1 or more")
    if args.long_queue is not None and args.long_queue < 0:
        raise OptionsError(f"--long-queue {args.long_queue}: expected a number of extra notStarted answers, 0 or "
                           "more")
    if args.all_quirks:
        return Quirks.all(expire_after=1 if args.expire_after is None else args.expire_after,
                          long_queue=3 if args.long_queue is None else args.long_queue)
    return Quirks(args.accepted_completed, args.server_error, args.auth_401, args.expire_after,
                  args.long_queue or 0)


def _check_options(args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535:
        raise OptionsError(f"--port {args.port}: expected a port from 1 to 65535, or 0 for a free one")
    if args.timeout is not None and not (math.isfinite(args.timeout) and 0 < args.timeout <= TIMEOUT_LIMIT):
        raise OptionsError(f"--timeout {args.timeout:g}: expected a number of seconds above 0 and at most "
                           f"{TIMEOUT_LIMIT} (a week); leave it out to serve until interrupted")
    if args.poll_limit < 1:
        raise OptionsError(f"--poll-limit {args.poll_limit}: expected a number of polls, 1 or more")
    if args.har == "-":
        raise OptionsError("--har -: standard output carries the monitor's URL and the verdict; give a file to "
                           "write the HAR to")
    if not args.statuses and args.seed is None:
        raise OptionsError("nothing to serve: give the scenario's statuses (e.g. jobfsm serve notStarted inProgress "
                           "completed) or --seed N for a random walk")
    if args.statuses and args.seed is not None:
        raise OptionsError("give the scenario's statuses or --seed N for a random walk, not both")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted or the timeout, then print the recording's verdict; returns the exit code."""
    import signal
    import threading

    from jobfsm.errors import ScenarioError
    from jobfsm.fake import FakeServer

    _check_options(args)
    quirks = _quirks(args)
    spec = _lifecycle(args)
    try:
        server = FakeServer(port=args.port).start()
    except OSError as exc:
        raise OptionsError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    har: BinaryIO | None = None
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        try:
            monitor = server.monitor(args.statuses or None, seed=args.seed, quirks=quirks,
                                     poll_limit=args.poll_limit, check=not args.no_check, spec=spec)
        except ScenarioError as exc:  # the remedy is the command's own, not the Python API's check=False
            raise ScenarioError(exc.problem, exc.violations, "pass --no-check to play it anyway"
                                if exc.remedy else "") from None
        if args.har:
            har = _create(args.har)  # before serving: a path that cannot be written loses no session
        until = "until interrupted" if args.timeout is None else f"for {args.timeout:g} s or until interrupted"
        _write(f"monitor: {monitor.url}\nstart: {monitor.start_url}\nserving {until} "
               f"({' '.join(b['status'] for b in monitor.scenario)})")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait(args.timeout)
    except BaseException:
        if har is not None:
            har.close()
        raise
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    if har is not None:
        with har:
            _write_to(har, args.har, json.dumps(monitor.har(), indent=1).encode())
    return _verdict(monitor, server, args.fail_on)


def _verdict(monitor: FakeMonitor, server: FakeServer, fail_on: str) -> int:
    """Print the verdict on the client: what the recording says, the poll limit, a monitor never polled."""
    from jobfsm.validation import Options

    counts = f"{plural(len(monitor.exchanges), 'request')}, {plural(len(monitor.polls), 'poll')}"
    if not monitor.polls:
        made = (f"it made {plural(len(monitor.exchanges), 'request')}, the first {monitor.exchanges[0].method} "
                f"{monitor.exchanges[0].url}" if monitor.exchanges else "no requests were made")
        lines = [f"fake monitor job {monitor.url}: FAILED (never polled, {counts})",
                 f"  error: the client never polled the monitor; {made}"]
        ok = False
    else:
        job = monitor.report(Options(fail_on=fail_on))
        ok = job.ok and not server.errors  # a client that polled past the limit fails the run
        lines = [f"{job.name}: {'ok' if ok else 'FAILED'} ({final_text(job.final)}, {counts})"]
        lines += [f"  {v.line()}" for v in job.violations]
        lines += [f"  error: {exc}" for exc in server.errors[:1]]
    if server.rejected_count:
        lines.append(f"  note: {plural(server.rejected_count, 'request')} the server could not read as HTTP, "
                     f"answered 400 and not recorded; the first: {server.rejected[0]}")
    _write("\n".join(lines))
    return EXIT_OK if ok else EXIT_VIOLATIONS
