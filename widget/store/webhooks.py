"""A site's webhooks: their records, secrets included, in one hash in the site's slot.

``store.webhooks`` lists, reads, puts and deletes them; a record is JSON (``url``,
``events``, ``milestones``, ``secret``, ``created_at``), kept whole so a backup can copy
it with ``list`` and a restore put it back with ``put``. A site's webhooks are deleted
with the site (their hash is one of the site's keys). The set of sites with webhooks
(``rx:{webhooks}:sites``) tells the worker whose digest to queue.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from typing import Any

from . import keys
from .client import Client, register_script


class Webhooks:
    """The webhooks of each site."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.put_script = register_script(client, "put_webhook.lua")

    def list(self, site: str) -> dict[str, dict[str, Any]]:
        """Return the site's webhooks by id, each with its secret, oldest first."""
        stored = self.client.hgetall(keys.webhooks_key(site))
        records = {str(i): json.loads(r) for i, r in stored.items()}
        return dict(sorted(records.items(), key=lambda item: (item[1]["created_at"], item[0])))

    def get(self, site: str, hook: str) -> dict[str, Any] | None:
        """Return one webhook's record, or None."""
        record = self.client.hget(keys.webhooks_key(site), hook)
        return json.loads(record) if record else None

    def put(self, site: str, hook: str, record: dict[str, Any], most: int = 0) -> bool:
        """Save a webhook; with ``most`` > 0, only while the site has fewer (say if saved)."""
        saved = self.put_script(
            keys=[keys.webhooks_key(site)], args=[hook, json.dumps(record), most]
        )
        if saved:
            self.client.sadd(keys.WEBHOOK_SITES, site)
        return bool(saved)

    def delete(self, site: str, hook: str) -> bool:
        """Delete a webhook; say whether it existed."""
        deleted = bool(self.client.hdel(keys.webhooks_key(site), hook))
        if deleted and not self.client.hlen(keys.webhooks_key(site)):
            self.client.srem(keys.WEBHOOK_SITES, site)
        return deleted

    def sites(self) -> builtins.list[str]:
        """Return the sites that have (or lately had) webhooks."""
        return sorted(str(site) for site in self.client.smembers(keys.WEBHOOK_SITES))

    def day_top(
        self, site: str, day: str, since: float, reaction_keys: Sequence[str], most: int
    ) -> builtins.list[tuple[str, int]]:
        """Return up to ``most`` article hashes with their net total on ``day``, highest
        first: read from the articles with a reaction since ``since`` (epoch seconds)."""
        fields = [f"{day}:{k}" for k in reaction_keys]
        totals: builtins.list[tuple[str, int]] = []
        recent = keys.index_key(site, "recent")
        start = 0
        while batch := [
            str(ah) for ah in self.client.zrangebyscore(recent, since, "+inf", start=start, num=500)
        ]:
            start += len(batch)
            pipe = self.client.pipeline(transaction=False)
            for ah in batch:
                pipe.hmget(keys.article_keys(site, ah)[2], fields)
            for ah, values in zip(batch, pipe.execute(), strict=True):
                total = sum(int(v or 0) for v in values)
                if total > 0:
                    totals.append((ah, total))
            totals = sorted(totals, key=lambda t: (-t[1], t[0]))[:most]
        return totals

    def forget_site(self, site: str) -> None:
        """Take a site without webhooks (deleted, say) off the digest's list."""
        if not self.client.hlen(keys.webhooks_key(site)):
            self.client.srem(keys.WEBHOOK_SITES, site)
