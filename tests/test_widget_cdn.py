"""Behind a real caching proxy (nginx proxy_cache): a reader sees their own reaction at once.

nginx runs with ``proxy_cache`` and its defaults (no ``proxy_cache_valid``: the service's
``Cache-Control`` says how long), in front of the session's gunicorn.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect
from test_widget_i18n import host, new_page
from widget_host import embed_page

from tests.browser import HostPages
from widget.local.redis_server import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["host", "new_page"]
NGINX = "/usr/sbin/nginx"


@pytest.fixture
def proxy(live_server: Any, tmp_path: Path) -> Iterator[str]:
    """Start nginx with proxy_cache in front of the service; return its URL."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"no nginx at {NGINX}: Debian's nginx-light is a test dependency")
    port = free_port()
    temp = "".join(f"{kind}_temp_path {tmp_path}/{kind};\n" for kind in (
        "client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    # As root, nginx's workers would be "nobody", who cannot write to pytest's tmp_path.
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""
{user}
daemon off; worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;
events {{}}
http {{
  access_log {tmp_path}/access.log;
  {temp}
  proxy_cache_path {tmp_path}/cache keys_zone=counts:1m;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass {live_server.url};
      proxy_cache counts;
      add_header X-Cache-Status $upstream_cache_status always;
    }}
  }}
}}
""")
    process = subprocess.Popen([NGINX, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            requests.get(f"{url}/healthz", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError((tmp_path / "error.log").read_text()) from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)


def test_a_reader_sees_their_reaction_after_a_reload_while_others_hit_the_cache(
    make_site: Callable[..., str],
    host: HostPages,
    proxy: str,
    new_page: Callable[[], Page],
) -> None:
    make_site("demo", (host.origin,))
    for reader in range(5):  # others made it popular
        body = {"article": "hot", "reader": f"other-reader-{reader:0>8}", "reaction": "love"}
        requests.post(f"{proxy}/v1/sites/demo/reactions", json=body, timeout=5).raise_for_status()
    url = embed_page(
        host, "/hot", proxy, '<div data-reactions data-site="demo" data-article="hot"></div>'
    )
    caching: dict[str, list[str]] = {"a": [], "b": []}

    def open_as(name: str) -> Page:
        page = new_page()
        page.on(
            "response",
            lambda r: (
                caching[name].append(r.headers.get("x-cache-status", ""))
                if "/v1/sites/demo/reactions?" in r.url
                else None
            ),
        )
        page.goto(url)
        return page

    love = "button[data-reaction=love] [data-count]"
    probe = requests.get(f"{proxy}/static/embed.js", timeout=5)
    assert probe.status_code == 200, probe.text[:300]
    bob = open_as("b")
    expect(bob.locator(love)).to_have_text("5")
    alice = open_as("a")
    expect(alice.locator(love)).to_have_text("5")
    assert caching["a"] == ["HIT"]  # the proxy holds the popular article's counts
    alice.locator("button[data-reaction=love]").click()
    expect(alice.locator("[role=status]")).to_have_text("You chose Love It.")

    alice.reload()
    expect(alice.locator("button[data-reaction=love]")).to_have_attribute("aria-pressed", "true")
    expect(alice.locator(love)).to_have_text("6")
    assert caching["a"][-1] != "HIT"  # asked with her token: not from the shared cache

    bob.reload()
    expect(bob.locator(love)).to_have_text("5")  # still within max-age: the cached copy
    assert caching["b"][-1] == "HIT"
