"""The dashboard's article page forms: change the title and URL, close or reopen voting,
move or merge the article into another.

The edit form is the publisher API's ``PATCH .../article`` in a plain form (no script):
the same checks (``validation.check_title``, ``check_url``) and the same store method
(``articles.update``), so the page and the API accept and refuse the same things. A refused
change is shown again as typed, with the error next to its field, and nothing is saved.
"""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..context import get_store
from ..errors import ApiError
from ..publisher.audit import record_article
from ..publisher.moves import forget_alias, move_article
from ..publisher.roles import Role, needs
from ..sites import Site
from ..store import ArticleRecord
from ..validation import check_article, check_title, check_url
from .blueprint import bp
from .session import csrf_checked
from .views import article_page, requested_record, signed_in

EDITABLE = {"title": "The title", "url": "The URL"}


def _message(name: str, error: ApiError) -> str:
    """Return the check's message as a sentence: "url must be..." is "The URL must be..."."""
    text = str(error.description)
    if text.startswith(f"{name} "):
        text = EDITABLE[name] + text[len(name) :]
    return text + "."


@bp.post("/article/edit")
@needs(Role.EDITOR)
@signed_in
@csrf_checked(
    "The form had expired, so nothing was saved. Please try again.", "dashboard.article", "article"
)
def edit_article() -> ResponseReturnValue:
    """Save the article's title and URL, or show the page again with the error by its field."""
    site: Site = g.site
    record = requested_record()
    if not isinstance(record, ArticleRecord):
        return record
    values = {name: request.form.get(name, "") for name in EDITABLE}
    changes: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for name, check in (("title", check_title), ("url", check_url)):
        # An emptied field removes the title or URL, as null does in the API.
        typed = values[name].strip() or None
        try:
            value = check(typed)
        except ApiError as exc:
            errors[name] = _message(name, exc)
            continue
        if value != getattr(record, name):
            changes[name] = value
    if errors:
        return article_page(record, values, errors, 400)
    if not changes:
        flash("Nothing changed.", "info")
    elif get_store().articles.update(site.id, record.article, changes):
        record_article(site.id, record, changes)
        flash("Saved the title and URL.", "info")
    else:  # reset since the page was drawn
        flash("There is no such article.", "error")
        return redirect(url_for("dashboard.articles"))
    return redirect(url_for("dashboard.article", article=record.article))


@bp.post("/article/closed")
@needs(Role.EDITOR)
@signed_in
@csrf_checked(
    "The form had expired, so nothing changed. Please try again.", "dashboard.article", "article"
)
def close_article() -> ResponseReturnValue:
    """Close (closed=1) or reopen (closed=0) voting on one article."""
    site: Site = g.site
    article = request.form.get("article", "")
    closed = request.form.get("closed") == "1"
    changes: dict[str, str | None] = {"closed": "1" if closed else "0"}
    store = get_store()
    was = store.articles.record(site.id, article, site.reaction_keys) if article else None
    if was is not None and store.articles.update(site.id, article, changes):
        record_article(site.id, was, changes)
        flash("Voting is closed." if closed else "Voting is open again.", "info")
    else:
        flash("There is no such article.", "error")
        return redirect(url_for("dashboard.articles"))
    return redirect(url_for("dashboard.article", article=article))


@bp.post("/article/move")
@needs(Role.EDITOR)
@signed_in
@csrf_checked(
    "The form had expired, so nothing moved. Please try again.", "dashboard.article", "article"
)
def move_article_form() -> ResponseReturnValue:
    """Move the article into another (merging when it has counts), as POST .../article/move;
    a refused move shows the page again with the error by the field, and nothing moves."""
    site: Site = g.site
    record = requested_record()
    if not isinstance(record, ArticleRecord):
        return record
    typed = request.form.get("to", "")
    try:
        if not typed.strip():
            raise ApiError(400, "bad_request", "Name the article to move this one to")
        moved = move_article(site, record.article, check_article(typed.strip()))
    except ApiError as exc:
        error = str(exc.description).rstrip(".") + "."
        return article_page(record, move={"to": typed, "error": error}, status=exc.code or 400)
    how = "Merged" if moved.merged else "Moved"
    flash(f"{how} {record.article!r} into this article: its old id now counts here.", "info")
    return redirect(url_for("dashboard.article", article=moved.article))


@bp.post("/article/alias/delete")
@needs(Role.EDITOR)
@signed_in
@csrf_checked(
    "The form had expired, so nothing changed. Please try again.", "dashboard.article", "article"
)
def forget_alias_form() -> ResponseReturnValue:
    """Make one of the ids moved into this article an id of its own again, as DELETE
    .../article/alias: pages that still carry it start an empty article."""
    site: Site = g.site
    record = requested_record()
    if not isinstance(record, ArticleRecord):
        return record
    alias = request.form.get("alias", "")
    try:
        forget_alias(site, check_article(alias))
    except ApiError as exc:
        flash(str(exc.description), "error")
        return redirect(url_for("dashboard.article", article=record.article))
    flash(f"{alias!r} is an id of its own again: pages that carry it start afresh.", "info")
    return redirect(url_for("dashboard.article", article=record.article))
