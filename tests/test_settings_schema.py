"""The one declaration of each setting (widget/sites/site.py) reaches every door.

Each test walks the declarations, so a new setting is covered by adding its entry: the CLI
prints it, the API answers and takes it, the dashboard's form shows it, the OpenAPI
document describes it, and a record written before it existed loads with its default.
The export's columns (widget/publisher/export.py) are walked the same way.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.test_dashboard import sign_in
from widget.context import get_sites
from widget.dashboard.settings_views import SECTIONS, WIDGETS
from widget.ops.health import openapi_document
from widget.publisher.export import COLUMNS, COUNTS
from widget.sites import SETTINGS, Setting, Site
from widget.sites.site import ROLES, STORED

NAMES = [s.name for s in SETTINGS]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("setting", SETTINGS, ids=NAMES)
def test_each_entry_is_whole_and_its_default_passes_its_own_check(setting: Setting) -> None:
    assert setting.help and setting.label and setting.section in SECTIONS
    assert setting.widget in WIDGETS, f"no dashboard widget {setting.widget!r}"
    assert setting.role in ROLES
    site = Site(id="demo")
    default = getattr(site, setting.name)
    sent = json.loads(json.dumps(STORED[setting.name].dump(default)))  # as a door sends it
    assert setting.check.run(setting.name, sent, site) == default


def test_every_setting_is_in_the_cli_description_and_the_settings_it_prints(
    runner: Any, make_site: Callable[..., str]
) -> None:
    make_site("demo")
    shown = json.loads(runner.invoke(args=["sites", "show", "demo"]).output)
    printed = json.loads(runner.invoke(args=["sites", "settings", "demo"]).output)
    assert set(NAMES) <= set(shown) and "key_digest" not in shown
    assert list(printed) == ["site", *NAMES]
    assert {name: shown[name] for name in NAMES} == {name: printed[name] for name in NAMES}


def test_every_setting_is_in_the_api_answer_and_a_patch_of_it_is_taken(
    client: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("demo")
    answer = client.get("/v1/sites/demo/settings", headers=bearer(key)).get_json()
    assert list(answer) == ["site", *NAMES]
    for name in NAMES:  # each setting sent back as it is: taken, and nothing changes
        res = client.patch(
            "/v1/sites/demo/settings", json={name: answer[name]}, headers=bearer(key)
        )
        assert res.status_code == 200, res.get_json()
        assert res.get_json() == answer


def test_every_setting_is_in_the_dashboard_form(client: Any, make_site: Callable[..., str]) -> None:
    sign_in(client, make_site("demo"))
    page = client.get("/dashboard/settings").get_data(as_text=True)
    for s in SETTINGS:
        assert f'name="{s.name}"' in page or f'id="{s.name}-help"' in page, s.name
        assert s.section in page
        for value, label in s.check.choices.items():
            assert f'value="{value}"' in page and label in page


def test_every_setting_is_in_the_served_openapi_schemas(client: Any) -> None:
    document = client.get("/v1/openapi.json").get_json()
    assert document == json.loads(json.dumps(openapi_document()))
    schemas = document["components"]["schemas"]
    assert schemas["Settings"]["required"] == ["site", *NAMES]
    for s in SETTINGS:
        shown = schemas["Settings"]["properties"][s.name]
        assert shown["description"] in {s.help, s.check.schema.get("description")}
        assert s.name in schemas["SettingsPatch"]["properties"]


def test_a_record_without_a_setting_loads_with_its_default(app: Any, store: Any) -> None:
    for s in SETTINGS:
        record = {k: v for k, v in Site(id="old").as_json().items() if k != s.name}
        store.sites.save("old", record)
        with app.app_context():
            loaded = get_sites().require("old")
        assert getattr(loaded, s.name) == getattr(Site(id="old"), s.name), s.name


def test_every_export_column_is_in_the_csv_the_json_and_the_openapi_article(
    client: Any, store: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("demo")
    store.set_reaction("demo", "a1", "reader-000000000001", "love", ("love", "like"))
    base = "/v1/sites/demo/export?format="
    header = next(csv.reader(io.StringIO(client.get(base + "csv", headers=bearer(key)).text)))
    objects = json.loads(client.get(base + "json", headers=bearer(key)).data)
    article = openapi_document()["components"]["schemas"]["Article"]
    for column in COLUMNS:
        assert column.name in objects[0] and column.name in article["properties"]
        assert column.name in header or column.name == COUNTS
