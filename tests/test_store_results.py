"""The reaction scripts' answers have one set of names, the same in Lua and in Python.

``lua/lib/set_reaction.lua`` declares them in its ``RESULT`` table and ``store/results.py``
in ``ReactionResult``: a code added, renamed or renumbered on one side only fails here.
"""

from __future__ import annotations

import re
from importlib import resources

from widget.store import ReactionResult

LUA = resources.files("widget.store").joinpath("lua")
TABLE = re.compile(r"^local RESULT = \{\n(?P<body>.*?)^\}", re.MULTILINE | re.DOTALL)
ENTRY = re.compile(r"^\s*(?P<name>[A-Z_]+) = (?P<value>-?\d+),", re.MULTILINE)


def lua_results() -> dict[str, int]:
    """Return the names and numbers of set_reaction.lua's RESULT table."""
    source = LUA.joinpath("lib", "set_reaction.lua").read_text("utf-8")
    table = TABLE.search(source)
    assert table, "set_reaction.lua declares no `local RESULT = {...}` table"
    entries = ENTRY.findall(table["body"])
    assert len(entries) == len(table["body"].strip().splitlines()), "an entry the test misreads"
    return {name: int(value) for name, value in entries}


def test_the_lua_codes_and_the_intenum_agree() -> None:
    assert lua_results() == {result.name: result.value for result in ReactionResult}


def test_the_scripts_answer_and_compare_codes_by_name() -> None:
    # A bare number where a script answers ({-3, ...}) or reads an answer (result[1] == 1)
    # would escape the check above.
    bare = re.compile(r"counts\(\{-?\d|return \{-?\d|result\[1\] [=~]= -?\d")
    for script in [*LUA.iterdir(), *LUA.joinpath("lib").iterdir()]:
        if script.name.endswith(".lua"):
            found = bare.findall(script.read_text("utf-8"))
            assert not found, f"{script.name} answers or reads a bare code: {found}"
