"""What the service keeps about a reader: no raw address, no raw token, no cookie."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.helpers import KEYS, SECRET, app_config
from widget import create_app, privacy
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.privacy import UNREADABLE, address_hash, client_network
from widget.store import CAP_TTL_SECONDS, CapReached, Store

URL = "/v1/sites/demo/reactions"
PROXY = "10.9.8.7"
ADDRESSES = ("203.0.113.7", "2001:db8::1", "198.51.100.77")
READERS = tuple(f"tok-{name}-Zq8xW3vK1pLr" for name in ("ann", "bob", "cy", "dee", "eve"))
DAY = 86400


def read_everything(client: redis.Redis) -> list[bytes]:
    """Return every key name, every value read by its type, and every key's DUMP."""
    seen: list[bytes] = []
    for key in client.scan_iter(count=1000):
        seen.append(key)
        kind = client.type(key).decode()
        if kind == "string":
            seen.append(client.get(key) or b"")
        elif kind == "hash":
            for field, value in client.hgetall(key).items():
                seen += [field, value]
        elif kind == "zset":
            seen += [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "set":
            seen += list(client.smembers(key))
        elif kind == "list":
            seen += client.lrange(key, 0, -1)
        else:
            pytest.fail(f"a key of a type this test does not read: {key!r} is a {kind}")
        seen.append(client.dump(key) or b"")
    return seen


@pytest.fixture
def app(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[Any]:
    """Return the app behind one trusted proxy, with small limits so some requests fail."""
    app = create_app(
        app_config(
            redis_server,
            TRUSTED_PROXIES=1,
            RATELIMIT_ENABLED=True,
            RATELIMIT_WRITE_ARTICLE="4/minute",
            READERS_PER_ADDRESS_PER_ARTICLE=2,
        )
    )
    with app.app_context():
        get_sites().create("demo", "Demo", ["https://news.example"])
    yield app
    app.extensions["reactions.store"].client.close()


def session_of_reactions(app: Any) -> list[Any]:
    """React, switch, withdraw and read as several readers from several addresses."""
    client = app.test_client()
    answers = []
    for n, reader in enumerate(READERS):
        addr = ADDRESSES[n % len(ADDRESSES)]
        env = {"REMOTE_ADDR": PROXY}
        headers = {"X-Forwarded-For": addr, "Origin": "https://news.example"}
        for article, reaction in (("a1", "love"), ("a1", "hated"), ("a2", "want"), ("a1", None)):
            body = {
                "article": article,
                "reader": reader,
                "reaction": reaction,
                "title": f"Article {article}",
                "url": f"https://news.example/{article}",
            }
            answers.append(
                client.post(
                    URL, data=json.dumps(body), content_type="text/plain",
                    headers=headers, environ_base=env,
                )
            )  # fmt: skip
        answers.append(
            client.get(
                URL,
                query_string={"article": ["a1", "a2"], "reader": reader},
                headers=headers,
                environ_base=env,
            )
        )
        answers.append(client.options(URL, headers=headers, environ_base=env))
    return answers


def test_no_raw_address_or_reader_token_anywhere_in_redis_or_the_logs(
    app: Any, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    # The request lines' logger does not propagate to the root, where caplog listens (pytest
    # before 9.1 sees only what reaches the root): give caplog's handler to it directly.
    requests_log = logging.getLogger("widget.requests")
    requests_log.addHandler(caplog.handler)
    try:
        answers = session_of_reactions(app)
    finally:
        requests_log.removeHandler(caplog.handler)
    statuses = {a.status_code for a in answers}
    # The session went through the limit and the cap paths too, not only the happy one.
    assert {200, 204, 429} <= statuses, statuses

    raw = redis.Redis.from_url(redis_server.url)  # bytes, not decoded: see everything
    try:
        everything = read_everything(raw)
        keys = [k.decode() for k in raw.scan_iter(count=1000)]
        # Hashed addresses are there (limit windows and the cap), and they expire.
        remembered = [k for k in keys if k.startswith(("rx:rl", "rx:x:"))]
        assert any(k.startswith("rx:rl") for k in remembered)
        assert any(k.startswith("rx:x:") for k in remembered)
        for key in remembered:  # PTTL: a TTL rounds a key's last half second down to 0
            pttl = raw.pttl(key)
            assert pttl == -2 or 0 <= pttl <= CAP_TTL_SECONDS * 1000, key
    finally:
        raw.close()
    blob = b"\n".join(everything)
    assert "/v1/sites/demo/reactions 429" in caplog.text  # the request lines were seen
    for secret in (*ADDRESSES, *READERS):
        assert secret.encode() not in blob, f"{secret} is stored in Redis"
        assert secret not in caplog.text, f"{secret} is in the logs"
    # The hashes that are stored are today's hashes of these addresses.
    for addr in ADDRESSES:
        assert address_hash(addr, SECRET).encode() in blob


def test_no_reader_answer_sets_a_cookie(app: Any) -> None:
    answers = session_of_reactions(app)
    assert answers
    for answer in answers:
        assert "Set-Cookie" not in answer.headers, answer.status


def test_the_address_hash_changes_every_utc_day() -> None:
    noon = 1_795_000_000 // DAY * DAY + DAY // 2
    today = address_hash("203.0.113.7", SECRET, now=noon)
    assert address_hash("203.0.113.7", SECRET, now=noon - DAY // 2) == today  # 00:00:00
    assert address_hash("203.0.113.7", SECRET, now=noon + DAY // 2 - 1) == today  # 23:59:59
    tomorrow = address_hash("203.0.113.7", SECRET, now=noon + DAY // 2)
    assert tomorrow != today
    assert address_hash("203.0.113.8", SECRET, now=noon) != today
    # Without the secret key nobody can recompute them.
    assert address_hash("203.0.113.7", "another-secret", now=noon) != today
    assert "203.0.113.7" not in today


def test_one_ipv6_64_network_is_one_client() -> None:
    assert address_hash("2001:db8:1:2::1", SECRET) == address_hash("2001:db8:1:2:abcd::9", SECRET)
    assert address_hash("2001:db8:1:2::1", SECRET) != address_hash("2001:db8:1:3::1", SECRET)
    assert address_hash("::ffff:198.51.100.1", SECRET) == address_hash("198.51.100.1", SECRET)
    assert address_hash("198.51.100.1", SECRET) != address_hash("198.51.100.2", SECRET)


def test_the_cap_starts_anew_with_the_next_days_hash(store: Store) -> None:
    noon = 1_795_000_000 // DAY * DAY + DAY // 2

    def react(reader: str, now: float) -> int:
        tally = store.set_reaction(
            "demo",
            "a1",
            reader,
            "love",
            KEYS,
            now=now,
            address=address_hash("203.0.113.7", SECRET, now=now),
            cap=1,
        )
        return tally.total

    assert react("reader-000000000001", noon) == 1
    with pytest.raises(CapReached):
        react("reader-000000000002", noon + 3600)
    assert react("reader-000000000002", noon + DAY) == 2


def test_the_address_hash_is_128_bits_of_url_safe_base64() -> None:
    # 128 bits: two of a day's many addresses never share a hash, so never a budget.
    digest = address_hash("203.0.113.7", SECRET)
    assert len(digest) == 22 and "=" not in digest
    assert len(base64.urlsafe_b64decode(digest + "==")) == 16


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("203.0.113.7:8080", "203.0.113.7"),
        ("203.0.113.7:8", "203.0.113.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::1]", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::1]:443", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::1]:8", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.1", "198.51.100.1"),
        ("[2001:db8::1", UNREADABLE),
        ("[2001:db8::1]x", UNREADABLE),
        ("[2001:db8::1]:", UNREADABLE),
        ("[2001:db8::1]:https", UNREADABLE),
        ("203.0.113.7:", UNREADABLE),
        ("203.0.113.7:http", UNREADABLE),
        ("203.0.113.300", UNREADABLE),
        ("unknown", UNREADABLE),
    ],
)
def test_what_counts_as_one_client(address: str, client: str) -> None:
    assert client_network(address) == client


def test_unreadable_addresses_are_logged_once_a_minute_with_their_count(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(privacy, "_last_warning", [float("-inf"), 0])
    with caplog.at_level(logging.WARNING, logger="widget.privacy"):
        client_network("x" * 200)
        client_network("not-an-address")
        client_network("nor-this")
        privacy._last_warning[0] -= 61  # a minute later
        client_network("again")
    warnings = [r.getMessage() for r in caplog.records if r.name == "widget.privacy"]
    assert len(warnings) == 2, warnings
    assert repr("x" * 100) in warnings[0] and "x" * 101 not in warnings[0]
    assert "(1 such requests" in warnings[0]
    assert "'again'" in warnings[1] and "(3 such requests" in warnings[1]
