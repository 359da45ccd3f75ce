"""Production settings for gunicorn: ``gunicorn -c gunicorn.conf.py 'widget:create_app()'``.

Every value can be overridden by the environment variable named beside it.
"""

import errno
import json
import multiprocessing
import os
import shutil
import socket
import tempfile
from pathlib import Path

from gunicorn import util

# Metrics of every worker, summed by /metrics: prometheus_client reads this variable when
# it is first imported (in each worker, after this file ran), so it is set here. A folder
# of its own by default; one given by the environment is emptied at start (on_starting).
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="reactions-metrics-")

# Where to listen. Behind a reverse proxy or in a container, 0.0.0.0:8000.
bind = os.environ.get("BIND", "127.0.0.1:8000")

# Threads wait on Redis, not on the CPU: a few workers with a few threads each. Chosen by
# measurement (scripts/bench_workers; docs/benchmark.md, "The worker model"): gthread x 4
# served the most counts GETs and POSTs on 2 cores, and held out best under slow clients.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Each worker listens on a socket of its own (SO_REUSEPORT), and the kernel spreads new
# connections over them. On one shared socket a gthread worker accepts every connection it
# can and keeps it for its keep-alive life, so one worker often held all of a client's
# keep-alive connections while the others sat idle (docs/benchmark.md, "Spreading
# connections over the workers"). One worker has nothing to spread, and its socket would be
# gone while it is replaced: it keeps the master's. on_starting() keeps the "address in
# use" check of a shared socket, and says when the kernel resets the connections waiting
# on a stopping worker's socket (net.ipv4.tcp_migrate_req).
reuse_port = workers > 1 and os.environ.get("GUNICORN_REUSE_PORT", "1") != "0"

# A request that takes this long is stuck: the worker is replaced. Redis calls time out
# after REDIS_SOCKET_TIMEOUT, far below this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then, at different times, so a slow leak cannot grow forever.
# Far apart (jitter of half the count): with a socket per worker, a moment when every
# worker is being replaced at once is a moment when new connections are refused.
# Not too often: a new worker imports and builds the app (about 0.2 s of CPU) and starts
# with cold connections and caches. At 5,000, a worker at full load was replaced every
# few seconds, and the service served 13% fewer POSTs and 20% fewer counts GETs a second
# than at 50,000 (docs/benchmark.md, "Recycling workers").
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 2

# gunicorn's largest request line: room for 100 article ids in one counts GET.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190


# A request that gunicorn refuses itself, before the app sees it (a request line or a header
# over the limits above: 414, 431; a malformed request: 400), gets the service's JSON error
# instead of gunicorn's HTML page. The limits stay gunicorn's: its request line cannot be
# raised past 8190 bytes but to "unlimited" (then 1 MB), which would let a client make a
# worker hold a megabyte per connection to be answered by the app instead. gunicorn has no
# setting for its error page: every worker writes it through util.write_error, replaced here
# before the workers fork (tests/test_gunicorn_errors.py holds it to the real gunicorn).
GUNICORN_ERROR_CODES = {403: "forbidden", 500: "internal_error"}


def write_json_error(sock, status_int, reason, mesg):  # type: ignore[no-untyped-def]
    """Write gunicorn's own error answer as the service's JSON error."""
    code = GUNICORN_ERROR_CODES.get(status_int, "bad_request")
    message = f"{reason}: {mesg[:200]}" if mesg else reason
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nCache-Control: no-store\r\n"
        f"X-Content-Type-Options: nosniff\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


util.write_error = write_json_error

# The access log leaves out the client address and the query string (which can hold a
# reader token): method, path, status, bytes, seconds, request id.
# The app writes its own line per request (widget/ops/logs.py, LOG_FORMAT text or json), so
# gunicorn's access log is off unless ACCESS_LOG names a file (or "-").
accesslog = os.environ.get("ACCESS_LOG") or None
access_log_format = "%(m)s %(U)s %(s)s %(B)s %(L)ss id=%({x-request-id}o)s"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
proc_name = "reactions"
# No control socket (gunicorn 25.1+): it sits at one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl) that every gunicorn of that user takes over and removes on exit,
# and its thread is stopped and restarted around each worker fork. Older gunicorns ignore it.
control_socket_disable = True


def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse to serve in production without a SECRET_KEY."""
    if not os.environ.get("SECRET_KEY"):
        raise SystemExit(
            "SECRET_KEY is not set: set it to a long random value (python3 -c "
            "'import secrets; print(secrets.token_hex(32))') and keep it the same across "
            "restarts"
        )
    if reuse_port:
        _refuse_a_taken_address(server)
        _say_if_stopping_workers_drop_connections(server)
    # Counters of a previous run would be added to this one's.
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):  # only prometheus_client's files
        stale.unlink()


def when_ready(server):  # type: ignore[no-untyped-def]
    """Say where the workers listen: gunicorn's own line names only the master's sockets."""
    if reuse_port:
        where = (b if b.startswith(("unix:", "fd://")) else f"http://{b}" for b in server.cfg.bind)
        server.log.info(
            "Workers listen at %s, each on a socket of its own (reuse_port)", ", ".join(where)
        )


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """Drop a dead worker's live gauges; its counters stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # type: ignore[no-untyped-def]
    """Remove the metrics folder made for this run."""
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def _refuse_a_taken_address(server):  # type: ignore[no-untyped-def]
    """Exit when another process listens on a bind address, as a shared socket would.

    Sockets with SO_REUSEPORT share a port with any other such socket of the same user, so
    a second service started on a taken port would silently take half of its connections.
    A socket without the option cannot bind there, which is the check.
    """
    for address in server.cfg.address:
        if not isinstance(address, tuple):  # a unix socket or a file descriptor
            continue
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address[:2])
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                raise SystemExit(
                    f"{address[0]}:{address[1]} is in use by another process: stop it, or "
                    "set BIND to another address"
                ) from None


def _say_if_stopping_workers_drop_connections(server):  # type: ignore[no-untyped-def]
    """Warn when the kernel resets the connections queued on a stopping worker's socket."""
    try:
        migrate = Path("/proc/sys/net/ipv4/tcp_migrate_req").read_text().strip()
    except OSError:  # not Linux, or a kernel older than 5.14
        return
    if migrate == "0" and max_requests:
        server.log.warning(
            "net.ipv4.tcp_migrate_req is 0: a connection still waiting to be accepted when "
            "its worker stops (every GUNICORN_MAX_REQUESTS requests, or a restart) is reset. "
            "sysctl -w net.ipv4.tcp_migrate_req=1 hands it to another worker "
            '(docs/docker.md, "Workers and connections")'
        )
