"""The run command's engine: a local Redis, a demo site, gunicorn and the webhooks' worker,
and a clean stop.

``scripts/run`` makes the virtual environment and calls ``python -m widget.local.run``.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from .. import config
from .redis_server import RedisServer, RedisServerError, free_port, port_is_free

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REDIS_PORT = 6380
# The run command's Redis refuses writes past this (REDIS_MAXMEMORY; docs/redis.md sizes it).
DEFAULT_MAXMEMORY = "1gb"


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_demo_site(env: dict[str, str], data_dir: Path, base: str) -> str | None:
    """Create the demo site with months of demo data if there is none; return its new key.

    The data goes through ``flask --app widget demo-data``'s code into the Redis that
    gunicorn serves, so the widget on /demo and the dashboard read the same counts.
    """
    from .. import create_app
    from ..cli.demo_data import generate
    from ..context import get_sites, get_store
    from .demo import ARTICLES

    app = create_app({"REDIS_URL": env["REDIS_URL"], "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        sites = get_sites()
        if sites.get("demo") is not None:
            return None
        site, api_key = sites.create("demo", "Demo", [])
        key_file = data_dir / "demo-api-key"
        key_file.write_text(api_key + "\n")
        key_file.chmod(0o600)
        # The first demo article is the one on /demo, the others are on /demo/list.
        urls = {article: f"{base}/demo/list" for article, _ in ARTICLES}
        urls[ARTICLES[0][0]] = f"{base}/demo"
        # A modest size, so a first start stays within a few seconds.
        result = generate(get_store(), site, articles=40, days=120, readers=800, urls=urls)
    print(
        f"Demo data: {result.reactions:,} reactions to {result.articles} articles over 120 days "
        f"(more: flask --app widget demo-data)"
    )
    return api_key


def main() -> int:
    """Run Redis (unless REDIS_URL is set) and gunicorn until Ctrl-C."""
    # A shell starting us in the background ignores SIGINT; Ctrl-C or `kill -INT` must stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    data_dir = Path(os.environ.get("DATA_DIR", ROOT / "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", _secret_key(data_dir))
    port = int(env.get("PORT", "8000"))
    env.setdefault("BIND", f"127.0.0.1:{port}")
    env.setdefault("WEB_CONCURRENCY", "2")
    # Plain http: a Secure session cookie would never come back, and the dashboard
    # could not be signed in to.
    env.setdefault(config.SESSION_COOKIE_SECURE, "0")
    host, _, bind_port = env["BIND"].rpartition(":")
    if host in {"127.0.0.1", "localhost"} and not port_is_free(int(bind_port)):
        print(f"port {bind_port} is in use: stop what runs there, or set PORT", file=sys.stderr)
        return 1

    redis_server = None
    if "REDIS_URL" not in env:
        redis_port = DEFAULT_REDIS_PORT if port_is_free(DEFAULT_REDIS_PORT) else free_port()
        redis_server = RedisServer(
            data_dir / "redis",
            redis_port,
            appendfsync=env.get("REDIS_APPENDFSYNC", "everysec"),
            maxmemory=env.get("REDIS_MAXMEMORY", DEFAULT_MAXMEMORY),
            maxmemory_policy=env.get("REDIS_MAXMEMORY_POLICY", "noeviction"),
        )
        try:
            redis_server.start()
        except RedisServerError as exc:
            print(f"could not start Redis: {exc}", file=sys.stderr)
            return 1
        env["REDIS_URL"] = redis_server.url
        version = redis_server.version().split()[2].removeprefix("v=")
        print(
            f"Redis:     {version} on {redis_server.url}, "
            f"data in {redis_server.data_dir} (append-only file on, "
            f"maxmemory {redis_server.maxmemory} {redis_server.maxmemory_policy})"
        )
    else:
        print(f"Redis:     {env['REDIS_URL']} (REDIS_URL)")

    gunicorn = worker = None
    try:
        base = f"http://{env['BIND']}"
        new_key = ensure_demo_site(env, data_dir, base)
        key_file = data_dir / "demo-api-key"
        print(f"Service:   {base}  (gunicorn, {env['WEB_CONCURRENCY']} workers)")
        print(f"Demo:      {base}/demo        one article with the widget")
        print(f"           {base}/demo/list   several widgets, one counts request")
        print(f"Dashboard: {base}/dashboard/  sign in: site id 'demo', API key in {key_file}")
        if new_key:
            print(f"           demo API key (created now): {new_key}")
        print(f"Counts:    curl '{base}/v1/sites/demo/reactions?article=sony-flip-flops'")
        print("Stop:      Ctrl-C", flush=True)
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "widget:create_app()"],
            env=env,
            cwd=ROOT,
        )  # fmt: skip
        # The webhooks' delivery worker, beside gunicorn (docs/webhooks.md).
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "widget", "webhooks", "work"],
            env=env,
            cwd=ROOT,
        )
        signal.signal(signal.SIGTERM, lambda *_: gunicorn.terminate() if gunicorn else None)
        try:
            return gunicorn.wait()
        except KeyboardInterrupt:
            gunicorn.send_signal(signal.SIGINT)
            return gunicorn.wait()
    finally:
        for child in (gunicorn, worker):
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait()
        if redis_server is not None:
            redis_server.stop()
            print("Redis stopped; the counts are kept in", redis_server.data_dir)


if __name__ == "__main__":
    sys.exit(main())
