"""The storage bounds fit the memory: the worst article's bytes, measured, times the ceiling.

Hostile readers start articles with the largest id, title and URL a POST may carry (a
4 KiB body), each from addresses that spend their whole day's budget, on a Redis of its
own; the growth of ``used_memory`` per article must stay under ``WORST_ARTICLE_BYTES``
(docs/attackers.md, docs/redis.md), and the default ceiling of articles per site times
that must fit in the ``maxmemory`` the run command and the compose file ship, with room.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.helpers import app_config
from widget import config, create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.local.run import DEFAULT_MAXMEMORY
from widget.reader.api import MAX_BODY_BYTES
from widget.validation import MAX_ARTICLE_BYTES, MAX_TITLE_CHARS, MAX_URL_CHARS

pytestmark = pytest.mark.slow

# docs/attackers.md ("The figures"): the most Redis memory one article a hostile reader
# starts may take, with everything it keeps for two days (its cap entry) but not what
# lives a minute (rate-limit windows, the call's result). Measured below.
WORST_ARTICLE_BYTES = 8_000
# Of the shipped maxmemory, what the default ceiling of one site's made-up articles may
# take: the rest is for the real articles' reactions, the windows and Redis's own tables.
ARTICLES_SHARE = 0.75
ARTICLES = 1000
PER_ADDRESS = 50  # NEW_ARTICLES_PER_ADDRESS_PER_DAY's default: each address spends it all
COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


def worst_body(n: int) -> dict[str, Any]:
    """Return a POST body of the largest article: a 512-byte id, a title of 300 four-byte
    characters, and a URL as long as it may be (2,048) that the 4 KiB body has room for."""
    article = f"{n:08d}" + "a" * (MAX_ARTICLE_BYTES - 8)
    title = "\U0001d538" * MAX_TITLE_CHARS  # 4 bytes of UTF-8 each, and casefolded too
    body = {"article": article, "reader": f"reader-{n:020d}", "reaction": "love", "title": title}
    room = MAX_BODY_BYTES - len(json.dumps({**body, "url": ""}, ensure_ascii=False).encode())
    url = "https://news.example/"
    body["url"] = url + "p" * (min(room, MAX_URL_CHARS) - len(url))
    return body


def bytes_per_article(tmp_path: Path, redis_server: RedisServer) -> float:
    """Start ARTICLES worst articles on a Redis of its own; return used_memory's growth each."""
    server = RedisServer(tmp_path / "measure", appendonly=False).start()
    client = redis.Redis.from_url(server.url, decode_responses=True)
    app = create_app(
        app_config(redis_server, REDIS_URL=server.url, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1)
    )
    try:
        with app.app_context():
            get_sites().create("news", "News", [])
        test = app.test_client()
        before = int(client.info("memory")["used_memory"])
        for n in range(ARTICLES):
            answer = test.post(
                "/v1/sites/news/reactions",
                data=json.dumps(worst_body(n), ensure_ascii=False).encode(),
                content_type="application/json",
                headers={"X-Forwarded-For": f"203.0.113.{n // PER_ADDRESS}"},
            )
            assert answer.status_code == 200, answer.get_data(as_text=True)
        # What lives a minute (windows, results, markers) is not the article's to keep.
        for key in client.scan_iter("rx:*"):
            if key.startswith("rx:rl:") or key.startswith("rx:o:") or ":o:" in key:
                client.delete(key)
        grown = int(client.info("memory")["used_memory"]) - before
        return grown / ARTICLES
    finally:
        app.extensions["reactions.store"].client.close()
        client.close()
        server.stop()


def gigabytes(setting: str) -> float:
    """Return a redis maxmemory setting ("1gb", "512mb") in bytes."""
    number, unit = re.fullmatch(r"(\d+)(gb|mb)", setting.lower()).groups()  # type: ignore[union-attr]
    return int(number) * (1024**3 if unit == "gb" else 1024**2)


def test_the_worst_article_costs_at_most_its_documented_bytes(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    measured = bytes_per_article(tmp_path, redis_server)
    print(f"worst article: {measured:.0f} bytes of used_memory each ({ARTICLES} articles)")
    assert measured <= WORST_ARTICLE_BYTES


def test_the_default_ceiling_of_worst_articles_fits_the_shipped_maxmemory() -> None:
    compose = re.search(r"REDIS_MAXMEMORY:-(\w+)", COMPOSE.read_text())
    assert compose and compose.group(1) == DEFAULT_MAXMEMORY
    ceiling = config.DEFAULTS[config.MAX_ARTICLES_PER_SITE]
    assert ceiling * WORST_ARTICLE_BYTES <= ARTICLES_SHARE * gigabytes(DEFAULT_MAXMEMORY)
