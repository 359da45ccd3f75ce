"""The fast run (-m "not slow") starts no process: the watch in conftest.py fails a test that does.

The watch is run here on a small suite of its own, in a pytest of its own, as a developer's
mistake would meet it: a test that starts a process, and one that reaches a fixture that
does through ``getfixturevalue``, which no mark read at collection sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow  # it runs a pytest of its own

CONFTEST = """
from tests.conftest import PROCESS_WATCH, pytest_runtest_call, pytest_runtest_setup

def pytest_configure(config):
    config.addinivalue_line("markers", "slow: starts a process")
"""

SUITE = """
import subprocess

import pytest

@pytest.fixture
def process():
    subprocess.run(["true"], check=True)

def test_starts_one():
    subprocess.run(["true"], check=True)

def test_names_a_fixture_that_starts_one(process):
    assert True

def test_fetches_a_fixture_that_starts_one(request):
    request.getfixturevalue("process")

@pytest.mark.slow
def test_marked_slow_may():
    subprocess.run(["true"], check=True)

def test_starts_none():
    assert True
"""


def test_a_test_not_marked_slow_that_starts_a_process_fails(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_suite.py").write_text(SUITE)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rfE",
            f"--junitxml={tmp_path / 'report.xml'}",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = result.stdout
    assert "2 failed, 2 passed, 1 error" in out, out
    assert "FAILED test_suite.py::test_starts_one" in out
    assert "ERROR test_suite.py::test_names_a_fixture_that_starts_one" in out  # in its setup
    assert "FAILED test_suite.py::test_fetches_a_fixture_that_starts_one" in out
    # Each of the three says why, in its own report (the summary lines' length depends on
    # the terminal and on CI, so the reports are read from the JUnit XML).
    cases = ElementTree.parse(tmp_path / "report.xml").getroot().iter("testcase")
    said = {
        case.get("name"): "".join(
            (problem.get("message") or "") + (problem.text or "")
            for problem in case
            if problem.tag in ("failure", "error")
        )
        for case in cases
    }
    why = "a test not marked slow started a process: subprocess.Popen ['true']"
    assert sorted(name for name, text in said.items() if why in text) == [
        "test_fetches_a_fixture_that_starts_one",
        "test_names_a_fixture_that_starts_one",
        "test_starts_one",
    ]
