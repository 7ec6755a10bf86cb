"""Pins the README: its Python examples run, and its sample outputs are what the command prints."""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path

import pytest

from jobfsm.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
PYTHON = [b for b in BLOCKS if not b.startswith("# test_")]
TEST_FILES = [b for b in BLOCKS if b.startswith("# test_")]
SAMPLES = re.findall(r"```(?:text|json)\n\$ jobfsm (.*?)\n(.*?)```", README, re.S)


def test_readme_opens_with_the_two_commands() -> None:
    """The README's first block holds the install-and-run command and the test command that CI runs."""
    first = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first is not None
    lines = first.group(1).splitlines()
    assert len(lines) == 2
    assert "pip install '.[render]'" in lines[0]
    assert "jobfsm validate examples/" in lines[0]
    assert "pip install -e '.[test]'" in lines[1]
    assert lines[1].endswith("python -m pytest")
    assert "README.md" in (ROOT / ".ci" / "run").read_text()  # CI runs that very line


def test_first_command_validates_every_example_trace(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The first command's `jobfsm validate` names every trace file of examples/ and exits 1, as the README says."""
    first = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first is not None
    argv = first.group(1).splitlines()[0].split("jobfsm validate ", 1)[1].split()
    monkeypatch.chdir(ROOT)
    paths = [p for pattern in argv for p in sorted(glob.glob(pattern))]  # as the shell expands them
    assert sorted(paths) == sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").iterdir() if p.is_file())
    assert main(["validate", *paths]) == 1
    out = capsys.readouterr().out
    assert "input error" not in out
    assert out.endswith("FAILED: 7 jobs, 1 failed, 24 polls; 1 error, 1 warning, 0 infos (sampled mode)\n")


@pytest.mark.parametrize("code", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_python_examples_run(code: str) -> None:
    """Each Python block of the README runs as written."""
    exec(compile(code, "README.md", "exec"), {})


@pytest.mark.parametrize(("argv", "shown"), SAMPLES, ids=[a for a, _ in SAMPLES])
def test_sample_outputs_are_real(argv: str, shown: str, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `$ jobfsm ...` sample in the README is exactly what the command prints."""
    monkeypatch.chdir(ROOT)
    main(argv.split())
    assert capsys.readouterr().out == shown


@pytest.mark.parametrize("code", TEST_FILES, ids=[b.split("\n", 1)[0][2:] for b in TEST_FILES])
def test_example_test_files_pass_under_pytest(code: str, pytester: pytest.Pytester) -> None:
    """Each example test file of the README passes in a real pytest run with the plugin."""
    name = code.split("\n", 1)[0][2:].removesuffix(".py")
    pytester.makepyfile(**{name: code})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes()["passed"] >= 2


def test_there_are_examples() -> None:
    """The README has Python examples, example test files and command samples to check."""
    assert len(TEST_FILES) >= 2
    assert len(PYTHON) >= 3
    assert len(SAMPLES) >= 2


def test_rule_table_is_the_rule_list() -> None:
    """The README's rule table lists every rule with its default severity and meaning, in order."""
    from jobfsm.rules import RULES

    rows = re.findall(r"^\| ([a-z-]+) \| (error|warning|info) \| (.*) \|$", README, re.M)
    assert rows == [(r.id, r.severity, r.meaning) for r in RULES]


def test_errors_the_readme_lists_import_from_jobfsm() -> None:
    """Every error the README's error paragraph names is importable from jobfsm, with the built-in it names."""
    import builtins

    import jobfsm

    paragraph = README[README.index("Errors all derive"):].split("\n\n", 1)[0]
    named = {name for name in re.findall(r"`(\w+Error)`", paragraph) if not hasattr(builtins, name)}
    assert named == {"SpecError", "SpecFileError", "InputError", "OptionsError", "UnknownStatusError",
                     "TraceViolationError", "IllegalStepError", "RenderError", "ScenarioError", "PollLimitError",
                     "ObservationError"}
    for name in named:
        assert issubclass(getattr(jobfsm, name), jobfsm.JobFSMError)
    for name, base in re.findall(r"`(\w+Error)` \(an? `(\w+Error)`", paragraph):
        assert issubclass(getattr(jobfsm, name), getattr(builtins, base))


def test_readme_names_what_the_render_extra_installs() -> None:
    """Both places the README tells what the render extra brings name every package setup.cfg puts in it."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    extra = cfg["options.extras_require"]["render"]
    packages = {re.split(r"[<>=!~; ]", line.strip())[0] for line in extra.splitlines() if line.strip()}
    assert packages == {"pygraphviz", "graphviz"}
    top = README[README.index("the `render` extra brings"):].split(". ", 1)[0]
    images = README[README.index("**Images**"):].split("\n\n", 1)[0]
    for text in (top, images):
        assert "pygraphviz" in text
        assert "the `graphviz` package" in text
    assert "a `dot` on `PATH` (e.g. from `apt-get install graphviz`) is used" in " ".join(images.split())


def test_docs_commands_draw_the_image_they_show() -> None:
    """Each `jobfsm docs --svg X` the README shows comes after a `jobfsm render -o X` that draws X."""
    lines = [line for block in re.findall(r"```sh\n(.*?)```", README, re.S) for line in block.splitlines()
             if "jobfsm docs" in line and "--svg" in line]
    assert lines
    for line in lines:
        href = re.search(r"--svg (\S+)", line)
        assert href is not None
        assert f"jobfsm render -o {href.group(1)} && jobfsm docs" in line


COVERAGE = [line.split("  #")[0].strip() for block in re.findall(r"```sh\n(.*?)```", README, re.S)
            for line in block.splitlines() if line.startswith("jobfsm coverage ") and "covering" not in line]


@pytest.mark.parametrize("line", COVERAGE, ids=COVERAGE)
def test_coverage_examples_run_on_shipped_files(line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `jobfsm coverage` example reads files the repository ships: no input error, no missing file."""
    monkeypatch.chdir(ROOT)
    argv = shlex.split(line)[1:]
    if "-o" in argv:
        argv[argv.index("-o") + 1] = str(tmp_path / argv[argv.index("-o") + 1])
    args = [p for a in argv for p in (sorted(glob.glob(a)) if "*" in a else [a])]
    assert all(glob.glob(a) for a in argv if "*" in a)
    assert main(args) in (0, 1)
    assert "input error" not in capsys.readouterr().out
