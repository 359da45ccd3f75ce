"""Demo pages: an article with the widget under it, and a list of articles with many."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("demo", __name__, url_prefix="/demo", template_folder="templates")

DEMO_SITE = "demo"

ARTICLES = [
    ("sony-flip-flops", "Sony flip-flops on smartphone strategy"),
    ("rain-in-july", "The wettest July on record, in five charts"),
    ("city-bikes", "City bikes are back, and this time they have gears"),
    ("coffee-prices", "Why your coffee costs more this winter"),
    ("night-trains", "Night trains return to the Alps"),
    ("robot-chefs", "We let a robot cook dinner for a week"),
]


@bp.get("")
@bp.get("/")
def article() -> str:
    """Show the demo article with the widget under it."""
    return render_template("demo/article.html", site=DEMO_SITE)


@bp.get("/list")
def article_list() -> str:
    """Show several articles, each with a widget: they share one counts request."""
    return render_template("demo/list.html", site=DEMO_SITE, articles=ARTICLES)
