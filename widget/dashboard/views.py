"""The dashboard's pages: sign-in, overview, article table, article page, export, reset."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import config
from ..context import get_store
from ..errors import ApiError
from ..limits import address_cap, configured, limiter
from ..privacy import NETWORK_SHARE
from ..publisher.api import export_response
from ..publisher.audit import record_reset
from ..publisher.roles import Role, declared_role, needs
from ..publisher.tallies import (
    DEFAULT_DAYS,
    MAX_DAYS,
    CursorError,
    history,
    list_articles,
    sorts,
    summary,
)
from ..reader.visibility import article_closed
from ..sites import Site
from ..store import ArticleRecord
from ..validation import MAX_QUERY_CHARS, check_article
from . import charts
from .blueprint import bp
from .session import csrf_checked, csrf_token, dashboard_role, sign_in, sign_out, signed_in_site

PAGE_SIZE = 25
DAY_CHOICES = (DEFAULT_DAYS, 90, MAX_DAYS)
F = TypeVar("F", bound=Callable[..., Any])


def http_url(url: str | None) -> str | None:
    """Return the URL if it is http(s) (safe to link to), else None."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in {"http", "https"} else None


@bp.context_processor
def template_helpers() -> dict[str, Any]:
    """Give every dashboard template its helpers and the signed-in site."""
    return {
        "csrf_token": csrf_token,
        "http_url": http_url,
        "charts": charts,
        "site": g.get("site"),
        # What the signed-in key's role offers: a viewer sees no form that changes anything.
        "role": dashboard_role(),
        "can_edit": dashboard_role() >= Role.EDITOR,
        "is_admin": dashboard_role() >= Role.ADMIN,
    }


def signed_in(view: F) -> F:
    """Send a visitor without a valid session to the sign-in form, and refuse (403, nothing
    changed) a key whose role is less than the role the page declared with ``@needs``."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        site = signed_in_site()
        if site is None:
            return redirect(url_for("dashboard.index"))
        g.site = site
        needed = declared_role(current_app.view_functions.get(request.endpoint or ""))
        if needed is None or dashboard_role() < needed:  # fail closed, as the API does
            label = needed.label if needed else "none: this page declares no role"
            return render_template("dashboard/forbidden.html", needed=label), 403
        return view(*args, **kwargs)

    return cast(F, wrapper)


def _days_param() -> int:
    raw = request.args.get("days")
    return int(raw) if raw in {str(d) for d in DAY_CHOICES} else DEFAULT_DAYS


def _article_param() -> str | None:
    article = request.args.get("article") or request.form.get("article")
    try:
        return check_article(article)
    except ApiError:  # no article can have that id: the page says there is no such page
        return None


def requested_record() -> ArticleRecord | tuple[str, int]:
    """Return the signed-in site's article that the request names, else the 404 page."""
    site: Site = g.site
    article_id = _article_param()
    if article_id:
        article_id = get_store().moves.resolve(site.id, article_id) or article_id  # an alias
        record = get_store().articles.record(site.id, article_id, site.reaction_keys)
        if record is not None:
            return record
    return render_template("dashboard/missing.html", article_id=article_id), 404


@bp.get("/")
@needs(Role.VIEWER)
def index() -> str | Response:
    """Show the overview when signed in, else the sign-in form."""
    site = signed_in_site()
    if site is None:
        return render_template("dashboard/signin.html")
    g.site = site
    days = _days_param()
    data = summary(get_store(), site, days)
    return render_template(
        "dashboard/overview.html",
        data=data,
        days=days,
        day_choices=DAY_CHOICES,
        cap=address_cap(),
        network_share=NETWORK_SHARE,
        limits=article_limits(),
    )


def article_limits() -> dict[str, int]:
    """Return the bounds on new articles, by refusal code, as post_reaction applies them."""
    conf = current_app.config
    return {
        "article_limit": int(conf[config.MAX_ARTICLES_PER_SITE]),
        "new_article_budget": (
            int(conf[config.NEW_ARTICLES_PER_ADDRESS_PER_DAY])
            if conf[config.RATELIMIT_ENABLED]
            else 0
        ),
    }


@bp.post("/sign-in")
# Keys are 256 random bits, so this is not about guessing: each attempt costs a site
# lookup, and a flood of them should cost the flooder, not Redis.
@limiter.limit(configured(config.RATELIMIT_SIGNIN), methods=["POST"])
@csrf_checked("The form had expired. Please sign in again.", "dashboard.index")
def do_sign_in() -> Any:
    """Sign in with a site id and its API key."""
    site_id = request.form.get("site", "")
    if sign_in(site_id, request.form.get("key", "")) is None:
        flash("That site id and API key do not match.", "error")
        return render_template("dashboard/signin.html", site_id=site_id), 401
    return redirect(url_for("dashboard.index"))


@bp.post("/sign-out")
@csrf_checked(None, "dashboard.index")
def do_sign_out() -> ResponseReturnValue:
    """Sign out (the form's CSRF token stops other sites signing a user out)."""
    sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("dashboard.index"))


@bp.get("/articles")
@needs(Role.VIEWER)
@signed_in
def articles() -> str:
    """List the site's articles, sorted by an index, searched, a page at a time."""
    site: Site = g.site
    sort = request.args.get("sort", "total")
    if sort not in sorts(site):
        sort = "total"
    q = (request.args.get("q") or "").strip()[:MAX_QUERY_CHARS]
    cursor = request.args.get("cursor") or None
    try:
        page = list_articles(get_store(), site, sort, PAGE_SIZE, cursor, q or None)
    except CursorError:
        flash("That page link was out of date, so this is the first page.", "info")
        page = list_articles(get_store(), site, sort, PAGE_SIZE, None, q or None)
        cursor = None
    return render_template(
        "dashboard/articles.html", page=page, sort=sort, q=q, first_page=cursor is None
    )


@bp.get("/article")
@needs(Role.VIEWER)
@signed_in
def article() -> tuple[str, int]:
    """Show one article: its counts and a chart of its history."""
    record = requested_record()
    if not isinstance(record, ArticleRecord):
        return record
    return article_page(record)


def article_page(
    record: ArticleRecord,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    move: dict[str, str] | None = None,
) -> tuple[str, int]:
    """Return the article page, its edit form holding the values typed (else the record's)."""
    days = _days_param()
    return (
        render_template(
            "dashboard/article.html",
            record=record,
            values=values or {"title": record.title or "", "url": record.url or ""},
            errors=errors or {},
            closed=article_closed(get_store(), g.site, record.article),
            days=days,
            day_choices=DAY_CHOICES,
            history=history(get_store(), g.site, record.article, days),
            move=move or {},
            aliases=get_store().moves.aliases(g.site.id, record.article),
        ),
        status,
    )


@bp.get("/export.<fmt>")
@needs(Role.VIEWER)
@signed_in
def export(fmt: str) -> Response | tuple[str, int]:
    """Download every article as CSV or JSON, streamed."""
    if fmt not in {"csv", "json"}:
        return render_template("dashboard/missing.html", article_id=None), 404
    return export_response(g.site, fmt)


@bp.get("/reset")
@needs(Role.EDITOR)
@signed_in
def confirm_reset() -> tuple[str, int] | str:
    """Ask before resetting an article."""
    record = requested_record()
    if not isinstance(record, ArticleRecord):
        return record
    return render_template("dashboard/reset.html", record=record)


@bp.post("/reset")
@needs(Role.EDITOR)
@signed_in
@csrf_checked("The form had expired, so nothing was reset. Please try again.", "dashboard.articles")
def do_reset() -> ResponseReturnValue:
    """Reset an article: its counts, readers and history are gone."""
    site: Site = g.site
    article_id = _article_param()
    store = get_store()
    was = store.articles.record(site.id, article_id, site.reaction_keys) if article_id else None
    if article_id and store.articles.reset(site.id, article_id, site.reaction_keys):
        if was is not None:
            record_reset(site.id, was)
        flash(f"Reset “{article_id}”: its reactions and history are gone.", "info")
    else:
        flash("There was nothing to reset.", "info")
    return redirect(url_for("dashboard.articles"))
