"""Production settings for gunicorn: ``gunicorn -c gunicorn.conf.py 'widget:create_app()'``.

Every value can be overridden by the environment variable named beside it.
"""

import multiprocessing
import os

# Where to listen. Behind a reverse proxy or in a container, 0.0.0.0:8000.
bind = os.environ.get("BIND", "127.0.0.1:8000")

# Threads wait on Redis, not on the CPU: a few workers with a few threads each.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A request that takes this long is stuck: the worker is replaced. Redis calls time out
# after REDIS_SOCKET_TIMEOUT, far below this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then, at different times, so a slow leak cannot grow forever.
max_requests = 5000
max_requests_jitter = 500

# gunicorn's largest request line: room for 100 article ids in one counts GET.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# The access log leaves out the client address and the query string (which can hold a
# reader token): method, path, status, bytes, seconds, request id.
accesslog = os.environ.get("ACCESS_LOG", "-") or None
access_log_format = "%(m)s %(U)s %(s)s %(B)s %(L)ss id=%({x-request-id}o)s"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
proc_name = "reactions"


def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse to serve in production without a SECRET_KEY."""
    if not os.environ.get("SECRET_KEY"):
        raise SystemExit(
            "SECRET_KEY is not set: set it to a long random value (python3 -c "
            "'import secrets; print(secrets.token_hex(32))') and keep it the same across "
            "restarts"
        )
