"""Under real gunicorn, with several workers that each cache site records for a minute: a
revoked key is refused by every worker on the next request, and its dashboard sessions end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers import LiveServer, start_gunicorn, wait_for_every_worker
from tests.test_dashboard import csrf_of
from widget.local.redis_server import RedisServer

WORKERS = 3
TRIES = 40  # new connections, spread over the workers by the kernel (SO_REUSEPORT)

pytestmark = pytest.mark.slow


@pytest.fixture
def caching_server(
    redis_server: RedisServer, redis_client: Any, tmp_path: Path
) -> Iterator[LiveServer]:
    server = start_gunicorn(redis_server.url, tmp_path, WORKERS, SITE_CACHE_SECONDS="60")
    wait_for_every_worker(server.url, WORKERS)
    yield server
    server.stop()


def statuses(url: str, key: str) -> set[int]:
    """Send TRIES requests, each on a new connection; return the statuses answered."""
    headers = {"Authorization": f"Bearer {key}", "Connection": "close"}
    return {requests.get(url, headers=headers, timeout=10).status_code for _ in range(TRIES)}


def test_a_revoked_key_is_refused_by_every_worker_at_once(
    caching_server: LiveServer, runner: Any
) -> None:
    created = runner.invoke(args=["sites", "create", "demo"])
    admin = created.output.strip().rsplit(" ", 1)[-1]
    made = runner.invoke(args=["sites", "keys", "demo", "add", "intern", "--role", "viewer"])
    viewer = made.output.strip().splitlines()[-1]
    summary = f"{caching_server.url}/v1/sites/demo/summary"
    # Every worker answers the key (and the rate limiter's lookups cache the site).
    assert statuses(summary, viewer) == {200}

    # A dashboard session signed in with the key, on whichever worker takes it.
    base = f"{caching_server.url}/dashboard"
    form = requests.get(f"{base}/", timeout=5)
    jar = {"Cookie": form.headers["Set-Cookie"].split(";", 1)[0]}
    sign_in = {"csrf": csrf_of(form.text), "site": "demo", "key": viewer}
    signed = requests.post(
        f"{base}/sign-in", headers=jar, data=sign_in, allow_redirects=False, timeout=5
    )
    assert signed.status_code == 302
    session = {"Cookie": signed.headers["Set-Cookie"].split(";", 1)[0], "Connection": "close"}
    pages = {requests.get(f"{base}/articles", headers=session, allow_redirects=False,
                          timeout=5).status_code for _ in range(TRIES)}  # fmt: skip
    assert pages == {200}

    revoke = requests.delete(f"{caching_server.url}/v1/sites/demo/keys/intern",
                             headers={"Authorization": f"Bearer {admin}"}, timeout=5)  # fmt: skip
    assert revoke.status_code == 204
    assert statuses(summary, viewer) == {401}
    pages = {requests.get(f"{base}/articles", headers=session, allow_redirects=False,
                          timeout=5).status_code for _ in range(TRIES)}  # fmt: skip
    assert pages == {302}  # back to the sign-in form, on every worker
    assert statuses(summary, admin) == {200}
