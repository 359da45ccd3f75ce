"""Articles as the site decides them: admitting a new one, the publisher's metadata edits.

A reader's write creates an article only after ``admit_article`` (the site's slot) said
yes, so the article path of an existing article stays one script and one index update.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import keys
from .indexes import SiteIndexes
from .reactions import CAP_TTL_SECONDS

# The codes that admit_article.lua answers and counts in the site's refused hash.
REFUSALS = ("article_limit", "new_article_budget")


class ArticleRefused(Exception):
    """The site refused a new article; ``code`` says why (one of REFUSALS)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Articles(SiteIndexes):
    """Admission of new articles, and the publisher's changes to an article."""

    def admit_article(
        self, site: str, day: str, *, most: int, budget: int, address: str | None
    ) -> None:
        """Let one new article in, or raise ArticleRefused (counted for the site's dashboard).

        ``most`` is the site's ceiling of articles and ``budget`` the new articles one
        ``address`` hash may start a day (0: none); an admission spends one of the budget.
        """
        refusal = self.admit_article_script(
            keys=[
                keys.index_key(site, "total"),
                keys.new_articles_key(site, day),
                keys.site_key(site, "refused"),
            ],
            args=[most, budget, address or "", day, CAP_TTL_SECONDS],
        )
        if refusal:
            raise ArticleRefused(str(refusal))

    def update_article(self, site: str, article: str, fields: dict[str, str | None]) -> bool:
        """Change an existing article's fields (None removes one); False if it has no counts.

        A new ``title`` moves the article in the site's title index too.
        """
        ah = keys.article_hash(article)
        args: list[str] = []
        for name, value in fields.items():
            args += [name, value or ""]
        if not self.article_meta_script(keys=[keys.article_key(site, ah)], args=args):
            return False
        if "title" in fields:
            member = keys.title_member(fields["title"] or article, ah)
            titles = [keys.site_key(site, "titles"), keys.site_key(site, "title-of")]
            self.index_title_script(keys=titles, args=[ah, member])
        return True

    def refused_articles(self, site: str, days: Sequence[str]) -> dict[str, int]:
        """Return how many new articles each refusal (REFUSALS) turned away over the days."""
        fields = [f"{day}:{code}" for code in REFUSALS for day in days]
        values = iter(self.client.hmget(keys.site_key(site, "refused"), fields) if days else [])
        return {code: sum(int(next(values) or 0) for _ in days) for code in REFUSALS}
