"""Pins jobfsm.locate: the line of each key and entry of TOML and JSON texts, and JSON's repeated keys."""

from __future__ import annotations

import pytest

from jobfsm.locate import locate


def test_locate_maps_keys_and_entries_to_lines() -> None:
    """locate finds TOML table headers, keys and inline entries, and JSON keys and array entries."""
    lines, dups = locate('a = 1\n[[t]]\nk = "x"  # c\n[[t]]\n"q.r" = [1,\n 2]\n[s.u]\nv = {w = 1}\n', toml=True)
    assert dups == []
    assert lines == {("a",): 1, ("t", 0): 2, ("t",): 2, ("t", 0, "k"): 3, ("t", 1): 4, ("t", 1, "q.r"): 5,
                     ("t", 1, "q.r", 0): 5, ("t", 1, "q.r", 1): 6, ("s", "u"): 7, ("s", "u", "v"): 8,
                     ("s", "u", "v", "w"): 8}
    lines, dups = locate('{"a": [\n {"b": "}"},\n 3],\n "c": {"d": null, "d": 1}}', toml=False)
    assert dups == [(("c", "d"), 4)]
    assert lines == {(): 1, ("a",): 1, ("a", 0): 2, ("a", 0, "b"): 2, ("a", 1): 3, ("c",): 4, ("c", "d"): 4}


def test_locate_skips_strings_and_comments() -> None:
    """Brackets, quotes, headers and equals signs inside strings and comments are text, not structure."""
    text = 'a = "x = [1" # [[t]]\nb = """\n[[t]]\n"""\nc = \'[\'\n[[t]]\nd = 1\n'
    lines, _ = locate(text, toml=True)
    assert lines == {("a",): 1, ("b",): 2, ("c",): 5, ("t", 0): 6, ("t",): 6, ("t", 0, "d"): 7}


@pytest.mark.parametrize(("text", "toml", "lines", "dups"), [
    ('{"edges": 1,\n "edg\\u0065s": 2, "\\ud83d\\ude00": 3, "a\\/b": 4}', False,
     {(): 1, ("edges",): 1, ("\U0001f600",): 2, ("a/b",): 2}, [(("edges",), 2)]),
    ('"na\\u006de" = "x"\n["t\\U00000031".\'k\\u0031\']\n"\\tv" = 2\n', True,
     {("name",): 1, ("t1", "k\\u0031"): 2, ("t1", "k\\u0031", "\tv"): 3}, []),
], ids=["json", "toml"])
def test_escaped_keys_are_the_keys_they_spell(text: str, toml: bool, lines: dict, dups: list) -> None:
    """A key spelled with escapes is the key the parser reads: located under it, a JSON repeat of it found."""
    assert locate(text, toml=toml) == (lines, dups)
