"""The asyncJobStatus lifecycle of Microsoft Graph / OneDrive monitor URLs, as data."""

from __future__ import annotations

from jobfsm.spec import Alias, Edge, Spec, Status

LIFECYCLE = Spec(
    name="asyncJobStatus",
    statuses=(
        Status("notStarted", "initial", "enqueued, not yet picked up"),
        Status("inProgress", "active", "actively processed"),
        Status("waiting", "active", "interrupted, will be tried again"),
        Status("cancelPending", "active", "cancelled, processing not yet aborted"),
        Status("completed", "terminal", "done", "success"),
        Status("failed", "terminal", "failed", "failure"),
        Status("cancelled", "terminal", "cancelled", "cancel"),
    ),
    edges=(
        Edge("notStarted", "start", "inProgress", "a worker picked the job up"),
        Edge("notStarted", "fail", "failed", "rejected before it started (e.g. a name conflict)"),
        Edge("notStarted", "cancel", "cancelled", "nothing was running, so the cancel is immediate"),
        Edge("notStarted", "request_cancel", "cancelPending", "cancel recorded, queue entry not yet removed"),
        Edge("inProgress", "complete", "completed", "the work finished"),
        Edge("inProgress", "fail", "failed", "the work failed"),
        Edge("inProgress", "request_cancel", "cancelPending", "running work must abort first"),
        Edge("inProgress", "interrupt", "waiting", "the work was interrupted"),
        Edge("waiting", "retry", "inProgress", 'the documented "will be tried again"', resets_progress=True),
        Edge("waiting", "fail", "failed", "retries given up"),
        Edge("waiting", "cancel", "cancelled", "nothing running, so the cancel is immediate"),
        Edge("waiting", "request_cancel", "cancelPending", "cancel recorded while waiting"),
        Edge("cancelPending", "confirm_cancel", "cancelled", 'the documented "processing has not yet aborted" ended'),
    ),
    aliases=(
        Alias("updating", "inProgress", "older asyncJobStatus vocabulary, still on a Graph beta page"),
        Alias("deletePending", None, "older asyncJobStatus vocabulary: an active status with no counterpart"),
        Alias("deleteFailed", "failed", "older asyncJobStatus vocabulary"),
        Alias("running", "inProgress", "Graph longRunningOperationStatus vocabulary"),
        Alias("succeeded", "completed", "Graph longRunningOperationStatus vocabulary"),
    ),
    notes=(
        "Polls sample the lifecycle: in sampled mode (the default) a change a -> b is legal when b is "
        "reachable from a, and the statuses passed unseen are reported at info level.",
        "Strict mode is for event logs that record every change: each change must be one edge.",
        "A repeated status (the same answer to two polls) is not a transition; a trace may begin at any "
        "status, since recording may start late.",
        "Unknown statuses are warnings, never terminal, and do not move the machine: the next known "
        "status is checked against the last known one.",
        "Casing is normalised with a warning (some SDKs write 'Completed'); statuses of other "
        "vocabularies are mapped with an info note. Graph's 'unknownFutureValue' is an unknown status.",
        "statusDescription is free text and never read for state (a failed job was seen saying "
        "'Completed 0/0 files').",
        "percentageComplete may drop only across a retry (waiting -> inProgress), which starts a new attempt.",
    ),
)
