#!/usr/bin/env python3
"""The closest open peers (Isso, Waline) and our service, run on loopback and loaded alike.

    scripts/peers.py                 # one run: every endpoint at saturation and at 200 req/s
    scripts/peers.py --duration 40   # seconds of load in all

The API, for scripts/bench and scripts/bench_workers (every server on a free loopback port,
stopped when its ``with`` block ends; ``tmp`` is a scratch folder the caller removes):

    install_isso(), install_waline()     idempotent, cached under var/peers/ (git-ignored)
    with isso(tmp) as peer:              peer.lua["like"], peer.requests["like"]
    with waline(tmp) as peer:            peer.lua["click"], peer.lua["read"], and requests
    with ours(tmp) as peer:              peer.lua / peer.requests "healthz", "get1", "post"
    run_wrk(peer.url, peer.lua[name], seconds, threads, connections) -> Figures
    fixed_rate(peer.url, peer.requests[name], rate=200, seconds=5) -> Figures
    peer.counted() -> how many likes or clicks the peer's database holds (did they count?)

Isso: PyPI ``isso`` in its own virtualenv, SQLite, served by gunicorn's sync workers as its
docs say (``gunicorn --preload isso.run``), as many as ours (gunicorn.conf.py: 2 x CPUs + 1).
Its like (``POST /id/<id>/like``) is refused by the CSRF check unless the Content-Type is
JSON or absent; it counts one vote per /24 of the client address per comment and at most
142 votes per comment, so the bench spreads likes over many comments (seeded through Isso's
own db module) and sends a random X-Forwarded-For, trusted from loopback, with an Origin
and a Referer of the configured website, as the widget's page would.

Waline: npm ``@waline/vercel`` run with ``node vanilla.js PORT`` from the package, SQLite,
its ``wl_Counter`` table created here (the columns of the project's waline.sqlite) with one
row per page beforehand, so a click is an UPDATE, as on a page that has been read before.
Nothing leaves loopback: ``OAUTH_URL`` is a ``data:`` URL (Waline fetches it on every
request) and ``TENCENTCLOUD=true`` (else a bundled SDK looks up a cloud metadata host at
start). Waline loses racing clicks on one page (it reads the row, then writes the sum), so
the clicks are spread over many pages; ``peer.counted()`` tells how many were kept.

wrk has no fixed-rate mode and Debian has no wrk2, so ``fixed_rate`` is a small open-loop
generator in Python: requests are due at fixed times and each latency counts from the time
the request was due, so a stall is not hidden by the requests it delays. It adds about a
tenth of a millisecond of Python client time to each figure, the same for every server.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.metadata
import json
import os
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    VENV = ROOT / ".venv"
    # Our service needs the project's virtualenv (widget, redis-py, gunicorn).
    if Path(sys.prefix).resolve() != VENV.resolve() and (VENV / "bin" / "python").exists():
        os.execv(VENV / "bin" / "python", [str(VENV / "bin" / "python"), __file__, *sys.argv[1:]])
sys.path.insert(0, str(ROOT))

from widget.sites import DEFAULT_KEYS  # noqa: E402

PEERS = ROOT / "var" / "peers"
ISSO_VERSION = "0.14.0"
WALINE_VERSION = "1.39.3"
WORKERS = 2 * (os.cpu_count() or 1) + 1  # gunicorn.conf.py's default, for Isso too
ITEMS = 2000  # comments, pages and articles each load spreads over
REACTIONS = DEFAULT_KEYS  # ours; Waline gets as many (reaction0...)
SITE = "bench"
ORIGIN = "http://127.0.0.1"  # the website the peers are told they serve (never fetched)

# One request, as http.client sends it: method, path, headers, body.
Request = tuple[str, str, dict[str, str], bytes | None]
RequestMaker = Callable[[random.Random], Request]


@dataclass
class Figures:
    """What one load run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    errors: int  # socket errors and timeouts

    @property
    def rps(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Peer:
    """A running server, with the load of each of its endpoints."""

    name: str
    url: str
    lua: dict[str, str]
    requests: dict[str, RequestMaker]
    ready: str  # a URL that answers once the server has worked off what it was sent
    counted: Callable[[], int] = field(default=lambda: 0)

    def settle(self) -> None:
        """Wait until the server has answered what the last load left queued (Waline's)."""
        with http_get(self.ready, timeout=60):
            pass


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    name: str, argv: list[str], env: dict[str, str], cwd: Path, ready: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server in its own process group until it answers the URL ready; stop it after."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start: {log.read_text()[-3000:]}")
            try:
                with http_get(ready) as status:
                    if status < 500:
                        break
            except OSError:
                time.sleep(0.2)
        yield process
    finally:
        # The group: gunicorn's workers and thinkjs's cluster worker go with their master.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def http_get(url: str, timeout: float = 2) -> Iterator[int]:
    """GET a loopback URL; yield its status."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        response.read()
        yield response.status
    finally:
        conn.close()


# --- Isso -----------------------------------------------------------------------------------


def install_isso() -> Path:
    """Install Isso and gunicorn in var/peers/isso-venv once; return its bin folder.

    Isso's gunicorn is the version ours runs with (this python's), so the two servers differ
    in the application only.
    """
    gunicorn = importlib.metadata.version("gunicorn")
    venv = PEERS / "isso-venv"
    marker = venv / f".installed-{ISSO_VERSION}-gunicorn-{gunicorn}"
    if not marker.exists():
        print(f"installing Isso {ISSO_VERSION} in {venv} (PyPI, once) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
               "--disable-pip-version-check"]  # fmt: skip
        subprocess.run([*pip, f"isso=={ISSO_VERSION}", f"gunicorn=={gunicorn}"], check=True)
        marker.touch()
    return venv / "bin"


# Seeds ten comments a thread through Isso's own db module, run by Isso's python.
ISSO_SEED = """
import sys
from isso import config
from isso.db import SQLite3
conf = config.load(config.default_file(), sys.argv[1])
db = SQLite3(conf.get("general", "dbpath"), conf)
for n in range(int(sys.argv[2])):
    uri = "/post-%d" % (n // 10)
    if uri not in db.threads:
        db.threads.new(uri, "Post %d" % (n // 10))
    db.comments.add(uri, {"text": "Comment %d" % n, "author": "bench", "email": None,
        "website": None, "parent": None, "mode": 1, "remote_addr": "127.0.0.0",
        "notification": 0, "created": None})
"""


@contextmanager
def isso(tmp: Path, workers: int = WORKERS, comments: int = ITEMS) -> Iterator[Peer]:
    """Run Isso (SQLite, gunicorn sync workers) with comments to like."""
    bin_dir = install_isso()
    tmp.mkdir(parents=True, exist_ok=True)
    port, db = free_port(), tmp / "isso.db"
    cfg = tmp / "isso.cfg"
    # The website is loopback too: Isso HEADs it at start, and it answers or not, harmlessly.
    cfg.write_text(
        f"[general]\ndbpath = {db}\nhost = {ORIGIN}\nnotify = stdout\n"
        f"[server]\nlisten = http://127.0.0.1:{port}\ntrusted-proxies = 127.0.0.1\n"
        "[guard]\nenabled = false\n[moderation]\nenabled = false\n"
    )
    subprocess.run([str(bin_dir / "python"), "-c", ISSO_SEED, str(cfg), str(comments)],
                   check=True, capture_output=True)  # fmt: skip
    # No control socket (gunicorn 25.1+ puts one at a path shared by every gunicorn of the
    # user), in a config file, which older gunicorns read without knowing the name.
    conf = tmp / "gunicorn-isso.conf.py"
    conf.write_text("control_socket_disable = True\n")
    argv = [str(bin_dir / "gunicorn"), "-c", str(conf), "-w", str(workers),
            "-b", f"127.0.0.1:{port}", "--preload", "isso.run"]  # fmt: skip
    env = {**os.environ, "ISSO_SETTINGS": str(cfg)}
    url = f"http://127.0.0.1:{port}"
    ready = f"{url}/config"
    with server("isso", argv, env, tmp, ready, tmp / "isso.log"):

        def like(rng: random.Random) -> Request:
            headers = {"Content-Type": "application/json", "Origin": ORIGIN,
                       "Referer": f"{ORIGIN}/post-1", "X-Forwarded-For": address(rng)}  # fmt: skip
            return "POST", f"/id/{rng.randint(1, comments)}/like", headers, b""

        def counted() -> int:
            with sqlite3.connect(db) as con:
                return int(
                    con.execute("SELECT COALESCE(SUM(likes), 0) FROM comments").fetchone()[0]
                )

        yield Peer("Isso", url, {"like": lua_isso_like(comments)}, {"like": like}, ready, counted)


def lua_isso_like(comments: int) -> str:
    """The wrk script of Isso's like, spread over comment ids 1..comments."""
    return (
        LUA_COMMON
        + f"""
function request()
  local headers = {{["Content-Type"] = "application/json", ["Origin"] = "{ORIGIN}",
    ["Referer"] = "{ORIGIN}/post-1", ["X-Forwarded-For"] = address()}}
  return wrk.format("POST", "/id/" .. math.random(1, {comments}) .. "/like", headers, "")
end
"""
    )


# --- Waline ---------------------------------------------------------------------------------


def node_prefix() -> Path:
    """Check what building Waline's sqlite3 addon needs; return node's prefix (headers' root).

    node-gyp compiles against the headers of the node that runs it, found through
    ``npm_config_nodedir``: PREFIX/include/node (node.h, common.gypi, config.gypi) beside
    PREFIX/bin/node. Debian's nodejs has them in libnode-dev; NodeSource's nodejs package and
    the tarballs of nodejs.org ship them with node. Raises SystemExit saying what to install.
    """
    found = shutil.which("node")
    if not found or not shutil.which("npm"):
        raise SystemExit(
            "Waline needs node >= 20 and npm: apt-get install nodejs npm (Debian 13; Debian 12's "
            "nodejs is 18), or run scripts/bench --no-peers"
        )
    node = Path(found).resolve()
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True).stdout
    if int(version.strip().lstrip("v").split(".")[0] or 0) < 20:
        raise SystemExit(
            f"Waline {WALINE_VERSION} needs node >= 20, and {node} is {version.strip()}: "
            "install a newer nodejs (Debian 13's, or NodeSource's), or run scripts/bench "
            "--no-peers"
        )
    prefix = node.parent.parent
    headers = prefix / "include" / "node"
    if not all((headers / name).exists() for name in ("node.h", "common.gypi", "config.gypi")):
        debian = (
            shutil.which("dpkg")
            and subprocess.run(["dpkg", "-S", str(node)], capture_output=True).returncode == 0
        )
        hint = (
            "apt-get install libnode-dev (Debian's nodejs keeps its headers there)"
            if debian
            else "install the headers of this node (nodejs.org's tarball has include/node)"
        )
        raise SystemExit(
            f"building Waline's sqlite3 addon needs node's headers in {headers} (node.h, "
            f"common.gypi, config.gypi), missing: {hint}; or run scripts/bench --no-peers"
        )
    missing = [tool for tool in ("make", "g++", "python3") if not shutil.which(tool)]
    if missing:
        raise SystemExit(
            f"building Waline's sqlite3 addon needs {', '.join(missing)}: apt-get install "
            "build-essential python3; or run scripts/bench --no-peers"
        )
    return prefix


def install_waline() -> Path:
    """Install @waline/vercel in var/peers/waline once, sqlite3 built here; return the package."""
    prefix = PEERS / "waline"
    package = prefix / "node_modules" / "@waline" / "vercel"
    marker = prefix / f".installed-{WALINE_VERSION}"
    if not marker.exists():
        nodedir = node_prefix()
        print(f"installing Waline {WALINE_VERSION} in {prefix} (npm, once; sqlite3 is "
              "compiled: a few minutes) ...", file=sys.stderr)  # fmt: skip
        prefix.mkdir(parents=True, exist_ok=True)
        (prefix / "package.json").write_text('{"private": true}\n')
        # sqlite3's install script (prebuild-install, then node-gyp) reads these from the
        # environment: compile, never fetch a prebuilt binary, and take the headers of the
        # node that runs it rather than download them. npm warns that it does not know the
        # first one itself; the script does.
        env = {**os.environ, "npm_config_build_from_source": "true",
               "npm_config_nodedir": str(nodedir)}  # fmt: skip
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
                        f"@waline/vercel@{WALINE_VERSION}"], check=True, env=env)  # fmt: skip
        # npm may skip install scripts (its allowScripts): then the addon is missing.
        built = subprocess.run(["node", "-e", "require('sqlite3')"], cwd=prefix,
                               capture_output=True, text=True)  # fmt: skip
        if built.returncode != 0:
            raise SystemExit(
                f"Waline's sqlite3 addon was not built ({built.stderr.strip()[-500:]}): "
                f"npm rebuild sqlite3 --prefix {prefix} with npm_config_build_from_source=true "
                f"and npm_config_nodedir={nodedir}, or run scripts/bench --no-peers"
            )
        marker.touch()
    return package


# wl_Counter as the project's waline.sqlite has it (no index on url: a read scans the table).
WALINE_COUNTER = """
CREATE TABLE IF NOT EXISTS wl_Counter (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER,
  reaction0 INTEGER, reaction1 INTEGER, reaction2 INTEGER, reaction3 INTEGER,
  reaction4 INTEGER, reaction5 INTEGER, reaction6 INTEGER, reaction7 INTEGER,
  reaction8 INTEGER, url TEXT,
  createdAt DATETIME DEFAULT (datetime('now', 'localtime')),
  updatedAt DATETIME DEFAULT (datetime('now', 'localtime'))
)
"""
WALINE_TYPES = ",".join(f"reaction{i}" for i in range(len(REACTIONS)))


@contextmanager
def waline(tmp: Path, paths: int = ITEMS) -> Iterator[Peer]:
    """Run Waline (node, SQLite) with a counter row for each of its pages."""
    package = install_waline()
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / "waline.sqlite"
    with sqlite3.connect(db) as con:
        con.execute(WALINE_COUNTER)
        con.executemany("INSERT INTO wl_Counter (url, time) VALUES (?, 1)",
                        [(f"/post-{n}",) for n in range(1, paths + 1)])  # fmt: skip
    # vanilla.js applies the package's config.js, if any, to thinkjs: listen on loopback only.
    (package / "config.js").write_text("module.exports = { host: '127.0.0.1' };\n")
    port = free_port()
    env = {
        **os.environ,
        "SQLITE_PATH": str(tmp),
        "SQLITE_DB": "waline",
        "JWT_TOKEN": secrets.token_hex(16),
        "OAUTH_URL": 'data:application/json,{"services":[]}',
        "TENCENTCLOUD": "true",
    }
    url = f"http://127.0.0.1:{port}"
    ready = f"{url}/api/article?path=/post-1&type=reaction0"
    with server("waline", ["node", "vanilla.js", str(port)], env, package, ready,
                tmp / "waline.log"):  # fmt: skip

        def click(rng: random.Random) -> Request:
            body = {"path": f"/post-{rng.randint(1, paths)}",
                    "type": f"reaction{rng.randrange(len(REACTIONS))}"}  # fmt: skip
            headers = {"Content-Type": "application/json", "Origin": ORIGIN}
            return "POST", "/api/article", headers, json.dumps(body).encode()

        def read(rng: random.Random) -> Request:
            query = f"path=/post-{rng.randint(1, paths)}&type={WALINE_TYPES}"
            return "GET", f"/api/article?{query}", {"Origin": ORIGIN}, None

        def counted() -> int:
            columns = " + ".join(f"COALESCE({t}, 0)" for t in WALINE_TYPES.split(","))
            with sqlite3.connect(db) as con:
                return int(con.execute(f"SELECT SUM({columns}) FROM wl_Counter").fetchone()[0])

        lua = {"click": lua_waline("click", paths), "read": lua_waline("read", paths)}
        yield Peer("Waline", url, lua, {"click": click, "read": read}, ready, counted)


def lua_waline(mode: str, paths: int) -> str:
    """The wrk script of Waline's reaction click or counter read, over pages 1..paths."""
    return (
        LUA_COMMON
        + f"""
function request()
  local path = "/post-" .. math.random(1, {paths})
  if "{mode}" == "read" then
    return wrk.format("GET", "/api/article?path=" .. path .. "&type={WALINE_TYPES}",
      {{["Origin"] = "{ORIGIN}"}})
  end
  local body = '{{"path":"' .. path .. '","type":"reaction' .. math.random(0, {len(REACTIONS) - 1})
    .. '"}}'
  return wrk.format("POST", "/api/article",
    {{["Content-Type"] = "application/json", ["Origin"] = "{ORIGIN}"}}, body)
end
"""
    )


# --- our service ----------------------------------------------------------------------------


@contextmanager
def ours(
    tmp: Path,
    worker_class: str = "gthread",
    threads: int | None = None,
    workers: int | None = None,
    limited: bool = True,
    articles: int = ITEMS,
    service_env: Mapping[str, str] | None = None,
) -> Iterator[Peer]:
    """Run our service as scripts/bench does: its own redis-server, gunicorn.conf.py.

    worker_class is passed as ``-k`` (the command line wins over the config file), and
    threads (1 for sync: gunicorn silently runs gthread for a sync worker with more) and
    workers, when given, through GUNICORN_THREADS and WEB_CONCURRENCY; service_env adds to the
    service's environment.
    """
    if worker_class == "sync":
        threads = 1
    sys.path.insert(0, str(ROOT))
    from widget.local.redis_server import RedisServer
    from widget.sites import SiteRegistry
    from widget.store import Store, connect

    tmp.mkdir(parents=True, exist_ok=True)
    with RedisServer(tmp / "redis", appendonly=True) as redis_server:
        store = Store(connect(redis_server.url, socket_timeout=5))
        SiteRegistry(store, cache_seconds=0).create(SITE, "Benchmark", [])
        for n in range(1, articles + 1):
            store.set_reaction(
                SITE, f"a-{n}", "seed-reader", REACTIONS[n % len(REACTIONS)], REACTIONS
            )
        port = free_port()
        env = {**os.environ, "REDIS_URL": redis_server.url, "SECRET_KEY": secrets.token_hex(32),
               "BIND": f"127.0.0.1:{port}", "RATELIMIT_ENABLED": "1" if limited else "0",
               "TRUSTED_PROXIES": "1"}  # fmt: skip
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn.conf.py makes one per service
        if threads is not None:
            env["GUNICORN_THREADS"] = str(threads)
        if workers is not None:
            env["WEB_CONCURRENCY"] = str(workers)
        env.update(service_env or {})
        argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-k", worker_class,
                "widget:create_app()"]  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        with server("ours", argv, env, ROOT, f"{url}/readyz", tmp / "gunicorn.log"):
            # Every worker connects to Redis on its first requests: not in the figures.
            for n in range(200):
                with http_get(f"{url}/v1/sites/{SITE}/reactions?article=a-{n + 1}"):
                    pass
            lua = {mode: lua_ours(mode, articles) for mode in ("healthz", "get1", "post")}
            makers = our_requests(articles)
            yield Peer("ours", url, lua, makers, f"{url}/readyz")


def our_requests(articles: int = ITEMS) -> dict[str, RequestMaker]:
    """Our /healthz, one-article counts GET and reaction POST, for fixed_rate (as lua_ours)."""
    base = f"/v1/sites/{SITE}/reactions"

    def healthz(rng: random.Random) -> Request:
        return "GET", "/healthz", {"X-Forwarded-For": address(rng)}, None

    def get1(rng: random.Random) -> Request:
        path = f"{base}?article=a-{rng.randint(1, articles)}"
        return "GET", path, {"X-Forwarded-For": address(rng)}, None

    def post(rng: random.Random) -> Request:
        body = {"article": f"a-{rng.randint(1, articles)}", "reader": token(rng),
                "reaction": rng.choice(REACTIONS)}  # fmt: skip
        headers = {"X-Forwarded-For": address(rng), "Content-Type": "application/json"}
        return "POST", base, headers, json.dumps(body).encode()

    return {"healthz": healthz, "get1": get1, "post": post}


def lua_ours(mode: str, articles: int) -> str:
    """The wrk script of our /healthz, one-article counts GET or reaction POST."""
    return (
        LUA_COMMON
        + f"""
local base = "/v1/sites/{SITE}/reactions"
local reactions = {{"{'", "'.join(REACTIONS)}"}}
function request()
  local headers = {{["X-Forwarded-For"] = address()}}
  if "{mode}" == "healthz" then return wrk.format("GET", "/healthz", headers) end
  if "{mode}" == "get1" then
    return wrk.format("GET", base .. "?article=a-" .. math.random(1, {articles}), headers)
  end
  headers["Content-Type"] = "application/json"
  local body = '{{"article":"a-' .. math.random(1, {articles}) .. '","reader":"' .. token() ..
    '","reaction":"' .. reactions[math.random(1, #reactions)] .. '"}}'
  return wrk.format("POST", base, headers, body)
end
"""
    )


@contextmanager
def slow_clients(url: str, count: int, gap: float) -> Iterator[list[int]]:
    """Keep count clients sending GET /healthz in two halves, gap seconds apart, until exit.

    Yields a one-item list that holds, at exit, how many of their requests were answered.
    """
    host, port = url.removeprefix("http://").split(":")
    stop = threading.Event()
    answered = [0]
    lock = threading.Lock()

    def client(n: int) -> None:
        head = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n".encode()
        tail = f"X-Forwarded-For: 10.1.{n}.1\r\nConnection: close\r\n\r\n".encode()
        while not stop.is_set():
            try:
                with socket.create_connection((host, int(port)), timeout=10) as sock:
                    sock.sendall(head)
                    if stop.wait(gap):
                        return
                    sock.sendall(tail)
                    while sock.recv(65536):
                        pass
                with lock:
                    answered[0] += 1
            except OSError:
                stop.wait(0.1)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(gap)  # every slow client has a connection open before the load starts
    try:
        yield answered
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)


# --- load -----------------------------------------------------------------------------------

ALPHABET = string.ascii_letters + string.digits + "-_"


def address(rng: random.Random) -> str:
    """A random client address (a header only: nothing is sent there)."""
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def token(rng: random.Random) -> str:
    """A random reader token, 22 characters as the widget makes them."""
    return "".join(rng.choice(ALPHABET) for _ in range(22))


# Shared by every wrk script: a seed per thread, address(), token(), and done() printing one
# line of JSON, as scripts/bench's script does (WRK_RESULT, parsed by parse_wrk).
LUA_COMMON = r"""
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
end
function address()
  return "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
end
function token()
  local t = {}
  for i = 1, 22 do
    local n = math.random(1, #alphabet)
    t[i] = alphabet:sub(n, n)
  end
  return table.concat(t)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,' ..
    '"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def parse_wrk(stdout: str) -> Figures:
    """Read the WRK_RESULT line that LUA_COMMON's done() prints (scripts/bench's format)."""
    line = next(x for x in stdout.splitlines() if x.startswith("WRK_RESULT "))
    r = json.loads(line.removeprefix("WRK_RESULT "))
    return Figures(r["requests"], r["duration_us"] / 1e6, r["p50_us"] / 1000,
                   r["p99_us"] / 1000, r["non2xx"], r["socket_errors"])  # fmt: skip


def run_wrk(url: str, lua: str, seconds: float, threads: int = 2, connections: int = 32) -> Figures:
    """Run wrk with a script for a bounded time; return its figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua)
        script.flush()
        result = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
             "--timeout", "5s", "-s", script.name, url],
            capture_output=True, text=True, timeout=seconds + 60,
        )  # fmt: skip
    if result.returncode != 0 or "WRK_RESULT " not in result.stdout:
        raise RuntimeError(f"wrk failed: {result.stdout}{result.stderr}")
    return parse_wrk(result.stdout)


def fixed_rate(
    url: str, make: RequestMaker, rate: float = 200.0, seconds: float = 5.0, clients: int = 64
) -> Figures:
    """Send rate requests per second for a bounded time, open loop; return the figures.

    Request i is due at start + i / rate; its latency counts from then, not from when a
    client was free to send it (wrk2's correction for coordinated omission). Clients keep
    their connection while the server allows; 64 of them keep 200 req/s open loop up to
    about 300 ms of latency, past which the figures are the generator's own limit too.
    """
    parts = urllib.parse.urlsplit(url)
    total = int(rate * seconds)
    start = time.monotonic() + 0.05
    lock = threading.Lock()
    latencies: list[float] = []
    tally = {"next": 0, "non2xx": 0, "errors": 0}

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
        while True:
            with lock:
                i = tally["next"]
                tally["next"] += 1
            if i >= total:
                break
            due = start + i / rate
            time.sleep(max(0.0, due - time.monotonic()))
            method, path, headers, body = make(rng)
            try:
                conn.request(method, path, body, headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                with lock:
                    tally["errors"] += 1
                continue
            latency = time.monotonic() - due
            with lock:
                latencies.append(latency)
                tally["non2xx"] += not 200 <= response.status < 300
        conn.close()

    pool = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(seconds + 30)
    elapsed = time.monotonic() - start
    latencies.sort()

    def percentile(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0
        )

    return Figures(len(latencies), elapsed, percentile(0.50), percentile(0.99),
                   tally["non2xx"], tally["errors"])  # fmt: skip


# --- one run of everything ------------------------------------------------------------------

# (server, endpoint, label): the rows of the table, in the order they run.
ROWS = (
    ("ours", "healthz", "ours: /healthz"),
    ("ours", "get1", "ours: one-article counts GET"),
    ("ours", "post", "ours: reaction POST"),
    ("isso", "like", "Isso: like (SQLite, gunicorn)"),
    ("waline", "read", "Waline: counter read (SQLite, node)"),
    ("waline", "click", "Waline: reaction click"),
)
RATIOS = (
    ("one-article counts GET / /healthz", ("ours", "get1"), ("ours", "healthz"), 0.8),
    ("reaction POST / /healthz", ("ours", "post"), ("ours", "healthz"), 0.6),
    ("reaction POST / Isso's like", ("ours", "post"), ("isso", "like"), 5.0),
    ("reaction POST / Waline's reaction click", ("ours", "post"), ("waline", "click"), 5.0),
    ("one-article counts GET / Waline's counter read", ("ours", "get1"), ("waline", "read"), 2.0),
)


def measure(
    peer: Peer, endpoint: str, seconds: float, rate: float, fixed_seconds: float, args: Args
) -> tuple[Figures, Figures]:
    """Load one endpoint at a fixed rate, then saturate it with wrk; return both figures."""
    peer.settle()
    steady = fixed_rate(peer.url, peer.requests[endpoint], rate, fixed_seconds)
    peer.settle()
    saturated = run_wrk(peer.url, peer.lua[endpoint], seconds, args.threads, args.connections)
    peer.settle()
    return saturated, steady


@dataclass
class Args:
    """The command line of main()."""

    duration: float
    rate: float
    fixed_seconds: float
    threads: int
    connections: int


def main() -> None:
    """Run ours, Isso and Waline one after the other and print the issue's table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=48,
        help="seconds of wrk load in all, shared by the six endpoints",
    )
    parser.add_argument("--rate", type=float, default=200, help="fixed rate, requests/s")
    parser.add_argument(
        "--fixed-seconds", type=float, default=5, help="seconds of fixed-rate load per endpoint"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    args = Args(**vars(parser.parse_args()))  # fmt: skip
    per_run = args.duration / len(ROWS)
    started, load_before = time.monotonic(), os.getloadavg()[0]
    install_isso()
    install_waline()
    results: dict[tuple[str, str], tuple[Figures, Figures]] = {}
    kept: dict[str, tuple[int, int]] = {}  # server: (answered 2xx, counted by it)
    starts: dict[str, Callable[[Path], AbstractContextManager[Peer]]] = {
        "ours": ours,
        "isso": isso,
        "waline": waline,
    }
    with tempfile.TemporaryDirectory(prefix="reactions-peers-") as tmp_name:
        for name, start in starts.items():
            with start(Path(tmp_name) / name) as peer:
                endpoints = [e for s, e, _ in ROWS if s == name]
                for endpoint in endpoints:  # warm-up, not counted
                    run_wrk(peer.url, peer.lua[endpoint], 1, args.threads, args.connections)
                peer.settle()
                before = peer.counted()
                sent = 0
                for endpoint in endpoints:
                    results[name, endpoint] = measure(
                        peer, endpoint, per_run, args.rate, args.fixed_seconds, args
                    )
                    if endpoint in ("like", "click"):
                        sent += sum(f.requests - f.non2xx for f in results[name, endpoint])
                if sent:
                    kept[name] = (sent, peer.counted() - before)

    cpus = os.cpu_count() or 1
    print(
        f"peers benchmark: {cpus} CPUs; load average (1 min) before {load_before:.2f}, "
        f"after {os.getloadavg()[0]:.2f} (other work on the machine skews every figure)"
    )
    print(
        f"saturation: wrk -t{args.threads} -c{args.connections}, {per_run:.0f}s each; "
        f"fixed rate: {args.rate:.0f} req/s for {args.fixed_seconds:.0f}s each (Python, "
        "open loop); ours with gunicorn.conf.py and limits on, Isso with gunicorn sync "
        f"x {WORKERS}, Waline with node vanilla.js; all share the machine with wrk"
    )
    print()
    print(
        f"  {'endpoint':<40} {'req/s':>8} {'/core':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'non-2xx':>7}   {'@' + str(int(args.rate)) + '/s p50':>11} {'p99':>7}"
    )
    for name, endpoint, label in ROWS:
        sat, steady = results[name, endpoint]
        bad = sat.non2xx + sat.errors
        print(f"  {label:<40} {sat.rps:8.0f} {sat.rps / cpus:7.0f} {sat.p50_ms:7.2f} "
              f"{sat.p99_ms:7.2f} {bad:7d}   {steady.p50_ms:11.2f} {steady.p99_ms:7.2f}"
              + (f"  ({steady.non2xx + steady.errors} not 2xx)" if steady.non2xx + steady.errors
                 else "")
              + (f"  (fell behind: {steady.rps:.0f} req/s)" if steady.rps < 0.95 * args.rate
                 else ""))  # fmt: skip
    print()
    print("ratios of requests/s (same run):")
    for label, top, bottom, target in RATIOS:
        value = results[top][0].rps / results[bottom][0].rps
        print(f"  {label:<48} {value:6.2f}   target >= {target}: "
              f"{'met' if value >= target else 'MISSED'}")  # fmt: skip
    for name, (sent, counted) in kept.items():
        print(
            f"  {name}: {counted} likes/clicks in its database, {sent} answered 2xx as wrk and "
            f"the fixed rate count them (wrk leaves out up to {args.connections} in flight "
            "at its end, which the server still answers)"
        )
    print(f"took {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
