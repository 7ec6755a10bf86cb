"""The asyncJobStatus lifecycle of Microsoft Graph / OneDrive monitor URLs, loaded from the spec file
shipped in this package (``asyncjobstatus.toml``): the built-in lifecycle is data like any team's own."""

from __future__ import annotations

from jobfsm.specfile import builtin_spec

LIFECYCLE = builtin_spec()
