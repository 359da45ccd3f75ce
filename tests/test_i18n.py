"""Label resolution (widget/reader/i18n.py) and the counts GET's lang parameter."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from widget.reader import i18n
from widget.sites import DEFAULT_REACTIONS

ROOT = Path(__file__).resolve().parent.parent
LANGS = sorted(p.stem for p in (ROOT / "static/i18n").glob("*.json"))
EXPECTED = {
    *[
        "en",
        "es",
        "pt",
        "fr",
        "de",
        "it",
        "nl",
        "pl",
        "ru",
        "uk",
        "tr",
        "ar",
        "he",
        "fa",
        "hi",
        "id",
        "ja",
        "ko",
    ],
    "zh-Hans",
    "zh-Hant",
}


def test_every_language_file_holds_english_strings_only_and_the_widget_knows_english() -> None:
    english = json.loads((ROOT / "static/i18n/en.json").read_text())
    files = {p.stem for p in (ROOT / "static/i18n").glob("*.json")}
    assert files == EXPECTED
    for lang in LANGS:
        strings = json.loads((ROOT / f"static/i18n/{lang}.json").read_text())
        assert set(strings) - {"dir"} <= set(english), lang  # no misspelt or stale string
        assert strings.get("dir") == ("rtl" if lang in {"ar", "he", "fa"} else None)
        assert "{}" in strings["chose"]
    embed = (ROOT / "static/embed.js").read_text()
    for key in ("heading", "chose", "removed", "closed", "down", "failed", "total"):
        assert json.dumps(english[key]).strip('"') in embed.replace("\\'", "'"), key
    assert [english[r.key] for r in DEFAULT_REACTIONS] == [r.label for r in DEFAULT_REACTIONS]


def test_every_language_translates_every_string() -> None:
    """List what each language lacks: it shows in English until a translator adds it."""
    english = set(json.loads((ROOT / "static/i18n/en.json").read_text()))
    missing = {}
    for lang in LANGS:
        lacking = english - set(json.loads((ROOT / f"static/i18n/{lang}.json").read_text()))
        if lacking:
            missing[lang] = sorted(lacking)
    assert not missing, f"shown in English for want of a translation: {missing}"


def test_a_label_that_a_language_file_lacks_is_the_english_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n/pt.json").write_text(json.dumps({"like": "Gostei"}), encoding="utf-8")
    monkeypatch.setattr(i18n, "static_dir", lambda: tmp_path)
    i18n.builtin.cache_clear()
    i18n.shipped.cache_clear()
    try:
        assert i18n.label("like", "Like It", "pt-BR") == "Gostei"
        assert i18n.label("love", "Love It", "pt-BR") == "Love It"
    finally:
        i18n.builtin.cache_clear()
        i18n.shipped.cache_clear()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("pt-BR", "Amei"),
        ("PT", "Amei"),
        ("ja", "大好き"),
        ("zh", "超爱"),
        ("zh-CN", "超爱"),
        ("zh-SG", "超爱"),
        ("zh-TW", "超愛"),
        ("zh-HK", "超愛"),
        ("zh-Hant-TW", "超愛"),
        ("sv", "Love It"),  # no translation: the site's label
        ("en-GB", "Love It"),
    ],
)
def test_a_default_label_is_translated_for_the_language_and_its_base(
    tag: str, expected: str
) -> None:
    assert i18n.label("love", "Love It", tag) == expected


def test_the_sites_own_labels_win_and_a_custom_label_is_never_replaced() -> None:
    labels = {"pt": "Adorei", "pt-BR": "Amo", "zh-Hant": "愛了"}
    assert i18n.label("love", "Love It", "pt-BR", labels) == "Amo"
    assert i18n.label("love", "Love It", "pt-PT", labels) == "Adorei"
    assert i18n.label("love", "Love It", "zh-Hant-TW", labels) == "愛了"
    assert i18n.label("love", "Love It", "ja", labels) == "大好き"
    # A publisher who relabelled "love" keeps that label where they gave no translation.
    assert i18n.label("love", "Brilliant", "ja") == "Brilliant"
    assert i18n.label("wow", "Wow", "ja") == "Wow"


def test_the_counts_answer_is_labelled_in_the_asked_language(
    client: Any, make_site: Callable[..., str]
) -> None:
    make_site("demo")
    url = "/v1/sites/demo/reactions?article=a1"
    plain = client.get(url).get_json()["reactions"]
    assert [r["label"] for r in plain] == [r.label for r in DEFAULT_REACTIONS]
    ar = client.get(f"{url}&lang=ar").get_json()["reactions"]
    arabic = {"love": "أحببته", "like": "أعجبني", "want": "أريده", "had": "سئمت", "hated": "أكرهه"}
    assert {r["key"]: r["label"] for r in ar if r["key"] in arabic} == arabic
    assert [r["emoji"] for r in ar] == [r["emoji"] for r in plain]


@pytest.mark.parametrize(
    "query", ["lang=pt_BR", "lang=", "lang=" + "a" * 36, "lang=%E6%97%A5", "lang=en&lang=fr"]
)
def test_a_bad_lang_is_400(client: Any, make_site: Callable[..., str], query: str) -> None:
    make_site("demo")
    res = client.get(f"/v1/sites/demo/reactions?article=a1&{query}")
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    ("tag", "heading"),
    [("pt-BR", "pt"), ("zh-TW", "zh-Hant"), ("zh", "zh-Hans"), ("he", "he"), ("sv", "en")],
)
def test_the_widget_asks_for_its_strings_by_the_pages_language_tag(
    client: Any, tag: str, heading: str
) -> None:
    expected = json.loads((ROOT / f"static/i18n/{heading}.json").read_text())
    with client.get(
        f"/v1/i18n/{tag}", headers={"Origin": "https://news.example"}, buffered=True
    ) as res:
        assert res.status_code == 200
        assert res.headers["Access-Control-Allow-Origin"] == "*"
        assert "max-age" in res.headers["Cache-Control"]
        assert res.get_json() == expected  # a language without a file reads English


@pytest.mark.parametrize("tag", ["pt_BR", "a" * 36, "%E6%97%A5"])
def test_a_bad_tag_for_the_strings_is_400(client: Any, tag: str) -> None:
    res = client.get(f"/v1/i18n/{tag}")
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "bad_request"


def test_made_up_language_tags_do_not_grow_the_cache(client: Any) -> None:
    i18n.builtin.cache_clear()
    for n in range(300):
        assert client.get(f"/v1/i18n/x{n:05d}").status_code == 200  # English's strings
        assert client.get(f"/v1/i18n/pt-x{n:05d}").get_json()["like"] != "Like It"
        label = i18n.label("like", "Like It", f"q{n:04d}")
        assert label == "Like It"
    assert i18n.builtin.cache_info().currsize <= len(i18n.shipped()) + 1
