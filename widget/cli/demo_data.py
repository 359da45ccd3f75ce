"""Realistic demo reactions for a site, written through the same store code as readers'.

Each article is published on some day of the range, draws most of its reactions in its
first days, and has its own popularity and mood. A few readers later switch or withdraw
their reaction, so the history has the same ups and downs as real traffic. The seed makes
every run the same: running it twice changes nothing (each reader already holds the
reaction it would set).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import click
from flask.cli import with_appcontext

from ..context import get_sites, get_store
from ..local.demo import ARTICLES as DEMO_PAGES
from ..sites import Site, SiteError
from ..store import Store
from .progress import Progress, progress

DAY = 86_400
DEMO_IDS = frozenset(article for article, _ in DEMO_PAGES)
SUBJECTS = (
    "Night trains",
    "City bikes",
    "Heat pumps",
    "Sourdough",
    "Remote work",
    "E-readers",
    "Tiny houses",
    "Electric ferries",
    "Urban beekeeping",
    "Vinyl records",
    "Smart glasses",
    "Board games",
    "Cold showers",
    "Public libraries",
    "Balcony solar",
    "Running shoes",
    "Open-source phones",
    "Fermented tea",
    "Rooftop gardens",
    "Film cameras",
)
ANGLES = (
    "are back, and this time it is different",
    "explained in five charts",
    "are cheaper than you think",
    "we tried it for a month",
    "what the critics get wrong",
    "a beginner's guide",
    "and the people who love them",
    "the numbers behind the hype",
    "is it worth it in 2026?",
    "ranked, from worst to best",
    "a field report",
)


@dataclass(frozen=True)
class DemoResult:
    """What a demo-data run wrote."""

    articles: int
    reactions: int
    seconds: float


def _articles(rng: random.Random, count: int) -> list[tuple[str, str]]:
    pages = list(DEMO_PAGES[:count])
    while len(pages) < count:
        title = f"{rng.choice(SUBJECTS)}: {rng.choice(ANGLES)}"
        slug = "-".join(title.lower().replace(":", "").replace("?", "").split()[:6])
        pages.append((f"/{2026 - len(pages) % 2}/{slug}-{len(pages)}", title))
    return pages


def generate(
    store: Store,
    site: Site,
    *,
    articles: int = 60,
    days: int = 120,
    readers: int = 1500,
    seed: int = 7,
    base_url: str = "https://news.example.com",
    urls: Mapping[str, str] | None = None,
    now: float | None = None,
    bar: Callable[[int], AbstractContextManager[Progress | None]] = lambda _n: nullcontext(),
) -> DemoResult:
    """Write demo reactions for a site, one ``Store.set_reaction`` call per reaction.

    An article's URL is ``urls[article]`` if given (the run command points the demo
    pages' articles at its own /demo pages), else ``base_url`` and the article's path.
    """
    started = time.monotonic()
    rng = random.Random(seed)
    end = time.time() if now is None else now
    keys = site.reaction_keys
    pages = _articles(rng, articles)
    events: list[tuple[float, str, str, str | None]] = []
    for article, _title in pages:
        # The demo pages' own articles are recent, so the last 30 days have them to show.
        recent = min(days, 30) if article in DEMO_IDS else days
        published = end - rng.uniform(0.5, recent) * DAY
        audience = min(readers, max(3, int(rng.paretovariate(1.3) * 24)))
        mood = [rng.gammavariate(a, 1) for a in (3.0, 4.0, 1.5, 1.2, 0.8)[: len(keys)]]
        mood += [rng.gammavariate(1.0, 1) for _ in keys[len(mood) :]]
        for reader_index in rng.sample(range(readers), audience):
            reader = f"demo-reader-{reader_index:06d}"
            # Most reactions come in the first days after publication, a long tail after.
            at = min(published + rng.expovariate(1 / (1.5 * DAY)), end - 1)
            first: str | None = rng.choices(keys, weights=mood)[0]
            events.append((at, article, reader, first))
            if rng.random() < 0.06:  # a change of heart, later
                later = min(at + rng.expovariate(1 / (3 * DAY)), end - 1)
                switched = None if rng.random() < 0.3 else rng.choices(keys, weights=mood)[0]
                events.append((later, article, reader, switched))
    titles = dict(pages)
    events.sort(key=lambda e: e[0])
    with bar(len(events)) as shown:
        for at, article, reader, reaction in events:
            url = (urls or {}).get(article) or base_url + (
                article if article.startswith("/") else f"/{article}"
            )
            store.set_reaction(
                site.id, article, reader, reaction, keys, title=titles[article], url=url, now=at
            )
            if shown is not None:
                shown.update(1)
    return DemoResult(len(titles), len(events), time.monotonic() - started)


@click.command("demo-data")
@click.option("--site", "site_id", default="demo", show_default=True, help="The site to fill.")
@click.option("--articles", default=60, show_default=True, type=click.IntRange(1, 5000))
@click.option("--days", default=120, show_default=True, type=click.IntRange(1, 365))
@click.option("--readers", default=1500, show_default=True, type=click.IntRange(10, 1_000_000))
@click.option("--seed", default=7, show_default=True, help="Same seed, same reactions.")
@with_appcontext
def demo_data_command(site_id: str, articles: int, days: int, readers: int, seed: int) -> None:
    """Fill a site with realistic reactions over the past months (creating it if needed)."""
    sites = get_sites()
    site = sites.get(site_id)
    if site is None:
        try:
            site, api_key = sites.create(site_id, site_id.title(), [])
        except SiteError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"created site {site.id!r}; API key (shown once, keep it safe): {api_key}")
    result = generate(
        get_store(),
        site,
        articles=articles,
        days=days,
        readers=readers,
        seed=seed,
        bar=lambda n: progress(f"demo-data {site.id}", n),
    )
    click.echo(
        f"wrote {result.reactions} reactions to {result.articles} articles of {site.id!r} "
        f"over {days} days in {result.seconds:.1f}s"
    )
