"""``jobfsm serve``: one fake monitor over HTTP, for clients in any language; its verdict is the exit code."""

from __future__ import annotations

import argparse
import contextlib
import json

from jobfsm.cli import EXIT_OK, EXIT_VIOLATIONS, _lifecycle, _save, _spec_option, _write
from jobfsm.errors import OptionsError
from jobfsm.report import final_text, plural
from jobfsm.rules import SEVERITIES


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``serve`` command's options."""
    srv = sub.add_parser("serve", help="serve a fake monitor URL over HTTP, quirks included",
                         description="Serve a fake monitor on 127.0.0.1 that plays the given statuses (a legal "
                         "trace) or a seeded random walk, with the real service's HTTP semantics and optional "
                         "quirks. Prints the monitor's URL, serves until interrupted (Ctrl-C, SIGTERM) or "
                         "--timeout, then validates what it answered (exit 1 on a violation at --fail-on) and "
                         "writes it to --har.")
    srv.add_argument("statuses", nargs="*", metavar="STATUS", help="the scenario (or give --seed)")
    srv.add_argument("--seed", type=int, help="play a seeded random complete legal walk instead")
    srv.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    srv.add_argument("--accepted-completed", action="store_true", help="quirk: a 202 carrying completed first")
    srv.add_argument("--server-error", action="store_true", help="quirk: a 500 carrying the first inProgress")
    srv.add_argument("--auth-401", action="store_true", help="quirk: 401 to any poll sending Authorization")
    srv.add_argument("--expire-after", type=int, metavar="N", help="quirk: 404 after N terminal answers")
    srv.add_argument("--long-queue", type=int, default=0, metavar="N", help="quirk: N extra notStarted answers")
    srv.add_argument("--all-quirks", action="store_true", help="every quirk (expiry after 1, a queue of 3)")
    srv.add_argument("--poll-limit", type=int, default=1000, metavar="N", help="answer 503 past N polls")
    srv.add_argument("--no-check", action="store_true",
                     help="play the statuses even when they break the lifecycle (the verdict then reports it)")
    srv.add_argument("--timeout", type=float, metavar="SECONDS", help="stop serving after this long")
    srv.add_argument("--har", metavar="PATH", help="write what was asked and answered here, as HAR 1.2")
    srv.add_argument("--fail-on", choices=SEVERITIES, default="error",
                     help="lowest severity of the recording that makes the exit code 1 (default: error)")
    _spec_option(srv)
    srv.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted or the timeout, then print the recording's verdict; returns the exit code."""
    import signal
    import threading

    from jobfsm.errors import ScenarioError
    from jobfsm.fake import FakeServer, Quirks
    from jobfsm.validation import Options

    if args.all_quirks:
        quirks = Quirks.all(expire_after=args.expire_after or 1, long_queue=args.long_queue or 3)
    else:
        quirks = Quirks(args.accepted_completed, args.server_error, args.auth_401, args.expire_after,
                        args.long_queue)
    if args.timeout is not None and not args.timeout > 0:
        raise OptionsError(f"--timeout must be a positive number of seconds, found {args.timeout:g}")
    if not args.statuses and args.seed is None:
        raise OptionsError("nothing to serve: give the scenario's statuses (e.g. jobfsm serve notStarted inProgress "
                           "completed) or --seed N for a random walk")
    if args.statuses and args.seed is not None:
        raise OptionsError("give the scenario's statuses or --seed N for a random walk, not both")
    scenario = args.statuses or None
    spec = _lifecycle(args)
    try:
        server = FakeServer(port=args.port).start()
    except OSError as exc:
        raise OptionsError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        try:
            monitor = server.monitor(scenario, seed=args.seed, quirks=quirks, poll_limit=args.poll_limit,
                                     check=not args.no_check, spec=spec)
        except ScenarioError as exc:  # the remedy is the command's own, not the Python API's check=False
            raise ScenarioError(exc.problem, exc.violations, "pass --no-check to play it anyway"
                                if exc.remedy else "") from None
        until = "until interrupted" if args.timeout is None else f"for {args.timeout:g} s or until interrupted"
        _write(f"monitor: {monitor.url}\nstart: {monitor.start_url}\nserving {until} "
               f"({' '.join(b['status'] for b in monitor.scenario)})")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait(args.timeout)
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    if args.har and args.har != "-":
        _save(args.har, json.dumps(monitor.har(), indent=1).encode())
    rejected = [f"  note: {plural(server.rejected_count, 'request')} the server could not read as HTTP, answered "
                f"400 and not recorded; the first: {server.rejected[0]}"] if server.rejected_count else []
    if not monitor.exchanges:
        _write("\n".join(["no requests were made", *rejected]))
        return EXIT_OK
    job = monitor.report(Options(fail_on=args.fail_on))
    ok = job.ok and not server.errors  # a client that polled past the limit fails the run
    lines = [f"{job.name}: {'ok' if ok else 'FAILED'} ({final_text(job.final)}, "
             f"{len(monitor.exchanges)} requests, {len(monitor.polls)} polls)"]
    lines += [f"  {v.line()}" for v in job.violations]
    lines += [f"  error: {exc}" for exc in server.errors[:1]]
    _write("\n".join(lines + rejected))
    return EXIT_OK if ok else EXIT_VIOLATIONS
