"""A hostile reader, from one address and then from 1,000, cannot make the service store
what no index, export or site deletion reaches, nor grow it past the documented bounds,
nor touch a real article's counts, title or url.

Rate limits are on, at the production defaults (``config.SETTINGS``), with two changes:
``TRUSTED_PROXIES=1`` so that the test client's ``X-Forwarded-For`` names the address, and
``MAX_ARTICLES_PER_SITE=2000`` (instead of 1,000,000) so that the 10,000 new articles from
1,000 addresses, each within its budget of 50 a day, meet the site's ceiling as well.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.conftest import app_config
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.store import keys

pytestmark = pytest.mark.slow

SITE = "news"
BASE = f"/v1/sites/{SITE}"
REAL = [f"/2026/11/real-story-{n}" for n in range(5)]
EACH = 10_000  # of each kind of request, from one address and again from 1,000
MAX_ARTICLES = 2000
# docs/attackers.md: at most this much Redis memory per article a hostile reader starts
# (its keys and index entries, with an id, title and url of the largest sizes), per
# request served (its rate-limit windows and the call's result, for a minute) and per
# address (its entry in the day's budget).
BYTES_PER_ARTICLE = 8000
BYTES_PER_REQUEST = 500
BYTES_PER_ADDRESS = 200
SLACK = 1 << 20  # Redis's own tables grow in steps


@pytest.fixture
def service(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[Any]:
    """Return the app with production limits, behind one trusted proxy, and a news site."""
    app = create_app(
        app_config(
            redis_server,
            RATELIMIT_ENABLED=True,
            TRUSTED_PROXIES=1,
            MAX_ARTICLES_PER_SITE=MAX_ARTICLES,
        )
    )
    with app.app_context():
        _, key = get_sites().create(SITE, "News", [])
    app.config["API_KEY"] = key
    yield app
    app.extensions["reactions.store"].client.close()


def post(client: Any, address: str, body: dict[str, Any]) -> int:
    """POST a reaction from an address (through the trusted proxy); return the status."""
    answer = client.post(
        f"{BASE}/reactions",
        json=body,
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": address},
    )
    return int(answer.status_code)


def token(n: int) -> str:
    return f"hostile-reader-{n:08d}"


def article_state(client: Any, key: str) -> dict[str, Any]:
    """Return what the publisher sees of the real articles."""
    auth = {"Authorization": f"Bearer {key}"}
    return {a: client.get(f"{BASE}/article?article={a}", headers=auth).get_json() for a in REAL}


def attack(client: Any, addresses: list[str], round_: int) -> dict[int, int]:
    """Send EACH no-ops, EACH new articles and EACH rewrites; return the answers' statuses."""
    rng = random.Random(round_)
    statuses: dict[int, int] = {}
    for n in range(3 * EACH):
        address = addresses[n % len(addresses)]
        kind, i = divmod(n, EACH)
        if kind == 0:  # a withdraw that holds nothing, on an article nobody reacted to
            body = {"article": f"/noop/{round_}/{i}", "reader": token(i), "reaction": None,
                    "title": "x" * 300, "url": "https://evil.example/" + "y" * 1000}  # fmt: skip
        elif kind == 1:  # a new article, each with a long title and url
            body = {"article": f"/made-up/{round_}/{i}-" + "z" * 400, "reader": token(i),
                    "reaction": "love", "title": "spam " * 60,
                    "url": f"https://evil.example/{i}?" + "q" * 1000}  # fmt: skip
        else:  # a rewrite of a real article's title and url (a withdraw that holds nothing)
            body = {"article": rng.choice(REAL), "reader": token(i), "reaction": None,
                    "title": "Click here", "url": "https://phishing.example/login"}  # fmt: skip
        status = post(client, address, body)
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def unreachable_keys(client: redis.Redis) -> list[str]:
    """Return the keys that no index, export or site deletion reaches, nor an expiry ends."""
    indexed = {str(m) for m in client.zrange(keys.index_key(SITE, "total"), 0, -1)}
    found = []
    for key in client.scan_iter("*"):
        # PTTL, not TTL: Redis rounds a TTL to the nearest second, so a one-minute key in its
        # last half second reads 0 ("no time left") though it still has an expiry.
        pttl = client.pttl(key)
        if pttl == -2:
            continue  # expired between the scan and the look: bounded, and gone
        ttl = pttl / 1000  # -1 (no expiry) stays below 0
        if key.startswith(f"{keys.PREFIX}:{keys.SITES_TAG}:"):
            continue  # the site records
        if not key.startswith(f"{keys.PREFIX}:"):
            found.append(key)  # not a key of the service at all
        elif key.startswith(keys.RATE_LIMIT_PREFIX) or key == keys.READY_PROBE:
            if not 0 <= ttl <= 3600:
                found.append(key)
        elif f"{{{SITE}}}:" in key:  # the site's slot: its indexes, or an expiring record
            name = key.split(f"{{{SITE}}}:", 1)[1]
            # The site's indexes and its publisher's records (refusals, keys' last use, the
            # audit log, moves): each one key a site, which deleting the site takes.
            lasting = (
                name in keys.SITE_INDEXES
                or name.startswith("by:")
                or name in ("refused", "key-used", "audit", "moved")
            )
            # The top list's day rankings live their 31 days (and go with the site).
            bound = keys.RANK_DAYS * 86400 if name.startswith("day:") else 2 * 86400
            if not lasting and not 0 <= ttl <= bound:
                found.append(key)
        elif f"{{{SITE}|" in key:  # an article's key: listed by the index, or expiring
            if keys.article_hash_in(key) not in indexed and not 0 <= ttl <= 2 * 86400:
                found.append(key)
        else:
            found.append(key)
    return found


def test_a_hostile_reader_stays_within_the_bounds(service: Any, redis_client: redis.Redis) -> None:
    client = service.test_client()
    key = service.config["API_KEY"]
    for n, article in enumerate(REAL):  # real readers, before the attack
        for r in range(3):
            body = {"article": article, "reader": f"real-reader-{n}-{r:06d}",
                    "reaction": ("love", "like", "had")[r], "title": f"Real story {n}",
                    "url": f"https://news.example/{article}?utm=x"}  # fmt: skip
            assert post(client, f"192.0.2.{n * 3 + r + 1}", body) == 200
    real = article_state(client, key)
    assert real[REAL[0]]["url"] == f"https://news.example/{REAL[0]}"
    used_before = int(redis_client.info("memory")["used_memory"])

    started_at = time.time()
    one = attack(client, ["198.51.100.1"], 1)
    # Fixed windows of a minute: a slow machine's attack may span more than one of them.
    allowed = 120 * (int(time.time()) // 60 - int(started_at) // 60 + 1)
    # One address: its write limit (120 a minute) and budget (50 new articles) hold it.
    assert one.get(200, 0) <= allowed and one.get(429, 0) >= 3 * EACH - allowed
    articles_after_one = redis_client.zcard(keys.index_key(SITE, "total"))
    assert articles_after_one <= len(REAL) + 50

    many = [f"203.0.{n // 250}.{n % 250 + 1}" for n in range(1000)]
    statuses = attack(client, many, 2)
    assert 500 not in statuses and set(statuses) <= {200, 403, 429}
    articles = redis_client.zcard(keys.index_key(SITE, "total"))
    assert articles <= MAX_ARTICLES  # the ceiling held (no requests ran at once here)
    assert statuses.get(403, 0) >= EACH - MAX_ARTICLES  # article_limit

    assert unreachable_keys(redis_client) == []
    started = articles - len(REAL)
    grown = int(redis_client.info("memory")["used_memory"]) - used_before
    served = one.get(200, 0) + statuses.get(200, 0)
    bound = (
        started * BYTES_PER_ARTICLE
        + served * BYTES_PER_REQUEST
        + (1 + len(many)) * BYTES_PER_ADDRESS
        + SLACK
    )
    print(f"hostile reader: {grown} bytes grown for {started} articles, {served} served")
    assert grown <= bound, f"{grown} bytes for {started} articles, bound {bound}"
    assert article_state(client, key) == real

    # Deleting the site takes everything of it: only expiring rate-limit windows stay.
    with service.app_context():
        get_sites().delete(SITE)
    left = [k for k in redis_client.scan_iter("*") if not k.startswith(keys.RATE_LIMIT_PREFIX)]
    assert [k for k in left if k != keys.READY_PROBE] == []


# -- from one IPv6 /48: 65,536 /64s, one budget ------------------------------------------

NETWORK = "2001:db8:4800"  # a /48, as a tunnel broker hands one out


def test_a_hostile_slash_48_gets_8_budgets_not_65536(
    service: Any, redis_client: redis.Redis
) -> None:
    client = service.test_client()
    key = service.config["API_KEY"]
    budget, cap = 50, 50  # the defaults: NEW_ARTICLES_PER_ADDRESS_PER_DAY, READERS_PER_...
    first = {"article": "/target", "reader": token(0), "reaction": "love"}
    assert post(client, "192.0.2.1", first) == 200
    # Ballot stuffing: 100 /64s, 10 new readers each, on one article (each /64 within its
    # cap of 50, so without a bound on the /48 all 1,000 would count).
    votes = 0
    for n in range(100):
        for r in range(10):
            body = {"article": "/target", "reader": token(1000 + n * 10 + r), "reaction": "like"}
            votes += post(client, f"{NETWORK}:{n:x}::1", body) == 200
    assert votes == 8 * cap
    counts = client.get(f"{BASE}/reactions?article=/target").get_json()["articles"]["/target"]
    assert counts["total"] == 1 + 8 * cap
    # New articles: 500 /64s, 4 each (each within its budget of 50: 2,000 without the bound).
    before = redis_client.zcard(keys.index_key(SITE, "total"))
    statuses: dict[int, int] = {}
    for n in range(500):
        for i in range(4):
            body = {"article": f"/from-48/{n}/{i}", "reader": token(n), "reaction": "love"}
            status = post(client, f"{NETWORK}:{0x1000 + n:x}::1", body)
            statuses[status] = statuses.get(status, 0) + 1
    started = redis_client.zcard(keys.index_key(SITE, "total")) - before
    assert started == statuses[200] == 8 * budget
    assert statuses[429] == 2000 - 8 * budget and 500 not in statuses
    auth = {"Authorization": f"Bearer {key}"}
    refused = client.get(f"{BASE}/summary?days=1", headers=auth).get_json()["refused_articles"]
    assert refused["new_article_budget"] == 2000 - 8 * budget
    assert unreachable_keys(redis_client) == []


# -- a made-up site id of 8,000 characters ------------------------------------------------

LONG_SITE = "z" * 8000


def long_site_post(client: Any) -> Any:
    body = {"article": "/a", "reader": token(1), "reaction": "love"}
    return client.post(
        f"/v1/sites/{LONG_SITE}/reactions",
        json=body,
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": "198.51.100.99"},
    )


def test_a_long_made_up_site_id_is_a_json_4xx_and_starts_nothing(
    service: Any, redis_client: redis.Redis
) -> None:
    client = service.test_client()
    for _ in range(3):
        answer = long_site_post(client)
        assert 400 <= answer.status_code < 500
        assert answer.get_json()["error"]["code"] in {"unknown_site", "bad_request"}
        got = client.get(f"/v1/sites/{LONG_SITE}/reactions?article=/a")
        assert 400 <= got.status_code < 500 and "error" in got.get_json()
    assert [k for k in redis_client.scan_iter("*") if "zzzz" in k and "rl:" not in k] == []
    assert unreachable_keys(redis_client) == []


def test_a_long_made_up_site_id_leaves_no_long_key(service: Any, redis_client: redis.Redis) -> None:
    client = service.test_client()
    for _ in range(3):
        long_site_post(client)
        client.get(f"/v1/sites/{LONG_SITE}/reactions?article=/a")
    longest = max((len(k.encode()) for k in redis_client.scan_iter("*")), default=0)
    assert longest <= 300, f"a key of {longest} bytes holds what a client made up"
