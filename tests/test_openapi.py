"""The OpenAPI document is held to the service's real answers, by a real validator."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder

from widget.ops.health import openapi_document

ORIGIN = "https://news.example"
READER = "reader-0123456789abcdef"


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    return OpenAPI.from_dict(openapi_document())


def check(spec: OpenAPI, res: Any) -> Any:
    """Validate one real answer against the document's entry for its request."""
    sent = res.request
    # The test client's request has had its body read by the app; rebuild it for the
    # validator from what was sent (method, path, query, headers).
    request = EnvironBuilder(
        method=sent.method,
        path=sent.path,
        query_string=sent.query_string.decode(),
        headers=dict(sent.headers),
        data=b"{}",
    ).get_request()
    spec.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(res))
    return res


def test_the_document_is_served_and_valid_openapi_3_1(client: Any) -> None:
    res = client.get("/v1/openapi.json")
    assert res.status_code == 200
    document = res.get_json()
    assert document["openapi"].startswith("3.1")
    OpenAPI.from_dict(document)  # raises on an invalid document


def test_every_route_of_the_app_is_documented(app: Any) -> None:
    documented = {
        (path, method.upper())
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method in {"get", "post", "delete", "options", "put", "patch"}
    }
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(\w+)>", r"{\1}", rule.rule.replace("<site_id>", "<site>"))
        if not (path.startswith("/v1/") or path in {"/healthz", "/readyz", "/metrics"}):
            continue  # the dashboard, the demo pages and static files are not the API
        for method in rule.methods - {"HEAD"}:
            if method == "OPTIONS" and (path, "OPTIONS") not in documented:
                continue  # flask's automatic OPTIONS, not an endpoint of ours
            assert (path, method) in documented, f"{method} {path} is not in openapi.json"


def test_reader_answers_match_the_document(
    spec: OpenAPI, client: Any, make_site: Callable[..., str]
) -> None:
    make_site("demo", origins=(ORIGIN,))
    url = "/v1/sites/demo/reactions"
    body = {"article": "a1", "reader": READER, "reaction": "love", "title": "T",
            "url": "https://news.example/a1"}  # fmt: skip
    check(spec, client.post(url, json=body, headers={"Origin": ORIGIN}))
    check(spec, client.post(url, json={**body, "reaction": None}))
    check(spec, client.get(f"{url}?article=a1&article=a2"))
    check(spec, client.get(f"{url}?article=a1&reader={READER}"))
    check(spec, client.get(f"{url}?article=a1&lang=pt-BR"))
    check(spec, client.options(url, headers={"Origin": ORIGIN}))
    check(spec, client.get("/v1/i18n/pt-BR", buffered=True))  # a file, read and closed
    check(spec, client.get("/v1/i18n/pt_BR"))
    for bad in (
        client.post(url, json={**body, "reaction": "meh"}),
        client.post(url, json={**body, "reader": "x"}),
        client.post(url, json={**body, "article": ""}),
        client.post(url, json={**body, "extra": 1}),
        client.post(url, json=body, headers={"Origin": "https://evil.example"}),
        client.post(url, data=json.dumps(body), content_type="application/xml"),
        client.post("/v1/sites/nosuch/reactions", json=body),
        client.get(f"{url}?article="),
        client.get(f"{url}?article=a1&lang=pt_BR"),
        client.get("/v1/sites/nosuch/reactions?article=a"),
    ):
        assert bad.status_code >= 400
        check(spec, bad)


def test_article_answers_match_the_document(
    spec: OpenAPI, client: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("demo")
    auth = {"Authorization": f"Bearer {key}"}
    body = {"article": "a1", "reader": READER, "reaction": "love", "title": "T"}
    check(spec, client.post("/v1/sites/demo/reactions", json=body))
    url = "/v1/sites/demo/article?article="
    check(spec, client.get(f"{url}a1", headers=auth))
    check(spec, client.patch(f"{url}a1", json={"url": "https://x.example/", "closed": True},
                             headers=auth))  # fmt: skip
    for bad in (
        client.get(f"{url}nobody", headers=auth),
        client.patch(f"{url}a1", json={"title": 1}, headers=auth),
        client.patch(f"{url}a1", data="{}", headers=auth),
        client.get(f"{url}a1"),
    ):
        assert bad.status_code >= 400
        check(spec, bad)


def test_operations_answers_match_the_document(spec: OpenAPI, client: Any) -> None:
    check(spec, client.get("/healthz"))
    check(spec, client.get("/readyz"))
    check(spec, client.get("/v1/openapi.json"))


def test_a_doctored_answer_is_caught(spec: OpenAPI, client: Any, make_site: Any) -> None:
    """The validator really validates: a doctored answer fails."""
    from openapi_core.validation.response.exceptions import InvalidData

    make_site("demo")
    res = client.get("/v1/sites/demo/reactions?article=a1")
    res.set_data(json.dumps({"site": "demo", "articles": {}}))
    with pytest.raises(InvalidData):
        check(spec, res)
