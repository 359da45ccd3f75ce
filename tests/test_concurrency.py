"""Racing requests through real gunicorn workers cannot break a count; racing settings
changes cannot lose one."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.helpers import KEYS, LiveServer
from widget.context import get_sites
from widget.sites.settings import apply_settings

# Every test here runs on one Redis and again on a real Redis Cluster (conftest.py).
pytestmark = pytest.mark.on_cluster_too


ARTICLES = ("race-1", "race-2", "race-3")
CHOICES = (*KEYS, None)


def test_concurrent_posts_match_a_model_exactly(
    live_server: LiveServer, make_site: Callable[..., str]
) -> None:
    key = make_site("race")
    url = f"{live_server.url}/v1/sites/race/reactions"
    rng = random.Random(20261125)
    # Each worker thread owns its readers, so each reader's requests are in order and its
    # final reaction is known; the threads race each other on the same articles.
    plans = []
    for thread in range(8):
        steps = []
        for _ in range(60):
            reader = f"reader-t{thread}-{rng.randrange(6):010d}"
            steps.append((reader, rng.choice(ARTICLES), rng.choice(CHOICES)))
        plans.append(steps)

    def run(steps: list[tuple[str, str, str | None]]) -> list[int]:
        statuses = []
        with requests.Session() as session:
            for reader, article, reaction in steps:
                body = {"article": article, "reader": reader, "reaction": reaction}
                statuses.append(session.post(url, json=body, timeout=10).status_code)
        return statuses

    with ThreadPoolExecutor(len(plans)) as pool:
        results = list(pool.map(run, plans))
    assert all(status == 200 for statuses in results for status in statuses)

    final: dict[tuple[str, str], str | None] = {}
    for steps in plans:
        for reader, article, reaction in steps:
            final[(reader, article)] = reaction
    expected = {a: Counter() for a in ARTICLES}  # type: dict[str, Counter[str]]
    for (_, article), reaction in final.items():
        if reaction:
            expected[article][reaction] += 1

    answer = requests.get(url, params={"article": list(ARTICLES)}, timeout=10).json()
    for article in ARTICLES:
        counts = answer["articles"][article]["counts"]
        assert counts == {k: expected[article][k] for k in KEYS}, article
        assert answer["articles"][article]["total"] == sum(expected[article].values())
    assert site_counts(live_server, key) == {k: sum(expected[a][k] for a in ARTICLES) for k in KEYS}


def test_one_reader_hammered_from_many_threads_counts_once(
    live_server: LiveServer, make_site: Callable[..., str]
) -> None:
    key = make_site("race")
    url = f"{live_server.url}/v1/sites/race/reactions"
    reader = "reader-hammered-000001"
    rng = random.Random(7)
    bodies = [
        {"article": "hot", "reader": reader, "reaction": rng.choice(CHOICES)} for _ in range(200)
    ]

    def send(body: dict[str, Any]) -> int:
        return requests.post(url, json=body, timeout=10).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(send, bodies)) == {200}
    answer = requests.get(url, params={"article": "hot", "reader": reader}, timeout=10).json()
    article = answer["articles"]["hot"]
    mine = article["mine"]
    # Whatever order the requests ran in, the one reader counts at most once, for `mine`.
    assert article["counts"] == {k: int(k == mine) for k in KEYS}
    assert article["total"] == (1 if mine else 0)
    # The site's totals too: on a cluster they are moved in another call than the
    # article's, told what the article's checks found, and corrected after a race.
    assert site_counts(live_server, key) == article["counts"]


def site_counts(live_server: LiveServer, key: str) -> dict[str, int]:
    """Return the race site's counts of each reaction, as its summary gives them."""
    summary = requests.get(
        f"{live_server.url}/v1/sites/race/summary",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert summary.status_code == 200
    counts: dict[str, int] = summary.json()["counts"]
    return counts


def test_two_settings_changes_at_the_same_moment_both_land(
    app: Any, make_site: Callable[..., str]
) -> None:
    make_site("race")
    # Both changes read the record before either saves it: the moment a plain
    # read-change-save loses one of them.
    both_read = threading.Barrier(2, timeout=10)
    calls: Counter[str] = Counter()

    def change(name: str, patch: dict[str, Any]) -> Any:
        def changed(site: Any) -> Any:
            calls[name] += 1
            if calls[name] == 1:
                both_read.wait()
            return apply_settings(site, patch)

        with app.app_context():
            return get_sites().change("race", changed)

    with ThreadPoolExecutor(2) as pool:
        renamed = pool.submit(change, "name", {"name": "Renamed"})
        hidden = pool.submit(change, "visibility", {"visibility": "publisher_only"})
        renamed.result(), hidden.result()
    with app.app_context():
        get_sites().cache_seconds = 0
        site = get_sites().get("race")
    assert site is not None
    assert (site.name, site.visibility) == ("Renamed", "publisher_only")
    assert sorted(calls.values()) == [1, 2]  # the one that lost the race read again


def test_settings_patches_racing_through_the_api_all_land(
    app: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("race")
    headers = {"Authorization": f"Bearer {key}"}
    fields = {
        "name": lambda i: f"Name {i}",
        "visibility_threshold": lambda i: i + 1,
        "close_after_days": lambda i: i + 1,
        "origins": lambda i: [f"https://site-{i}.example"],
        "signed_articles": lambda i: i % 2 == 1,
    }

    def patch_all(field: str) -> list[int]:
        client = app.test_client()
        return [
            client.patch(
                "/v1/sites/race/settings", json={field: fields[field](i)}, headers=headers
            ).status_code
            for i in range(20)
        ]

    with ThreadPoolExecutor(len(fields)) as pool:
        statuses = list(pool.map(patch_all, fields))
    assert {s for run in statuses for s in run} == {200}
    got = app.test_client().get("/v1/sites/race/settings", headers=headers).get_json()
    assert {field: got[field] for field in fields} == {f: v(19) for f, v in fields.items()}
