"""What the widget's browser tests of issue 12 share: a host page server, axe, measuring."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# label-content-name-mismatch is one of axe's "experimental" rules: asked for by name.
AXE_OPTIONS = {"rules": {"label-content-name-mismatch": {"enabled": True}}}


class HostPages:
    """Pages of another origin than the service, under a CSP that trusts only the service."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Security-Policy", self.server.csp)  # type: ignore[attr-defined]
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, path: str, service: str, body: str, lang: str = "en") -> str:
        """Serve a page in a language with the embed snippet; return its URL."""
        self.server.csp = (  # type: ignore[attr-defined]
            f"default-src 'none'; script-src {service}; connect-src {service}; img-src data:"
        )
        self.pages[path] = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Page</title>'
            f"</head><body><main><h1>Page</h1>{body}</main>"
            f'<script async src="{service}/static/embed.js"></script></body></html>'
        )
        return self.origin + path

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


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
