"""/metrics: exact sums over several gunicorn workers, and what each metric counts."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import LiveServer, app_config, start_gunicorn
from tests.test_dashboard import limited_app, refuse_new_articles
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
SITE = "demo"
URL = f"/v1/sites/{SITE}/reactions"


def parse(text: str) -> Samples:
    """Return every sample of a Prometheus text answer, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """Return one sample's value; 0 when the service has not counted it yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests_total(samples: Samples, endpoint: str, status: int, method: str = "GET") -> float:
    return value(
        samples, "reactions_http_requests_total", endpoint=endpoint, method=method,
        status=str(status),
    )  # fmt: skip


def post_body(reader: int, reaction: str | None) -> str:
    return json.dumps({"article": "a1", "reader": f"reader-{reader:016d}", "reaction": reaction})


@pytest.fixture(scope="module")
def metrics_server(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Path]]:
    """Serve the app with three gunicorn workers that share a metrics folder."""
    metrics_dir = tmp_path_factory.mktemp("prometheus")
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # emptied at start
    server = start_gunicorn(
        redis_server.url,
        tmp_path_factory.mktemp("gunicorn-metrics"),
        workers=3,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    yield server, metrics_dir
    server.stop()


@pytest.fixture
def site(redis_server: RedisServer, redis_client: Any) -> str:
    with create_app(app_config(redis_server)).app_context():
        get_sites().create(SITE, "Demo", [])
    return SITE


def test_counts_are_exact_across_workers(
    metrics_server: tuple[LiveServer, Path], site: str
) -> None:
    server, metrics_dir = metrics_server
    before = parse(requests.get(f"{server.url}/metrics", timeout=5).text)
    reactions = ["love", "love", "like", "hated", None]  # reader 4 withdraws a reaction never set

    def get(path: str) -> int:
        return requests.get(f"{server.url}{path}", timeout=5).status_code

    def post(i: int) -> int:
        return requests.post(
            f"{server.url}{URL}", data=post_body(i, reactions[i % len(reactions)]),
            headers={"Content-Type": "text/plain"}, timeout=5,
        ).status_code  # fmt: skip

    # Concurrent clients, so that several workers answer; bounded in count.
    healthz = 0
    with ThreadPoolExecutor(8) as pool:
        while healthz < 400:
            assert set(pool.map(get, ["/healthz"] * 40)) == {200}
            healthz += 40
            if healthz >= 120 and len(list(metrics_dir.glob("counter_*.db"))) >= 2:
                break
        assert list(pool.map(post, range(20))) == [200] * 20
        assert set(pool.map(get, [f"{URL}?article=a1"] * 7)) == {200}
        assert set(pool.map(get, ["/v1/sites/nowhere/reactions?article=a1"] * 3)) == {404}
        assert set(pool.map(get, ["/no/such/page?reader=x"] * 2)) == {404}
    assert len(list(metrics_dir.glob("counter_*.db"))) >= 2, "one worker answered everything"

    after = parse(requests.get(f"{server.url}/metrics", timeout=5).text)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    def delta_requests(endpoint: str, status: int, method: str = "GET") -> float:
        return requests_total(after, endpoint, status, method) - requests_total(
            before, endpoint, status, method
        )

    assert delta_requests("ops.healthz", 200) == healthz
    assert delta_requests("reader_api.set_reaction", 200, "POST") == 20
    assert delta_requests("reader_api.get_counts", 200) == 7
    assert delta_requests("reader_api.get_counts", 404) == 3
    assert delta_requests("unmatched", 404) == 2
    name = "reactions_http_request_duration_seconds_count"
    assert delta(name, endpoint="ops.healthz") == healthz
    assert delta("reactions_set_total", reaction="love") == 8
    assert delta("reactions_set_total", reaction="like") == 4
    assert delta("reactions_set_total", reaction="hated") == 4
    assert delta("reactions_set_total", reaction="withdraw") == 4
    # The stale file of a previous run was removed, not summed.
    assert not (metrics_dir / "counter_999999.db").exists()


def test_latency_histogram_buckets_are_cumulative(metrics_server: tuple[LiveServer, Path]) -> None:
    server, _ = metrics_server
    samples = parse(requests.get(f"{server.url}/metrics", timeout=5).text)
    buckets = sorted(
        (float(dict(labels)["le"]), v)
        for (name, labels), v in samples.items()
        if name == "reactions_http_request_duration_seconds_bucket"
        and dict(labels)["endpoint"] == "ops.healthz"
    )
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and counts[-1] > 0
    count = value(samples, "reactions_http_request_duration_seconds_count", endpoint="ops.healthz")
    assert buckets[-1] == (float("inf"), count)


def test_metrics_is_prometheus_text_and_not_cached(metrics_server: tuple[LiveServer, Path]) -> None:
    server, _ = metrics_server
    res = requests.get(f"{server.url}/metrics", timeout=5)
    assert res.status_code == 200
    assert res.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert res.headers["Cache-Control"] == "no-store"
    assert "# TYPE reactions_http_requests_total counter" in res.text
    assert "# TYPE reactions_http_request_duration_seconds histogram" in res.text
    openmetrics = "application/openmetrics-text; version=1.0.0"
    res = requests.get(f"{server.url}/metrics", headers={"Accept": openmetrics}, timeout=5)
    assert res.headers["Content-Type"].startswith(openmetrics)
    assert res.text.endswith("# EOF\n")


def test_storage_errors_are_counted(redis_server: RedisServer) -> None:
    # In one process (the test client), the metrics live in this process.
    from prometheus_client import REGISTRY

    def storage_errors() -> float:
        return REGISTRY.get_sample_value("reactions_storage_errors_total") or 0.0

    broken = create_app(app_config(redis_server, REDIS_URL="redis://127.0.0.1:1/0"))
    start = storage_errors()
    client = broken.test_client()
    assert client.get("/readyz").status_code == 503
    assert client.get(f"{URL}?article=a1").status_code == 503
    assert storage_errors() - start == 2


def test_metrics_endpoint_has_bounded_labels(client: Any, make_site: Callable[..., str]) -> None:
    # Made-up paths all land on one label value, so nobody can grow the series count.
    for i in range(5):
        assert client.get(f"/made-up-{i}").status_code == 404
    text = client.get("/metrics").get_data(as_text=True)
    assert "made-up" not in text
    assert 'endpoint="unmatched"' in text


def test_new_articles_refused_are_counted_by_code(
    redis_server: RedisServer, redis_client: Any
) -> None:
    app, _ = limited_app(redis_server)
    client = app.test_client()

    def refused(code: str) -> float:
        samples = parse(client.get("/metrics").get_data(as_text=True))
        return value(samples, "reactions_articles_refused_total", code=code)

    before = {code: refused(code) for code in ("article_limit", "new_article_budget")}
    refuse_new_articles(client)
    assert refused("article_limit") - before["article_limit"] == 1
    assert refused("new_article_budget") - before["new_article_budget"] == 1


def test_a_worker_file_read_while_it_is_made_does_not_fail_the_scrape(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker that has just started creates its metrics file empty and sizes it a moment
    # later; a scrape in between must wait for it, not answer 500.
    from prometheus_client.mmap_dict import MmapedDict

    from widget.ops import metrics

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    made = tmp_path / "counter_4242.db"
    made.touch()  # as the new worker's file is for an instant

    def finish() -> None:
        MmapedDict(str(made)).close()  # what the worker does next: size and initialize it

    timer = threading.Timer(0.015, finish)
    timer.start()
    try:
        with app.test_request_context("/metrics"):
            response = metrics.render()
    finally:
        timer.join()
    assert response.status_code == 200
    parse(response.get_data(as_text=True))  # whole, parseable text
