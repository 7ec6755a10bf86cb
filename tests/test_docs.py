"""Pins jobfsm.docs: the Markdown lifecycle page and the committed diagrams that cannot drift."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from jobfsm import LIFECYCLE, Edge, Spec
from jobfsm.cli import main
from jobfsm.docs import check_diagrams, markdown, update_diagrams

DIAGRAMS = Path(__file__).parent.parent / "diagrams"


def test_page_has_every_section() -> None:
    """The page holds the statuses, transitions, aliases, matrix, notes, Mermaid and rules, in order."""
    page = markdown(LIFECYCLE)
    heads = [line for line in page.splitlines() if line.startswith("## ")]
    assert heads == ["## Statuses", "## Transitions", "## Statuses from other vocabularies",
                     "## Which status may be observed after which", "## Observing through polls",
                     "## The diagram in Mermaid", "## Rules"]
    assert "![the asyncJobStatus lifecycle](lifecycle.svg)" in page
    assert "| `waiting` | `retry` | `inProgress` | the documented \"will be tried again\" |" in page
    assert "| `completed` | terminal (success) | done |" in page
    assert "| `left-terminal` | error | a different status after a terminal one |" in page
    assert "```mermaid\n---\ntitle:" in page


@pytest.mark.parametrize(("row", "cells"), [
    ("notStarted", "repeat | edge | skip | edge | skip | edge | edge"),
    ("inProgress", "- | repeat | edge | edge | edge | edge | skip"),
    ("cancelPending", "- | - | - | repeat | - | - | edge"),
    ("failed", "- | - | - | - | - | repeat | -"),
], ids=["notStarted", "inProgress", "cancelPending", "failed"])
def test_reachability_matrix(row: str, cells: str) -> None:
    """The sampled-mode matrix says edge, skip, repeat or - for each pair."""
    assert f"| `{row}` | {cells} |" in markdown(LIFECYCLE).splitlines()


def test_committed_diagrams_match_the_spec() -> None:
    """diagrams/ holds what the spec generates today (run `jobfsm render --update diagrams` after a change)."""
    assert check_diagrams(str(DIAGRAMS), LIFECYCLE) == []
    assert main(["render", "--check", str(DIAGRAMS)]) == 0


def test_drift_check_fails_on_a_changed_spec(tmp_path: Path) -> None:
    """A spec with a renamed event makes every generated file drift, each named; a reworded reason only
    the files that show reasons."""
    changed = dataclasses.replace(LIFECYCLE, edges=(*LIFECYCLE.edges[:-1], Edge(
        "cancelPending", "abort", "cancelled", "aborted at last")))
    assert check_diagrams(str(DIAGRAMS), changed) == [
        f"{DIAGRAMS}/lifecycle.dot: differs from what the spec generates",
        f"{DIAGRAMS}/lifecycle.mmd: differs from what the spec generates",
        f"{DIAGRAMS}/lifecycle.md: differs from what the spec generates",
        f"{DIAGRAMS}/lifecycle.svg: drawn from another DOT than the spec's",
    ]
    reworded = dataclasses.replace(LIFECYCLE, edges=(*LIFECYCLE.edges[:-1], Edge(
        "cancelPending", "confirm_cancel", "cancelled", "aborted at last")))
    assert [line.split(": ")[0] for line in check_diagrams(str(DIAGRAMS), reworded)] == [
        f"{DIAGRAMS}/lifecycle.dot", f"{DIAGRAMS}/lifecycle.md", f"{DIAGRAMS}/lifecycle.svg"]


def test_drift_check_names_missing_and_unstamped_files(tmp_path: Path) -> None:
    """A missing file and an SVG without the stamp are drift too; the command exits 1 and lists them."""
    for name in ("lifecycle.dot", "lifecycle.mmd", "lifecycle.md"):
        shutil.copy(DIAGRAMS / name, tmp_path / name)
    (tmp_path / "lifecycle.svg").write_text("<svg/>")
    (tmp_path / "lifecycle.mmd").unlink()
    assert check_diagrams(str(tmp_path), LIFECYCLE) == [
        f"{tmp_path}/lifecycle.mmd: cannot read: No such file or directory",
        f"{tmp_path}/lifecycle.svg: no jobfsm stamp; regenerate it",
    ]
    assert main(["render", "--check", str(tmp_path)]) == 1


def test_update_then_check_passes(tmp_path: Path) -> None:
    """Writing the diagrams for a spec makes the check pass for that spec."""
    pytest.importorskip("pygraphviz")
    update_diagrams(str(tmp_path), LIFECYCLE, "pygraphviz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lifecycle.dot", "lifecycle.md", "lifecycle.mmd",
                                                          "lifecycle.svg"]
    assert check_diagrams(str(tmp_path), LIFECYCLE) == []
    assert (tmp_path / "lifecycle.dot").read_bytes() == (DIAGRAMS / "lifecycle.dot").read_bytes()


def test_docs_command_writes_the_page(tmp_path: Path) -> None:
    """`jobfsm docs -o PAGE` writes the same page as the committed one."""
    assert main(["docs", "-o", str(tmp_path / "page.md")]) == 0
    assert (tmp_path / "page.md").read_text() == (DIAGRAMS / "lifecycle.md").read_text()


def test_docs_svg_is_a_link_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm docs --svg HREF` writes the page linking HREF and no image; its help says to draw it with render."""
    assert main(["docs", "-o", str(tmp_path / "page.md"), "--svg", "img/x.svg"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["page.md"]
    assert "![the asyncJobStatus lifecycle](img/x.svg)\n" in (tmp_path / "page.md").read_text()
    assert main(["docs", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert ("--svg HREF the address of the image the page shows, relative to the page (default lifecycle.svg; '' "
            "for none); this writes no image: draw it with jobfsm render -o") in help_text


def test_svg_with_a_right_stamp_but_no_drawing_drifts(tmp_path: Path) -> None:
    """A stamped file that is not an SVG of every status is drift too."""
    for name in ("lifecycle.dot", "lifecycle.mmd", "lifecycle.md"):
        shutil.copy(DIAGRAMS / name, tmp_path / name)
    stamp = (DIAGRAMS / "lifecycle.svg").read_text().splitlines()[1]
    (tmp_path / "lifecycle.svg").write_text(f"{stamp}\n<svg>garbage</svg>\n")
    assert check_diagrams(str(tmp_path), LIFECYCLE) == [
        f"{tmp_path}/lifecycle.svg: not an SVG drawing of every status; regenerate it"]


def test_update_writes_only_what_drifted(tmp_path: Path) -> None:
    """--update leaves files that match alone (an SVG drawn by another Graphviz from the same DOT too)."""
    for name in ("lifecycle.dot", "lifecycle.mmd", "lifecycle.md", "lifecycle.svg"):
        shutil.copy(DIAGRAMS / name, tmp_path / name)
    assert update_diagrams(str(tmp_path), LIFECYCLE) == []
    (tmp_path / "lifecycle.mmd").write_text("stale")
    assert update_diagrams(str(tmp_path), LIFECYCLE) == [f"{tmp_path}/lifecycle.mmd"]
    assert check_diagrams(str(tmp_path), LIFECYCLE) == []


@pytest.mark.parametrize("row", [
    '| `say "hi"` | active | meaning of say "hi" |',
    "| `back\\slash\\` | active | meaning of back\\\\slash\\\\ |",
    "| `a<b & c>d` | active | meaning of a&lt;b &amp; c>d |",
    "| `two lines` | active | meaning of two lines |",
    "| `naïve — 日本語` | active | meaning of naïve — 日本語 |",
    "| `` `tick` `` | active | meaning of \\`tick\\` |",
    "| `&lt;entity&gt;` | active | meaning of &amp;lt;entity&amp;gt; |",
    "| `pipe\\|bar` | active | meaning of pipe\\|bar |",
    "| `*stars* _u_ [l](u)` | active | meaning of \\*stars\\* \\_u\\_ \\[l\\](u) |",
    "| `bell\\x07tab\\x09` | active | meaning of bell\\\\x07tab\\\\x09 |",
    "| `done` | terminal (success) | fin\\|ished |",
    "| `50%% done` | `` go `tick` `` | `` `tick` `` | because 50%% done |",
    "| `al\\|ias` | `start` | note \\`x\\` \\*y\\* |",
], ids=["quotes", "backslashes", "html", "newline", "non-ascii", "backticks", "entity", "pipe", "markdown",
        "control", "terminal", "edge-with-backticks", "alias"])
def test_hostile_names_in_markdown(row: str, hostile_spec: Spec) -> None:
    """Names stay code spans shown verbatim (only pipes escaped, longer fences around backticks); other texts
    have HTML and Markdown syntax escaped; every entry is one table row."""
    assert row in markdown(hostile_spec).splitlines()


def test_hostile_title_and_image_in_markdown(hostile_spec: Spec) -> None:
    """The lifecycle's name is escaped in the heading and the image's alt text; an odd image path is bracketed."""
    lines = markdown(hostile_spec, svg="my diagram.svg").splitlines()
    assert lines[0] == '# The weird "name" &lt;&amp;> lifecycle'
    assert lines[4] == '![the weird "name" &lt;&amp;> lifecycle](<my diagram.svg>)'
