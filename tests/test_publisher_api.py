"""The publisher API against a real Redis: keys, every endpoint, every error, big sites."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openapi_core import OpenAPI

from tests.helpers import KEYS, zeros
from tests.test_openapi import check
from widget.ops.health import openapi_document
from widget.store import CapReached

DAY = 86_400
BASE = "/v1/sites/demo"
ENDPOINTS = [
    ("GET", f"{BASE}/articles"),
    ("GET", f"{BASE}/summary"),
    ("GET", f"{BASE}/history?article=a1"),
    ("GET", f"{BASE}/export"),
    ("DELETE", f"{BASE}/reactions?article=a1"),
]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def react(store: Any, article: str, reader: int, reaction: str | None, **kw: Any) -> None:
    store.set_reaction("demo", article, f"reader-{reader:012d}", reaction, KEYS, **kw)


@pytest.fixture
def key(make_site: Callable[..., str]) -> str:
    return make_site("demo")


@pytest.fixture
def api(client: Any, key: str) -> Callable[..., Any]:
    """Return a function that calls the publisher API with the demo site's key."""

    def call(path: str, method: str = "GET", body: Any = None) -> Any:
        return client.open(f"{BASE}{path}", method=method, headers=bearer(key), json=body)

    return call


def error_code(res: Any) -> str:
    assert res.mimetype == "application/json"
    return str(res.get_json()["error"]["code"])


# -- who may call -----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_no_key_or_a_wrong_key_is_401_with_a_bearer_challenge(
    client: Any, key: str, method: str, url: str
) -> None:
    for headers in ({}, bearer("rk_wrong"), {"Authorization": f"Basic {key}"}, bearer("")):
        res = client.open(url, method=method, headers=headers)
        assert res.status_code == 401
        assert error_code(res) == "unauthorized"
        assert res.headers["WWW-Authenticate"].startswith("Bearer")
        assert res.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_another_sites_key_is_403(
    client: Any, store: Any, make_site: Callable[..., str], key: str, method: str, url: str
) -> None:
    react(store, "a1", 1, "love")
    other = make_site("other")
    res = client.open(url, method=method, headers=bearer(other))
    assert res.status_code == 403
    assert error_code(res) == "forbidden"
    # and nothing changed
    assert store.get_tallies("demo", ["a1"], KEYS)["a1"].counts["love"] == 1


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_an_unknown_site_is_404(client: Any, key: str, method: str, url: str) -> None:
    res = client.open(url.replace("/demo/", "/nope/"), method=method, headers=bearer(key))
    assert res.status_code == 404
    assert error_code(res) == "unknown_site"


def test_a_rotated_key_stops_working(client: Any, app: Any, key: str) -> None:
    from widget.context import get_sites

    assert client.get(f"{BASE}/summary", headers=bearer(key)).status_code == 200
    with app.app_context():
        new = get_sites().rotate_key("demo")
    assert client.get(f"{BASE}/summary", headers=bearer(key)).status_code == 401
    assert client.get(f"{BASE}/summary", headers=bearer(new)).status_code == 200


# -- bad requests -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/articles?limit=0",
        "/articles?limit=201",
        "/articles?limit=abc",
        "/articles?limit=-1",
        "/articles?limit=%EF%BC%95",  # a full-width digit
        "/articles?sort=meh",
        "/articles?sort=total&sort=love",
        "/articles?cursor=not-a-cursor",
        "/articles?cursor=WyJ0b3RhbCJd",  # base64 of ["total"]
        "/articles?foo=1",
        "/summary?days=0",
        "/summary?days=366",
        "/summary?days=x",
        "/summary?limit=5",
        "/history?article=a1&days=0",
        "/history?article=a1&days=400",
        "/history?article=a1&x=1",
        "/export?format=xml",
        "/export?format=csv&gzip=1",
        "/reactions?article=a1&all=1",
    ],
)
def test_bad_parameters_are_400_bad_request(api: Callable[..., Any], path: str) -> None:
    method = "DELETE" if path.startswith("/reactions") else "GET"
    res = api(path, method)
    assert res.status_code == 400
    assert error_code(res) == "bad_request"


@pytest.mark.parametrize("path", ["/history", "/history?article=", "/reactions"])
def test_a_missing_article_is_400_invalid_article(api: Callable[..., Any], path: str) -> None:
    res = api(path, "DELETE" if path.startswith("/reactions") else "GET")
    assert res.status_code == 400
    assert error_code(res) == "invalid_article"


def test_a_cursor_of_another_sort_is_refused(api: Callable[..., Any], store: Any) -> None:
    for i in range(3):
        react(store, f"a{i}", i, "love")
    cursor = api("/articles?limit=1").get_json()["next_cursor"]
    assert cursor
    res = api(f"/articles?sort=love&cursor={cursor}")
    assert res.status_code == 400
    assert error_code(res) == "bad_request"


# -- answers ----------------------------------------------------------------------------


def test_articles_list_with_metadata_and_no_store(api: Callable[..., Any], store: Any) -> None:
    t0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    react(store, "a1", 1, "love", title="First", url="https://x.example/a1", now=t0)
    react(store, "a1", 2, "hated", now=t0 + 60)
    react(store, "a2", 1, "like", now=t0 + 120)
    res = api("/articles")
    assert res.status_code == 200
    assert res.headers["Cache-Control"] == "no-store"
    body = res.get_json()
    assert body["next_cursor"] is None
    assert body["articles"][0] == {
        "article": "a1",
        "title": "First",
        "url": "https://x.example/a1",
        "counts": zeros(love=1, hated=1),
        "total": 2,
        "first_reaction_at": "2026-01-02T03:04:05Z",
        "last_reaction_at": "2026-01-02T03:05:05Z",
    }
    assert [a["article"] for a in body["articles"]] == ["a1", "a2"]
    assert [a["article"] for a in api("/articles?sort=recent").get_json()["articles"]] == [
        "a2",
        "a1",
    ]
    assert [a["article"] for a in api("/articles?sort=like&limit=1").get_json()["articles"]] == [
        "a2"
    ]


def test_search_matches_id_or_title_case_insensitively(api: Callable[..., Any], store: Any) -> None:
    react(store, "/2026/night-trains", 1, "love", title="Night Trains Return")
    react(store, "/2026/bikes", 1, "love", title="City BIKES")
    react(store, "/2026/coffee", 1, "love", title="Coffee <b>prices</b>")

    def found(q: str) -> set[str]:
        return {a["article"] for a in api(f"/articles?q={q}").get_json()["articles"]}

    assert found("TRAIN") == {"/2026/night-trains"}
    assert found("bikes") == {"/2026/bikes"}
    assert found("2026") == {"/2026/night-trains", "/2026/bikes", "/2026/coffee"}
    assert found("%3Cb%3E") == {"/2026/coffee"}
    assert found("nothing") == set()


def test_a_search_is_at_most_300_characters(api: Callable[..., Any], store: Any) -> None:
    title = "é" * 300
    react(store, "a1", 1, "love", title=title)
    res = api(f"/articles?q={title}")
    assert res.status_code == 200 and [a["article"] for a in res.get_json()["articles"]] == ["a1"]
    res = api(f"/articles?q={title}é")
    assert res.status_code == 400 and error_code(res) == "bad_request"


def test_summary_lists_every_day_oldest_first_today_last(
    api: Callable[..., Any], store: Any
) -> None:
    now = time.time()
    react(store, "a1", 1, "love", title="One", now=now - 3 * DAY)
    react(store, "a1", 2, "love", now=now)
    react(store, "a2", 1, "want", title="Two", now=now - DAY)
    react(store, "a2", 1, "had", now=now)  # a switch: want -1, had +1 today
    body = api("/summary?days=7").get_json()
    today = datetime.now(UTC).date()
    assert [d["date"] for d in body["days"]] == [
        (today - timedelta(days=n)).isoformat() for n in range(6, -1, -1)
    ]
    assert body["days"][-1]["counts"] == zeros(love=1, want=-1, had=1)
    assert body["days"][-4]["counts"]["love"] == 1
    assert body["site"] == "demo"
    assert body["articles"] == 2
    assert body["counts"] == zeros(love=2, had=1)
    assert body["total"] == 3
    assert body["top"]["love"] == [{"article": "a1", "title": "One", "count": 2}]
    assert body["top"]["had"] == [{"article": "a2", "title": "Two", "count": 1}]
    assert body["top"]["want"] == []
    assert len(api("/summary").get_json()["days"]) == 30
    assert len(api("/summary?days=365").get_json()["days"]) == 365
    assert len(api("/summary?days=1").get_json()["days"]) == 1


def test_summary_counts_what_the_ballot_stuffing_cap_refused(
    api: Callable[..., Any], store: Any
) -> None:
    now = time.time()
    for day, at in enumerate((now - 2 * DAY, now)):
        for reader in range(5):  # one address, five fresh tokens, a cap of two a day
            with contextlib.suppress(CapReached):
                react(store, "a1", day * 10 + reader, "love", now=at, address="addr-1", cap=2)
    body = api("/summary?days=7").get_json()
    assert body["total"] == 4  # two admitted on each day
    assert body["refused"] == 6
    assert [d["refused"] for d in body["days"]] == [0, 0, 0, 0, 3, 0, 3]
    assert api("/summary?days=1").get_json()["refused"] == 3
    assert all("refused" not in d for d in api("/history?article=a1").get_json()["days"])


def test_top_lists_at_most_five_articles_per_reaction(api: Callable[..., Any], store: Any) -> None:
    for i in range(8):
        for reader in range(i + 1):
            react(store, f"a{i}", reader, "love", title=f"T{i}")
    top = api("/summary").get_json()["top"]["love"]
    assert [t["article"] for t in top] == ["a7", "a6", "a5", "a4", "a3"]
    assert [t["count"] for t in top] == [8, 7, 6, 5, 4]


def test_history_summed_since_the_first_reaction_equals_the_counts(
    api: Callable[..., Any], store: Any
) -> None:
    rng = random.Random(3)
    now = time.time()
    moments = sorted(now - rng.uniform(0, 40) * DAY for _ in range(200))
    for at in moments:
        reaction = rng.choice([*KEYS, None])
        react(store, "a1", rng.randrange(30), reaction, now=at)
    body = api("/history?article=a1&days=60").get_json()
    assert body["article"] == "a1"
    assert len(body["days"]) == 60
    assert body["days"][-1]["date"] == datetime.now(UTC).date().isoformat()
    sums = {k: sum(d["counts"][k] for d in body["days"]) for k in KEYS}
    counts = api("/articles").get_json()["articles"][0]["counts"]
    assert sums == counts
    assert any(d["counts"][k] < 0 for d in body["days"] for k in KEYS)  # withdrawals show


def test_history_of_an_article_nobody_reacted_to_is_all_zero(api: Callable[..., Any]) -> None:
    body = api("/history?article=never&days=3").get_json()
    assert body == {
        "article": "never",
        "days": [
            {"date": d["date"], "counts": dict.fromkeys(KEYS, 0)}
            for d in api("/history?article=x&days=3").get_json()["days"]
        ],
    }


def test_reset_removes_the_article_everywhere(api: Callable[..., Any], store: Any) -> None:
    react(store, "a1", 1, "love")
    react(store, "a1", 2, "love")
    react(store, "a2", 1, "like")
    res = api("/reactions?article=a1", "DELETE")
    assert res.status_code == 204
    assert res.data == b""
    assert [a["article"] for a in api("/articles").get_json()["articles"]] == ["a2"]
    summary = api("/summary").get_json()
    assert summary["counts"]["love"] == 0
    assert summary["total"] == 1
    assert summary["articles"] == 1
    assert summary["top"]["love"] == []
    history = api("/history?article=a1").get_json()
    assert all(v == 0 for d in history["days"] for v in d["counts"].values())
    assert store.get_tallies("demo", ["a1"], KEYS)["a1"].total == 0
    assert api("/reactions?article=a1", "DELETE").status_code == 204  # again: nothing to do


def test_export_csv_guards_formulas_and_is_an_attachment(
    api: Callable[..., Any], store: Any
) -> None:
    react(store, "=cmd|' /C calc'!A0", 1, "love", title="+SUM(A1)", url="https://x.example/")
    react(store, "plain", 1, "hated", title='Quote " and, comma')
    res = api("/export?format=csv")
    assert res.status_code == 200
    assert res.mimetype == "text/csv"
    assert res.headers["Content-Disposition"].startswith("attachment")
    assert res.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(res.get_data(as_text=True))))
    assert rows[0] == [
        *("article", "title", "url", "love", "like", "want", "had", "hated", "total"),
        *("first_reaction_at", "last_reaction_at"),
    ]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["'=cmd|' /C calc'!A0"][1] == "'+SUM(A1)"
    assert by_id["plain"][1] == 'Quote " and, comma'
    assert by_id["plain"][3:9] == ["0", "0", "0", "0", "1", "1"]


def test_export_json_is_the_article_objects(api: Callable[..., Any], store: Any) -> None:
    react(store, "a1", 1, "love", title="T")
    res = api("/export?format=json")
    assert res.mimetype == "application/json"
    assert res.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(res.data) == api("/articles").get_json()["articles"]
    assert json.loads(api("/export?format=json").data) != []
    api("/reactions?article=a1", "DELETE")
    assert json.loads(api("/export?format=json").data) == []
    assert api("/export").get_data(as_text=True).splitlines() == [
        ",".join(
            ["article", "title", "url", *KEYS, "total", "first_reaction_at", "last_reaction_at"]
        )
    ]


def test_a_custom_reaction_set_is_used_everywhere(
    client: Any, app: Any, store: Any, key: str
) -> None:
    record = store.sites.load("demo")
    record["reactions"] = [
        {"key": "up", "label": "Up", "emoji": "+"},
        {"key": "down", "label": "Down", "emoji": "-"},
    ]
    store.sites.save("demo", record)
    store.set_reaction("demo", "a1", "reader-000000000001", "down", ("up", "down"))
    h = bearer(key)
    header = client.get(f"{BASE}/export", headers=h).get_data(as_text=True).splitlines()[0]
    assert header == "article,title,url,up,down,total,first_reaction_at,last_reaction_at"
    assert client.get(f"{BASE}/articles?sort=down", headers=h).get_json()["articles"][0][
        "counts"
    ] == {"up": 0, "down": 1}
    assert client.get(f"{BASE}/articles?sort=love", headers=h).status_code == 400


def test_answers_match_the_openapi_document(api: Callable[..., Any], store: Any) -> None:
    spec = OpenAPI.from_dict(openapi_document())
    react(store, "a1", 1, "love", title="T", url="https://x.example/")
    react(store, "a2", 1, "like")
    for path, method in [
        ("/articles?limit=1", "GET"),
        ("/articles?sort=recent&q=a", "GET"),
        ("/summary?days=3", "GET"),
        ("/history?article=a1&days=2", "GET"),
        ("/export?format=json", "GET"),
        ("/export?format=csv", "GET"),
        ("/articles?limit=0", "GET"),
        ("/reactions?article=a2", "DELETE"),
    ]:
        check(spec, api(path, method))
