"""Fuzzers: schemathesis against the service's own OpenAPI document, and a Hypothesis
state machine for the store's invariants, both on a real Redis.

Both are derandomized and bounded (a fixed number of examples), keep no example database
(no ``.hypothesis`` folder), and so run the same way every time.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.helpers import KEYS, app_config
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.ops import health
from widget.store import Store, connect, day_of

# Thousands of generated requests: seconds each, so out of the fast run.
pytestmark = pytest.mark.slow

SITE = "demo"

# Hypothesis caches what it learns (constants, unicode tables) in ./.hypothesis even with
# no example database: keep that out of the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "reactions-hypothesis")

# -- schemathesis: every endpoint of the OpenAPI document ---------------------------------


@pytest.fixture
def fuzzed(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[tuple[Any, str]]:
    """Return the app (rate limits off) with a site, and the site's API key."""
    app = create_app(app_config(redis_server))
    with app.app_context():
        _, api_key = get_sites().create(SITE, "Demo", [])
    # A few reactions, so the publisher endpoints list real articles.
    store: Store = app.extensions["reactions.store"]
    for i, reaction in enumerate(KEYS):
        store.set_reaction(SITE, f"article-{i}", f"reader-{i:012d}", reaction, KEYS, title="T")
    yield app, api_key
    store.client.close()


def operations() -> list[tuple[str, str]]:
    """Return (method, path) of every operation of the OpenAPI document."""
    methods = {"get", "post", "put", "patch", "delete", "options", "head"}
    paths = health.openapi_document()["paths"]
    return [(m.upper(), p) for p, item in paths.items() for m in item if m in methods]


@pytest.mark.parametrize(("method", "path"), operations())
def test_every_endpoint_answers_within_its_schema(
    fuzzed: tuple[Any, str], method: str, path: str
) -> None:
    app, api_key = fuzzed
    # The document as the app serves it, driven over WSGI (no socket, same code paths).
    # (schemathesis' pytest plugin, from_fixture, does not work with pytest 9 yet.)
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_within_schema(case: Any) -> None:
        if "site" in (case.path_parameters or {}):
            # A random site id is a 404; the site that exists reaches the code behind it.
            case.path_parameters["site"] = SITE
        case.call_and_validate(
            headers={"Authorization": f"Bearer {api_key}"},
            # The document cannot say every rule of an article id (at most 512 *bytes* of
            # UTF-8), so a schema-valid id may rightly get 400: that check is left out.
            excluded_checks=[positive_data_acceptance],
        )

    answers_within_schema()


# -- the store's invariants ---------------------------------------------------------------

ARTICLES = ("a1", "a2", "{a3}")
READERS = tuple(f"reader-{i:012d}" for i in range(4))
DAY = 86400
START = 1_795_000_000.0


class StoreMachine(RuleBasedStateMachine):
    """React, switch, withdraw, repeat and reset on a real store, against a model."""

    url: str = ""

    def __init__(self) -> None:
        super().__init__()
        client = connect(self.url)
        client.flushall()
        self.store = Store(client)
        self.model: dict[str, dict[str, str]] = {a: {} for a in ARTICLES}
        self.now = START
        self.days = {day_of(START)}
        # Articles the publisher's list shows: reacted to since their last reset.
        self.listed: set[str] = set()

    def teardown(self) -> None:
        self.store.client.close()

    @rule(
        article=st.sampled_from(ARTICLES),
        reader=st.sampled_from(READERS),
        reaction=st.sampled_from((*KEYS, None)),
    )
    def react(self, article: str, reader: str, reaction: str | None) -> None:
        """Set, switch, repeat or (None) withdraw a reaction."""
        tally = self.store.set_reaction(SITE, article, reader, reaction, KEYS, now=self.now)
        if reaction is None:
            self.model[article].pop(reader, None)
        else:
            self.model[article][reader] = reaction
            self.listed.add(article)
        assert tally.counts == self.expected(article)
        assert tally.mine == reaction

    @rule(article=st.sampled_from(ARTICLES))
    def reset(self, article: str) -> None:
        """Reset an article as its publisher would."""
        existed = self.store.articles.reset(SITE, article, KEYS)
        assert existed or article not in self.listed
        self.model[article] = {}
        self.listed.discard(article)

    @rule(hours=st.integers(1, 30))
    def time_passes(self, hours: int) -> None:
        """Move the clock, so that history spreads over several days."""
        self.now += hours * 3600
        self.days.add(day_of(self.now))

    def expected(self, article: str) -> dict[str, int]:
        counted = Counter(self.model[article].values())
        return {key: counted[key] for key in KEYS}

    @invariant()
    def counts_equal_the_model(self) -> None:
        tallies = self.store.get_tallies(SITE, ARTICLES, KEYS, READERS[0])
        for article, tally in tallies.items():
            assert tally.counts == self.expected(article), article
            assert min(tally.counts.values()) >= 0
            assert tally.mine == self.model[article].get(READERS[0])

    @invariant()
    def history_sums_to_counts(self) -> None:
        days = sorted(self.days)
        for article in ARTICLES:
            history = self.store.articles.days(SITE, article, days, KEYS)
            summed = {k: sum(day[k] for day in history.values()) for k in KEYS}
            assert summed == self.expected(article), article

    @invariant()
    def site_totals_are_the_sum_over_articles(self) -> None:
        total = Counter[str]()
        for article in ARTICLES:
            total.update(self.expected(article))
        assert self.store.indexes.counts(SITE, KEYS) == {k: total[k] for k in KEYS}
        assert self.store.indexes.article_count(SITE) == len(self.listed)


def test_store_invariants_hold_under_any_sequence(redis_server: RedisServer) -> None:
    StoreMachine.url = redis_server.url
    runner = StoreMachine.TestCase()
    runner.settings = settings(
        max_examples=40,
        stateful_step_count=30,
        derandomize=True,
        database=None,
        deadline=None,
    )
    runner.runTest()
