"""Articles: a new one's admission, their records and history, the publisher's edits, a reset.

A reader's write creates an article only after ``admit`` (the site's slot) said yes, so
the article path of an existing article stays one script and one index update.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from . import keys
from .client import Client, register_script
from .indexes import SiteIndexes, read_days
from .reactions import CAP_TTL_SECONDS

# The codes that admit_article.lua answers and counts in the site's refused hash (the
# signature's two are decided before the call, and counted by it all the same).
REFUSALS = ("article_limit", "new_article_budget", "signature_required", "invalid_signature")


class ArticleRefused(Exception):
    """The site refused a new article; ``code`` says why (one of REFUSALS)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Admission:
    """What a new article needs from its site; ``refusal`` (decided before) refuses it."""

    most: int  # the site's ceiling of articles (0: none)
    budget: int  # new articles one address may start a day (0: none)
    address: str | None  # the address hash the budget counts
    refusal: str = ""  # "signature_required" or "invalid_signature", or "" (checked, fine)
    network: str | None = None  # an IPv6 client's /48 hash, with a budget of its own
    network_budget: int = 0  # new articles that /48 may start a day (0: none)

    def budgets(self) -> tuple[str, str]:
        """Return admit_article.lua's budgets and the hashes they count, space-separated."""
        pairs = [(self.address, self.budget), (self.network, self.network_budget)]
        kept = [(h, b) for h, b in pairs if h and b > 0]
        return " ".join(str(b) for _, b in kept), " ".join(str(h) for h, _ in kept)


@dataclass(frozen=True)
class ArticleRecord:
    """One article with its metadata and counts, as the publisher side lists it."""

    article: str
    title: str | None
    url: str | None
    counts: dict[str, int]
    first_reaction_at: str | None
    last_reaction_at: str | None
    closed: bool = False

    @property
    def total(self) -> int:
        """Return the sum of the counts."""
        return sum(self.counts.values())


class Articles:
    """A site's articles one by one: admitted, read, edited by the publisher, reset."""

    def __init__(self, client: Client, indexes: SiteIndexes) -> None:
        self.client = client
        self.indexes = indexes
        self.admit_script = register_script(client, "admit_article.lua")
        self.meta_script = register_script(client, "article_meta.lua")
        self.reset_script = register_script(client, "reset_article.lua")

    def admit(self, site: str, day: str, admission: Admission) -> None:
        """Let one new article in, or raise ArticleRefused (counted for the site's dashboard).

        ``admission.most`` is the site's ceiling of articles, and its budgets the new
        articles its hashes may start a day; an admission spends one of each budget.
        """
        if admission.refusal:  # decided before (the signature); counted like the others
            self.client.hincrby(keys.site_key(site, "refused"), f"{day}:{admission.refusal}", 1)
            raise ArticleRefused(admission.refusal)
        budgets, hashes = admission.budgets()
        refusal = self.admit_script(
            keys=[
                keys.index_key(site, "total"),
                keys.new_articles_key(site, day),
                keys.site_key(site, "refused"),
            ],
            args=[admission.most, budgets, hashes, day, CAP_TTL_SECONDS],
        )
        if refusal:
            raise ArticleRefused(str(refusal))

    def refused(self, site: str, days: Sequence[str]) -> dict[str, int]:
        """Return how many new articles each refusal (REFUSALS) turned away over the days."""
        fields = [f"{day}:{code}" for code in REFUSALS for day in days]
        values = iter(self.client.hmget(keys.site_key(site, "refused"), fields) if days else [])
        return {code: sum(int(next(values) or 0) for _ in days) for code in REFUSALS}

    def update(self, site: str, article: str, fields: dict[str, str | None]) -> bool:
        """Change an existing article's fields (None removes one); False if it has no counts.

        A new ``title`` moves the article in the site's title index too.
        """
        ah = keys.article_hash(article)
        args: list[str] = []
        for name, value in fields.items():
            args += [name, value or ""]
        if not self.meta_script(keys=[keys.article_key(site, ah)], args=args):
            return False
        if "title" in fields:
            self.indexes.set_title(site, ah, keys.title_member(fields["title"] or article, ah))
        return True

    def reset(self, site: str, article: str, reaction_keys: Sequence[str]) -> bool:
        """Remove an article's counts, readers and history; return whether it existed."""
        ah = keys.article_hash(article)
        article_keys = keys.article_keys(site, ah)
        result = self.reset_script(keys=article_keys, args=list(reaction_keys))
        existed = bool(int(result[0]))
        counts = dict(zip(reaction_keys, (int(c) for c in result[1:]), strict=True))
        now = time.time()
        self.indexes.remove_article(site, ah, counts, keys.day_of(now), reaction_keys)
        self.indexes.top.remove(site, article, reaction_keys, now)
        return existed

    def days(
        self, site: str, article: str, days: Sequence[str], reaction_keys: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Return an article's net change of each reaction on each day (yyyymmdd)."""
        _, _, history_key = keys.article_keys(site, keys.article_hash(article))
        return read_days(self.client, history_key, days, reaction_keys)

    def records(
        self, site: str, hashes: Sequence[str], reaction_keys: Sequence[str]
    ) -> list[ArticleRecord]:
        """Return the metadata and counts of articles named by their hashes, in one trip."""
        fields = ["id", "title", "url", "first", "last", "closed"]
        fields += [f"c:{k}" for k in reaction_keys]
        pipe = self.client.pipeline(transaction=False)
        for ah in hashes:
            pipe.hmget(keys.article_key(site, ah), fields)
        records = []
        for values in pipe.execute():
            if values[0] is None:  # reset between the index read and this one
                continue
            counts = {k: int(v or 0) for k, v in zip(reaction_keys, values[6:], strict=True)}
            records.append(
                ArticleRecord(
                    article=values[0],
                    title=values[1],
                    url=values[2],
                    counts=counts,
                    first_reaction_at=values[3],
                    last_reaction_at=values[4],
                    closed=values[5] == "1",
                )
            )
        return records

    def record(self, site: str, article: str, reaction_keys: Sequence[str]) -> ArticleRecord | None:
        """Return one article's metadata and counts, or None if nobody reacted to it."""
        records = self.records(site, [keys.article_hash(article)], reaction_keys)
        return records[0] if records else None
