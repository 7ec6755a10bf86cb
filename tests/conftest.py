"""Shared test helpers: where the test data lives, and a spec of hostile names."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from jobfsm.spec import Alias, Edge, Spec, Status

DATA = Path(__file__).parent / "data"
SHARED = DATA / "shared"

pytest_plugins = ["pytester"]

# names a spec file may hold that break naive DOT, Mermaid or Markdown: quotes, backslashes (``\N`` is
# Graphviz's node id), markup, entities, line breaks, control and non-ASCII text, keywords, comment starts
HOSTILE_NAMES = ('say "hi"', "back\\slash\\", "a<b & c>d", "two\nlines", "naïve — 日本語", "node", "end",
                 "50%% done", "`tick`", "&lt;entity&gt;", "\\N", "pipe|bar", "[*]", "a;b:c#d", "{brace}", "x -> y",
                 "*stars* _u_ [l](u)", "bell\x07tab\t", "subgraph", "__start")


@pytest.fixture
def hostile_spec() -> Spec:
    """A chain through every hostile name, with hostile events, reasons, meanings and an alias."""
    chain = ["start", *HOSTILE_NAMES, "done"]
    statuses = (Status("start", "initial", 'begins "here" & <now>'),
                *(Status(n, "active", f"meaning of {n}") for n in HOSTILE_NAMES),
                Status("done", "terminal", "fin|ished", "success"))
    edges = tuple(Edge(a, f"go {b}", b, f"because {a}") for a, b in itertools.pairwise(chain))
    return Spec('weird "name" <&>', statuses, edges, (Alias("al|ias", "start", "note `x` *y*"),))


def dense_spec(k: int) -> Spec:
    """A lifecycle of k active statuses, each with an edge to every other one and to the end: k * k + 1 edges."""
    statuses = (Status("init", "initial"), *(Status(f"a{i}", "active") for i in range(k)),
                Status("done", "terminal", outcome="success"))
    edges = [Edge("init", "go", "a0")]
    for i in range(k):
        edges += [Edge(f"a{i}", f"to{j}", f"a{j}") for j in range(k) if j != i] + [Edge(f"a{i}", "fin", "done")]
    return Spec("dense", statuses, tuple(edges))
