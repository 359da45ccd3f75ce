"""The widget's languages: its strings and the default reactions' labels, one file each.

``static/i18n/<lang>.json`` is read by the widget (for a language other than English, the
one it has built in), through ``GET /v1/i18n/<tag>``, which maps the page's language tag to
its file here rather than in every page's copy of the widget, and by the service, which
localizes the labels of the counts answer from the same files, so a translation lives in
one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from flask import Flask, Response, jsonify, request

from ..config import static_dir
from ..sites.reactions import DEFAULT_REACTIONS
from ..validation import bad_request

# BCP 47-ish: what the widget sends (Intl's canonical form) fits easily.
LANG_TAG = re.compile(r"[A-Za-z0-9-]{1,35}")
DEFAULT_LABELS = {r.key: r.label for r in DEFAULT_REACTIONS}
# Chinese is read in one of two scripts; a region names the one its readers use.
TRADITIONAL = frozenset({"hant", "tw", "hk", "mo"})


def check_lang(value: str) -> str:
    """Return a language tag, or raise 400 bad_request."""
    if not LANG_TAG.fullmatch(value):
        raise bad_request("lang is a language tag of at most 35 characters of A-Z, a-z, 0-9, '-'")
    return value


@cache
def shipped() -> frozenset[str]:
    """Return the names of the language files the service ships, read once."""
    return frozenset(path.stem for path in (static_dir() / "i18n").glob("*.json"))


@cache
def builtin(name: str) -> Mapping[str, str]:
    """Return the strings of one language file (empty if there is none)."""
    # Called with builtin_name()'s answers only, so the cache holds one entry per shipped
    # file (and one for none), whatever tags clients make up.
    path = static_dir() / "i18n" / f"{name}.json"
    if not re.fullmatch(r"[a-z]{2,3}|zh-Han[st]", name) or not path.is_file():
        return {}
    strings: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return strings


def builtin_name(tag: str) -> str:
    """Return the language file a tag reads (pt-BR reads pt, zh-TW zh-Hant, zh zh-Hans),
    or "" when the service ships none for it."""
    base, *rest = tag.lower().split("-")
    if base == "zh":
        base = "zh-Hant" if rest and rest[0] in TRADITIONAL else "zh-Hans"
    return base if base in shipped() else ""


def candidates(tag: str) -> list[str]:
    """Return the tag and its shorter prefixes, lowercased: zh-hant-tw, zh-hant, zh."""
    parts = tag.lower().split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def label(key: str, site_label: str, tag: str, labels: Mapping[str, str] | None = None) -> str:
    """Return a reaction's label in a language.

    The site's label for the language, else for its base language; else the built-in
    translation of a default reaction, as long as the site still shows the built-in English
    label (a publisher's own label is never replaced by a translation of another); else the
    site's label.
    """
    if labels:
        lowered = {k.lower(): v for k, v in labels.items()}
        for candidate in candidates(tag):
            if candidate in lowered:
                return lowered[candidate]
    if DEFAULT_LABELS.get(key) == site_label:
        return builtin(builtin_name(tag)).get(key, site_label)
    return site_label


def reactions_json(reactions: Iterable[Any], tag: str | None) -> list[dict[str, str]]:
    """Return the reactions as the counts answer lists them, labelled in the language."""
    listed = []
    for reaction in reactions:
        shown = reaction.as_json()
        if tag:
            shown["label"] = label(
                reaction.key, reaction.label, tag, getattr(reaction, "labels", None)
            )
        listed.append(shown)
    return listed


def init_app(app: Flask) -> None:
    """Serve the widget's strings for a page's language tag, readable from any page."""

    @app.get("/v1/i18n/<lang>")
    def strings(lang: str) -> Response:
        """Return the language file a tag reads (pt-BR: pt, zh-TW: zh-Hant), else English's."""
        response = jsonify(builtin(builtin_name(check_lang(lang))) or builtin("en"))
        # Public strings: any page may read them, and a browser or CDN may keep them.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.cache_control.public = True
        response.cache_control.max_age = app.get_send_file_max_age(None)
        response.add_etag()
        response.make_conditional(request)
        return response
