"""The shipped widget (static/embed.js) is the build of its readable source (js/embed.js)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

from widget.sites import DEFAULT_REACTIONS

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "js/embed.js").read_text(encoding="utf-8")
BUILT = (ROOT / "static/embed.js").read_bytes()


def build_script() -> ModuleType:
    """Load scripts/build_embed (a script without .py) as a module."""
    loader = importlib.machinery.SourceFileLoader("build_embed", str(ROOT / "scripts/build_embed"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_static_embed_js_is_the_build_of_js_embed_js() -> None:
    assert build_script().build() == BUILT, (
        "static/embed.js is not the build of js/embed.js: run scripts/build_embed, and commit both"
    )


def test_the_build_is_at_most_4096_bytes_gzipped() -> None:
    size = build_script().gzipped_size(BUILT)
    assert size <= 4096, (
        f"static/embed.js is {size:,} bytes as gzip -9 static/embed.js writes it, over 4,096"
    )


def test_every_button_the_widget_makes_is_type_button() -> None:
    built = BUILT.decode()
    made = re.findall(r"h\('button',(\{[^}]*\})", built)
    assert made, "the widget makes its buttons with h('button', {...}); this test must follow"
    assert all(attributes.startswith("{type:'button',") for attributes in made), made
    markup = re.findall(r"<button\b[^>]*>", built)
    assert all('type="button"' in tag for tag in markup), markup
    assert "createElement('button')" not in built


# One member of an object literal of texts: a key (an identifier, or a JSON string), a
# JSON string value, and what follows it.
MEMBER = re.compile(r'(?:([A-Za-z_$][\w$]*)|("(?:[^"\\]|\\.)*")):("(?:[^"\\]|\\.)*")(,|\})')


def object_literal(text: str) -> dict[str, str]:
    """Return a JavaScript object literal of texts (the build's compact()) as a dict."""
    assert text.startswith("{"), text[:40]
    found, at = {}, 1
    while at < len(text):
        member = MEMBER.match(text, at)
        assert member, f"not an object literal of texts at {text[at : at + 40]!r}"
        key = member[1] or json.loads(member[2])
        found[key] = json.loads(member[3])
        at = member.end()
    return found


def test_the_widgets_default_set_and_english_are_the_services() -> None:
    english = json.loads((ROOT / "static/i18n/en.json").read_text(encoding="utf-8"))
    # Written in by the build, as object literals: not restated in js/embed.js.
    assert "__DEFAULT_EMOJI__" in SOURCE and "__ENGLISH__" in SOURCE
    found = re.search(r"const EMOJI=(\{.*?\}),EN=(\{.*?\});", BUILT.decode())
    assert found, "the build writes const EMOJI={...},EN={...}; this test must follow"
    emoji, strings = object_literal(found[1]), object_literal(found[2])
    assert list(emoji.items()) == [(r.key, r.emoji) for r in DEFAULT_REACTIONS]
    assert strings == english


def test_the_build_shortens_the_sources_own_names_only() -> None:
    shorten = build_script().shorten
    code = (
        "const widget={url:1};const data=widget.url/2;"
        "f(`widget ${widget.url}`,'widget',/widget\\/data/.test(data),{...data},{top:widget});"
    )
    short = shorten(code)
    # Bindings become a letter or two; a property, a key, a string, a template's text and a
    # regular expression stay as they were.
    assert "widget" not in re.sub(r"'widget'|`widget |/widget\\/data/", "", short)
    assert ".url" in short and "{url:1}" in short and "{top:" in short
    assert "'widget'" in short and "`widget ${" in short and "/widget\\/data/" in short
    assert re.search(r"\{\.\.\.[a-zA-Z]{1,2}\}", short)  # a spread's name is shortened
    # A shorthand key would change what the widget sends: the build refuses it.
    with pytest.raises(ValueError, match="'widget' as a shorthand key"):
        shorten("send({widget,data:1});")
