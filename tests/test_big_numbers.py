"""A number of 5,000 digits (past Python's int() limit of 4,300) is bad input, never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.test_dashboard import sign_in
from tests.test_settings_dashboard import form_of, settings_of

HUGE = "9" * 5000
BASE = "/v1/sites/demo"


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}/summary?days={HUGE}",
        f"{BASE}/history?article=a&days={HUGE}",
        f"{BASE}/articles?limit={HUGE}",
        f"{BASE}/summary?days=0000000000000000000000000000007",  # leading zeros: a 7
    ],
)
def test_the_publisher_api_refuses_a_huge_number_with_a_json_400(
    client: Any, make_site: Callable[..., str], path: str
) -> None:
    key = make_site("demo")
    answer = client.get(path, headers={"Authorization": f"Bearer {key}"})
    if path.endswith("7"):
        assert answer.status_code == 200
        return
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "bad_request"
    assert "whole number" in answer.get_json()["error"]["message"]


def test_a_json_body_with_a_huge_number_is_a_json_400(
    app: Any, client: Any, make_site: Callable[..., str]
) -> None:
    # (The reader's POST body is at most 4 KiB: too short for such a number.)
    key = make_site("demo")
    before = settings_of(app)
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    answer = client.patch(
        f"{BASE}/settings", data='{"visibility_threshold": ' + HUGE + "}", headers=auth
    )
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_request"
    assert settings_of(app) == before


@pytest.mark.parametrize("field", ["visibility_threshold", "close_after_days"])
def test_the_settings_form_refuses_a_huge_number_by_its_field(
    app: Any, client: Any, make_site: Callable[..., str], field: str
) -> None:
    sign_in(client, make_site("demo"))
    before = settings_of(app)
    fields = form_of(client.get("/dashboard/settings").get_data(as_text=True))
    answer = client.post("/dashboard/settings", data=fields | {field: HUGE})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert error and "whole number" in error.group(1)
    assert settings_of(app) == before


def test_a_huge_position_in_the_reaction_rows_is_no_500(
    app: Any, client: Any, make_site: Callable[..., str]
) -> None:
    sign_in(client, make_site("demo"))
    before = settings_of(app)
    fields = form_of(client.get("/dashboard/settings").get_data(as_text=True))
    answer = client.post("/dashboard/settings", data=fields | {"r-love-position": HUGE})
    assert answer.status_code in {302, 400}  # an unreadable position keeps the row's place
    assert settings_of(app) == before
