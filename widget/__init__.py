"""A self-hosted "What's your reaction?" widget: the Flask application factory."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, config, dashboard, errors, limits, publisher, webhooks
from .context import RANDOM_SECRET_KEY, SITES, STORE
from .dashboard.session import DashboardSessionInterface
from .local import demo
from .ops import health, logs, metrics
from .reader import api as reader_api
from .reader import i18n
from .reader import top as reader_top
from .reader.limits import is_folded
from .sites import SiteRegistry
from .store import Store, connect

log = logging.getLogger(__name__)

# Reader answers are small; the reader API narrows this to 4 KiB for its POST body.
MAX_CONTENT_LENGTH = 64 * 1024


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the service: defaults, then the environment, then a test override."""
    app = Flask(__name__, static_folder=str(config.static_dir()), static_url_path="/static")
    app.config.update(config.from_environ())
    if test_config:
        app.config.update(test_config)
    if not app.config[config.SECRET_KEY]:
        app.config[config.SECRET_KEY] = secrets.token_hex(32)
        app.extensions[RANDOM_SECRET_KEY] = True
        log.warning("SECRET_KEY is not set: using a random one for this process only")
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 300
    app.json.sort_keys = False  # type: ignore[attr-defined]  # reactions keep their order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    hops = app.config[config.TRUSTED_PROXIES]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)  # type: ignore[method-assign]

    client = connect(
        app.config[config.REDIS_URL],
        cluster=app.config[config.REDIS_CLUSTER],
        socket_timeout=app.config[config.REDIS_SOCKET_TIMEOUT],
    )
    store = Store(client)
    app.extensions[STORE] = store
    app.extensions[SITES] = SiteRegistry(store, cache_seconds=app.config[config.SITE_CACHE_SECONDS])

    errors.register(app)
    logs.init_app(app)
    metrics.init_app(app)
    limits.init_app(app, skip=is_folded)

    i18n.init_app(app)

    app.register_blueprint(reader_api.bp)
    app.register_blueprint(reader_top.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(demo.bp)
    app.session_interface = DashboardSessionInterface()
    app.register_blueprint(publisher.bp)
    app.register_blueprint(dashboard.bp)
    cli.register(app)
    app.cli.add_command(webhooks.webhooks_cli)
    return app
