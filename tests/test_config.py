"""Settings: read from the environment with clear errors, and every one documented."""

from __future__ import annotations

import re

import pytest

from tests.helpers import ROOT
from widget.config import SETTINGS, from_environ


def test_defaults_when_unset() -> None:
    config = from_environ({})
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert config["TRUSTED_PROXIES"] == 0 and config["RATELIMIT_ENABLED"] is True


def test_values_are_parsed() -> None:
    config = from_environ({"RATELIMIT_ENABLED": "0", "TRUSTED_PROXIES": "2", "REDIS_CLUSTER": "1"})
    assert config["RATELIMIT_ENABLED"] is False
    assert config["TRUSTED_PROXIES"] == 2 and config["REDIS_CLUSTER"] is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRUSTED_PROXIES", "-1"),
        ("TRUSTED_PROXIES", "two"),
        ("RATELIMIT_ENABLED", "maybe"),
        ("REDIS_SOCKET_TIMEOUT", "0"),
    ],
)
def test_bad_values_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(RuntimeError, match=name):
        from_environ({name: value})


CONFIG_DOC = ROOT / "docs" / "configuration.md"


def documented_default(default: object) -> str:
    """Return a setting's default as the docs' table writes it."""
    if default is None:
        return "(none)"
    if isinstance(default, bool):
        return "`1`" if default else "`0`"
    return f"`{default}`"


def test_every_setting_is_documented_with_its_default() -> None:
    text = CONFIG_DOC.read_text()
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|", text, re.MULTILINE)
    documented: dict[str, list[str]] = {}
    for name, default in rows:
        documented.setdefault(name, []).append(default.strip())
    missing = [s.name for s in SETTINGS if s.name not in documented]
    assert not missing, f"settings missing from {CONFIG_DOC.name}'s tables: {missing}"
    wrong = {
        s.name: (documented[s.name], documented_default(s.default))
        for s in SETTINGS
        if any(d != documented_default(s.default) for d in documented[s.name])
    }
    assert not wrong, f"defaults in {CONFIG_DOC.name} that differ from config.SETTINGS: {wrong}"
