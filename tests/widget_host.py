"""What the widget's language and listing browser tests share: pages, axe, measuring."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser import HostPages

# label-content-name-mismatch is one of axe's "experimental" rules: asked for by name.
AXE_OPTIONS = {"rules": {"label-content-name-mismatch": {"enabled": True}}}


def embed_page(host: HostPages, path: str, service: str, body: str, lang: str = "en") -> str:
    """Serve a page in a language with the embed snippet, trusting only the service."""
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Page</title>'
        f"</head><body><main><h1>Page</h1>{body}</main>"
        f'<script async src="{service}/static/embed.js"></script></body></html>'
    )
    return host.add(path, page, service, service, "; img-src data:")


def serious_violations(page: Page) -> list[str]:
    """Return axe's serious and critical findings on the page, the widget's shadow roots too."""
    found = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in {"serious", "critical"}
    ]


def height(page: Page, selector: str = "[data-reactions]") -> float:
    """Return the rendered height of the first matching widget."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None
    return float(box["height"])
